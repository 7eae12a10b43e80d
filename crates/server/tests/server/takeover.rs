//! An attacker's scripts against the reset: a stranger who knows an ID number and a name (or
//! only the number), with many addresses and a script. Each test is one way into someone else's
//! account or one way to deny them their reset; each must get nothing: no code that works, no
//! answer, counter or state that differs between a customer and a stranger.

use reset_bank::review::{decide, Decision, StaffActor};
use reset_flow::resident_id::check_char;
use reset_flow::wire::ChallengePrompt;
use reset_testkit::pictures::{face_answer, face_frame_doing, plain_jpeg};
use reset_testkit::{TestServer, CONTACT_PHONE, PATH_B_PASSWORD};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::Duration;

use crate::{LI, ZHANG};

/// A phone that belongs to nobody in the demo data.
const OTHER_PHONE: &str = "13900000009";

/// A valid 身份证 number (right check digit) that no customer has: born on `day` of 1990.
fn stranger_id(day: u32) -> String {
    let first17 = format!("110101199001{:02}{:03}", day % 28 + 1, 100 + day);
    let check = check_char(first17.as_bytes()).expect("17 digits");
    format!("{first17}{check}")
}

async fn send_code(s: &TestServer, flow: &str, phone: &str) -> (u16, Value) {
    s.post(&format!("/v1/resets/{flow}/sms"), json!({ "phone": phone }))
        .await
}

async fn verify(s: &TestServer, flow: &str, code: &str) -> (u16, Value) {
    s.post(
        &format!("/v1/resets/{flow}/sms/verify"),
        json!({ "code": code }),
    )
    .await
}

async fn stored_code_hash(s: &TestServer, flow: &str) -> String {
    sqlx::query_scalar::<_, Option<String>>("SELECT code_hash FROM flows WHERE id = $1")
        .bind(flow)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
        .expect("a code is in force")
}

// Finding 1: a code asked for a phone that is not the reserved one was stored as a live code;
// an attacker who guessed it (or read it from a database copy) set the customer's password.
// Now nothing any code could match is stored, and the answer is the reserved phone's.
both!(a_code_for_another_phone_never_verifies);
async fn a_code_for_another_phone_never_verifies(s: TestServer) {
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, other) = send_code(&s, &flow, OTHER_PHONE).await;
    assert_eq!(st, 202, "{other}");
    let stored = hex::decode(stored_code_hash(&s, &flow).await).unwrap();
    // Every one of the million codes, as the server hashes them: none matches.
    let matching = (0..1_000_000u32).find(|n| {
        let digest = Sha256::digest(format!("reset-code:{flow}:{n:06}"));
        digest.as_slice() == stored.as_slice()
    });
    assert_eq!(matching, None, "a code for {OTHER_PHONE} would verify");
    assert!(s.sms_to(OTHER_PHONE).await.is_empty());
    let (st, b) = verify(&s, &flow, "000000").await;
    assert_eq!((st, &b["code"]), (422, &json!("bad_code")));

    // The same answer as for the reserved phone, on a flow of its own.
    let s2 = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, reserved) = send_code(&s, &s2, ZHANG.2).await;
    assert_eq!((st, &reserved), (202, &other));
    // And only the reserved phone's code moves a flow on.
    let code = s
        .last_code(ZHANG.2)
        .await
        .expect("sent to the reserved phone");
    let (st, b) = verify(&s, &s2, &code).await;
    assert_eq!((st, &b["step"]), (200, &json!("new_password")));
}

/// One attacker's script against one ID: 15 fresh flows, each with a phone of its own, 5 wrong
/// codes each. The answers, in order.
async fn guessing_script(s: &TestServer, id_number: &str, name: &str) -> Vec<(u16, Value)> {
    let mut answers = Vec::new();
    for i in 0..15 {
        let flow = s.start_reset(id_number, name).await;
        let (st, b) = send_code(s, &flow, &format!("1390000{:04}", 100 + i)).await;
        answers.push((st, b["code"].clone()));
        for guess in 0..5 {
            let (st, b) = verify(s, &flow, &format!("{:06}", 100_000 + guess)).await;
            answers.push((st, b["code"].clone()));
        }
    }
    answers
}

