//! Master-key rotation: every case's data key not yet wrapped by the current master key is
//! unwrapped with its own (older) key and wrapped again with the current one. Each row changes
//! by compare-and-set on its old wrapped key, so a rotation racing a server is safe to re-run.

use super::{Vault, VaultError, WrappedKey};
use crate::rng::SharedRng;
use crate::store::{cases, Db};

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
    let mut done = Rotation::default();
    for stored in cases::keys_not_under(db, vault.current_id()).await? {
        let old = WrappedKey {
            key_id: stored.key_id.clone(),
            wrapped: stored.wrapped.clone(),
        };
        let new = match vault.rewrap(&stored.case_id, &old, rng) {
            Ok(Some(new)) => new,
            Ok(None) => continue,
            Err(VaultError::UnknownKeyId(_)) => {
                done.unknown_key += 1;
                continue;
            }
            Err(e) => return Err(format!("case {}: {e}", stored.case_id).into()),
        };
        if cases::rewrap_key(db, &stored, &new.key_id, &new.wrapped).await? {
            done.rewrapped += 1;
        }
    }
    Ok(done)
}

/// Cases still wrapped by each key id other than the current one.
pub async fn remaining(db: &Db, vault: &Vault) -> Result<Vec<(String, i64)>, sqlx::Error> {
    cases::keys_in_use_besides(db, vault.current_id()).await
}
