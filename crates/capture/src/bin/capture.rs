//! `capture`: the capture crate's pictures work from the command line, for testers and
//! benchmarks. One line per file; texts are escaped (`\n`, `\t`, `\\`) so a line stays a line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use reset_capture::card::{judge_document, straighten, DocumentLimits};
use reset_capture::qr::read_qr_with;
use reset_capture::source::{load_gray_picture, load_picture};
use reset_capture::{encode_jpeg, frame, FaceFinder, FaceFinderConfig, JpegSpec};

const USAGE: &str = "usage:
  capture qr [--detail] FILE...      decoded QR texts per file (tab-separated, escaped)
  capture face [--min N] FILE...     face boxes per file: x,y,w,h score
  capture card [--out DIR] FILE...   card outline, quality verdict and reasons per file;
                                     --out writes the straightened card as JPEG
  capture qr-corpus [--matrix] [DIR]            read rate on the QR corpus (default ../shared/corpus/qrcode
                                     or RESET_QR_CORPUS): misses, then totals per pass
  capture probe [SETTING]            opens a frame source (dir:PATH, camera[:N]; default
                                     RESET_CAMERA, else camera:0) and reads one frame
  capture idcard [--models DIR] FILE...
                                     ID card fronts per file: number <tab> yes|no (its check
                                     digit holds) <tab> name; models from --models, else
                                     RESET_MODEL_DIR, else where scripts/fetch-models puts them

Generated test pictures come from the test kit: `cargo run -p reset-testkit --bin synth DIR`
and `--bin scenes DIR` (the tester's stand-in camera for the app, RESET_CAMERA=scenes:DIR).";

fn main() -> ExitCode {
    // rqrr panics on some odd grids; the library catches that and reads on, so its message is
    // only noise here.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.location().is_some_and(|l| l.file().contains("rqrr")) {
            default_hook(info);
        }
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        // Its own exit codes: 1 when a file could not be read, 2 when the models are missing.
        "idcard" => return idcard(rest),
        "qr" => qr(rest),
        "face" => face(rest),
        "card" => card(rest),
        "qr-corpus" => qr_corpus(rest),
        "probe" => probe(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("capture: {e}");
            ExitCode::from(2)
        }
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Options given, each with its value if it takes one.
type Flags<'a> = Vec<(&'a str, Option<&'a str>)>;

/// Splits flags (with one value each, as named in `with_value`) from file names.
fn parse<'a>(
    args: &'a [String],
    with_value: &[&str],
    bare: &[&str],
) -> Result<(Flags<'a>, Vec<PathBuf>), String> {
    let mut flags = Vec::new();
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if with_value.contains(&a.as_str()) {
            let v = it.next().ok_or(format!("{a} needs a value"))?;
            flags.push((a.as_str(), Some(v.as_str())));
        } else if bare.contains(&a.as_str()) {
            flags.push((a.as_str(), None));
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a}"));
        } else {
            files.push(PathBuf::from(a));
        }
    }
    if files.is_empty() {
        return Err(format!("no files\n{USAGE}"));
    }
    Ok((flags, files))
}

