//! Path B's refusals: every kind of bad picture, bad challenge record, or call at the wrong step
//! gets its own code and changes nothing (step, rows, stored files, audit trail).

use reset_testkit::pictures::{
    empty_room, face_answer, header_claiming, id_pictures, plain_jpeg, two_faces, with_exif_gps,
    EXIF_MARKER,
};
use reset_testkit::TestServer;
use serde_json::{json, Value};

use crate::ZHANG;

/// Everything a refused call must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    step: Value,
    evidence_rows: i64,
    audit_rows: i64,
    files: usize,
}

async fn snapshot(s: &TestServer, flow: &str) -> Snapshot {
    let (_, b) = s.get(&format!("/v1/resets/{flow}")).await;
    let q = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&s.state.db.pool)
            .await
            .unwrap()
    };
    let files = s.sealed_objects().await.len();
    Snapshot {
        step: b["step"].clone(),
        evidence_rows: q("SELECT COUNT(*) FROM evidence").await,
        audit_rows: q("SELECT COUNT(*) FROM audit_events").await,
        files,
    }
}

async fn at_face(s: &TestServer) -> String {
    let flow = s.start_reset(ZHANG.0, ZHANG.1).await;
    let (st, b) = s
        .post(&format!("/v1/resets/{flow}/phone-unavailable"), json!({}))
        .await;
    assert_eq!(st, 200, "{b}");
    flow
}

fn png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// Documents with one part replaced (or dropped, with `None`).
fn documents_with(name: &str, bytes: Option<Vec<u8>>) -> Vec<(&'static str, Vec<u8>)> {
    let [front, back, handheld] = id_pictures().clone();
    [
        ("id_front", front),
        ("id_back", back),
        ("handheld", handheld),
    ]
    .into_iter()
    .filter_map(|(n, b)| {
        if n == name {
            bytes.clone().map(|x| (n, x))
        } else {
            Some((n, b))
        }
    })
    .collect()
}

both!(
    bad_pictures_are_refused_with_their_code_and_change_nothing,
    |s| {
        s.evidence.max_part_bytes = 300_000;
        s.evidence.max_request_bytes = 2_000_000;
    }
);
async fn bad_pictures_are_refused_with_their_code_and_change_nothing(s: TestServer) {
    let flow = at_face(&s).await;
    s.pass_face(&flow).await;
    let before = snapshot(&s, &flow).await;
    assert_eq!(before.step, "documents");
    let good = &id_pictures()[0];
    let truncated = good[..good.len() / 2].to_vec();
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"trailing bytes");
    let cases: Vec<(&str, Option<Vec<u8>>, u16, &str)> = vec![
        ("id_back", Some(truncated), 422, "evidence_corrupt"),
        ("id_back", Some(png()), 422, "evidence_not_jpeg"),
        (
            "id_back",
            Some(b"just some text, named .jpg".to_vec()),
            422,
            "evidence_not_jpeg",
        ),
        ("id_back", Some(Vec::new()), 422, "evidence_empty"),
        ("handheld", None, 422, "evidence_missing"),
        (
            "id_front",
            Some(header_claiming(20_000, 20_000)),
            422,
            "evidence_too_many_pixels",
        ),
        (
            "id_front",
            Some(plain_jpeg(400, 300)[..600].to_vec()),
            422,
            "evidence_corrupt",
        ),
        (
            "id_front",
            Some(vec![0xAB; 310_000]),
            413,
            "evidence_too_large",
        ),
    ];
    for (part, bytes, status, code) in cases {
        let (st, b) = s
            .post_parts(
                &format!("/v1/resets/{flow}/documents"),
                documents_with(part, bytes),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (status, Some(code)),
            "{part}: {b}"
        );
        if code != "evidence_too_large" {
            assert_eq!(b["reason"], part, "{b}");
        }
        assert_eq!(snapshot(&s, &flow).await, before, "{code} changed nothing");
    }
    // Trailing bytes after the image are not refused: they are dropped with the re-encoding.
    let (st, b) = s
        .post_parts(
            &format!("/v1/resets/{flow}/documents"),
            documents_with("id_back", Some(trailing)),
        )
        .await;
    assert_eq!(
        (st, b["step"].as_str()),
        (200, Some("contact_phone")),
        "{b}"
    );
    // The step is over: another upload is the wrong step, before any picture is looked at.
    let (st, b) = s.post_documents(&flow).await;
    assert_eq!((st, b["code"].as_str()), (409, Some("wrong_step")));
    let (st, b) = s
        .post(&format!("/v1/resets/{flow}/face/challenge"), json!({}))
        .await;
    assert_eq!((st, b["code"].as_str()), (409, Some("wrong_step")));
}

