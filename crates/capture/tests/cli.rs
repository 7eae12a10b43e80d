//! The `capture` command line tool, run as a process.

use std::process::Command;

fn capture(args: &[&str]) -> (String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_capture"))
        .args(args)
        .output()
        .unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.success())
}

#[test]
fn qr_face_and_card_print_one_line_per_file() {
    let dir = std::env::temp_dir().join(format!("capture-cli-{}", std::process::id()));
    let written = reset_testkit::synth::write_samples(&dir).unwrap();
    assert!(written.len() >= 4, "{written:?}");

    // A QR code with a line break in its text, saved as PNG.
    let code = qrcode::QrCode::new(b"line one\nline two").unwrap();
    let n = code.width() as u32;
    let colors = code.to_colors();
    let img = image::GrayImage::from_fn((n + 8) * 4, (n + 8) * 4, |x, y| {
        let (mx, my) = (x / 4, y / 4);
        let dark = mx >= 4
            && my >= 4
            && mx < n + 4
            && my < n + 4
            && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let qr_png = dir.join("qr.png");
    img.save(&qr_png).unwrap();
    let back = dir.join("card-back.jpg");
    let (out, ok) = capture(&["qr", qr_png.to_str().unwrap(), back.to_str().unwrap()]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[0],
        format!("{}\tline one\\nline two", qr_png.display())
    );
    assert_eq!(lines[1], back.display().to_string());

    let face = dir.join("face.jpg");
    let (out, ok) = capture(&["face", face.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(out.trim_end().split('\t').count(), 2, "{out}");

    let flat_dir = dir.join("flat");
    let blurred = dir.join("card-blurred.jpg");
    let (out, ok) = capture(&[
        "card",
        "--out",
        flat_dir.to_str().unwrap(),
        back.to_str().unwrap(),
        blurred.to_str().unwrap(),
    ]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("\toutline ") && lines[0].ends_with("\tready"),
        "{out}"
    );
    assert!(
        lines[1].contains("not_ready") && lines[1].contains("too_blurry"),
        "{out}"
    );
    assert!(flat_dir.join("card-back.card.jpg").is_file());

    let (out, ok) = capture(&["probe", &format!("dir:{}", dir.display())]);
    assert!(ok && out.contains("frame 1280x720 at 0 ms"), "{out}");
    if !cfg!(desktop_camera) {
        let out = Command::new(env!("CARGO_BIN_EXE_capture"))
            .args(["probe", "camera:0"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no_camera"));
    }

    let (_, ok) = capture(&["nonsense"]);
    assert!(!ok);
    std::fs::remove_dir_all(&dir).unwrap();
}
