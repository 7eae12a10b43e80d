//! Staff sign-in. Wrong passwords are counted per username, known or not, so an unknown
//! username answers exactly like a wrong password (one real argon2 check either way). Too many
//! in a row from one address lock the username for that address a while; a much higher count
//! from all addresses together locks it for everyone. So a stranger cannot keep a reviewer out
//! from one machine, and a spray from many is still stopped. Per-IP limits apply on top. The
//! second factor (a TOTP code) is optional at sign-in, but only a session signed in with it may
//! approve a case.

use reset_flow::{AfterFailure, ErrorCode, LockoutRule};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::sessions::{self, SignedIn};
use super::totp;
use crate::lockout::{is_locked, take_try};
use crate::services::Services;
use crate::store::lockouts::{self, Counter};
use crate::store::{audit, ms, staff};

/// What was typed on the sign-in form, and from where.
pub struct Typed<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The authenticator app's 6 digits; empty signs in without the second factor.
    pub totp: &'a str,
    /// The caller's address as the per-IP limits count it (`client_address::limit_key`).
    pub address: String,
}

/// Signs in: a new session's token for a right username and password (and TOTP code, if one
/// was typed); `staff_bad_credentials` or `staff_locked` otherwise, audited either way.
pub async fn sign_in(services: &Services, typed: &Typed<'_>) -> Result<String, ErrorCode> {
    let (staff_id, second_factor) = authenticate(services, typed).await?;
    let mut tx = services.db.writer.begin().await.map_err(internal)?;
    sessions::prune(services, &mut tx).await.map_err(internal)?;
    let token = sessions::open(services, &mut tx, staff_id, second_factor)
        .await
        .map_err(internal)?;
    let now_ms = ms(services.clock.now());
    let detail = json!({ "staff_id": staff_id, "second_factor": second_factor });
    audit::record(&mut tx, now_ms, None, None, "staff_login", detail)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    tracing::info!(staff_id, "staff login");
    Ok(token)
}

/// Ends `session` (logout), audited.
pub async fn sign_out(services: &Services, session: &SignedIn) -> crate::BankResult<()> {
    session.end(services).await?;
    let mut conn = services.db.writer.acquire().await?;
    let now_ms = ms(services.clock.now());
    let detail = json!({ "staff_id": session.staff_id });
    audit::record(&mut conn, now_ms, None, None, "staff_logout", detail).await?;
    Ok(())
}

/// The failure counter's key for a username: hashed, as typed usernames may be anything.
fn user_key(username: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "reset-staff-login:{}",
        username.to_lowercase()
    )))
}

/// The staff id for a right username and password, and whether a right TOTP code came with
/// them; `staff_bad_credentials` (a wrong TOTP code too, or a used one) or `staff_locked`.
/// A try is taken on both password counters before the password is judged, and forgotten
/// when it was right.
async fn authenticate(services: &Services, typed: &Typed<'_>) -> Result<(i64, bool), ErrorCode> {
    let username = typed.username.trim();
    let now_ms = ms(services.clock.now());
    let key = user_key(username);
    let here = Counter::StaffFrom {
        user_key: &key,
        address: &typed.address,
    };
    let everywhere = Counter::StaffEverywhere { user_key: &key };
    let cfg = &services.settings.staff;
    let rule = |max: u32| LockoutRule {
        max_failures: max,
        lock_ms: Some((cfg.lock_s as i64) * 1000),
    };
    // A lock on either counter refuses before anything is counted or judged.
    for counter in [here, everywhere] {
        if is_locked(&services.db, counter, now_ms)
            .await
            .map_err(code_of)?
        {
            return Err(ErrorCode::StaffLocked);
        }
    }
    let taken_here = take_try(&services.db, here, rule(cfg.max_wrong), now_ms)
        .await
        .map_err(code_of)?;
    let taken_everywhere = take_try(
        &services.db,
        everywhere,
        rule(cfg.max_wrong_everywhere),
        now_ms,
    )
    .await
    .map_err(code_of)?;
    if [taken_here, taken_everywhere].contains(&AfterFailure::AlreadyLocked) {
        return Err(ErrorCode::StaffLocked);
    }
    let login = staff::by_username(&services.db, username)
        .await
        .map_err(internal)?;
    let stored = login
        .as_ref()
        .map_or_else(|| services.hasher.dummy_hash(), |s| s.password_hash.clone());
    let matches = services
        .hasher
        .verify(typed.password.to_owned(), stored)
        .await
        .map_err(|_| ErrorCode::Internal)?;
    if let (Some(login), true) = (&login, matches) {
        if let Some(with_code) =
            second_factor(services, login.id, login.totp_secret.as_deref(), typed.totp).await?
        {
            let mut conn = services.db.writer.acquire().await.map_err(internal)?;
            for counter in [here, everywhere] {
                lockouts::clear(&mut conn, counter)
                    .await
                    .map_err(internal)?;
            }
            return Ok((login.id, with_code));
        }
    }
    failed(
        services,
        login.map(|l| l.id),
        taken_here,
        taken_everywhere,
        now_ms,
    )
    .await
}

