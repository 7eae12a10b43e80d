//! The HTTP handlers: each reads its input, calls a service, and answers. Bad JSON, wrong types
//! and oversized bodies become the contract's error codes, not axum's plain-text rejections.

pub mod customer_login;
pub mod ops;
pub mod phone_unavailable;
pub mod resets;

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use reset_flow::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use reset_bank::client_address::client_address;
use reset_bank::Services;

/// A JSON body; refusals are `malformed_body` (400) or `body_too_large` (413).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
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

/// The caller's IP, for the per-IP limits: see [`client_address`].
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<Services> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Services) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip())
            .ok_or(ErrorCode::Internal)?;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientIp(client_address(
            peer,
            forwarded,
            &state.settings.trusted_proxies,
        )))
    }
}
