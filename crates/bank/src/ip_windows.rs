//! The per-IP windows' counts, kept in the database so every instance shares them, written
//! many requests at a time. A request that arrives while counts are being written waits, and
//! then every request that arrived meanwhile is counted in one statement. Each is told its
//! own place in its window, so a window still admits exactly its limit. On SQLite, which has
//! one writer, a statement per request was a quarter of path A's writes.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reset_flow::ErrorCode;

use tokio::sync::oneshot;

use crate::error::{BankError, BankResult};
use crate::store::{allowances, Db};

/// Rows in one statement at most (three values a row: well under SQLite's and PostgreSQL's
/// bound on values in a statement).
const MOST_IN_ONE_STATEMENT: usize = 1000;

/// A call waiting to be counted: its window, and where its place in the window is sent (or
/// the statement's error: with the database down, every call of the batch is told at once,
/// not after a second wait of its own).
struct Waiting {
    bucket: String,
    window_start: i64,
    place: Place,
}

type Place = oneshot::Sender<BankResult<i64>>;

/// How long after a batch found the database unreachable the calls that waited behind it get
/// that answer at once. Without it they would wait their own full connection timeout after
/// that batch's: twice the bound a request waits while the database is down.
const UNREACHABLE_FOR: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct IpWindows {
    waiting: Mutex<Vec<Waiting>>,
    /// Held while a batch is written: calls arriving meanwhile gather for the next one. It
    /// keeps when the last batch found the database unreachable, and that answer.
    writing: tokio::sync::Mutex<Option<(Instant, BankError)>>,
}

impl IpWindows {
    /// Counts one call in the window `bucket`: its place in the window (1 for the first).
    pub async fn count(&self, db: &Db, bucket: String, window_start: i64) -> BankResult<i64> {
        let (place, counted) = oneshot::channel();
        self.lock_waiting().push(Waiting {
            bucket: bucket.clone(),
            window_start,
            place,
        });
        {
            let mut unreachable = self.writing.lock().await;
            // Empty when a batch before took this call with the others.
            let batch = std::mem::take(&mut *self.lock_waiting());
            match unreachable.as_ref() {
                _ if batch.is_empty() => {}
                Some((at, error)) if at.elapsed() < UNREACHABLE_FOR => {
                    tell_all(batch.into_iter().map(|w| w.place), error);
                }
                _ => {
                    // A task of its own: a request dropped meanwhile (its client gone) does
                    // not leave the others of the batch without an answer.
                    let failed = tokio::spawn(write(db.clone(), batch)).await.ok().flatten();
                    *unreachable = failed
                        .filter(|e| e.0.code == ErrorCode::ServiceUnavailable)
                        .map(|e| (Instant::now(), e));
                }
            }
        }
        match counted.await {
            Ok(place) => place,
            // The batch's task ended without an answer (it panicked): counted alone.
            Err(_) => Ok(allowances::count_call(db, &bucket, window_start).await?),
        }
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes a batch and tells each call its place (or the error, which it returns too). Windows
/// go in the order of their names, so two instances' statements lock the same rows in the
/// same order (never a deadlock).
async fn write(db: Db, batch: Vec<Waiting>) -> Option<BankError> {
    let mut windows: BTreeMap<String, (i64, Vec<Place>)> = BTreeMap::new();
    for w in batch {
        windows
            .entry(w.bucket)
            .or_insert_with(|| (w.window_start, Vec::new()))
            .1
            .push(w.place);
    }
    let mut windows: Vec<_> = windows.into_iter().collect();
    let mut failed = None;
    while !windows.is_empty() {
        let rest = windows.split_off(windows.len().min(MOST_IN_ONE_STATEMENT));
        let rows: Vec<(String, i64, i64)> = windows
            .iter()
            .map(|(bucket, (start, calls))| (bucket.clone(), *start, calls.len() as i64))
            .collect();
        let counts = match allowances::count_calls(&db, &rows).await {
            Ok(counts) => counts.into_iter().collect::<BTreeMap<String, i64>>(),
            Err(e) => {
                // Logged once, as any database error, then told to every call.
                let error = BankError::from(e);
                for (_, (_, calls)) in std::mem::replace(&mut windows, rest) {
                    tell_all(calls, &error);
                }
                failed = Some(error);
                continue;
            }
        };
        for (bucket, (_, calls)) in std::mem::replace(&mut windows, rest) {
            let Some(&after) = counts.get(&bucket) else {
                // Every row inserted or updated returns itself: not reached.
                tell_all(calls, &BankError::from(ErrorCode::Internal));
                continue;
            };
            // The window's count was `after - n` before these `n` calls: they take the
            // places after it, in the order they arrived.
            let before = after - calls.len() as i64;
            for (i, call) in calls.into_iter().enumerate() {
                let _ = call.send(Ok(before + 1 + i as i64));
            }
        }
    }
    failed
}

fn tell_all(calls: impl IntoIterator<Item = Place>, error: &BankError) {
    for call in calls {
        let _ = call.send(Err(error.clone()));
    }
}
