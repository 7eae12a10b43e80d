//! CSRF tokens for the console's forms. A session's token is derived from its session cookie,
//! and the login form's from a pre-session cookie: a page on another site can read neither
//! cookie, so it cannot know the token. Checked in constant time on every POST.

use reset_flow::ErrorCode;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::refusal::PageError;

/// The cookie that binds the login form's token before there is a session.
pub const LOGIN_COOKIE: &str = "staff_login";

/// The token the forms of the session with `session_token` carry.
pub fn for_session(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!("reset-staff-csrf:{session_token}")))
}

/// The token the login form carries, bound to the pre-session cookie.
pub fn for_login(login_cookie: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "reset-staff-login-csrf:{login_cookie}"
    )))
}

/// `csrf_invalid` unless `given` is `expected`.
pub fn check(expected: &str, given: &str) -> Result<(), PageError> {
    let same =
        expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()));
    if same && !expected.is_empty() {
        Ok(())
    } else {
        Err(ErrorCode::CsrfInvalid.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_purpose() {
        assert_ne!(for_session("a"), for_session("b"));
        assert_ne!(for_session("a"), for_login("a"));
        assert!(check(&for_session("a"), &for_session("a")).is_ok());
        assert!(check(&for_session("a"), &for_session("b")).is_err());
        assert!(check(&for_session("a"), "").is_err());
        assert!(check("", "").is_err());
    }
}
