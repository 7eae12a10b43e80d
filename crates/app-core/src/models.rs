//! The app's model files: the OCR models of the camera icon and, in a build without it compiled
//! in, the face model of path B's camera screens. Both come from one folder ([`use_model_dir`]),
//! are read on first use and shared after; a missing file is looked for again at the next use.
//!
//! The folder is a path `std::fs` reads (a named folder, a desktop or iOS package's resources,
//! the fetch script's cache) or, on Android, the package's assets: `asset://localhost/models`,
//! which only the platform reads ([`use_asset_reader`]; the app gives Tauri's fs plugin).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use reset_capture::{FaceModel, FaceModelError};
use reset_ocr::Ocr;

/// The models' folder the app was given; the first one given counts (one app per process).
static MODEL_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// How the package's assets are read, on a platform that has them (Android).
type AssetReader = Box<dyn Fn(&Path) -> io::Result<Vec<u8>> + Send + Sync>;
static ASSET_READER: OnceLock<AssetReader> = OnceLock::new();

/// What an Android package's resource folder starts with (Tauri's `resource_dir()` there).
const ASSET_PREFIX: &str = "asset://";

/// Sets where the models are, before the first camera run: `None` is the OCR crate's default
/// (`RESET_MODEL_DIR`, else the fetch script's cache).
pub fn use_model_dir(dir: Option<PathBuf>) {
    let _ = MODEL_DIR.set(dir);
}

/// Sets how the package's assets are read (Android: Tauri's fs plugin); the first one counts.
pub fn use_asset_reader(read: impl Fn(&Path) -> io::Result<Vec<u8>> + Send + Sync + 'static) {
    let _ = ASSET_READER.set(Box::new(read));
}

/// Whether `path` is in an Android package's assets, where `std::fs` finds nothing.
pub fn is_asset_path(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with(ASSET_PREFIX))
}

/// A model file's bytes, by the kind of its path.
fn read_model_file(path: &Path) -> io::Result<Vec<u8>> {
    if !is_asset_path(path) {
        return std::fs::read(path);
    }
    match ASSET_READER.get() {
        Some(read) => read(path),
        None => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no reader for the package's assets on this platform",
        )),
    }
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
    ocr_in(&dir)
}

fn ocr_in(dir: &Path) -> Result<Arc<Ocr>, String> {
    Ocr::shared_with(dir, &read_model_file).map_err(|e| e.to_string())
}

/// The face model: compiled in (tester builds, through the embedded server), else the file in
/// the models folder (the customer's build, where it is packaged beside the OCR models).
pub fn face_model() -> Result<FaceModel, FaceModelError> {
    face_model_in(model_dir().as_deref())
}

fn face_model_in(dir: Option<&Path>) -> Result<FaceModel, FaceModelError> {
    match dir {
        Some(d) if is_asset_path(d) => FaceModel::find_with(dir, &read_model_file),
        _ => FaceModel::find(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Android's assets, played by the fetch script's folder: the stand-in answers for
    /// `asset://localhost/models/…` what the package would hold there.
    fn stand_in_assets(folder: PathBuf) {
        use_asset_reader(move |path| {
            let name = path
                .to_str()
                .and_then(|p| p.strip_prefix("asset://localhost/models/"))
                .ok_or(io::ErrorKind::NotFound)?;
            std::fs::read(folder.join(name))
        });
    }

    #[test]
    fn paths_are_read_by_their_kind() {
        assert!(is_asset_path(Path::new("asset://localhost/models")));
        assert!(!is_asset_path(Path::new("/usr/lib/reset-app/models")));
        assert!(!is_asset_path(Path::new("models/asset://x")));
        // No platform reader for assets yet: an error, never a panic or a file of that name.
        let early = read_model_file(Path::new("asset://localhost/elsewhere/x")).unwrap_err();
        assert!(matches!(
            early.kind(),
            io::ErrorKind::Unsupported | io::ErrorKind::NotFound
        ));
        let folder = reset_ocr::models::default_model_dir().unwrap();
        stand_in_assets(folder.clone());
        let on_disk = folder.join(reset_ocr::models::KEYS_FILE);
        let asset = Path::new("asset://localhost/models").join(reset_ocr::models::KEYS_FILE);
        assert_eq!(
            read_model_file(&asset).unwrap(),
            read_model_file(&on_disk).unwrap(),
            "the same file either way"
        );
        assert!(
            std::fs::read(&asset).is_err(),
            "std::fs cannot read an asset"
        );
    }

    /// The camera icon's reader and the face model from an Android package's assets.
    #[test]
    fn the_models_load_from_the_package_s_assets() {
        stand_in_assets(reset_ocr::models::default_model_dir().unwrap());
        let assets = Path::new("asset://localhost/models");
        let ocr = ocr_in(assets).expect("the OCR models from the assets");
        let blank = image::RgbImage::from_pixel(320, 200, image::Rgb([255, 255, 255]));
        assert!(ocr.read_text(&blank).unwrap().is_empty());
        // Not there: the error names the file, for the tester's terminal.
        let missing = ocr_in(Path::new("asset://localhost/elsewhere"))
            .err()
            .expect("no models there");
        assert!(missing.contains("ppocrv5_det.onnx"), "{missing}");
    }
}
