//! The staff side: staff logins with lockout, cookie sessions, CSRF tokens, and the review
//! console (server-rendered HTML in Chinese) where reviewers decide path-B cases.

mod console;
mod csrf;
mod page;
mod refusal;
mod session;
pub mod settings;
mod sign_in;
pub mod totp;
mod trail;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub use session::{StaffRole, StaffSession};
pub use settings::StaffSettings;

/// The routes under `/staff`, each answer carrying the console's security headers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(console::queue))
        .route("/staff/login", get(sign_in::page).post(sign_in::submit))
        .route("/staff/logout", post(sign_in::logout))
        .route("/staff/cases/{case_id}", get(console::case))
        .route(
            "/staff/cases/{case_id}/evidence/{kind}/{seq}",
            get(console::evidence),
        )
        .route("/staff/cases/{case_id}/decision", post(console::decide))
        .route("/staff/assets/console.css", get(page::stylesheet))
        .layer(axum::middleware::map_response(page::security_headers))
}
