//! The console's staff session: the bank's session token in an HttpOnly, SameSite=Strict cookie
//! scoped to `/staff`, with the CSRF token its forms carry.

use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use cookie::{Cookie, SameSite};
use reset_bank::staff::sessions::{self, SignedIn};
use reset_bank::staff::StaffRole;
use reset_bank::BankResult;
use reset_flow::ErrorCode;

use super::csrf;
use super::refusal::PageError;
use reset_bank::Services;

pub const SESSION_COOKIE: &str = "staff_session";

/// The logged-in staff member of a request, with the CSRF token their forms must carry.
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub member: SignedIn,
    pub csrf: String,
}

impl Deref for StaffSession {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.member
    }
}

impl StaffSession {
    /// Approving resets a customer's password: only a session signed in with the second factor.
    pub fn require_second_factor(&self) -> Result<(), PageError> {
        if self.second_factor {
            Ok(())
        } else {
            Err(ErrorCode::SecondFactorRequired.into())
        }
    }

    pub fn require_supervisor(&self) -> Result<(), PageError> {
        match self.role {
            StaffRole::Supervisor => Ok(()),
            StaffRole::Reviewer => Err(ErrorCode::Forbidden.into()),
        }
    }

    /// Refuses a form whose `csrf` field is not this session's token.
    pub fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        csrf::check(&self.csrf, given)
    }
}

/// The session of the request's cookie, if it is live.
pub async fn find(state: &Services, headers: &HeaderMap) -> BankResult<Option<StaffSession>> {
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(sessions::find(state, &token)
        .await?
        .map(|member| StaffSession {
            member,
            csrf: csrf::for_session(&token),
        }))
}

/// The value of cookie `name` in the request, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value for the console: HttpOnly, SameSite=Strict, Path=/staff, and Secure
/// when configured. `None` clears the cookie.
pub fn set_cookie(state: &Services, name: &str, value: Option<&str>) -> HeaderValue {
    let mut c = Cookie::build((name.to_owned(), value.unwrap_or("").to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/staff")
        .secure(state.settings.secure_staff_cookies());
    if value.is_none() {
        c = c.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie text is a valid header")
}

/// Every handler under `/staff` but the login page takes this: no session sends a page
/// request to the login page and refuses anything else with `staff_session_required`.
impl FromRequestParts<Services> for StaffSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Services,
    ) -> Result<StaffSession, PageError> {
        match find(state, &parts.headers).await? {
            Some(s) => Ok(s),
            None if parts.method == Method::GET => Err(PageError::LoginNeeded),
            None => Err(ErrorCode::StaffSessionRequired.into()),
        }
    }
}
