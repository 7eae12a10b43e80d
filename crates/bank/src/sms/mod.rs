//! Text messages: a durable outbox in the database, drained by a worker into a gateway (`dev`
//! keeps them for the dev inbox; `http` posts them to the bank's SMS provider).

pub mod gateway_dev;
pub mod gateway_http;
pub mod outbox;

use reset_flow::Bank;
use serde::{Deserialize, Serialize};

pub use outbox::Outbox;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    Dev,
    Http,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    pub gateway: GatewayKind,
    /// `http` gateway: where to POST, and the body with `{to}` and `{text}` (JSON-escaped).
    pub http_url: String,
    pub http_template: String,
    pub http_timeout_ms: u64,
    /// Delivery attempts before a message is marked failed.
    pub max_attempts: u32,
    /// First retry delay; doubled each attempt up to `backoff_max_ms`.
    pub backoff_ms: u64,
    pub backoff_max_ms: u64,
    /// How long a worker owns a claimed message; longer than one gateway call.
    pub lease_ms: u64,
    pub poll_ms: u64,
    /// Messages a worker claims at once: one claim and one "sent" mark for all of them.
    pub batch: u32,
    /// Gateway calls under way at once: different phones in parallel, one phone's messages in
    /// the order they were queued (a resent code never overtakes the older one).
    pub in_flight: u32,
    /// Run the delivery worker in this process (off for an instance that only takes requests).
    pub worker: bool,
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings {
            gateway: GatewayKind::Dev,
            http_url: String::new(),
            http_template: r#"{"mobile":"{to}","content":"{text}"}"#.into(),
            http_timeout_ms: 5000,
            max_attempts: 10,
            backoff_ms: 1000,
            backoff_max_ms: 5 * 60 * 1000,
            lease_ms: 30_000,
            poll_ms: 500,
            batch: 64,
            in_flight: 16,
            worker: true,
        }
    }
}

/// The code text, e.g. 【昆仑银行】您正在重置登录密码，验证码123456，5分钟内有效。请勿告诉他人。
pub fn code_text(bank: &Bank, code: &str, ttl_s: u64) -> String {
    let minutes = ttl_s.div_ceil(60).max(1);
    let signature = &bank.sms_signature;
    format!("{signature}您正在重置登录密码，验证码{code}，{minutes}分钟内有效。请勿告诉他人。")
}

/// Sent to the contact phone when staff approve a path-B case.
pub fn review_approved_text(bank: &Bank) -> String {
    let Bank {
        sms_signature,
        hotline,
        ..
    } = bank;
    format!("{sms_signature}您的登录密码重置申请已审核通过，新密码已生效。如非本人操作，请立即致电{hotline}。")
}

/// Sent to the contact phone when staff reject a path-B case, with their reason.
pub fn review_rejected_text(bank: &Bank, reason: &str) -> String {
    let Bank {
        sms_signature,
        hotline,
        ..
    } = bank;
    format!("{sms_signature}您的登录密码重置申请未通过审核，原因：{reason}。您可重新申请，或致电{hotline}咨询。")
}

/// Sent to the reserved phone (the account's owner) when someone submits a phone-unavailable
/// case for the account: the owner hears of it before staff decide, not after.
pub fn case_submitted_owner_text(bank: &Bank) -> String {
    let Bank {
        sms_signature,
        hotline,
        ..
    } = bank;
    format!(
        "{sms_signature}您的手机银行账户刚提交了登录密码重置申请（手机号不可用），将于人工审核通过后生效。如非本人操作请立即致电{hotline}。"
    )
}

/// Sent to the reserved phone when staff approve a phone-unavailable case for the account.
pub fn case_approved_owner_text(bank: &Bank) -> String {
    let Bank {
        sms_signature,
        hotline,
        ..
    } = bank;
    format!(
        "{sms_signature}您的手机银行登录密码重置申请已审核通过，新密码已生效。如非本人操作请立即致电{hotline}。"
    )
}

/// Sent to the reserved phone once the new password is in force.
pub fn password_changed_text(bank: &Bank) -> String {
    let Bank {
        sms_signature,
        hotline,
        ..
    } = bank;
    format!("{sms_signature}您的手机银行登录密码已重置成功。如非本人操作，请立即致电{hotline}。")
}
