//! The rxing reader (zxing-cpp's QR finder and sampler ported to Rust) behind the pass ladder:
//! it reads most pictures in well under a millisecond, where an rqrr pass costs several.

use std::collections::HashSet;

use image::GrayImage;
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source};

use super::QrCode;

/// Which of rxing's binarisers turns the grey picture into black and white.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Binariser {
    /// Local blocks (zxing's default): uneven light, photographs.
    Hybrid,
    /// One level from the histogram per row band: blurred or low-contrast prints.
    Histogram,
}

/// Every QR code rxing finds in `gray`.
pub(super) fn decode(gray: &GrayImage, binariser: Binariser) -> Vec<QrCode> {
    let Ok(source) = Luma8Source::new_with_slice(gray.as_raw(), gray.width(), gray.height()) else {
        return Vec::new();
    };
    match binariser {
        Binariser::Hybrid => read_all(BinaryBitmap::new(HybridBinarizer::new(source))),
        Binariser::Histogram => read_all(BinaryBitmap::new(GlobalHistogramBinarizer::new(source))),
    }
}

fn read_all<B: Binarizer>(mut bitmap: BinaryBitmap<B>) -> Vec<QrCode> {
    let hints = DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        ..DecodeHints::default()
    };
    let Ok(results) = QrReader.decode_multiple_with_hints(&mut bitmap, &hints) else {
        return Vec::new();
    };
    let mut out: Vec<QrCode> = Vec::new();
    for r in results {
        let text = r.getText().to_owned();
        if out.iter().any(|c| c.text == text) {
            continue;
        }
        let p = r.getPoints();
        let corners = match p {
            [a, b, c, d, ..] => [(a.x, a.y), (b.x, b.y), (c.x, c.y), (d.x, d.y)],
            // Three finder centres (bottom-left, top-left, top-right): the fourth completes the
            // parallelogram.
            [bl, tl, tr] => [
                (tl.x, tl.y),
                (tr.x, tr.y),
                (tr.x + bl.x - tl.x, tr.y + bl.y - tl.y),
                (bl.x, bl.y),
            ],
            _ => continue,
        };
        out.push(QrCode { text, corners });
    }
    out
}
