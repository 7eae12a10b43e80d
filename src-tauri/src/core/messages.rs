//! Words the core puts into the view: error texts in the chosen language, which field an error
//! belongs under, and times as Beijing shows them.

use reset_flow::wire::ErrorBody;
use reset_flow::{ErrorCode, IdType, PasswordRule, BEIJING};
use time::OffsetDateTime;

use super::view::{Field, Lang};

pub fn error_text(code: ErrorCode, body: Option<&ErrorBody>, lang: Lang) -> String {
    let base = match lang {
        Lang::Zh => code.message_zh(),
        Lang::En => code.message_en(),
    };
    let attempts = body.and_then(|b| b.attempts_left);
    let wait = body.and_then(|b| b.retry_after_s);
    match (lang, attempts, wait) {
        (Lang::Zh, Some(n), _) => format!("{base}，还可尝试{n}次"),
        (Lang::En, Some(n), _) => format!("{base} {n} tries left."),
        (Lang::Zh, None, Some(s)) => format!("{base}（{s}秒后可重试）"),
        (Lang::En, None, Some(s)) => format!("{base} (try again in {s} s)"),
        _ => base.to_owned(),
    }
}

pub fn rule_text(rule: PasswordRule, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => rule.message_zh(),
        Lang::En => rule.message_en(),
    }
}

pub fn id_type_label(t: IdType, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => t.label_zh(),
        Lang::En => t.label_en(),
    }
}

/// The field an error from the server belongs under; `None` shows it on the whole screen.
pub fn field_of(code: ErrorCode) -> Option<Field> {
    use ErrorCode as E;
    match code {
        E::IdTypeUnsupported => Some(Field::IdType),
        E::IdNumberRequired
        | E::IdNumberLength
        | E::IdNumberFormat
        | E::IdNumberRegion
        | E::IdNumberBirthDate
        | E::IdNumberCheckDigit => Some(Field::IdNumber),
        E::NameRequired
        | E::NameTooShort
        | E::NameTooLong
        | E::NameInvalidCharacter
        | E::NameMixedScript
        | E::NameMisplacedDot => Some(Field::Name),
        E::PhoneRequired | E::PhoneInvalid => Some(Field::Phone),
        E::CodeFormat | E::BadCode | E::CodeExpired | E::CodeBurnt | E::CodeNotSent => {
            Some(Field::Code)
        }
        E::WeakPassword | E::BadCredentials => Some(Field::Password),
        E::PasswordMismatch => Some(Field::Confirm),
        _ => None,
    }
}

/// `2026-11-28 23:59`, Beijing time.
pub fn beijing_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(BEIJING);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_left_are_spelled_out() {
        let mut body = ErrorBody::new(ErrorCode::BadCode);
        body.attempts_left = Some(3);
        assert_eq!(
            error_text(ErrorCode::BadCode, Some(&body), Lang::Zh),
            "验证码错误，还可尝试3次"
        );
        assert_eq!(
            error_text(ErrorCode::BadCode, Some(&body), Lang::En),
            "The code is not right. 3 tries left."
        );
    }

    #[test]
    fn every_input_code_has_a_field() {
        for code in ErrorCode::ALL {
            let s = code.as_str();
            if s.starts_with("id_number") || s.starts_with("name_") || s.starts_with("phone_") {
                assert!(field_of(*code).is_some(), "{code}");
            }
        }
    }

    #[test]
    fn times_are_beijing() {
        let t = time::macros::datetime!(2026-11-27 16:30 UTC);
        assert_eq!(beijing_time(t), "2026-11-28 00:30");
    }
}
