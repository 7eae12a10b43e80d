//! A refusal on the staff side, before it is rendered (`page.rs` draws it): what the session
//! checks, the CSRF check and the handlers answer with.

use reset_flow::ErrorCode;

use reset_bank::BankError;

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

impl From<BankError> for PageError {
    fn from(e: BankError) -> PageError {
        PageError::Code(e.code())
    }
}
