//! Words the core puts into the view: error texts in the chosen language, which field an error
//! belongs under, and times as Beijing shows them.

use reset_flow::wire::ErrorBody;
use reset_flow::{ErrorCode, IdType, PasswordRule, BEIJING};
use time::OffsetDateTime;

use reset_capture::Reason;
use reset_flow::wire::ChallengePrompt;

use super::camera::DocumentKind;
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
        ("ocr_model_missing", Lang::Zh) => "证件识别组件缺失，请手动输入证件号码和姓名",
        ("ocr_model_missing", Lang::En) => {
            "The ID card reader's files are missing: please type the ID number and name"
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

/// The tiles of 上传资料, in the guide's words, for the ID the customer named: a passport's
/// photo page and its entry-visa page, a permit's or a card's front and back.
pub fn document_label(kind: DocumentKind, id_type: IdType, lang: Lang) -> &'static str {
    use DocumentKind as D;
    use IdType as T;
    match (lang, id_type, kind) {
        (Lang::Zh, T::IdCard, D::IdFront) => "身份证正面",
        (Lang::Zh, T::IdCard, D::IdBack) => "身份证反面",
        (Lang::Zh, T::IdCard, D::Handheld) => "手持身份证照",
        (Lang::Zh, T::Passport, D::IdFront) => "护照个人资料页",
        (Lang::Zh, T::Passport, D::IdBack) => "护照入境签证页",
        (Lang::Zh, T::Passport, D::Handheld) => "手持护照照",
        (Lang::Zh, T::HkMacauPermit | T::TaiwanPermit, D::IdFront) => "通行证正面",
        (Lang::Zh, T::HkMacauPermit | T::TaiwanPermit, D::IdBack) => "通行证反面",
        (Lang::Zh, T::HkMacauPermit | T::TaiwanPermit, D::Handheld) => "手持通行证照",
        (Lang::Zh, T::ForeignPermanentResident, D::IdFront) => "永久居留身份证正面",
        (Lang::Zh, T::ForeignPermanentResident, D::IdBack) => "永久居留身份证反面",
        (Lang::Zh, T::ForeignPermanentResident, D::Handheld) => "手持永久居留身份证照",
        (Lang::En, T::IdCard, D::IdFront) => "ID card front",
        (Lang::En, T::IdCard, D::IdBack) => "ID card back",
        (Lang::En, T::IdCard, D::Handheld) => "Photo holding the ID card",
        (Lang::En, T::Passport, D::IdFront) => "Passport photo page",
        (Lang::En, T::Passport, D::IdBack) => "Passport entry visa page",
        (Lang::En, T::Passport, D::Handheld) => "Photo holding the passport",
        (Lang::En, T::HkMacauPermit | T::TaiwanPermit, D::IdFront) => "Permit front",
        (Lang::En, T::HkMacauPermit | T::TaiwanPermit, D::IdBack) => "Permit back",
        (Lang::En, T::HkMacauPermit | T::TaiwanPermit, D::Handheld) => "Photo holding the permit",
        (Lang::En, T::ForeignPermanentResident, D::IdFront) => "Permanent residence card front",
        (Lang::En, T::ForeignPermanentResident, D::IdBack) => "Permanent residence card back",
        (Lang::En, T::ForeignPermanentResident, D::Handheld) => "Photo holding the residence card",
    }
}

/// 上传资料's tips: which document, and how to photograph it.
pub fn document_tips(id_type: IdType, lang: Lang) -> [&'static str; 2] {
    let which = match (lang, id_type) {
        (Lang::Zh, IdType::IdCard) => "请使用本人有效期内的居民身份证原件。",
        (Lang::Zh, IdType::Passport) => {
            "请使用本人有效期内的护照原件；无入境签证页的，请拍摄护照签名页。"
        }
        (Lang::Zh, IdType::HkMacauPermit) => "请使用本人有效期内的港澳居民来往内地通行证原件。",
        (Lang::Zh, IdType::TaiwanPermit) => "请使用本人有效期内的台湾居民来往大陆通行证原件。",
        (Lang::Zh, IdType::ForeignPermanentResident) => {
            "请使用本人有效期内的外国人永久居留身份证原件。"
        }
        (Lang::En, IdType::IdCard) => "Use your own valid resident ID card.",
        (Lang::En, IdType::Passport) => {
            "Use your own valid passport; without an entry visa, photograph its signature page."
        }
        (Lang::En, IdType::HkMacauPermit) => {
            "Use your own valid Mainland Travel Permit for Hong Kong and Macau Residents."
        }
        (Lang::En, IdType::TaiwanPermit) => {
            "Use your own valid Mainland Travel Permit for Taiwan Residents."
        }
        (Lang::En, IdType::ForeignPermanentResident) => {
            "Use your own valid Foreign Permanent Resident ID card."
        }
    };
    let how = match lang {
        Lang::Zh => "拍摄时请保证证件四角完整、字迹清晰、无反光。",
        Lang::En => "Keep all four corners in view, the print sharp and free of glare.",
    };
    [which, how]
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
            "ocr_model_missing",
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
    fn every_id_type_names_its_own_pictures_in_both_languages() {
        for t in IdType::ALL {
            for lang in [Lang::Zh, Lang::En] {
                let labels: Vec<_> = DocumentKind::ALL
                    .iter()
                    .map(|k| document_label(*k, t, lang))
                    .collect();
                assert_eq!(
                    labels
                        .iter()
                        .collect::<std::collections::HashSet<_>>()
                        .len(),
                    3,
                    "{t:?} {lang:?}"
                );
                if t != IdType::IdCard {
                    for k in DocumentKind::ALL {
                        let card = document_label(k, IdType::IdCard, lang);
                        assert!(
                            !labels.contains(&card),
                            "{t:?} is not asked for a resident ID card: {labels:?}"
                        );
                    }
                }
            }
        }
        assert_eq!(
            document_label(DocumentKind::IdFront, IdType::Passport, Lang::Zh),
            "护照个人资料页"
        );
    }

    #[test]
    fn times_are_beijing() {
        let t = time::macros::datetime!(2026-11-27 16:30 UTC);
        assert_eq!(beijing_time(t), "2026-11-28 00:30");
    }
}
