//! The bank's side of the forgot-login-password reset, without HTTP: the reserved-phone path
//! (A), the phone-unavailable path (B) with its pictures and review cases, SMS codes for either
//! phone, customer login and staff sign-in, the SMS outbox, the purge and the reading of ID
//! fronts as workers, and all storage (sqlx on SQLite or PostgreSQL). The server crate puts HTTP
//! in front of it; the desktop app runs it in-process.

pub mod client_address;
pub mod clock;
pub mod codes;
pub mod config;
pub mod customer_login;
pub mod error;
pub mod evidence;
pub mod hashing;
pub mod limits;
pub mod lockout;
pub mod metrics;
pub mod new_password;
pub mod open_flow;
pub mod operators;
pub mod phone_unavailable;
pub mod reserved_phone;
pub mod review;
pub mod rng;
pub mod services;
pub mod sms;
pub mod staff;
pub mod store;
pub mod workers;

pub use config::Settings;
pub use error::{BankError, BankResult, BoxError};
pub use services::Services;
