//! Reading the ID card: PP-OCRv5 text detection and recognition, the number checked by its GB 11643 digit.
//!
//! Used by the capture crate on the device (the camera icon beside 证件号码) and by the server,
//! which reads the uploaded ID front again for the reviewer. The models are data loaded from a
//! folder at start ([`models`]); one [`Ocr`] is built once and shared.

pub mod ctc;
pub mod detect;
pub mod idcard;
pub mod models;
pub mod recognize;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use image::RgbImage;
use tract_onnx::prelude::Tensor;

pub use detect::Quad;
pub use idcard::IdCardReading;
pub use models::{default_model_dir, ModelError, Models, ReadFile, MODEL_DIR_ENV, MODEL_VERSION};
pub use reset_flow::resident_id::Sex;

/// Why a picture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("the picture cannot be decoded: {0}")]
    Picture(String),
    #[error("the OCR model failed on this picture: {0}")]
    Model(String),
}

/// A line of text found in a picture and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub quad: Quad,
    pub text: String,
    pub confidence: f32,
}

/// The OCR engine: the loaded models and the steps around them. `Send + Sync`; share one.
pub struct Ocr {
    models: Models,
    detection_side: u32,
    split_detection: bool,
}

/// Rows of detector input each half sees past the seam when detection is split (a multiple of
/// the detector's stride, 32).
const SEAM_CONTEXT: usize = 32;

impl Ocr {
    /// Loads the models from `dir`; see [`models::Models::load`] for the checks.
    pub fn load(dir: &Path) -> Result<Ocr, ModelError> {
        Ocr::load_with(dir, &|path| std::fs::read(path))
    }

    /// [`Ocr::load`] with each file read by `read` ([`models::Models::load_with`]).
    pub fn load_with(dir: &Path, read: &ReadFile) -> Result<Ocr, ModelError> {
        Ok(Ocr {
            models: Models::load_with(dir, read)?,
            detection_side: detect::DET_LONG_SIDE,
            split_detection: std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
        })
    }

    /// Sets the long side pictures are scaled to for detection (default
    /// [`detect::DET_LONG_SIDE`]): smaller is faster and misses small text.
    pub fn with_detection_side(mut self, side: u32) -> Ocr {
        self.detection_side = side.clamp(64, 4096);
        self
    }

    /// Loads the models from [`default_model_dir`] (`RESET_MODEL_DIR`, else the fetch script's
    /// cache folder).
    pub fn load_default() -> Result<Ocr, ModelError> {
        Ocr::load(&default_model_dir()?)
    }

    /// The process's one engine for the models in `dir`, loaded on the first call. The models
    /// take tens of megabytes once loaded, and a desktop app with its embedded server reads
    /// cards in both: they share this. A failed load is not kept, so a later call tries again.
    pub fn shared(dir: &Path) -> Result<Arc<Ocr>, ModelError> {
        Ocr::shared_with(dir, &|path| std::fs::read(path))
    }

