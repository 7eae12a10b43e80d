//! The client of the reset server's HTTP API. Every failure comes back as the API's own
//! `ErrorBody`, so the app and the UI handle one error shape whatever went wrong.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reset_flow::wire::{ChallengeRecord, FaceChallenge};
use reset_flow::wire::{
    CodeRequest, CodeSentResponse, DevSmsList, ErrorBody, FlowStatus, LoginRequest, LoginResponse,
    PasswordRequest, PasswordResponse, PhoneRequest, StartResetRequest, StartResetResponse,
    StepResponse,
};
use reset_flow::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Pauses before the second and third try of a request that may be repeated.
const BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(800)];

/// A JPEG part of an upload.
fn jpeg_part(jpeg: Vec<u8>, file_name: &str) -> Part {
    Part::bytes(jpeg)
        .file_name(file_name.to_owned())
        .mime_str("image/jpeg")
        .expect("a valid mime type")
}

/// Which phone a code is for: the reserved phone (path A) or the contact phone (path B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    Reserved,
    Contact,
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
}

impl ApiClient {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`); `timeout` for one
    /// request, `None` for the default (15 s).
    pub fn new(base: &str, timeout: Option<Duration>) -> Result<ApiClient, ErrorBody> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout.unwrap_or(REQUEST_TIMEOUT))
            .build()
            .map_err(|_| ErrorBody::new(ErrorCode::Internal))?;
        Ok(ApiClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether the server answers at all (its load balancer's probe): asked at start, so a
    /// customer learns of an unreachable server before typing anything.
    pub async fn reach(&self) -> Result<(), ErrorBody> {
        let url = format!("{}/healthz", self.base);
        let r = self.send_raw(|| self.http.get(&url), true).await?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(ErrorBody::new(ErrorCode::ServiceUnavailable))
        }
    }

    pub async fn login(&self, req: &LoginRequest) -> Result<LoginResponse, ErrorBody> {
        self.post("/v1/login", req).await
    }

    pub async fn start_reset(
        &self,
        req: &StartResetRequest,
    ) -> Result<StartResetResponse, ErrorBody> {
        self.post("/v1/resets", req).await
    }

    pub async fn request_code(
        &self,
        flow: &str,
        kind: PhoneKind,
        req: &PhoneRequest,
    ) -> Result<CodeSentResponse, ErrorBody> {
        let path = match kind {
            PhoneKind::Reserved => format!("/v1/resets/{flow}/sms"),
            PhoneKind::Contact => format!("/v1/resets/{flow}/contact/sms"),
        };
        self.post(&path, req).await
    }

    pub async fn verify_code(
        &self,
        flow: &str,
        kind: PhoneKind,
        req: &CodeRequest,
    ) -> Result<StepResponse, ErrorBody> {
        let path = match kind {
            PhoneKind::Reserved => format!("/v1/resets/{flow}/sms/verify"),
            PhoneKind::Contact => format!("/v1/resets/{flow}/contact/verify"),
        };
        self.post(&path, req).await
    }

    pub async fn phone_unavailable(&self, flow: &str) -> Result<StepResponse, ErrorBody> {
        self.post(
            &format!("/v1/resets/{flow}/phone-unavailable"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn set_password(
        &self,
        flow: &str,
        req: &PasswordRequest,
    ) -> Result<PasswordResponse, ErrorBody> {
        self.post(&format!("/v1/resets/{flow}/password"), req).await
    }

    /// `POST /v1/resets/{id}/face/challenge`: the prompts for the next face check attempt.
    pub async fn face_challenge(&self, flow: &str) -> Result<FaceChallenge, ErrorBody> {
        self.post(
            &format!("/v1/resets/{flow}/face/challenge"),
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST /v1/resets/{id}/face`: the frames of a passed face check and its record.
    pub async fn submit_face(
        &self,
        flow: &str,
        record: &ChallengeRecord,
        frames: Vec<Vec<u8>>,
    ) -> Result<StepResponse, ErrorBody> {
        let record =
            serde_json::to_string(record).map_err(|_| ErrorBody::new(ErrorCode::Internal))?;
        let url = format!("{}/v1/resets/{flow}/face", self.base);
        let form = || {
            let mut form = Form::new();
            for (i, jpeg) in frames.iter().enumerate() {
                form = form.part("frame", jpeg_part(jpeg.clone(), &format!("frame-{i}.jpg")));
            }
            form.part(
                "challenge",
                Part::text(record.clone())
                    .mime_str("application/json")
                    .expect("a valid mime type"),
            )
        };
        self.send(|| self.http.post(&url).multipart(form()), false)
            .await
    }

