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
pub mod specimen;

use image::RgbImage;

pub use detect::Quad;
pub use idcard::IdCardReading;
pub use models::{default_model_dir, ModelError, Models, MODEL_DIR_ENV, MODEL_VERSION};
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
}

impl Ocr {
    /// Loads the models from `dir`; see [`models::Models::load`] for the checks.
    pub fn load(dir: &std::path::Path) -> Result<Ocr, ModelError> {
        Ok(Ocr {
            models: Models::load(dir)?,
        })
    }

    /// Loads the models from [`default_model_dir`] (`RESET_MODEL_DIR`, else the fetch script's
    /// cache folder).
    pub fn load_default() -> Result<Ocr, ModelError> {
        Ocr::load(&default_model_dir()?)
    }

    /// Every text line in the picture, rows top to bottom and left to right within a row.
    pub fn read_text(&self, img: &RgbImage) -> Result<Vec<TextLine>, OcrError> {
        let quads = self.detect(img)?;
        let mut lines = Vec::new();
        for row in rows_of(&quads) {
            for i in row {
                lines.push(self.recognize(img, &quads[i])?);
            }
        }
        Ok(lines)
    }

    /// The text lines' boxes, in picture coordinates.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Quad>, OcrError> {
        let (input, scale) = detect::det_input(img);
        let (h, w) = (input.shape()[2], input.shape()[3]);
        let map = self.models.run_det(input).map_err(model_error)?;
        let map = map.as_slice::<f32>().map_err(model_error)?;
        if map.len() != h * w {
            return Err(OcrError::Model(format!(
                "the text map has {} values for a {w}×{h} input",
                map.len()
            )));
        }
        Ok(detect::boxes_from_map(map, w, h, scale))
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

    /// Reads the front of a resident identity card.
    ///
    /// Only the rows that can hold a wanted field are recognised: from the bottom up until a
    /// number whose check digit holds turns up, and from the top down until name, sex and birth
    /// date are read. The address rows in between are usually skipped. The rows are found in
    /// the picture, not at fixed places, so a tilted or shifted card reads the same.
    pub fn read_id_card(&self, img: &RgbImage) -> Result<IdCardReading, OcrError> {
        let quads = self.detect(img)?;
        let rows = rows_of(&quads);
        let mut texts: Vec<Option<String>> = vec![None; quads.len()];
        let read_row = |row: &[usize], texts: &mut Vec<Option<String>>| {
            for &i in row {
                if texts[i].is_none() {
                    texts[i] = Some(self.recognize(img, &quads[i])?.text);
                }
            }
            Ok::<(), OcrError>(())
        };
        let reading_so_far = |texts: &[Option<String>]| {
            let read: Vec<idcard::Row> = rows
                .iter()
                .map(|r| r.iter().filter_map(|&i| texts[i].clone()).collect())
                .collect();
            idcard::read_rows(&read)
        };
        for row in rows.iter().rev() {
            read_row(row, &mut texts)?;
            if reading_so_far(&texts).has_number() {
                break;
            }
        }
        for row in &rows {
            if reading_so_far(&texts).has_top_fields() {
                break;
            }
            read_row(row, &mut texts)?;
        }
        Ok(reading_so_far(&texts))
    }
}

/// Decodes a picture file's bytes (JPEG or PNG).
pub fn decode_picture(bytes: &[u8]) -> Result<RgbImage, OcrError> {
    image::load_from_memory(bytes)
        .map(|i| i.to_rgb8())
        .map_err(|e| OcrError::Picture(e.to_string()))
}

fn model_error(e: impl std::fmt::Display) -> OcrError {
    OcrError::Model(e.to_string())
}

/// Groups boxes into rows along the card's own direction (the usual angle of its long lines),
/// rows top to bottom, boxes left to right. Answers indices into `quads`.
pub fn rows_of(quads: &[Quad]) -> Vec<Vec<usize>> {
    if quads.is_empty() {
        return Vec::new();
    }
    let mut angles: Vec<f32> = quads
        .iter()
        .filter(|q| q.width() > 2.0 * q.height())
        .map(Quad::angle)
        .collect();
    angles.sort_by(f32::total_cmp);
    let angle = angles.get(angles.len() / 2).copied().unwrap_or(0.0);
    let (sin, cos) = angle.sin_cos();
    let along = |q: &Quad| {
        let (x, y) = q.center();
        (x * cos + y * sin, -x * sin + y * cos)
    };
    let mut heights: Vec<f32> = quads.iter().map(Quad::height).collect();
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
        Quad([at(0.0, 0.0), at(w, 0.0), at(w, h), at(0.0, h)])
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
