//! The tallies of the one lockout rule (`reset_flow::LockoutRule`), wherever each lives: a
//! customer's login, a staff username from one address and from everywhere, a staff member's
//! TOTP code. Written only where the tally read is still the stored one, so two requests
//! racing cannot both count from the same number.

use reset_flow::Tally;
use sqlx::AnyConnection;

/// One counter of failures.
#[derive(Debug, Clone, Copy)]
pub enum Counter<'a> {
    /// A customer's login password, by the hashed ID.
    CustomerLogin { id_key: &'a str },
    /// A staff username (hashed) from one address.
    StaffFrom { user_key: &'a str, address: &'a str },
    /// A staff username (hashed) from all addresses together.
    StaffEverywhere { user_key: &'a str },
    /// A staff member's TOTP codes.
    StaffTotp { staff_id: i64 },
}

fn tally(row: Option<(i64, i64)>) -> Tally {
    row.map_or_else(Tally::default, |(failures, locked_until)| Tally {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        locked_until,
    })
}

/// The counter's tally; a fresh one where nothing was counted.
pub async fn read(conn: &mut AnyConnection, counter: Counter<'_>) -> Result<Tally, sqlx::Error> {
    let row: Option<(i64, i64)> = match counter {
        Counter::CustomerLogin { id_key } => {
            sqlx::query_as("SELECT failures, locked_until FROM login_failures WHERE id_key = $1")
                .bind(id_key)
                .fetch_optional(conn)
                .await?
        }
        Counter::StaffFrom { user_key, address } => {
            sqlx::query_as(
                "SELECT failures, COALESCE(locked_until, 0) FROM staff_login_failures_by_address \
                 WHERE user_key = $1 AND address = $2",
            )
            .bind(user_key)
            .bind(address)
            .fetch_optional(conn)
            .await?
        }
        Counter::StaffEverywhere { user_key } => {
            sqlx::query_as(
                "SELECT failures, COALESCE(locked_until, 0) FROM staff_login_failures \
                 WHERE user_key = $1",
            )
            .bind(user_key)
            .fetch_optional(conn)
            .await?
        }
        Counter::StaffTotp { staff_id } => {
            sqlx::query_as(
                "SELECT totp_failures, COALESCE(totp_locked_until, 0) FROM staff WHERE id = $1",
            )
            .bind(staff_id)
            .fetch_optional(conn)
            .await?
        }
    };
    Ok(tally(row))
}

/// Writes `new` where `old` is still the stored tally; `false` when another request changed it
/// first (read it again and decide again).
pub async fn replace(
    conn: &mut AnyConnection,
    counter: Counter<'_>,
    old: Tally,
    new: Tally,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let (failures, locked_until) = (i64::from(new.failures), new.locked_until);
    let (was_failures, was_locked) = (i64::from(old.failures), old.locked_until);
    let updated = match counter {
        Counter::CustomerLogin { id_key } => sqlx::query(
            "UPDATE login_failures SET failures = $1, locked_until = $2, updated_at = $3 \
             WHERE id_key = $4 AND failures = $5 AND locked_until = $6",
        )
        .bind(failures)
        .bind(locked_until)
        .bind(now_ms)
        .bind(id_key)
        .bind(was_failures)
        .bind(was_locked),
        Counter::StaffFrom { user_key, address } => sqlx::query(
            "UPDATE staff_login_failures_by_address SET failures = $1, locked_until = $2, \
             updated_at = $3 WHERE user_key = $4 AND address = $5 AND failures = $6 \
             AND COALESCE(locked_until, 0) = $7",
        )
        .bind(failures)
        .bind(locked_until)
        .bind(now_ms)
        .bind(user_key)
        .bind(address)
        .bind(was_failures)
        .bind(was_locked),
        Counter::StaffEverywhere { user_key } => sqlx::query(
            "UPDATE staff_login_failures SET failures = $1, locked_until = $2, updated_at = $3 \
             WHERE user_key = $4 AND failures = $5 AND COALESCE(locked_until, 0) = $6",
        )
        .bind(failures)
        .bind(locked_until)
        .bind(now_ms)
        .bind(user_key)
        .bind(was_failures)
        .bind(was_locked),
        Counter::StaffTotp { staff_id } => sqlx::query(
            "UPDATE staff SET totp_failures = $1, totp_locked_until = $2 \
             WHERE id = $3 AND totp_failures = $4 AND COALESCE(totp_locked_until, 0) = $5",
        )
        .bind(failures)
        .bind(locked_until)
        .bind(staff_id)
        .bind(was_failures)
        .bind(was_locked),
    }
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 1 {
        return Ok(true);
    }
    if old != Tally::default() {
        return Ok(false);
    }
    // Nothing counted yet: the first failure makes the row (a staff member's row always exists).
    let inserted = match counter {
        Counter::CustomerLogin { id_key } => sqlx::query(
            "INSERT INTO login_failures (id_key, failures, locked_until, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id_key) DO NOTHING",
        )
        .bind(id_key)
        .bind(failures)
        .bind(locked_until)
        .bind(now_ms),
        Counter::StaffFrom { user_key, address } => sqlx::query(
            "INSERT INTO staff_login_failures_by_address \
             (user_key, address, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_key, address) DO NOTHING",
        )
        .bind(user_key)
        .bind(address)
        .bind(failures)
        .bind(locked_until)
        .bind(now_ms),
        Counter::StaffEverywhere { user_key } => sqlx::query(
            "INSERT INTO staff_login_failures (user_key, failures, locked_until, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_key) DO NOTHING",
        )
        .bind(user_key)
        .bind(failures)
        .bind(locked_until)
        .bind(now_ms),
        Counter::StaffTotp { .. } => return Ok(false),
    }
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Forgets every failure of the counter, and lifts its lock (a success; a completed reset).
pub async fn clear(conn: &mut AnyConnection, counter: Counter<'_>) -> Result<(), sqlx::Error> {
    match counter {
        Counter::CustomerLogin { id_key } => {
            sqlx::query("DELETE FROM login_failures WHERE id_key = $1").bind(id_key)
        }
        Counter::StaffFrom { user_key, address } => sqlx::query(
            "DELETE FROM staff_login_failures_by_address WHERE user_key = $1 AND address = $2",
        )
        .bind(user_key)
        .bind(address),
        Counter::StaffEverywhere { user_key } => {
            sqlx::query("DELETE FROM staff_login_failures WHERE user_key = $1").bind(user_key)
        }
        Counter::StaffTotp { staff_id } => sqlx::query(
            "UPDATE staff SET totp_failures = 0, totp_locked_until = NULL WHERE id = $1",
        )
        .bind(staff_id),
    }
    .execute(conn)
    .await
    .map(drop)
}
