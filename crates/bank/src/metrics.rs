//! Prometheus metrics for `/metrics`: requests, SMS sent and failed, lockouts, codes burnt.
//! One registry per server, so servers in one test process do not mix their counts.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub sms_sent: Counter,
    pub sms_failed: Counter,
    pub lockouts: Counter,
    pub codes_burnt: Counter,
    pub codes_sent: Counter,
    pub resets_completed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("reset");
        let requests = Family::<RequestLabels, Counter>::default();
        let sms_sent = Counter::default();
        let sms_failed = Counter::default();
        let lockouts = Counter::default();
        let codes_burnt = Counter::default();
        let codes_sent = Counter::default();
        let resets_completed = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "sms_sent",
            "Text messages the gateway accepted",
            sms_sent.clone(),
        );
        registry.register(
            "sms_failed",
            "Failed SMS delivery attempts",
            sms_failed.clone(),
        );
        registry.register(
            "login_lockouts",
            "Logins locked after too many wrong passwords",
            lockouts.clone(),
        );
        registry.register(
            "codes_burnt",
            "SMS codes burnt by too many wrong entries",
            codes_burnt.clone(),
        );
        registry.register("codes_requested", "SMS codes requested", codes_sent.clone());
        registry.register(
            "resets_completed",
            "Password resets completed",
            resets_completed.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            sms_sent,
            sms_failed,
            lockouts,
            codes_burnt,
            codes_sent,
            resets_completed,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
