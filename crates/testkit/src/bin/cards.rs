//! `cards DIR [--from SEED] [--count N]`: writes generated ID-card fronts card-SEED.jpg and
//! their truth.tsv (file, number, name) to DIR, for `reset-ocr bench DIR`. Seeds from 1000 are
//! the held-back cards no test tunes on.

use std::path::PathBuf;
use std::process::ExitCode;

use reset_testkit::specimen;

const USAGE: &str =
    "usage: cards DIR [--from SEED] [--count N]   (defaults: --from 1000 --count 12)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cards: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let (mut dir, mut from, mut count) = (None, 1000u64, 12u64);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{name} takes a number"))
        };
        match a.as_str() {
            "--from" => from = number("--from")?,
            "--count" => count = number("--count")?,
            _ if a.starts_with("--") || dir.is_some() => return Err(USAGE.into()),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.ok_or(USAGE)?;
    let font = specimen::load_font()?;
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut truth = String::from("file\tnumber\tname\n");
    for seed in from..from + count {
        let s = specimen::specimen(seed, &font);
        let file = format!("card-{seed}.jpg");
        std::fs::write(dir.join(&file), &s.jpeg).map_err(|e| e.to_string())?;
        truth.push_str(&format!("{file}\t{}\t{}\n", s.face.number, s.face.name));
    }
    std::fs::write(dir.join("truth.tsv"), truth).map_err(|e| e.to_string())?;
    println!("{count} cards in {}", dir.display());
    Ok(())
}
