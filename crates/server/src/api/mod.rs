//! The HTTP handlers: each reads its input, calls a service, and answers. Bad JSON, wrong types
//! and oversized bodies become the contract's error codes, not axum's plain-text rejections.

pub mod login;
pub mod ops;
pub mod path_b;
pub mod resets;

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use reset_flow::ErrorCode;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::AppError;

/// A JSON body; refusals are `malformed_body` (400) or `body_too_large` (413).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ErrorCode::BodyTooLarge.into())
            }
            Err(_) => Err(ErrorCode::MalformedBody.into()),
        }
    }
}

/// The caller's IP, for the per-IP limits: the peer address, or behind a trusted load
/// balancer (`trust_forwarded_for`) the last address it appended to `X-Forwarded-For`.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if state.settings.trust_forwarded_for {
            // Only the last entry: the one our load balancer appended. Earlier ones are
            // whatever the client sent.
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|a| a.trim().parse::<IpAddr>().ok());
            if let Some(ip) = forwarded {
                return Ok(ClientIp(ip));
            }
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ClientIp(ci.0.ip()))
            .ok_or_else(|| ErrorCode::Internal.into())
    }
}