// Finding 2: fresh flows gave fresh codes and fresh tries without end. Now an ID gets
// `codes_per_id_per_day` codes and `wrong_codes_per_id_per_day` judged guesses a Beijing day,
// whoever asks and from wherever, with the same answers for a customer and a stranger.
both!(an_id_is_bounded_however_many_flows_and_addresses);
async fn an_id_is_bounded_however_many_flows_and_addresses(s: TestServer) {
    let policy = s.state.settings.policy.clone();
    let customer = guessing_script(&s, ZHANG.0, ZHANG.1).await;
    let stranger = guessing_script(&s, &stranger_id(3), "钱七").await;
    assert_eq!(
        customer, stranger,
        "a customer's ID answers like a stranger's"
    );
    let count = |code: &str| customer.iter().filter(|(_, c)| c == code).count();
    let judged = count("bad_code") + count("code_burnt");
    assert_eq!(judged, policy.wrong_codes_per_id_per_day as usize);
    let sends_accepted = customer
        .iter()
        .step_by(6)
        .filter(|(st, _)| *st == 202)
        .count();
    assert_eq!(sends_accepted, policy.codes_per_id_per_day as usize);
    assert!(count("too_many") > 0);
    // Many addresses change nothing: the bound is the ID's.
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = s
        .client
        .post(s.url(&format!("/v1/resets/{flow}/sms")))
        .header("x-forwarded-for", "203.0.113.77")
        .json(&json!({ "phone": ZHANG.2 }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    let body: Value = b.json().await.unwrap();
    assert_eq!((st, &body["code"]), (429, &json!("too_many")));
    // The next Beijing day the customer can reset again.
    s.clock.advance(Duration::days(1));
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = send_code(&s, &flow, ZHANG.2).await;
    assert_eq!(st, 202, "{b}");
}

// Finding 3: a guess was compared with the code before its try was counted, so racing guesses
// were all judged. Now each takes a try first: of 64 racing guesses, the right one among
// them, at most `code_max_wrong` are ever judged.
both!(racing_guesses_judge_no_more_than_the_tries);
async fn racing_guesses_judge_no_more_than_the_tries(s: TestServer) {
    let max = i64::from(s.state.settings.policy.code_max_wrong);
    for round in 0..3 {
        let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
        s.clock.advance(Duration::minutes(2));
        let (st, b) = send_code(&s, &flow, ZHANG.2).await;
        assert_eq!(st, 202, "{b}");
        let code = s.last_code(ZHANG.2).await.unwrap();
        let right: u32 = code.parse().unwrap();
        let mut guesses: Vec<String> = (1..64u32)
            .map(|i| format!("{:06}", (right + i) % 1_000_000))
            .collect();
        guesses.push(code.clone());
        let mut calls = tokio::task::JoinSet::new();
        for guess in guesses {
            let (client, url) = (
                s.client.clone(),
                s.url(&format!("/v1/resets/{flow}/sms/verify")),
            );
            calls.spawn(async move {
                let r = client
                    .post(url)
                    .json(&json!({ "code": guess }))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            });
        }
        let answers = calls.join_all().await;
        let verified = answers.iter().filter(|(st, _)| *st == 200).count() as i64;
        let wrong_judged: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE flow_id = $1 AND event = 'code_wrong'",
        )
        .bind(&flow)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
        assert!(
            verified + wrong_judged <= max,
            "round {round}: {verified} verified and {wrong_judged} judged wrong of 64"
        );
        // The rest found the code's tries or the ID's allowance for the day used up.
        let refusals = ["bad_code", "code_burnt", "too_many"];
        assert!(answers.iter().all(
            |(st, b)| *st == 200 || refusals.contains(&b["code"].as_str().unwrap_or_default())
        ));
        // A day's allowance is not what this test is about.
        s.clock.advance(Duration::days(1));
    }
}

// The gate itself: 64 racing takes of a code's tries, exactly `max` succeed.
both!(a_codes_tries_are_taken_atomically);
async fn a_codes_tries_are_taken_atomically(s: TestServer) {
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    send_code(&s, &flow, ZHANG.2).await;
    let stored = stored_code_hash(&s, &flow).await;
    let mut takes = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (db, flow, stored) = (s.state.db.clone(), flow.clone(), stored.clone());
        takes.spawn(async move {
            let mut conn = db.writer.acquire().await.unwrap();
            reset_bank::store::flows::take_code_try(&mut conn, &flow, &stored, 5)
                .await
                .unwrap()
        });
    }
    let mut got: Vec<i64> = takes.join_all().await.into_iter().flatten().collect();
    got.sort_unstable();
    assert_eq!(got, vec![1, 2, 3, 4, 5]);
}

