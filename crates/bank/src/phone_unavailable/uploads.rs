//! The picture steps of path B: the face check's frames with their challenge record, and the
//! three ID pictures. Each picture is checked and re-encoded on the picture workers, sealed with
//! the case's data key and put in the evidence store; the rows and the step change are then
//! saved together, and the stored objects removed again if that fails.

use reset_flow::wire::{ChallengePrompt, ChallengeRecord, FaceChallenge, StepResponse};
use reset_flow::{ErrorCode, Event};
use serde_json::json;
use time::Duration;

use super::collecting_case;
use crate::error::{BankError, BankResult};
use crate::evidence::challenge::{
    answers_issued, check_movement, check_record, draw_prompts, one_face, MAX_FRAMES,
};
use crate::evidence::picture::{clean, clean_with_preview, CleanPicture};
use crate::evidence::WrappedKey;
use crate::open_flow::{open, retry_on_race, short, step, Try};
use crate::review::EvidenceKind;
use crate::rng::random_bytes;
use crate::services::Services;
use crate::store::audit;
use crate::store::cases::{self, CaseRecord, EvidenceRow};
use crate::store::{challenges, evidence_objects, flows, ms};

/// Refuses an upload to a flow not at the step `event` belongs to, before its body is read.
pub async fn precheck(state: &Services, id: &str, event: Event) -> BankResult<()> {
    let rec = open(state, id).await?;
    step(state, &rec, event, state.clock.now()).await?;
    Ok(())
}

