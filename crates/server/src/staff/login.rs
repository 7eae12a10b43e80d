//! Staff login and logout. Wrong passwords are counted per username, known or not, so an
//! unknown username answers exactly like a wrong password (one real argon2 check either way);
//! after too many in a row the username is locked for a while. Per-IP limits apply on top.

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
use crate::api::ClientIp;
use crate::app::AppState;
use crate::audit;
use crate::limits::CallKind;
use crate::store::ms;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
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
    match authenticate(&state, &form.username, &form.password).await {
        Ok(staff_id) => {
            let mut tx = state.db.pool.begin().await?;
            session::prune(&state, &mut tx).await?;
            let token = session::open(&state, &mut tx, staff_id).await?;
            let now_ms = ms(state.clock.now());
            audit::record(
                &mut tx,
                now_ms,
                None,
                None,
                "staff_login",
                json!({ "staff_id": staff_id }),
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

/// The staff id for a right username and password; `staff_bad_credentials` or `staff_locked`.
async fn authenticate(state: &AppState, username: &str, password: &str) -> Result<i64, ErrorCode> {
    let username = username.trim();
    let now_ms = ms(state.clock.now());
    let cfg = &state.settings.staff;
    let key = user_key(username);
    let locked_until: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM staff_login_failures WHERE user_key = $1")
            .bind(&key)
            .fetch_optional(&state.db.pool)
            .await
            .map_err(internal)?
            .flatten();
    if locked_until.is_some_and(|t| t > now_ms) {
        return Err(ErrorCode::StaffLocked);
    }
    let staff: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM staff WHERE username = $1")
            .bind(username)
            .fetch_optional(&state.db.pool)
            .await
            .map_err(internal)?;
    let stored = staff
        .as_ref()
        .map_or_else(|| state.hasher.dummy_hash(), |s| s.1.clone());
    let matches = state
        .hasher
        .verify(password.to_owned(), stored)
        .await
        .map_err(|_| ErrorCode::Internal)?;
    if let (Some((staff_id, _)), true) = (&staff, matches) {
        sqlx::query("DELETE FROM staff_login_failures WHERE user_key = $1")
            .bind(&key)
            .execute(&state.db.pool)
            .await
            .map_err(internal)?;
        return Ok(*staff_id);
    }
    // A lock that ran out starts the count again: the row was reset to 0 when it locked.
    let mut tx = state.db.pool.begin().await.map_err(internal)?;
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO staff_login_failures (user_key, failures, locked_until, updated_at) \
         VALUES ($1, 1, NULL, $2) ON CONFLICT (user_key) DO UPDATE SET \
         failures = staff_login_failures.failures + 1, locked_until = NULL, updated_at = $2 \
         RETURNING failures",
    )
    .bind(&key)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let staff_id = staff.as_ref().map(|s| s.0);
    let detail = json!({ "staff_id": staff_id, "failures": failures });
    audit::record(&mut tx, now_ms, None, None, "staff_login_failed", detail)
        .await
        .map_err(internal)?;
    let locked = failures >= i64::from(cfg.max_wrong.max(1));
    if locked {
        sqlx::query(
            "UPDATE staff_login_failures SET failures = 0, locked_until = $1 WHERE user_key = $2",
        )
        .bind(now_ms + (cfg.lock_s as i64) * 1000)
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let detail = json!({ "staff_id": staff_id });
        audit::record(&mut tx, now_ms, None, None, "staff_locked", detail)
            .await
            .map_err(internal)?;
    }
    tx.commit().await.map_err(internal)?;
    if locked {
        tracing::info!("staff login locked after too many wrong passwords");
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
