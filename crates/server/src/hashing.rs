//! argon2id password hashing on blocking threads, at most `max_concurrent` at once, so a burst
//! of logins queues instead of exhausting memory (each hash holds `m_kib` KiB).

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::clock::{random_bytes, SharedRng};

/// argon2id cost settings. The defaults are the design's floor: m = 19 MiB, t = 2, p = 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HashingSettings {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    /// Hashes running at once; 0 means one per CPU.
    pub max_concurrent: usize,
}

impl Default for HashingSettings {
    fn default() -> Self {
        HashingSettings {
            m_kib: 19 * 1024,
            t: 2,
            p: 1,
            max_concurrent: 0,
        }
    }
}

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    rng: SharedRng,
    /// A hash of nothing, verified for unknown customers so they cost the same work.
    dummy: Arc<str>,
}

#[derive(Debug)]
pub struct HashError;

impl std::error::Error for HashError {}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("password hashing failed")
    }
}

impl Hasher {
    pub fn new(settings: &HashingSettings, rng: SharedRng) -> Result<Hasher, HashError> {
        let params =
            Params::new(settings.m_kib, settings.t, settings.p, None).map_err(|_| HashError)?;
        let n = if settings.max_concurrent == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            settings.max_concurrent
        };
        let salt = salt(&rng)?;
        let dummy = argon(&params)
            .hash_password(b"not a password", &salt)
            .map_err(|_| HashError)?
            .to_string();
        Ok(Hasher {
            params,
            permits: Arc::new(Semaphore::new(n.max(1))),
            rng,
            dummy: dummy.into(),
        })
    }

    pub fn dummy_hash(&self) -> String {
        self.dummy.to_string()
    }

    /// A PHC string for `password` with the current parameters.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let salt = salt(&self.rng)?;
        let params = self.params.clone();
        self.run(move || {
            argon(&params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|_| HashError)
        })
        .await
    }

    /// Whether `password` matches the PHC string `hash` (whatever parameters it was made with).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        self.run(move || {
            let parsed = PasswordHash::new(&hash).map_err(|_| HashError)?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    /// Whether `hash` was made with other parameters than today's (then it is redone at login).
    pub fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.params.m_cost()
            || params.t_cost() != self.params.t_cost()
            || params.p_cost() != self.params.p_cost()
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError)?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|_| HashError)?
    }
}

/// The argon2id hasher for `params`, also used by the benchmark's raw hash rate.
pub fn argon(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn salt(rng: &SharedRng) -> Result<SaltString, HashError> {
    SaltString::encode_b64(&random_bytes(rng, 16)).map_err(|_| HashError)
}
