//! Path B of the reset (reserved phone unusable) as a service over the store: 手机号不可用?
//! opens a review case, then the face check, the ID pictures, a contact phone proven by an SMS
//! code, and a new password kept only as a pending hash until staff decide. Every step change
//! goes through the flow crate's step machine and a compare-and-set, as on path A.

pub mod contact;
pub mod uploads;

use reset_flow::wire::{PasswordRequest, PasswordResponse, StepResponse};
use reset_flow::{bank_day, review_due_by, ErrorCode, Event, IdNumber, IdType, Step, BEIJING};
use serde_json::json;
use time::OffsetDateTime;

use crate::error::BankResult;
use crate::new_password::judged_and_hashed;
use crate::open_flow::{open, retry_on_race, short, step, Try};
use crate::rng::random_bytes;
use crate::services::Services;
use crate::sms::{
    case_approved_owner_text, case_submitted_owner_text, outbox, review_rejected_text,
};
use crate::store::allowances::take_id_slot;
use crate::store::audit;
use crate::store::cases::{self, CaseRecord, NewCase};
use crate::store::{customers, flows, from_ms, ms};

/// A case id: 128 random bits as 32 lowercase hex digits, unrelated to the flow id (which is the
/// customer's secret and never shown to staff).
pub const CASE_ID_LEN: usize = 32;

/// The case being collected for a path-B flow; `wrong_step` when there is none.
pub(crate) async fn collecting_case(state: &Services, flow_id: &str) -> BankResult<CaseRecord> {
    cases::by_flow(&state.db, flow_id)
        .await?
        .filter(|c| c.state == "collecting")
        .ok_or_else(|| ErrorCode::WrongStep.into())
}

