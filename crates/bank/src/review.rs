//! Review cases of path B as the staff side sees them: the queue, a case with its evidence, the
//! decrypted pictures, and the decision (approve or reject) that ends the customer's flow.

use reset_flow::{
    bank_day, CustomerName, ErrorCode, Event, IdNumber, IdType, MobileNumber, BEIJING,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::customer_login::after_reset;
use crate::error::BankResult;
use crate::evidence::WrappedKey;
use crate::open_flow::{retry_on_race, Try};
use crate::phone_unavailable::{owner_phone, tell_owner, CaseNews};
use crate::services::Services;
use crate::sms::{outbox, review_approved_text, review_rejected_text};
use crate::store::audit::{self, TrailLine};
use crate::store::cases::{self, CaseRecord};
use crate::store::{customers, flows, from_ms, ms};

/// Longest rejection reason, in characters: it goes to the customer in one SMS.
pub const REASON_MAX_CHARS: usize = 120;

/// Where a case stands. Cases still being collected (the customer has not set the new password
/// yet) are not shown to staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    Pending,
    Approved,
    Rejected,
}

impl CaseState {
    pub const fn as_str(self) -> &'static str {
        match self {
            CaseState::Pending => "pending",
            CaseState::Approved => "approved",
            CaseState::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for CaseState {
    type Err = ErrorCode;
    fn from_str(s: &str) -> Result<CaseState, ErrorCode> {
        match s {
            "pending" => Ok(CaseState::Pending),
            "approved" => Ok(CaseState::Approved),
            "rejected" => Ok(CaseState::Rejected),
            _ => Err(ErrorCode::MalformedBody),
        }
    }
}

/// The staff member acting, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffActor {
    pub staff_id: i64,
    pub username: String,
}

/// A line of the queue: masked, so a list on a screen shows no full ID or name.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    pub case_id: String,
    pub state: CaseState,
    pub created_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    pub id_type: IdType,
    pub masked_id_number: String,
    pub masked_name: String,
    pub decided_at: Option<OffsetDateTime>,
}

/// The kinds of picture a case holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceKind {
    /// A frame of the face check.
    Face,
    /// 身份证正面
    IdFront,
    /// 身份证反面
    IdBack,
    /// 手持身份证照
    Handheld,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 4] = [
        EvidenceKind::Face,
        EvidenceKind::IdFront,
        EvidenceKind::IdBack,
        EvidenceKind::Handheld,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Face => "face",
            EvidenceKind::IdFront => "id_front",
            EvidenceKind::IdBack => "id_back",
            EvidenceKind::Handheld => "handheld",
        }
    }
}

impl std::str::FromStr for EvidenceKind {
    type Err = ErrorCode;
    fn from_str(s: &str) -> Result<EvidenceKind, ErrorCode> {
        EvidenceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(ErrorCode::MalformedBody)
    }
}

/// One stored picture of a case: its kind and its number among pictures of that kind (face
/// frames count from 0; the ID pictures are 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EvidenceRef {
    pub kind: EvidenceKind,
    pub seq: u32,
}

/// What the server read from the ID front (`evidence::id_reading`), once it has: a field it
/// could not read, or a match it cannot judge, is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrFinding {
    pub id_number: Option<String>,
    pub name: Option<String>,
    pub number_matches: Option<bool>,
    pub name_matches: Option<bool>,
}

/// A case in full, for the reviewer deciding it. Holds personal data: never log it.
#[derive(Clone, PartialEq)]
pub struct CaseDetail {
    pub case_id: String,
    pub state: CaseState,
    pub created_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    pub id_type: IdType,
    pub masked_id_number: String,
    pub masked_name: String,
    pub decided_at: Option<OffsetDateTime>,
    /// As the customer typed it (canonical form).
    pub id_number: String,
    pub name: String,
    pub masked_contact_phone: String,
    pub evidence: Vec<EvidenceRef>,
    pub ocr: Option<OcrFinding>,
    /// The username of the staff member who decided.
    pub decided_by: Option<String>,
    /// The rejection reason.
    pub reason: Option<String>,
    /// The pictures were deleted after the retention time.
    pub purged: bool,
    /// The ID and name typed match a customer on file. A case that does not cannot be approved
    /// (there is no login password to set); it exists so that no answer on path B tells an
    /// outsider whether an ID belongs to a customer.
    pub on_file: bool,
    /// Earlier cases of the same ID, newest first: rejected, withdrawn or abandoned requests
    /// tell the reviewer more than this one's pictures alone.
    pub history: Vec<PastCase>,
}

