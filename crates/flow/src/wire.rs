//! The JSON bodies of the HTTP API contract, shared by the server and the app's API client.
//! Requests refuse unknown fields; fields carrying personal data or secrets are [`Sensitive`],
//! whose `Debug` prints nothing, so a logged request leaks nothing.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{ErrorCode, IdType, PasswordRule, ResetPath, Step};

/// A string that must never reach a log: ID numbers, names, phones, codes, passwords.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(pub String);

impl Sensitive {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Sensitive {
    fn from(s: &str) -> Self {
        Sensitive(s.to_owned())
    }
}

/// `POST /v1/login`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub id_type: IdType,
    pub id_number: Sensitive,
    pub password: Sensitive,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Opaque bearer token.
    pub session: Sensitive,
}

/// `POST /v1/resets`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartResetRequest {
    pub id_type: IdType,
    pub id_number: Sensitive,
    pub name: Sensitive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartResetResponse {
    pub flow_id: String,
    pub step: Step,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /v1/resets/{id}/sms` and `/contact/sms`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    pub phone: Sensitive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeSentResponse {
    pub step: Step,
    pub resend_after_s: u64,
}

/// `POST /v1/resets/{id}/sms/verify` and `/contact/verify`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub code: Sensitive,
}

/// The answer of calls whose only news is the next step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResponse {
    pub step: Step,
}

/// `POST /v1/resets/{id}/password`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub password: Sensitive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordResponse {
    pub step: Step,
    /// Path B: when staff will have decided (T+1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub due_by: Option<OffsetDateTime>,
}

/// `GET /v1/resets/{id}`: enough for an app restarted mid-flow to draw the right screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowStatus {
    pub step: Step,
    pub path: ResetPath,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub expires_at: Option<OffsetDateTime>,
    /// Seconds left on the 获取 countdown of the current phone step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_after_s: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub due_by: Option<OffsetDateTime>,
    /// Path B, rejected: the reviewer's reason as the customer may read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Every error answer: `{"code": …, "message": …, …details}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_rules: Option<Vec<PasswordRule>>,
    /// Why a picture or a face check was refused, for the screen to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ErrorBody {
    /// The body for `code` with its English message and no details.
    pub fn new(code: ErrorCode) -> ErrorBody {
        ErrorBody {
            code,
            message: code.message_en().to_owned(),
            attempts_left: None,
            retry_after_s: None,
            broken_rules: None,
            reason: None,
        }
    }
}

/// `GET /v1/dev/sms?phone=`: the development gateway's messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevSmsList {
    pub messages: Vec<DevSms>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevSms {
    pub to: String,
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

/// One prompt of the face check's active challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengePrompt {
    TurnLeft,
    TurnRight,
    ComeCloser,
}

/// `POST /v1/resets/{id}/face/challenge`: the prompts the server chose for one attempt of the
/// face check, in the order to show them. The upload must answer this challenge, once, before
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceChallenge {
    pub challenge_id: String,
    pub prompts: Vec<ChallengePrompt>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The `challenge` part of `POST /v1/resets/{id}/face`: which challenge it answers, which
/// prompts were shown, when, and which uploaded frame shows each done (frame 0 is the face at
/// rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRecord {
    /// The `challenge_id` of the server's [`FaceChallenge`]; none is refused.
    #[serde(default)]
    pub challenge_id: String,
    pub prompts: Vec<ChallengeStep>,
    /// Milliseconds from the first prompt to the last passed one.
    pub total_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeStep {
    pub prompt: ChallengePrompt,
    pub shown_at_ms: u64,
    pub passed_at_ms: u64,
    /// Index among the uploaded `frame` parts.
    pub frame: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_refuse_unknown_fields_and_wrong_types() {
        assert!(
            serde_json::from_str::<PhoneRequest>(r#"{"phone":"13800000001","admin":true}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<PhoneRequest>(r#"{"phone":13800000001}"#).is_err());
        assert!(serde_json::from_str::<StartResetRequest>(
            r#"{"id_type":"id_card","id_number":"x"}"#
        )
        .is_err());
        let ok: StartResetRequest =
            serde_json::from_str(r#"{"id_type":"passport","id_number":"E12345678","name":"张三"}"#)
                .unwrap();
        assert_eq!(ok.id_type, IdType::Passport);
    }

    #[test]
    fn debug_of_requests_leaks_nothing() {
        let r = LoginRequest {
            id_type: IdType::IdCard,
            id_number: "11010519491231002X".into(),
            password: "Kunlun2024".into(),
        };
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("1101") && !dbg.contains("Kunlun"), "{dbg}");
    }

    #[test]
    fn error_body_shape() {
        let mut b = ErrorBody::new(ErrorCode::BadCode);
        b.attempts_left = Some(4);
        let v: serde_json::Value = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code":"bad_code","message":"The code is not right.","attempts_left":4})
        );
    }

    #[test]
    fn password_response_omits_due_by_on_path_a() {
        let r = PasswordResponse {
            step: Step::Done,
            due_by: None,
        };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"step":"done"}"#);
    }
}
