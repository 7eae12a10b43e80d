//! `/v1/resets…`: path A of the reset.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use reset_flow::wire::{
    CodeRequest, CodeSentResponse, FlowStatus, PasswordRequest, PasswordResponse, PhoneRequest,
    StartResetRequest, StartResetResponse, StepResponse,
};

use super::{ApiJson, ClientIp};
use crate::error::AppResult;
use crate::limits::CallKind;
use crate::reset;
use crate::state::AppState;

pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<StartResetRequest>,
) -> AppResult<(StatusCode, Json<StartResetResponse>)> {
    state.check_ip(CallKind::StartReset, ip).await?;
    Ok((StatusCode::CREATED, Json(reset::start(&state, req).await?)))
}

pub async fn send_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PhoneRequest>,
) -> AppResult<(StatusCode, Json<CodeSentResponse>)> {
    state.check_ip(CallKind::SendCode, ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(reset::send_code(&state, &id, req).await?),
    ))
}

pub async fn verify_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> AppResult<Json<StepResponse>> {
    state.check_ip(CallKind::VerifyCode, ip).await?;
    Ok(Json(reset::verify_code(&state, &id, req).await?))
}

pub async fn set_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> AppResult<Json<PasswordResponse>> {
    state.check_ip(CallKind::SetPassword, ip).await?;
    Ok(Json(reset::set_password(&state, &id, req).await?))
}

pub async fn status(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> AppResult<Json<FlowStatus>> {
    state.check_ip(CallKind::Status, ip).await?;
    Ok(Json(reset::status(&state, &id).await?))
}
