//! A refusal on the staff side, before it is rendered (`page.rs` draws it): what the session
//! checks, the CSRF check and the handlers answer with.

use reset_flow::ErrorCode;

use crate::error::AppError;

/// A refusal on the staff side: a page with the message, or a trip to the login page.
#[derive(Debug)]
pub enum PageError {
    Code(ErrorCode),
    LoginNeeded,
}

impl From<ErrorCode> for PageError {
    fn from(code: ErrorCode) -> PageError {
        PageError::Code(code)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError::Code(e.code())
    }
}

/// Database trouble: logged (without data) and shown as `internal`.
impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> PageError {
        AppError::from(e).into()
    }
}