fn flag<'a>(flags: &[(&'a str, Option<&'a str>)], name: &str) -> Option<Option<&'a str>> {
    flags.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn qr(args: &[String]) -> Result<(), String> {
    let (flags, files) = parse(args, &[], &["--detail"])?;
    let detail = flag(&flags, "--detail").is_some();
    for file in files {
        let mut line = file.display().to_string();
        match load_gray_picture(&file) {
            Ok(gray) => {
                let read = read_qr_with(&gray, reset_capture::qr::DEFAULT_PASSES);
                for code in &read.codes {
                    line.push('\t');
                    line.push_str(&escape(&code.text));
                    if detail {
                        let c = code.corners;
                        line.push_str(&format!(
                            " @({:.0},{:.0} {:.0},{:.0} {:.0},{:.0} {:.0},{:.0})",
                            c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
                        ));
                    }
                }
                if detail {
                    line.push_str(&format!(
                        "\t[pass {} after {}]",
                        read.pass.map_or("none", |p| p.code()),
                        read.passes_tried
                    ));
                }
            }
            Err(e) => eprintln!("capture: {e}"),
        }
        println!("{line}");
    }
    Ok(())
}

/// Reads each file's ID card front: one line per file, even an unreadable one (empty fields,
/// the reason on stderr, exit code 1). Missing models stop it before any line (exit code 2).
#[cfg(feature = "ocr")]
fn idcard(args: &[String]) -> ExitCode {
    use reset_ocr::idcard::{report_line, IdCardReading};
    let read = || -> Result<bool, String> {
        let (flags, files) = parse(args, &["--models"], &[])?;
        let ocr = match flag(&flags, "--models").flatten() {
            Some(dir) => reset_ocr::Ocr::load(Path::new(dir)),
            None => reset_ocr::Ocr::load_default(),
        }
        .map_err(|e| e.to_string())?;
        let mut failed = false;
        for file in files {
            let name = file.display().to_string();
            let reading = load_picture(&file)
                .map_err(|e| e.to_string())
                .and_then(|rgb| ocr.read_number_and_name(&rgb).map_err(|e| e.to_string()));
            match reading {
                Ok(r) => println!("{}", report_line(&name, &r)),
                Err(e) => {
                    eprintln!("capture: {name}: {e}");
                    println!("{}", report_line(&name, &IdCardReading::default()));
                    failed = true;
                }
            }
        }
        Ok(failed)
    };
    match read() {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("capture: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "ocr"))]
fn idcard(_args: &[String]) -> ExitCode {
    eprintln!("capture: built without the ocr feature, so it cannot read ID cards");
    ExitCode::from(2)
}

fn face(args: &[String]) -> Result<(), String> {
    let (flags, files) = parse(args, &["--min"], &[])?;
    let min_face = match flag(&flags, "--min").flatten() {
        Some(v) => v.parse().map_err(|_| format!("--min {v}: not a number"))?,
        None => 40,
    };
    let mut finder = FaceFinder::new(FaceFinderConfig {
        min_face,
        ..FaceFinderConfig::default()
    });
    for file in files {
        let mut line = file.display().to_string();
        match load_picture(&file) {
            Ok(rgb) => {
                for f in finder.detect(&frame::to_gray(&rgb)) {
                    line.push_str(&format!(
                        "\t{:.0},{:.0},{:.0},{:.0} {:.1}",
                        f.x, f.y, f.width, f.height, f.score
                    ));
                }
            }
            Err(e) => eprintln!("capture: {e}"),
        }
        println!("{line}");
    }
    Ok(())
}

fn card(args: &[String]) -> Result<(), String> {
    let (flags, files) = parse(args, &["--out"], &[])?;
    let out_dir = flag(&flags, "--out").flatten().map(PathBuf::from);
    let limits = DocumentLimits::default();
    for file in files {
        let mut line = file.display().to_string();
        match load_picture(&file) {
            Ok(rgb) => {
                let (verdict, _) = judge_document(&frame::to_gray(&rgb), &limits, None);
                match verdict.outline {
                    Some(q) => {
                        let c = q.corners;
                        line.push_str(&format!(
                            "\toutline {:.0},{:.0} {:.0},{:.0} {:.0},{:.0} {:.0},{:.0}",
                            c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
                        ));
                        if let Some(dir) = &out_dir {
                            write_straightened(&rgb, &q, dir, &file)?;
                        }
                    }
                    None => line.push_str("\toutline none"),
                }
                if let Some(q) = verdict.quality {
                    line.push_str(&format!(
                        "\tfocus {:.0} mean {:.0} glare {:.3}",
                        q.focus, q.mean, q.glare_share
                    ));
                }
                line.push_str(if verdict.ready {
                    "\tready"
                } else {
                    "\tnot_ready"
                });
                let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.code()).collect();
                if !reasons.is_empty() {
                    line.push('\t');
                    line.push_str(&reasons.join(","));
                }
            }
            Err(e) => eprintln!("capture: {e}"),
        }
        println!("{line}");
    }
    Ok(())
}

fn write_straightened(
    rgb: &image::RgbImage,
    q: &reset_capture::Quad,
    dir: &Path,
    file: &Path,
) -> Result<(), String> {
    let flat = straighten(rgb, q, 1000).ok_or("the outline cannot be straightened")?;
    let jpeg = encode_jpeg(&flat, &JpegSpec::default()).map_err(|e| e.to_string())?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("card");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(format!("{stem}.card.jpg")), jpeg).map_err(|e| e.to_string())
}

fn qr_corpus(args: &[String]) -> Result<(), String> {
    use reset_capture::qr::DEFAULT_PASSES;
    let matrix = args.first().is_some_and(|a| a == "--matrix");
    let args = if matrix { &args[1..] } else { args };
    let dir = match args {
        [] => reset_capture::corpus::locate(Path::new(".")).ok_or(
            "no corpus at ../shared/corpus/qrcode; give its folder or set RESET_QR_CORPUS",
        )?,
        [dir] => PathBuf::from(dir),
        _ => return Err(format!("qr-corpus takes one folder\n{USAGE}")),
    };
    let cases = reset_capture::corpus::load(&dir).map_err(|e| e.to_string())?;
    if matrix {
        return qr_matrix(&cases);
    }
    let mut by_pass = vec![0usize; DEFAULT_PASSES.len()];
    let mut read = 0;
    let (mut hit_ms, mut miss_ms) = (0f64, 0f64);
    let started = std::time::Instant::now();
    for case in &cases {
        let rgb = load_picture(&case.image).map_err(|e| e.to_string())?;
        let gray = frame::to_gray(&rgb);
        let t = std::time::Instant::now();
        let r = read_qr_with(&gray, DEFAULT_PASSES);
        let spent = t.elapsed().as_secs_f64() * 1000.0;
        if r.codes.iter().any(|c| c.text == case.expected) {
            hit_ms += spent;
            read += 1;
            if let Some(i) = DEFAULT_PASSES.iter().position(|p| Some(*p) == r.pass) {
                by_pass[i] += 1;
            }
        } else {
            miss_ms += spent;
            let got: Vec<String> = r.codes.iter().map(|c| escape(&c.text)).collect();
            println!(
                "miss\t{}\t{}x{}\t{}",
                case.image.display(),
                rgb.width(),
                rgb.height(),
                got.join(" | ")
            );
        }
    }
    let n = cases.len().max(1);
    println!(
        "read {read} of {} ({:.1}%) in {:.0} ms",
        cases.len(),
        100.0 * read as f64 / n as f64,
        started.elapsed().as_secs_f64() * 1000.0
    );
    println!(
        "reading: {:.1} ms a read picture, {:.1} ms a missed one",
        hit_ms / read.max(1) as f64,
        miss_ms / (cases.len() - read).max(1) as f64
    );
    for (p, k) in DEFAULT_PASSES.iter().zip(by_pass) {
        println!("  {}\t{k}", p.code());
    }
    Ok(())
}

/// Runs every known pass alone on every picture, then orders them greedily by pictures gained
/// per millisecond: what each pass buys.
fn qr_matrix(cases: &[reset_capture::corpus::Case]) -> Result<(), String> {
    use reset_capture::qr::ALL_PASSES;
    let grays: Vec<image::GrayImage> = cases
        .iter()
        .map(|c| load_picture(&c.image).map(|rgb| frame::to_gray(&rgb)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut reads = vec![vec![false; cases.len()]; ALL_PASSES.len()];
    let mut times = vec![0f64; ALL_PASSES.len()];
    for (pi, pass) in ALL_PASSES.iter().enumerate() {
        for (ci, (case, gray)) in cases.iter().zip(&grays).enumerate() {
            let t = std::time::Instant::now();
            let r = read_qr_with(gray, &[*pass]);
            times[pi] += t.elapsed().as_secs_f64() * 1000.0;
            reads[pi][ci] = r.codes.iter().any(|c| c.text == case.expected);
        }
        let n = reads[pi].iter().filter(|r| **r).count();
        println!(
            "{:<22} alone {n:>3}  {:.2} ms/image",
            pass.code(),
            times[pi] / cases.len() as f64
        );
    }
    let mut covered = vec![false; cases.len()];
    let mut left: Vec<usize> = (0..ALL_PASSES.len()).collect();
    println!("greedy order (gain, cumulative):");
    let mut total = 0;
    loop {
        let best = left
            .iter()
            .map(|&p| {
                let gain = (0..cases.len())
                    .filter(|&c| reads[p][c] && !covered[c])
                    .count();
                (p, gain, gain as f64 / times[p].max(1e-3))
            })
            .filter(|(_, g, _)| *g > 0)
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let Some((p, gain, _)) = best else { break };
        for c in 0..cases.len() {
            covered[c] |= reads[p][c];
        }
        total += gain;
        println!("  {:<22} +{gain:<3} {total}", ALL_PASSES[p].code());
        left.retain(|&x| x != p);
    }
    for (c, case) in cases.iter().enumerate() {
        if !covered[c] {
            let g = &grays[c];
            let (w, h) = (g.width() as usize, g.height() as usize);
            let lm =
                imageproc::contrast::adaptive_threshold(g, (w.max(h) / 10).clamp(4, 64) as u32);
            let lr = lm.as_raw();
            let mut img = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| lr[y * w + x] == 0);
            let grids = img.detect_grids();
            let errs: Vec<String> = grids
                .iter()
                .map(|g| match g.decode() {
                    Ok((m, t)) => format!(
                        "ok v{} {:?}",
                        m.version.0,
                        t.chars().take(20).collect::<String>()
                    ),
                    Err(e) => format!("{e:?}"),
                })
                .collect();
            println!(
                "never\t{}\t{}x{}\tgrids {}: {:?}",
                case.image.display(),
                w,
                h,
                grids.len(),
                errs
            );
        }
    }
    Ok(())
}

fn probe(args: &[String]) -> Result<(), String> {
    use reset_capture::{open_source, SourceSetting};
    let setting = match args {
        [s] => SourceSetting::parse(s),
        [] => SourceSetting::from_env().map(|s| s.unwrap_or(SourceSetting::Camera(0))),
        _ => return Err(format!("probe takes one setting\n{USAGE}")),
    }
    .map_err(|e| e.to_string())?;
    let described = open_source(&setting).and_then(|mut source| {
        let label = source.describe();
        source.next_frame().map(|f| (label, f))
    });
    match described {
        Ok((label, Some(frame))) => {
            println!(
                "{label}\tframe {}x{} at {} ms",
                frame.width(),
                frame.height(),
                frame.at_ms
            );
            Ok(())
        }
        Ok((label, None)) => {
            println!("{label}\tno frame");
            Ok(())
        }
        Err(e) => Err(format!("{}: {e}", e.code())),
    }
}
