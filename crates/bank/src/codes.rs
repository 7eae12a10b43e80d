//! SMS codes of a flow, for the reserved phone (path A) and the contact phone (path B): one way
//! to ask for a code and one way to check it. A code only ever proves the phone it was sent to:
//! asked for a phone that is not the reserved one, nothing is sent and the flow keeps a random
//! value that no code matches, with the same answer, the same counters and the same work.

use reset_flow::wire::{CodeSentResponse, StepResponse};
use reset_flow::{ErrorCode, Event, MobileNumber, SmsCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{BankError, BankResult};
use crate::open_flow::{open, retry_on_race, short, step, Try};
use crate::phone_unavailable::collecting_case;
use crate::rng::random_bytes;
use crate::services::Services;
use crate::sms::{code_text, outbox};
use crate::store::allowances::{
    id_quota_left, phone_quota_left, take_id_quota, take_phone_quota, IdAllowance,
};
use crate::store::audit;
use crate::store::flows::{self, FlowRecord};
use crate::store::{cases, customers, ms, next_outcome, Statement};

/// Which phone a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePhone {
    /// 预留手机号: the phone on file; a code goes out only when the typed phone is it.
    Reserved,
    /// 联系电话 of path B: whatever valid mobile the customer typed; the review result goes there.
    Contact,
}

impl CodePhone {
    fn requested(self) -> Event {
        match self {
            CodePhone::Reserved => Event::ReservedCodeRequested,
            CodePhone::Contact => Event::ContactCodeRequested,
        }
    }

    fn verified(self) -> Event {
        match self {
            CodePhone::Reserved => Event::ReservedPhoneVerified,
            CodePhone::Contact => Event::ContactPhoneVerified,
        }
    }

    fn audit_requested(self) -> &'static str {
        match self {
            CodePhone::Reserved => "code_requested",
            CodePhone::Contact => "contact_code_requested",
        }
    }

    fn audit_verified(self) -> &'static str {
        match self {
            CodePhone::Reserved => "reserved_phone_verified",
            CodePhone::Contact => "contact_phone_verified",
        }
    }

    /// Whose daily allowance of a phone a code uses.
    fn allowance(self) -> &'static str {
        match self {
            CodePhone::Reserved => "reserved",
            CodePhone::Contact => "contact",
        }
    }

    /// The log lines of the two phones (no number, no code in them).
    fn log_requested(self) -> &'static str {
        match self {
            CodePhone::Reserved => "sms code requested",
            CodePhone::Contact => "contact phone code requested",
        }
    }

    fn log_verified(self) -> &'static str {
        match self {
            CodePhone::Reserved => "reserved phone verified",
            CodePhone::Contact => "contact phone verified",
        }
    }
}

/// The stored form of a code: bound to its flow, never the digits themselves.
pub(crate) fn code_hash(flow_id: &str, code: &SmsCode) -> String {
    hex::encode(Sha256::digest(format!(
        "reset-code:{flow_id}:{}",
        code.as_str()
    )))
}

/// What a flow keeps for a code that was not sent: as long as a code's hash, and the hash of
/// no code (finding a code for it would mean a SHA-256 preimage).
fn unmatchable_hash(state: &Services) -> String {
    hex::encode(random_bytes(&state.rng, 32))
}

