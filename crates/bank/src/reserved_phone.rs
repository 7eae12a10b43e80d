//! Path A of the reset as a service over the store: open a flow from 个人信息, send a code to
//! the reserved phone, check it, set the new password. Every step change goes through the flow
//! crate's step machine and is saved with a compare-and-set, so racing requests cannot both win.
//! Unknown customers get a real flow and the same work, so no answer tells them apart.

use reset_flow::wire::{
    CodeRequest, CodeSentResponse, FlowStatus, PasswordRequest, PasswordResponse, PhoneRequest,
    StartResetRequest, StartResetResponse, StepResponse,
};
use reset_flow::{
    bank_day, CustomerName, ErrorCode, Event, Flow, IdNumber, IdType, MobileNumber, ResetPath,
    SmsCode, Step,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::codes::{self, CodePhone};
use crate::customer_login::{after_reset, id_key};
use crate::error::BankResult;
use crate::new_password::judged_and_hashed;
use crate::open_flow::{open, retry_on_race, short, step, Try, FLOW_ID_LEN};
use crate::rng::random_bytes;
use crate::services::Services;
use crate::sms::{outbox, password_changed_text};
use crate::store::audit;
use crate::store::flows;
use crate::store::{cases, customers, ms};

/// The key of a flow's live slot: the ID and the name as typed (normalised), hashed.
fn live_key(id_type: IdType, id_number: &str, name: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "reset-live:{}:{id_number}:{name}",
        id_type.as_str()
    )))
}

/// `POST /v1/resets`
pub async fn start(state: &Services, req: StartResetRequest) -> BankResult<StartResetResponse> {
    let now = state.clock.now();
    let policy = &state.settings.policy;
    let id_number = IdNumber::parse(req.id_type, req.id_number.expose(), bank_day(now))?;
    let name = CustomerName::parse(req.name.expose())?;
    let customer = customers::find(&state.db, req.id_type, id_number.as_str())
        .await?
        .filter(|c| c.name == name.as_str());
    let customer_id = customer.as_ref().map(|c| c.id);
    // One live flow per ID and name, kept for every ID typed, customer or not: replacing an
    // older flow then looks (and costs) the same whether or not the ID and name belong to a
    // customer, and a stranger who types only someone's ID number cannot end their flow.
    let key = id_key(req.id_type, id_number.as_str());
    let live_key = live_key(req.id_type, id_number.as_str(), name.as_str());
    let mut older = match flows::live_flow(&state.db, &live_key).await? {
        Some(old) => flows::load(&state.db, &old).await?,
        None => None,
    };

    let flow_id = hex::encode(random_bytes(&state.rng, FLOW_ID_LEN / 2));
    let flow = Flow::start(now);
    let now_ms = ms(now);
    let keys = flows::FlowKeys {
        id_key: &key,
        live_key: &live_key,
    };
    let mut statements = vec![
        flows::insert(&flow_id, &keys, customer_id, &flow, now_ms),
        flows::set_live_flow(&live_key, &flow_id),
        // What was typed, customer or not: path B's case records it for the reviewer.
        cases::record_identity(
            &flow_id,
            &cases::TypedIdentity {
                id_type: req.id_type.as_str().to_owned(),
                id_number: id_number.as_str().to_owned(),
                name: name.as_str().to_owned(),
            },
            now_ms,
        ),
    ];
    let withdrawn = older.as_mut().and_then(|old| {
        let withdrawn = old.flow.advance(Event::Withdrawn, now, policy).ok()?;
        old.flow = withdrawn;
        old.replaced = true;
        statements.push(flows::save_statement(old, now_ms));
        Some(&*old)
    });
    // Two round trips to the writer: these statements, then the audit with the commit.
    let (tx, outcomes) = state.db.writer.begin_with(statements).await?;
    let mut events = Vec::with_capacity(2);
    if let Some(old) = withdrawn.filter(|_| outcomes.last().is_some_and(flows::saved)) {
        events.push(audit::Event {
            flow_id: Some(&old.id),
            customer_id: old.customer_id,
            event: "flow_replaced",
            detail: json!({ "by": flow_id }),
        });
    }
    events.push(audit::Event {
        flow_id: Some(&flow_id),
        customer_id,
        event: "flow_started",
        detail: json!({ "id_type": req.id_type.as_str() }),
    });
    tx.commit_with(
        audit::record_all_statement(now_ms, &events)
            .into_iter()
            .collect(),
    )
    .await?;
    tracing::info!(flow = %short(&flow_id), "reset flow started");
    Ok(StartResetResponse {
        expires_at: flow.expires_at(policy).unwrap_or(now),
        flow_id,
        step: flow.step,
    })
}

