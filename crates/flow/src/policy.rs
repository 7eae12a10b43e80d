//! The tunable numbers of "Rules and defaults": limits, lifetimes and the review deadline. Pure
//! data with the bank's defaults; the server reads overrides from its configuration.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::lockout::LockoutRule;

/// Limits and lifetimes. Every field has the documented default and can be overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// How long an SMS code can be used.
    pub code_ttl_s: u64,
    /// Wrong entries that burn a code.
    pub code_max_wrong: u32,
    /// Wait before another code may be asked for (the 获取 countdown).
    pub resend_after_s: u64,
    /// Codes one flow may ask for, reserved and contact phone together.
    pub codes_per_flow: u32,
    /// Codes one phone may receive per day (Asia/Shanghai calendar day).
    pub codes_per_phone_per_day: u32,
    /// Idle time after which a path-A flow expires.
    pub flow_idle_s: u64,
    /// Idle time after which a path-B flow expires (longer: the customer is taking pictures).
    pub flow_idle_phone_unavailable_s: u64,
    /// Wrong login passwords in a row that lock the login.
    pub login_max_wrong: u32,
    /// Codes asked for one ID per Beijing day, over all its flows and both phones, customer or
    /// not: a stranger opening new flows gets no new codes past it.
    pub codes_per_id_per_day: u32,
    /// Wrong codes judged for one ID per Beijing day, over all its flows: the online guessing
    /// budget of the whole world against one ID (NIST SP 800-63B allows up to 100).
    pub wrong_codes_per_id_per_day: u32,
    /// Phone-unavailable cases one ID may open in any 30 days.
    pub cases_per_id_per_30_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            code_ttl_s: 5 * 60,
            code_max_wrong: 5,
            resend_after_s: 60,
            codes_per_flow: 5,
            codes_per_phone_per_day: 10,
            flow_idle_s: 15 * 60,
            flow_idle_phone_unavailable_s: 60 * 60,
            login_max_wrong: 5,
            codes_per_id_per_day: 10,
            wrong_codes_per_id_per_day: 20,
            cases_per_id_per_30_days: 3,
        }
    }
}

impl Policy {
    /// The customers' login lock: `login_max_wrong` wrong passwords in a row lock it until a
    /// completed reset lifts it.
    pub fn login_lockout(&self) -> LockoutRule {
        LockoutRule {
            max_failures: self.login_max_wrong,
            lock_ms: None,
        }
    }

    pub fn code_ttl(&self) -> Duration {
        secs(self.code_ttl_s)
    }
    pub fn resend_after(&self) -> Duration {
        secs(self.resend_after_s)
    }
}

pub(crate) fn secs(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX))
}

/// Beijing time, which has no daylight saving: the bank's calendar for days and deadlines.
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("valid offset"),
};

/// T+1: a case submitted at any time on day T is due by the end of day T+1, Beijing time.
pub fn review_due_by(submitted: OffsetDateTime) -> OffsetDateTime {
    let day = submitted
        .to_offset(BEIJING)
        .date()
        .next_day()
        .unwrap_or(submitted.date());
    day.with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
        .assume_offset(BEIJING)
}

/// The Beijing calendar day of an instant, for per-day caps.
pub fn bank_day(at: OffsetDateTime) -> time::Date {
    at.to_offset(BEIJING).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn defaults_match_the_design() {
        let p = Policy::default();
        assert_eq!(
            (p.code_ttl_s, p.code_max_wrong, p.resend_after_s),
            (300, 5, 60)
        );
        assert_eq!((p.codes_per_flow, p.codes_per_phone_per_day), (5, 10));
        assert_eq!(
            (
                p.flow_idle_s,
                p.flow_idle_phone_unavailable_s,
                p.login_max_wrong
            ),
            (900, 3600, 5)
        );
        assert_eq!(
            (
                p.codes_per_id_per_day,
                p.wrong_codes_per_id_per_day,
                p.cases_per_id_per_30_days
            ),
            (10, 20, 3)
        );
    }

    #[test]
    fn overrides_from_config_keep_other_defaults_and_refuse_typos() {
        let p: Policy = serde_json::from_str(r#"{"code_ttl_s": 120}"#).unwrap();
        assert_eq!(p.code_ttl_s, 120);
        assert_eq!(p.resend_after_s, 60);
        assert!(serde_json::from_str::<Policy>(r#"{"code_tll_s": 120}"#).is_err());
    }

    #[test]
    fn t_plus_one_is_end_of_next_beijing_day() {
        // 23:30 UTC on the 1st is 07:30 on the 2nd in Beijing: due end of the 3rd.
        assert_eq!(
            review_due_by(datetime!(2026-03-01 23:30 UTC)),
            datetime!(2026-03-03 23:59:59 +8)
        );
        assert_eq!(
            review_due_by(datetime!(2026-03-01 10:00 UTC)),
            datetime!(2026-03-02 23:59:59 +8)
        );
        assert_eq!(
            review_due_by(datetime!(2026-12-31 12:00 +8)),
            datetime!(2027-01-01 23:59:59 +8)
        );
        assert_eq!(
            bank_day(datetime!(2026-03-01 16:00 UTC)),
            time::macros::date!(2026 - 03 - 02)
        );
    }
}