// Finding 12, first half: typing only a victim's ID number (any name) replaced the victim's
// live flow. Now only a start with the same ID and name replaces it.
both!(a_stranger_with_only_the_id_number_cannot_end_a_flow);
async fn a_stranger_with_only_the_id_number_cannot_end_a_flow(s: TestServer) {
    let victim = s.start_reset(ZHANG.0, ZHANG.1).await;
    for name in ["李四", "张四", "ZHANG SAN"] {
        let (st, b) = s
            .post(
                "/v1/resets",
                json!({"id_type": "id_card", "id_number": ZHANG.0, "name": name}),
            )
            .await;
        assert_eq!(st, 201, "{b}");
    }
    let (st, b) = s.get(&format!("/v1/resets/{victim}")).await;
    assert_eq!((st, &b["step"]), (200, &json!("reserved_phone")), "{b}");
    let (st, b) = send_code(&s, &victim, ZHANG.2).await;
    assert_eq!(st, 202, "{b}");
    // The customer's own new start (same ID and name) still takes over, as before.
    s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = s.get(&format!("/v1/resets/{victim}")).await;
    assert_eq!((st, &b["code"]), (410, &json!("flow_replaced")));
}

// Finding 12, second half: a victim's phone typed into flows of other IDs used up its daily
// allowance without a message being sent. Now only codes really sent count.
both!(codes_never_sent_do_not_use_up_a_phone);
async fn codes_never_sent_do_not_use_up_a_phone(s: TestServer) {
    let cap = s.state.settings.policy.codes_per_phone_per_day;
    for i in 0..cap + 2 {
        let flow = s.start_reset(&stranger_id(i), "钱七").await;
        let (st, b) = send_code(&s, &flow, ZHANG.2).await;
        assert_eq!(st, 202, "{b}");
    }
    assert!(s.sms_to(ZHANG.2).await.is_empty());
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = send_code(&s, &flow, ZHANG.2).await;
    assert_eq!(st, 202, "{b}");
    assert!(s.last_code(ZHANG.2).await.is_some());
}

/// The path-B flow of `who` at the new-password step, with [`CONTACT_PHONE`] proven.
async fn path_b_at_new_password(s: &TestServer, who: (&str, &str)) -> String {
    let flow = s.path_b_to_contact_phone(who.0, who.1).await;
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/contact/sms"),
            json!({ "phone": CONTACT_PHONE }),
        )
        .await;
    assert_eq!(st, 202, "{b}");
    let code = s.last_code(CONTACT_PHONE).await.unwrap();
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/contact/verify"),
            json!({ "code": code }),
        )
        .await;
    assert_eq!((st, &b["step"]), (200, &json!("new_password")), "{b}");
    flow
}

// Finding 5: path B's password rule included the reserved phone, so `contains_phone` for
// `Aa!<candidate>` confirmed a guessed phone. Now the rule uses only what the requester typed.
both!(path_b_password_rule_does_not_confirm_the_reserved_phone);
async fn path_b_password_rule_does_not_confirm_the_reserved_phone(s: TestServer) {
    let flow = path_b_at_new_password(&s, (ZHANG.0, ZHANG.1)).await;
    let mut answers = Vec::new();
    for candidate in [ZHANG.2, OTHER_PHONE] {
        // Too long on purpose, so the flow stays where it is for the next candidate.
        let (st, b) = s
            .post(
                &format!("/v1/resets/{flow}/password"),
                json!({ "password": format!("Aa!{candidate}xxxxxx") }),
            )
            .await;
        assert_eq!((st, &b["code"]), (422, &json!("weak_password")));
        answers.push(b["broken_rules"].clone());
    }
    assert_eq!(answers[0], answers[1]);
    // What the requester typed still counts: the contact phone is refused.
    let (_, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({ "password": format!("Aa!{CONTACT_PHONE}") }),
        )
        .await;
    assert!(
        b["broken_rules"].to_string().contains("contains_phone"),
        "{b}"
    );
}

