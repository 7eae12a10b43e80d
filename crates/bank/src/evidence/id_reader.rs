//! The handle of the ID-front reading (`[ocr]` settings, the wake-up, the models found once):
//! shared by the upload handler, which wakes it, and the worker in `id_reading.rs`, which the
//! state does not need to know.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reset_ocr::models::{DET_FILE, KEYS_FILE, REC_FILE};
use reset_ocr::{default_model_dir, ModelError, Ocr};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// `[ocr]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcrSettings {
    /// Read the ID fronts of path-B cases for the reviewer.
    pub enabled: bool,
    /// The folder of the PP-OCRv5 model files. Unset: `RESET_MODEL_DIR`, else the folder
    /// `scripts/fetch-models` fills.
    pub model_dir: Option<PathBuf>,
    /// How often the worker looks for cases it has not read, besides being woken by uploads.
    pub every_s: u64,
}

impl Default for OcrSettings {
    fn default() -> Self {
        OcrSettings {
            enabled: true,
            model_dir: None,
            every_s: 60,
        }
    }
}

/// The reader shared by the upload handler (which wakes it) and the worker.
#[derive(Clone)]
pub struct IdReader {
    inner: Arc<Inner>,
}

struct Inner {
    settings: OcrSettings,
    wake: Notify,
    /// Whether the models' absence was logged already (once, not every round).
    told_missing: AtomicBool,
}

impl IdReader {
    pub fn new(settings: &OcrSettings) -> IdReader {
        IdReader {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                wake: Notify::new(),
                told_missing: AtomicBool::new(false),
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.inner.settings.enabled
    }

    /// Tells the worker a case has new pictures.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Until an upload wakes the worker.
    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// How often the worker looks for cases besides being woken.
    pub(crate) fn every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.inner.settings.every_s.max(1))
    }

    fn model_dir(&self) -> Result<PathBuf, ModelError> {
        match &self.inner.settings.model_dir {
            Some(dir) => Ok(dir.clone()),
            None => default_model_dir(),
        }
    }

    /// At start: says in the log when the model files are not there, so an operator learns it
    /// before the first case waits. Cheap: the files are only looked at.
    pub(crate) fn check_models(&self) {
        let missing = match self.model_dir() {
            Ok(dir) => [DET_FILE, REC_FILE, KEYS_FILE]
                .iter()
                .find(|f| !dir.join(f).is_file())
                .map(|f| format!("{} is missing in {}", f, dir.display())),
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = missing {
            self.inner.told_missing.store(true, Ordering::Relaxed);
            tracing::warn!(%why, "ID fronts will not be read until the OCR models are there");
        }
    }

    /// The process's OCR engine for the configured folder ([`Ocr::shared`], so the app's
    /// camera icon and its embedded server load the models once), loaded on a blocking thread
    /// on first use. Missing or corrupt models give `None`, logged once; each round tries again,
    /// so models installed later are used without a restart.
    pub(crate) async fn engine(&self) -> Option<Arc<Ocr>> {
        let dir = self.model_dir();
        let loaded = tokio::task::spawn_blocking(move || Ocr::shared(&dir?)).await;
        match loaded {
            Ok(Ok(ocr)) => {
                self.inner.told_missing.store(false, Ordering::Relaxed);
                Some(ocr)
            }
            Ok(Err(e)) => {
                if !self.inner.told_missing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "ID fronts will not be read: the OCR models did not load");
                }
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "loading the OCR models failed");
                None
            }
        }
    }
}
