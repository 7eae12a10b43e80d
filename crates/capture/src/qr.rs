//! QR reading: a ladder of passes (scales, thresholds, inverse, blur, turns), each read by rxing
//! or rqrr, tried in order until one decodes, since no reader alone reads every photograph.

mod zxing;

use image::imageops::FilterType;
use image::GrayImage;
use serde::Serialize;

/// One decoded code: its text and its four corners in the picture's pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QrCode {
    pub text: String,
    pub corners: [(f32, f32); 4],
}

/// How a pass scales the picture before thresholding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    Native,
    Half,
    Quarter,
    /// Twice the size, bilinear: small photographed codes.
    Double,
    /// Two or three times the size, nearest neighbour: rendered codes with 1-pixel modules.
    Nearest2,
    Nearest3,
}

/// How a pass turns grey into black and white, and so which reader reads it: rxing for the
/// zxing binarisers, rqrr for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// rxing with zxing's hybrid (local block) binariser.
    Zxing,
    /// rxing with zxing's global histogram binariser.
    ZxingHistogram,
    /// rqrr's own running row average.
    Rqrr,
    /// Mean over a square window whose radius is the long edge divided by this.
    LocalMean(u32),
    /// Dark only when this much darker than the mean over a window (radius: long edge / the
    /// first number): flat areas stay white instead of turning to noise, which spares rqrr
    /// thousands of false finder candidates.
    LocalMeanBelow(u32, u8),
    /// One global Otsu level.
    Otsu,
}

/// One way of preparing the picture for rqrr: scale, then invert, then pad with a light quiet
/// zone, then blur, then threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct QrPass {
    pub name: &'static str,
    pub scale: Scale,
    /// Light code on a dark ground (screens, inverted prints).
    pub invert: bool,
    /// Add a light border: codes cropped without their quiet zone.
    pub pad: bool,
    /// A slight Gaussian blur: halftone, moiré, JPEG noise, dotted modules.
    pub blur: bool,
    /// Quarter turns clockwise: rqrr fits the grid from other corners and samples differently,
    /// which rescues codes it misreads upright.
    pub rotate: u8,
    pub threshold: Threshold,
}

impl QrPass {
    pub fn code(self) -> &'static str {
        self.name
    }

    const fn new(name: &'static str, scale: Scale, threshold: Threshold) -> QrPass {
        QrPass {
            name,
            scale,
            invert: false,
            pad: false,
            blur: false,
            rotate: 0,
            threshold,
        }
    }

    const fn rotated(mut self) -> QrPass {
        self.rotate = 1;
        self
    }

    const fn turned(mut self, quarters: u8) -> QrPass {
        self.rotate = quarters;
        self
    }

    const fn inverted(mut self) -> QrPass {
        self.invert = true;
        self
    }

    const fn padded(mut self) -> QrPass {
        self.pad = true;
        self
    }

    const fn blurred(mut self) -> QrPass {
        self.blur = true;
        self
    }
}

use Scale::*;
use Threshold::*;

/// rqrr as it comes.
pub const PLAIN: QrPass = QrPass::new("plain", Native, Rqrr);

