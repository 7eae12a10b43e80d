//! Reading generated ID cards with the real models: names with and without the middle dot,
//! valid numbers, perspective, blur, uneven light and JPEG artefacts. The models must have been
//! fetched (scripts/fetch-models; CI runs it first) and fonts-noto-cjk installed.

use std::sync::OnceLock;

use image::{Rgb, RgbImage};
use imageproc::drawing::draw_text_mut;
use reset_ocr::{decode_picture, IdCardReading, Ocr};
use reset_testkit::specimen::FontVec;
use reset_testkit::specimen::{self, CardFace, Conditions};
use time::macros::date;
use time::Date;

const TODAY: Date = date!(2026 - 11 - 27);

fn ocr() -> &'static Ocr {
    static OCR: OnceLock<Ocr> = OnceLock::new();
    OCR.get_or_init(|| {
        Ocr::load_default().unwrap_or_else(|e| {
            panic!("the OCR tests need the models: {e}\n(CI runs scripts/fetch-models before the tests)")
        })
    })
}

fn font() -> &'static FontVec {
    static FONT: OnceLock<FontVec> = OnceLock::new();
    FONT.get_or_init(|| specimen::load_font().unwrap_or_else(|e| panic!("{e}")))
}

fn read(jpeg: &[u8]) -> IdCardReading {
    let img = decode_picture(jpeg).expect("a generated JPEG decodes");
    ocr().read_id_card(&img).expect("reading runs")
}

/// Reads the cards of `seeds` and checks every field against what was printed.
fn cards_read_right(seeds: std::ops::RangeInclusive<u64>) {
    let mut wrong = Vec::new();
    for seed in seeds {
        let s = specimen::specimen(seed, font());
        let r = read(&s.jpeg);
        let f = &s.face;
        if r.accepted_number() != Some(f.number.as_str())
            || r.name.as_deref() != Some(f.name.as_str())
            || r.sex != Some(f.sex)
            || r.birth_date != Some(f.birth_date)
            || !r.complete_and_consistent(TODAY)
        {
            wrong.push(format!(
                "seed {seed} ({:?}): printed {f:?}, read {r:?}",
                s.conditions
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn generated_cards_one_to_four_read_right() {
    // Seed 4 carries a name with the middle dot.
    cards_read_right(1..=4);
}

#[test]
fn generated_cards_five_to_eight_read_right() {
    // Seed 8 carries a name with the middle dot.
    cards_read_right(5..=8);
}

#[test]
fn a_badly_photographed_card_still_gives_its_number_and_name() {
    let face = specimen::random_face(21);
    let harsh = Conditions {
        tilt_deg: -12.0,
        perspective: 0.06,
        blur: 1.6,
        uneven_light: 0.55,
        jpeg_quality: 30,
    };
    let s = specimen::specimen_with(face.clone(), harsh, 21, font());
    let r = read(&s.jpeg);
    assert_eq!(r.accepted_number(), Some(face.number.as_str()), "{r:?}");
    assert_eq!(r.name.as_deref(), Some(face.name.as_str()), "{r:?}");
}

#[test]
fn a_number_whose_check_digit_fails_is_read_but_not_accepted() {
    let mut face = specimen::random_face(33);
    let last = face.number.pop().expect("18 characters");
    face.number.push(if last == '1' { '2' } else { '1' });
    let s = specimen::specimen_with(face.clone(), Conditions::random(2), 33, font());
    let r = read(&s.jpeg);
    assert_eq!(r.number.as_deref(), Some(face.number.as_str()), "{r:?}");
    assert!(!r.check_digit_holds);
    assert_eq!(r.accepted_number(), None);
    // Without an accepted number there is nothing to check sex and birth date against.
    assert_eq!(r.sex_matches(TODAY), None);
    assert!(!r.complete_and_consistent(TODAY));
}

#[test]
fn a_rendered_line_reads_exactly_and_a_bare_table_reads_nothing() {
    let mut img = RgbImage::from_pixel(760, 80, Rgb([255, 255, 255]));
    draw_text_mut(
        &mut img,
        Rgb([0, 0, 0]),
        20,
        18,
        40.0,
        font(),
        "公民身份号码11010519491231002X",
    );
    let lines = ocr().read_text(&img).expect("reading runs");
    let text: String = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        text.replace(' ', ""),
        "公民身份号码11010519491231002X",
        "{lines:?}"
    );

    let table = RgbImage::from_fn(800, 560, |x, y| {
        Rgb([90 + ((x * 7 + y * 13) % 11) as u8, 70, 50])
    });
    let r = ocr().read_id_card(&table).expect("reading runs");
    assert_eq!(r, IdCardReading::default());
}

#[test]
fn a_card_with_blocks_for_print_gives_no_number_and_no_name() {
    // The capture crate's generated cards carry dark blocks where the print would be; reading
    // one must not invent a number or a name.
    let mut card = RgbImage::from_pixel(856, 540, Rgb([230, 234, 238]));
    for line in 0..9u32 {
        let mut x = 60u32;
        while x < 500 {
            let w = 14 + (line * 7 + x) % 22;
            for yy in 70 + line * 50..88 + line * 50 {
                for xx in x..(x + w).min(530) {
                    card.put_pixel(xx, yy, Rgb([30, 30, 40]));
                }
            }
            x += w + 6 + (x % 8);
        }
    }
    let r = ocr().read_id_card(&card).expect("reading runs");
    assert_eq!(r.number, None, "{r:?}");
    assert_eq!(r.name, None, "{r:?}");
}

#[test]
fn one_engine_serves_two_threads_at_once() {
    let cards: Vec<(CardFace, Vec<u8>)> = [4u64, 5]
        .iter()
        .map(|&seed| {
            let s = specimen::specimen(seed, font());
            (s.face, s.jpeg)
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = cards
            .iter()
            .map(|(face, jpeg)| scope.spawn(move || (face, read(jpeg))))
            .collect();
        for h in handles {
            let (face, r) = h.join().expect("no panic");
            assert_eq!(r.accepted_number(), Some(face.number.as_str()));
            assert_eq!(r.name.as_deref(), Some(face.name.as_str()));
        }
    });
}

#[test]
fn number_and_name_alone_read_right() {
    // Seed 4 carries a name with the middle dot.
    for seed in [2, 4] {
        let s = specimen::specimen(seed, font());
        let img = decode_picture(&s.jpeg).expect("a generated JPEG decodes");
        let r = ocr().read_number_and_name(&img).expect("reading runs");
        assert_eq!(
            r.accepted_number(),
            Some(s.face.number.as_str()),
            "seed {seed}"
        );
        assert_eq!(r.name.as_deref(), Some(s.face.name.as_str()), "seed {seed}");
    }
}

#[test]
fn the_shared_engine_is_loaded_once_per_folder_and_a_failed_load_is_not_kept() {
    let a = Ocr::shared_default().expect("the models");
    let b = Ocr::shared_default().expect("the models");
    assert!(std::sync::Arc::ptr_eq(&a, &b), "loaded twice");
    let empty = std::env::temp_dir().join(format!("reset-ocr-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    assert!(Ocr::shared(&empty).is_err());
    // Still an error, not a cached engine of another folder.
    assert!(Ocr::shared(&empty).is_err());
    std::fs::remove_dir_all(&empty).unwrap();
}
