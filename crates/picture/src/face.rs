//! Face finding with rustface (SeetaFace's funnel cascade), using the model that ships inside the
//! rustface package: compiled in with the `face-model` feature (the server, the tools, the
//! tester's app), or read from a file beside the OCR models (the customer's app, where the
//! 1.2 MB of weights would otherwise count against the binary size).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use image::GrayImage;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The SeetaFace frontal model, BSD-2-Clause, © 2016 VIPL group, ICT, Chinese Academy of
/// Sciences (the notice is in this crate's `LICENSE-rustface-model`).
#[cfg(feature = "face-model")]
static MODEL_BYTES: &[u8] = include_bytes!(env!("RUSTFACE_MODEL"));

/// The model's file name, in rustface's package and beside the OCR models in an app package.
pub const FACE_MODEL_FILE: &str = "seeta_fd_frontal_v1.0.bin";

/// SHA-256 of [`FACE_MODEL_FILE`] as published in rustface 0.1.7.
const FACE_MODEL_SHA256: &str = "c4619d066ed35e84d9a8e842860b0dff567aba0cbb139881075538761db3ff5d";

/// The published model is 1,209,904 bytes.
const MAX_FACE_MODEL_BYTES: u64 = 2 * 1024 * 1024;

/// Why the face model could not be had. Holds a path and a reason, nothing of a customer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaceModelError {
    #[error("the face model is not compiled in and no model folder was given")]
    NoFolder,
    #[error("the face model {0} is missing")]
    Missing(PathBuf),
    #[error("the face model {path} does not read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// The face detector's weights, read once and shared by every [`FaceFinder`].
#[derive(Clone)]
pub struct FaceModel(Arc<rustface::Model>);

impl std::fmt::Debug for FaceModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaceModel")
    }
}

impl FaceModel {
    /// The model compiled into this build, when it was (`face-model` feature).
    pub fn compiled_in() -> Option<FaceModel> {
        #[cfg(feature = "face-model")]
        {
            static MODEL: OnceLock<FaceModel> = OnceLock::new();
            let model = MODEL.get_or_init(|| {
                let model =
                    rustface::read_model(MODEL_BYTES).expect("the compiled-in face model reads");
                FaceModel(Arc::new(model))
            });
            Some(model.clone())
        }
        #[cfg(not(feature = "face-model"))]
        None
    }

    /// Reads the model from a file (the app package's copy).
    pub fn from_file(path: &Path) -> Result<FaceModel, FaceModelError> {
        let unreadable = |reason: String| FaceModelError::Unreadable {
            path: path.to_owned(),
            reason,
        };
        let io_error = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound => FaceModelError::Missing(path.to_owned()),
            _ => unreadable(e.to_string()),
        };
        // Only a file the model's size is read: not a swapped-in device or a huge file.
        let meta = std::fs::metadata(path).map_err(io_error)?;
        if !meta.is_file() || meta.len() > MAX_FACE_MODEL_BYTES {
            return Err(unreadable("not a file the face model's size".into()));
        }
        let bytes = std::fs::read(path).map_err(io_error)?;
        FaceModel::from_bytes(path, &bytes)
    }

    /// Reads the model from its bytes, which came from `path` (an Android package's asset, read
    /// by the platform): only the exact published model is taken.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<FaceModel, FaceModelError> {
        // rustface's reader trusts the file's counts (it panics on an unknown layer and sizes
        // buffers from them), so only the exact published model is handed to it.
        if bytes.len() as u64 > MAX_FACE_MODEL_BYTES
            || hex::encode(Sha256::digest(bytes)) != FACE_MODEL_SHA256
        {
            return Err(FaceModelError::Unreadable {
                path: path.to_owned(),
                reason: "not the published SeetaFace frontal v1.0 model (sha256 differs)".into(),
            });
        }
        let model = rustface::read_model(bytes).map_err(|e| FaceModelError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(FaceModel(Arc::new(model)))
    }

    /// The compiled-in model, else [`FACE_MODEL_FILE`] in `dir`, read once per process and
    /// shared after; a missing file is looked for again at the next call.
    pub fn find(dir: Option<&Path>) -> Result<FaceModel, FaceModelError> {
        static LOADED: OnceLock<FaceModel> = OnceLock::new();
        find_in(FaceModel::compiled_in(), &LOADED, dir, &|path| {
            FaceModel::from_file(path)
        })
    }

    /// [`FaceModel::find`] with the file read by `read` (an Android package's assets, which
    /// only the platform reads); a missing file is `read`'s `NotFound`.
    pub fn find_with(
        dir: Option<&Path>,
        read: &(dyn Fn(&Path) -> std::io::Result<Vec<u8>> + Sync),
    ) -> Result<FaceModel, FaceModelError> {
        static LOADED: OnceLock<FaceModel> = OnceLock::new();
        find_in(
            FaceModel::compiled_in(),
            &LOADED,
            dir,
            &|path| match read(path) {
                Ok(bytes) => FaceModel::from_bytes(path, &bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(FaceModelError::Missing(path.to_owned()))
                }
                Err(e) => Err(FaceModelError::Unreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                }),
            },
        )
    }
}

