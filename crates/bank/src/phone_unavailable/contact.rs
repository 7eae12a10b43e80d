//! The contact phone of path B (请输入联系电话): a code to whatever valid mobile the customer
//! typed, under the same rules as the reserved phone's (see `codes`); a right code proves the
//! phone the review result goes to.

use reset_flow::wire::{CodeRequest, CodeSentResponse, PhoneRequest, StepResponse};
use reset_flow::{MobileNumber, SmsCode};

use crate::codes::{self, CodePhone};
use crate::error::BankResult;
use crate::services::Services;

/// `POST /v1/resets/{id}/contact/sms`
pub async fn send_code(
    state: &Services,
    id: &str,
    req: PhoneRequest,
) -> BankResult<CodeSentResponse> {
    let phone = MobileNumber::parse(req.phone.expose())?;
    codes::send(state, id, &phone, CodePhone::Contact).await
}

/// `POST /v1/resets/{id}/contact/verify`
pub async fn verify_code(state: &Services, id: &str, req: CodeRequest) -> BankResult<StepResponse> {
    let code = SmsCode::parse(req.code.expose())?;
    codes::verify(state, id, &code, CodePhone::Contact).await
}
