//! The console's sign-in and sign-out pages. The rules (lockout, second factor, sessions) are
//! the bank's (`reset_bank::staff::sign_in`); this reads the form, checks its CSRF token and
//! the per-IP limit, and sets the cookies.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use reset_bank::client_address::limit_key;
use reset_bank::limits::CallKind;
use reset_bank::staff::sessions::new_token;
use reset_bank::staff::sign_in::{self, Typed};
use reset_flow::ErrorCode;
use serde::Deserialize;

use super::csrf::{self, LOGIN_COOKIE};
use super::page::{frame, Menu, PageError};
use super::session::{self, cookie_value, set_cookie, StaffSession, SESSION_COOKIE};
use crate::api::ClientIp;
use reset_bank::Services;

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
    State(state): State<Services>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if session::find(&state, &headers).await?.is_some() {
        return Ok(Redirect::to("/staff").into_response());
    }
    Ok(login_page(&state, &headers, None))
}

/// `POST /staff/login`
pub async fn submit(
    State(state): State<Services>,
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
    match sign_in::sign_in(&state, &typed).await {
        Ok(token) => {
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
    State(state): State<Services>,
    staff: StaffSession,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Err(ErrorCode::MalformedBody.into());
    };
    staff.check_csrf(&form.csrf)?;
    sign_in::sign_out(&state, &staff.member).await?;
    let mut resp = Redirect::to("/staff/login").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, None));
    Ok(resp)
}

/// The login form with its CSRF token, bound to a pre-session cookie (kept if the browser has
/// one, so two open login tabs both work); with the refusal of the last try, if any.
fn login_page(state: &Services, headers: &HeaderMap, refused: Option<ErrorCode>) -> Response {
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
