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

    /// The client to ask [`ApiClient::reach`] at start with, when there is no flow to resume.
    pub fn to_reach(&self) -> ApiClient {
        self.api.clone()
    }

    /// What the start's [`ApiClient::reach`] found: an unreachable server is the offline screen
    /// (while the customer has not moved on from the login screen), a reachable one ends it.
    pub fn reached(&mut self, answer: Result<(), ErrorBody>) {
        match (answer, self.screen) {
            (Ok(()), Screen::Offline) => {
                self.notices.clear();
                self.screen = Screen::Login;
            }
            (Err(body), Screen::Login | Screen::Offline) if body.code != ErrorCode::NoServer => {
                self.notices.clear();
                self.screen = Screen::Offline;
                self.notice(None, body.code, None);
            }
            _ => {}
        }
    }

    /// 重试 on the offline screen: the open reset asked about again, or the server.
    pub async fn retry(&mut self) {
        if self.pending_resume.is_some() {
            self.resume().await;
        } else {
            let answer = self.api.reach().await;
            self.reached(answer);
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
    /// `done` says whether that state is what the request leads to: then it is returned;
    /// otherwise the flow ends if it is gone, or the request's own failure is said.
    pub(crate) async fn settle(
        &mut self,
        body: ErrorBody,
        done: impl Fn(&FlowStatus) -> bool,
    ) -> Option<FlowStatus> {
        let unanswered = matches!(
            body.code,
            ErrorCode::TimedOut | ErrorCode::ServiceUnavailable
        );
        if let Some(id) = self
            .flow
            .as_ref()
            .map(|f| f.id.clone())
            .filter(|_| unanswered)
        {
            // One try: the customer has waited out one timeout already.
            match self.api.status_once(&id).await {
                Ok(s) if s.step == Step::Expired => return self.flow_gone(),
                Ok(s) if done(&s) => return Some(s),
                Err(b) if is_gone(b.code) => return self.flow_gone(),
                _ => {}
            }
        }
        self.refused(body);
        None
    }

    fn flow_gone(&mut self) -> Option<FlowStatus> {
        self.end_with(Outcome::Expired);
        None
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

/// The server's word that a flow is no more.
pub(crate) fn is_gone(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::FlowNotFound | ErrorCode::FlowExpired | ErrorCode::FlowReplaced
    )
}