    /// [`Ocr::shared`] with each file read by `read`, the first time `dir` is asked for.
    pub fn shared_with(dir: &Path, read: &ReadFile) -> Result<Arc<Ocr>, ModelError> {
        static LOADED: Mutex<Vec<(PathBuf, Arc<Ocr>)>> = Mutex::new(Vec::new());
        // Held while loading, so two first calls at once load the models once.
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, ocr)) = loaded.iter().find(|(d, _)| d == dir) {
            return Ok(ocr.clone());
        }
        let ocr = Arc::new(Ocr::load_with(dir, read)?);
        loaded.push((dir.to_owned(), ocr.clone()));
        Ok(ocr)
    }

    /// [`Ocr::shared`] for [`default_model_dir`].
    pub fn shared_default() -> Result<Arc<Ocr>, ModelError> {
        Ocr::shared(&default_model_dir()?)
    }

    /// Every text line in the picture, rows top to bottom and left to right within a row.
    pub fn read_text(&self, img: &RgbImage) -> Result<Vec<TextLine>, OcrError> {
        let quads = self.detect(img)?;
        let ordered: Vec<Quad> = rows_of(&quads).concat().iter().map(|&i| quads[i]).collect();
        self.recognize_all(img, &ordered)
    }

    /// The text lines' boxes, in picture coordinates.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Quad>, OcrError> {
        self.detect_at(img, self.detection_side)
    }

    fn detect_at(&self, img: &RgbImage, side: u32) -> Result<Vec<Quad>, OcrError> {
        let (input, scale) = detect::det_input(img, side);
        let (h, w) = (input.shape()[2], input.shape()[3]);
        let map = if self.split_detection && h >= 4 * SEAM_CONTEXT {
            self.text_map_in_halves(&input)?
        } else {
            let map = self.models.run_det(input).map_err(model_error)?;
            map.as_slice::<f32>().map_err(model_error)?.to_vec()
        };
        if map.len() != h * w {
            return Err(OcrError::Model(format!(
                "the text map has {} values for a {w}×{h} input",
                map.len()
            )));
        }
        Ok(detect::boxes_from_map(&map, w, h, scale))
    }

    /// The text map computed as a top and a bottom half on two cores. Each half sees
    /// [`SEAM_CONTEXT`] rows past the seam, so lines near it are judged with their surroundings.
    fn text_map_in_halves(&self, input: &Tensor) -> Result<Vec<f32>, OcrError> {
        let (h, w) = (input.shape()[2], input.shape()[3]);
        let seam = h / 64 * 32;
        let top = input
            .slice(2, 0, seam + SEAM_CONTEXT)
            .map_err(model_error)?;
        let bottom = input
            .slice(2, seam - SEAM_CONTEXT, h)
            .map_err(model_error)?;
        let (top, bottom) = std::thread::scope(|scope| {
            let t = scope.spawn(|| self.models.run_det(top));
            let b = self.models.run_det(bottom);
            (t.join(), b)
        });
        let top = top.map_err(|_| OcrError::Model("a detection thread panicked".into()))?;
        let (top, bottom) = (top.map_err(model_error)?, bottom.map_err(model_error)?);
        let (top, bottom) = (
            top.as_slice::<f32>().map_err(model_error)?,
            bottom.as_slice::<f32>().map_err(model_error)?,
        );
        let mut map = Vec::with_capacity(h * w);
        map.extend_from_slice(&top[..seam * w]);
        map.extend_from_slice(&bottom[SEAM_CONTEXT * w..]);
        Ok(map)
    }

    /// What one line says.
    pub fn recognize(&self, img: &RgbImage, quad: &Quad) -> Result<TextLine, OcrError> {
        let strip = recognize::straighten(img, quad);
        let input = recognize::rec_input(&[&strip], recognize::bucket_width(strip.width()));
        let out = self.models.run_rec(input).map_err(model_error)?;
        let classes = *out.shape().last().unwrap_or(&0);
        if classes != self.models.keys.len() {
            return Err(OcrError::Model(format!(
                "the recogniser answers {classes} classes for {} keys",
                self.models.keys.len()
            )));
        }
        let probs = out.as_slice::<f32>().map_err(model_error)?;
        let decoded = ctc::greedy_decode(probs, classes, &self.models.keys);
        Ok(TextLine {
            quad: *quad,
            text: decoded.text,
            confidence: decoded.confidence,
        })
    }

    /// Whether detection runs as two halves on two cores (default: when there are two).
    pub fn with_split_detection(mut self, split: bool) -> Ocr {
        self.split_detection = split;
        self
    }

    /// What several lines say, read side by side on the machine's cores.
    pub fn recognize_all(&self, img: &RgbImage, quads: &[Quad]) -> Result<Vec<TextLine>, OcrError> {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        if workers < 2 || quads.len() < 2 {
            return quads.iter().map(|q| self.recognize(img, q)).collect();
        }
        let per_worker = quads.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = quads
                .chunks(per_worker)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|q| self.recognize(img, q))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut lines = Vec::with_capacity(quads.len());
            for h in handles {
                let part = h
                    .join()
                    .map_err(|_| OcrError::Model("a recognition thread panicked".into()))??;
                lines.extend(part);
            }
            Ok(lines)
        })
    }

    /// Reads the front of a resident identity card.
    ///
    /// Only the lines that can hold a wanted field are recognised, by two searches side by
    /// side: one from the bottom row up, right to left, until a number whose check digit holds
    /// turns up (on a card, the number is the last line's right part); one from the top row
    /// down until name, sex and birth date are read. The address rows in between are usually
    /// skipped. Rows are found in the picture, not at fixed places, so a tilted or shifted
    /// card reads the same, and a card laid out otherwise is still read whole, only slower.
    pub fn read_id_card(&self, img: &RgbImage) -> Result<IdCardReading, OcrError> {
        self.read_card_fields(img, Wanted::All)
    }

    /// Reads only the number and the name, what 证件号码 and 姓名 are filled with: the top
    /// search stops at the name row, so the rows of sex and birth date (which the number
    /// encodes anyway) are not recognised. About a third faster than [`Ocr::read_id_card`];
    /// `sex` and `birth_date` come back only when they happened to be read.
    pub fn read_number_and_name(&self, img: &RgbImage) -> Result<IdCardReading, OcrError> {
        self.read_card_fields(img, Wanted::NumberAndName)
    }

    fn read_card_fields(&self, img: &RgbImage, wanted: Wanted) -> Result<IdCardReading, OcrError> {
        let first = self.read_id_card_at(img, self.detection_side, wanted)?;
        let closer_side = detect::DET_CLOSER_SIDE.max(self.detection_side * 5 / 4);
        if first.has_number() && first.name.is_some() {
            return Ok(first);
        }
        // Small or blurred print: look again with the detector closer, keep what each found.
        let second = self.read_id_card_at(img, closer_side, wanted)?;
        Ok(first.or_from(second))
    }

    fn read_id_card_at(
        &self,
        img: &RgbImage,
        side: u32,
        wanted: Wanted,
    ) -> Result<IdCardReading, OcrError> {
        let quads = card_lines(self.detect_at(img, side)?);
        let rows = rows_of(&quads);
        let (from_bottom, from_top) = std::thread::scope(|scope| {
            let bottom = scope.spawn(|| self.search_number(img, &quads, &rows));
            let top = self.search_top_fields(img, &quads, &rows, wanted);
            (bottom.join(), top)
        });
        let from_bottom =
            from_bottom.map_err(|_| OcrError::Model("a recognition thread panicked".into()))??;
        let mut texts = from_top?;
        texts.extend(from_bottom);
        Ok(idcard::read_rows(&read_rows(&rows, &texts)))
    }

    fn search_number(
        &self,
        img: &RgbImage,
        quads: &[Quad],
        rows: &[Vec<usize>],
    ) -> Result<HashMap<usize, String>, OcrError> {
        let mut texts = HashMap::new();
        for row in rows.iter().rev() {
            for &i in row.iter().rev() {
                texts.insert(i, self.recognize(img, &quads[i])?.text);
                let this_row = read_rows(std::slice::from_ref(row), &texts);
                if idcard::read_rows(&this_row).has_number() {
                    return Ok(texts);
                }
            }
        }
        Ok(texts)
    }

    fn search_top_fields(
        &self,
        img: &RgbImage,
        quads: &[Quad],
        rows: &[Vec<usize>],
        wanted: Wanted,
    ) -> Result<HashMap<usize, String>, OcrError> {
        let mut texts = HashMap::new();
        for row in rows {
            for &i in row {
                texts.insert(i, self.recognize(img, &quads[i])?.text);
                // Past 性别 and its value the row holds only 民族, which nobody checks.
                let this_row = idcard::read_rows(&read_rows(std::slice::from_ref(row), &texts));
                if this_row.sex.is_some() {
                    break;
                }
            }
            let so_far = idcard::read_rows(&read_rows(rows, &texts));
            let done = match wanted {
                Wanted::All => so_far.has_top_fields(),
                Wanted::NumberAndName => so_far.name.is_some(),
            };
            if done {
                break;
            }
        }
        Ok(texts)
    }
}