/// An earlier case of the same ID, as the reviewer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastCase {
    pub case_id: String,
    /// `approved`, `rejected`, `pending`, `abandoned`, or `collecting` (opened, never submitted).
    pub state: String,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<String>,
    /// Why it was rejected (or withdrawn).
    pub reason: Option<String>,
}

/// Earlier cases a case page lists at the most.
const HISTORY_MAX: i64 = 20;

/// Personal data inside: only the case id and state are printed.
impl std::fmt::Debug for CaseDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaseDetail({}, {:?})", self.case_id, self.state)
    }
}

/// What a reviewer decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    /// The reason goes to the customer by SMS; it must not be blank.
    Reject {
        reason: String,
    },
}

/// The states staff see; `collecting` and `abandoned` cases are the customer's business.
fn visible(case: &CaseRecord) -> Option<CaseState> {
    case.state.parse().ok()
}

fn mask_id_number(id_type: IdType, number: &str, now: OffsetDateTime) -> String {
    IdNumber::parse(id_type, number, bank_day(now))
        .map_or_else(|_| "*".repeat(number.chars().count()), |n| n.masked())
}

fn summary(case: &CaseRecord, state: CaseState, now: OffsetDateTime) -> BankResult<CaseSummary> {
    let id_type: IdType = case.id_type.parse()?;
    Ok(CaseSummary {
        case_id: case.id.clone(),
        state,
        created_at: from_ms(case.submitted_at.unwrap_or(case.created_at)).to_offset(BEIJING),
        due_at: from_ms(case.due_at.unwrap_or(case.created_at)).to_offset(BEIJING),
        id_type,
        masked_id_number: mask_id_number(id_type, &case.id_number, now),
        masked_name: CustomerName::parse(&case.name).map_or_else(|_| "*".into(), |n| n.masked()),
        decided_at: case.decided_at.map(|d| from_ms(d).to_offset(BEIJING)),
    })
}

/// A case staff may see, or `case_not_found`.
async fn load_visible(state: &Services, case_id: &str) -> BankResult<(CaseRecord, CaseState)> {
    if case_id.len() != 32
        || !case_id
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(ErrorCode::CaseNotFound.into());
    }
    let case = cases::by_id(&state.db, case_id)
        .await?
        .ok_or(ErrorCode::CaseNotFound)?;
    let st = visible(&case).ok_or(ErrorCode::CaseNotFound)?;
    Ok((case, st))
}

/// Whether `case_id` was decided already (approved or rejected): such cases are for
/// supervisors. Asked before the case is read, so a refused look leaves no view in the trail.
pub async fn is_decided(state: &Services, case_id: &str) -> BankResult<bool> {
    let stored = cases::state_of(&state.db, case_id).await?;
    Ok(matches!(
        stored.as_deref().map(str::parse::<CaseState>),
        Some(Ok(CaseState::Approved | CaseState::Rejected))
    ))
}

/// A case's audit trail for supervisors: every event of its flow, oldest first, with the
/// staff member named where one acted. Only event names and safe details are stored.
pub async fn trail(state: &Services, case_id: &str) -> BankResult<Vec<TrailLine>> {
    Ok(audit::of_case(&state.db, case_id).await?)
}

/// Cases in `filter` state, a page at a time, and how many there are in all. Pending cases come
/// most urgent first (due time, then age); decided ones newest decision first.
pub async fn queue(
    state: &Services,
    filter: CaseState,
    limit: u32,
    offset: u32,
) -> BankResult<(Vec<CaseSummary>, u64)> {
    let order = match filter {
        CaseState::Pending => "due_at, submitted_at, id",
        CaseState::Approved | CaseState::Rejected => "decided_at DESC, id",
    };
    let page = cases::page(
        &state.db,
        filter.as_str(),
        order,
        i64::from(limit),
        i64::from(offset),
    )
    .await?;
    let total = cases::count_in_state(&state.db, filter.as_str()).await?;
    let now = state.clock.now();
    let out = page
        .iter()
        .map(|case| summary(case, filter, now))
        .collect::<BankResult<Vec<_>>>()?;
    Ok((out, total.max(0) as u64))
}

