//! `reset-ocr`: read ID cards from picture files, and measure the reading against tesseract on
//! the test kit's generated cards.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use reset_ocr::idcard::{self, IdCardReading};
use reset_ocr::{decode_picture, Ocr};

const USAGE: &str = "\
usage:
  reset-ocr idcard [--models DIR] FILE...
      one line per file: FILE <tab> number read (empty if none) <tab> yes|no (its check
      digit holds) <tab> name read (empty if none)
  reset-ocr bench DIR [--models DIR] [--no-tesseract]
      reads DIR's pictures listed in truth.tsv with reset-ocr and with tesseract (chi_sim),
      and prints numbers and names read correctly and the time per card of each
Test cards for bench come from the test kit: cargo run -p reset-testkit --bin cards -- DIR.
The models come from --models, else RESET_MODEL_DIR, else the folder scripts/fetch-models fills.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("idcard") => idcard_command(&args[1..]),
        Some("bench") => bench_command(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("reset-ocr: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--name value` pairs and the other arguments.
type Split<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);

/// Splits `--name value` options from the other arguments.
fn options<'a>(args: &'a [String], names: &[&str]) -> Result<Split<'a>, String> {
    let mut opts = Vec::new();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if names.contains(&a.as_str()) {
            let v = it.next().ok_or(format!("{a} needs a value"))?;
            opts.push((a.as_str(), v.as_str()));
        } else if a.starts_with("--") && a != "--no-tesseract" {
            return Err(format!("unknown option {a}\n{USAGE}"));
        } else {
            rest.push(a.as_str());
        }
    }
    Ok((opts, rest))
}

fn load(opts: &[(&str, &str)]) -> Result<Ocr, String> {
    let loaded = match opts.iter().find(|(k, _)| *k == "--models") {
        Some((_, dir)) => Ocr::load(Path::new(dir)),
        None => Ocr::load_default(),
    };
    loaded.map_err(|e| e.to_string())
}

