//! `capture idcard` on generated card fronts (reset-ocr's specimens), run as a process: the
//! number, whether its check digit holds and the name, one line per file. Needs the models
//! (scripts/fetch-models) and fonts-noto-cjk.
#![cfg(feature = "ocr")]

use std::path::PathBuf;
use std::process::Command;

use reset_testkit::specimen;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("capture-idcard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn idcard_prints_number_check_and_name_per_file() {
    let dir = scratch("cards");
    let font = specimen::load_font().unwrap_or_else(|e| panic!("{e}"));
    // Seed 4 carries a name with the middle dot.
    let cards: Vec<_> = [3, 4]
        .into_iter()
        .map(|seed| {
            let s = specimen::specimen(seed, &font);
            let path = dir.join(format!("card-{seed}.jpg"));
            std::fs::write(&path, &s.jpeg).unwrap();
            (path, s.face)
        })
        .collect();
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, b"not a picture").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_capture"))
        .arg("idcard")
        .args(cards.iter().map(|(p, _)| p))
        .arg(&junk)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("fetch-models"),
        "the OCR tests need the models: run scripts/fetch-models first\n{stderr}"
    );
    let mut expected: Vec<String> = cards
        .iter()
        .map(|(p, face)| format!("{}\t{}\tyes\t{}", p.display(), face.number, face.name))
        .collect();
    expected.push(format!("{}\t\tno\t", junk.display()));
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected, "{stderr}");
    // The unreadable file fails the run, after every other file was read.
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("junk.jpg"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn idcard_without_models_says_how_to_fetch_them_and_prints_nothing() {
    let dir = scratch("nomodels");
    let out = Command::new(env!("CARGO_BIN_EXE_capture"))
        .args(["idcard", "card.jpg"])
        .env("RESET_MODEL_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ppocrv5_det.onnx"), "{stderr}");
    assert!(stderr.contains("scripts/fetch-models"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