/// One case in full; the view is audited.
pub async fn case_detail(
    state: &Services,
    actor: &StaffActor,
    case_id: &str,
) -> BankResult<CaseDetail> {
    let (case, st) = load_visible(state, case_id).await?;
    let now = state.clock.now();
    let s = summary(&case, st, now)?;
    let evidence = cases::evidence_of(&state.db, &case.id)
        .await?
        .iter()
        .filter_map(|row| {
            Some(EvidenceRef {
                kind: row.kind.parse().ok()?,
                seq: u32::try_from(row.seq).ok()?,
            })
        })
        .collect();
    let ocr = case.ocr_read_at.is_some().then(|| OcrFinding {
        id_number: case.ocr_id_number.clone(),
        name: case.ocr_name.clone(),
        number_matches: case.ocr_number_matches.map(|v| v != 0),
        name_matches: case.ocr_name_matches.map(|v| v != 0),
    });
    let masked_contact_phone = case
        .contact_phone
        .as_deref()
        .and_then(|p| MobileNumber::parse(p).ok())
        .map_or_else(String::new, |p| p.masked());
    let history = cases::history(&state.db, &case.id_key, &case.id, HISTORY_MAX)
        .await?
        .into_iter()
        .map(|c| PastCase {
            case_id: c.id,
            state: c.state,
            created_at: from_ms(c.created_at),
            decided_at: c.decided_at.map(from_ms),
            decided_by: c.decided_by,
            reason: c.reason,
        })
        .collect();
    let mut conn = state.db.writer.acquire().await?;
    audit::record(
        &mut conn,
        ms(now),
        Some(&case.flow_id),
        case.customer_id,
        "case_viewed",
        json!({ "case": case.id, "staff": actor.username }),
    )
    .await?;
    Ok(CaseDetail {
        case_id: s.case_id,
        state: s.state,
        created_at: s.created_at,
        due_at: s.due_at,
        id_type: s.id_type,
        masked_id_number: s.masked_id_number,
        masked_name: s.masked_name,
        decided_at: s.decided_at,
        id_number: case.id_number.clone(),
        name: case.name.clone(),
        masked_contact_phone,
        evidence,
        ocr,
        decided_by: case.decided_by.clone(),
        reason: case.reason.clone(),
        purged: case.purged_at.is_some(),
        on_file: case.customer_id.is_some(),
        history,
    })
}

/// One picture of a case, decrypted: JPEG bytes. Audited. `case_not_found` also for a picture
/// the case does not have, or after the pictures were purged.
pub async fn evidence_picture(
    state: &Services,
    actor: &StaffActor,
    case_id: &str,
    kind: EvidenceKind,
    seq: u32,
) -> BankResult<Vec<u8>> {
    let (case, _) = load_visible(state, case_id).await?;
    let row = cases::evidence_of(&state.db, &case.id)
        .await?
        .into_iter()
        .find(|r| r.kind == kind.as_str() && r.seq == i64::from(seq))
        .ok_or(ErrorCode::CaseNotFound)?;
    let jpeg = open_picture(state, &case, &row.object_id).await?;
    let mut conn = state.db.writer.acquire().await?;
    audit::record(
        &mut conn,
        ms(state.clock.now()),
        Some(&case.flow_id),
        case.customer_id,
        "evidence_viewed",
        json!({ "case": case.id, "staff": actor.username, "kind": kind.as_str(), "seq": seq }),
    )
    .await?;
    Ok(jpeg)
}

/// A stored picture of `case`, fetched and decrypted.
async fn open_picture(state: &Services, case: &CaseRecord, object_id: &str) -> BankResult<Vec<u8>> {
    let wrapped = WrappedKey {
        key_id: case.key_id.clone(),
        wrapped: case.wrapped_key.clone().ok_or(ErrorCode::CaseNotFound)?,
    };
    let sealed = state.evidence.store.get(object_id).await.map_err(|e| {
        tracing::error!(error = %e, "evidence store could not give a picture");
        ErrorCode::ServiceUnavailable
    })?;
    let key = state
        .evidence
        .vault
        .unwrap(&case.id, &wrapped)
        .map_err(|e| {
            tracing::error!(error = %e, "case data key does not open");
            ErrorCode::Internal
        })?;
    key.open(&case.id, object_id, &sealed).map_err(|e| {
        tracing::error!(error = %e, "stored picture does not open");
        ErrorCode::Internal.into()
    })
}

/// The pictures approval rests on: the ID front, back, the handheld photo and the face frames,
/// each fetched and opened. A reviewer must not approve what the console could not show
/// (pictures on another instance's disk, purged, or damaged): `evidence_unavailable`.
async fn pictures_shown(state: &Services, case: &CaseRecord) -> BankResult<()> {
    let rows = cases::evidence_of(&state.db, &case.id).await?;
    let has = |kind: EvidenceKind| rows.iter().any(|r| r.kind == kind.as_str());
    let complete = [
        EvidenceKind::IdFront,
        EvidenceKind::IdBack,
        EvidenceKind::Handheld,
        EvidenceKind::Face,
    ]
    .into_iter()
    .all(has);
    if !complete || case.wrapped_key.is_none() {
        return Err(ErrorCode::EvidenceUnavailable.into());
    }
    for row in &rows {
        open_picture(state, case, &row.object_id)
            .await
            .map_err(|_| ErrorCode::EvidenceUnavailable)?;
    }
    Ok(())
}

