//! `[staff]` settings: lockout, session lifetimes, cookies, paging.

use serde::{Deserialize, Serialize};

/// The staff side's settings: lockout, session lifetimes, cookies, paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSettings {
    /// Wrong passwords in a row from one address before the username is locked for it.
    pub max_wrong: u32,
    /// Wrong passwords in a row from all addresses together before the username is locked
    /// for everyone.
    pub max_wrong_everywhere: u32,
    /// The issuer an authenticator app shows beside the staff login.
    pub totp_issuer: String,
    /// How long a locked staff login stays locked.
    pub lock_s: u64,
    /// A session unused this long is over.
    pub idle_s: u64,
    /// A session is over this long after login, however busy.
    pub absolute_s: u64,
    /// Mark cookies `Secure` in development too (they always are otherwise: the console is
    /// served over TLS, directly or by a proxy).
    pub secure_cookies: bool,
    /// Cases per page of the queue.
    pub page_size: u32,
}

impl Default for StaffSettings {
    fn default() -> Self {
        StaffSettings {
            max_wrong: 5,
            max_wrong_everywhere: 50,
            totp_issuer: format!("{}审核台", reset_flow::Bank::default().short_name),
            lock_s: 15 * 60,
            idle_s: 15 * 60,
            absolute_s: 8 * 3600,
            secure_cookies: false,
            page_size: 20,
        }
    }
}
