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

/// Database trouble, logged without data. A database that cannot be reached now (down,
/// restarting, out of connections, its disk full) is `service_unavailable`: the caller may try
/// again and the load balancer's health check sees it too. Anything else is `internal`.
impl From<sqlx::Error> for BankError {
    fn from(e: sqlx::Error) -> BankError {
        match unavailable(&e) {
            Some(Unavailable::DiskFull) => {
                tracing::error!(error = %e, "the database's disk is full: nothing was written");
                ErrorCode::ServiceUnavailable.into()
            }
            Some(Unavailable::Unreachable) => {
                tracing::warn!(error = %e, "the database is unavailable");
                ErrorCode::ServiceUnavailable.into()
            }
            None => {
                tracing::error!(error = %e, "database error");
                ErrorCode::Internal.into()
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// No connection: refused, reset, timed out waiting for the pool, or the server shutting
    /// down or starting up.
    Unreachable,
    /// The database cannot grow (SQLite `SQLITE_FULL`, PostgreSQL `53100 disk_full`).
    DiskFull,
}

/// Whether `e` says the database cannot serve now rather than that the request was wrong.
pub fn unavailable(e: &sqlx::Error) -> Option<Unavailable> {
    use sqlx::Error as E;
    match e {
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => {
            Some(Unavailable::Unreachable)
        }
        E::Database(db) => {
            let code = db.code()?;
            // PostgreSQL: SQLSTATE class 08 (connection exception), 57P01-57P03 (admin
            // shutdown, crash shutdown, cannot connect now), 53300 too many connections.
            // SQLite under sqlx: the numeric result code, 13 SQLITE_FULL, 10 SQLITE_IOERR (the
            // extended ones keep 10 in their low byte).
            let sqlite: Option<i64> = code.parse().ok();
            if code == "53100" || sqlite == Some(13) {
                Some(Unavailable::DiskFull)
            } else if code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || sqlite.is_some_and(|c| c & 0xff == 10)
            {
                Some(Unavailable::Unreachable)
            } else {
                None
            }
        }
        _ => None,
    }
}

pub type BankResult<T> = Result<T, BankError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_unavailable_and_a_bad_query_internal() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(unavailable(&refused), Some(Unavailable::Unreachable));
        assert_eq!(
            unavailable(&sqlx::Error::PoolTimedOut),
            Some(Unavailable::Unreachable)
        );
        assert_eq!(
            unavailable(&sqlx::Error::PoolClosed),
            Some(Unavailable::Unreachable)
        );
        assert_eq!(unavailable(&sqlx::Error::RowNotFound), None);
        assert_eq!(
            BankError::from(sqlx::Error::PoolTimedOut).code(),
            ErrorCode::ServiceUnavailable
        );
        assert_eq!(
            BankError::from(sqlx::Error::RowNotFound).code(),
            ErrorCode::Internal
        );
    }
}
