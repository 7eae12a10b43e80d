//! The random generator the services draw codes, flow ids, salts, keys and session tokens
//! from: injected like the clock, so tests can seed it.

use std::sync::{Arc, Mutex};

use rand::{CryptoRng, SeedableRng};

/// The CSPRNG the services draw codes, flow ids, salts and session tokens from.
pub type SharedRng = Arc<Mutex<Box<dyn CryptoRng + Send>>>;

/// A CSPRNG seeded from the operating system.
pub fn os_rng() -> SharedRng {
    Arc::new(Mutex::new(Box::new(rand::rngs::StdRng::from_os_rng())))
}

/// `n` random bytes from `rng`.
pub fn random_bytes(rng: &SharedRng, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut r = rng.lock().unwrap_or_else(|e| e.into_inner());
    r.fill_bytes(&mut out);
    out
}