// Finding 6: a phone-unavailable case was silent to the account's owner. Now the reserved
// phone hears when one is submitted and when it is approved.
both!(path_b_tells_the_owner_on_submission_and_approval);
async fn path_b_tells_the_owner_on_submission_and_approval(s: TestServer) {
    let flow = path_b_at_new_password(&s, (ZHANG.0, ZHANG.1)).await;
    assert!(s.sms_to(ZHANG.2).await.is_empty());
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/password"),
            json!({ "password": PATH_B_PASSWORD }),
        )
        .await;
    assert_eq!((st, &b["step"]), (200, &json!("under_review")), "{b}");
    let owner = s.sms_to(ZHANG.2).await;
    assert_eq!(owner.len(), 1, "{owner:?}");
    assert!(
        owner[0].contains("如非本人操作请立即致电95379"),
        "{owner:?}"
    );
    let case: String = sqlx::query_scalar("SELECT id FROM review_cases WHERE flow_id = $1")
        .bind(&flow)
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    crate::staff_login::add_staff(&s).await;
    let staff_id: i64 = sqlx::query_scalar("SELECT id FROM staff WHERE role = 'reviewer'")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap();
    let actor = StaffActor {
        staff_id,
        username: "wangfang".into(),
    };
    decide(&s.state, &actor, &case, Decision::Approve)
        .await
        .unwrap();
    let owner = s.sms_to(ZHANG.2).await;
    assert_eq!(owner.len(), 2, "{owner:?}");
    assert!(owner[1].contains("审核通过") && owner[1].contains("如非本人操作"));
}

// Finding 8, its bound: phone-unavailable cases could be opened again at once, without limit.
// Now an ID opens `cases_per_id_per_30_days` in any 30 days, customer or stranger alike.
both!(phone_unavailable_cases_per_id_are_bounded);
async fn phone_unavailable_cases_per_id_are_bounded(s: TestServer) {
    let cap = s.state.settings.policy.cases_per_id_per_30_days;
    let stranger = stranger_id(9);
    let mut answers: Vec<Vec<(u16, Value)>> = Vec::new();
    for (id, name) in [(ZHANG.0, ZHANG.1), (stranger.as_str(), "钱七")] {
        let mut mine = Vec::new();
        for _ in 0..cap + 1 {
            let flow = s.start_reset(id, name).await;
            let (st, b) = s
                .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
                .await;
            mine.push((st, b["code"].clone()));
        }
        answers.push(mine);
    }
    assert_eq!(answers[0], answers[1]);
    let last = answers[0].last().unwrap();
    assert_eq!(last, &(429, json!("too_many")));
    assert!(answers[0][..cap as usize].iter().all(|(st, _)| *st == 200));
    s.clock.advance(Duration::days(30));
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = s
        .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
        .await;
    assert_eq!((st, &b["step"]), (200, &json!("face")), "{b}");
}

async fn evidence_rows(s: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM evidence")
        .fetch_one(&s.state.db.pool)
        .await
        .unwrap()
}

