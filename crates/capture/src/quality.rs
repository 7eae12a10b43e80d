//! Picture quality gates (focus, exposure, glare, motion), each turning a measure into a
//! [`Reason`] the screen can show.

use image::GrayImage;
use serde::Serialize;

use crate::Reason;

/// Where each gate trips. Measures are taken on the half-resolution luma of the region checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityLimits {
    /// Variance of the Laplacian below this is blurred.
    pub min_focus: f32,
    /// Mean luma below this is too dark.
    pub min_mean: f32,
    /// Mean luma above this is too bright.
    pub max_mean: f32,
    /// Share of pixels at or above `saturated` above this is glare.
    pub max_glare_share: f32,
    pub saturated: u8,
    /// Mean absolute difference between consecutive thumbnails above this is motion.
    pub max_motion: f32,
}

impl Default for QualityLimits {
    fn default() -> Self {
        QualityLimits {
            min_focus: 60.0,
            min_mean: 55.0,
            max_mean: 215.0,
            max_glare_share: 0.015,
            saturated: 250,
            max_motion: 6.0,
        }
    }
}

/// The measures of one region of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    pub focus: f32,
    pub mean: f32,
    pub glare_share: f32,
    /// Against the previous frame, when there was one.
    pub motion: Option<f32>,
}

impl Quality {
    /// The reasons this quality fails the limits, most useful first.
    pub fn reasons(&self, limits: &QualityLimits) -> Vec<Reason> {
        let mut out = Vec::new();
        if self.mean < limits.min_mean {
            out.push(Reason::TooDark);
        } else if self.mean > limits.max_mean {
            out.push(Reason::TooBright);
        }
        if self.glare_share > limits.max_glare_share {
            out.push(Reason::Glare);
        }
        if self.motion.is_some_and(|m| m > limits.max_motion) {
            out.push(Reason::Moving);
        }
        if self.focus < limits.min_focus {
            out.push(Reason::TooBlurry);
        }
        out
    }
}

/// Variance of the 4-neighbour Laplacian: sharp edges give large values, blur small ones.
pub fn focus(gray: &GrayImage) -> f32 {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let p = gray.as_raw();
    let (mut sum, mut sum2, mut n) = (0i64, 0i64, 0i64);
    for y in 1..h - 1 {
        let row = y * w;
        for x in 1..w - 1 {
            let i = row + x;
            let l = p[i - 1] as i32 + p[i + 1] as i32 + p[i - w] as i32 + p[i + w] as i32
                - 4 * p[i] as i32;
            sum += l as i64;
            sum2 += (l * l) as i64;
            n += 1;
        }
    }
    let mean = sum as f64 / n as f64;
    (sum2 as f64 / n as f64 - mean * mean) as f32
}

/// Mean luma and the share of pixels at or above `saturated`.
pub fn exposure(gray: &GrayImage, saturated: u8) -> (f32, f32) {
    let p = gray.as_raw();
    if p.is_empty() {
        return (0.0, 0.0);
    }
    let mut sum = 0u64;
    let mut bright = 0u64;
    for &v in p {
        sum += v as u64;
        bright += (v >= saturated) as u64;
    }
    (sum as f32 / p.len() as f32, bright as f32 / p.len() as f32)
}

/// A 64-pixel-wide thumbnail, what motion is measured on.
pub fn thumbnail(gray: &GrayImage) -> GrayImage {
    let w = 64u32;
    let h = (gray.height() * w / gray.width().max(1)).max(1);
    image::imageops::resize(gray, w, h, image::imageops::FilterType::Triangle)
}

/// Mean absolute difference between two thumbnails of the same size (0 if they differ in size).
pub fn motion(previous: &GrayImage, current: &GrayImage) -> f32 {
    if previous.dimensions() != current.dimensions() {
        return 0.0;
    }
    let a = previous.as_raw();
    let b = current.as_raw();
    let total: u64 = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as u64).sum();
    total as f32 / a.len().max(1) as f32
}

/// All measures of `gray` (already the region to judge).
pub fn measure(gray: &GrayImage, limits: &QualityLimits, motion: Option<f32>) -> Quality {
    let (mean, glare_share) = exposure(gray, limits.saturated);
    Quality {
        focus: focus(gray),
        mean,
        glare_share,
        motion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn checkerboard(cell: u32, lo: u8, hi: u8) -> GrayImage {
        GrayImage::from_fn(200, 120, |x, y| {
            Luma([if (x / cell + y / cell) % 2 == 0 {
                lo
            } else {
                hi
            }])
        })
    }

    #[test]
    fn blur_lowers_focus_below_the_limit() {
        let sharp = checkerboard(4, 40, 200);
        let blurred = imageproc::filter::gaussian_blur_f32(&sharp, 4.0);
        let limits = QualityLimits::default();
        assert!(focus(&sharp) > limits.min_focus * 10.0);
        let q = measure(&blurred, &limits, None);
        assert!(q.reasons(&limits).contains(&Reason::TooBlurry), "{q:?}");
        assert!(measure(&sharp, &limits, None).reasons(&limits).is_empty());
    }

    #[test]
    fn exposure_and_glare_gates() {
        let limits = QualityLimits::default();
        let dark = checkerboard(4, 5, 60);
        assert_eq!(
            measure(&dark, &limits, None).reasons(&limits),
            vec![Reason::TooDark]
        );
        let mut glare = checkerboard(4, 40, 200);
        for y in 20..60 {
            for x in 50..100 {
                glare.put_pixel(x, y, Luma([255]));
            }
        }
        let q = measure(&glare, &limits, None);
        assert!(q.glare_share > 0.05);
        assert_eq!(q.reasons(&limits), vec![Reason::Glare]);
    }

    #[test]
    fn motion_between_shifted_frames() {
        let a = checkerboard(16, 40, 200);
        let b = GrayImage::from_fn(200, 120, |x, y| *a.get_pixel((x + 9) % 200, y));
        let (ta, tb) = (thumbnail(&a), thumbnail(&b));
        assert_eq!(motion(&ta, &ta), 0.0);
        let m = motion(&ta, &tb);
        let limits = QualityLimits::default();
        assert!(m > limits.max_motion, "{m}");
        let q = measure(&a, &limits, Some(m));
        assert_eq!(q.reasons(&limits), vec![Reason::Moving]);
    }
}