both!(bad_face_uploads_are_refused_and_change_nothing);
async fn bad_face_uploads_are_refused_and_change_nothing(s: TestServer) {
    let flow = at_face(&s).await;
    let before = snapshot(&s, &flow).await;
    // Each attempt answers a challenge of its own: an answered one is spent.
    let fresh = || async { face_answer(&s.face_challenge(&flow).await) };

    let (mut no_face, record) = fresh().await;
    no_face[1] = empty_room();
    let (st, b) = s.post_face(&flow, &no_face, &record).await;
    assert_eq!(
        (st, b["code"].as_str(), b["reason"].as_str()),
        (422, Some("face_not_found"), Some("frame:1"))
    );

    let (mut two, record) = fresh().await;
    two[2] = two_faces();
    let (st, b) = s.post_face(&flow, &two, &record).await;
    assert_eq!(
        (st, b["code"].as_str()),
        (422, Some("face_multiple")),
        "{b}"
    );

    let (frames, mut bad_index) = fresh().await;
    bad_index.prompts[1].frame = 7;
    let (st, b) = s.post_face(&flow, &frames, &bad_index).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("challenge_failed")));

    let (frames, mut impossible) = fresh().await;
    impossible.prompts[1].passed_at_ms = impossible.prompts[1].shown_at_ms + 5;
    impossible.total_ms = impossible.prompts[1].passed_at_ms;
    let (st, b) = s.post_face(&flow, &frames, &impossible).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("challenge_failed")));

    let (frames, mut too_slow) = fresh().await;
    too_slow.prompts[1].passed_at_ms = 60_000;
    too_slow.total_ms = 60_000;
    let (st, b) = s.post_face(&flow, &frames, &too_slow).await;
    assert_eq!((st, b["code"].as_str()), (422, Some("challenge_failed")));

    let (frames, record) = fresh().await;
    let (st, b) = s
        .post_parts(
            &format!("/v1/resets/{flow}/face"),
            frames.iter().map(|f| ("frame", f.clone())).collect(),
        )
        .await;
    assert_eq!((st, b["code"].as_str()), (422, Some("evidence_missing")));
    let (st, b) = s
        .post_parts(
            &format!("/v1/resets/{flow}/face"),
            vec![
                ("frame", frames[0].clone()),
                ("challenge", b"{not json".to_vec()),
            ],
        )
        .await;
    assert_eq!((st, b["code"].as_str()), (400, Some("malformed_body")));
    let mut nine: Vec<(&str, Vec<u8>)> = (0..9).map(|_| ("frame", frames[0].clone())).collect();
    nine.push(("challenge", serde_json::to_vec(&record).unwrap()));
    let (st, _) = s.post_parts(&format!("/v1/resets/{flow}/face"), nine).await;
    assert_eq!(st, 400, "at most 8 frames");
    let (st, b) = s.post_raw(&format!("/v1/resets/{flow}/face"), "{}").await;
    assert_eq!(
        (st, b["code"].as_str()),
        (400, Some("malformed_body")),
        "not multipart"
    );
    // Out of order: documents before the face check.
    let (st, b) = s.post_documents(&flow).await;
    assert_eq!((st, b["code"].as_str()), (409, Some("wrong_step")));
    let (st, b) = s
        .post(
            &format!("/v1/resets/{flow}/contact/sms"),
            json!({"phone": "13912345678"}),
        )
        .await;
    assert_eq!((st, b["code"].as_str()), (409, Some("wrong_step")));
    assert_eq!(snapshot(&s, &flow).await, before);

    let (st, b) = s.post_face(&flow, &frames, &record).await;
    assert_eq!((st, b["step"].as_str()), (200, Some("documents")), "{b}");
}

both!(stored_pictures_are_re_encoded_without_metadata_and_encrypted);
async fn stored_pictures_are_re_encoded_without_metadata_and_encrypted(s: TestServer) {
    let flow = at_face(&s).await;
    s.pass_face(&flow).await;
    let mut front = with_exif_gps(&plain_jpeg(1920, 1200));
    front.extend_from_slice(b"hidden after the image");
    let image::ImageFormat::Jpeg = image::guess_format(&front).unwrap() else {
        panic!("still a JPEG");
    };
    assert!(front.windows(EXIF_MARKER.len()).any(|w| w == EXIF_MARKER));
    let (st, b) = s
        .post_parts(
            &format!("/v1/resets/{flow}/documents"),
            documents_with("id_front", Some(front)),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    let case = s
        .contact_and_password(&flow, "13912345678", "Chunfeng#2026")
        .await;
    let actor = reset_bank::review::StaffActor {
        staff_id: 1,
        username: "r".into(),
    };
    let stored = reset_bank::review::evidence_picture(
        &s.state,
        &actor,
        &case.case_id,
        reset_bank::review::EvidenceKind::IdFront,
        0,
    )
    .await
    .unwrap();
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "no Exif segment");
    assert!(!stored.windows(EXIF_MARKER.len()).any(|w| w == EXIF_MARKER));
    assert!(!stored.windows(6).any(|w| w == b"hidden"));
    assert!(stored.ends_with(&[0xFF, 0xD9]), "nothing after the image");
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!((img.width(), img.height()), (1600, 1000), "long edge 1600");
    // At rest (a file, or a row on PostgreSQL), nothing is a JPEG or holds the pictures' bytes.
    let objects = s.sealed_objects().await;
    for (id, bytes) in &objects {
        assert!(!bytes.starts_with(&[0xFF, 0xD8]));
        assert!(!bytes
            .windows(stored.len().min(64))
            .any(|w| w == &stored[..stored.len().min(64)]));
        assert!(
            reset_bank::evidence::picture_store::valid_object_id(id),
            "random names: {id}"
        );
    }
    assert_eq!(objects.len(), 6, "three face frames and three ID pictures");
}