/// `POST /v1/resets/{id}/sms` and `…/contact/sms`: the same answer whether or not a code goes
/// out. Bounds, each answered `too_many` alike for everyone: the resend wait, codes per flow,
/// codes per ID per day, and the phone's daily allowance (which only codes really sent use up).
pub async fn send(
    state: &Services,
    id: &str,
    phone: &MobileNumber,
    which: CodePhone,
) -> BankResult<CodeSentResponse> {
    let policy = &state.settings.policy;
    retry_on_race(|| async move {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, which.requested(), now).await?;
        if let Some(last) = rec.last_code_at {
            let ready = last + (policy.resend_after_s as i64) * 1000;
            if now_ms < ready {
                let wait = ((ready - now_ms) as u64).div_ceil(1000);
                return Err(BankError::from(ErrorCode::TooMany).with_retry_after(wait));
            }
        }
        if rec.codes_sent >= i64::from(policy.codes_per_flow) {
            return Err(ErrorCode::TooMany.into());
        }
        let case = match which {
            CodePhone::Contact => Some(collecting_case(state, id).await?),
            CodePhone::Reserved => None,
        };
        let sent = match which {
            CodePhone::Contact => true,
            CodePhone::Reserved => is_reserved_phone(state, &rec, phone).await?,
        };
        let code = {
            let mut rng = state.rng.lock().unwrap_or_else(|e| e.into_inner());
            SmsCode::generate(&mut **rng)
        };
        // Computed either way, so a code not sent costs what a sent one does.
        let hash = code_hash(id, &code);
        let mut updated = rec.clone();
        updated.flow = next;
        updated.code_hash = Some(if sent { hash } else { unmatchable_hash(state) });
        updated.code_expires_at = Some(now_ms + (policy.code_ttl_s as i64) * 1000);
        updated.code_wrong = 0;
        updated.codes_sent += 1;
        updated.last_code_at = Some(now_ms);
        let mut statements = Vec::with_capacity(6);
        let id_quota = rec.bound_key().map(|key| {
            let (statement, quota) =
                take_id_quota(key, IdAllowance::Codes, now, policy.codes_per_id_per_day);
            statements.push(statement);
            quota
        });
        // A phone's allowance is kept apart for each phone kind. Contact codes always go out,
        // so anyone can spend a phone's contact allowance; were it shared, filling it to one
        // below the cap and asking once on a victim's flow would tell whether the phone is the
        // reserved one (taken) or not (only looked at).
        let quota_phone = format!("{}:{}", which.allowance(), phone.as_str());
        let cap = policy.codes_per_phone_per_day;
        // One statement either way: a code sent takes from the allowance (none left, none
        // taken), a code not sent only looks that some is left.
        let (statement, phone_quota) = if sent {
            take_phone_quota(&quota_phone, now, cap)
        } else {
            phone_quota_left(&quota_phone, now, cap)
        };
        statements.push(statement);
        statements.push(flows::save_statement(&updated, now_ms));
        if let Some(case) = &case {
            // The phone the code goes to is the one a right code proves: both change together.
            statements.push(cases::set_contact_phone(&case.id, phone.as_str(), now_ms));
        }
        statements.push(if sent {
            let text = code_text(&state.settings.bank, code.as_str(), policy.code_ttl_s);
            outbox::enqueue_statement(phone.as_str(), &text, "code", now_ms)
        } else {
            outbox::enqueue_void_statement(&phone.masked(), now_ms)
        });
        let mut detail = json!({ "phone": phone.masked(), "codes_sent": updated.codes_sent });
        if which == CodePhone::Reserved {
            detail["reserved_phone"] = json!(sent);
        }
        statements.push(audit::record_statement(
            now_ms,
            Some(id),
            rec.customer_id,
            which.audit_requested(),
            detail,
        ));
        // Every statement goes in one round trip, the allowances' first: when one refuses, or
        // another request saved the flow first, the whole transaction is rolled back.
        let (tx, outcomes) = state.db.writer.begin_with(statements).await?;
        let mut outcomes = outcomes.iter();
        let id_ok = match &id_quota {
            Some(quota) => quota.granted(next_outcome(&mut outcomes)?)?,
            None => true,
        };
        let phone_ok = phone_quota.granted(next_outcome(&mut outcomes)?)?;
        if !phone_ok || !id_ok {
            tx.rollback().await?;
            return Err(ErrorCode::TooMany.into());
        }
        if !flows::saved(next_outcome(&mut outcomes)?) {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        tx.commit().await?;
        state.outbox.notify();
        state.metrics.codes_sent.inc();
        tracing::info!(flow = %short(id), phone = %phone.masked(), "{}", which.log_requested());
        Ok(Try::Done(CodeSentResponse {
            step: updated.flow.step,
            resend_after_s: policy.resend_after_s,
        }))
    })
    .await
}

/// Whether `phone` is the reserved phone of the flow's customer (never, for a stranger's flow).
async fn is_reserved_phone(
    state: &Services,
    rec: &FlowRecord,
    phone: &MobileNumber,
) -> BankResult<bool> {
    // A stranger's flow reads a row too (none is found), so both cost one query.
    let customer = customers::by_id(&state.db, rec.customer_id.unwrap_or(0)).await?;
    Ok(customer.is_some_and(|c| c.reserved_phone == phone.as_str()))
}

