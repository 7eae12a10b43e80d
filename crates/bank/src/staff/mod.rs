//! The staff side of the bank, without pages: sign-in with its lockout and second factor,
//! sessions kept as hashes, and the `[staff]` settings. The review console's pages are the
//! server's.

pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod totp;

pub use sessions::{SignedIn, StaffRole};
pub use settings::StaffSettings;
