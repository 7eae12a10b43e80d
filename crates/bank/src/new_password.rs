//! The new login password of either path: judged by the flow crate's rule against what the bank
//! may use of the requester (their ID number, its birth date, the phones named), then hashed
//! with argon2id. Path A names the reserved phone; path B only the contact phone the requester
//! typed, so the rule's answer cannot confirm a guess of the reserved phone.

use reset_flow::{check_password, ErrorCode, IdNumber, PasswordContext};

use crate::error::{BankError, BankResult};
use crate::services::Services;

/// Every broken rule at once (`weak_password` with the list), else the password's hash.
pub async fn judged_and_hashed(
    state: &Services,
    password: &str,
    id_number: &IdNumber,
    phones: Vec<&str>,
) -> BankResult<String> {
    let ctx = PasswordContext {
        id_number: Some(id_number.as_str()),
        birth_date: id_number.birth_date(),
        phones,
    };
    let broken = check_password(password, None, &ctx);
    if !broken.is_empty() {
        return Err(BankError::from(ErrorCode::WeakPassword).with_broken_rules(broken));
    }
    state
        .hasher
        .hash(password.to_owned())
        .await
        .map_err(|_| ErrorCode::Internal.into())
}
