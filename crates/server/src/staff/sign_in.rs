//! Staff login and logout. Wrong passwords are counted per username, known or not, so an
//! unknown username answers exactly like a wrong password (one real argon2 check either way).
//! Too many in a row from one address lock the username for that address a while; a much
//! higher count from all addresses together locks it for everyone. So a stranger cannot keep
//! a reviewer out from one machine, and a spray from many is still stopped. Per-IP limits apply
//! on top. The second factor (a TOTP code) is optional at sign-in, but only a session signed in
//! with it may approve a case.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use reset_flow::ErrorCode;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::csrf::{self, LOGIN_COOKIE};
use super::page::{frame, Menu, PageError};
use super::session::{self, cookie_value, new_token, set_cookie, StaffSession, SESSION_COOKIE};
use super::totp;
use crate::api::ClientIp;
use crate::audit;
use crate::client_address::limit_key;
use crate::limits::CallKind;
use crate::state::AppState;
use crate::store::ms;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    /// The authenticator app's 6 digits; empty signs in without the second factor.
    totp: String,
    csrf: String,
}

/// A form that carries only its CSRF token.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf: String,
}

/// `GET /staff/login`: the form, or the console for someone already logged in.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        if session::find(&state, &token).await?.is_some() {
            return Ok(Redirect::to("/staff").into_response());
        }
    }
    Ok(login_page(&state, &headers, None))
}

