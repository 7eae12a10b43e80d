//! The app's core: the customer's intents, checked by the flow crate's rules and step machine,
//! sent to the server, and turned into the next [`View`]. No Tauri here: the commands adapt it.

pub mod api;
pub mod camera;
mod id_scan;
pub mod kiosk;
mod leaving;
mod messages;
pub mod models;
mod path_b;
mod recovery;
mod resume;
pub mod view;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use reset_flow::wire::{
    CodeRequest, ErrorBody, FlowStatus, LoginRequest, PasswordRequest, PhoneRequest, Sensitive,
    StartResetRequest,
};
use reset_flow::{
    check_password, Bank, CustomerName, ErrorCode, Event, Flow, IdNumber, IdType, MobileNumber,
    PasswordContext, PasswordRule, Policy, SmsCode, Step,
};
use time::OffsetDateTime;

use api::{ApiClient, PhoneKind};
use path_b::PathB;
use recovery::is_gone;
use reset_capture::SourceSetting;
use view::{
    Applicant, BankView, Field, FrameEncoding, IdTypeOption, InboxMessage, Lang, Notice, Outcome,
    RuleLine, Screen, View,
};

/// The bank's logo and its WeChat account's QR code, beside bank/bank.toml.
const BANK_LOGO: &[u8] = include_bytes!("../../../bank/logo.svg");
const BANK_WECHAT_QR: &[u8] = include_bytes!("../../../bank/wechat-qr.png");

/// Who the login screen greets: remembered after a successful reset or login on this device.
#[derive(Debug, Clone)]
struct Customer {
    id_type: IdType,
    id_number: String,
    masked_name: Option<String>,
}

/// The flow the server is running for us, mirrored by the same step machine.
#[derive(Debug, Clone)]
struct OpenFlow {
    id: String,
    flow: Flow,
}

/// How the app is set up: where the server is and what the tester extras are.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub api_url: String,
    /// The server is the app's own development server: show the SMS inbox.
    pub dev_inbox: bool,
    /// A branch kiosk: nobody is remembered, nothing is resumed, and every visit ends clean.
    pub kiosk: bool,
    /// Where to keep the open flow's id so a restarted app resumes it (never on a kiosk).
    pub resume_file: Option<PathBuf>,
    /// Where camera frames come from; `None`: this device has no camera to offer.
    pub camera: Option<SourceSetting>,
    /// The OCR models' folder for the camera icon (an app bundle's resources); `None`: the OCR
    /// crate's default (`RESET_MODEL_DIR`, else the fetch script's cache folder).
    pub model_dir: Option<PathBuf>,
    /// How long one request may take before it counts as unanswered; `None`: 15 s.
    pub request_timeout: Option<Duration>,
    /// How the screen sends a webview camera's frames (base64 on Android).
    pub webview_frames: FrameEncoding,
}

pub struct AppCore {
    api: ApiClient,
    settings: Settings,
    policy: Policy,
    bank: BankView,
    visit: u64,
    lang: Lang,
    large_text: bool,
    screen: Screen,
    customer: Option<Customer>,
    /// 证件号码 holds the remembered customer's number, shown masked.
    id_remembered: bool,
    /// The open flow an offline start could not resume yet (its id stays on disk too).
    pending_resume: Option<String>,
    confirm_leave: bool,
    signed_in: bool,
    id_type: IdType,
    id_number: String,
    name: String,
    phone: String,
    flow: Option<OpenFlow>,
    code_sent: bool,
    resend_at: Option<Instant>,
    notices: Vec<Notice>,
    password_broken: Option<Vec<PasswordRule>>,
    outcome: Option<Outcome>,
    inbox: Vec<InboxMessage>,
    path_b: PathB,
}

