//! argon2id password hashing on a fixed set of `max_concurrent` dedicated threads, so a burst
//! of logins queues instead of exhausting memory: each hash holds `m_kib` KiB, and a fixed set
//! of threads keeps the allocator from growing one arena per short-lived blocking thread.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use std::cell::RefCell;

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, Semaphore};

use crate::rng::{random_bytes, SharedRng};

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

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// Requests allowed to wait for or use a hashing thread at once.
    permits: Arc<Semaphore>,
    jobs: SyncSender<Job>,
    /// Hashes computed so far (for tests that check unknown customers cost the same).
    runs: Arc<std::sync::atomic::AtomicU64>,
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
        let n = n.max(1);
        let (jobs, queue) = sync_channel::<Job>(n);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..n {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || hashing_thread(&queue))
                .map_err(|_| HashError)?;
        }
        // The dummy hash is made on a hashing thread too, so no other thread keeps its memory.
        let (tx, rx) = std::sync::mpsc::channel();
        let (p, dummy_salt) = (params.clone(), salt(&rng)?);
        jobs.send(Box::new(move || {
            let _ = tx.send(phc(&p, &dummy_salt, b"not a password"));
        }))
        .map_err(|_| HashError)?;
        let dummy = rx.recv().map_err(|_| HashError)??;
        Ok(Hasher {
            params,
            permits: Arc::new(Semaphore::new(n)),
            jobs,
            runs: Arc::default(),
            rng,
            dummy: dummy.into(),
        })
    }

    /// How many hashes or verifications this hasher has run.
    pub fn runs(&self) -> u64 {
        self.runs.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn dummy_hash(&self) -> String {
        self.dummy.to_string()
    }

    /// A PHC string for `password` with the current parameters.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let salt = salt(&self.rng)?;
        let params = self.params.clone();
        self.run(move || phc(&params, &salt, password.as_bytes()))
            .await
    }

    /// Whether `password` matches the PHC string `hash` (whatever parameters it was made with).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        self.run(move || verify_phc(&hash, password.as_bytes()))
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
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| HashError)?;
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(job());
            drop(permit);
        });
        // The permit travels with the job, so at most `n` jobs are queued or running even when
        // the caller gives up waiting: the channel always has room.
        self.jobs.try_send(job).map_err(|_| HashError)?;
        rx.await.map_err(|_| HashError)?
    }
}

/// Runs hashing jobs until every `Hasher` clone is dropped.
fn hashing_thread(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// The argon2id hasher for `params`, also used by the benchmark's raw hash rate.
pub fn argon(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

thread_local! {
    /// Each hashing thread keeps one argon2 memory area and reuses it for every hash, instead
    /// of asking the allocator for `m_kib` KiB each time (which fragments and grows the heap).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// The raw argon2 output of `password` with `params` and `salt` into `out`.
fn raw_hash(
    alg: Algorithm,
    version: Version,
    params: &Params,
    salt: &[u8],
    password: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    MEMORY.with(|m| {
        let mut memory = m.borrow_mut();
        let blocks = params.block_count();
        if memory.len() != blocks {
            *memory = vec![Block::default(); blocks];
        }
        Argon2::new(alg, version, params.clone())
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .map_err(|_| HashError)
    })
}

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for `password`, on the calling
/// thread. Public for the benchmark's raw hash rate, which must run the same compiled code.
pub fn phc(params: &Params, salt: &SaltString, password: &[u8]) -> Result<String, HashError> {
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|_| HashError)?;
    let mut out = [0u8; 32];
    raw_hash(
        Algorithm::Argon2id,
        Version::V0x13,
        params,
        salt_bytes,
        password,
        &mut out,
    )?;
    let output = Output::new(&out).map_err(|_| HashError)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${output}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str()
    ))
}

/// Whether `password` matches the PHC string `hash`, with the parameters written in it.
fn verify_phc(hash: &str, password: &[u8]) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(hash).map_err(|_| HashError)?;
    let alg = Algorithm::try_from(parsed.algorithm).map_err(|_| HashError)?;
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .map_err(|_| HashError)?;
    let params = Params::try_from(&parsed).map_err(|_| HashError)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(HashError);
    };
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|_| HashError)?;
    let mut out = vec![0u8; expected.len()];
    raw_hash(alg, version, &params, salt_bytes, password, &mut out)?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&out).map_err(|_| HashError)? == expected)
}

fn salt(rng: &SharedRng) -> Result<SaltString, HashError> {
    SaltString::encode_b64(&random_bytes(rng, 16)).map_err(|_| HashError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn cheap() -> Params {
        Params::new(256, 1, 1, None).unwrap()
    }

    #[test]
    fn our_phc_strings_are_standard_both_ways() {
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let ours = phc(&cheap(), &salt, b"Kunlun2024").unwrap();
        let theirs = argon(&cheap())
            .hash_password(b"Kunlun2024", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, theirs);
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"Kunlun2024", &parsed)
            .is_ok());
        assert!(verify_phc(&theirs, b"Kunlun2024").unwrap());
        assert!(!verify_phc(&theirs, b"Kunlun2025").unwrap());
        assert!(verify_phc("not a hash", b"x").is_err());
    }
}
