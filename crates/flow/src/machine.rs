//! The step machine of both paths as one pure function over (flow, event, now). The server runs
//! it as the authority; the app runs the same function to know which screen comes next.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::policy::secs;
use crate::{ErrorCode, Policy};

/// Where a reset stands. The wire names are the contract's step strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 个人信息: before the server knows of the flow.
    Identity,
    /// 预留手机号: code to the reserved phone.
    ReservedPhone,
    /// 登录密码设置, on either path.
    NewPassword,
    /// 人脸识别 (path B).
    Face,
    /// 上传资料 (path B).
    Documents,
    /// 请输入联系电话 (path B).
    ContactPhone,
    /// Path B finished by the customer; staff decide within T+1.
    UnderReview,
    /// The new password is the login password.
    Done,
    /// Staff refused the path-B request.
    Rejected,
    /// Idle too long, or replaced by a newer flow of the same customer.
    Expired,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Identity,
        Step::ReservedPhone,
        Step::NewPassword,
        Step::Face,
        Step::Documents,
        Step::ContactPhone,
        Step::UnderReview,
        Step::Done,
        Step::Rejected,
        Step::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Identity => "identity",
            Step::ReservedPhone => "reserved_phone",
            Step::NewPassword => "new_password",
            Step::Face => "face",
            Step::Documents => "documents",
            Step::ContactPhone => "contact_phone",
            Step::UnderReview => "under_review",
            Step::Done => "done",
            Step::Rejected => "rejected",
            Step::Expired => "expired",
        }
    }

    /// Steps where the customer is still acting, so idle time counts against the flow.
    pub const fn is_live(self) -> bool {
        matches!(
            self,
            Step::ReservedPhone
                | Step::NewPassword
                | Step::Face
                | Step::Documents
                | Step::ContactPhone
        )
    }

    /// No event leaves these.
    pub const fn is_final(self) -> bool {
        matches!(self, Step::Done | Step::Rejected | Step::Expired)
    }
}

impl std::str::FromStr for Step {
    type Err = ErrorCode;
    fn from_str(s: &str) -> Result<Step, ErrorCode> {
        Step::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or(ErrorCode::MalformedBody)
    }
}

/// Which way the customer proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetPath {
    /// Path A: an SMS code to the reserved phone.
    ReservedPhone,
    /// Path B: face check, ID pictures, contact phone, manual review.
    PhoneUnavailable,
}

/// What happened. Each is accepted only at its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    ReservedCodeRequested,
    /// The right code for the reserved phone was entered.
    ReservedPhoneVerified,
    /// 手机号不可用?
    PhoneUnavailable,
    FacePassed,
    /// ID front, ID back and the handheld photo accepted.
    DocumentsAccepted,
    ContactCodeRequested,
    ContactPhoneVerified,
    /// A password meeting the rule was submitted.
    PasswordSet,
    ReviewApproved,
    ReviewRejected,
    /// The flow ends early: a newer flow replaced it, or the customer (or a kiosk) cancelled.
    Withdrawn,
}

/// One reset flow's state. What was proven is kept alongside the step so the end states can be
/// checked against it, not only against the step order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub step: Step,
    pub path: ResetPath,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_activity: OffsetDateTime,
    pub reserved_phone_verified: bool,
    pub face_passed: bool,
    pub documents_accepted: bool,
    pub contact_phone_verified: bool,
}

impl Flow {
    /// A flow the server has just opened from a valid 个人信息: next is the reserved phone.
    pub fn start(now: OffsetDateTime) -> Flow {
        Flow {
            step: Step::ReservedPhone,
            path: ResetPath::ReservedPhone,
            started_at: now,
            last_activity: now,
            reserved_phone_verified: false,
            face_passed: false,
            documents_accepted: false,
            contact_phone_verified: false,
        }
    }

    /// The flow as a restarted app picks it up: the server says where it stands (`step` on
    /// `path`), and whatever that step needs to have been done was done.
    pub fn resumed(step: Step, path: ResetPath, now: OffsetDateTime) -> Flow {
        use Step as S;
        let path_b = path == ResetPath::PhoneUnavailable;
        let past = |steps: &[Step]| steps.contains(&step);
        let after_contact = [S::NewPassword, S::UnderReview, S::Done, S::Rejected];
        Flow {
            step,
            path,
            reserved_phone_verified: !path_b && past(&[S::NewPassword, S::Done]),
            face_passed: path_b && (past(&[S::Documents, S::ContactPhone]) || past(&after_contact)),
            documents_accepted: path_b && (past(&[S::ContactPhone]) || past(&after_contact)),
            contact_phone_verified: path_b && past(&after_contact),
            ..Flow::start(now)
        }
    }