/// The second factor after a right password: `Some(true)` with a right, unused code,
/// `Some(false)` when none was typed, `None` (a failure) for a wrong or used one, or while
/// the second factor is locked.
async fn second_factor(
    services: &Services,
    staff_id: i64,
    secret_hex: Option<&str>,
    code: &str,
) -> Result<Option<bool>, ErrorCode> {
    if code.trim().is_empty() {
        return Ok(Some(false));
    }
    let Some(secret) = secret_hex.and_then(|h| hex::decode(h).ok()) else {
        return Ok(None);
    };
    let now = services.clock.now();
    let now_ms = ms(now);
    let now_s = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    // Wrong codes are counted on the staff member, apart from the password failures that a
    // password-only sign-in clears: whoever has the password cannot guess the code forever.
    let cfg = &services.settings.staff;
    let rule = LockoutRule {
        max_failures: cfg.max_wrong,
        lock_ms: Some((cfg.lock_s as i64) * 1000),
    };
    let counter = Counter::StaffTotp { staff_id };
    let taken = take_try(&services.db, counter, rule, now_ms)
        .await
        .map_err(code_of)?;
    if taken == AfterFailure::AlreadyLocked {
        return Ok(None);
    }
    // Each step's code once.
    let used = match totp::matching_step(&secret, code, now_s) {
        Some(step) => staff::use_totp_step(&services.db, staff_id, step as i64)
            .await
            .map_err(internal)?,
        None => false,
    };
    if used {
        let mut conn = services.db.writer.acquire().await.map_err(internal)?;
        lockouts::clear(&mut conn, counter)
            .await
            .map_err(internal)?;
    }
    Ok(used.then_some(true))
}

/// A failed sign-in, its tries already taken: audited, and told as a lock when either counter
/// locked with it.
async fn failed(
    services: &Services,
    staff_id: Option<i64>,
    here: AfterFailure,
    everywhere: AfterFailure,
    now_ms: i64,
) -> Result<(i64, bool), ErrorCode> {
    let failures_here = match here {
        AfterFailure::Counted { failures, .. } | AfterFailure::LockedNow { failures } => failures,
        AfterFailure::AlreadyLocked => 0,
    };
    let locked_here = matches!(here, AfterFailure::LockedNow { .. });
    let locked_everywhere = matches!(everywhere, AfterFailure::LockedNow { .. });
    let mut tx = services.db.writer.begin().await.map_err(internal)?;
    let detail = json!({ "staff_id": staff_id, "failures": failures_here });
    audit::record(&mut tx, now_ms, None, None, "staff_login_failed", detail)
        .await
        .map_err(internal)?;
    if locked_here || locked_everywhere {
        let detail = json!({ "staff_id": staff_id, "everywhere": locked_everywhere });
        audit::record(&mut tx, now_ms, None, None, "staff_locked", detail)
            .await
            .map_err(internal)?;
    }
    tx.commit().await.map_err(internal)?;
    if locked_here || locked_everywhere {
        tracing::info!(
            everywhere = locked_everywhere,
            "staff login locked after too many failures"
        );
        Err(ErrorCode::StaffLocked)
    } else {
        Err(ErrorCode::StaffBadCredentials)
    }
}

fn internal(e: sqlx::Error) -> ErrorCode {
    crate::error::BankError::from(e).code()
}

fn code_of(e: crate::error::BankError) -> ErrorCode {
    e.code()
}
