//! Words the core puts into the view: error texts in the chosen language, which field an error
//! belongs under, and times as Beijing shows them.

use reset_flow::wire::ErrorBody;
use reset_flow::{ErrorCode, IdType, PasswordRule, BEIJING};
use time::OffsetDateTime;

use reset_capture::Reason;
use reset_flow::wire::ChallengePrompt;

use super::camera::{CameraTask, DocumentKind};
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

/// What the camera screen says is still wrong.
pub fn reason_text(reason: Reason, lang: Lang) -> String {
    match lang {
        Lang::Zh => reason.message_zh(),
        Lang::En => reason.message_en(),
    }
    .to_owned()
}

/// Why the camera could not be used, by the code of [`CameraFailure::Source`].
///
/// [`CameraFailure::Source`]: super::camera::CameraFailure::Source
pub fn camera_source_text(code: &str, lang: Lang) -> &'static str {
    match (code, lang) {
        ("no_camera", Lang::Zh) => "未找到摄像头",
        ("no_camera", Lang::En) => "No camera was found",
        ("camera_permission_denied", Lang::Zh) => "未获得摄像头权限，请在系统设置中允许使用摄像头",
        ("camera_permission_denied", Lang::En) => {
            "The app may not use the camera: allow it in the system settings"
        }
        ("unreadable" | "not_a_picture", Lang::Zh) => "无法读取图片",
        ("unreadable" | "not_a_picture", Lang::En) => "The picture could not be read",
        ("bad_setting", Lang::Zh) => "摄像头设置有误",
        ("bad_setting", Lang::En) => "The camera setting is wrong",
        ("face_model_missing", Lang::Zh) => "人脸识别组件缺失，请重新安装应用",
        ("face_model_missing", Lang::En) => {
            "The face check's files are missing: please reinstall the app"
        }
        (_, Lang::Zh) => "摄像头暂不可用，请稍后再试",
        (_, Lang::En) => "The camera is not available now, please try again later",
    }
}

/// The face check's prompts, one at a time.
pub fn prompt_text(prompt: ChallengePrompt, lang: Lang) -> &'static str {
    match (prompt, lang) {
        (ChallengePrompt::TurnLeft, Lang::Zh) => "请缓慢向左转头",
        (ChallengePrompt::TurnRight, Lang::Zh) => "请缓慢向右转头",
        (ChallengePrompt::ComeCloser, Lang::Zh) => "请靠近屏幕",
        (ChallengePrompt::TurnLeft, Lang::En) => "Slowly turn your head to the left",
        (ChallengePrompt::TurnRight, Lang::En) => "Slowly turn your head to the right",
        (ChallengePrompt::ComeCloser, Lang::En) => "Come closer to the screen",
    }
}

/// The tiles of 上传资料, in the guide's words.
pub fn document_label(kind: DocumentKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (DocumentKind::IdFront, Lang::Zh) => "身份证正面",
        (DocumentKind::IdBack, Lang::Zh) => "身份证反面",
        (DocumentKind::Handheld, Lang::Zh) => "手持身份证照",
        (DocumentKind::IdFront, Lang::En) => "ID card front",
        (DocumentKind::IdBack, Lang::En) => "ID card back",
        (DocumentKind::Handheld, Lang::En) => "Photo holding the ID card",
    }
}

/// The camera screen's heading.
pub fn camera_title(task: CameraTask, lang: Lang) -> &'static str {
    match (task, lang) {
        (CameraTask::Face, Lang::Zh) => "人脸识别",
        (CameraTask::Face, Lang::En) => "Face check",
        (CameraTask::Document(k), _) => document_label(k, lang),
        (CameraTask::IdScan, Lang::Zh) => "扫描身份证",
        (CameraTask::IdScan, Lang::En) => "Scan the ID card",
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
        | E::IdNumberCheckDigit
        | E::CardUnreadable => Some(Field::IdNumber),
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
    fn every_camera_source_code_has_its_own_words_in_both_languages() {
        use reset_capture::SourceError;
        let codes = [
            SourceError::NoCamera.code(),
            SourceError::PermissionDenied.code(),
            SourceError::Unreadable {
                path: "x".into(),
                message: String::new(),
            }
            .code(),
            SourceError::NotAPicture(String::new()).code(),
            SourceError::BadSetting(String::new()).code(),
            "face_model_missing",
        ];
        let fallback = camera_source_text("camera_failed", Lang::Zh);
        for code in codes {
            let zh = camera_source_text(code, Lang::Zh);
            let en = camera_source_text(code, Lang::En);
            assert_ne!(zh, fallback, "{code}");
            assert!(en.is_ascii() && !zh.is_ascii(), "{code}");
        }
        assert_eq!(
            camera_source_text("face_model_missing", Lang::Zh),
            "人脸识别组件缺失，请重新安装应用"
        );
    }

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
