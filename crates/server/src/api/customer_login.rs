//! `POST /v1/login`.

use axum::extract::State;
use axum::Json;
use reset_flow::wire::{LoginRequest, LoginResponse};

use super::{ApiJson, ClientIp};
use crate::error::AppResult;
use crate::limits::CallKind;
use crate::state::AppState;

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    state.check_ip(CallKind::Login, ip).await?;
    Ok(Json(crate::customer_login::login(&state, req).await?))
}
