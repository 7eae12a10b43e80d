//! The server's own reading of the uploaded ID front (path B). Once a case's pictures are in,
//! the front is decrypted and read by the OCR crate, off the request path, and the case records
//! the number and name read and whether they match what the customer typed. It is a hint for
//! the reviewer beside the pictures: a mismatch rejects nothing by itself.
//!
//! The waiting list is the table itself (`ocr_read_at IS NULL`), not memory, so a restart
//! loses no case and cases uploaded while the models were missing are read once they are
//! there. One worker per server reads one case at a time (a reading uses two cores for about
//! half a second), woken by each upload and by a timer; servers sharing a database claim a case
//! before reading it, so each case is read once.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::sync::Arc;

use reset_flow::{CustomerName, IdType};
use reset_ocr::{IdCardReading, Ocr};
use serde_json::json;
use tokio::sync::watch;

pub use crate::evidence::id_reader::{IdReader, OcrSettings};
use crate::evidence::WrappedKey;
use crate::open_flow::short;
use crate::review::EvidenceKind;
use crate::services::Services;
use crate::store::audit;
use crate::store::cases::{self, CaseRecord};
use crate::store::ms;

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

/// Cases looked at per query; the worker goes on until none is left.
const BATCH: usize = 16;
/// How long a server's claim on a case keeps other servers on the same database off it: a
/// server that dies mid-reading leaves the case to the others after this.
const CLAIM_MS: i64 = 10 * 60 * 1000;

/// Reads every case waiting for it; answers how many were recorded. Returns early when the
/// models are not there or `stop` turns true (checked between cases). A case whose picture
/// cannot be had just now is passed over until the next round, so it holds up no other.
pub async fn read_waiting(
    state: &Services,
    stop: &watch::Receiver<bool>,
) -> Result<usize, sqlx::Error> {
    let mut recorded = 0;
    let mut passed_over: HashSet<String> = HashSet::new();
    loop {
        let waiting = cases::waiting_for_reading(
            &state.db,
            EvidenceKind::IdFront.as_str(),
            (BATCH + passed_over.len()) as i64,
        )
        .await?;
        let waiting: Vec<String> = waiting
            .into_iter()
            .filter(|id| !passed_over.contains(id))
            .collect();
        if waiting.is_empty() {
            return Ok(recorded);
        }
        let Some(ocr) = state.id_reader.engine().await else {
            return Ok(recorded);
        };
        for case_id in waiting {
            if *stop.borrow() {
                return Ok(recorded);
            }
            if !claim(state, &case_id).await? {
                // Another server is reading it, or it changed since the query.
                passed_over.insert(case_id);
                continue;
            }
            let Some(case) = cases::by_id(&state.db, &case_id).await? else {
                passed_over.insert(case_id);
                continue;
            };
            // Not recorded (the picture could not be had, or the case changed): next round.
            let recorded_now = match read_case(state, &case, &ocr).await {
                Some(found) => record(state, &case, &found).await?,
                None => {
                    // Give the claim back, so the next round (here or elsewhere) need not
                    // wait for it to run out.
                    release(state, &case_id).await?;
                    false
                }
            };
            if recorded_now {
                recorded += 1;
            } else {
                passed_over.insert(case_id);
            }
        }
    }
}

/// Claims a waiting case for this server for [`CLAIM_MS`]; false when another has it.
async fn claim(state: &Services, case_id: &str) -> Result<bool, sqlx::Error> {
    let now_ms = ms(state.clock.now());
    cases::claim_reading(&state.db, case_id, now_ms, now_ms - CLAIM_MS).await
}

/// Gives back this server's claim on a case it could not read just now.
async fn release(state: &Services, case_id: &str) -> Result<(), sqlx::Error> {
    cases::release_reading(&state.db, case_id).await
}

/// Reads one case's ID front. `None` when its picture cannot be had just now (the store did
/// not answer): the case waits for the next round. A picture that is gone for good, does not
/// open, or opens but cannot be read gives an empty comparison, recorded like any other so the
/// case is not read again and again.
async fn read_case(state: &Services, case: &CaseRecord, ocr: &Arc<Ocr>) -> Option<Comparison> {
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
    // On the picture workers: with uploads, at most `max_concurrent` picture jobs at once.
    let reading = state
        .evidence
        .workers
        .run(move || {
            let rgb = reset_ocr::decode_picture(&jpeg)?;
            ocr.read_number_and_name(&rgb)
        })
        .await;
    match reading {
        Ok(Ok(reading)) => Some(compare(&reading, &case.id_number, &case.name)),
        Ok(Err(e)) => {
            tracing::warn!(case = %short(&case.id), error = %e, "the ID front could not be read");
            Some(Comparison::default())
        }
        Err(code) => {
            tracing::error!(case = %short(&case.id), ?code, "reading an ID front failed");
            Some(Comparison::default())
        }
    }
}

/// The decrypted JPEG of the case's ID front. `Ok(None)`: there is none, it is gone from the
/// store, or it does not open (the key or the sealed bytes are wrong; logged); `Err`: the store
/// did not answer, worth another try.
async fn front_picture(state: &Services, case: &CaseRecord) -> Result<Option<Vec<u8>>, ()> {
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
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::InvalidInput) => {
            tracing::error!(case = %short(&case.id), error = %e, "the ID front is not in the evidence store");
            return Ok(None);
        }
        Err(e) => {
            tracing::warn!(case = %short(&case.id), error = %e, "evidence store could not give the ID front; next round retries");
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
            tracing::error!(case = %short(&case.id), error = %e, "the ID front does not open");
            Ok(None)
        }
    }
}

/// Saves the comparison unless the case was read, purged or decided meanwhile; audited with
/// what was found, never with the values.
async fn record(
    state: &Services,
    case: &CaseRecord,
    found: &Comparison,
) -> Result<bool, sqlx::Error> {
    let now_ms = ms(state.clock.now());
    let mut tx = state.db.writer.begin().await?;
    let reading = cases::Reading {
        id_number: found.number.as_deref(),
        name: found.name.as_deref(),
        number_matches: found.number_matches,
        name_matches: found.name_matches,
    };
    let changed = cases::record_reading(&mut tx, &case.id, &reading, now_ms).await?;
    if !changed {
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
    tracing::info!(case = %short(&case.id), ?found, "ID front read");
    Ok(true)
}

/// Reads waiting cases whenever woken or every `every_s`, until `stop` turns true; a reading
/// under way finishes first, the rest of a backlog waits for the next start.
pub async fn run(state: Services, mut stop: watch::Receiver<bool>) {
    if !state.id_reader.enabled() {
        return;
    }
    state.id_reader.check_models();
    let every = state.id_reader.every();
    loop {
        if let Err(e) = read_waiting(&state, &stop).await {
            tracing::warn!(error = %e, "reading ID fronts failed; the next round retries");
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = state.id_reader.woken() => {}
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