    /// How long this flow may sit idle.
    pub fn idle_limit(&self, policy: &Policy) -> Duration {
        secs(match self.path {
            ResetPath::ReservedPhone => policy.flow_idle_s,
            ResetPath::PhoneUnavailable => policy.flow_idle_phone_unavailable_s,
        })
    }

    /// When the flow expires if nothing happens, for live steps.
    pub fn expires_at(&self, policy: &Policy) -> Option<OffsetDateTime> {
        self.step
            .is_live()
            .then(|| self.last_activity + self.idle_limit(policy))
    }

    /// Whether the flow has sat idle past its limit at `now` (it expires at that instant).
    pub fn is_idle_expired(&self, now: OffsetDateTime, policy: &Policy) -> bool {
        self.expires_at(policy).is_some_and(|at| now >= at)
    }

    /// The same flow marked expired; the server stores this when `advance` says `flow_expired`.
    pub fn expired(&self) -> Flow {
        Flow {
            step: Step::Expired,
            ..self.clone()
        }
    }

    /// Apply `event` at `now`: the next flow, or why the event is refused. Refusals change
    /// nothing; an idle flow is refused with `flow_expired` whatever the event.
    pub fn advance(
        &self,
        event: Event,
        now: OffsetDateTime,
        policy: &Policy,
    ) -> Result<Flow, ErrorCode> {
        if self.step == Step::Expired || self.is_idle_expired(now, policy) {
            return Err(ErrorCode::FlowExpired);
        }
        let mut next = self.clone();
        next.last_activity = now.max(self.last_activity);
        use {Event as E, Step as S};
        match (self.step, event) {
            (S::ReservedPhone, E::ReservedCodeRequested) => {}
            (S::ReservedPhone, E::ReservedPhoneVerified) => {
                next.reserved_phone_verified = true;
                next.step = S::NewPassword;
            }
            (S::ReservedPhone, E::PhoneUnavailable) => {
                next.path = ResetPath::PhoneUnavailable;
                next.step = S::Face;
            }
            (S::Face, E::FacePassed) => {
                next.face_passed = true;
                next.step = S::Documents;
            }
            (S::Documents, E::DocumentsAccepted) => {
                next.documents_accepted = true;
                next.step = S::ContactPhone;
            }
            (S::ContactPhone, E::ContactCodeRequested) => {}
            (S::ContactPhone, E::ContactPhoneVerified) => {
                next.contact_phone_verified = true;
                next.step = S::NewPassword;
            }
            (S::NewPassword, E::PasswordSet) => {
                next.step = match self.path {
                    ResetPath::ReservedPhone if self.reserved_phone_verified => S::Done,
                    ResetPath::PhoneUnavailable
                        if self.face_passed
                            && self.documents_accepted
                            && self.contact_phone_verified =>
                    {
                        S::UnderReview
                    }
                    // Unreachable through `advance`; refused in case a stored row was tampered with.
                    _ => return Err(ErrorCode::WrongStep),
                };
            }
            (S::UnderReview, E::ReviewApproved) => next.step = S::Done,
            (S::UnderReview, E::ReviewRejected) => next.step = S::Rejected,
            (step, E::Withdrawn) if step.is_live() => next.step = S::Expired,
            _ => return Err(ErrorCode::WrongStep),
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-27 09:00 +8);

    fn run(events: &[Event]) -> Result<Flow, ErrorCode> {
        let p = Policy::default();
        events.iter().try_fold(Flow::start(T0), |f, e| {
            f.advance(*e, T0 + Duration::seconds(10), &p)
        })
    }

    #[test]
    fn a_resumed_flow_takes_the_next_step_of_where_it_stands() {
        use Event::*;
        let p = Policy::default();
        let next = T0 + Duration::seconds(10);
        let cases = [
            (
                Step::ReservedPhone,
                ResetPath::ReservedPhone,
                ReservedPhoneVerified,
                Step::NewPassword,
            ),
            (
                Step::NewPassword,
                ResetPath::ReservedPhone,
                PasswordSet,
                Step::Done,
            ),
            (
                Step::Face,
                ResetPath::PhoneUnavailable,
                FacePassed,
                Step::Documents,
            ),
            (
                Step::Documents,
                ResetPath::PhoneUnavailable,
                DocumentsAccepted,
                Step::ContactPhone,
            ),
            (
                Step::ContactPhone,
                ResetPath::PhoneUnavailable,
                ContactPhoneVerified,
                Step::NewPassword,
            ),
            (
                Step::NewPassword,
                ResetPath::PhoneUnavailable,
                PasswordSet,
                Step::UnderReview,
            ),
            (
                Step::UnderReview,
                ResetPath::PhoneUnavailable,
                ReviewApproved,
                Step::Done,
            ),
        ];
        for (step, path, event, then) in cases {
            let flow = Flow::resumed(step, path, T0);
            assert_eq!(
                flow.advance(event, next, &p).map(|f| f.step),
                Ok(then),
                "{step:?}"
            );
        }
        // Resuming proves nothing that the step does not imply.
        let early = Flow::resumed(Step::ReservedPhone, ResetPath::ReservedPhone, T0);
        assert!(!early.reserved_phone_verified);
        let b = Flow::resumed(Step::Documents, ResetPath::PhoneUnavailable, T0);
        assert!(b.face_passed && !b.documents_accepted && !b.contact_phone_verified);
    }

    #[test]
    fn path_a_reaches_done() {
        use Event::*;
        let f = run(&[ReservedCodeRequested, ReservedPhoneVerified, PasswordSet]).unwrap();
        assert_eq!(f.step, Step::Done);
        assert!(f.reserved_phone_verified);
    }

    #[test]
    fn path_b_reaches_review_then_either_end() {
        use Event::*;
        let b = [
            PhoneUnavailable,
            FacePassed,
            DocumentsAccepted,
            ContactCodeRequested,
            ContactPhoneVerified,
            PasswordSet,
        ];
        let f = run(&b).unwrap();
        assert_eq!(
            (f.step, f.path),
            (Step::UnderReview, ResetPath::PhoneUnavailable)
        );
        let p = Policy::default();
        let much_later = T0 + Duration::days(2);
        assert_eq!(
            f.advance(ReviewApproved, much_later, &p).unwrap().step,
            Step::Done
        );
        assert_eq!(
            f.advance(ReviewRejected, much_later, &p).unwrap().step,
            Step::Rejected
        );
    }

    #[test]
    fn out_of_order_is_wrong_step() {
        use Event::*;
        assert_eq!(run(&[PasswordSet]), Err(ErrorCode::WrongStep));
        assert_eq!(run(&[FacePassed]), Err(ErrorCode::WrongStep));
        assert_eq!(
            run(&[ReservedPhoneVerified, ReservedPhoneVerified]),
            Err(ErrorCode::WrongStep)
        );
        assert_eq!(
            run(&[PhoneUnavailable, ReservedPhoneVerified]),
            Err(ErrorCode::WrongStep)
        );
        assert_eq!(
            run(&[ReservedPhoneVerified, PhoneUnavailable]),
            Err(ErrorCode::WrongStep)
        );
        assert_eq!(
            run(&[ReservedPhoneVerified, PasswordSet, ReviewApproved]),
            Err(ErrorCode::WrongStep)
        );
        assert_eq!(
            run(&[ReservedPhoneVerified, PasswordSet, Withdrawn]),
            Err(ErrorCode::WrongStep)
        );
    }

    #[test]
    fn idle_expiry_per_path_with_injected_time() {
        let p = Policy::default();
        let f = Flow::start(T0);
        assert_eq!(f.expires_at(&p), Some(T0 + Duration::minutes(15)));
        let just_before = T0 + Duration::minutes(15) - Duration::seconds(1);
        let f2 = f
            .advance(Event::ReservedCodeRequested, just_before, &p)
            .unwrap();
        assert_eq!(
            f2.expires_at(&p),
            Some(just_before + Duration::minutes(15)),
            "activity extends"
        );
        assert_eq!(
            f.advance(Event::ReservedPhoneVerified, T0 + Duration::minutes(15), &p),
            Err(ErrorCode::FlowExpired)
        );
        let b = f.advance(Event::PhoneUnavailable, T0, &p).unwrap();
        assert!(b
            .advance(Event::FacePassed, T0 + Duration::minutes(59), &p)
            .is_ok());
        assert_eq!(
            b.advance(Event::FacePassed, T0 + Duration::minutes(60), &p),
            Err(ErrorCode::FlowExpired)
        );
    }

    #[test]
    fn review_and_final_steps_do_not_idle_out_and_expired_is_final() {
        let p = Policy::default();
        let expired = Flow::start(T0).expired();
        for e in [
            Event::ReservedPhoneVerified,
            Event::Withdrawn,
            Event::ReviewApproved,
        ] {
            assert_eq!(expired.advance(e, T0, &p), Err(ErrorCode::FlowExpired));
        }
        let withdrawn = Flow::start(T0).advance(Event::Withdrawn, T0, &p).unwrap();
        assert_eq!(withdrawn.step, Step::Expired);
        assert_eq!(Flow::start(T0).expired().expires_at(&p), None);
    }

    #[test]
    fn clock_going_backwards_does_not_rewind_activity() {
        let p = Policy::default();
        let f = Flow::start(T0)
            .advance(Event::ReservedCodeRequested, T0 - Duration::hours(1), &p)
            .unwrap();
        assert_eq!(f.last_activity, T0);
    }

    #[test]
    fn step_strings_match_the_contract() {
        for s in Step::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(s.as_str().parse::<Step>(), Ok(s));
        }
    }
}
