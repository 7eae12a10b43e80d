//! Login with the ID and the login password: the lock after too many wrong passwords in a row
//! (counted in the database, per ID, for unknown IDs too so the lock reveals nothing), opaque
//! session tokens stored only as hashes, and the upgrade of old hash parameters.

use reset_flow::wire::{LoginRequest, LoginResponse, Sensitive};
use reset_flow::{bank_day, ErrorCode, IdNumber, IdType};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::audit;
use crate::error::{AppError, AppResult};
use crate::rng::random_bytes;
use crate::state::AppState;
use crate::store::{customers, ms, Db};

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
pub async fn login(state: &AppState, req: LoginRequest) -> AppResult<LoginResponse> {
    let now = state.clock.now();
    let now_ms = ms(now);
    let max = i64::from(state.settings.policy.login_max_wrong);
    let id_number = IdNumber::parse(req.id_type, req.id_number.expose(), bank_day(now))?;
    let key = id_key(req.id_type, id_number.as_str());
    let failures: i64 = sqlx::query_scalar("SELECT failures FROM login_failures WHERE id_key = $1")
        .bind(&key)
        .fetch_optional(&state.db.pool)
        .await?
        .unwrap_or(0);
    if failures >= max {
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
            let mut tx = state.db.pool.begin().await?;
            clear_failures(&mut tx, &key).await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash(&token))
            .bind(c.id)
            .bind(now_ms)
            .bind(now_ms + (state.settings.session_ttl_s as i64) * 1000)
            .execute(&mut *tx)
            .await?;
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
            let mut tx = state.db.pool.begin().await?;
            let n: i64 = sqlx::query_scalar(
                "INSERT INTO login_failures (id_key, failures, updated_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (id_key) DO UPDATE SET failures = login_failures.failures + 1, \
                 updated_at = $2 RETURNING failures",
            )
            .bind(&key)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                now_ms,
                None,
                customer_id,
                "login_failed",
                json!({ "failures": n }),
            )
            .await?;
            if n >= max {
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
            if n >= max {
                state.metrics.lockouts.inc();
                tracing::info!("login locked after too many wrong passwords");
                return Err(ErrorCode::Locked.into());
            }
            Err(AppError::from(ErrorCode::BadCredentials).with_attempts_left((max - n) as u32))
        }
    }
}

/// Redoes a hash made with old parameters, unless it changed meanwhile.
async fn rehash(state: &AppState, customer_id: i64, old: &str, password: &str) -> AppResult<()> {
    let new = state
        .hasher
        .hash(password.to_owned())
        .await
        .map_err(|_| ErrorCode::Internal)?;
    sqlx::query("UPDATE customers SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(customer_id)
        .bind(old)
        .execute(&state.db.pool)
        .await?;
    tracing::info!("password hash upgraded to the current parameters");
    Ok(())
}

/// Lifts the login lock of an ID (a completed reset).
pub async fn clear_failures(conn: &mut AnyConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE id_key = $1")
        .bind(key)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Ends every session of a customer (a completed reset).
pub async fn revoke_sessions(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE customer_id = $1")
        .bind(customer_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The customer a session token belongs to, while it is valid.
pub async fn session_customer(
    db: &Db,
    token: &str,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash(token))
        .bind(now_ms)
        .fetch_optional(&db.pool)
        .await
}
