//! The camera icon beside 证件号码: the straightened front of the card read by the OCR crate,
//! offline, on the device. A number is offered only when its GB 11643 check digit holds; the
//! customer still sees and confirms both fields before 下一步.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use image::RgbImage;
use reset_ocr::Ocr;

use super::camera::{CameraFailure, CameraResult};

/// The models' folder the app was given; the first one given counts (one app per process).
static MODEL_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Sets where the models are, before the first scan: `None` is the OCR crate's default.
pub fn use_model_dir(dir: Option<PathBuf>) {
    let _ = MODEL_DIR.set(dir);
}

/// Loaded on the first scan (a fraction of a second) and shared after, with the embedded
/// server too ([`Ocr::shared`]); missing models are looked for again at the next scan.
fn reader() -> Result<Arc<Ocr>, String> {
    match MODEL_DIR.get().cloned().flatten() {
        Some(dir) => Ocr::shared(&dir),
        None => Ocr::shared_default(),
    }
    .map_err(|e| e.to_string())
}

/// Reads the card; `Unread` when the reader is missing or found neither field.
pub fn read(card: &RgbImage) -> Result<CameraResult, CameraFailure> {
    let ocr = reader().map_err(CameraFailure::Unread)?;
    let reading = ocr
        .read_id_card(card)
        .map_err(|e| CameraFailure::Unread(e.to_string()))?;
    let number = reading.accepted_number().map(str::to_owned);
    if number.is_none() && reading.name.is_none() {
        return Err(CameraFailure::Unread("nothing read".into()));
    }
    Ok(CameraResult::IdCard {
        number,
        name: reading.name,
    })
}
