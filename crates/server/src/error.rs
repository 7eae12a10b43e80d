//! The one error type of the HTTP layer: the bank's [`BankError`] rendered as the contract's
//! `ErrorBody` with its code's status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use reset_bank::BankError;
use reset_flow::ErrorCode;

/// A refusal or failure on its way to the caller.
#[derive(Debug)]
pub struct ApiError(pub BankError);

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        self.0.code()
    }
}

impl From<BankError> for ApiError {
    fn from(e: BankError) -> ApiError {
        ApiError(e)
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> ApiError {
        ApiError(code.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = *(self.0).0;
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
