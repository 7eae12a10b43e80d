//! The `reset-ocr` binary: `idcard` prints one line per file, and missing models are a clear
//! error.

use std::process::Command;

use reset_testkit::specimen;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("reset-ocr-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn idcard_prints_file_number_check_and_name_per_file() {
    let dir = scratch("idcard");
    let font = specimen::load_font().unwrap_or_else(|e| panic!("{e}"));
    let s = specimen::specimen(8, &font);
    let card = dir.join("card.jpg");
    std::fs::write(&card, &s.jpeg).unwrap();
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, b"not a picture").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_reset-ocr"))
        .arg("idcard")
        .arg(&card)
        .arg(&junk)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("model"),
        "the OCR tests need the models: run scripts/fetch-models first\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{}\t{}\tyes\t{}",
                card.display(),
                s.face.number,
                s.face.name
            ),
            format!("{}\t\tno\t", junk.display()),
        ],
        "{stderr}"
    );
    // The unreadable file makes the run fail, after the others were read.
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("junk.jpg"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_models_say_how_to_fetch_them() {
    let dir = scratch("nomodels");
    let out = Command::new(env!("CARGO_BIN_EXE_reset-ocr"))
        .args(["idcard", "some.jpg"])
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