/// Which fields a reading looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    All,
    NumberAndName,
}

/// The rows' texts read so far, left to right.
fn read_rows(rows: &[Vec<usize>], texts: &HashMap<usize, String>) -> Vec<idcard::Row> {
    rows.iter()
        .map(|r| r.iter().filter_map(|i| texts.get(i).cloned()).collect())
        .collect()
}

/// Decodes a picture file's bytes (JPEG or PNG).
pub fn decode_picture(bytes: &[u8]) -> Result<RgbImage, OcrError> {
    reset_picture::decode(bytes).map_err(|e| OcrError::Picture(e.0))
}

fn model_error(e: impl std::fmt::Display) -> OcrError {
    OcrError::Model(e.to_string())
}

/// Drops boxes far taller than the usual line (the portrait, patterns) or far smaller (specks):
/// card text comes in two or three sizes only.
fn card_lines(mut quads: Vec<Quad>) -> Vec<Quad> {
    let mut heights: Vec<f32> = quads.iter().map(Quad::across).collect();
    heights.sort_by(f32::total_cmp);
    if let Some(&median) = heights.get(heights.len() / 2) {
        quads.retain(|q| q.across() <= 2.5 * median && q.across() >= 0.4 * median);
    }
    quads
}

/// Groups boxes into rows along the card's own direction (the usual angle of its long lines),
/// rows top to bottom, boxes left to right. Answers indices into `quads`.
pub fn rows_of(quads: &[Quad]) -> Vec<Vec<usize>> {
    if quads.is_empty() {
        return Vec::new();
    }
    let mut angles: Vec<f32> = quads
        .iter()
        .filter(|q| q.along() > 2.0 * q.across())
        .map(Quad::angle)
        .collect();
    angles.sort_by(f32::total_cmp);
    let angle = angles.get(angles.len() / 2).copied().unwrap_or(0.0);
    let (sin, cos) = angle.sin_cos();
    let along = |q: &Quad| {
        let (x, y) = q.center();
        (x * cos + y * sin, -x * sin + y * cos)
    };
    let mut heights: Vec<f32> = quads.iter().map(Quad::across).collect();
    heights.sort_by(f32::total_cmp);
    let tolerance = heights[heights.len() / 2] * 0.5;

    let mut order: Vec<usize> = (0..quads.len()).collect();
    order.sort_by(|&a, &b| along(&quads[a]).1.total_cmp(&along(&quads[b]).1));
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut row_v = f32::NEG_INFINITY;
    for i in order {
        let v = along(&quads[i]).1;
        match rows.last_mut() {
            Some(row) if v - row_v <= tolerance => row.push(i),
            _ => {
                rows.push(vec![i]);
                row_v = v;
            }
        }
    }
    for row in &mut rows {
        row.sort_by(|&a, &b| along(&quads[a]).0.total_cmp(&along(&quads[b]).0));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(x: f32, y: f32, w: f32, h: f32, deg: f32) -> Quad {
        let (s, c) = deg.to_radians().sin_cos();
        let at = |a: f32, b: f32| (x + a * c - b * s, y + a * s + b * c);
        Quad::new([at(0.0, 0.0), at(w, 0.0), at(w, h), at(0.0, h)])
    }

    #[test]
    fn boxes_group_into_rows_in_reading_order() {
        let quads = [
            boxed(300.0, 100.0, 200.0, 30.0, 0.0), // row 2, right
            boxed(40.0, 20.0, 80.0, 30.0, 0.0),    // row 1, left
            boxed(40.0, 104.0, 100.0, 28.0, 0.0),  // row 2, left
            boxed(150.0, 24.0, 90.0, 30.0, 0.0),   // row 1, right
        ];
        assert_eq!(rows_of(&quads), vec![vec![1, 3], vec![2, 0]]);
        assert!(rows_of(&[]).is_empty());
    }

    #[test]
    fn a_tilted_card_still_reads_row_by_row() {
        // 15 degrees: the right box of the top row sits lower on the page than the left box
        // of the second row, yet belongs to the top row.
        let tilt = 15.0f32;
        let (s, c) = tilt.to_radians().sin_cos();
        let on_card = |x: f32, y: f32, w: f32| boxed(x * c - y * s, x * s + y * c, w, 30.0, tilt);
        let quads = [
            on_card(0.0, 0.0, 300.0),
            on_card(400.0, 0.0, 300.0),
            on_card(0.0, 60.0, 300.0),
        ];
        assert!(quads[1].center().1 > quads[2].center().1);
        assert_eq!(rows_of(&quads), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn boxes_far_from_the_usual_line_height_are_not_card_text() {
        let mut quads: Vec<Quad> = (0..6)
            .map(|i| boxed(10.0, 40.0 * i as f32, 100.0, 30.0, 0.0))
            .collect();
        quads.push(boxed(500.0, 0.0, 200.0, 260.0, 0.0)); // the portrait
        quads.push(boxed(500.0, 300.0, 8.0, 6.0, 0.0)); // a speck
        let kept = card_lines(quads);
        assert_eq!(kept.len(), 6);
        assert!(kept.iter().all(|q| q.across() == 30.0));
    }

    #[test]
    fn a_picture_that_is_not_one_is_an_error() {
        assert!(matches!(
            decode_picture(b"definitely not a jpeg"),
            Err(OcrError::Picture(_))
        ));
    }

    #[test]
    fn the_engine_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Ocr>();
    }
}