// Finding 7: the prompts and their timings came from the client and the server only counted
// faces, so a still photo and a made-up record passed. Now the server issues the challenge and
// sees the movement on the frames itself.
both!(the_face_check_answers_only_the_servers_challenge);
async fn the_face_check_answers_only_the_servers_challenge(s: TestServer) {
    let flow = s.start_path_b(ZHANG.0, ZHANG.1).await;
    let failed = (422, Some("challenge_failed"));
    let code = |b: &Value| b["code"].as_str().map(str::to_owned);

    // A record the server never issued.
    let (frames, mut made_up) = face_answer(&s.face_challenge(&flow).await);
    made_up.challenge_id = "0123456789abcdef0123456789abcdef".into();
    let (st, b) = s.post_face(&flow, &frames, &made_up).await;
    assert_eq!((st, code(&b).as_deref()), failed);
    made_up.challenge_id = String::new();
    let (st, b) = s.post_face(&flow, &frames, &made_up).await;
    assert_eq!((st, code(&b).as_deref()), failed);

    // A still photo: every frame the face at rest.
    let challenge = s.face_challenge(&flow).await;
    let (frames, record) = face_answer(&challenge);
    let still = vec![face_frame_doing(None); frames.len()];
    let (st, b) = s.post_face(&flow, &still, &record).await;
    assert_eq!((st, code(&b).as_deref()), failed, "{b}");
    // The same challenge again, now with frames that move: it was answered already.
    let (st, b) = s.post_face(&flow, &frames, &record).await;
    assert_eq!((st, code(&b).as_deref()), failed, "a replay");

    // The issued prompts in another order, or other prompts.
    let challenge = s.face_challenge(&flow).await;
    let (_, record) = face_answer(&challenge);
    let mut swapped = challenge.clone();
    swapped.prompts.reverse();
    let (frames, mut reordered) = face_answer(&swapped);
    reordered.challenge_id = record.challenge_id.clone();
    let (st, b) = s.post_face(&flow, &frames, &reordered).await;
    assert_eq!((st, code(&b).as_deref()), failed);

    // Movement the wrong way: a left turn shown for a right one and so on.
    let challenge = s.face_challenge(&flow).await;
    let (mut frames, record) = face_answer(&challenge);
    for (i, prompt) in challenge.prompts.iter().enumerate() {
        let opposite = match prompt {
            ChallengePrompt::TurnLeft => ChallengePrompt::TurnRight,
            ChallengePrompt::TurnRight => ChallengePrompt::TurnLeft,
            ChallengePrompt::ComeCloser => ChallengePrompt::TurnLeft,
        };
        frames[i + 1] = face_frame_doing(Some(opposite));
    }
    let (st, b) = s.post_face(&flow, &frames, &record).await;
    assert_eq!((st, code(&b).as_deref()), failed);

    // Too late, or another flow's challenge.
    let late = s.face_challenge(&flow).await;
    s.clock.advance(Duration::seconds(
        s.state.evidence.settings.challenge_ttl_s as i64 + 1,
    ));
    let (frames, record) = face_answer(&late);
    let (st, b) = s.post_face(&flow, &frames, &record).await;
    assert_eq!((st, code(&b).as_deref()), failed, "expired");
    let other = s.start_path_b(&stranger_id(4), "钱七").await;
    let (frames, record) = face_answer(&s.face_challenge(&other).await);
    let (st, b) = s.post_face(&flow, &frames, &record).await;
    assert_eq!((st, code(&b).as_deref()), failed, "another flow's");

    // Nothing of this was kept; an honest answer to a fresh challenge passes.
    assert_eq!(evidence_rows(&s).await, 0);
    s.pass_face(&flow).await;
    assert!(evidence_rows(&s).await > 0);
}

// Asking for challenges without end is bounded per flow.
both!(face_challenges_per_flow_are_bounded);
async fn face_challenges_per_flow_are_bounded(s: TestServer) {
    let flow = s.start_path_b(ZHANG.0, ZHANG.1).await;
    let cap = s.state.evidence.settings.challenges_per_flow;
    for _ in 0..cap {
        s.face_challenge(&flow).await;
    }
    let (st, b) = s
        .post(&format!("/v1/resets/{flow}/face/challenge"), json!({}))
        .await;
    assert_eq!((st, &b["code"]), (429, &json!("too_many")));
}

