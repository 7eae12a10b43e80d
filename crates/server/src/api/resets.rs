//! `/v1/resets…`: path A of the reset.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use reset_flow::wire::{
    CodeRequest, CodeSentResponse, FlowStatus, PasswordRequest, PasswordResponse, PhoneRequest,
    StartResetRequest, StartResetResponse, StepResponse,
};

use super::{ApiJson, ClientIp};
use crate::error::ApiResult;
use reset_bank::limits::CallKind;
use reset_bank::reserved_phone;
use reset_bank::Services;

pub async fn start(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<StartResetRequest>,
) -> ApiResult<(StatusCode, Json<StartResetResponse>)> {
    state.check_ip(CallKind::StartReset, ip).await?;
    Ok((
        StatusCode::CREATED,
        Json(reserved_phone::start(&state, req).await?),
    ))
}

pub async fn send_code(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PhoneRequest>,
) -> ApiResult<(StatusCode, Json<CodeSentResponse>)> {
    state.check_ip(CallKind::SendCode, ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(reserved_phone::send_code(&state, &id, req).await?),
    ))
}

pub async fn verify_code(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<Json<StepResponse>> {
    state.check_ip(CallKind::VerifyCode, ip).await?;
    Ok(Json(reserved_phone::verify_code(&state, &id, req).await?))
}

pub async fn set_password(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> ApiResult<Json<PasswordResponse>> {
    state.check_ip(CallKind::SetPassword, ip).await?;
    Ok(Json(reserved_phone::set_password(&state, &id, req).await?))
}

pub async fn status(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> ApiResult<Json<FlowStatus>> {
    state.check_ip(CallKind::Status, ip).await?;
    Ok(Json(reserved_phone::status(&state, &id).await?))
}
