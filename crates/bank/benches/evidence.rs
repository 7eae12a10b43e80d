//! Benchmark of one evidence picture's way into the vault (not a timed test): a 1600×1200 JPEG
//! from a phone camera is checked (magic bytes, marker walk, header size), decoded, re-encoded
//! without metadata at the stored quality, and sealed with AES-256-GCM under a case's data key.
//! Reports the median and the 90th percentile over many runs, and each stage's median.
//!
//! `cargo bench -p reset-bank --bench evidence [-- --runs N]`. Not with `--profile dev`: the
//! codec's and AES's generic code is instantiated in our crates, which that profile leaves
//! unoptimised (about 8 times slower).

use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use reset_bank::evidence::picture::{clean, walk_markers};
use reset_bank::evidence::{EvidenceSettings, Vault};
use reset_bank::rng::os_rng;
use reset_testkit::pictures::{jpeg, with_exif_gps};

fn runs() -> usize {
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--runs" {
            return it.next().and_then(|n| n.parse().ok()).unwrap_or(200);
        }
    }
    200
}

/// A photo-like 1600×1200 picture: smooth gradients with fine texture and some print-like
/// edges, which is what costs a JPEG codec (flat colour would flatter it).
fn photo() -> Vec<u8> {
    let mut seed = 0x2545_F491u32;
    let img = RgbImage::from_fn(1600, 1200, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as i32 - 12;
        let text = if (y / 18) % 5 == 1 && (x / 9) % 3 != 0 && x > 300 && x < 1400 {
            -120
        } else {
            0
        };
        let base = |v: u32| (v as i32 + noise + text).clamp(0, 255) as u8;
        Rgb([
            base(120 + x / 16),
            base(100 + y / 12),
            base(180 - (x + y) / 30),
        ])
    });
    with_exif_gps(&jpeg(&img))
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n = runs();
    let input = photo();
    let settings = EvidenceSettings::default();
    let rules = settings.picture_rules();
    let rng = os_rng();
    let vault = Vault::from_text(reset_testkit::TEST_MASTER_KEYS).unwrap();
    let (key, _) = vault.new_data_key("bench-case", &rng).unwrap();
    // Warm up: first decode pays for tables and allocations.
    for _ in 0..3 {
        clean(&input, &rules).unwrap();
    }
    let (mut total, mut check, mut codec, mut seal) = (vec![], vec![], vec![], vec![]);
    let mut out_bytes = 0;
    for _ in 0..n {
        let t0 = Instant::now();
        walk_markers(&input).unwrap();
        let t1 = Instant::now();
        let pic = clean(&input, &rules).unwrap();
        let t2 = Instant::now();
        let sealed = key
            .seal(
                "bench-case",
                "0123456789abcdef0123456789abcdef",
                &pic.jpeg,
                &rng,
            )
            .unwrap();
        let t3 = Instant::now();
        out_bytes = sealed.len();
        check.push(t1 - t0);
        codec.push(t2 - t1);
        seal.push(t3 - t2);
        // `clean` walks the markers itself; the total counts that once.
        total.push(t3 - t1);
    }
    println!(
        "evidence picture 1600x1200 JPEG ({} KB in, {} KB sealed), {n} runs, one thread:",
        input.len() / 1024,
        out_bytes / 1024
    );
    println!(
        "  validate + decode + re-encode (q{}) + seal: median {}, p90 {}",
        rules.quality,
        ms(percentile(&mut total.clone(), 0.5)),
        ms(percentile(&mut total, 0.9))
    );
    println!(
        "  stages (median): marker walk {}, decode+re-encode {}, AES-256-GCM seal {}",
        ms(percentile(&mut check, 0.5)),
        ms(percentile(&mut codec, 0.5)),
        ms(percentile(&mut seal, 0.5))
    );
}