// Finding 10, the cap: a picture larger than any the app uploads is refused from its header,
// before it is decoded.
both!(pictures_beyond_the_apps_size_are_refused_unread);
async fn pictures_beyond_the_apps_size_are_refused_unread(s: TestServer) {
    let flow = s.start_path_b(LI.0, LI.1).await;
    s.pass_face(&flow).await;
    let [_, back, handheld] = reset_testkit::pictures::id_pictures().clone();
    let (st, b) = s
        .post_parts(
            &format!("/v1/resets/{flow}/documents"),
            vec![
                ("id_front", plain_jpeg(2400, 1500)),
                ("id_back", back),
                ("handheld", handheld),
            ],
        )
        .await;
    assert_eq!(
        (st, b["code"].as_str(), b["reason"].as_str()),
        (422, Some("evidence_too_many_pixels"), Some("id_front"))
    );
}

// A stranger who knows only the ID number (and tries other names) cannot use up the owner's
// bounds: they are kept per ID and name, and only the right name can ever succeed.
both!(a_stranger_without_the_name_cannot_use_up_the_owners_bounds);
async fn a_stranger_without_the_name_cannot_use_up_the_owners_bounds(s: TestServer) {
    guessing_script(&s, ZHANG.0, "李四").await;
    for name in ["张四", "张五", "张六", "张七"] {
        let flow = s.start_reset(ZHANG.0, name).await;
        let (st, b) = s
            .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
            .await;
        assert_eq!(st, 200, "{b}");
    }
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = verify(&s, &flow, "000000").await;
    assert_eq!((st, &b["code"]), (422, &json!("code_not_sent")));
    let (st, b) = send_code(&s, &flow, ZHANG.2).await;
    assert_eq!(st, 202, "{b}");
    let code = s.last_code(ZHANG.2).await.unwrap();
    let (st, b) = verify(&s, &flow, &code).await;
    assert_eq!((st, &b["step"]), (200, &json!("new_password")), "{b}");
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = s
        .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
        .await;
    assert_eq!((st, &b["step"]), (200, &json!("face")), "{b}");
}

// A phone's contact allowance (codes always sent, to any phone) is apart from its reserved
// allowance: were it shared, filling it to one below the cap would let one request on a
// victim's flow tell whether the phone is the reserved one.
both!(contact_codes_do_not_spend_a_phones_reserved_allowance);
async fn contact_codes_do_not_spend_a_phones_reserved_allowance(s: TestServer) {
    let cap = s.state.settings.policy.codes_per_phone_per_day as usize;
    let mut sent = 0;
    let mut day = 10;
    while sent < cap {
        let flow = s.path_b_to_contact_phone(&stranger_id(day), "钱七").await;
        day += 1;
        for _ in 0..s.state.settings.policy.codes_per_flow {
            let (st, _) = s
                .post(
                    &format!("/v1/resets/{flow}/contact/sms"),
                    json!({ "phone": ZHANG.2 }),
                )
                .await;
            if st == 202 {
                sent += 1;
            }
            s.clock.advance(Duration::seconds(61));
        }
    }
    assert_eq!(s.sms_to(ZHANG.2).await.len(), cap);
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = send_code(&s, &flow, ZHANG.2).await;
    assert_eq!(st, 202, "{b}");
    assert_eq!(s.sms_to(ZHANG.2).await.len(), cap + 1);
}

