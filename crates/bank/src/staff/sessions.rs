//! Staff sessions: a random 256-bit token (the console puts it in a cookie), only its hash in
//! the database, over after an idle time or an absolute lifetime.

use sha2::{Digest, Sha256};

use crate::error::BankResult;
use crate::review::StaffActor;
use crate::rng::random_bytes;
use crate::services::Services;
use crate::store::{ms, staff};

/// A session's last-seen time is written at most this often, so reading pages stays cheap.
const TOUCH_EVERY_MS: i64 = 30_000;

/// What a staff member may do. Reviewers work the pending queue; supervisors also see decided
/// cases and a case's audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Reviewer,
    Supervisor,
}

impl StaffRole {
    pub fn parse(s: &str) -> Option<StaffRole> {
        match s {
            "reviewer" => Some(StaffRole::Reviewer),
            "supervisor" => Some(StaffRole::Supervisor),
            _ => None,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            StaffRole::Reviewer => "审核员",
            StaffRole::Supervisor => "审核主管",
        }
    }
}

/// A live session's staff member.
#[derive(Clone)]
pub struct SignedIn {
    pub staff_id: i64,
    pub username: String,
    pub role: StaffRole,
    /// Signed in with the TOTP code as well as the password: needed to approve a case.
    pub second_factor: bool,
    token_hash: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignedIn({}, {:?})", self.staff_id, self.role)
    }
}

impl SignedIn {
    /// Who acts, as the review service records it.
    pub fn actor(&self) -> StaffActor {
        StaffActor {
            staff_id: self.staff_id,
            username: self.username.clone(),
        }
    }

    /// Ends this session.
    pub async fn end(&self, services: &Services) -> Result<(), sqlx::Error> {
        staff::close_session(&services.db, &self.token_hash).await
    }
}

/// A fresh token: 32 bytes from the CSPRNG, hex.
pub fn new_token(services: &Services) -> String {
    hex::encode(random_bytes(&services.rng, 32))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(format!("reset-staff-session:{token}")))
}

/// Opens a session for `staff_id`; its token.
pub async fn open(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    staff_id: i64,
    second_factor: bool,
) -> Result<String, sqlx::Error> {
    let token = new_token(services);
    let now_ms = ms(services.clock.now());
    staff::open_session(conn, &token_hash(&token), staff_id, second_factor, now_ms).await?;
    Ok(token)
}

/// The live session of `token`, touched; an expired one is deleted and reads as none.
pub async fn find(services: &Services, token: &str) -> BankResult<Option<SignedIn>> {
    let hash = token_hash(token);
    let Some(row) = staff::session(&services.db, &hash).await? else {
        return Ok(None);
    };
    let now_ms = ms(services.clock.now());
    let cfg = &services.settings.staff;
    let idle_over = now_ms - row.last_seen_at >= (cfg.idle_s as i64) * 1000;
    let absolute_over = now_ms - row.created_at >= (cfg.absolute_s as i64) * 1000;
    let (false, false, Some(role)) = (idle_over, absolute_over, StaffRole::parse(&row.role)) else {
        staff::close_session(&services.db, &hash).await?;
        return Ok(None);
    };
    if now_ms - row.last_seen_at >= TOUCH_EVERY_MS {
        staff::touch_session(&services.db, &hash, now_ms).await?;
    }
    Ok(Some(SignedIn {
        staff_id: row.staff_id,
        username: row.username,
        role,
        second_factor: row.second_factor,
        token_hash: hash,
    }))
}

/// Drops sessions past their absolute lifetime; run at each sign-in, so the table stays small.
pub async fn prune(services: &Services, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    let oldest = ms(services.clock.now()) - (services.settings.staff.absolute_s as i64) * 1000;
    staff::prune_sessions(conn, oldest).await
}
