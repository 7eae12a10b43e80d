//! QR reading with rqrr: a ladder of preprocessing passes (scales, thresholds, inverse, blur)
//! tried in order until one decodes, since rqrr alone misses many real photographs.

use image::imageops::FilterType;
use image::GrayImage;
use serde::Serialize;

/// One decoded code: its text and its four corners in the picture's pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QrCode {
    pub text: String,
    pub corners: [(f32, f32); 4],
}

/// One way of preparing the picture for rqrr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QrPass {
    /// rqrr's own row-average threshold on the picture (long edge capped).
    Plain,
    /// The same on the inverse (light code on a dark screen or print).
    Inverse,
    /// Half size: coarse noise and over-large pictures.
    Half,
    /// Local-mean threshold over a window about a tenth of the picture.
    LocalMean,
    /// One global Otsu threshold.
    Otsu,
    /// Twice the size: small codes with modules of one or two pixels.
    Double,
    /// A slight Gaussian blur first: halftone, moiré and JPEG noise.
    Blurred,
    /// Local mean on the inverse.
    InverseLocalMean,
    /// A quarter size, for pictures whose code fills them at high resolution.
    Quarter,
    /// Local mean with a small window: uneven light across the code.
    LocalMeanSmall,
}

impl QrPass {
    pub fn code(self) -> &'static str {
        match self {
            QrPass::Plain => "plain",
            QrPass::Inverse => "inverse",
            QrPass::Half => "half",
            QrPass::LocalMean => "local_mean",
            QrPass::Otsu => "otsu",
            QrPass::Double => "double",
            QrPass::Blurred => "blurred",
            QrPass::InverseLocalMean => "inverse_local_mean",
            QrPass::Quarter => "quarter",
            QrPass::LocalMeanSmall => "local_mean_small",
        }
    }
}

/// The passes `read_qr` tries, cheapest and most fruitful first.
pub const DEFAULT_PASSES: &[QrPass] = &[
    QrPass::Plain,
    QrPass::Inverse,
    QrPass::LocalMean,
    QrPass::Half,
    QrPass::Otsu,
    QrPass::Blurred,
    QrPass::Double,
    QrPass::InverseLocalMean,
    QrPass::LocalMeanSmall,
    QrPass::Quarter,
];

/// What a read found and which pass found it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QrRead {
    pub codes: Vec<QrCode>,
    pub pass: Option<QrPass>,
    pub passes_tried: usize,
}

/// Pictures are capped to this long edge before the passes (phone photos are far larger than a
/// code needs).
const MAX_EDGE: u32 = 1280;

/// Reads every QR code in `gray` with the default passes.
pub fn read_qr(gray: &GrayImage) -> Vec<QrCode> {
    read_qr_with(gray, DEFAULT_PASSES).codes
}

/// Tries `passes` in order and stops at the first that decodes anything.
pub fn read_qr_with(gray: &GrayImage, passes: &[QrPass]) -> QrRead {
    let (base, base_scale) = cap_size(gray);
    let mut tried = 0;
    for &pass in passes {
        tried += 1;
        let codes = run_pass(&base, pass)
            .into_iter()
            .map(|mut c| {
                for p in &mut c.corners {
                    p.0 *= base_scale;
                    p.1 *= base_scale;
                }
                c
            })
            .collect::<Vec<_>>();
        if !codes.is_empty() {
            return QrRead {
                codes,
                pass: Some(pass),
                passes_tried: tried,
            };
        }
    }
    QrRead {
        codes: Vec::new(),
        pass: None,
        passes_tried: tried,
    }
}

fn cap_size(gray: &GrayImage) -> (GrayImage, f32) {
    let long = gray.width().max(gray.height());
    if long <= MAX_EDGE {
        return (gray.clone(), 1.0);
    }
    let s = MAX_EDGE as f32 / long as f32;
    let (w, h) = (
        ((gray.width() as f32 * s).round() as u32).max(1),
        ((gray.height() as f32 * s).round() as u32).max(1),
    );
    (
        image::imageops::resize(gray, w, h, FilterType::Triangle),
        1.0 / s,
    )
}

