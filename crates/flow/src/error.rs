//! The one list of error codes: the server answers with them, the app passes them on, the UI
//! words them. A code is a stable API string; the messages may be reworded freely.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($( $variant:ident = $code:literal, $status:literal, $zh:literal, $en:literal; )*) => {
        /// Every reason a request can be refused, end to end.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $variant, )*
        }

        impl ErrorCode {
            /// All codes, in declaration order (for the UI's message table and its drift test).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The wire string, e.g. `wrong_step`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The HTTP status the server answers with.
            pub const fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )* }
            }

            /// What the customer reads, in the bank guide's Chinese.
            pub const fn message_zh(self) -> &'static str {
                match self { $( ErrorCode::$variant => $zh, )* }
            }

            /// The English message, for the switchable second language and for logs.
            pub const fn message_en(self) -> &'static str {
                match self { $( ErrorCode::$variant => $en, )* }
            }
        }
    };
}

error_codes! {
    // Request shape
    MalformedBody = "malformed_body", 400, "请求格式有误", "The request could not be read.";
    BodyTooLarge = "body_too_large", 413, "提交的内容过大", "The request is too large.";
    NotFound = "not_found", 404, "页面不存在", "Not found.";

    // Identity
    IdTypeUnsupported = "id_type_unsupported", 422, "不支持该证件类型", "This ID type is not supported.";
    IdNumberRequired = "id_number_required", 422, "请输入证件号码", "Enter the ID number.";
    IdNumberLength = "id_number_length", 422, "证件号码位数不正确", "The ID number has the wrong length.";
    IdNumberFormat = "id_number_format", 422, "证件号码格式不正确", "The ID number is not in the right format.";
    IdNumberRegion = "id_number_region", 422, "证件号码地区码不正确", "The ID number's region code is not valid.";
    IdNumberBirthDate = "id_number_birth_date", 422, "证件号码中的出生日期不正确", "The birth date in the ID number is not valid.";
    IdNumberCheckDigit = "id_number_check_digit", 422, "证件号码校验位不正确，请核对", "The ID number's check digit does not match; please check it.";
    NameRequired = "name_required", 422, "请输入注册人姓名", "Enter the registered name.";
    NameTooShort = "name_too_short", 422, "姓名过短", "The name is too short.";
    NameTooLong = "name_too_long", 422, "姓名过长", "The name is too long.";
    NameInvalidCharacter = "name_invalid_character", 422, "姓名含有不支持的字符", "The name contains characters that are not allowed.";
    NameMixedScript = "name_mixed_script", 422, "姓名请使用中文或证件上的英文", "Write the name in Chinese or as on the document, not mixed.";
    NameMisplacedDot = "name_misplaced_dot", 422, "姓名中的间隔号「·」位置不正确", "The middle dot in the name is misplaced.";

    // Phones and codes
    PhoneRequired = "phone_required", 422, "请输入手机号", "Enter the phone number.";
    PhoneInvalid = "phone_invalid", 422, "请输入正确的11位手机号", "Enter a valid 11-digit mainland mobile number.";
    CodeFormat = "code_format", 422, "请输入6位短信验证码", "Enter the 6-digit SMS code.";
    BadCode = "bad_code", 422, "验证码错误", "The code is not right.";
    CodeExpired = "code_expired", 422, "验证码已失效，请重新获取", "The code has expired; get a new one.";
    CodeBurnt = "code_burnt", 422, "验证码错误次数过多，请重新获取", "Too many wrong codes; get a new one.";
    CodeNotSent = "code_not_sent", 422, "请先获取短信验证码", "Get an SMS code first.";
    TooMany = "too_many", 429, "操作过于频繁，请稍后再试", "Too many attempts; try again later.";

    // Password
    WeakPassword = "weak_password", 422, "密码不符合要求", "The password does not meet the rules.";
    PasswordMismatch = "password_mismatch", 422, "两次输入的密码不一致", "The two passwords do not match.";

    // The flow
    FlowNotFound = "flow_not_found", 404, "业务已失效，请重新开始", "This reset is no longer valid; start again.";
    FlowExpired = "flow_expired", 410, "操作超时，请重新开始", "This reset has timed out; start again.";
    FlowReplaced = "flow_replaced", 410, "该业务已在其他地方重新发起，请重新开始", "This reset was restarted elsewhere; start again.";
    WrongStep = "wrong_step", 409, "当前步骤不允许该操作，请按页面提示操作", "That is not possible at this step.";
    CasePending = "case_pending", 409, "您已有一笔待审核的申请，请等待审核结果", "You already have a request waiting for review.";

    // Login
    BadCredentials = "bad_credentials", 401, "证件号码或登录密码错误", "The ID number or password is not right.";
    Locked = "locked", 423, "登录密码已锁定，请通过“忘记密码”重置", "The login is locked; reset the password with Forgot password.";

    // Face check and evidence
    FaceNotFound = "face_not_found", 422, "未检测到人脸，请正对屏幕", "No face found; face the screen.";
    FaceMultiple = "face_multiple", 422, "检测到多张人脸，请确保只有本人", "More than one face; only you should be in view.";
    ChallengeFailed = "challenge_failed", 422, "动作检测未通过，请重试", "The movement check did not pass; try again.";
    EvidenceMissing = "evidence_missing", 422, "请上传全部资料", "Upload every picture.";
    EvidenceEmpty = "evidence_empty", 422, "上传的图片为空", "An uploaded picture is empty.";
    EvidenceNotJpeg = "evidence_not_jpeg", 422, "请上传JPEG格式的照片", "Pictures must be JPEG photos.";
    EvidenceCorrupt = "evidence_corrupt", 422, "照片已损坏，请重新拍摄", "A picture is damaged; take it again.";
    EvidenceTooLarge = "evidence_too_large", 413, "照片文件过大", "A picture file is too large.";
    EvidenceTooManyPixels = "evidence_too_many_pixels", 422, "照片尺寸过大", "A picture has too many pixels.";

    // Staff console
    StaffBadCredentials = "staff_bad_credentials", 401, "用户名或密码错误", "Wrong username or password.";
    StaffLocked = "staff_locked", 423, "账号已暂时锁定，请稍后再试或联系管理员", "The staff account is locked for a while; try again later or ask an administrator.";
    StaffSessionRequired = "staff_session_required", 401, "请先登录", "Log in first.";
    CsrfInvalid = "csrf_invalid", 403, "页面已过期，请刷新后重试", "The page has expired; reload it and try again.";
    Forbidden = "forbidden", 403, "无权进行此操作", "You may not do that.";
    SecondFactorRequired = "second_factor_required", 403, "审批通过须使用动态验证码登录", "Approving needs a sign-in with the authenticator code.";
    CaseNotFound = "case_not_found", 404, "案件不存在", "No such case.";
    CaseAlreadyDecided = "case_already_decided", 409, "该案件已由其他审核员处理", "Another reviewer already decided this case.";
    ReasonRequired = "reason_required", 422, "请选择拒绝原因", "Choose a reason for the rejection.";
    EvidenceUnavailable = "evidence_unavailable", 409, "案件照片暂无法查看，不能批准", "The case's pictures cannot be shown, so it cannot be approved.";

    // Environment
    CardUnreadable = "card_unreadable", 422, "未能识别证件信息，请手动输入", "The card could not be read; please type the details.";
    // The app's own: a build that names no server (RESET_DEFAULT_API_URL unset when it was built).
    NoServer = "no_server", 503, "本应用未设置银行服务器地址，请从银行官方渠道安装应用", "This app names no bank server; install it from the bank's own channels.";
    Offline = "offline", 503, "网络连接不可用，请检查网络后重试", "No network connection; check it and try again.";
    // The app's own: a request sent that got no answer in time (the server may have done it).
    TimedOut = "timed_out", 504, "网络超时，请稍后重试", "The network timed out; try again.";
    ServiceUnavailable = "service_unavailable", 503, "服务暂不可用，请稍后再试", "The service is unavailable; try again later.";
    Internal = "internal", 500, "系统繁忙，请稍后再试", "Something went wrong; try again later.";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_string_matches_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *code);
        }
    }

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert!((400..600).contains(&code.http_status()), "{code}");
            assert!(!code.message_zh().is_empty() && !code.message_en().is_empty());
        }
    }

    #[test]
    fn contract_statuses() {
        assert_eq!(ErrorCode::WrongStep.http_status(), 409);
        assert_eq!(ErrorCode::TooMany.http_status(), 429);
        assert_eq!(ErrorCode::Locked.http_status(), 423);
        assert_eq!(ErrorCode::BadCredentials.http_status(), 401);
        assert_eq!(ErrorCode::BadCode.http_status(), 422);
        assert_eq!(ErrorCode::WeakPassword.http_status(), 422);
    }
}