fn idcard_command(args: &[String]) -> Result<ExitCode, String> {
    let (opts, files) = options(args, &["--models"])?;
    if files.is_empty() {
        return Err(USAGE.to_string());
    }
    let ocr = load(&opts)?;
    let mut failed = false;
    for file in files {
        match read_file(&ocr, Path::new(file)) {
            Ok(r) => println!("{}", idcard::report_line(file, &r)),
            Err(e) => {
                eprintln!("reset-ocr: {file}: {e}");
                println!("{}", idcard::report_line(file, &IdCardReading::default()));
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn read_file(ocr: &Ocr, path: &Path) -> Result<IdCardReading, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let img = decode_picture(&bytes).map_err(|e| e.to_string())?;
    ocr.read_number_and_name(&img).map_err(|e| e.to_string())
}

struct Tally {
    numbers: usize,
    names: usize,
    time: Duration,
    cpu: Option<Duration>,
}

/// Processor time used so far by this process and by its waited-for children (tesseract), from
/// /proc on Linux: wall time alone flatters whoever got the cores on a busy machine.
fn cpu_times() -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<u64> = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // Clock ticks; 100 a second on every Linux this runs on.
    let tick = |t: u64| Duration::from_millis(t * 10);
    match fields[..] {
        [utime, stime, cutime, cstime] => Some((tick(utime + stime), tick(cutime + cstime))),
        _ => None,
    }
}

fn bench_command(args: &[String]) -> Result<ExitCode, String> {
    let (opts, rest) = options(args, &["--models"])?;
    let [dir] = rest[..] else {
        return Err(USAGE.to_string());
    };
    let with_tesseract = !args.iter().any(|a| a == "--no-tesseract");
    let dir = Path::new(dir);
    let truth = std::fs::read_to_string(dir.join("truth.tsv"))
        .map_err(|e| format!("{}: {e}", dir.join("truth.tsv").display()))?;
    let cards: Vec<(String, String, String)> = truth
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.into(), f.next()?.into(), f.next()?.into()))
        })
        .collect();
    if cards.is_empty() {
        return Err("truth.tsv lists no cards".into());
    }

    let started = Instant::now();
    let ocr = load(&opts)?;
    let load_time = started.elapsed();
    // Reading plans the models once per input size (a fraction of a second each), which a
    // running app or server has done long before; one untimed pass over the cards does it here.
    let warm = Instant::now();
    read_file(&ocr, &dir.join(&cards[0].0))?;
    let first_time = warm.elapsed();
    for (file, _, _) in &cards[1..] {
        read_file(&ocr, &dir.join(file))?;
    }

    let new_tally = || Tally {
        numbers: 0,
        names: 0,
        time: Duration::ZERO,
        cpu: Some(Duration::ZERO),
    };
    let (mut ours, mut theirs) = (new_tally(), new_tally());
    let add_cpu = |tally: &mut Tally, before: Option<Duration>, after: Option<Duration>| {
        tally.cpu = match (tally.cpu, before, after) {
            (Some(sum), Some(b), Some(a)) => Some(sum + a.saturating_sub(b)),
            _ => None,
        };
    };
    println!("file\tnumber\tname\tours: number\tname\tms\ttesseract: number\tname\tms");
    for (file, number, name) in &cards {
        let path = dir.join(file);
        let (t, cpu) = (Instant::now(), cpu_times());
        let r = read_file(&ocr, &path)?;
        let ours_ms = t.elapsed();
        ours.time += ours_ms;
        add_cpu(&mut ours, cpu.map(|c| c.0), cpu_times().map(|c| c.0));
        let (on, oname) = score(&r, number, name);
        ours.numbers += usize::from(on);
        ours.names += usize::from(oname);
        let mut line = format!(
            "{file}\t{number}\t{name}\t{}\t{}\t{}",
            mark(on, r.accepted_number()),
            mark(oname, r.name.as_deref()),
            ours_ms.as_millis()
        );
        if with_tesseract {
            let (t, cpu) = (Instant::now(), cpu_times());
            let r = tesseract(&path)?;
            let their_ms = t.elapsed();
            theirs.time += their_ms;
            add_cpu(&mut theirs, cpu.map(|c| c.1), cpu_times().map(|c| c.1));
            let (tn, tname) = score(&r, number, name);
            theirs.numbers += usize::from(tn);
            theirs.names += usize::from(tname);
            line.push_str(&format!(
                "\t{}\t{}\t{}",
                mark(tn, r.accepted_number()),
                mark(tname, r.name.as_deref()),
                their_ms.as_millis()
            ));
        }
        println!("{line}");
    }
    let n = cards.len();
    println!();
    let per_card = |t: &Tally| {
        let cpu = t
            .cpu
            .map_or("?".to_string(), |c| (c.as_millis() / n as u128).to_string());
        format!(
            "{}/{n} numbers, {}/{n} names, {} ms per card ({cpu} ms processor time)",
            t.numbers,
            t.names,
            t.time.as_millis() / n as u128
        )
    };
    println!(
        "reset-ocr: {} (models loaded in {} ms, first card with planning {} ms)",
        per_card(&ours),
        load_time.as_millis(),
        first_time.as_millis()
    );
    if with_tesseract {
        println!("tesseract chi_sim: {}", per_card(&theirs));
    }
    Ok(ExitCode::SUCCESS)
}

fn score(r: &IdCardReading, number: &str, name: &str) -> (bool, bool) {
    (
        r.accepted_number() == Some(number),
        r.name.as_deref() == Some(name),
    )
}

fn mark(right: bool, read: Option<&str>) -> String {
    match (right, read) {
        (true, _) => "ok".into(),
        (false, Some(r)) => format!("WRONG {r}"),
        (false, None) => "none".into(),
    }
}

/// Reads a card with `tesseract FILE - -l chi_sim` and the same field rules as ours.
fn tesseract(path: &Path) -> Result<IdCardReading, String> {
    let out = Command::new("tesseract")
        .arg(path)
        .arg("-")
        .args(["-l", "chi_sim"])
        .output()
        .map_err(|e| {
            format!(
                "cannot run tesseract ({e}); apt-get install tesseract-ocr tesseract-ocr-chi-sim"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "tesseract failed on {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<idcard::Row> = text.lines().map(|l| vec![l.to_string()]).collect();
    Ok(idcard::read_rows(&rows))
}