/// Every pass the crate knows, for measuring what each buys (`capture qr-corpus --matrix`).
pub const ALL_PASSES: &[QrPass] = &[
    PLAIN,
    QrPass::new("zxing", Native, Zxing),
    QrPass::new("zxing_histogram", Native, ZxingHistogram),
    QrPass::new("zxing_inverse", Native, Zxing).inverted(),
    QrPass::new("zxing_inverse_histogram", Native, ZxingHistogram).inverted(),
    QrPass::new("zxing_padded", Native, Zxing).padded(),
    QrPass::new("zxing_half", Half, Zxing),
    QrPass::new("zxing_half_histogram", Half, ZxingHistogram),
    QrPass::new("zxing_double", Double, Zxing),
    QrPass::new("zxing_double_histogram", Double, ZxingHistogram),
    QrPass::new("zxing_blurred", Native, Zxing).blurred(),
    QrPass::new("zxing_blurred_histogram", Native, ZxingHistogram).blurred(),
    QrPass::new("zxing_rotated", Native, Zxing).rotated(),
    QrPass::new("zxing_rotated_histogram", Native, ZxingHistogram).rotated(),
    QrPass::new("zxing_nearest3", Nearest3, Zxing),
    QrPass::new("inverse", Native, Rqrr).inverted(),
    QrPass::new("padded", Native, Rqrr).padded(),
    QrPass::new("inverse_padded", Native, Rqrr)
        .inverted()
        .padded(),
    QrPass::new("half", Half, Rqrr),
    QrPass::new("quarter", Quarter, Rqrr),
    QrPass::new("double", Double, Rqrr).padded(),
    QrPass::new("nearest2", Nearest2, Rqrr).padded(),
    QrPass::new("nearest3", Nearest3, Rqrr).padded(),
    QrPass::new("local_mean", Native, LocalMean(10)),
    QrPass::new("local_mean_wide", Native, LocalMean(4)).padded(),
    QrPass::new("local_mean_small", Native, LocalMean(40)),
    QrPass::new("inverse_local_mean", Native, LocalMean(10))
        .inverted()
        .padded(),
    QrPass::new("otsu", Native, Otsu).padded(),
    QrPass::new("inverse_otsu", Native, Otsu)
        .inverted()
        .padded(),
    QrPass::new("blurred", Native, Rqrr).blurred(),
    QrPass::new("blurred_otsu", Native, Otsu).blurred().padded(),
    QrPass::new("half_local_mean", Half, LocalMean(10)).padded(),
    QrPass::new("double_local_mean", Double, LocalMean(10)).padded(),
    QrPass::new("double_blurred", Double, Rqrr)
        .blurred()
        .padded(),
    QrPass::new("half_otsu", Half, Otsu).padded(),
    QrPass::new("half_inverse", Half, Rqrr).inverted().padded(),
    QrPass::new("rotated_local_mean", Native, LocalMean(10)).rotated(),
    QrPass::new("rotated_double", Double, Rqrr).rotated(),
    QrPass::new("local_mean_20", Native, LocalMean(20)),
    QrPass::new("local_mean_6", Native, LocalMean(6)),
    QrPass::new("blurred_local_mean", Native, LocalMean(10)).blurred(),
    QrPass::new("double_otsu", Double, Otsu),
    QrPass::new("nearest3_local_mean", Nearest3, LocalMean(10)),
    QrPass::new("rotated_blurred_otsu", Native, Otsu)
        .blurred()
        .rotated(),
    QrPass::new("turned2_local_mean", Native, LocalMean(10)).turned(2),
    QrPass::new("turned3_local_mean", Native, LocalMean(10)).turned(3),
    QrPass::new("turned2_double", Double, Rqrr).turned(2),
    QrPass::new("turned3_double", Double, Rqrr).turned(3),
    QrPass::new("turned2_local_mean_6", Native, LocalMean(6)).turned(2),
    QrPass::new("rotated_local_mean_6", Native, LocalMean(6)).rotated(),
    QrPass::new("rotated_double_otsu", Double, Otsu).rotated(),
    QrPass::new("turned2_plain", Native, Rqrr).turned(2),
    QrPass::new("below_10_8", Native, LocalMeanBelow(10, 8)),
    QrPass::new("below_10_4", Native, LocalMeanBelow(10, 4)),
    QrPass::new("rotated_below_10_8", Native, LocalMeanBelow(10, 8)).rotated(),
    QrPass::new("turned2_below_10_8", Native, LocalMeanBelow(10, 8)).turned(2),
    QrPass::new("below_6_8", Native, LocalMeanBelow(6, 8)),
    QrPass::new("rotated_below_6_8", Native, LocalMeanBelow(6, 8)).rotated(),
    QrPass::new("double_below_10_8", Double, LocalMeanBelow(10, 8)),
    QrPass::new("rotated_double_below", Double, LocalMeanBelow(10, 8)).rotated(),
    QrPass::new("below_20_12", Native, LocalMeanBelow(20, 12)),
    QrPass::new("half_below_10_8", Half, LocalMeanBelow(10, 8)).padded(),
];