/// An upload's part: its form name and bytes.
pub struct Part {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A refusal naming the part it is about, for the screen.
fn part_error(code: ErrorCode, part: &str) -> BankError {
    BankError::from(code).with_reason(part)
}

/// A face challenge's id: 128 random bits as hex.
const CHALLENGE_ID_LEN: usize = 32;

/// `POST /v1/resets/{id}/face/challenge`: the prompts for one attempt of the face check, chosen
/// here, with a single-use id and an expiry. A flow may ask `challenges_per_flow` times.
pub async fn face_challenge(state: &Services, id: &str) -> BankResult<FaceChallenge> {
    let settings = &state.evidence.settings;
    let rec = open(state, id).await?;
    let now = state.clock.now();
    step(state, &rec, Event::FacePassed, now).await?;
    if !challenges::take_one(&state.db, id, settings.challenges_per_flow).await? {
        return Err(ErrorCode::TooMany.into());
    }
    let prompts = {
        let mut rng = state.rng.lock().unwrap_or_else(|e| e.into_inner());
        draw_prompts(&mut **rng, settings.challenge_prompts)
    };
    let challenge_id = hex::encode(random_bytes(&state.rng, CHALLENGE_ID_LEN / 2));
    let expires_at = now + Duration::seconds(settings.challenge_ttl_s as i64);
    let prompts_json = serde_json::to_string(&prompts).map_err(|_| ErrorCode::Internal)?;
    let mut conn = state.db.writer.acquire().await?;
    challenges::insert(
        &mut conn,
        &challenge_id,
        id,
        &prompts_json,
        ms(now),
        ms(expires_at),
    )
    .await?;
    Ok(FaceChallenge {
        challenge_id,
        prompts,
        expires_at,
    })
}

/// Takes the issued challenge the record answers: unknown, another flow's, expired or already
/// answered is `challenge_failed`, and so is a record whose prompts are not the issued ones.
async fn answer_challenge(state: &Services, id: &str, record: &ChallengeRecord) -> BankResult<()> {
    let fail = ErrorCode::ChallengeFailed;
    if record.challenge_id.len() != CHALLENGE_ID_LEN {
        return Err(fail.into());
    }
    let now_ms = ms(state.clock.now());
    let issued = challenges::answer(&state.db, &record.challenge_id, id, now_ms)
        .await?
        .ok_or(fail)?;
    let prompts: Vec<ChallengePrompt> =
        serde_json::from_str(&issued.prompts).map_err(|_| ErrorCode::Internal)?;
    answers_issued(record, &prompts)?;
    Ok(())
}

/// `POST /v1/resets/{id}/face`: 1–8 `frame` parts and a `challenge` part.
pub async fn face(state: &Services, id: &str, parts: Vec<Part>) -> BankResult<StepResponse> {
    let mut frames = Vec::new();
    let mut challenge = None;
    for part in parts {
        match part.name.as_str() {
            "frame" => frames.push(part.bytes),
            "challenge" if challenge.is_none() => challenge = Some(part.bytes),
            _ => return Err(ErrorCode::MalformedBody.into()),
        }
    }
    if frames.len() > MAX_FRAMES {
        return Err(part_error(ErrorCode::MalformedBody, "frame"));
    }
    let challenge = challenge.ok_or_else(|| part_error(ErrorCode::EvidenceMissing, "challenge"))?;
    if frames.is_empty() {
        return Err(part_error(ErrorCode::EvidenceMissing, "frame"));
    }
    let record: ChallengeRecord =
        serde_json::from_slice(&challenge).map_err(|_| ErrorCode::MalformedBody)?;
    precheck(state, id, Event::FacePassed).await?;
    check_record(&record, frames.len(), &state.evidence.settings)?;
    // Taken before any picture is decoded: a replayed record costs the server nothing more.
    answer_challenge(state, id, &record).await?;
    let rules = state.evidence.settings.picture_rules();
    let cleaned = state
        .evidence
        .workers
        .run(move || {
            let mut pictures = Vec::with_capacity(frames.len());
            let mut faces = Vec::with_capacity(frames.len());
            // One frame at a time: its full-size pixels are gone before the next is decoded,
            // and faces are found on the small copy.
            for (i, bytes) in frames.into_iter().enumerate() {
                let label = format!("frame:{i}");
                let (pic, preview) =
                    clean_with_preview(&bytes, &rules).map_err(|c| part_error(c, &label))?;
                drop(bytes);
                let face = one_face(&preview).map_err(|c| part_error(c, &label))?;
                // Boxes compared across frames must be on one scale: the stored width's.
                let scale = pic.width as f32 / preview.width().max(1) as f32;
                faces.push(scaled(face, scale));
                pictures.push(pic);
            }
            // Face boxes are compared across frames: the same picture at two sizes would
            // otherwise "come closer", and cropped copies would "turn".
            let first = pictures.first().map(|p: &CleanPicture| (p.width, p.height));
            if pictures.iter().any(|p| Some((p.width, p.height)) != first) {
                return Err(ErrorCode::ChallengeFailed.into());
            }
            check_movement(&record, &faces)?;
            Ok::<_, BankError>(pictures)
        })
        .await??;
    let pictures = cleaned
        .into_iter()
        .enumerate()
        .map(|(i, p)| (EvidenceKind::Face, i as u32, p))
        .collect();
    finish_step(state, id, Event::FacePassed, pictures, "face_passed").await
}

fn scaled(face: reset_picture::FaceBox, by: f32) -> reset_picture::FaceBox {
    reset_picture::FaceBox {
        x: face.x * by,
        y: face.y * by,
        width: face.width * by,
        height: face.height * by,
        score: face.score,
    }
}

/// `POST /v1/resets/{id}/documents`: `id_front`, `id_back` and `handheld`.
pub async fn documents(state: &Services, id: &str, parts: Vec<Part>) -> BankResult<StepResponse> {
    let wanted = [
        EvidenceKind::IdFront,
        EvidenceKind::IdBack,
        EvidenceKind::Handheld,
    ];
    let mut found: [Option<Vec<u8>>; 3] = [None, None, None];
    for part in parts {
        let slot = wanted
            .iter()
            .position(|k| k.as_str() == part.name)
            .ok_or(ErrorCode::MalformedBody)?;
        if found[slot].replace(part.bytes).is_some() {
            return Err(part_error(ErrorCode::MalformedBody, wanted[slot].as_str()));
        }
    }
    if let Some(missing) = wanted.iter().zip(&found).find(|(_, f)| f.is_none()) {
        return Err(part_error(ErrorCode::EvidenceMissing, missing.0.as_str()));
    }
    precheck(state, id, Event::DocumentsAccepted).await?;
    let rules = state.evidence.settings.picture_rules();
    let cleaned = state
        .evidence
        .workers
        .run(move || {
            wanted
                .iter()
                .zip(found)
                .map(|(kind, bytes)| {
                    let bytes = bytes.unwrap_or_default();
                    let pic = clean(&bytes, &rules).map_err(|c| part_error(c, kind.as_str()))?;
                    Ok((*kind, 0u32, pic))
                })
                .collect::<BankResult<Vec<_>>>()
        })
        .await??;
    let done = finish_step(
        state,
        id,
        Event::DocumentsAccepted,
        cleaned,
        "documents_accepted",
    )
    .await?;
    state.id_reader.wake();
    Ok(done)
}

/// Seals and stores `pictures`, then saves their rows with the step change.
async fn finish_step(
    state: &Services,
    id: &str,
    event: Event,
    pictures: Vec<(EvidenceKind, u32, CleanPicture)>,
    audit_event: &str,
) -> BankResult<StepResponse> {
    let case = collecting_case(state, id).await?;
    let rows = store_pictures(state, &case, pictures).await?;
    let result = save_step(state, id, event, &case, &rows, audit_event).await;
    if result.is_err() {
        delete_stored(state, &rows).await;
    }
    result
}

async fn store_pictures(
    state: &Services,
    case: &CaseRecord,
    pictures: Vec<(EvidenceKind, u32, CleanPicture)>,
) -> BankResult<Vec<(EvidenceRow, Option<Vec<u8>>)>> {
    let wrapped = WrappedKey {
        key_id: case.key_id.clone(),
        wrapped: case.wrapped_key.clone().ok_or(ErrorCode::WrongStep)?,
    };
    let key = state
        .evidence
        .vault
        .unwrap(&case.id, &wrapped)
        .map_err(|e| {
            tracing::error!(case = %short(&case.id), error = %e, "case data key does not open");
            ErrorCode::Internal
        })?;
    // Each row with its sealed bytes when they go into the database with it.
    let mut rows: Vec<(EvidenceRow, Option<Vec<u8>>)> = Vec::with_capacity(pictures.len());
    for (kind, seq, pic) in pictures {
        let object_id = hex::encode(random_bytes(&state.rng, 16));
        let sealed = key
            .seal(&case.id, &object_id, &pic.jpeg, &state.rng)
            .map_err(|_| ErrorCode::Internal)?;
        let row = EvidenceRow {
            kind: kind.as_str().to_owned(),
            seq: i64::from(seq),
            object_id,
            bytes: pic.jpeg.len() as i64,
            width: i64::from(pic.width),
            height: i64::from(pic.height),
        };
        if state.evidence.store.in_database() {
            // Written with the case rows, in their transaction (`save_step`).
            rows.push((row, Some(sealed)));
            continue;
        }
        if let Err(e) = state.evidence.store.put(&row.object_id, sealed).await {
            tracing::error!(store = state.evidence.store.name(), error = %e, "evidence store refused a picture");
            delete_stored(state, &rows).await;
            return Err(ErrorCode::ServiceUnavailable.into());
        }
        rows.push((row, None));
    }
    Ok(rows)
}

/// Deletes again what `store_pictures` put in a store apart from the database.
async fn delete_stored(state: &Services, rows: &[(EvidenceRow, Option<Vec<u8>>)]) {
    for (row, in_tx) in rows {
        if in_tx.is_none() {
            let _ = state.evidence.store.delete(&row.object_id).await;
        }
    }
}

async fn save_step(
    state: &Services,
    id: &str,
    event: Event,
    case: &CaseRecord,
    rows: &[(EvidenceRow, Option<Vec<u8>>)],
    audit_event: &str,
) -> BankResult<StepResponse> {
    retry_on_race(|| async move {
        let rec = open(state, id).await?;
        let now = state.clock.now();
        let now_ms = ms(now);
        let next = step(state, &rec, event, now).await?;
        let mut updated = rec.clone();
        updated.flow = next;
        let mut tx = state.db.writer.begin().await?;
        if !flows::save(&mut tx, &updated, now_ms).await? {
            tx.rollback().await?;
            return Ok(Try::Raced);
        }
        for (row, sealed) in rows {
            if let Some(sealed) = sealed {
                evidence_objects::put(&mut tx, &row.object_id, sealed, now_ms).await?;
            }
            cases::add_evidence(&mut tx, &case.id, row, now_ms).await?;
        }
        audit::record(
            &mut tx,
            now_ms,
            Some(id),
            rec.customer_id,
            audit_event,
            json!({ "case": case.id, "pictures": rows.len() }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(flow = %short(id), pictures = rows.len(), "{audit_event}");
        Ok(Try::Done(StepResponse {
            step: updated.flow.step,
        }))
    })
    .await
}
