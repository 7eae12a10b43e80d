//! Every uploaded picture's whole treatment (`clean_with_preview`, which is `clean` and the
//! small copy the face finder works on): recognised, walked, its size read from the header
//! and capped, decoded, re-encoded. The caps are small so each run decodes little and stays
//! quick. A picture that passes comes out as a JPEG of the size recorded for it, within the
//! stored long edge.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reset_bank::evidence::picture::{clean_with_preview, walk_markers, PictureRules, FACE_EDGE};
use reset_flow::ErrorCode;

const RULES: PictureRules = PictureRules {
    // 128 × 128: enough for the seeds' small photos, small enough for thousands of runs a
    // second; pictures over it are refused from their header, before decoding.
    max_pixels: 128 * 128,
    // Pictures wider than this are scaled down, smaller ones kept at their size.
    max_edge: 48,
    quality: 85,
};

fuzz_target!(init: let_decoder_panics_unwind(), |data: &[u8]| {
    match clean_with_preview(data, &RULES) {
        Ok((pic, preview)) => {
            assert!(pic.width >= 1 && pic.height >= 1);
            assert!(pic.width.max(pic.height) <= RULES.max_edge);
            assert_eq!(walk_markers(&pic.jpeg), Ok(pic.jpeg.len()));
            // The size recorded with the stored picture is the stored picture's size.
            let stored = image::load_from_memory_with_format(&pic.jpeg, image::ImageFormat::Jpeg)
                .expect("the stored picture decodes");
            assert_eq!((stored.width(), stored.height()), (pic.width, pic.height));
            assert!(preview.width() >= 1 && preview.height() >= 1);
            assert!(preview.width().max(preview.height()) <= FACE_EDGE);
            assert!(u64::from(preview.width()) * u64::from(preview.height()) <= RULES.max_pixels);
        }
        Err(code) => assert!(
            matches!(
                code,
                ErrorCode::EvidenceEmpty
                    | ErrorCode::EvidenceNotJpeg
                    | ErrorCode::EvidenceCorrupt
                    | ErrorCode::EvidenceTooManyPixels
            ),
            "{code:?}"
        ),
    }
});

/// libfuzzer-sys aborts at every panic, caught or not. `clean` catches the JPEG decoder's
/// panics (zune-jpeg panics on some crafted files: fuzz/regressions/picture_clean) and refuses
/// the picture, so those are let unwind to it and the fuzzer goes on; any other panic aborts as
/// before, and a decoder panic `clean` failed to catch still aborts in libfuzzer-sys's catch.
fn let_decoder_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("zune-jpeg"))
        {
            return;
        }
        abort(info);
    }));
}
