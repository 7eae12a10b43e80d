//! The contact phone of path B (请输入联系电话): a code to whatever valid mobile the customer
//! typed, under the same rules as the reserved phone's (hashed, lifetime, wrong tries, resend
//! wait, per-flow and per-phone quotas); a right code proves the phone the review result goes to.

use reset_flow::wire::{CodeRequest, CodeSentResponse, PhoneRequest, StepResponse};
use reset_flow::{ErrorCode, Event, MobileNumber, SmsCode};
use serde_json::json;

use super::collecting_case;
use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::limits::take_phone_quota;
use crate::reset::{code_hash, open, refuse_wrong_code, short, step, RACE_RETRIES};
use crate::sms::{code_text, outbox};
use crate::store::{cases, flows, ms};

/// `POST /v1/resets/{id}/contact/sms`
pub async fn send_code(
    state: &AppState,
    id: &str,
    req: PhoneRequest,
) -> AppResult<CodeSentResponse> {
    let phone = MobileNumber::parse(req.phone.expose())?;
    let policy = &state.settings.policy;
    for _ in 0..RACE_RETRIES {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, Event::ContactCodeRequested, now).await?;
        if let Some(last) = rec.last_code_at {
            let ready = last + (policy.resend_after_s as i64) * 1000;
            if now_ms < ready {
                let wait = ((ready - now_ms) as u64).div_ceil(1000);
                return Err(AppError::from(ErrorCode::TooMany).with_retry_after(wait));
            }
        }
        if rec.codes_sent >= i64::from(policy.codes_per_flow) {
            return Err(ErrorCode::TooMany.into());
        }
        let case = collecting_case(state, id).await?;
        let code = {
            let mut rng = state.rng.lock().unwrap_or_else(|e| e.into_inner());
            SmsCode::generate(&mut **rng)
        };
        let mut tx = state.db.pool.begin().await?;
        if !take_phone_quota(&mut tx, phone.as_str(), now, policy.codes_per_phone_per_day).await? {
            tx.rollback().await?;
            return Err(ErrorCode::TooMany.into());
        }
        let mut updated = rec.clone();
        updated.flow = next;
        updated.code_hash = Some(code_hash(id, &code));
        updated.code_expires_at = Some(now_ms + (policy.code_ttl_s as i64) * 1000);
        updated.code_wrong = 0;
        updated.codes_sent += 1;
        updated.last_code_at = Some(now_ms);
        if !flows::save(&mut tx, &updated, now_ms).await? {
            tx.rollback().await?;
            continue;
        }
        // The phone the code goes to is the one a right code proves: both change together.
        cases::set_contact_phone(&mut tx, &case.id, phone.as_str(), now_ms).await?;
        let text = code_text(
            &state.settings.sms.signature,
            code.as_str(),
            policy.code_ttl_s,
        );
        outbox::enqueue(&mut tx, phone.as_str(), &text, "code", now_ms).await?;
        audit::record(
            &mut tx,
            now_ms,
            Some(id),
            rec.customer_id,
            "contact_code_requested",
            json!({ "phone": phone.masked(), "codes_sent": updated.codes_sent }),
        )
        .await?;
        tx.commit().await?;
        state.outbox.notify();
        state.metrics.codes_sent.inc();
        tracing::info!(flow = %short(id), phone = %phone.masked(), "contact phone code requested");
        return Ok(CodeSentResponse {
            step: updated.flow.step,
            resend_after_s: policy.resend_after_s,
        });
    }
    Err(ErrorCode::TooMany.into())
}

/// `POST /v1/resets/{id}/contact/verify`
pub async fn verify_code(state: &AppState, id: &str, req: CodeRequest) -> AppResult<StepResponse> {
    let code = SmsCode::parse(req.code.expose())?;
    let policy = &state.settings.policy;
    let max_wrong = i64::from(policy.code_max_wrong);
    for _ in 0..RACE_RETRIES {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, Event::ContactPhoneVerified, now).await?;
        let case = collecting_case(state, id).await?;
        let (Some(stored), Some(_phone)) = (rec.code_hash.clone(), case.contact_phone.as_ref())
        else {
            return Err(ErrorCode::CodeNotSent.into());
        };
        if rec.code_expires_at.is_none_or(|at| now_ms >= at) {
            return Err(ErrorCode::CodeExpired.into());
        }
        if rec.code_wrong >= max_wrong {
            return Err(AppError::from(ErrorCode::CodeBurnt).with_attempts_left(0));
        }
        if code_hash(id, &code) == stored {
            let mut updated = rec.clone();
            updated.flow = next;
            updated.code_hash = None;
            updated.code_expires_at = None;
            let mut tx = state.db.pool.begin().await?;
            if !flows::save(&mut tx, &updated, now_ms).await? {
                tx.rollback().await?;
                continue;
            }
            audit::record(
                &mut tx,
                now_ms,
                Some(id),
                rec.customer_id,
                "contact_phone_verified",
                json!({ "case": case.id }),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(flow = %short(id), "contact phone verified");
            return Ok(StepResponse {
                step: updated.flow.step,
            });
        }
        match refuse_wrong_code(state, id, rec.customer_id, &stored, max_wrong, now_ms).await? {
            Some(refusal) => return Err(refusal),
            None => continue,
        }
    }
    Err(ErrorCode::TooMany.into())
}
