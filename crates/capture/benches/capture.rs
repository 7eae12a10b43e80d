//! The capture benchmark, all measured side by side in one run, single-threaded:
//! - analysis time per 1280×720 document frame and per 640×480 face frame (median);
//! - QR read rate and time per image on ../shared/corpus/qrcode (or RESET_QR_CORPUS), in process
//!   and as one `capture qr` process per image, against Debian's `zbarimg` and `ZXingReader`
//!   run the same way on the same pictures, when they are installed.
//!
//! Run: `cargo bench -p reset-capture --bench capture`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reset_capture::corpus::{self, Case};
use reset_capture::qr::{read_qr_with, DEFAULT_PASSES};
use reset_capture::{analyse_document_frame, FaceFinder, FaceFinderConfig, Frame};
use reset_testkit::synth::{card_frame, face_frame, flat_card, portrait, CardScene};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn time_each<T>(reps: usize, mut f: impl FnMut() -> T) -> Vec<Duration> {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let reps = 60;

    let doc = Frame::new(card_frame(&flat_card(None, 1), &CardScene::standard()), 0);
    let verdict = analyse_document_frame(&doc);
    assert!(
        verdict.ready,
        "the benchmark card must be found: {verdict:?}"
    );
    let doc_times = time_each(reps, || analyse_document_frame(&doc));
    println!(
        "document frame 1280x720: median {:.2} ms, min {:.2} ms ({reps} runs; goal <= 20 ms)",
        ms(median(doc_times.clone())),
        ms(*doc_times.iter().min().unwrap())
    );

    let face_img = portrait(300).map(|p| face_frame(&p, 640, 480, (320, 240), 400));
    match face_img {
        Some(img) => {
            let frame = Frame::new(img, 0);
            let mut finder = FaceFinder::new(FaceFinderConfig::default());
            assert_eq!(finder.detect(&frame.gray()).len(), 1);
            let times = time_each(reps, || finder.detect(&frame.gray()));
            println!(
                "face frame 640x480: median {:.2} ms, min {:.2} ms ({reps} runs; goal <= 30 ms)",
                ms(median(times.clone())),
                ms(*times.iter().min().unwrap())
            );
        }
        None => println!("face frame: skipped (rustface's test picture not found)"),
    }

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(dir) = corpus::locate(&root) else {
        println!("QR corpus: skipped (no ../shared/corpus/qrcode; set RESET_QR_CORPUS)");
        return;
    };
    let cases = corpus::load(&dir).expect("the corpus reads");
    qr_in_process(&cases);
    qr_processes(&cases);
}

fn qr_in_process(cases: &[Case]) {
    let mut read = 0;
    let mut decode_time = Duration::ZERO;
    let mut read_time = Duration::ZERO;
    let mut by_pass: Vec<(&str, usize)> = DEFAULT_PASSES.iter().map(|p| (p.code(), 0)).collect();
    for case in cases {
        let t = Instant::now();
        let gray = reset_capture::source::load_gray_picture(&case.image).unwrap();
        decode_time += t.elapsed();
        let t = Instant::now();
        let r = read_qr_with(&gray, DEFAULT_PASSES);
        read_time += t.elapsed();
        if r.codes.iter().any(|c| c.text == case.expected) {
            read += 1;
            if let Some(p) = r.pass {
                by_pass.iter_mut().find(|(c, _)| *c == p.code()).unwrap().1 += 1;
            }
        }
    }
    let n = cases.len();
    println!(
        "QR in process: read {read}/{n} ({:.1}%), {:.2} ms per image reading + {:.2} ms decoding the file",
        100.0 * read as f64 / n as f64,
        ms(read_time) / n as f64,
        ms(decode_time) / n as f64
    );
    let passes: Vec<String> = by_pass.iter().map(|(c, k)| format!("{c} {k}")).collect();
    println!("  first pass that read it: {}", passes.join(", "));
}

/// Runs `cmd` once per picture; a picture counts as read when the output holds its text.
/// Answers the pictures read and the milliseconds per picture, `None` when not installed.
fn run_tool(
    name: &str,
    cases: &[Case],
    inputs: &[PathBuf],
    cmd: &dyn Fn(&Path) -> Command,
    unescape: bool,
) -> Option<(usize, f64)> {
    let mut read = 0;
    let mut total = Duration::ZERO;
    for (case, input) in cases.iter().zip(inputs) {
        let mut c = cmd(input);
        let t = Instant::now();
        let Ok(out) = c.output() else {
            println!("{name}: not installed, skipped");
            return None;
        };
        total += t.elapsed();
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        if unescape {
            text = text
                .replace("\\n", "\n")
                .replace("\\r", "\r")
                .replace("\\t", "\t")
                .replace("\\\\", "\\");
        }
        if text.contains(&case.expected) {
            read += 1;
        }
    }
    let n = cases.len();
    let per_image = ms(total) / n as f64;
    println!(
        "{name:<12} read {read}/{n} ({:.1}%), {per_image:.2} ms per image (whole process)",
        100.0 * read as f64 / n as f64,
    );
    Some((read, per_image))
}

fn qr_processes(cases: &[Case]) {
    // ZXingReader cannot open WebP: every tool gets the same pictures as PNG (pixels unchanged),
    // converted once into a temporary folder before any timing.
    let tmp = std::env::temp_dir().join(format!("capture-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let inputs: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let out = tmp.join(format!("{i:03}.png"));
            image::open(&c.image).unwrap().save(&out).unwrap();
            out
        })
        .collect();
    let one_core = |program: &str| {
        // Pin to one core where taskset exists, so no tool gains from threads.
        if Command::new("taskset").arg("--version").output().is_ok() {
            let mut c = Command::new("taskset");
            c.args(["-c", "0", program]);
            c
        } else {
            Command::new(program)
        }
    };
    let capture = capture_binary();
    let capture = capture.to_str().unwrap();
    println!(
        "QR as processes, one per image, on {} PNG copies:",
        inputs.len()
    );
    let ours = run_tool(
        "capture qr",
        cases,
        &inputs,
        &|p| {
            let mut c = one_core(capture);
            c.arg("qr").arg(p);
            c
        },
        true,
    );
    let zbar = run_tool(
        "zbarimg",
        cases,
        &inputs,
        &|p| {
            let mut c = one_core("zbarimg");
            // `--raw`: the payload as stored, as the reference figures were measured.
            c.args(["-q", "--raw"]).arg(p);
            c
        },
        false,
    );
    let zxing = run_tool(
        "ZXingReader",
        cases,
        &inputs,
        &|p| {
            let mut c = one_core("ZXingReader");
            // The default report: its `Text:` holds the decoded text (charset applied).
            c.arg(p);
            c
        },
        false,
    );
    std::fs::remove_dir_all(&tmp).ok();
    if let (Some(ours), Some(zxing), Some(zbar)) = (ours, zxing, zbar) {
        let met = ours.0 >= zxing.0 && ours.1 <= zxing.1 && ours.0 >= zbar.0;
        println!(
            "goal (read at least as many as ZXingReader and zbarimg, in no more time per image than ZXingReader): {}",
            if met { "met" } else { "NOT met" }
        );
    }
}

/// The `capture` binary cargo built beside this bench (`target/<profile>/capture`).
fn capture_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CARGO_BIN_EXE_capture") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join(format!("capture{}", std::env::consts::EXE_SUFFIX))
}
