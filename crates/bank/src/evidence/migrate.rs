//! Moving the sealed pictures from one store to another (`reset-server evidence migrate --to …`),
//! for a bank that goes from one machine's folder to the database or an object store. Every
//! picture the case rows name is copied and read back from the new store before it counts; one
//! already there with the same bytes is skipped, so a move that stopped halfway is run again
//! and goes on. The sealed bytes are moved as they are: nothing is decrypted.

use std::io;

use super::picture_store::EvidenceStore;
use crate::store::{cases, Db};

/// What a move did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// Copied and read back.
    pub copied: u64,
    /// Already in the new store with the same bytes (an earlier run).
    pub already: u64,
    /// Named by a case but in neither store (purged meanwhile, or lost before).
    pub missing: u64,
    /// Deleted from the old store after the copy was read back (`remove_old`).
    pub removed: u64,
}

/// Copies every picture the case rows name from `from` to `to`, reading each back; with
/// `remove_old`, deletes it from `from` once the new copy is proven.
pub async fn move_pictures(
    db: &Db,
    from: &dyn EvidenceStore,
    to: &dyn EvidenceStore,
    remove_old: bool,
) -> Result<Moved, String> {
    let mut moved = Moved::default();
    let mut after = String::new();
    loop {
        let ids = cases::object_ids_after(db, &after, 200)
            .await
            .map_err(|e| format!("reading the case rows: {e}"))?;
        let Some(last) = ids.last() else {
            return Ok(moved);
        };
        after = last.clone();
        for id in &ids {
            let old = match from.get(id).await {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("{} store, object {id}: {e}", from.name())),
            };
            let present = match to.get(id).await {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("{} store, object {id}: {e}", to.name())),
            };
            match (old, present) {
                (None, None) => moved.missing += 1,
                (None, Some(_)) => moved.already += 1,
                (Some(old), Some(new)) if old == new => {
                    moved.already += 1;
                    if remove_old {
                        remove(from, id).await?;
                        moved.removed += 1;
                    }
                }
                (Some(old), _) => {
                    to.put(id, old.clone())
                        .await
                        .map_err(|e| format!("{} store, object {id}: {e}", to.name()))?;
                    let back = to
                        .get(id)
                        .await
                        .map_err(|e| format!("{} store, reading {id} back: {e}", to.name()))?;
                    if back != old {
                        return Err(format!(
                            "{} store, object {id}: read back other bytes than were written",
                            to.name()
                        ));
                    }
                    moved.copied += 1;
                    if remove_old {
                        remove(from, id).await?;
                        moved.removed += 1;
                    }
                }
            }
        }
    }
}

async fn remove(from: &dyn EvidenceStore, id: &str) -> Result<(), String> {
    from.delete(id)
        .await
        .map_err(|e| format!("{} store, deleting {id}: {e}", from.name()))
}