/// `POST /v1/resets/{id}/sms`: the same answer whether or not the phone is the reserved one;
/// the code is sent only when it is.
pub async fn send_code(
    state: &Services,
    id: &str,
    req: PhoneRequest,
) -> BankResult<CodeSentResponse> {
    let phone = MobileNumber::parse(req.phone.expose())?;
    codes::send(state, id, &phone, CodePhone::Reserved).await
}

/// `POST /v1/resets/{id}/sms/verify`
pub async fn verify_code(state: &Services, id: &str, req: CodeRequest) -> BankResult<StepResponse> {
    let code = SmsCode::parse(req.code.expose())?;
    codes::verify(state, id, &code, CodePhone::Reserved).await
}

/// `POST /v1/resets/{id}/password`: the new password takes effect, the lock is lifted, every
/// session is revoked and the reserved phone is told.
pub async fn set_password(
    state: &Services,
    id: &str,
    req: PasswordRequest,
) -> BankResult<PasswordResponse> {
    // Path B keeps the new password pending until staff decide.
    if open(state, id).await?.flow.path == ResetPath::PhoneUnavailable {
        return crate::phone_unavailable::set_password(state, id, req).await;
    }
    // Borrowed, so each try reads the same request.
    let req = &req;
    retry_on_race(|| async move {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, Event::PasswordSet, now).await?;
        let customer = match rec.customer_id {
            Some(cid) => customers::by_id(&state.db, cid).await?,
            None => None,
        }
        .ok_or(ErrorCode::WrongStep)?;
        let id_type: IdType = customer.id_type.parse()?;
        let id_number = IdNumber::parse(id_type, &customer.id_number, bank_day(now))?;
        let hash = judged_and_hashed(
            state,
            req.password.expose(),
            &id_number,
            vec![customer.reserved_phone.as_str()],
        )
        .await?;
        let mut updated = rec.clone();
        updated.flow = next;
        let mut tx = state.db.writer.begin().await?;
        if !flows::save(&mut tx, &updated, now_ms).await? {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        customers::set_password_hash(&mut tx, customer.id, &hash).await?;
        let key = id_key(id_type, id_number.as_str());
        after_reset(&mut tx, &key, customer.id).await?;
        // A path-B case still waiting would later put back an older password: it ends here.
        crate::phone_unavailable::withdraw_pending(state, &mut tx, &key, now).await?;
        let text = password_changed_text(&state.settings.bank);
        outbox::enqueue(
            &mut tx,
            &customer.reserved_phone,
            &text,
            "password_changed",
            now_ms,
        )
        .await?;
        audit::record(
            &mut tx,
            now_ms,
            Some(id),
            Some(customer.id),
            "password_reset",
            json!({ "step": updated.flow.step.as_str() }),
        )
        .await?;
        tx.commit().await?;
        state.outbox.notify();
        state.metrics.resets_completed.inc();
        tracing::info!(flow = %short(id), "login password reset");
        Ok(Try::Done(PasswordResponse {
            step: updated.flow.step,
            due_by: None,
        }))
    })
    .await
}

/// `GET /v1/resets/{id}`
pub async fn status(state: &Services, id: &str) -> BankResult<FlowStatus> {
    let rec = open(state, id).await?;
    let now = state.clock.now();
    let policy = &state.settings.policy;
    let mut flow = rec.flow.clone();
    if flow.is_idle_expired(now, policy) {
        let _ = step(state, &rec, Event::ReservedCodeRequested, now).await;
        flow = flow.expired();
    }
    let resend_after_s = match (flow.step, rec.last_code_at) {
        (Step::ReservedPhone | Step::ContactPhone, Some(last)) => {
            let ready = last + (policy.resend_after_s as i64) * 1000;
            Some(((ready - ms(now)).max(0) as u64).div_ceil(1000))
        }
        _ => None,
    };
    let (due_by, reason) = crate::phone_unavailable::review_news(state, id, flow.step).await?;
    Ok(FlowStatus {
        step: flow.step,
        path: flow.path,
        expires_at: flow.expires_at(policy),
        resend_after_s,
        due_by,
        reason,
    })
}
