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

/// The whole view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub screen: Screen,
    pub lang: Lang,
    pub id_types: Vec<IdTypeOption>,
    pub id_type: IdType,
    pub id_number: String,
    pub name: String,
    pub phone: String,
    /// The login screen's 欢迎回来 line: the remembered customer's masked name.
    pub welcome_name: Option<String>,
    /// Whether the code for the current phone step has been sent.
    pub code_sent: bool,
    /// Seconds until 获取 may be tapped again; 0 when it may.
    pub resend_in_s: u64,
    pub notices: Vec<Notice>,
    pub password_rules: Vec<RuleLine>,
    pub password_ok: bool,
    pub outcome: Option<Outcome>,
    /// Present only when the app runs its own development server.
    pub dev_inbox: Option<Vec<InboxMessage>>,
    pub kiosk: bool,
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
    pub title: String,
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
}

/// One tile of 上传资料.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentTile {
    pub kind: DocumentKind,
    pub label: String,
    pub thumbnail: Option<String>,
}
