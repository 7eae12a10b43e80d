//! What the UI draws: one serialisable snapshot of the app, rebuilt after every intent. The UI
//! keeps no state of its own beyond what the customer is typing.

use reset_flow::{ErrorCode, IdType, PasswordRule};

use super::camera::{CameraTask, DocumentKind};
use serde::{Deserialize, Serialize};

/// The screens of the guide, in the order a customer meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Screen {
    Login,
    Identity,
    ReservedPhone,
    Face,
    Documents,
    ContactPhone,
    NewPassword,
    Result,
    /// A successful 登录: where the customer now is (the mobile bank's home, in this app).
    SignedIn,
    /// The server cannot be reached, at start or to resume the open reset; 重试 asks again.
    Offline,
    /// This build names no server: nothing can be done in it (the words say why).
    NoServer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// The input fields errors can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    IdType,
    IdNumber,
    Name,
    Phone,
    Code,
    Password,
    Confirm,
}

/// An error under a field, or on the whole screen when `field` is `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub field: Option<Field>,
    pub code: ErrorCode,
    pub message: String,
}

/// One line of the password checklist under 登录密码.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleLine {
    pub rule: PasswordRule,
    pub ok: bool,
    pub text: String,
}

/// How the reset ended, for the result screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// Path B: staff decide by `due_by` (Beijing time, already formatted for the screen).
    UnderReview {
        due_by: String,
        /// Where the result will be texted, masked (`139****5678`), when this app knows it.
        contact_phone: Option<String>,
    },
    Rejected {
        reason: Option<String>,
    },
    Expired,
}

/// A message the development SMS gateway "sent", for the tester's inbox panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxMessage {
    pub to: String,
    pub text: String,
    pub sent_at: String,
}

/// An ID type as the 证件类型 picker lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdTypeOption {
    pub id_type: IdType,
    pub label: String,
}

/// Who the bank is, for the header's logo and the help footer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BankView {
    pub short_name: String,
    pub name_en: String,
    pub hotline: String,
    pub wechat_account: String,
    /// The logo (`bank/logo.svg`) and the WeChat account's QR code (`bank/wechat-qr.png`) as
    /// `data:` URLs, which the app's CSP allows for pictures.
    pub logo: String,
    pub wechat_qr: String,
}

/// The applicant, as 上传资料 shows them above the pictures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applicant {
    pub name: String,
    /// First and last characters only (`1101**********002X`).
    pub id_number: String,
}

/// The whole view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    /// Counts the clean starts (the kiosk's idle wipe, a finished kiosk visit, 取消). When it
    /// changes the UI throws its page away: typed fields, open sheets and dialogs.
    pub visit: u64,
    pub screen: Screen,
    /// On [`Screen::Offline`]: an open reset waits for the network (its id kept for 重试).
    pub resume_pending: bool,
    pub lang: Lang,
    pub id_types: Vec<IdTypeOption>,
    pub id_type: IdType,
    /// What 证件号码 shows: the typed number, or a remembered one masked (never in full).
    pub id_number: String,
    /// `id_number` is the remembered customer's, masked: sent back unchanged, the core uses the
    /// number it remembers.
    pub id_number_remembered: bool,
    pub name: String,
    pub phone: String,
    /// The login screen's 欢迎回来 line: the remembered customer's masked name.
    pub welcome_name: Option<String>,
    /// Whether the code for the current phone step has been sent.
    pub code_sent: bool,
    /// Seconds until 获取 may be tapped again; 0 when it may.
    pub resend_in_s: u64,
    /// The phone the last code went to, masked: 验证码已发送至 138****0001.
    pub code_sent_to: Option<String>,
    pub notices: Vec<Notice>,
    pub password_rules: Vec<RuleLine>,
    pub password_ok: bool,
    pub outcome: Option<Outcome>,
    /// Present only when the app runs its own development server.
    pub dev_inbox: Option<Vec<InboxMessage>>,
    pub kiosk: bool,
    /// Kiosk: seconds before the idle wipe, while 即将返回首页 shows.
    pub idle_warning_s: Option<u64>,
    /// Kiosk: seconds before a finished visit returns to a clean start.
    pub return_in_s: Option<u64>,
    /// 返回 during an open reset asks first: 放弃 or 继续办理.
    pub confirm_leave: bool,
    /// The larger-text mode (适老化): every size follows from the root font size.
    pub large_text: bool,
    pub bank: BankView,
    /// Path B: whose pictures 上传资料 takes.
    pub applicant: Option<Applicant>,
    /// 上传资料's tips, for the ID type chosen.
    pub documents_tips: Vec<String>,
    /// The last 登录 succeeded.
    pub signed_in: bool,
    /// The login screen greets a known customer instead of asking for the ID number.
    pub remembered_customer: bool,
    /// Present while the camera runs (face check, or taking a document picture).
    pub camera: Option<CameraView>,
    /// The tiles of 上传资料, with a thumbnail once taken.
    pub documents: Vec<DocumentTile>,
    /// The camera icon just read the card: `id_number` and `name` hold what it read, for the
    /// customer to check.
    pub scanned: bool,
}

/// The camera screen: the live preview and what to do next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraView {
    pub task: CameraTask,
    /// The face check's prompt (请向左转头 …), with its place: (1, 2) is the first of two.
    pub prompt: Option<String>,
    pub step: Option<(usize, usize)>,
    pub remaining_s: Option<u64>,
    /// What the customer should change (move closer, hold still …).
    pub hint: Option<String>,
    /// The frame as a small `data:` URL.
    pub preview: Option<String>,
    /// Good frames in a row so far.
    pub progress: u32,
    /// The screen is the camera (phones): it opens it and sends frames while this is here.
    pub webview: Option<WebviewCamera>,
}

/// What the screen opens when the camera is the webview's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebviewCamera {
    /// `getUserMedia`'s `facingMode`: `user` or `environment`.
    pub facing: &'static str,
    /// How the screen sends each frame's JPEG.
    pub frames: FrameEncoding,
}

/// How a camera frame crosses from the screen to the core. Android's IPC has no raw bodies: it
/// turns bytes into a JSON array of numbers, about 3.6 bytes for each byte of JPEG, so there
/// the screen sends the JPEG as base64 in a string (1.33 bytes for each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameEncoding {
    /// The JPEG's bytes as the request body (desktop WebKitGTK, iOS's WKWebView).
    #[cfg_attr(not(target_os = "android"), default)]
    Raw,
    /// `{"jpeg": "<base64>"}`.
    #[cfg_attr(target_os = "android", default)]
    Base64,
}

impl FrameEncoding {
    /// A tester's choice (`RESET_WEBVIEW_FRAMES`), so Android's way is tried on desktop too.
    pub fn parse(s: &str) -> Option<FrameEncoding> {
        match s {
            "raw" => Some(FrameEncoding::Raw),
            "base64" => Some(FrameEncoding::Base64),
            _ => None,
        }
    }
}

/// One tile of 上传资料.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentTile {
    pub kind: DocumentKind,
    pub label: String,
    pub thumbnail: Option<String>,
}
