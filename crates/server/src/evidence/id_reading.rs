//! The server's own reading of the uploaded ID front (path B). Once a case's pictures are in,
//! the front is decrypted and read by the OCR crate, off the request path, and the case records
//! the number and name read and whether they match what the customer typed. It is a hint for
//! the reviewer beside the pictures: a mismatch rejects nothing by itself.
//!
//! The waiting list is the table itself (`ocr_read_at IS NULL`), not memory, so a restart
//! loses no case and cases uploaded while the models were missing are read once they are
//! there. One worker reads one case at a time (a reading uses two cores for about half a
//! second), woken by each upload and by a timer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reset_flow::{CustomerName, IdType};
use reset_ocr::{IdCardReading, Ocr};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use tokio::sync::{watch, Notify, OnceCell};

use crate::app::AppState;
use crate::audit;
use crate::evidence::WrappedKey;
use crate::review::EvidenceKind;
use crate::store::cases::{self, CaseRecord};
use crate::store::ms;

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

/// What the reviewer is shown: what was read, and whether it is what the customer typed.
/// `None` in a match means it cannot be said (nothing read, or not a 居民身份证).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Only a number whose check digit holds.
    pub number: Option<String>,
    pub name: Option<String>,
    pub number_matches: Option<bool>,
    pub name_matches: Option<bool>,
}

/// Personal data inside: only whether each field was read and matched is printed.
impl std::fmt::Debug for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Comparison(number read: {}, name read: {}, number matches: {:?}, name matches: {:?})",
            self.number.is_some(),
            self.name.is_some(),
            self.number_matches,
            self.name_matches
        )
    }
}

/// Compares a reading with the canonical number and name the customer typed. Names are
/// compared in the 姓名 field's canonical form, so the middle dot's look-alikes and full-width
/// letters count as the same; a name read that is no valid name cannot be judged.
pub fn compare(reading: &IdCardReading, typed_number: &str, typed_name: &str) -> Comparison {
    let number = reading.accepted_number().map(str::to_ascii_uppercase);
    let name = reading.name.clone();
    let number_matches = number
        .as_deref()
        .map(|n| n.eq_ignore_ascii_case(typed_number));
    let name_matches = name
        .as_deref()
        .and_then(|n| CustomerName::parse(n).ok())
        .map(|n| n.as_str() == typed_name);
    Comparison {
        number,
        name,
        number_matches,
        name_matches,
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
    /// Loaded on the first case, once; `None` when the models could not be loaded.
    engine: OnceCell<Option<Arc<Ocr>>>,
}

impl IdReader {
    pub fn new(settings: &OcrSettings) -> IdReader {
        IdReader {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                wake: Notify::new(),
                engine: OnceCell::new(),
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

    /// The OCR engine, loaded on first use on a blocking thread. Missing or corrupt models
    /// are logged once, and reading stays off until the server restarts.
    async fn engine(&self) -> Option<Arc<Ocr>> {
        self.inner
            .engine
            .get_or_init(|| async {
                let dir = self.inner.settings.model_dir.clone();
                let loaded = tokio::task::spawn_blocking(move || match dir {
                    Some(dir) => Ocr::load(&dir),
                    None => Ocr::load_default(),
                })
                .await;
                match loaded {
                    Ok(Ok(ocr)) => Some(Arc::new(ocr)),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "ID fronts will not be read: the OCR models did not load");
                        None
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "loading the OCR models failed");
                        None
                    }
                }
            })
            .await
            .clone()
    }
}

/// Cases read per query; the worker goes on until none is left.
const BATCH: i64 = 16;

/// Reads every case waiting for it; answers how many were recorded. Stops early (reading
/// nothing) when the models are not there.
pub async fn read_waiting(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut recorded = 0;
    loop {
        let waiting: Vec<String> = sqlx::query(
            "SELECT c.id FROM review_cases c WHERE c.ocr_read_at IS NULL AND c.purged_at IS NULL \
             AND c.state IN ('collecting', 'pending') AND EXISTS (SELECT 1 FROM evidence e \
             WHERE e.case_id = c.id AND e.kind = $1) ORDER BY c.created_at LIMIT $2",
        )
        .bind(EvidenceKind::IdFront.as_str())
        .bind(BATCH)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?;
        if waiting.is_empty() {
            return Ok(recorded);
        }
        let Some(ocr) = state.id_reader.engine().await else {
            return Ok(recorded);
        };
        let mut progressed = false;
        for case_id in waiting {
            let Some(case) = cases::by_id(&state.db, &case_id).await? else {
                continue;
            };
            let Some(found) = read_case(state, &case, &ocr).await else {
                continue;
            };
            progressed = true;
            if record(state, &case, &found).await? {
                recorded += 1;
            }
        }
        if !progressed {
            // Every picture of this batch was unavailable: try again on the next round.
            return Ok(recorded);
        }
    }
}

/// Reads one case's ID front. `None` when its picture cannot be had just now (the store is
/// down): the case stays waiting. A picture that opens but cannot be read gives an empty
/// comparison, recorded like any other so the case is not read again and again.
async fn read_case(state: &AppState, case: &CaseRecord, ocr: &Arc<Ocr>) -> Option<Comparison> {
    if case.id_type != IdType::IdCard.as_str() {
        // Only the 居民身份证's front is laid out for the reader; other documents get no hint.
        return Some(Comparison::default());
    }
    let jpeg = match front_picture(state, case).await {
        Ok(Some(jpeg)) => jpeg,
        Ok(None) => return Some(Comparison::default()),
        Err(()) => return None,
    };
    let ocr = ocr.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let rgb = reset_ocr::decode_picture(&jpeg)?;
        ocr.read_number_and_name(&rgb)
    })
    .await;
    match reading {
        Ok(Ok(reading)) => Some(compare(&reading, &case.id_number, &case.name)),
        Ok(Err(e)) => {
            tracing::warn!(case = %case.id, error = %e, "the ID front could not be read");
            Some(Comparison::default())
        }
        Err(e) => {
            tracing::error!(case = %case.id, error = %e, "reading an ID front failed");
            Some(Comparison::default())
        }
    }
}