    /// `POST /v1/resets/{id}/documents`: `(part name, JPEG)` for id_front, id_back, handheld.
    pub async fn submit_documents(
        &self,
        flow: &str,
        parts: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<StepResponse, ErrorBody> {
        let url = format!("{}/v1/resets/{flow}/documents", self.base);
        let form = || {
            parts.iter().fold(Form::new(), |form, (name, jpeg)| {
                form.part(*name, jpeg_part(jpeg.clone(), &format!("{name}.jpg")))
            })
        };
        self.send(|| self.http.post(&url).multipart(form()), false)
            .await
    }

    pub async fn status(&self, flow: &str) -> Result<FlowStatus, ErrorBody> {
        self.get(&format!("/v1/resets/{flow}")).await
    }

    /// [`status`](Self::status) asked once, without the retries of a read: for settling a
    /// request whose answer was lost, where the customer has waited one timeout already.
    pub async fn status_once(&self, flow: &str) -> Result<FlowStatus, ErrorBody> {
        let url = format!("{}/v1/resets/{flow}", self.base);
        self.send(|| self.http.get(&url), false).await
    }

    /// The development gateway's messages to `phone`; refused by a real server.
    pub async fn dev_sms(&self, phone: &str) -> Result<DevSmsList, ErrorBody> {
        let url = format!("{}/v1/dev/sms", self.base);
        self.send(|| self.http.get(&url).query(&[("phone", phone)]), true)
            .await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ErrorBody> {
        let url = format!("{}{path}", self.base);
        self.send(|| self.http.post(&url).json(body), false).await
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, ErrorBody> {
        let url = format!("{}{path}", self.base);
        self.send(|| self.http.get(&url), true).await
    }

    /// Send with retries only where they are safe: any request whose connection was refused
    /// (it never reached the server), and reads (`idempotent`) that timed out or met a 5xx.
    async fn send<R: DeserializeOwned>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<R, ErrorBody> {
        let r = self.send_raw(request, idempotent).await?;
        if r.status().is_success() {
            return r
                .json::<R>()
                .await
                .map_err(|_| ErrorBody::new(ErrorCode::ServiceUnavailable));
        }
        let status = r.status();
        Err(r.json::<ErrorBody>().await.unwrap_or_else(|_| {
            ErrorBody::new(if status.as_u16() == 404 {
                ErrorCode::NotFound
            } else {
                ErrorCode::ServiceUnavailable
            })
        }))
    }

    /// [`send`](Self::send) up to the server's answer, whatever its status.
    async fn send_raw(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<reqwest::Response, ErrorBody> {
        // A build that names no server sends nothing anywhere.
        if self.base.is_empty() {
            return Err(ErrorBody::new(ErrorCode::NoServer));
        }
        let mut attempt = 0;
        loop {
            let outcome = request().send().await;
            let retry = match &outcome {
                Err(e) => e.is_connect() || (idempotent && e.is_timeout()),
                Ok(r) => idempotent && r.status().is_server_error(),
            };
            if retry && attempt < BACKOFF.len() {
                tokio::time::sleep(BACKOFF[attempt]).await;
                attempt += 1;
                continue;
            }
            return match outcome {
                Err(e) if e.is_connect() => Err(ErrorBody::new(ErrorCode::Offline)),
                // Sent but unanswered: the core reads the flow's state before saying anything.
                Err(e) if e.is_timeout() => Err(ErrorBody::new(ErrorCode::TimedOut)),
                Err(_) => Err(ErrorBody::new(ErrorCode::ServiceUnavailable)),
                Ok(r) => Ok(r),
            };
        }
    }
}
