//! Server settings: defaults, then a TOML config file, then `RESET_*` environment variables
//! (nested keys with `__`, e.g. `RESET_POLICY__CODE_TTL_S=120`), then command-line flags.

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use reset_flow::{Bank, Policy};
use serde::{Deserialize, Serialize};

use crate::evidence::id_reader::OcrSettings;
use crate::evidence::EvidenceSettings;
use crate::hashing::HashingSettings;
use crate::limits::IpLimits;
use crate::sms::SmsSettings;
use crate::staff::settings::StaffSettings;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The customers' API.
    pub listen: String,
    /// The staff review console, for the bank's intranet; `off` to serve none here.
    pub staff_listen: String,
    /// The operators' endpoints (`/metrics`); `off` to serve none here.
    pub admin_listen: String,
    pub database_url: String,
    /// Development mode: the dev SMS inbox is readable and the demo customers are seeded.
    pub dev: bool,
    /// Database connections for reads (PostgreSQL: for everything). On SQLite at most two a
    /// core, and one more for every write.
    pub db_max_connections: u32,
    /// Request bodies above this many bytes are refused with `body_too_large`.
    pub max_body_bytes: usize,
    pub session_ttl_s: u64,
    /// The bank's own load balancers and proxies (CIDR networks, e.g. `10.0.0.0/8`): from
    /// them, and only from them, `X-Forwarded-For` names the caller.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub policy: Policy,
    pub hashing: HashingSettings,
    pub limits: IpLimits,
    /// Who the bank is (bank/bank.toml when built; `[bank]` here overrides any key).
    pub bank: Bank,
    pub sms: SmsSettings,
    /// Path B's pictures: caps, the vault's master keys, the folder, retention.
    pub evidence: EvidenceSettings,
    pub staff: StaffSettings,
    /// The server's reading of path B's ID fronts for the reviewer.
    pub ocr: OcrSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            staff_listen: "127.0.0.1:8081".into(),
            admin_listen: "127.0.0.1:9090".into(),
            database_url: "sqlite://reset.db".into(),
            dev: false,
            db_max_connections: 8,
            max_body_bytes: 16 * 1024,
            session_ttl_s: 30 * 60,
            trusted_proxies: Vec::new(),
            policy: Policy::default(),
            hashing: HashingSettings::default(),
            limits: IpLimits::default(),
            bank: Bank::default(),
            sms: SmsSettings::default(),
            evidence: EvidenceSettings::default(),
            staff: StaffSettings::default(),
            ocr: OcrSettings::default(),
        }
    }
}

/// Why a server refuses to start with these settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeSettings(pub String);

impl std::fmt::Display for UnsafeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnsafeSettings {}

/// Whether `addr` (`host:port`) can only be reached from this machine.
fn is_loopback(addr: &str) -> bool {
    if let Ok(a) = addr.parse::<std::net::SocketAddr>() {
        return a.ip().is_loopback();
    }
    addr.rsplit_once(':')
        .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
}

/// Whether a URL's host is this machine (`http://127.0.0.1:8014/…`, `http://localhost`).
fn loopback_url(url: &str) -> bool {
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or_default();
    is_loopback(host)
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host.eq_ignore_ascii_case("localhost")
}

fn served(addr: &str) -> bool {
    !(addr.trim().is_empty() || addr.trim().eq_ignore_ascii_case("off"))
}

