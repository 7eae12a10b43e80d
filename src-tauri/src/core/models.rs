//! The app's model files: the OCR models of the camera icon and, in a build without it compiled
//! in, the face model of path B's camera screens. Both come from one folder ([`use_model_dir`]),
//! are read on first use and shared after; a missing file is looked for again at the next use.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use reset_capture::{FaceModel, FaceModelError};
use reset_ocr::Ocr;

/// The models' folder the app was given; the first one given counts (one app per process).
static MODEL_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Sets where the models are, before the first camera run: `None` is the OCR crate's default
/// (`RESET_MODEL_DIR`, else the fetch script's cache).
pub fn use_model_dir(dir: Option<PathBuf>) {
    let _ = MODEL_DIR.set(dir);
}

fn model_dir() -> Option<PathBuf> {
    MODEL_DIR
        .get()
        .cloned()
        .flatten()
        .or_else(|| reset_ocr::models::default_model_dir().ok())
}

/// The ID-card reader, shared with the embedded server too ([`Ocr::shared`]).
pub fn ocr() -> Result<Arc<Ocr>, String> {
    let dir = model_dir().ok_or("no models folder (no HOME and no RESET_MODEL_DIR)")?;
    Ocr::shared(&dir).map_err(|e| e.to_string())
}

/// The face model: compiled in (tester builds, through the embedded server), else the file in
/// the models folder (the customer's build, where it is packaged beside the OCR models).
pub fn face_model() -> Result<FaceModel, FaceModelError> {
    FaceModel::find(model_dir().as_deref())
}