/// The decrypted JPEG of the case's ID front. `Ok(None)`: there is none, or it does not open
/// (the key or the sealed bytes are wrong, which is logged); `Err`: the store did not answer.
async fn front_picture(state: &AppState, case: &CaseRecord) -> Result<Option<Vec<u8>>, ()> {
    let Some(wrapped) = case.wrapped_key.clone() else {
        return Ok(None);
    };
    let rows = cases::evidence_of(&state.db, &case.id)
        .await
        .map_err(|_| ())?;
    let Some(row) = rows
        .into_iter()
        .find(|r| r.kind == EvidenceKind::IdFront.as_str())
    else {
        return Ok(None);
    };
    let sealed = match state.evidence.store.get(&row.object_id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(case = %case.id, error = %e, "evidence store could not give the ID front; will retry");
            return Err(());
        }
    };
    let wrapped = WrappedKey {
        key_id: case.key_id.clone(),
        wrapped,
    };
    let opened = state
        .evidence
        .vault
        .unwrap(&case.id, &wrapped)
        .map_err(|e| e.to_string())
        .and_then(|key| {
            key.open(&case.id, &row.object_id, &sealed)
                .map_err(|e| e.to_string())
        });
    match opened {
        Ok(jpeg) => Ok(Some(jpeg)),
        Err(e) => {
            tracing::error!(case = %case.id, error = %e, "the ID front does not open");
            Ok(None)
        }
    }
}

/// Saves the comparison unless the case was read, purged or decided meanwhile; audited with
/// what was found, never with the values.
async fn record(
    state: &AppState,
    case: &CaseRecord,
    found: &Comparison,
) -> Result<bool, sqlx::Error> {
    let now_ms = ms(state.clock.now());
    let flag = |b: Option<bool>| b.map(i64::from);
    let mut tx = state.db.pool.begin().await?;
    let changed = sqlx::query(
        "UPDATE review_cases SET ocr_id_number = $1, ocr_name = $2, ocr_number_matches = $3, \
         ocr_name_matches = $4, ocr_read_at = $5 WHERE id = $6 AND ocr_read_at IS NULL \
         AND purged_at IS NULL AND state IN ('collecting', 'pending')",
    )
    .bind(found.number.as_deref())
    .bind(found.name.as_deref())
    .bind(flag(found.number_matches))
    .bind(flag(found.name_matches))
    .bind(now_ms)
    .bind(&case.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    audit::record(
        &mut tx,
        now_ms,
        Some(&case.flow_id),
        case.customer_id,
        "id_front_read",
        json!({
            "case": case.id,
            "number_read": found.number.is_some(),
            "name_read": found.name.is_some(),
            "number_matches": found.number_matches,
            "name_matches": found.name_matches,
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(case = %case.id, ?found, "ID front read");
    Ok(true)
}

/// Reads waiting cases whenever woken or every `every_s`, until `stop` turns true.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    if !state.id_reader.enabled() {
        return;
    }
    let every = Duration::from_secs(state.id_reader.inner.settings.every_s.max(1));
    loop {
        if let Err(e) = read_waiting(&state).await {
            tracing::warn!(error = %e, "reading ID fronts failed; the next round retries");
        }
        tokio::select! {
            _ = state.id_reader.inner.wake.notified() => {}
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(number: Option<&str>, holds: bool, name: Option<&str>) -> IdCardReading {
        IdCardReading {
            number: number.map(str::to_owned),
            check_digit_holds: holds,
            name: name.map(str::to_owned),
            ..IdCardReading::default()
        }
    }

    #[test]
    fn the_same_number_and_name_match() {
        let c = compare(
            &reading(Some("11010519491231002x"), true, Some("张三")),
            "11010519491231002X",
            "张三",
        );
        assert_eq!(c.number.as_deref(), Some("11010519491231002X"));
        assert_eq!(c.number_matches, Some(true));
        assert_eq!(c.name_matches, Some(true));
    }

    #[test]
    fn another_number_or_name_does_not_match() {
        let c = compare(
            &reading(Some("110105194912310021"), true, Some("李四")),
            "11010519491231002X",
            "张三",
        );
        assert_eq!(c.number_matches, Some(false));
        assert_eq!(c.name_matches, Some(false));
    }

    #[test]
    fn a_number_failing_its_check_digit_is_not_kept_or_judged() {
        let c = compare(
            &reading(Some("110105194912310021"), false, None),
            "110105194912310021",
            "张三",
        );
        assert_eq!(c.number, None);
        assert_eq!(c.number_matches, None);
        assert_eq!(c.name_matches, None);
    }

    #[test]
    fn names_compare_in_canonical_form() {
        // A look-alike of the middle dot, as an OCR or an IME may give it.
        let c = compare(
            &reading(None, false, Some("阿依古丽•买买提")),
            "11010519491231002X",
            "阿依古丽·买买提",
        );
        assert_eq!(c.name_matches, Some(true));
        // Something read that is no name at all cannot be judged either way.
        let c = compare(&reading(None, false, Some("12")), "x", "张三");
        assert_eq!(c.name_matches, None);
    }

    #[test]
    fn the_debug_form_shows_no_personal_data() {
        let c = compare(
            &reading(Some("11010519491231002X"), true, Some("张三")),
            "11010519491231002X",
            "张三",
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("11010519491231002X") && !shown.contains("张三"));
    }
}