impl Settings {
    /// The settings a production server must not run with, checked before it serves:
    /// - without `dev`, the `dev` SMS gateway (it keeps every code in a table) is refused;
    /// - `dev` (the dev SMS inbox on the API, the demo customers with their known password)
    ///   only on loopback addresses and SQLite, unless `dev_anywhere` says it was meant.
    pub fn refuse_unsafe(&self, dev_anywhere: bool) -> Result<(), UnsafeSettings> {
        if !self.dev && self.sms.gateway == crate::sms::GatewayKind::Dev {
            return Err(UnsafeSettings(
                "the dev SMS gateway keeps every code readable: set sms.gateway = \"http\" \
                 (RESET_SMS__GATEWAY=http) with the bank's SMS provider, or serve with --dev"
                    .into(),
            ));
        }
        let mark = crate::sms::outbox::MARK_WITHIN_MS;
        if self.sms.lease_ms <= self.sms.http_timeout_ms + mark {
            return Err(UnsafeSettings(format!(
                "sms.lease_ms ({}) must be longer than sms.http_timeout_ms ({}) and {mark} ms \
                 for marking it sent: a message whose lease ran out before it was marked could \
                 be claimed and sent again",
                self.sms.lease_ms, self.sms.http_timeout_ms
            )));
        }
        let s3 = &self.evidence.s3;
        if s3.allow_http && !dev_anywhere && !loopback_url(&s3.endpoint) {
            return Err(UnsafeSettings(format!(
                "evidence.s3.allow_http sends the pictures and the signed requests in clear: \
                 refused to {:?}, which is not this machine (add --dev-anywhere if that is meant)",
                s3.endpoint
            )));
        }
        if self.dev && !dev_anywhere {
            let addrs = [&self.listen, &self.staff_listen, &self.admin_listen];
            if let Some(addr) = addrs.iter().find(|a| served(a) && !is_loopback(a)) {
                return Err(UnsafeSettings(format!(
                    "--dev serves the dev SMS inbox and the demo customers: refused on {addr}, \
                     which is not a loopback address (add --dev-anywhere if that is meant)"
                )));
            }
            if !self.database_url.starts_with("sqlite:") {
                return Err(UnsafeSettings(
                    "--dev seeds the demo customers with a known password: refused on a \
                     PostgreSQL database (add --dev-anywhere if that is meant)"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// Staff cookies carry `Secure` except in development, where the console is plain HTTP
    /// on loopback.
    pub fn secure_staff_cookies(&self) -> bool {
        self.staff.secure_cookies || !self.dev
    }

    /// Defaults ← `config_file` ← `RESET_*` variables. Flags are applied by the caller.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig.merge(
            Env::prefixed("RESET_")
                .ignore(&["CONFIG", "LOG"])
                .split("__"),
        )
        .extract()
        .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::GatewayKind;

    fn dev() -> Settings {
        Settings {
            dev: true,
            ..Settings::default()
        }
    }

    /// Another bank is configuration: a `[bank]` table overrides the built-in identity key by
    /// key, and every text message then speaks in its name.
    #[test]
    fn a_bank_table_in_the_config_file_names_the_bank_in_the_texts() {
        let dir = std::env::temp_dir().join(format!("reset-bank-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("reset.toml");
        std::fs::write(
            &file,
            "[bank]\nsms_signature = \"【天山银行】\"\nhotline = \"96000\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(s.bank.sms_signature, "【天山银行】");
        assert_eq!(
            s.bank.short_name,
            Bank::default().short_name,
            "the rest kept"
        );
        let text = crate::sms::code_text(&s.bank, "123456", 300);
        assert!(text.starts_with("【天山银行】"), "{text}");
        let text = crate::sms::password_changed_text(&s.bank);
        assert!(text.contains("96000") && !text.contains("95379"), "{text}");
        let default = crate::sms::review_rejected_text(&Bank::default(), "照片不清晰");
        assert!(
            default.starts_with("【昆仑银行】") && default.contains("95379"),
            "{default}"
        );
    }

    #[test]
    fn production_refuses_the_dev_gateway() {
        let s = Settings::default();
        assert!(s.refuse_unsafe(false).is_err());
        let mut s = Settings::default();
        s.sms.gateway = GatewayKind::Http;
        assert_eq!(s.refuse_unsafe(false), Ok(()));
        assert!(s.secure_staff_cookies());
    }

    /// A lease that can run out during a gateway call would let a second worker send the
    /// same message.
    #[test]
    fn an_sms_lease_shorter_than_a_gateway_call_is_refused() {
        let mut s = dev();
        s.sms.http_timeout_ms = 5_000;
        s.sms.lease_ms = 10_000;
        let why = s.refuse_unsafe(false).unwrap_err();
        assert!(why.0.contains("sms.lease_ms"), "{}", why.0);
        s.sms.lease_ms = 10_001;
        assert_eq!(s.refuse_unsafe(false), Ok(()));
    }

    #[test]
    fn dev_stays_on_loopback_and_sqlite() {
        assert_eq!(dev().refuse_unsafe(false), Ok(()));
        assert!(!dev().secure_staff_cookies());
        for (listen, staff, admin) in [
            ("0.0.0.0:8080", "off", "off"),
            ("192.0.2.7:8080", "off", "off"),
            ("[::]:8080", "off", "off"),
            ("127.0.0.1:8080", "0.0.0.0:8081", "off"),
            ("127.0.0.1:8080", "off", "example.org:9090"),
        ] {
            let s = Settings {
                listen: listen.into(),
                staff_listen: staff.into(),
                admin_listen: admin.into(),
                ..dev()
            };
            assert!(s.refuse_unsafe(false).is_err(), "{listen} {staff} {admin}");
            assert_eq!(s.refuse_unsafe(true), Ok(()));
        }
        for ok in [
            "127.0.0.1:1",
            "[::1]:8080",
            "localhost:8080",
            "127.8.9.1:80",
        ] {
            let s = Settings {
                listen: ok.into(),
                ..dev()
            };
            assert_eq!(s.refuse_unsafe(false), Ok(()), "{ok}");
        }
        let pg = Settings {
            database_url: "postgres://db.bank/reset".into(),
            ..dev()
        };
        assert!(pg.refuse_unsafe(false).is_err());
        assert_eq!(pg.refuse_unsafe(true), Ok(()));

        // Plain HTTP to an object store only on this machine.
        for (endpoint, ok) in [
            ("http://127.0.0.1:8014", true),
            ("http://localhost:9000/", true),
            ("http://[::1]:9000", true),
            ("http://s3.bank.example", false),
            ("http://10.0.0.5:9000", false),
            ("http://127.0.0.1.evil.example", false),
        ] {
            let mut s = dev();
            s.evidence.s3.allow_http = true;
            s.evidence.s3.endpoint = endpoint.into();
            assert_eq!(s.refuse_unsafe(false).is_ok(), ok, "{endpoint}");
        }
    }
}