// The same picture at two sizes is not "coming closer": the frames of one upload must be of
// one size, or the boxes compared across them mean nothing.
both!(frames_of_different_sizes_fail_the_challenge);
async fn frames_of_different_sizes_fail_the_challenge(s: TestServer) {
    let flow = s.start_path_b(ZHANG.0, ZHANG.1).await;
    let rest = image::load_from_memory(&face_frame_doing(None)).unwrap();
    let bigger = rest.resize(960, 720, image::imageops::FilterType::Triangle);
    let mut bigger_jpeg = Vec::new();
    bigger
        .to_rgb8()
        .write_to(
            &mut std::io::Cursor::new(&mut bigger_jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    for _ in 0..10 {
        let challenge = s.face_challenge(&flow).await;
        if !challenge.prompts.contains(&ChallengePrompt::ComeCloser) {
            continue;
        }
        let (mut frames, record) = face_answer(&challenge);
        let at = 1 + challenge
            .prompts
            .iter()
            .position(|p| *p == ChallengePrompt::ComeCloser)
            .unwrap();
        frames[at] = bigger_jpeg.clone();
        let (st, b) = s.post_face(&flow, &frames, &record).await;
        assert_eq!((st, &b["code"]), (422, &json!("challenge_failed")), "{b}");
        return;
    }
    panic!("no challenge asked to come closer in ten");
}

// Racing requests for challenges get no more than the flow's allowance.
both!(racing_challenge_requests_get_no_more_than_the_allowance);
async fn racing_challenge_requests_get_no_more_than_the_allowance(s: TestServer) {
    let flow = s.start_path_b(ZHANG.0, ZHANG.1).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (client, url) = (
            s.client.clone(),
            s.url(&format!("/v1/resets/{flow}/face/challenge")),
        );
        calls.spawn(async move {
            client
                .post(url)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let issued = calls
        .join_all()
        .await
        .iter()
        .filter(|st| **st == 200)
        .count();
    assert_eq!(
        issued,
        s.state.evidence.settings.challenges_per_flow as usize
    );
}

// Many customers asking for codes at once all get an answer: each code request's transaction
// writes first, so on SQLite none fails for having read before another wrote.
both!(concurrent_code_requests_all_succeed);
async fn concurrent_code_requests_all_succeed(s: TestServer) {
    let mut flows = Vec::new();
    for i in 0..32 {
        flows.push(s.start_reset(&stranger_id(40 + i), "钱七").await);
    }
    let mut calls = tokio::task::JoinSet::new();
    for (i, flow) in flows.into_iter().enumerate() {
        let (client, url) = (s.client.clone(), s.url(&format!("/v1/resets/{flow}/sms")));
        calls.spawn(async move {
            let r = client
                .post(url)
                .json(&json!({ "phone": format!("1370000{:04}", i) }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
    }
    for (st, body) in calls.join_all().await {
        assert_eq!(st, 202, "{body}");
    }
}

/// Holds a write lock on every row of `table` (PostgreSQL: row locks; SQLite: the one writer)
/// until the returned transaction ends.
async fn hold_rows(s: &TestServer, table: &str) -> sqlx::Transaction<'static, sqlx::Any> {
    let mut tx = s.state.db.pool.begin().await.unwrap();
    sqlx::query(&format!("UPDATE {table} SET count = count"))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Whether `call` is still waiting after 300 ms (it waits for a lock someone holds).
async fn still_waiting<F: std::future::Future>(call: &mut std::pin::Pin<Box<F>>) -> bool {
    tokio::time::timeout(std::time::Duration::from_millis(300), call.as_mut())
        .await
        .is_err()
}

// A stranger who keeps an allowance's row busy (on PostgreSQL, a locked row) must not learn
// from how long an answer takes what a different statement would tell: a right code waits
// for the ID's wrong-code allowance as a wrong one does, and a phone that is not the reserved
// one waits for the phone's allowance as the reserved one does.
both!(a_busy_allowance_holds_every_answer_alike);
async fn a_busy_allowance_holds_every_answer_alike(s: TestServer) {
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = send_code(&s, &flow, ZHANG.2).await;
    assert_eq!(st, 202, "{b}");
    let code = s.last_code(ZHANG.2).await.unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(verify(&s, &flow, &wrong).await.0, 422);

    // The right code, while the ID's allowance row is held.
    let held = hold_rows(&s, "id_quota").await;
    let mut right = Box::pin(verify(&s, &flow, &code));
    assert!(still_waiting(&mut right).await, "a right code waits too");
    held.commit().await.unwrap();
    assert_eq!(right.await.0, 200);

    // A phone that is not the reserved one, while its allowance row is held.
    let other = s.start_reset(ZHANG.0, ZHANG.1).await;
    assert_eq!(send_code(&s, &other, "13900009999").await.0, 202);
    s.clock.advance(Duration::minutes(2));
    let held = hold_rows(&s, "sms_quota").await;
    let mut not_sent = Box::pin(send_code(&s, &other, "13900009999"));
    assert!(
        still_waiting(&mut not_sent).await,
        "a code not sent waits too"
    );
    held.commit().await.unwrap();
    assert_eq!(not_sent.await.0, 202);
}
