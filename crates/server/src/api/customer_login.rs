//! `POST /v1/login`.

use axum::extract::State;
use axum::Json;
use reset_flow::wire::{LoginRequest, LoginResponse};

use super::{ApiJson, ClientIp};
use crate::error::ApiResult;
use reset_bank::limits::CallKind;
use reset_bank::Services;

pub async fn login(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    state.check_ip(CallKind::Login, ip).await?;
    Ok(Json(reset_bank::customer_login::login(&state, req).await?))
}