/// `POST /v1/resets/{id}/sms/verify` and `…/contact/verify`. A wrong code takes one of the
/// code's tries and one of the ID's wrong-code allowance for the day before it is judged, both
/// atomically in the database; a right one is saved only if no try was taken since the flow
/// was read: racing guesses judge no more than either bound allows.
pub async fn verify(
    state: &Services,
    id: &str,
    code: &SmsCode,
    which: CodePhone,
) -> BankResult<StepResponse> {
    let policy = &state.settings.policy;
    let max_tries = i64::from(policy.code_max_wrong);
    retry_on_race(|| async move {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, which.verified(), now).await?;
        let case = match which {
            CodePhone::Contact => {
                let case = collecting_case(state, id).await?;
                if case.contact_phone.is_none() {
                    return Err(ErrorCode::CodeNotSent.into());
                }
                Some(case)
            }
            CodePhone::Reserved => None,
        };
        let Some(stored) = rec.code_hash.clone() else {
            return Err(ErrorCode::CodeNotSent.into());
        };
        if rec.code_expires_at.is_none_or(|at| now_ms >= at) {
            return Err(ErrorCode::CodeExpired.into());
        }
        if rec.code_wrong >= max_tries {
            return Err(BankError::from(ErrorCode::CodeBurnt).with_attempts_left(0));
        }
        let key = rec.bound_key();
        let right: bool = code_hash(id, code)
            .as_bytes()
            .ct_eq(stored.as_bytes())
            .into();
        let cap = policy.wrong_codes_per_id_per_day;
        // One transaction, committed before anything is answered.
        if !right {
            // A wrong code takes one of the ID's allowance and one of the code's tries before
            // it is judged, both atomically: racing guesses judge no more than either bound.
            let mut statements = Vec::with_capacity(2);
            let id_quota = key.map(|key| {
                let (statement, quota) = take_id_quota(key, IdAllowance::CodeChecks, now, cap);
                statements.push(statement);
                quota
            });
            statements.push(flows::take_code_try_statement(id, &stored, max_tries));
            let (tx, outcomes) = state.db.writer.begin_with(statements).await?;
            let mut outcomes = outcomes.iter();
            if let Some(quota) = &id_quota {
                if !quota.granted(next_outcome(&mut outcomes)?)? {
                    tx.rollback().await?;
                    return Err(ErrorCode::TooMany.into());
                }
            }
            let Some(tries) = flows::tries_taken(next_outcome(&mut outcomes)?)? else {
                // The code changed or its tries ran out meanwhile: nothing was judged, and the
                // allowance taken goes back with the rollback.
                tx.rollback().await?;
                return Ok(Try::Raced);
            };
            let (refusal, audit) =
                refuse_wrong_code(state, id, rec.customer_id, tries, max_tries, now_ms);
            tx.commit_with(audit.into_iter().collect()).await?;
            return Err(refusal);
        }
        // A right code is judged only while the ID has allowance left, as a wrong one would
        // be (the answer is `too_many` alike), and takes none. It counts as the code's try,
        // and is saved only if no try was taken since the flow was read (each try changes
        // the row's version): with the tries before it, never more than the code's tries are
        // judged.
        let mut updated = rec.clone();
        updated.flow = next;
        updated.code_hash = None;
        updated.code_expires_at = None;
        updated.code_wrong = rec.code_wrong + 1;
        let mut statements = Vec::with_capacity(3);
        let id_quota = key.map(|key| {
            let (statement, quota) = id_quota_left(key, IdAllowance::CodeChecks, now, cap);
            statements.push(statement);
            quota
        });
        statements.push(flows::save_statement(&updated, now_ms));
        let detail = case.map_or_else(|| json!({}), |c| json!({ "case": c.id }));
        statements.push(audit::record_statement(
            now_ms,
            Some(id),
            rec.customer_id,
            which.audit_verified(),
            detail,
        ));
        let (tx, outcomes) = state.db.writer.begin_with(statements).await?;
        let mut outcomes = outcomes.iter();
        if let Some(quota) = &id_quota {
            if !quota.granted(next_outcome(&mut outcomes)?)? {
                tx.rollback().await?;
                return Err(ErrorCode::TooMany.into());
            }
        }
        if !flows::saved(next_outcome(&mut outcomes)?) {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        tx.commit().await?;
        tracing::info!(flow = %short(id), "{}", which.log_verified());
        Ok(Try::Done(StepResponse {
            step: updated.flow.step,
        }))
    })
    .await
}

/// A wrong code, its try already taken: the refusal, and its audit (the code burnt at the
/// limit).
fn refuse_wrong_code(
    state: &Services,
    id: &str,
    customer_id: Option<i64>,
    tries: i64,
    max_tries: i64,
    now_ms: i64,
) -> (BankError, Option<Statement>) {
    let wrong = audit::Event {
        flow_id: Some(id),
        customer_id,
        event: "code_wrong",
        detail: json!({ "wrong": tries }),
    };
    if tries >= max_tries {
        state.metrics.codes_burnt.inc();
        let burnt = audit::Event {
            flow_id: Some(id),
            customer_id,
            event: "code_burnt",
            detail: json!({}),
        };
        return (
            BankError::from(ErrorCode::CodeBurnt).with_attempts_left(0),
            audit::record_all_statement(now_ms, &[wrong, burnt]),
        );
    }
    (
        BankError::from(ErrorCode::BadCode).with_attempts_left((max_tries - tries) as u32),
        audit::record_all_statement(now_ms, &[wrong]),
    )
}
