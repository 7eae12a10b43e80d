//! A reset that survives what phones do: a restart (the open flow's id on disk, asked about
//! without holding the core), an offline start (kept for 重试), and an answer lost on the way
//! (settled by the flow's state on the server instead of a retry the server would refuse).

use std::time::{Duration, Instant};

use reset_flow::wire::{ErrorBody, FlowStatus};
use reset_flow::{ErrorCode, Flow, Step};
use time::OffsetDateTime;

use super::api::ApiClient;
use super::view::{Outcome, Screen};
use super::{messages, resume, AppCore, OpenFlow};

impl AppCore {
    /// At start: pick up a flow left open by an earlier run of the app. Offline, the flow is
    /// kept (on disk too) and the screen offers 重试; only the server saying the flow is gone
    /// forgets it.
    pub async fn resume(&mut self) {
        let Some((api, id)) = self.to_resume() else {
            return;
        };
        let answer = api.status(&id).await;
        self.resume_with(id, answer);
    }

    /// The flow to ask the server about, and the client to ask with: the app asks without
    /// holding the core, so the first screen is drawn at once.
    pub fn to_resume(&mut self) -> Option<(ApiClient, String)> {
        let id = self
            .pending_resume
            .take()
            .or_else(|| resume::load(self.settings.resume_file.as_deref()))?;
        Some((self.api.clone(), id))
    }

    /// The customer moved on before the server answered: the flow stays for 重试 or the next
    /// start, unless a new one replaced it.
    pub fn keep_for_resume(&mut self, id: String) {
        if self.flow.is_none() {
            self.pending_resume = Some(id);
        }
    }

    /// What the server said of the flow [`to_resume`](Self::to_resume) named.
    pub fn resume_with(&mut self, id: String, answer: Result<FlowStatus, ErrorBody>) {
        self.notices.clear();
        match answer {
            Ok(status) => self.resumed(id, status),
            Err(body) if is_gone(body.code) => {
                resume::save(self.settings.resume_file.as_deref(), None);
                self.screen = Screen::Login;
            }
            // Offline, busy, or an answer that is not the server's word on the flow.
            Err(body) => {
                self.pending_resume = Some(id);
                self.screen = Screen::Offline;
                self.notice(None, body.code, None);
            }
        }
    }

    /// 重试 on the offline screen.
    pub async fn retry(&mut self) {
        if self.pending_resume.is_some() {
            self.resume().await;
        } else {
            self.screen = Screen::Login;
        }
    }

    pub(crate) fn resumed(&mut self, id: String, status: FlowStatus) {
        let flow = Flow::resumed(status.step, status.path, OffsetDateTime::now_utc());
        self.flow = Some(OpenFlow { id, flow });
        // A code already sent: the app keeps to the server's countdown.
        if let Some(s) = status.resend_after_s.filter(|s| *s > 0) {
            self.code_sent = true;
            self.resend_at = Some(Instant::now() + Duration::from_secs(s));
        }
        if let Some(due) = status.due_by {
            self.outcome = Some(Outcome::UnderReview {
                due_by: messages::beijing_time(due),
                contact_phone: None,
            });
        }
        if status.step == Step::Rejected {
            self.outcome = Some(Outcome::Rejected {
                reason: status.reason,
            });
        }
        self.show_step(status.step);
    }

    /// A request sent but not answered may have been carried out: the flow's state on the
    /// server tells, so the customer is not refused a step already taken (当前步骤不允许该操作).
    pub(crate) async fn settled(&mut self, body: &ErrorBody) -> Settled {
        if !is_unanswered(body.code) || body.code == ErrorCode::Offline {
            return Settled::Unknown;
        }
        let Some(id) = self.flow.as_ref().map(|f| f.id.clone()) else {
            return Settled::Unknown;
        };
        // One try: the customer has waited out one timeout already.
        match self.api.status_once(&id).await {
            Ok(s) if s.step == Step::Expired => {
                self.end_with(Outcome::Expired);
                Settled::Gone
            }
            Ok(s) => Settled::Moved(s),
            Err(b) if is_gone(b.code) => {
                self.end_with(Outcome::Expired);
                Settled::Gone
            }
            Err(_) => Settled::Unknown,
        }
    }

    /// After a request was stopped half-way (返回 while it ran): follow the server if it had
    /// already moved on, so the next tap is not refused as a step already taken.
    pub async fn resync(&mut self) {
        let Some(open) = &self.flow else { return };
        let (id, before) = (open.id.clone(), open.flow.step);
        match self.api.status_once(&id).await {
            Ok(s) if s.step != before => self.resumed(id, s),
            Err(b) if is_gone(b.code) => self.end_with(Outcome::Expired),
            _ => {}
        }
    }
}

/// What the flow's state says of a request whose answer was lost.
pub(crate) enum Settled {
    /// The server's state now: the caller judges whether its request was done.
    Moved(FlowStatus),
    /// The flow has ended; the result screen says so.
    Gone,
    /// Nothing learnt: the request's own failure stands.
    Unknown,
}

/// The server's word that a flow is no more.
pub(crate) fn is_gone(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::FlowNotFound | ErrorCode::FlowExpired | ErrorCode::FlowReplaced
    )
}

/// Whether a failure may hide a request that reached the server (or the network is down).
pub(crate) fn is_unanswered(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Offline | ErrorCode::TimedOut | ErrorCode::ServiceUnavailable
    )
}