fn resized(gray: &GrayImage, factor: f32) -> Option<GrayImage> {
    let (w, h) = (
        (gray.width() as f32 * factor).round() as u32,
        (gray.height() as f32 * factor).round() as u32,
    );
    if w < 21 || h < 21 || w.max(h) > 2 * MAX_EDGE {
        return None;
    }
    Some(image::imageops::resize(gray, w, h, FilterType::Triangle))
}

fn inverse(gray: &GrayImage) -> GrayImage {
    let mut g = gray.clone();
    image::imageops::invert(&mut g);
    g
}

fn local_mean(gray: &GrayImage, divisor: u32) -> GrayImage {
    let radius = (gray.width().max(gray.height()) / divisor).clamp(4, 64);
    imageproc::contrast::adaptive_threshold(gray, radius)
}

fn otsu(gray: &GrayImage) -> GrayImage {
    let level = imageproc::contrast::otsu_level(gray);
    imageproc::contrast::threshold(gray, level, imageproc::contrast::ThresholdType::Binary)
}

fn run_pass(base: &GrayImage, pass: QrPass) -> Vec<QrCode> {
    match pass {
        QrPass::Plain => decode_gray(base, 1.0),
        QrPass::Inverse => decode_gray(&inverse(base), 1.0),
        QrPass::Half => resized(base, 0.5).map_or(Vec::new(), |g| decode_gray(&g, 2.0)),
        QrPass::Quarter => resized(base, 0.25).map_or(Vec::new(), |g| decode_gray(&g, 4.0)),
        QrPass::Double => {
            if base.width().max(base.height()) > 640 {
                return Vec::new();
            }
            resized(base, 2.0).map_or(Vec::new(), |g| decode_gray(&g, 0.5))
        }
        QrPass::LocalMean => decode_bitmap(&local_mean(base, 10), 1.0),
        QrPass::LocalMeanSmall => decode_bitmap(&local_mean(base, 40), 1.0),
        QrPass::InverseLocalMean => decode_bitmap(&local_mean(&inverse(base), 10), 1.0),
        QrPass::Otsu => decode_bitmap(&otsu(base), 1.0),
        QrPass::Blurred => decode_gray(&imageproc::filter::gaussian_blur_f32(base, 1.2), 1.0),
    }
}

/// Detects and decodes every grid of a prepared rqrr image (whose type rqrr does not export).
macro_rules! decode_prepared {
    ($prepared:expr, $scale:expr) => {{
        let mut prepared = $prepared;
        let mut out: Vec<QrCode> = Vec::new();
        for grid in prepared.detect_grids() {
            if let Ok((_, text)) = grid.decode() {
                if out.iter().any(|c| c.text == text) {
                    continue;
                }
                let b = grid.bounds;
                out.push(QrCode {
                    text,
                    corners: [0, 1, 2, 3].map(|i| (b[i].x as f32 * $scale, b[i].y as f32 * $scale)),
                });
            }
        }
        out
    }};
}

/// rqrr has panicked on odd inputs in the past; a bad frame must never take the app down.
fn guarded(f: impl FnOnce() -> Vec<QrCode>) -> Vec<QrCode> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_default()
}

fn decode_gray(gray: &GrayImage, scale: f32) -> Vec<QrCode> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let raw = gray.as_raw();
    guarded(|| {
        decode_prepared!(
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]),
            scale
        )
    })
}

/// `bitmap`: 0 is dark, anything else light.
fn decode_bitmap(bitmap: &GrayImage, scale: f32) -> Vec<QrCode> {
    let (w, h) = (bitmap.width() as usize, bitmap.height() as usize);
    let raw = bitmap.as_raw();
    guarded(|| {
        decode_prepared!(
            rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| raw[y * w + x] == 0),
            scale
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in DEFAULT_PASSES {
            assert!(seen.insert(p.code()));
        }
    }

    #[test]
    fn nothing_in_a_blank_picture() {
        let g = GrayImage::from_pixel(300, 200, image::Luma([200]));
        let r = read_qr_with(&g, DEFAULT_PASSES);
        assert!(r.codes.is_empty());
        assert_eq!(r.pass, None);
        assert_eq!(r.passes_tried, DEFAULT_PASSES.len());
    }
}
