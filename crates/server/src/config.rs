//! Server settings: defaults, then a TOML config file, then `RESET_*` environment variables
//! (nested keys with `__`, e.g. `RESET_POLICY__CODE_TTL_S=120`), then command-line flags.

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use reset_flow::Policy;
use serde::{Deserialize, Serialize};

use crate::evidence::id_reading::OcrSettings;
use crate::evidence::EvidenceSettings;
use crate::hashing::HashingSettings;
use crate::limits::IpLimits;
use crate::sms::SmsSettings;
use crate::staff::StaffSettings;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    /// Development mode: the dev SMS inbox is readable and the demo customers are seeded.
    pub dev: bool,
    pub db_max_connections: u32,
    /// Request bodies above this many bytes are refused with `body_too_large`.
    pub max_body_bytes: usize,
    pub session_ttl_s: u64,
    /// Behind a load balancer: take the client IP from the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    pub policy: Policy,
    pub hashing: HashingSettings,
    pub limits: IpLimits,
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
            database_url: "sqlite://reset.db".into(),
            dev: false,
            db_max_connections: 8,
            max_body_bytes: 16 * 1024,
            session_ttl_s: 30 * 60,
            trust_forwarded_for: false,
            policy: Policy::default(),
            hashing: HashingSettings::default(),
            limits: IpLimits::default(),
            sms: SmsSettings::default(),
            evidence: EvidenceSettings::default(),
            staff: StaffSettings::default(),
            ocr: OcrSettings::default(),
        }
    }
}

impl Settings {
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
