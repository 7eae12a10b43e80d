//! The console's page frame (escaped HTML by maud), its stylesheet, the security headers of
//! every staff answer, and refusals ([`PageError`]) rendered as pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use reset_flow::ErrorCode;
use time::macros::{format_description, offset};
use time::OffsetDateTime;

pub use super::refusal::PageError;
use super::session::StaffSession;
use reset_bank::staff::StaffRole;

/// Only our own files: no inline script or style, no framing, no referrer, nothing cached.
const CSP: &str = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Browsers heed it only over HTTPS, where the console must be served.
        (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    resp
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("console.css"),
    )
}

/// Which entry of the side menu is open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Pending,
    Approved,
    Rejected,
    None,
}

/// A whole page: the top bar with the staff member and the logout button, the side menu
/// (decided cases for supervisors only), and `body`.
pub fn frame(title: &str, who: Option<&StaffSession>, menu: Menu, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 人工审核台" }
                link rel="stylesheet" href="/staff/assets/console.css";
            }
            body {
                header.topbar {
                    div.brand {
                        span.logo { "审" }
                        div {
                            div.brand-name { "个人手机银行 · 人工审核台" }
                            div.brand-sub { "忘记登录密码 · 预留手机号不可用业务" }
                        }
                    }
                    @if let Some(s) = who {
                        div.user {
                            span.user-name { (s.username) }
                            span.role { (s.role.label()) }
                            form.logout method="post" action="/staff/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button.btn.btn-ghost type="submit" { "退出登录" }
                            }
                        }
                    }
                }
                div.shell {
                    @if let Some(s) = who {
                        nav.side {
                            div.side-title { "审核业务" }
                            (menu_item("/staff", "待审核案件", menu == Menu::Pending))
                            @if s.role == StaffRole::Supervisor {
                                (menu_item("/staff?state=approved", "已通过案件", menu == Menu::Approved))
                                (menu_item("/staff?state=rejected", "已拒绝案件", menu == Menu::Rejected))
                            }
                        }
                    }
                    main.content { (body) }
                }
                footer.foot { "内部系统 · 仅限授权人员使用 · 所有查看与审核操作均记录在案" }
            }
        }
    }
}

fn menu_item(href: &str, label: &str, open: bool) -> Markup {
    html! { a.side-item.open[open] href=(href) { (label) } }
}

/// A time as Beijing time, to the minute.
pub fn beijing(t: OffsetDateTime) -> String {
    t.to_offset(offset!(+8))
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap_or_default()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::LoginNeeded => Redirect::to("/staff/login").into_response(),
            PageError::Code(code) => {
                let status = StatusCode::from_u16(code.http_status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, refusal(code)).into_response()
            }
        }
    }
}

/// The page of a refusal: what happened in the bank's words, its code, and the way back.
fn refusal(code: ErrorCode) -> Markup {
    let headline = match code {
        ErrorCode::CaseAlreadyDecided => "案件已被他人处理",
        other => other.message_zh(),
    };
    let (back, back_label) = match code {
        ErrorCode::StaffSessionRequired | ErrorCode::CsrfInvalid => ("/staff/login", "重新登录"),
        _ => ("/staff", "返回审核队列"),
    };
    let body = html! {
        section.card.refusal {
            h1 { (headline) }
            @if code == ErrorCode::CaseAlreadyDecided {
                p { "该案件已由其他审核员作出决定，您的操作未生效。" }
            }
            p.code { "错误代码：" code { (code.as_str()) } }
            a.btn.btn-primary href=(back) { (back_label) }
        }
    };
    frame(headline, None, Menu::None, body)
}
