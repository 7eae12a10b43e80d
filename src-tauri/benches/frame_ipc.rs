//! What the phones' camera costs on the IPC: bytes per second from the screen to the core at
//! the screen's 8 frames a second of 1280×720 JPEG (quality 85, as the screen's `toBlob`),
//! sent as Android's IPC made of raw bytes (a JSON array of numbers) against the base64 string
//! the screen sends there now and the raw body of desktop and iOS; and what reading each body
//! back into bytes costs the core (median).
//!
//! Frames: rustface's test photograph (a group of people) and a generated ID-card scene, both
//! 1280×720.
//!
//! Run: `cargo bench -p reset-app --bench frame_ipc`.

use std::time::{Duration, Instant};

use base64::Engine;
use image::imageops::FilterType;
use reset_capture::{encode_jpeg, JpegSpec};
use reset_testkit::synth::{card_frame, flat_card, rustface_test_picture, CardScene};

/// The screen's frame rate (ui/webcam.js: one frame every 125 ms).
const FPS: usize = 8;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_each<T>(reps: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn kib_s(bytes_per_frame: usize) -> f64 {
    (bytes_per_frame * FPS) as f64 / 1024.0
}

fn main() {
    let spec = JpegSpec {
        max_edge: 1280,
        quality: 85,
        min_quality: 85,
        max_bytes: usize::MAX,
    };
    let photo = rustface_test_picture()
        .map(|p| image::imageops::resize(&p, 1280, 720, FilterType::Triangle));
    let card = card_frame(&flat_card(None, 7), &CardScene::standard());
    println!("frame                 JPEG B   array B/s KiB  base64 B/s KiB  raw B/s KiB  array→bytes  base64→bytes");
    for (name, picture) in [("photo 1280×720", photo), ("ID card 1280×720", Some(card))] {
        let Some(picture) = picture else {
            println!("{name}: rustface's test picture was not found");
            continue;
        };
        let jpeg = encode_jpeg(&picture, &spec).unwrap();
        let array = serde_json::to_string(&jpeg).unwrap();
        let text = base64::engine::general_purpose::STANDARD.encode(&jpeg);
        let object = serde_json::to_string(&serde_json::json!({ "jpeg": text })).unwrap();
        // The core's side of each: the IPC's JSON parsed, then the bytes taken out of it.
        let from_array = time_each(50, || {
            let v: serde_json::Value = serde_json::from_str(&array).unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap() as u8)
                .collect::<Vec<u8>>()
        });
        let from_base64 = time_each(50, || {
            let v: serde_json::Value = serde_json::from_str(&object).unwrap();
            base64::engine::general_purpose::STANDARD
                .decode(v["jpeg"].as_str().unwrap())
                .unwrap()
        });
        println!(
            "{name:<20} {:>8}  {:>14.0}  {:>14.0}  {:>11.0}  {:>8.2} ms  {:>9.2} ms",
            jpeg.len(),
            kib_s(array.len()),
            kib_s(object.len()),
            kib_s(jpeg.len()),
            from_array.as_secs_f64() * 1000.0,
            from_base64.as_secs_f64() * 1000.0,
        );
    }
}
