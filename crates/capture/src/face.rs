//! Face finding with rustface (SeetaFace's funnel cascade), using the model that ships inside the
//! rustface package, compiled in.

use image::GrayImage;
use serde::Serialize;

/// The SeetaFace frontal model, BSD-2-Clause, © 2016 VIPL group, ICT, Chinese Academy of
/// Sciences (the notice is in this crate's `LICENSE-rustface-model`).
static MODEL_BYTES: &[u8] = include_bytes!(env!("RUSTFACE_MODEL"));

/// One face: its box in the picture's pixels and the detector's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub score: f32,
}

impl FaceBox {
    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }
}

/// How hard the detector looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceFinderConfig {
    /// The smallest face to find, in the picture's pixels. Pictures are halved before detection
    /// while this stays at least 40 px, which is what makes a frame cheap.
    pub min_face: u32,
    pub score_threshold: f64,
    pub pyramid_scale: f32,
    pub step: u32,
}

impl Default for FaceFinderConfig {
    fn default() -> Self {
        FaceFinderConfig {
            min_face: 80,
            score_threshold: 2.0,
            pyramid_scale: 0.8,
            step: 4,
        }
    }
}

/// A face detector. Not `Send` (rustface's detector is a plain trait object): keep one per
/// analysis thread.
pub struct FaceFinder {
    detector: Box<dyn rustface::Detector>,
    config: FaceFinderConfig,
}

fn model() -> rustface::Model {
    static MODEL: std::sync::OnceLock<rustface::Model> = std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| {
            rustface::read_model(MODEL_BYTES).expect("the compiled-in face model reads")
        })
        .clone()
}

impl FaceFinder {
    pub fn new(config: FaceFinderConfig) -> FaceFinder {
        let mut detector = rustface::create_detector_with_model(model());
        detector.set_score_thresh(config.score_threshold);
        detector.set_pyramid_scale_factor(config.pyramid_scale);
        detector.set_slide_window_step(config.step, config.step);
        FaceFinder { detector, config }
    }

    pub fn config(&self) -> FaceFinderConfig {
        self.config
    }

    /// Every face at least `min_face` wide, largest first.
    pub fn detect(&mut self, gray: &GrayImage) -> Vec<FaceBox> {
        let mut img = std::borrow::Cow::Borrowed(gray);
        let mut factor = 1u32;
        while self.config.min_face / (factor * 2) >= 40 && img.width() >= 80 && img.height() >= 80 {
            img = std::borrow::Cow::Owned(crate::frame::half(&img));
            factor *= 2;
        }
        let min = (self.config.min_face / factor).max(20);
        if img.width() < min || img.height() < min {
            return Vec::new();
        }
        self.detector.set_min_face_size(min);
        let data = rustface::ImageData::new(img.as_raw(), img.width(), img.height());
        let f = factor as f32;
        let mut faces: Vec<FaceBox> = self
            .detector
            .detect(&data)
            .iter()
            .map(|info| {
                let b = info.bbox();
                FaceBox {
                    x: b.x() as f32 * f,
                    y: b.y() as f32 * f,
                    width: b.width() as f32 * f,
                    height: b.height() as f32 * f,
                    score: info.score() as f32,
                }
            })
            .collect();
        faces.sort_by(|a, b| b.width.total_cmp(&a.width));
        faces
    }
}

/// Where rustface's package lies (found at build time), for its own test picture.
pub fn rustface_package_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("RUSTFACE_DIR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_face_in_a_plain_picture() {
        let mut finder = FaceFinder::new(FaceFinderConfig::default());
        let g = GrayImage::from_fn(320, 240, |x, y| image::Luma([((x * 3 + y) % 256) as u8]));
        assert!(finder.detect(&g).is_empty());
        assert!(finder.detect(&GrayImage::new(30, 30)).is_empty());
    }
}
