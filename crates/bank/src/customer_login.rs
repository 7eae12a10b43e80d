//! Login with the ID and the login password: the login lock under the one lockout rule (a try
//! taken before the password is judged, per ID, for unknown IDs too so the lock reveals
//! nothing; lifted by a completed reset), opaque session tokens stored only as hashes, and the
//! upgrade of old hash parameters.

use reset_flow::wire::{LoginRequest, LoginResponse, Sensitive};
use reset_flow::{bank_day, AfterFailure, ErrorCode, IdNumber, IdType};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::error::{BankError, BankResult};
use crate::lockout::take_try;
use crate::rng::random_bytes;
use crate::services::Services;
use crate::store::lockouts::{self, Counter};
use crate::store::{audit, customers, ms, sessions, Db};

/// The key of an ID in the failure counter: hashed, so the table holds no ID numbers.
pub fn id_key(id_type: IdType, id_number: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "reset-login:{}:{id_number}",
        id_type.as_str()
    )))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(format!("reset-session:{token}")))
}

/// `POST /v1/login`
pub async fn login(state: &Services, req: LoginRequest) -> BankResult<LoginResponse> {
    let now = state.clock.now();
    let now_ms = ms(now);
    let id_number = IdNumber::parse(req.id_type, req.id_number.expose(), bank_day(now))?;
    let key = id_key(req.id_type, id_number.as_str());
    let counter = Counter::CustomerLogin { id_key: &key };
    let rule = state.settings.policy.login_lockout();
    let taken = take_try(&state.db, counter, rule, now_ms).await?;
    if taken == AfterFailure::AlreadyLocked {
        return Err(ErrorCode::Locked.into());
    }
    let customer = customers::find(&state.db, req.id_type, id_number.as_str()).await?;
    let stored = customer
        .as_ref()
        .map_or_else(|| state.hasher.dummy_hash(), |c| c.password_hash.clone());
    let matches = state
        .hasher
        .verify(req.password.expose().to_owned(), stored)
        .await
        .map_err(|_| ErrorCode::Internal)?;
    let customer_id = customer.as_ref().map(|c| c.id);
    match customer {
        Some(c) if matches => {
            let token = hex::encode(random_bytes(&state.rng, 32));
            let expires = now_ms + (state.settings.session_ttl_s as i64) * 1000;
            let mut tx = state.db.writer.begin().await?;
            lockouts::clear(&mut tx, counter).await?;
            sessions::open(&mut tx, &token_hash(&token), c.id, now_ms, expires).await?;
            audit::record(&mut tx, now_ms, None, Some(c.id), "login", json!({})).await?;
            tx.commit().await?;
            if state.hasher.needs_rehash(&c.password_hash) {
                rehash(state, c.id, &c.password_hash, req.password.expose()).await?;
            }
            Ok(LoginResponse {
                session: Sensitive(token),
            })
        }
        _ => {
            let (failures, locked) = match taken {
                AfterFailure::LockedNow { failures } => (failures, true),
                AfterFailure::Counted { failures, .. } => (failures, false),
                AfterFailure::AlreadyLocked => unreachable!("refused above"),
            };
            let mut tx = state.db.writer.begin().await?;
            let detail = json!({ "failures": failures });
            audit::record(&mut tx, now_ms, None, customer_id, "login_failed", detail).await?;
            if locked {
                audit::record(
                    &mut tx,
                    now_ms,
                    None,
                    customer_id,
                    "login_locked",
                    json!({}),
                )
                .await?;
            }
            tx.commit().await?;
            match taken {
                AfterFailure::Counted { attempts_left, .. } => {
                    Err(BankError::from(ErrorCode::BadCredentials)
                        .with_attempts_left(attempts_left))
                }
                _ => {
                    state.metrics.lockouts.inc();
                    tracing::info!("login locked after too many wrong passwords");
                    Err(ErrorCode::Locked.into())
                }
            }
        }
    }
}

/// Redoes a hash made with old parameters, unless it changed meanwhile.
async fn rehash(state: &Services, customer_id: i64, old: &str, password: &str) -> BankResult<()> {
    let new = state
        .hasher
        .hash(password.to_owned())
        .await
        .map_err(|_| ErrorCode::Internal)?;
    customers::upgrade_password_hash(&state.db, customer_id, old, &new).await?;
    tracing::info!("password hash upgraded to the current parameters");
    Ok(())
}

/// What a completed reset does to the customer's login, in the caller's transaction: the
/// lock lifted (and the count of wrong passwords forgotten), every session ended.
pub async fn after_reset(
    conn: &mut AnyConnection,
    id_key: &str,
    customer_id: i64,
) -> Result<(), sqlx::Error> {
    lockouts::clear(&mut *conn, Counter::CustomerLogin { id_key }).await?;
    sessions::revoke_all(conn, customer_id).await
}

/// The customer a session token belongs to, while it is valid.
pub async fn session_customer(
    db: &Db,
    token: &str,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sessions::customer_of(db, &token_hash(token), now_ms).await
}
