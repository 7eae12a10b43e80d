//! Staff sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie scoped to
//! `/staff`, only its hash in the database, over after an idle time or an absolute lifetime.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use cookie::{Cookie, SameSite};
use reset_flow::ErrorCode;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::csrf;
use super::refusal::PageError;
use crate::review::StaffActor;
use crate::rng::random_bytes;
use crate::state::AppState;
use crate::store::ms;

pub const SESSION_COOKIE: &str = "staff_session";

/// A session's last-seen time is written at most this often, so reading pages stays cheap.
const TOUCH_EVERY_MS: i64 = 30_000;

/// What a staff member may do. Reviewers work the pending queue; supervisors also see decided
/// cases and a case's audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Reviewer,
    Supervisor,
}

impl StaffRole {
    pub fn parse(s: &str) -> Option<StaffRole> {
        match s {
            "reviewer" => Some(StaffRole::Reviewer),
            "supervisor" => Some(StaffRole::Supervisor),
            _ => None,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            StaffRole::Reviewer => "审核员",
            StaffRole::Supervisor => "审核主管",
        }
    }
}

/// The logged-in staff member of a request, with the CSRF token their forms must carry.
#[derive(Clone)]
pub struct StaffSession {
    pub staff_id: i64,
    pub username: String,
    pub role: StaffRole,
    /// Signed in with the TOTP code as well as the password: needed to approve a case.
    pub second_factor: bool,
    pub csrf: String,
    token_hash: String,
}

impl std::fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaffSession({}, {:?})", self.staff_id, self.role)
    }
}

impl StaffSession {
    pub fn actor(&self) -> StaffActor {
        StaffActor {
            staff_id: self.staff_id,
            username: self.username.clone(),
        }
    }

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

/// A fresh token for a cookie: 32 bytes from the CSPRNG, hex.
pub fn new_token(state: &AppState) -> String {
    hex::encode(random_bytes(&state.rng, 32))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(format!("reset-staff-session:{token}")))
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
pub fn set_cookie(state: &AppState, name: &str, value: Option<&str>) -> HeaderValue {
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

/// Opens a session for `staff_id`; the token for the cookie.
pub async fn open(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    staff_id: i64,
    second_factor: bool,
) -> Result<String, sqlx::Error> {
    let token = new_token(state);
    let now_ms = ms(state.clock.now());
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, staff_id, created_at, last_seen_at, second_factor) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(staff_id)
    .bind(now_ms)
    .bind(i64::from(second_factor))
    .execute(conn)
    .await?;
    Ok(token)
}

/// The live session of `token`, touched; an expired one is deleted and reads as none.
pub async fn find(state: &AppState, token: &str) -> Result<Option<StaffSession>, sqlx::Error> {
    let hash = token_hash(token);
    let row = sqlx::query(
        "SELECT s.staff_id, s.created_at, s.last_seen_at, st.username, st.role, s.second_factor \
         FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now_ms = ms(state.clock.now());
    let created: i64 = row.try_get(1)?;
    let last_seen: i64 = row.try_get(2)?;
    let cfg = &state.settings.staff;
    let idle_over = now_ms - last_seen >= (cfg.idle_s as i64) * 1000;
    let absolute_over = now_ms - created >= (cfg.absolute_s as i64) * 1000;
    let role = StaffRole::parse(&row.try_get::<String, _>(4)?);
    let (false, false, Some(role)) = (idle_over, absolute_over, role) else {
        close(state, &hash).await?;
        return Ok(None);
    };
    if now_ms - last_seen >= TOUCH_EVERY_MS {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now_ms)
            .bind(&hash)
            .execute(&state.db.pool)
            .await?;
    }
    Ok(Some(StaffSession {
        staff_id: row.try_get(0)?,
        username: row.try_get(3)?,
        role,
        second_factor: row.try_get::<i64, _>(5)? != 0,
        csrf: csrf::for_session(token),
        token_hash: hash,
    }))
}

async fn close(state: &AppState, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
        .bind(hash)
        .execute(&state.db.pool)
        .await
        .map(drop)
}

impl StaffSession {
    /// Ends this session (logout).
    pub async fn end(&self, state: &AppState) -> Result<(), sqlx::Error> {
        close(state, &self.token_hash).await
    }
}

/// Drops sessions past their absolute lifetime; run at each login, so the table stays small.
pub async fn prune(state: &AppState, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    let oldest = ms(state.clock.now()) - (state.settings.staff.absolute_s as i64) * 1000;
    sqlx::query("DELETE FROM staff_sessions WHERE created_at < $1")
        .bind(oldest)
        .execute(conn)
        .await
        .map(drop)
}

/// Every handler under `/staff` but the login page takes this: no session sends a page
/// request to the login page and refuses anything else with `staff_session_required`.
impl FromRequestParts<AppState> for StaffSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<StaffSession, PageError> {
        let found = match cookie_value(&parts.headers, SESSION_COOKIE) {
            Some(token) => find(state, &token).await?,
            None => None,
        };
        match found {
            Some(s) => Ok(s),
            None if parts.method == Method::GET => Err(PageError::LoginNeeded),
            None => Err(ErrorCode::StaffSessionRequired.into()),
        }
    }
}
