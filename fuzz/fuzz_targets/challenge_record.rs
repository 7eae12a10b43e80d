//! The face check's challenge record, the `challenge` part of a face upload: read from JSON,
//! checked against the number of frames uploaded and the time limits, matched with the prompts
//! the server issued, and judged against the face boxes found on the frames.
//!
//! The input is the record's JSON, then optionally a NUL byte and: the number of frames, a
//! byte choosing the issued prompts, and face boxes as four little-endian `f32` each (x, y,
//! width, height), one per frame. (JSON text holds no raw NUL, so the split is unambiguous.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use reset_bank::evidence::challenge::{answers_issued, check_movement, check_record, MAX_FRAMES};
use reset_bank::evidence::EvidenceSettings;
use reset_flow::wire::{ChallengePrompt, ChallengeRecord};
use reset_flow::ErrorCode;
use reset_picture::FaceBox;

const PROMPTS: [ChallengePrompt; 3] = [
    ChallengePrompt::TurnLeft,
    ChallengePrompt::TurnRight,
    ChallengePrompt::ComeCloser,
];

fuzz_target!(|data: &[u8]| {
    let (json, tail) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(record) = serde_json::from_slice::<ChallengeRecord>(json) else {
        return;
    };
    // What the server reads writes back as the same record.
    let written = serde_json::to_vec(&record).expect("writes back");
    assert_eq!(
        serde_json::from_slice::<ChallengeRecord>(&written).expect("reads back"),
        record
    );

    let frames = usize::from(tail.first().copied().unwrap_or(3)) % (MAX_FRAMES + 2);
    let settings = EvidenceSettings::default();
    match check_record(&record, frames, &settings) {
        Ok(()) => passed_record_is_possible(&record, frames, &settings),
        Err(code) => assert_eq!(code, ErrorCode::ChallengeFailed),
    }

    // The issued prompts: 1 to 3 of them, in an order the byte picks.
    let pick = usize::from(tail.get(1).copied().unwrap_or(0));
    let mut issued = PROMPTS.to_vec();
    issued.rotate_left(pick % 3);
    if pick & 4 != 0 {
        issued.swap(0, 1);
    }
    issued.truncate(1 + (pick >> 3) % 3);
    let answered: Vec<ChallengePrompt> = record.prompts.iter().map(|s| s.prompt).collect();
    assert_eq!(answers_issued(&record, &issued).is_ok(), answered == issued);

    let faces: Vec<FaceBox> = tail
        .get(2..)
        .unwrap_or_default()
        .chunks_exact(16)
        .map(|c| {
            let f = |i: usize| f32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            FaceBox {
                x: f(0),
                y: f(4),
                width: f(8),
                height: f(12),
                score: 5.0,
            }
        })
        .collect();
    if check_movement(&record, &faces).is_ok() {
        // Frame 0 is the face at rest: no prompt may be answered by it, and every prompt's
        // frame has its face.
        assert!(!faces.is_empty());
        assert!(record
            .prompts
            .iter()
            .all(|s| s.frame != 0 && s.frame < faces.len()));
    }
});

/// A record `check_record` passed could have come from the app: 1 to 3 different prompts on
/// different uploaded frames, each shown after the one before passed, with a human reaction
/// time, and the total the last pass, within the challenge's time.
fn passed_record_is_possible(record: &ChallengeRecord, frames: usize, s: &EvidenceSettings) {
    let steps = &record.prompts;
    assert!((1..=3).contains(&steps.len()));
    assert!((1..=MAX_FRAMES).contains(&frames));
    let mut last_pass = 0;
    for (i, step) in steps.iter().enumerate() {
        assert!(step.frame < frames);
        assert!(steps[..i]
            .iter()
            .all(|o| o.prompt != step.prompt && o.frame != step.frame));
        assert!(step.shown_at_ms >= last_pass);
        let reaction = step.passed_at_ms - step.shown_at_ms;
        assert!((s.min_reaction_ms..=s.prompt_timeout_ms).contains(&reaction));
        last_pass = step.passed_at_ms;
    }
    assert_eq!(record.total_ms, last_pass);
    assert!(record.total_ms <= s.challenge_timeout_ms);
}