/// `POST /staff/login`
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Err(ErrorCode::MalformedBody.into());
    };
    let pre = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() {
        return Err(ErrorCode::CsrfInvalid.into());
    }
    csrf::check(&csrf::for_login(&pre), &form.csrf)?;
    state.check_ip(CallKind::StaffLogin, ip).await?;
    let typed = Typed {
        username: &form.username,
        password: &form.password,
        totp: &form.totp,
        address: limit_key(ip),
    };
    match authenticate(&state, &typed).await {
        Ok((staff_id, second_factor)) => {
            let mut tx = state.db.pool.begin().await?;
            session::prune(&state, &mut tx).await?;
            let token = session::open(&state, &mut tx, staff_id, second_factor).await?;
            let now_ms = ms(state.clock.now());
            audit::record(
                &mut tx,
                now_ms,
                None,
                None,
                "staff_login",
                json!({ "staff_id": staff_id, "second_factor": second_factor }),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(staff_id, "staff login");
            let mut resp = Redirect::to("/staff").into_response();
            let h = resp.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, Some(&token)),
            );
            h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, None));
            Ok(resp)
        }
        Err(code @ (ErrorCode::StaffBadCredentials | ErrorCode::StaffLocked)) => {
            Ok(login_page(&state, &headers, Some(code)))
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /staff/logout`
pub async fn logout(
    State(state): State<AppState>,
    staff: StaffSession,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Err(ErrorCode::MalformedBody.into());
    };
    staff.check_csrf(&form.csrf)?;
    staff.end(&state).await?;
    let mut conn = state.db.pool.acquire().await?;
    let now_ms = ms(state.clock.now());
    let detail = json!({ "staff_id": staff.staff_id });
    audit::record(&mut conn, now_ms, None, None, "staff_logout", detail).await?;
    let mut resp = Redirect::to("/staff/login").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, None));
    Ok(resp)
}

/// The failure counter's key for a username: hashed, as typed usernames may be anything.
fn user_key(username: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "reset-staff-login:{}",
        username.to_lowercase()
    )))
}

/// What was typed on the login form, and from where.
struct Typed<'a> {
    username: &'a str,
    password: &'a str,
    totp: &'a str,
    /// The caller's address as the per-IP limits count it.
    address: String,
}

/// The staff id for a right username and password, and whether a right TOTP code came with
/// them; `staff_bad_credentials` (a wrong TOTP code too, or a used one) or `staff_locked`.
async fn authenticate(state: &AppState, typed: &Typed<'_>) -> Result<(i64, bool), ErrorCode> {
    let username = typed.username.trim();
    let now_ms = ms(state.clock.now());
    let key = user_key(username);
    let address_lock: Option<i64> = sqlx::query_scalar(
        "SELECT locked_until FROM staff_login_failures_by_address \
         WHERE user_key = $1 AND address = $2",
    )
    .bind(&key)
    .bind(&typed.address)
    .fetch_optional(&state.db.pool)
    .await
    .map_err(internal)?
    .flatten();
    let global_lock: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM staff_login_failures WHERE user_key = $1")
            .bind(&key)
            .fetch_optional(&state.db.pool)
            .await
            .map_err(internal)?
            .flatten();
    if [address_lock, global_lock]
        .into_iter()
        .flatten()
        .any(|t| t > now_ms)
    {
        return Err(ErrorCode::StaffLocked);
    }
    let staff: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, password_hash, totp_secret FROM staff WHERE username = $1")
            .bind(username)
            .fetch_optional(&state.db.pool)
            .await
            .map_err(internal)?;
    let stored = staff
        .as_ref()
        .map_or_else(|| state.hasher.dummy_hash(), |s| s.1.clone());
    let matches = state
        .hasher
        .verify(typed.password.to_owned(), stored)
        .await
        .map_err(|_| ErrorCode::Internal)?;
    if let (Some((staff_id, _, secret)), true) = (&staff, matches) {
        if let Some(with_code) =
            second_factor(state, *staff_id, secret.as_deref(), typed.totp).await?
        {
            for table in ["staff_login_failures_by_address", "staff_login_failures"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE user_key = $1"))
                    .bind(&key)
                    .execute(&state.db.pool)
                    .await
                    .map_err(internal)?;
            }
            return Ok((*staff_id, with_code));
        }
    }
    count_failure(
        state,
        &key,
        &typed.address,
        staff.as_ref().map(|s| s.0),
        now_ms,
    )
    .await
}

/// The second factor after a right password: `Some(true)` with a right, unused code,
/// `Some(false)` when none was typed, `None` (a failure) for a wrong or used one.
async fn second_factor(
    state: &AppState,
    staff_id: i64,
    secret_hex: Option<&str>,
    code: &str,
) -> Result<Option<bool>, ErrorCode> {
    if code.trim().is_empty() {
        return Ok(Some(false));
    }
    let Some(secret) = secret_hex.and_then(|h| hex::decode(h).ok()) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let now_ms = ms(now);
    let now_s = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    // Wrong codes are counted on the staff member, apart from the password failures that a
    // password-only sign-in clears: whoever has the password cannot guess the code forever.
    let cfg = &state.settings.staff;
    let locked: Option<i64> =
        sqlx::query_scalar("SELECT totp_locked_until FROM staff WHERE id = $1")
            .bind(staff_id)
            .fetch_one(&state.db.pool)
            .await
            .map_err(internal)?;
    if locked.is_some_and(|t| t > now_ms) {
        return Ok(None);
    }
    let step = totp::matching_step(&secret, code, now_s);
    // Each step's code once: of two logins racing with one code, one lands.
    let used = match step {
        Some(step) => sqlx::query(
            "UPDATE staff SET totp_last_step = $1, totp_failures = 0, totp_locked_until = NULL \
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step as i64)
        .bind(staff_id)
        .execute(&state.db.pool)
        .await
        .map_err(internal)?
        .rows_affected()
            == 1,
        None => false,
    };
    if !used {
        sqlx::query(
            "UPDATE staff SET totp_failures = totp_failures + 1, \
             totp_locked_until = CASE WHEN totp_failures + 1 >= $1 THEN $2 ELSE totp_locked_until END \
             WHERE id = $3",
        )
        .bind(i64::from(cfg.max_wrong.max(1)))
        .bind(now_ms + (cfg.lock_s as i64) * 1000)
        .bind(staff_id)
        .execute(&state.db.pool)
        .await
        .map_err(internal)?;
    }
    Ok(used.then_some(true))
}

/// Counts a failed login for the username from this address and in all; locks either at its
/// bound. A lock that ran out starts its count again (the row was reset to 0 when it locked).
async fn count_failure(
    state: &AppState,
    key: &str,
    address: &str,
    staff_id: Option<i64>,
    now_ms: i64,
) -> Result<(i64, bool), ErrorCode> {
    let cfg = &state.settings.staff;
    let lock_until = now_ms + (cfg.lock_s as i64) * 1000;
    let mut tx = state.db.pool.begin().await.map_err(internal)?;
    // A lock that is running stays as it is: a failure still in flight when it was set must
    // not lift it (the check at the start of a login ran before the slow password check).
    let (here, still_locked_here): (i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO staff_login_failures_by_address \
         (user_key, address, failures, locked_until, updated_at) VALUES ($1, $2, 1, NULL, $3) \
         ON CONFLICT (user_key, address) DO UPDATE SET \
         failures = CASE WHEN staff_login_failures_by_address.locked_until > $3 \
           THEN staff_login_failures_by_address.failures \
           ELSE staff_login_failures_by_address.failures + 1 END, \
         locked_until = CASE WHEN staff_login_failures_by_address.locked_until > $3 \
           THEN staff_login_failures_by_address.locked_until ELSE NULL END, \
         updated_at = $3 RETURNING failures, locked_until",
    )
    .bind(key)
    .bind(address)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let (everywhere, still_locked_everywhere): (i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO staff_login_failures (user_key, failures, locked_until, updated_at) \
         VALUES ($1, 1, NULL, $2) ON CONFLICT (user_key) DO UPDATE SET \
         failures = CASE WHEN staff_login_failures.locked_until > $2 \
           THEN staff_login_failures.failures ELSE staff_login_failures.failures + 1 END, \
         locked_until = CASE WHEN staff_login_failures.locked_until > $2 \
           THEN staff_login_failures.locked_until ELSE NULL END, \
         updated_at = $2 RETURNING failures, locked_until",
    )
    .bind(key)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let already_locked = still_locked_here.or(still_locked_everywhere).is_some();
    let detail = json!({ "staff_id": staff_id, "failures": here });
    audit::record(&mut tx, now_ms, None, None, "staff_login_failed", detail)
        .await
        .map_err(internal)?;
    let locked_here = still_locked_here.is_none() && here >= i64::from(cfg.max_wrong.max(1));
    let locked_everywhere = still_locked_everywhere.is_none()
        && everywhere >= i64::from(cfg.max_wrong_everywhere.max(1));
    if locked_here {
        sqlx::query(
            "UPDATE staff_login_failures_by_address SET failures = 0, locked_until = $1 \
             WHERE user_key = $2 AND address = $3",
        )
        .bind(lock_until)
        .bind(key)
        .bind(address)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    if locked_everywhere {
        sqlx::query(
            "UPDATE staff_login_failures SET failures = 0, locked_until = $1 WHERE user_key = $2",
        )
        .bind(lock_until)
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    if locked_here || locked_everywhere {
        let detail = json!({ "staff_id": staff_id, "everywhere": locked_everywhere });
        audit::record(&mut tx, now_ms, None, None, "staff_locked", detail)
            .await
            .map_err(internal)?;
    }
    tx.commit().await.map_err(internal)?;
    if already_locked {
        return Err(ErrorCode::StaffLocked);
    }
    if locked_here || locked_everywhere {
        tracing::info!(
            everywhere = locked_everywhere,
            "staff login locked after too many failures"
        );
        Err(ErrorCode::StaffLocked)
    } else {
        Err(ErrorCode::StaffBadCredentials)
    }
}

fn internal(e: sqlx::Error) -> ErrorCode {
    crate::error::AppError::from(e).code()
}

/// The login form with its CSRF token, bound to a pre-session cookie (kept if the browser has
/// one, so two open login tabs both work); with the refusal of the last try, if any.
fn login_page(state: &AppState, headers: &HeaderMap, refused: Option<ErrorCode>) -> Response {
    let pre = cookie_value(headers, LOGIN_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| new_token(state));
    let cfg = &state.settings.staff;
    let body = html! {
        div.login-wrap {
            section.card.login-card {
                h1 { "员工登录" }
                p.muted { "请使用行内分配的审核账号登录" }
                @if let Some(code) = refused {
                    div.alert.alert-error role="alert" {
                        (code.message_zh()) " " span.code { "(" (code.as_str()) ")" }
                    }
                }
                form method="post" action="/staff/login" {
                    input type="hidden" name="csrf" value=(csrf::for_login(&pre));
                    label for="username" { "用户名" }
                    input #username type="text" name="username" autocomplete="username"
                        required maxlength="64" autofocus;
                    label for="password" { "密码" }
                    input #password type="password" name="password"
                        autocomplete="current-password" required maxlength="128";
                    label for="totp" { "动态验证码（审批通过须填写）" }
                    input #totp type="text" name="totp" inputmode="numeric"
                        autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}";
                    button.btn.btn-primary.btn-block #login type="submit" { "登录" }
                }
                p.hint {
                    "连续输错 " (cfg.max_wrong) " 次密码，账号将锁定 " (cfg.lock_s / 60) " 分钟"
                }
            }
        }
    };
    let status = refused.map_or(StatusCode::OK, |c| {
        StatusCode::from_u16(c.http_status()).unwrap_or(StatusCode::UNAUTHORIZED)
    });
    let mut resp = (status, frame("员工登录", None, Menu::None, body)).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, Some(&pre)),
    );
    resp
}
