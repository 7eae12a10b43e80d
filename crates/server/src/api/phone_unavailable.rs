//! `/v1/resets/{id}/…` of path B: 手机号不可用?, the face and document uploads (multipart, each
//! part capped while it streams in, the request capped by the route's body limit), and the
//! contact phone's code.

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use reset_flow::wire::{CodeRequest, CodeSentResponse, FaceChallenge, PhoneRequest, StepResponse};
use reset_flow::{ErrorCode, Event};

use super::{ApiJson, ClientIp};
use crate::error::{ApiError, ApiResult};
use reset_bank::evidence::challenge::MAX_FRAMES;
use reset_bank::limits::CallKind;
use reset_bank::phone_unavailable::{self, contact, uploads};
use reset_bank::{BankError, Services};

pub async fn phone_unavailable(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> ApiResult<Json<StepResponse>> {
    state.check_ip(CallKind::StartReset, ip).await?;
    Ok(Json(
        phone_unavailable::phone_unavailable(&state, &id).await?,
    ))
}

pub async fn face_challenge(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> ApiResult<Json<FaceChallenge>> {
    state.check_ip(CallKind::Upload, ip).await?;
    Ok(Json(uploads::face_challenge(&state, &id).await?))
}

pub async fn face(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    body: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<StepResponse>> {
    state.check_ip(CallKind::Upload, ip).await?;
    // Refused before the pictures are read, let alone decoded.
    uploads::precheck(&state, &id, Event::FacePassed).await?;
    let parts = read_parts(&state, body, MAX_FRAMES + 1).await?;
    Ok(Json(uploads::face(&state, &id, parts).await?))
}

pub async fn documents(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    body: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<StepResponse>> {
    state.check_ip(CallKind::Upload, ip).await?;
    uploads::precheck(&state, &id, Event::DocumentsAccepted).await?;
    let parts = read_parts(&state, body, 3).await?;
    Ok(Json(uploads::documents(&state, &id, parts).await?))
}

pub async fn contact_send_code(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PhoneRequest>,
) -> ApiResult<(StatusCode, Json<CodeSentResponse>)> {
    state.check_ip(CallKind::SendCode, ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(contact::send_code(&state, &id, req).await?),
    ))
}

pub async fn contact_verify_code(
    State(state): State<Services>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<Json<StepResponse>> {
    state.check_ip(CallKind::VerifyCode, ip).await?;
    Ok(Json(contact::verify_code(&state, &id, req).await?))
}

/// The parts of a multipart body, each at most `max_part_bytes` (`evidence_too_large` naming
/// the part as soon as it passes), at most `max_parts` of them.
async fn read_parts(
    state: &Services,
    body: Result<Multipart, MultipartRejection>,
    max_parts: usize,
) -> ApiResult<Vec<uploads::Part>> {
    let mut body = body.map_err(|_| ErrorCode::MalformedBody)?;
    let max_part = state.evidence.settings.max_part_bytes;
    let mut parts = Vec::new();
    while let Some(mut field) = body.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if parts.len() >= max_parts {
            return Err(ErrorCode::MalformedBody.into());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > max_part {
                return Err(BankError::from(ErrorCode::EvidenceTooLarge)
                    .with_reason(&name)
                    .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        parts.push(uploads::Part { name, bytes });
    }
    Ok(parts)
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::EvidenceTooLarge.into()
    } else {
        ErrorCode::MalformedBody.into()
    }
}
