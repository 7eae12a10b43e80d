//! The face challenge: the server chooses the prompts (at random, one to three, in a random
//! order) and checks the upload that answers them: the record names the challenge and repeats
//! its prompts in order, with timings a person could have produced; every frame shows exactly
//! one face (rustface, as on the device); and the server sees the movement itself, on its own
//! face finding: against the face at rest (frame 0), the face centre moved sideways towards the
//! asked side for a turn, and the face grew for "come closer".
//! This is an active challenge, not certified liveness (no presentation-attack detection):
//! copies of one photo edited frame by frame, a video of the customer doing what is asked, or a
//! mask would pass it. The reviewer looks at the frames.

use image::RgbImage;
use rand::seq::SliceRandom;
use rand::RngCore;
use reset_flow::wire::{ChallengePrompt, ChallengeRecord};
use reset_flow::ErrorCode;
use reset_picture::{movement_done, FaceBox, FaceFinder, FaceFinderConfig, MovementRule};

use super::EvidenceSettings;

/// `count` different prompts (1 to 3) in a random order.
pub fn draw_prompts<R: RngCore + ?Sized>(rng: &mut R, count: usize) -> Vec<ChallengePrompt> {
    let mut all = vec![
        ChallengePrompt::TurnLeft,
        ChallengePrompt::TurnRight,
        ChallengePrompt::ComeCloser,
    ];
    all.shuffle(rng);
    all.truncate(count.clamp(1, 3));
    all
}

/// The record answers the issued prompts, in their order.
pub fn answers_issued(
    record: &ChallengeRecord,
    issued: &[ChallengePrompt],
) -> Result<(), ErrorCode> {
    let answered: Vec<ChallengePrompt> = record.prompts.iter().map(|s| s.prompt).collect();
    if answered == issued {
        Ok(())
    } else {
        Err(ErrorCode::ChallengeFailed)
    }
}

/// The movement, seen on the server's own face finding: `faces[i]` is the one face on frame
/// `i` (all frames of one size), frame 0 the face at rest, and each prompt's frame must show it
/// done against that.
pub fn check_movement(record: &ChallengeRecord, faces: &[FaceBox]) -> Result<(), ErrorCode> {
    let fail = ErrorCode::ChallengeFailed;
    let rest = faces.first().ok_or(fail)?;
    let rule = MovementRule::default();
    for step in &record.prompts {
        // The rest frame cannot also be a prompt's: nothing would have moved.
        if step.frame == 0 {
            return Err(fail);
        }
        let face = faces.get(step.frame).ok_or(fail)?;
        if !movement_done(step.prompt, rest, face, &rule) {
            return Err(fail);
        }
    }
    Ok(())
}

/// Face frames one upload may carry.
pub const MAX_FRAMES: usize = 8;

/// Checks `record` against `frames` uploaded frames and the time limits; `challenge_failed`
/// for anything a real run of the app's face check could not have produced.
pub fn check_record(
    record: &ChallengeRecord,
    frames: usize,
    settings: &EvidenceSettings,
) -> Result<(), ErrorCode> {
    let fail = ErrorCode::ChallengeFailed;
    let steps = &record.prompts;
    if steps.is_empty() || steps.len() > 3 || frames == 0 || frames > MAX_FRAMES {
        return Err(fail);
    }
    let mut seen_prompts = Vec::with_capacity(steps.len());
    let mut seen_frames = Vec::with_capacity(steps.len());
    let mut previous_pass = 0u64;
    for step in steps {
        if seen_prompts.contains(&step.prompt) || seen_frames.contains(&step.frame) {
            return Err(fail);
        }
        seen_prompts.push(step.prompt);
        seen_frames.push(step.frame);
        if step.frame >= frames {
            return Err(fail);
        }
        // Each prompt is shown once the one before has passed, and passes after a reaction.
        let reaction = step
            .passed_at_ms
            .checked_sub(step.shown_at_ms)
            .ok_or(fail)?;
        if step.shown_at_ms < previous_pass
            || reaction < settings.min_reaction_ms
            || reaction > settings.prompt_timeout_ms
        {
            return Err(fail);
        }
        previous_pass = step.passed_at_ms;
    }
    if record.total_ms != previous_pass || record.total_ms > settings.challenge_timeout_ms {
        return Err(fail);
    }
    Ok(())
}

