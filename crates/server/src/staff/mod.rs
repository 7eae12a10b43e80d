//! The review console under `/staff`: server-rendered HTML in Chinese where reviewers decide
//! phone-unavailable cases, with its sign-in page, cookies and CSRF tokens. The rules (sign-in,
//! sessions, review) are the bank's.

mod console;
mod csrf;
mod page;
mod refusal;
mod session;
mod sign_in;
mod trail;

use axum::routing::{get, post};
use axum::Router;

use reset_bank::Services;

pub use session::StaffSession;

/// The routes under `/staff`, each answer carrying the console's security headers.
pub fn routes() -> Router<Services> {
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
