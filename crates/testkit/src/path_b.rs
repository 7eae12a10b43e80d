//! Path B for tests: a flow driven over HTTP to `under_review` with generated pictures (for the
//! staff console's tests too), the multipart calls, and many cases inserted directly for
//! benchmarks of the queue.

use reqwest::multipart::{Form, Part};
use reset_flow::wire::{ChallengeRecord, FaceChallenge};
use serde_json::{json, Value};

use reset_bank::clock::Clock;

use reset_bank::rng::random_bytes;
use reset_bank::store::cases::{self, CaseRecord};
use reset_bank::store::ms;

use crate::pictures::{face_answer, id_pictures};
use crate::TestServer;

/// The contact phone test cases give (not a demo customer's reserved phone).
pub const CONTACT_PHONE: &str = "13912345678";
/// The new password test cases set.
pub const PATH_B_PASSWORD: &str = "Chunfeng#2026";

/// A submitted path-B case.
#[derive(Debug, Clone)]
pub struct PathBCase {
    pub flow_id: String,
    pub case_id: String,
    pub due_by: String,
}

impl TestServer {
    /// POSTs a multipart body of `(name, bytes)` parts; the status and the JSON answer.
    pub async fn post_parts(&self, path: &str, parts: Vec<(&str, Vec<u8>)>) -> (u16, Value) {
        let form = parts.into_iter().fold(Form::new(), |form, (name, bytes)| {
            let part = if name == "challenge" {
                Part::bytes(bytes)
            } else {
                Part::bytes(bytes).file_name(format!("{name}.jpg"))
            };
            form.part(name.to_owned(), part)
        });
        let resp = self
            .client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("post multipart");
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// `POST …/face` with `frames` and `record`.
    pub async fn post_face(
        &self,
        flow: &str,
        frames: &[Vec<u8>],
        record: &ChallengeRecord,
    ) -> (u16, Value) {
        let mut parts: Vec<(&str, Vec<u8>)> = frames.iter().map(|f| ("frame", f.clone())).collect();
        parts.push(("challenge", serde_json::to_vec(record).expect("record")));
        self.post_parts(&format!("/v1/resets/{flow}/face"), parts)
            .await
    }

    /// `POST …/documents` with the generated ID pictures.
    pub async fn post_documents(&self, flow: &str) -> (u16, Value) {
        self.post_documents_with_front(flow, id_pictures()[0].clone())
            .await
    }

    /// `POST …/documents` with `front` as the ID front and the generated back and handheld.
    pub async fn post_documents_with_front(&self, flow: &str, front: Vec<u8>) -> (u16, Value) {
        let [_, back, handheld] = id_pictures().clone();
        self.post_parts(
            &format!("/v1/resets/{flow}/documents"),
            vec![
                ("id_front", front),
                ("id_back", back),
                ("handheld", handheld),
            ],
        )
        .await
    }

    /// Starts a flow and taps 手机号不可用?: the flow id, at the face step.
    pub async fn start_path_b(&self, id_number: &str, name: &str) -> String {
        let flow = self.start_reset(id_number, name).await;
        let (s, b) = self
            .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
            .await;
        assert_eq!((s, b["step"].as_str()), (200, Some("face")), "{b}");
        flow
    }

    /// Starts a flow and runs path B up to the contact-phone step; the flow id.
    pub async fn path_b_to_contact_phone(&self, id_number: &str, name: &str) -> String {
        let flow = self.start_path_b(id_number, name).await;
        self.face_and_documents(&flow).await;
        flow
    }

    /// `POST …/face/challenge`: the prompts the server chose for the next attempt.
    pub async fn face_challenge(&self, flow: &str) -> FaceChallenge {
        let (s, b) = self
            .post(&format!("/v1/resets/{flow}/face/challenge"), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
        serde_json::from_value(b).expect("a face challenge")
    }

    /// From the face step: a challenge, answered by generated frames doing what it asks.
    pub async fn pass_face(&self, flow: &str) {
        let (frames, record) = face_answer(&self.face_challenge(flow).await);
        let (s, b) = self.post_face(flow, &frames, &record).await;
        assert_eq!((s, b["step"].as_str()), (200, Some("documents")), "{b}");
    }

    /// Runs path B to `under_review` with `front` as the uploaded ID front; the case id.
    pub async fn submit_path_b_case_with_front(
        &self,
        id_number: &str,
        name: &str,
        front: Vec<u8>,
    ) -> String {
        let flow = self.start_path_b(id_number, name).await;
        self.pass_face(&flow).await;
        let (s, b) = self.post_documents_with_front(&flow, front).await;
        assert_eq!((s, b["step"].as_str()), (200, Some("contact_phone")), "{b}");
        self.contact_and_password(&flow, CONTACT_PHONE, PATH_B_PASSWORD)
            .await
            .case_id
    }

    /// Waits (up to two minutes: the OCR is slow in debug builds) until the server has read
    /// the case's ID front; the case row then.
    pub async fn id_front_read(&self, case_id: &str) -> CaseRecord {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let case = cases::by_id(&self.state.db, case_id)
                .await
                .expect("case query")
                .expect("the case exists");
            if case.ocr_read_at.is_some() {
                return case;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the ID front of {case_id} was not read in time"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// From the face step: the generated face frames and ID pictures.
    pub async fn face_and_documents(&self, flow: &str) {
        self.pass_face(flow).await;
        let (s, b) = self.post_documents(flow).await;
        assert_eq!((s, b["step"].as_str()), (200, Some("contact_phone")), "{b}");
    }

    /// From the contact-phone step: `contact_phone` proven by its code, `password` pending.
    pub async fn contact_and_password(
        &self,
        flow: &str,
        contact_phone: &str,
        password: &str,
    ) -> PathBCase {
        let (s, b) = self
            .post(
                &format!("/v1/resets/{flow}/contact/sms"),
                json!({"phone": contact_phone}),
            )
            .await;
        assert_eq!(s, 202, "{b}");
        let code = self.last_code(contact_phone).await.expect("contact code");
        let case_id = self
            .contact_and_password_after_code(flow, &code, password)
            .await;
        let (_, status) = self.get(&format!("/v1/resets/{flow}")).await;
        PathBCase {
            flow_id: flow.to_owned(),
            case_id,
            due_by: status["due_by"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// With the contact code in hand: verify it, set `password`; the case id.
    pub async fn contact_and_password_after_code(
        &self,
        flow: &str,
        code: &str,
        password: &str,
    ) -> String {
        let (s, b) = self
            .post(
                &format!("/v1/resets/{flow}/contact/verify"),
                json!({"code": code}),
            )
            .await;
        assert_eq!((s, b["step"].as_str()), (200, Some("new_password")), "{b}");
        let (s, b) = self
            .post(
                &format!("/v1/resets/{flow}/password"),
                json!({"password": password}),
            )
            .await;
        assert_eq!((s, b["step"].as_str()), (200, Some("under_review")), "{b}");
        sqlx::query_scalar("SELECT id FROM review_cases WHERE flow_id = $1")
            .bind(flow)
            .fetch_one(&self.state.db.pool)
            .await
            .expect("case row")
    }

    /// From the face step to `under_review` with [`CONTACT_PHONE`] and [`PATH_B_PASSWORD`].
    pub async fn run_path_b_from(&self, flow: &str) -> PathBCase {
        self.face_and_documents(flow).await;
        self.contact_and_password(flow, CONTACT_PHONE, PATH_B_PASSWORD)
            .await
    }

    /// Runs path B to `under_review` over HTTP with generated pictures, `contact_phone` proven
    /// by its SMS code and `password` as the pending password.
    pub async fn run_path_b(
        &self,
        id_number: &str,
        name: &str,
        contact_phone: &str,
        password: &str,
    ) -> PathBCase {
        let flow = self.path_b_to_contact_phone(id_number, name).await;
        self.contact_and_password(&flow, contact_phone, password)
            .await
    }

    /// A pending case for a customer (e.g. a demo customer's ID and name), submitted over HTTP
    /// with [`CONTACT_PHONE`] and [`PATH_B_PASSWORD`]; its case id.
    pub async fn submit_path_b_case(&self, id_number: &str, name: &str) -> String {
        self.run_path_b(id_number, name, CONTACT_PHONE, PATH_B_PASSWORD)
            .await
            .case_id
    }

    /// `n` pending cases inserted directly (no pictures, no flows), for benchmarks of the
    /// queue; their ids. Due times spread over the next two days.
    pub async fn insert_pending_cases(&self, n: usize) -> Vec<String> {
        let now = ms(self.clock.now());
        let mut ids = Vec::with_capacity(n);
        let mut tx = self.state.db.pool.begin().await.expect("begin");
        for i in 0..n {
            let id = hex::encode(random_bytes(&self.state.rng, 16));
            sqlx::query(
                "INSERT INTO review_cases (id, flow_id, id_key, customer_id, state, id_type, id_number, name, \
                 contact_phone, pending_password_hash, key_id, wrapped_key, created_at, updated_at, \
                 submitted_at, due_at) VALUES ($1, $2, $3, NULL, 'pending', 'passport', $4, 'BENCH CASE', \
                 $5, 'none', 'test', NULL, $6, $6, $6, $7)",
            )
            .bind(&id)
            .bind(format!("bench-flow-{id}"))
            .bind(format!("bench-key-{id}"))
            .bind(format!("E{:08}", i % 100_000_000))
            .bind(CONTACT_PHONE)
            .bind(now - i as i64)
            .bind(now + ((i * 7919) % 172_800_000) as i64)
            .execute(&mut *tx)
            .await
            .expect("insert case");
            ids.push(id);
        }
        tx.commit().await.expect("commit");
        ids
    }
}