/// Approves or rejects a pending case. Of two reviewers deciding at once exactly one lands; the
/// other gets `case_already_decided`. `case_not_found`, `reason_required` otherwise; approving a
/// case whose ID and name match no customer is `forbidden`.
///
/// Approval, in one transaction: the pending hash becomes the login password, the login lock
/// is lifted, sessions are revoked, the flow is done, and the contact phone and the reserved
/// phone (the owner, who may not be the requester) each get an SMS.
/// Rejection: the flow is rejected and the contact phone gets an SMS with the reason.
pub async fn decide(
    state: &Services,
    actor: &StaffActor,
    case_id: &str,
    decision: Decision,
) -> BankResult<()> {
    let reason = match &decision {
        Decision::Approve => None,
        Decision::Reject { reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(ErrorCode::ReasonRequired.into());
            }
            if reason.chars().count() > REASON_MAX_CHARS {
                return Err(ErrorCode::MalformedBody.into());
            }
            Some(reason.to_owned())
        }
    };
    let (case, st) = load_visible(state, case_id).await?;
    if st != CaseState::Pending {
        return Err(ErrorCode::CaseAlreadyDecided.into());
    }
    if reason.is_none() && case.customer_id.is_none() {
        return Err(ErrorCode::Forbidden.into());
    }
    if reason.is_none() {
        pictures_shown(state, &case).await?;
    }
    let (new_state, event, audit_event) = match reason {
        None => (CaseState::Approved, Event::ReviewApproved, "case_approved"),
        Some(_) => (CaseState::Rejected, Event::ReviewRejected, "case_rejected"),
    };
    let owner = match reason {
        None => owner_phone(state, case.customer_id).await?,
        Some(_) => None,
    };
    let bank = &state.settings.bank;
    let text = match &reason {
        None => review_approved_text(bank),
        Some(r) => review_rejected_text(bank, r),
    };
    // Borrowed, so each try reads the same case and words.
    let (case, owner, reason, text) = (&case, &owner, &reason, &text);
    retry_on_race(|| async move {
        let rec = flows::load(&state.db, &case.flow_id)
            .await?
            .ok_or(ErrorCode::CaseNotFound)?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let mut updated = rec.clone();
        updated.flow = rec
            .flow
            .advance(event, now, &state.settings.policy)
            .map_err(|_| ErrorCode::CaseAlreadyDecided)?;
        let mut tx = state.db.writer.begin().await?;
        // The conditional update comes first: it decides which of racing reviewers lands.
        let Some(pending_hash) = cases::decide(
            &mut tx,
            &case.id,
            new_state.as_str(),
            actor.staff_id,
            &actor.username,
            reason.as_deref(),
            now_ms,
        )
        .await?
        else {
            tx.rollback().await?;
            return Err(ErrorCode::CaseAlreadyDecided.into());
        };
        if !flows::save(&mut tx, &updated, now_ms).await? {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        if new_state == CaseState::Approved {
            let (Some(customer_id), Some(hash)) = (case.customer_id, pending_hash) else {
                tx.rollback().await?;
                return Err(ErrorCode::Forbidden.into());
            };
            customers::set_password_hash(&mut tx, customer_id, &hash).await?;
            after_reset(&mut tx, &case.id_key, customer_id).await?;
            tell_owner(state, &mut tx, owner.as_deref(), CaseNews::Approved, now_ms).await?;
        }
        cases::clear_pending_hash(&mut tx, &case.id).await?;
        if let Some(phone) = &case.contact_phone {
            outbox::enqueue(&mut tx, phone, text, audit_event, now_ms).await?;
        }
        audit::record(
            &mut tx,
            now_ms,
            Some(&case.flow_id),
            case.customer_id,
            audit_event,
            json!({ "case": case.id, "staff": actor.username }),
        )
        .await?;
        tx.commit().await?;
        state.outbox.notify();
        if new_state == CaseState::Approved {
            state.metrics.resets_completed.inc();
        }
        tracing::info!(case = %&case.id[..8], decision = new_state.as_str(), "review case decided");
        Ok(Try::Done(()))
    })
    .await
}