/// The passes `read_qr` tries, in order: rxing first, as it reads most pictures in well under a
/// millisecond, then what the matrix (`capture qr-corpus --matrix`) shows each later pass gains
/// on the 137 corpus pictures with an expected text: `zxing` alone reads 118, the histogram
/// binariser adds 4, the inverse 3, half size 4, then two rqrr passes one each: 131. Every picture
/// the former rqrr-only ladder read (112) is among them.
pub const DEFAULT_PASSES: &[QrPass] = &[
    QrPass::new("zxing", Native, Zxing),
    QrPass::new("zxing_histogram", Native, ZxingHistogram),
    QrPass::new("zxing_inverse", Native, Zxing).inverted(),
    QrPass::new("zxing_half", Half, Zxing),
    QrPass::new("otsu", Native, Otsu).padded(),
    QrPass::new("rotated_double_otsu", Double, Otsu).rotated(),
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

fn cap_size(gray: &GrayImage) -> (std::borrow::Cow<'_, GrayImage>, f32) {
    let long = gray.width().max(gray.height());
    if long <= MAX_EDGE {
        return (std::borrow::Cow::Borrowed(gray), 1.0);
    }
    let s = MAX_EDGE as f32 / long as f32;
    let (w, h) = (
        ((gray.width() as f32 * s).round() as u32).max(1),
        ((gray.height() as f32 * s).round() as u32).max(1),
    );
    (
        std::borrow::Cow::Owned(image::imageops::resize(gray, w, h, FilterType::Triangle)),
        1.0 / s,
    )
}

fn resized(gray: &GrayImage, factor: f32, filter: FilterType) -> Option<GrayImage> {
    let (w, h) = (
        (gray.width() as f32 * factor).round() as u32,
        (gray.height() as f32 * factor).round() as u32,
    );
    if w < 21 || h < 21 || w.max(h) > 2 * MAX_EDGE {
        return None;
    }
    Some(image::imageops::resize(gray, w, h, filter))
}

fn padded(gray: &GrayImage) -> (GrayImage, u32) {
    let border = (gray.width().max(gray.height()) / 12).max(8);
    let mut out = GrayImage::from_pixel(
        gray.width() + 2 * border,
        gray.height() + 2 * border,
        image::Luma([255]),
    );
    image::imageops::replace(&mut out, gray, border as i64, border as i64);
    (out, border)
}

fn local_mean(gray: &GrayImage, divisor: u32) -> GrayImage {
    let radius = (gray.width().max(gray.height()) / divisor).clamp(4, 64);
    imageproc::contrast::adaptive_threshold(gray, radius)
}

/// 0 where a pixel is at least `c` below its window's mean, 255 elsewhere (integral image).
fn local_mean_below(gray: &GrayImage, divisor: u32, c: u8) -> GrayImage {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let r = (w.max(h) / divisor as usize).clamp(4, 64);
    let src = gray.as_raw();
    let stride = w + 1;
    let mut integral = vec![0u32; stride * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row += src[y * w + x] as u32;
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
        }
    }
    let mut out = vec![255u8; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                - integral[y0 * stride + x1]
                - integral[y1 * stride + x0];
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            if (src[y * w + x] as u32 + c as u32) * n < sum {
                out[y * w + x] = 0;
            }
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("sizes agree")
}

fn otsu(gray: &GrayImage) -> GrayImage {
    let level = imageproc::contrast::otsu_level(gray);
    imageproc::contrast::threshold(gray, level, imageproc::contrast::ThresholdType::Binary)
}

fn run_pass(base: &GrayImage, pass: QrPass) -> Vec<QrCode> {
    let small = base.width().max(base.height()) <= 640;
    let (img, factor) = match pass.scale {
        Native => (None, 1.0),
        Half => (resized(base, 0.5, FilterType::Triangle), 0.5),
        Quarter => (resized(base, 0.25, FilterType::Triangle), 0.25),
        Double if small => (resized(base, 2.0, FilterType::Triangle), 2.0),
        Nearest2 if small => (resized(base, 2.0, FilterType::Nearest), 2.0),
        Nearest3 if small => (resized(base, 3.0, FilterType::Nearest), 3.0),
        Double | Nearest2 | Nearest3 => return Vec::new(),
    };
    let mut img = match (pass.scale, img) {
        (Native, _) => std::borrow::Cow::Borrowed(base),
        (_, Some(i)) => std::borrow::Cow::Owned(i),
        (_, None) => return Vec::new(),
    };
    if pass.invert {
        let mut i = img.into_owned();
        image::imageops::invert(&mut i);
        img = std::borrow::Cow::Owned(i);
    }
    let mut offset = 0.0;
    if pass.pad {
        let (p, border) = padded(&img);
        img = std::borrow::Cow::Owned(p);
        offset = border as f32;
    }
    if pass.blur {
        img = std::borrow::Cow::Owned(imageproc::filter::gaussian_blur_f32(&img, 1.0));
    }
    let (pw, ph) = (img.width() as f32, img.height() as f32);
    img = match pass.rotate % 4 {
        1 => std::borrow::Cow::Owned(image::imageops::rotate90(img.as_ref())),
        2 => std::borrow::Cow::Owned(image::imageops::rotate180(img.as_ref())),
        3 => std::borrow::Cow::Owned(image::imageops::rotate270(img.as_ref())),
        _ => img,
    };
    let codes = match pass.threshold {
        Zxing => guarded(|| zxing::decode(&img, zxing::Binariser::Hybrid)),
        ZxingHistogram => guarded(|| zxing::decode(&img, zxing::Binariser::Histogram)),
        Rqrr => decode_gray(&img),
        LocalMean(divisor) => decode_bitmap(&local_mean(&img, divisor)),
        LocalMeanBelow(divisor, c) => decode_bitmap(&local_mean_below(&img, divisor, c)),
        Otsu => decode_bitmap(&otsu(&img)),
    };
    codes
        .into_iter()
        .map(|mut c| {
            for p in &mut c.corners {
                // Back from the turned picture: a quarter clockwise took (x, y) to (h-1-y, x).
                *p = match pass.rotate % 4 {
                    1 => (p.1, ph - 1.0 - p.0),
                    2 => (pw - 1.0 - p.0, ph - 1.0 - p.1),
                    3 => (pw - 1.0 - p.1, p.0),
                    _ => *p,
                };
                p.0 = (p.0 - offset) / factor;
                p.1 = (p.1 - offset) / factor;
            }
            c
        })
        .collect()
}

/// Detects and decodes every grid of a prepared rqrr image (whose type rqrr does not export).
macro_rules! decode_prepared {
    ($prepared:expr) => {{
        let mut prepared = $prepared;
        let mut out: Vec<QrCode> = Vec::new();
        for grid in prepared.detect_grids() {
            let mut bytes = Vec::new();
            if grid.decode_to(&mut bytes).is_ok() {
                let text = bytes_to_text(&bytes);
                if out.iter().any(|c| c.text == text) {
                    continue;
                }
                let b = grid.bounds;
                out.push(QrCode {
                    text,
                    corners: [0, 1, 2, 3].map(|i| (b[i].x as f32, b[i].y as f32)),
                });
            }
        }
        out
    }};
}

/// The payload as text: UTF-8 when it is valid UTF-8, else Shift_JIS when it decodes cleanly
/// (Japanese codes, common in the wild), else ISO-8859-1, the QR standard's default.
pub fn bytes_to_text(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let (sjis, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if !had_errors {
        return sjis.into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// rqrr has panicked on odd inputs in the past; a bad frame must never take the app down.
fn guarded(f: impl FnOnce() -> Vec<QrCode>) -> Vec<QrCode> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_default()
}

fn decode_gray(gray: &GrayImage) -> Vec<QrCode> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let raw = gray.as_raw();
    guarded(|| {
        decode_prepared!(rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            raw[y * w + x]
        }))
    })
}

/// `bitmap`: 0 is dark, anything else light.
fn decode_bitmap(bitmap: &GrayImage) -> Vec<QrCode> {
    let (w, h) = (bitmap.width() as usize, bitmap.height() as usize);
    let raw = bitmap.as_raw();
    guarded(|| {
        decode_prepared!(rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| raw
            [y * w + x]
            == 0))
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
    fn payload_encodings() {
        assert_eq!(bytes_to_text("ﾃﾞｻﾞｲﾝQR".as_bytes()), "ﾃﾞｻﾞｲﾝQR");
        // "モバイル" in Shift_JIS.
        assert_eq!(
            bytes_to_text(&[0x83, 0x82, 0x83, 0x6f, 0x83, 0x43, 0x83, 0x8b]),
            "モバイル"
        );
        assert_eq!(bytes_to_text(&[0x43, 0x61, 0x66, 0xe9]), "Café");
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
