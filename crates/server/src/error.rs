//! The one error type of the HTTP layer: an [`ErrorCode`] with its optional details, rendered
//! as the contract's `ErrorBody` with the code's status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use reset_flow::wire::ErrorBody;
use reset_flow::{ErrorCode, PasswordRule};

/// What start-up and the operators' commands fail with: any error, said once and exited on.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug)]
pub struct AppError(pub Box<ErrorBody>);

impl AppError {
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn with_attempts_left(mut self, n: u32) -> AppError {
        self.0.attempts_left = Some(n);
        self
    }

    pub fn with_retry_after(mut self, s: u64) -> AppError {
        self.0.retry_after_s = Some(s);
        self
    }

    /// Which part or picture a refusal is about (`id_back`, `frame:2`), for the screen.
    pub fn with_reason(mut self, reason: &str) -> AppError {
        self.0.reason = Some(reason.to_owned());
        self
    }

    pub fn with_broken_rules(mut self, rules: Vec<PasswordRule>) -> AppError {
        self.0.broken_rules = Some(rules);
        self
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> AppError {
        AppError(Box::new(ErrorBody::new(code)))
    }
}

/// Database trouble: logged (without data) and answered as `internal`.
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        tracing::error!(error = %e, "database error");
        ErrorCode::Internal.into()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(*self.0)).into_response()
    }
}

pub type AppResult<T> = Result<T, AppError>;