fn find_in(
    compiled_in: Option<FaceModel>,
    loaded: &OnceLock<FaceModel>,
    dir: Option<&Path>,
    load: &dyn Fn(&Path) -> Result<FaceModel, FaceModelError>,
) -> Result<FaceModel, FaceModelError> {
    if let Some(model) = compiled_in.or_else(|| loaded.get().cloned()) {
        return Ok(model);
    }
    let dir = dir.ok_or(FaceModelError::NoFolder)?;
    let model = load(&dir.join(FACE_MODEL_FILE))?;
    Ok(loaded.get_or_init(|| model).clone())
}

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

impl FaceFinder {
    /// A finder with the compiled-in model.
    #[cfg(feature = "face-model")]
    pub fn new(config: FaceFinderConfig) -> FaceFinder {
        let model = FaceModel::compiled_in().expect("the face-model feature compiles it in");
        FaceFinder::with_model(&model, config)
    }

    /// A finder with a model read at run time ([`FaceModel::find`]).
    pub fn with_model(model: &FaceModel, config: FaceFinderConfig) -> FaceFinder {
        // The detector owns its copy of the weights (rustface's API takes the model by value).
        let mut detector = rustface::create_detector_with_model((*model.0).clone());
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
            img = std::borrow::Cow::Owned(crate::gray::half(&img));
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
pub fn rustface_package_dir() -> PathBuf {
    PathBuf::from(env!("RUSTFACE_DIR"))
}

/// The model file inside rustface's package, for tools and tests on the machine that built them.
pub fn rustface_package_model() -> PathBuf {
    rustface_package_dir().join("model").join(FACE_MODEL_FILE)
}

/// rustface's own test picture (a group of faces), for tools and tests on the machine that
/// built them.
pub fn rustface_test_picture() -> Option<image::RgbImage> {
    let path = rustface_package_dir().join("test.png");
    image::open(path).ok().map(|i| i.to_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_file_finds_the_same_faces_as_the_compiled_in_model() {
        let group = rustface_test_picture().expect("rustface's test picture");
        let gray = crate::to_gray(&group);
        let config = FaceFinderConfig {
            min_face: 30,
            ..FaceFinderConfig::default()
        };
        let from_file = FaceModel::from_file(&rustface_package_model()).unwrap();
        let faces = FaceFinder::with_model(&from_file, config).detect(&gray);
        assert!(faces.len() >= 3, "found {} faces", faces.len());
        if let Some(compiled) = FaceModel::compiled_in() {
            assert_eq!(
                FaceFinder::with_model(&compiled, config).detect(&gray),
                faces
            );
        }
    }

    #[test]
    fn without_the_compiled_in_model_the_folder_s_file_is_read_once_it_is_there() {
        let dir = std::env::temp_dir().join(format!("reset-face-find-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let loaded = OnceLock::new();
        let find_with = |c, l, d| find_in(c, l, d, &|p| FaceModel::from_file(p));
        assert_eq!(
            find_with(None, &loaded, None).unwrap_err(),
            FaceModelError::NoFolder
        );
        assert_eq!(
            find_with(None, &loaded, Some(&dir)).unwrap_err(),
            FaceModelError::Missing(dir.join(FACE_MODEL_FILE))
        );
        std::fs::copy(rustface_package_model(), dir.join(FACE_MODEL_FILE)).unwrap();
        let model = find_with(None, &loaded, Some(&dir)).unwrap();
        // Read once: later calls share it, even with the file gone.
        std::fs::remove_dir_all(&dir).unwrap();
        let again = find_with(None, &loaded, Some(&dir)).unwrap();
        assert!(Arc::ptr_eq(&model.0, &again.0));
    }

    /// An Android package's asset: a path `std::fs` cannot open, read by the platform's reader.
    #[test]
    fn a_model_the_platform_reads_is_as_good_as_a_file() {
        let assets = Path::new("asset://localhost/models");
        let real = std::fs::read(rustface_package_model()).unwrap();
        let read_asset = |p: &Path| -> std::io::Result<Vec<u8>> {
            if p == assets.join(FACE_MODEL_FILE) {
                Ok(real.clone())
            } else {
                Err(std::io::ErrorKind::NotFound.into())
            }
        };
        let loaded = OnceLock::new();
        let load = |p: &Path| match read_asset(p) {
            Ok(bytes) => FaceModel::from_bytes(p, &bytes),
            Err(_) => Err(FaceModelError::Missing(p.to_owned())),
        };
        assert!(FaceModel::from_file(&assets.join(FACE_MODEL_FILE)).is_err());
        let elsewhere = Path::new("asset://localhost/elsewhere");
        assert_eq!(
            find_in(None, &loaded, Some(elsewhere), &load).unwrap_err(),
            FaceModelError::Missing(elsewhere.join(FACE_MODEL_FILE))
        );
        let model = find_in(None, &loaded, Some(assets), &load).unwrap();
        let group = rustface_test_picture().expect("rustface's test picture");
        let config = FaceFinderConfig {
            min_face: 30,
            ..FaceFinderConfig::default()
        };
        let faces = FaceFinder::with_model(&model, config).detect(&crate::to_gray(&group));
        assert!(faces.len() >= 3, "found {} faces", faces.len());
        assert!(matches!(
            FaceModel::from_bytes(assets, &real[..real.len() - 1]),
            Err(FaceModelError::Unreadable { .. })
        ));
    }

    #[test]
    fn the_pinned_digest_is_the_package_model_s() {
        let bytes = std::fs::read(rustface_package_model()).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), FACE_MODEL_SHA256);
    }

    #[test]
    fn a_missing_or_foreign_model_file_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("reset-face-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join(FACE_MODEL_FILE);
        let _ = std::fs::remove_file(&missing);
        assert_eq!(
            FaceModel::from_file(&missing).unwrap_err(),
            FaceModelError::Missing(missing.clone())
        );
        for (i, bytes) in [&b""[..], b"not a model", &[0xff; 4096][..]]
            .iter()
            .enumerate()
        {
            let path = dir.join(format!("foreign-{i}.bin"));
            std::fs::write(&path, bytes).unwrap();
            assert!(
                matches!(
                    FaceModel::from_file(&path),
                    Err(FaceModelError::Unreadable { .. })
                ),
                "{bytes:?}"
            );
        }
        // A folder where the file should be.
        let folder = dir.join("folder.bin");
        std::fs::create_dir_all(&folder).unwrap();
        assert!(matches!(
            FaceModel::from_file(&folder),
            Err(FaceModelError::Unreadable { .. })
        ));
        // A truncated copy of the real model.
        let real = std::fs::read(rustface_package_model()).unwrap();
        let cut = dir.join("cut.bin");
        std::fs::write(&cut, &real[..real.len() / 2]).unwrap();
        assert!(matches!(
            FaceModel::from_file(&cut),
            Err(FaceModelError::Unreadable { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_face_in_a_plain_picture() {
        let mut finder = FaceFinder::new(FaceFinderConfig::default());
        let g = GrayImage::from_fn(320, 240, |x, y| image::Luma([((x * 3 + y) % 256) as u8]));
        assert!(finder.detect(&g).is_empty());
        assert!(finder.detect(&GrayImage::new(30, 30)).is_empty());
    }
}
