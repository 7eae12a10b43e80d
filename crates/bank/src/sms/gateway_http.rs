//! The HTTP gateway: POSTs the configured template to the provider's URL with a timeout.
//! Retries with backoff are the outbox's job; this makes one attempt.

use std::time::Duration;

use super::SmsSettings;

#[derive(Clone)]
pub struct HttpGateway {
    client: reqwest::Client,
    url: String,
    template: String,
}

impl HttpGateway {
    pub fn new(settings: &SmsSettings) -> Result<HttpGateway, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.http_timeout_ms))
            .connect_timeout(Duration::from_millis(settings.http_timeout_ms))
            .build()?;
        Ok(HttpGateway {
            client,
            url: settings.http_url.clone(),
            template: settings.http_template.clone(),
        })
    }

    /// One delivery attempt; the error is safe to log (no phone, no text).
    pub async fn deliver(&self, to: &str, text: &str) -> Result<(), String> {
        let body = render(&self.template, to, text);
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("gateway unreachable: {}", e.without_url()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("gateway answered {}", resp.status()))
        }
    }
}

/// The template with `{to}` and `{text}` replaced by their JSON-escaped values.
pub fn render(template: &str, to: &str, text: &str) -> String {
    let esc = |s: &str| {
        let quoted = serde_json::to_string(s).unwrap_or_default();
        quoted[1..quoted.len().saturating_sub(1).max(1)].to_owned()
    };
    template
        .replace("{to}", &esc(to))
        .replace("{text}", &esc(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_escapes_values() {
        let out = super::render(r#"{"m":"{to}","c":"{text}"}"#, "13800000001", "a\"b");
        assert_eq!(out, r#"{"m":"13800000001","c":"a\"b"}"#);
    }
}
