//! Master-key rotation: every case's data key not yet wrapped by the current master key is
//! unwrapped with its own (older) key and wrapped again with the current one. Each row changes
//! by compare-and-set on its old wrapped key, so a rotation racing a server is safe to re-run.

use sqlx::Row;

use super::{Vault, VaultError, WrappedKey};
use crate::rng::SharedRng;
use crate::store::Db;

/// What a rotation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub rewrapped: u64,
    /// Cases whose key id this server was not given: they stay as they are.
    pub unknown_key: u64,
}

pub async fn rotate(
    db: &Db,
    vault: &Vault,
    rng: &SharedRng,
) -> Result<Rotation, Box<dyn std::error::Error + Send + Sync>> {
    let rows = sqlx::query(
        "SELECT id, key_id, wrapped_key FROM review_cases WHERE wrapped_key IS NOT NULL AND key_id <> $1",
    )
    .bind(vault.current_id())
    .fetch_all(&db.pool)
    .await?;
    let mut done = Rotation::default();
    for r in rows {
        let case_id: String = r.try_get("id")?;
        let old = WrappedKey {
            key_id: r.try_get("key_id")?,
            wrapped: r.try_get("wrapped_key")?,
        };
        let new = match vault.rewrap(&case_id, &old, rng) {
            Ok(Some(new)) => new,
            Ok(None) => continue,
            Err(VaultError::UnknownKeyId(_)) => {
                done.unknown_key += 1;
                continue;
            }
            Err(e) => return Err(format!("case {case_id}: {e}").into()),
        };
        let changed = sqlx::query(
            "UPDATE review_cases SET key_id = $1, wrapped_key = $2 WHERE id = $3 AND key_id = $4 AND wrapped_key = $5",
        )
        .bind(&new.key_id)
        .bind(&new.wrapped)
        .bind(&case_id)
        .bind(&old.key_id)
        .bind(&old.wrapped)
        .execute(&db.pool)
        .await?
        .rows_affected();
        done.rewrapped += changed;
    }
    Ok(done)
}

/// Cases still wrapped by each key id other than the current one.
pub async fn remaining(db: &Db, vault: &Vault) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT key_id, COUNT(*) AS n FROM review_cases WHERE wrapped_key IS NOT NULL AND key_id <> $1 \
         GROUP BY key_id ORDER BY key_id",
    )
    .bind(vault.current_id())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("key_id")?, r.try_get("n")?)))
        .collect()
}
