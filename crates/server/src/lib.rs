//! The bank side of the forgot-login-password reset: the HTTP API (axum), storage (sqlx on
//! SQLite or PostgreSQL), argon2id hashing, the SMS outbox, lockout and rate limits, audit.

pub mod admin;
pub mod api;
pub mod app;
pub mod audit;
pub mod client_address;
pub mod clock;
pub mod codes;
pub mod config;
pub mod customer_login;
pub mod error;
pub mod evidence;
pub mod hashing;
pub mod limits;
pub mod metrics;
pub mod open_flow;
pub mod path_b;
pub mod reset;
pub mod review;
pub mod rng;
pub mod server;
pub mod sms;
pub mod staff;
pub mod state;
pub mod store;

pub use app::app;
pub use config::Settings;
pub use state::AppState;
