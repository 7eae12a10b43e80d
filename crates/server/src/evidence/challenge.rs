//! The server's check of a face-check upload: the challenge record (prompts from the known set,
//! one to three and all different, timings that a person could have produced, each prompt's
//! frame uploaded) and exactly one face on every uploaded frame (rustface, as on the device).
//! This is an active challenge, not certified liveness: a reviewer looks at the frames too.

use image::RgbImage;
use reset_capture::{FaceFinder, FaceFinderConfig};
use reset_flow::wire::ChallengeRecord;
use reset_flow::ErrorCode;

use super::EvidenceSettings;

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

/// Faces on a frame, found as the app's face check finds them.
pub fn count_faces(frame: &RgbImage) -> usize {
    let mut finder = FaceFinder::new(FaceFinderConfig::default());
    finder.detect(&reset_capture::frame::to_gray(frame)).len()
}

/// `face_not_found` or `face_multiple` unless the frame shows exactly one face.
pub fn one_face(frame: &RgbImage) -> Result<(), ErrorCode> {
    match count_faces(frame) {
        0 => Err(ErrorCode::FaceNotFound),
        1 => Ok(()),
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
}