impl AppCore {
    pub fn new(settings: Settings) -> Result<AppCore, ErrorBody> {
        models::use_model_dir(settings.model_dir.clone());
        Ok(AppCore {
            api: ApiClient::new(&settings.api_url, settings.request_timeout)?,
            settings,
            policy: Policy::default(),
            bank: bank_view(&Bank::default()),
            visit: 0,
            lang: Lang::Zh,
            large_text: false,
            screen: Screen::Login,
            customer: None,
            id_remembered: false,
            pending_resume: None,
            confirm_leave: false,
            signed_in: false,
            id_type: IdType::IdCard,
            id_number: String::new(),
            name: String::new(),
            phone: String::new(),
            flow: None,
            code_sent: false,
            resend_at: None,
            notices: Vec::new(),
            password_broken: None,
            outcome: None,
            inbox: Vec::new(),
            path_b: PathB::default(),
        })
    }

    /// Which page the UI shows: changes with every clean start.
    pub fn visit(&self) -> u64 {
        self.visit
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The snapshot the UI draws, with countdowns as seen at `now`.
    pub fn view(&self, now: Instant) -> View {
        let resend_in_s = self
            .resend_at
            .map(|at| at.saturating_duration_since(now).as_secs_f64().ceil() as u64)
            .unwrap_or(0);
        // A build without a server has one screen, whatever was tapped.
        let no_server = self.api.base().is_empty();
        View {
            visit: self.visit,
            screen: if no_server {
                Screen::NoServer
            } else {
                self.screen
            },
            resume_pending: self.screen == Screen::Offline && self.pending_resume.is_some(),
            lang: self.lang,
            id_types: IdType::ALL
                .iter()
                .map(|t| IdTypeOption {
                    id_type: *t,
                    label: messages::id_type_label(*t, self.lang).into(),
                })
                .collect(),
            id_type: self.id_type,
            id_number: if self.id_remembered {
                self.masked_id_number().unwrap_or_default()
            } else {
                self.id_number.clone()
            },
            id_number_remembered: self.id_remembered,
            name: self.name.clone(),
            phone: self.phone.clone(),
            welcome_name: self.customer.as_ref().and_then(|c| c.masked_name.clone()),
            code_sent: self.code_sent,
            resend_in_s,
            code_sent_to: self
                .code_sent
                .then(|| MobileNumber::parse(&self.phone).ok())
                .flatten()
                .map(|p| p.masked()),
            notices: if no_server {
                vec![Notice {
                    field: None,
                    code: ErrorCode::NoServer,
                    message: messages::error_text(ErrorCode::NoServer, None, self.lang),
                }]
            } else {
                self.notices.clone()
            },
            password_rules: self.rule_lines(),
            password_ok: self.password_broken.as_ref().is_some_and(Vec::is_empty),
            outcome: self.outcome.clone(),
            dev_inbox: self.settings.dev_inbox.then(|| self.inbox.clone()),
            kiosk: self.settings.kiosk,
            idle_warning_s: None,
            return_in_s: None,
            confirm_leave: self.confirm_leave,
            large_text: self.large_text,
            bank: self.bank.clone(),
            applicant: (self.screen == Screen::Documents).then(|| Applicant {
                name: self.name.clone(),
                id_number: self.masked_id_number().unwrap_or_default(),
            }),
            documents_tips: messages::document_tips(self.id_type, self.lang)
                .map(str::to_owned)
                .to_vec(),
            signed_in: self.signed_in,
            remembered_customer: self.customer.is_some(),
            camera: self.camera_view(),
            documents: self.document_tiles(),
            scanned: self.path_b.scanned,
        }
    }

    /// 大字版 (适老化): larger text everywhere, on top of the system's text size.
    pub fn set_large_text(&mut self, on: bool) {
        self.large_text = on;
    }

    pub fn set_language(&mut self, lang: Lang) {
        self.lang = lang;
        for n in &mut self.notices {
            n.message = messages::error_text(n.code, None, self.lang);
        }
    }

    /// 忘记密码 on the login screen.
    pub fn start_reset(&mut self) {
        self.wipe();
        if let Some(c) = &self.customer {
            self.id_type = c.id_type;
            self.id_number = c.id_number.clone();
            self.id_remembered = true;
        }
        self.screen = Screen::Identity;
    }

    pub fn choose_id_type(&mut self, id_type: IdType) {
        if id_type != self.id_type && self.id_remembered {
            // The remembered number is one of the other type's.
            self.id_number.clear();
            self.id_remembered = false;
        }
        self.id_type = id_type;
        self.notices.clear();
        self.path_b.scanned = false;
    }

    /// 下一步 on 个人信息.
    pub async fn submit_identity(&mut self, id_number: &str, name: &str) {
        self.notices.clear();
        self.path_b.scanned = false;
        // The masked remembered number sent back unchanged stands for the number remembered.
        let remembered =
            self.id_remembered && Some(id_number) == self.masked_id_number().as_deref();
        if !remembered {
            self.id_number = id_number.to_owned();
            self.id_remembered = false;
        }
        self.name = name.to_owned();
        let id = IdNumber::parse(self.id_type, &self.id_number, beijing_today());
        let person = CustomerName::parse(name);
        if let Err(code) = &id {
            self.notice(Some(Field::IdNumber), *code, None);
        }
        if let Err(code) = &person {
            self.notice(Some(Field::Name), *code, None);
        }
        let (Ok(id), Ok(person)) = (id, person) else {
            return;
        };
        let req = StartResetRequest {
            id_type: self.id_type,
            id_number: Sensitive(id.as_str().to_owned()),
            name: Sensitive(person.as_str().to_owned()),
        };
        match self.api.start_reset(&req).await {
            Ok(started) => {
                self.id_number = id.as_str().to_owned();
                self.id_remembered = remembered;
                self.name = person.as_str().to_owned();
                self.flow = Some(OpenFlow {
                    id: started.flow_id,
                    flow: Flow::start(OffsetDateTime::now_utc()),
                });
                resume::save(
                    self.settings.resume_file.as_deref(),
                    self.flow.as_ref().map(|f| f.id.as_str()),
                );
                self.show_step(started.step);
            }
            Err(body) => self.refused(body),
        }
    }

    /// 获取: a code to the reserved phone, or to the contact phone on path B.
    pub async fn request_code(&mut self, phone: &str, now: Instant) {
        self.notices.clear();
        self.phone = phone.to_owned();
        let Some((kind, event)) = self.phone_step() else {
            return self.notice(None, ErrorCode::WrongStep, None);
        };
        if self.resend_at.is_some_and(|at| at > now) {
            return self.notice(None, ErrorCode::TooMany, None);
        }
        let number = match MobileNumber::parse(phone) {
            Ok(n) => n,
            Err(code) => return self.notice(Some(Field::Phone), code, None),
        };
        if !self.local_step_allows(event) {
            return;
        }
        let Some(flow_id) = self.flow.as_ref().map(|f| f.id.clone()) else {
            return;
        };
        let req = PhoneRequest {
            phone: Sensitive(number.as_str().to_owned()),
        };
        let before = self.mirrored_step();
        let sent = match self.api.request_code(&flow_id, kind, &req).await {
            Ok(sent) => Some(sent.resend_after_s),
            // Unanswered: a running countdown on the server says the code went out.
            Err(body) => {
                let went_out = |s: &FlowStatus| {
                    Some(s.step) == before && s.resend_after_s.is_some_and(|r| r > 0)
                };
                let Some(s) = self.settle(body, went_out).await else {
                    return;
                };
                s.resend_after_s
            }
        };
        if let Some(resend_after_s) = sent {
            self.phone = number.as_str().to_owned();
            self.code_sent = true;
            self.resend_at = Some(now + Duration::from_secs(resend_after_s));
            self.advance_local(event);
            self.refresh_inbox().await;
        }
    }

    /// 下一步 on a phone screen: check the SMS code.
    pub async fn verify_code(&mut self, code: &str) {
        self.notices.clear();
        let Some((kind, _)) = self.phone_step() else {
            return self.notice(None, ErrorCode::WrongStep, None);
        };
        // The code proves the phone it was sent to (after a restart the app no longer knows
        // which number that was; the server does).
        if !self.code_sent {
            return self.notice(Some(Field::Code), ErrorCode::CodeNotSent, None);
        }
        let code = match SmsCode::parse(code) {
            Ok(c) => c,
            Err(e) => return self.notice(Some(Field::Code), e, None),
        };
        let event = match kind {
            PhoneKind::Reserved => Event::ReservedPhoneVerified,
            PhoneKind::Contact => Event::ContactPhoneVerified,
        };
        if !self.local_step_allows(event) {
            return;
        }
        let Some(flow_id) = self.flow.as_ref().map(|f| f.id.clone()) else {
            return;
        };
        let req = CodeRequest {
            code: Sensitive(code.as_str().to_owned()),
        };
        let step = match self.api.verify_code(&flow_id, kind, &req).await {
            Ok(answer) => answer.step,
            // A right code moves both paths on to the password.
            Err(body) => match self.settle(body, |s| s.step == Step::NewPassword).await {
                Some(s) => s.step,
                None => return,
            },
        };
        self.advance_local(event);
        self.code_sent = false;
        self.resend_at = None;
        self.show_step(step);
    }

    /// 手机号不可用?
    pub async fn phone_unavailable(&mut self) {
        self.notices.clear();
        if !self.local_step_allows(Event::PhoneUnavailable) {
            return;
        }
        let Some(flow_id) = self.flow.as_ref().map(|f| f.id.clone()) else {
            return;
        };
        let step = match self.api.phone_unavailable(&flow_id).await {
            Ok(answer) => answer.step,
            Err(body) => match self.settle(body, |s| s.step == Step::Face).await {
                Some(s) => s.step,
                None => return,
            },
        };
        self.advance_local(Event::PhoneUnavailable);
        self.phone.clear();
        self.code_sent = false;
        self.resend_at = None;
        self.show_step(step);
    }

    /// Each keystroke in 登录密码 / 确认密码: the checklist under the fields.
    pub fn password_input(&mut self, password: &str, confirm: &str) {
        let confirm = (!confirm.is_empty()).then_some(confirm);
        self.password_broken = Some(self.password_rules(password, confirm));
    }

    /// 确定 on 登录密码设置.
    pub async fn set_password(&mut self, password: &str, confirm: &str) {
        self.notices.clear();
        let broken = self.password_rules(password, Some(confirm));
        self.password_broken = Some(broken.clone());
        if broken.contains(&PasswordRule::Mismatch) {
            return self.notice(Some(Field::Confirm), ErrorCode::PasswordMismatch, None);
        }
        if !broken.is_empty() {
            return self.notice(Some(Field::Password), ErrorCode::WeakPassword, None);
        }
        if !self.local_step_allows(Event::PasswordSet) {
            return;
        }
        let Some(flow_id) = self.flow.as_ref().map(|f| f.id.clone()) else {
            return;
        };
        let req = PasswordRequest {
            password: Sensitive(password.to_owned()),
        };
        let (step, due_by) = match self.api.set_password(&flow_id, &req).await {
            Ok(answer) => (answer.step, answer.due_by),
            Err(body) => {
                let in_force = |s: &FlowStatus| matches!(s.step, Step::Done | Step::UnderReview);
                let Some(s) = self.settle(body, in_force).await else {
                    return;
                };
                (s.step, s.due_by)
            }
        };
        self.advance_local(Event::PasswordSet);
        self.remember_customer();
        self.outcome = Some(match due_by {
            Some(due) => Outcome::UnderReview {
                due_by: messages::beijing_time(due),
                contact_phone: MobileNumber::parse(&self.phone).ok().map(|p| p.masked()),
            },
            None => Outcome::Done,
        });
        self.screen = Screen::Result;
        if step == Step::Done {
            resume::save(self.settings.resume_file.as_deref(), None);
        }
    }

    /// 登录. Uses the remembered customer's ID unless the screen asked for one.
    pub async fn log_in(&mut self, id_number: Option<&str>, password: &str) {
        self.notices.clear();
        self.signed_in = false;
        // The login screen has no type picker: a remembered customer's own type, else 身份证.
        let (id_type, raw) = match (id_number, &self.customer) {
            (Some(n), _) if !n.trim().is_empty() => (IdType::IdCard, n.to_owned()),
            (_, Some(c)) => (c.id_type, c.id_number.clone()),
            _ => return self.notice(Some(Field::IdNumber), ErrorCode::IdNumberRequired, None),
        };
        self.id_type = id_type;
        let id = match IdNumber::parse(id_type, &raw, beijing_today()) {
            Ok(id) => id,
            Err(code) => return self.notice(Some(Field::IdNumber), code, None),
        };
        if password.is_empty() {
            return self.notice(Some(Field::Password), ErrorCode::BadCredentials, None);
        }
        let req = LoginRequest {
            id_type: self.id_type,
            id_number: Sensitive(id.as_str().to_owned()),
            password: Sensitive(password.to_owned()),
        };
        match self.api.login(&req).await {
            Ok(_session) => {
                self.signed_in = true;
                // A kiosk is shared: it greets nobody by name and keeps no ID number.
                if !self.settings.kiosk {
                    let masked = self.customer.as_ref().and_then(|c| c.masked_name.clone());
                    self.customer = Some(Customer {
                        id_type: self.id_type,
                        id_number: id.as_str().to_owned(),
                        masked_name: masked,
                    });
                }
                self.visit += 1;
                self.screen = Screen::SignedIn;
            }
            Err(body) => self.refused(body),
        }
    }

    /// 退出登录 on the signed-in screen.
    pub fn log_out(&mut self) {
        self.signed_in = false;
        self.notices.clear();
        self.visit += 1;
        self.screen = Screen::Login;
    }

    /// 切换/注册用户: forget the remembered customer.
    pub fn switch_user(&mut self) {
        self.customer = None;
        self.signed_in = false;
        self.id_number.clear();
        self.id_remembered = false;
        self.notices.clear();
    }

    fn mirrored_step(&self) -> Option<Step> {
        self.flow.as_ref().map(|f| f.flow.step)
    }

    fn masked_id_number(&self) -> Option<String> {
        IdNumber::parse(self.id_type, &self.id_number, beijing_today())
            .ok()
            .map(|id| id.masked())
    }

    /// Fetch the development gateway's messages for the phone in use.
    pub async fn refresh_inbox(&mut self) {
        if !self.settings.dev_inbox || self.phone.is_empty() {
            return;
        }
        if let Ok(list) = self.api.dev_sms(&self.phone).await {
            self.inbox = list
                .messages
                .into_iter()
                .rev()
                .map(|m| InboxMessage {
                    to: m.to,
                    text: m.text,
                    sent_at: messages::beijing_time(m.sent_at),
                })
                .collect();
        }
    }

    fn phone_step(&self) -> Option<(PhoneKind, Event)> {
        match self.screen {
            Screen::ReservedPhone => Some((PhoneKind::Reserved, Event::ReservedCodeRequested)),
            Screen::ContactPhone => Some((PhoneKind::Contact, Event::ContactCodeRequested)),
            _ => None,
        }
    }

    fn password_rules(&self, password: &str, confirm: Option<&str>) -> Vec<PasswordRule> {
        let id = IdNumber::parse(self.id_type, &self.id_number, beijing_today()).ok();
        let ctx = PasswordContext {
            id_number: id.as_ref().map(|i| i.as_str()),
            birth_date: id.as_ref().and_then(|i| i.birth_date()),
            phones: if self.phone.is_empty() {
                vec![]
            } else {
                vec![self.phone.as_str()]
            },
        };
        check_password(password, confirm, &ctx)
    }

    /// The checklist: the rules every password meets, plus any other rule it breaks.
    fn rule_lines(&self) -> Vec<RuleLine> {
        const ALWAYS: [PasswordRule; 3] = [
            PasswordRule::TooShort,
            PasswordRule::TooLong,
            PasswordRule::TooFewKinds,
        ];
        let broken = self.password_broken.clone().unwrap_or_default();
        let typed = self.password_broken.is_some();
        ALWAYS
            .iter()
            .chain(broken.iter().filter(|r| !ALWAYS.contains(r)))
            .map(|rule| RuleLine {
                rule: *rule,
                ok: typed && !broken.contains(rule),
                text: messages::rule_text(*rule, self.lang).into(),
            })
            .collect()
    }

    /// Check an event against the mirrored machine before bothering the server.
    fn local_step_allows(&mut self, event: Event) -> bool {
        let Some(open) = &self.flow else {
            self.notice(None, ErrorCode::FlowNotFound, None);
            return false;
        };
        match open
            .flow
            .advance(event, OffsetDateTime::now_utc(), &self.policy)
        {
            Ok(_) => true,
            Err(ErrorCode::FlowExpired) => {
                self.end_with(Outcome::Expired);
                false
            }
            Err(code) => {
                self.notice(None, code, None);
                false
            }
        }
    }

    fn advance_local(&mut self, event: Event) {
        if let Some(open) = &mut self.flow {
            if let Ok(next) = open
                .flow
                .advance(event, OffsetDateTime::now_utc(), &self.policy)
            {
                open.flow = next;
            }
        }
    }

    /// Draw the screen of the server's step; the server is the authority.
    fn show_step(&mut self, step: Step) {
        if let Some(open) = &mut self.flow {
            open.flow.step = step;
        }
        self.screen = match step {
            Step::Identity => Screen::Identity,
            Step::ReservedPhone => Screen::ReservedPhone,
            Step::NewPassword => Screen::NewPassword,
            Step::Face => Screen::Face,
            Step::Documents => Screen::Documents,
            Step::ContactPhone => Screen::ContactPhone,
            Step::UnderReview => {
                self.outcome.get_or_insert(Outcome::UnderReview {
                    due_by: String::new(),
                    contact_phone: None,
                });
                Screen::Result
            }
            Step::Done => {
                self.outcome = Some(Outcome::Done);
                Screen::Result
            }
            Step::Rejected => {
                self.outcome
                    .get_or_insert(Outcome::Rejected { reason: None });
                Screen::Result
            }
            Step::Expired => {
                self.outcome = Some(Outcome::Expired);
                Screen::Result
            }
        };
    }

    /// A refusal from the server: under its field, or as the end of the flow.
    fn refused(&mut self, body: ErrorBody) {
        match body.code {
            code if is_gone(code) => self.end_with(Outcome::Expired),
            ErrorCode::CodeBurnt | ErrorCode::CodeExpired => {
                self.code_sent = false;
                self.notice(Some(Field::Code), body.code, None);
            }
            code => self.notice(messages::field_of(code), code, Some(&body)),
        }
    }

    fn end_with(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
        self.screen = Screen::Result;
        self.flow = None;
        self.code_sent = false;
        self.resend_at = None;
        resume::save(self.settings.resume_file.as_deref(), None);
    }

    /// A notice whose words are not the code's own (a camera reason, a source error).
    fn notice_text(&mut self, code: ErrorCode, message: String) {
        self.notices.push(Notice {
            field: None,
            code,
            message,
        });
    }

    fn notice(&mut self, field: Option<Field>, code: ErrorCode, body: Option<&ErrorBody>) {
        self.notices.push(Notice {
            field,
            code,
            message: messages::error_text(code, body, self.lang),
        });
    }

    fn remember_customer(&mut self) {
        if self.settings.kiosk {
            return;
        }
        let masked_name = CustomerName::parse(&self.name).ok().map(|n| n.masked());
        self.customer = Some(Customer {
            id_type: self.id_type,
            id_number: self.id_number.clone(),
            masked_name,
        });
    }

    /// Forget the flow and everything typed for it.
    fn wipe(&mut self) {
        self.flow = None;
        self.confirm_leave = false;
        self.id_type = IdType::IdCard;
        self.id_remembered = false;
        self.id_number.clear();
        self.name.clear();
        self.phone.clear();
        self.code_sent = false;
        self.resend_at = None;
        self.notices.clear();
        self.password_broken = None;
        self.outcome = None;
        self.inbox.clear();
        self.signed_in = false;
        self.path_b.wipe();
    }
}

fn bank_view(bank: &Bank) -> BankView {
    let data_url = |mime: &str, bytes: &[u8]| {
        format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    BankView {
        short_name: bank.short_name.clone(),
        name_en: bank.name_en.clone(),
        hotline: bank.hotline.clone(),
        wechat_account: bank.wechat_account.clone(),
        logo: data_url("image/svg+xml", BANK_LOGO),
        wechat_qr: data_url("image/png", BANK_WECHAT_QR),
    }
}

/// Today in Beijing, which bounds the birth dates in ID numbers.
fn beijing_today() -> time::Date {
    reset_flow::bank_day(OffsetDateTime::now_utc())
}
