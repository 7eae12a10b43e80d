//! Operations and development: liveness, readiness, metrics, the dev SMS inbox.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use reset_flow::wire::DevSmsList;
use reset_flow::{ErrorCode, MobileNumber};
use serde::Deserialize;

use crate::error::ApiResult;
use reset_bank::sms::gateway_dev;
use reset_bank::Services;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<Services>) -> ApiResult<&'static str> {
    state
        .db
        .ping()
        .await
        .map_err(|_| ErrorCode::ServiceUnavailable)?;
    Ok("ready")
}

pub async fn metrics(State(state): State<Services>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

#[derive(Deserialize)]
pub struct PhoneQuery {
    phone: String,
}

/// Only in development mode; `not_found` otherwise, as if the route did not exist.
pub async fn dev_sms(
    State(state): State<Services>,
    query: Result<Query<PhoneQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<DevSmsList>> {
    if !state.settings.dev {
        return Err(ErrorCode::NotFound.into());
    }
    let Ok(Query(q)) = query else {
        return Err(ErrorCode::PhoneRequired.into());
    };
    let phone = MobileNumber::parse(&q.phone)?;
    let messages = gateway_dev::inbox(&state.db, phone.as_str()).await?;
    Ok(Json(DevSmsList { messages }))
}

pub async fn not_found() -> crate::error::ApiError {
    ErrorCode::NotFound.into()
}
