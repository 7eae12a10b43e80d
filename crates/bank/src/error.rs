//! The one error type of the bank's services: an [`ErrorCode`] with its optional details, the
//! contract's `ErrorBody`. The HTTP layer renders it with the code's status; nothing here
//! knows HTTP.

use reset_flow::wire::ErrorBody;
use reset_flow::{ErrorCode, PasswordRule};

/// What start-up and the operators' commands fail with: any error, said once and exited on.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug)]
pub struct BankError(pub Box<ErrorBody>);

impl BankError {
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn with_attempts_left(mut self, n: u32) -> BankError {
        self.0.attempts_left = Some(n);
        self
    }

    pub fn with_retry_after(mut self, s: u64) -> BankError {
        self.0.retry_after_s = Some(s);
        self
    }

    /// Which part or picture a refusal is about (`id_back`, `frame:2`), for the screen.
    pub fn with_reason(mut self, reason: &str) -> BankError {
        self.0.reason = Some(reason.to_owned());
        self
    }

    pub fn with_broken_rules(mut self, rules: Vec<PasswordRule>) -> BankError {
        self.0.broken_rules = Some(rules);
        self
    }
}

impl From<ErrorCode> for BankError {
    fn from(code: ErrorCode) -> BankError {
        BankError(Box::new(ErrorBody::new(code)))
    }
}

/// Database trouble: logged (without data) and answered as `internal`.
impl From<sqlx::Error> for BankError {
    fn from(e: sqlx::Error) -> BankError {
        tracing::error!(error = %e, "database error");
        ErrorCode::Internal.into()
    }
}

pub type BankResult<T> = Result<T, BankError>;
