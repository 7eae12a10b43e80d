//! A staff member's browser for tests and benchmarks: keeps the
//! console's cookies, reads the CSRF token from each page's forms, never follows redirects.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};

/// One answer of the console.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect points, if it is one.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The `Set-Cookie` lines of this answer.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The value of the first hidden `csrf` field on the page.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let rest = &self.body[at..];
        Some(rest[..rest.find('"')?].to_owned())
    }
}

/// A browser of one staff member.
pub struct StaffClient {
    base: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Sent as `X-Forwarded-For`, as the bank's proxy would name this browser's address.
    pub forwarded_for: Option<String>,
}

impl StaffClient {
    pub fn new(base: &str) -> StaffClient {
        StaffClient {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            cookies: BTreeMap::new(),
            forwarded_for: None,
        }
    }

    fn proxy_headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(addr) = self.forwarded_for.as_deref().and_then(|a| a.parse().ok()) {
            h.insert("x-forwarded-for", addr);
        }
        h
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        for line in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                let cleared = line.to_ascii_lowercase().contains("max-age=0");
                if cleared || v.is_empty() {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies
                        .insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .headers(self.proxy_headers())
            .send()
            .await
            .expect("get");
        self.finish(resp).await
    }

    /// The raw bytes of a GET (pictures), with the status and content type.
    pub async fn get_bytes(&mut self, path: &str) -> (u16, HeaderMap, Vec<u8>) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("get");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default().to_vec();
        (status, headers, bytes)
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .headers(self.proxy_headers())
            .form(fields)
            .send()
            .await
            .expect("post");
        self.finish(resp).await
    }

    /// Opens the login page and submits it: the answer to the submit.
    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        self.login_with_code(username, password, "").await
    }

    /// Logs in with the authenticator's code too (a session that may approve).
    pub async fn login_with_code(&mut self, username: &str, password: &str, totp: &str) -> Page {
        let form = self.get("/staff/login").await;
        let csrf = form.csrf().unwrap_or_default();
        self.post_form(
            "/staff/login",
            &[
                ("username", username),
                ("password", password),
                ("totp", totp),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    /// The CSRF token of the console's forms, read from the queue page.
    pub async fn csrf(&mut self) -> String {
        self.get("/staff").await.csrf().expect("a logged-in page")
    }

    /// Decides a case through the case page's form; the answer.
    pub async fn decide(
        &mut self,
        case_id: &str,
        decision: &str,
        reason: &str,
        note: &str,
    ) -> Page {
        let csrf = self.csrf().await;
        self.post_form(
            &format!("/staff/cases/{case_id}/decision"),
            &[
                ("decision", decision),
                ("reason", reason),
                ("note", note),
                ("csrf", &csrf),
            ],
        )
        .await
    }
}