/// `POST /v1/resets/{id}/phone-unavailable`: path B starts and its case is opened, unless the
/// ID already has a case waiting for review (`case_pending`).
pub async fn phone_unavailable(state: &Services, id: &str) -> BankResult<StepResponse> {
    retry_on_race(|| async move {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, Event::PhoneUnavailable, now).await?;
        let id_key = cases::flow_id_key(&state.db, id)
            .await?
            .ok_or(ErrorCode::FlowNotFound)?;
        if cases::has_pending(&state.db, &id_key).await? {
            return Err(ErrorCode::CasePending.into());
        }
        let policy = &state.settings.policy;
        // Flows opened before path B existed have no typed identity: they start again.
        let who = cases::identity(&state.db, id)
            .await?
            .ok_or(ErrorCode::FlowNotFound)?;
        let case_id = hex::encode(random_bytes(&state.rng, CASE_ID_LEN / 2));
        let (_, wrapped) = state
            .evidence
            .vault
            .new_data_key(&case_id, &state.rng)
            .map_err(|_| ErrorCode::Internal)?;
        let mut updated = rec.clone();
        updated.flow = next;
        // A reserved-phone code must not count as the contact phone's.
        updated.code_hash = None;
        updated.code_expires_at = None;
        updated.code_wrong = 0;
        let mut tx = state.db.writer.begin().await?;
        // Customer or stranger alike: a new case every few minutes would bury the owner in SMS
        // and the reviewers in cases.
        // Keyed by ID and name: a stranger with only the ID number cannot use the owner's up.
        let slot_key = rec.bound_key().unwrap_or(&id_key).to_owned();
        if !take_id_slot(
            &mut tx,
            &slot_key,
            "case",
            now,
            policy.cases_per_id_per_30_days,
        )
        .await?
        {
            tx.rollback().await?;
            return Err(ErrorCode::TooMany.into());
        }
        if !flows::save(&mut tx, &updated, now_ms).await? {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        cases::insert(
            &mut tx,
            &NewCase {
                id: &case_id,
                flow_id: id,
                id_key: &id_key,
                customer_id: rec.customer_id,
                who: &who,
                key_id: &wrapped.key_id,
                wrapped_key: &wrapped.wrapped,
            },
            now_ms,
        )
        .await?;
        audit::record(
            &mut tx,
            now_ms,
            Some(id),
            rec.customer_id,
            "phone_unavailable",
            json!({ "case": case_id }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(flow = %short(id), "path B started");
        Ok(Try::Done(StepResponse {
            step: updated.flow.step,
        }))
    })
    .await
}

/// `POST /v1/resets/{id}/password` on path B: the rules as on path A, then only the argon2id
/// hash is kept in the case, which goes to review. The login password does not change here.
pub async fn set_password(
    state: &Services,
    id: &str,
    req: PasswordRequest,
) -> BankResult<PasswordResponse> {
    // Borrowed, so each try reads the same request.
    let req = &req;
    retry_on_race(|| async move {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, Event::PasswordSet, now).await?;
        let case = collecting_case(state, id).await?;
        let id_type: IdType = case.id_type.parse()?;
        let id_number = IdNumber::parse(id_type, &case.id_number, bank_day(now))?;
        // Only what the requester typed: the reserved phone on file must not be testable
        // through the rule's answer (`contains_phone` would confirm a guessed number).
        let hash = judged_and_hashed(
            state,
            req.password.expose(),
            &id_number,
            case.contact_phone.iter().map(String::as_str).collect(),
        )
        .await?;
        let due = review_due_by(now);
        let owner = owner_phone(state, rec.customer_id).await?;
        let mut updated = rec.clone();
        updated.flow = next;
        let mut tx = state.db.writer.begin().await?;
        if !flows::save(&mut tx, &updated, now_ms).await? {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        match cases::submit(&mut tx, &case.id, &hash, ms(due), now_ms).await {
            Ok(true) => {}
            Ok(false) => {
                tx.rollback().await?;
                return Err(ErrorCode::WrongStep.into());
            }
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                return Err(ErrorCode::CasePending.into());
            }
            Err(e) => return Err(e.into()),
        }
        tell_owner(
            state,
            &mut tx,
            owner.as_deref(),
            CaseNews::Submitted,
            now_ms,
        )
        .await?;
        audit::record(
            &mut tx,
            now_ms,
            Some(id),
            rec.customer_id,
            "case_submitted",
            json!({ "case": case.id, "due_at": ms(due) }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(flow = %short(id), case = %short(&case.id), "path B case submitted for review");
        Ok(Try::Done(PasswordResponse {
            step: updated.flow.step,
            due_by: Some(due),
        }))
    })
    .await
}

/// The reason a pending case gets when the customer resets the password on path A meanwhile.
pub const WITHDRAWN_REASON: &str = "您已通过预留手机号重置登录密码，本申请自动撤销";

/// Inside path A's final transaction: rejects the ID's pending case (if any) with
/// [`WITHDRAWN_REASON`], moves its flow to `rejected` and tells its contact phone.
pub(crate) async fn withdraw_pending(
    state: &Services,
    tx: &mut sqlx::AnyConnection,
    id_key: &str,
    now: OffsetDateTime,
) -> BankResult<()> {
    let now_ms = ms(now);
    let Some(case) = cases::withdraw_pending(tx, id_key, WITHDRAWN_REASON, now_ms).await? else {
        return Ok(());
    };
    // Read on the transaction's own connection: a second one could wait on a pool that racing
    // transactions hold.
    if let Some(rec) = flows::load_on(tx, &case.flow_id).await? {
        if let Ok(next) = rec
            .flow
            .advance(Event::ReviewRejected, now, &state.settings.policy)
        {
            let mut updated = rec.clone();
            updated.flow = next;
            // The case is rejected only with its flow: if the flow moved meanwhile, the whole
            // reset is tried again.
            if !flows::save(tx, &updated, now_ms).await? {
                return Err(ErrorCode::TooMany.into());
            }
        }
    }
    if let Some(phone) = &case.contact_phone {
        let text = review_rejected_text(&state.settings.bank, WITHDRAWN_REASON);
        outbox::enqueue(tx, phone, &text, "case_withdrawn", now_ms).await?;
    }
    audit::record(
        tx,
        now_ms,
        Some(&case.flow_id),
        case.customer_id,
        "case_withdrawn",
        json!({ "case": case.id }),
    )
    .await?;
    Ok(())
}

/// For `GET /v1/resets/{id}` on path B: when a case under review is due, and why a rejected
/// one was rejected.
pub async fn review_news(
    state: &Services,
    flow_id: &str,
    step: Step,
) -> BankResult<(Option<OffsetDateTime>, Option<String>)> {
    if !matches!(step, Step::UnderReview | Step::Rejected) {
        return Ok((None, None));
    }
    let Some(case) = cases::by_flow(&state.db, flow_id).await? else {
        return Ok((None, None));
    };
    Ok(match step {
        Step::UnderReview => (case.due_at.map(|d| from_ms(d).to_offset(BEIJING)), None),
        _ => (None, case.reason),
    })
}

/// What the owner of the ID hears about a phone-unavailable case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseNews {
    Submitted,
    Approved,
}

/// The reserved phone of the case's customer (the owner of the account, who may not be the
/// requester), read before the transaction that texts it: a second connection taken inside it
/// could wait on a pool that racing transactions hold. A stranger's case reads a row too.
pub(crate) async fn owner_phone(
    state: &Services,
    customer_id: Option<i64>,
) -> BankResult<Option<String>> {
    let owner = customers::by_id(&state.db, customer_id.unwrap_or(0)).await?;
    Ok(owner.map(|c| c.reserved_phone))
}

/// Tells the owner: path B must never change a password silently. For a case that names no
/// customer nothing is sent, but a row is written all the same, so the answer costs the same.
pub(crate) async fn tell_owner(
    state: &Services,
    tx: &mut sqlx::AnyConnection,
    owner_phone: Option<&str>,
    news: CaseNews,
    now_ms: i64,
) -> BankResult<()> {
    let Some(phone) = owner_phone else {
        outbox::enqueue_void(tx, "***********", now_ms).await?;
        return Ok(());
    };
    let bank = &state.settings.bank;
    let (text, kind) = match news {
        CaseNews::Submitted => (case_submitted_owner_text(bank), "case_submitted_owner"),
        CaseNews::Approved => (case_approved_owner_text(bank), "case_approved_owner"),
    };
    outbox::enqueue(tx, phone, &text, kind, now_ms).await?;
    Ok(())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