/// The one face on a frame, found as the app's face check finds them; `face_not_found` or
/// `face_multiple` otherwise.
pub fn one_face(frame: &RgbImage) -> Result<FaceBox, ErrorCode> {
    let mut finder = FaceFinder::new(FaceFinderConfig::default());
    match finder.detect(&reset_picture::to_gray(frame)).as_slice() {
        [] => Err(ErrorCode::FaceNotFound),
        [one] => Ok(*one),
        _ => Err(ErrorCode::FaceMultiple),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reset_flow::wire::{ChallengePrompt as P, ChallengeStep};

    fn step(prompt: P, shown: u64, passed: u64, frame: usize) -> ChallengeStep {
        ChallengeStep {
            prompt,
            shown_at_ms: shown,
            passed_at_ms: passed,
            frame,
        }
    }

    fn record(steps: Vec<ChallengeStep>) -> ChallengeRecord {
        let total_ms = steps.last().map_or(0, |s| s.passed_at_ms);
        ChallengeRecord {
            challenge_id: "c".into(),
            prompts: steps,
            total_ms,
        }
    }

    #[test]
    fn what_the_app_sends_passes() {
        let s = EvidenceSettings::default();
        let ok = record(vec![
            step(P::TurnLeft, 0, 1200, 1),
            step(P::ComeCloser, 1200, 2500, 2),
        ]);
        assert_eq!(check_record(&ok, 3, &s), Ok(()));
    }

    #[test]
    fn impossible_records_fail() {
        let s = EvidenceSettings::default();
        let cases = [
            ("no prompts", record(vec![]), 1),
            (
                "four prompts",
                record(vec![
                    step(P::TurnLeft, 0, 500, 0),
                    step(P::TurnRight, 500, 1000, 1),
                    step(P::ComeCloser, 1000, 1500, 2),
                    step(P::TurnLeft, 1500, 2000, 3),
                ]),
                4,
            ),
            (
                "repeated prompt",
                record(vec![
                    step(P::TurnLeft, 0, 500, 1),
                    step(P::TurnLeft, 500, 900, 2),
                ]),
                3,
            ),
            (
                "frame not uploaded",
                record(vec![step(P::TurnLeft, 0, 500, 3)]),
                3,
            ),
            (
                "passed before shown",
                record(vec![step(P::TurnLeft, 900, 500, 1)]),
                2,
            ),
            (
                "no reaction time",
                record(vec![step(P::TurnLeft, 0, 20, 1)]),
                2,
            ),
            (
                "prompt too slow",
                record(vec![step(P::TurnLeft, 0, 6_001, 1)]),
                2,
            ),
            (
                "overlapping prompts",
                record(vec![
                    step(P::TurnLeft, 0, 800, 1),
                    step(P::TurnRight, 500, 1200, 2),
                ]),
                3,
            ),
            (
                "shared frame",
                record(vec![
                    step(P::TurnLeft, 0, 800, 1),
                    step(P::TurnRight, 800, 1600, 1),
                ]),
                3,
            ),
            ("no frames", record(vec![step(P::TurnLeft, 0, 500, 0)]), 0),
        ];
        for (why, r, frames) in cases {
            assert_eq!(
                check_record(&r, frames, &s),
                Err(ErrorCode::ChallengeFailed),
                "{why}"
            );
        }
        let mut wrong_total = record(vec![step(P::TurnLeft, 0, 500, 1)]);
        wrong_total.total_ms = 100;
        assert_eq!(
            check_record(&wrong_total, 2, &s),
            Err(ErrorCode::ChallengeFailed)
        );
        let slow = EvidenceSettings {
            challenge_timeout_ms: 1_000,
            ..EvidenceSettings::default()
        };
        let r = record(vec![
            step(P::TurnLeft, 0, 800, 1),
            step(P::TurnRight, 800, 1_600, 2),
        ]);
        assert_eq!(check_record(&r, 3, &slow), Err(ErrorCode::ChallengeFailed));
    }

    fn face(cx: f32, w: f32) -> FaceBox {
        FaceBox {
            x: cx - w / 2.0,
            y: 240.0 - w / 2.0,
            width: w,
            height: w,
            score: 5.0,
        }
    }

    #[test]
    fn prompts_are_drawn_different_and_in_every_order() {
        let mut rng = rand::rng();
        let mut orders = std::collections::HashSet::new();
        for _ in 0..200 {
            let p = draw_prompts(&mut rng, 2);
            assert_eq!(p.len(), 2);
            assert_ne!(p[0], p[1]);
            orders.insert(p);
        }
        assert_eq!(
            orders.len(),
            6,
            "every ordered pair of the three prompts turns up"
        );
        assert_eq!(draw_prompts(&mut rng, 0).len(), 1);
        assert_eq!(draw_prompts(&mut rng, 9).len(), 3);
    }

    #[test]
    fn the_record_must_answer_the_issued_prompts_in_order() {
        let r = record(vec![
            step(P::TurnLeft, 0, 1200, 1),
            step(P::ComeCloser, 1200, 2500, 2),
        ]);
        assert_eq!(answers_issued(&r, &[P::TurnLeft, P::ComeCloser]), Ok(()));
        for issued in [
            vec![P::ComeCloser, P::TurnLeft],
            vec![P::TurnLeft],
            vec![P::TurnLeft, P::ComeCloser, P::TurnRight],
            vec![P::TurnRight, P::ComeCloser],
        ] {
            assert_eq!(
                answers_issued(&r, &issued),
                Err(ErrorCode::ChallengeFailed),
                "{issued:?}"
            );
        }
    }

    #[test]
    fn movement_is_seen_on_the_frames() {
        let r = record(vec![
            step(P::TurnLeft, 0, 1200, 1),
            step(P::ComeCloser, 1200, 2500, 2),
        ]);
        let rest = face(320.0, 200.0);
        // Turned left: the face moved to the picture's right; closer: it grew.
        let done = [rest, face(390.0, 190.0), face(320.0, 270.0)];
        assert_eq!(check_movement(&r, &done), Ok(()));
        let still = [rest, rest, rest];
        assert_eq!(check_movement(&r, &still), Err(ErrorCode::ChallengeFailed));
        let wrong_way = [rest, face(250.0, 200.0), face(320.0, 270.0)];
        assert_eq!(
            check_movement(&r, &wrong_way),
            Err(ErrorCode::ChallengeFailed)
        );
        let not_closer = [rest, face(390.0, 190.0), face(320.0, 210.0)];
        assert_eq!(
            check_movement(&r, &not_closer),
            Err(ErrorCode::ChallengeFailed)
        );
        let mut rest_as_prompt = r.clone();
        rest_as_prompt.prompts[0].frame = 0;
        assert_eq!(
            check_movement(&rest_as_prompt, &done),
            Err(ErrorCode::ChallengeFailed)
        );
        assert_eq!(check_movement(&r, &[]), Err(ErrorCode::ChallengeFailed));
    }
}
