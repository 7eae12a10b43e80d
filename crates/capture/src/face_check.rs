//! The face check: exactly one face, centred and large enough, then an active challenge (prompts
//! chosen at random per attempt) verified from the face track within time limits. This is an
//! active challenge, not a certified presentation-attack detector; the bank's manual review is
//! the second line. Time comes from the frames and randomness from the caller, so it is tested
//! without sleeping.

use rand_core::RngCore;
use reset_flow::wire::{ChallengePrompt, ChallengeRecord, ChallengeStep};
use serde::Serialize;

use reset_picture::{movement_done, MovementRule};

use crate::{FaceBox, Frame, Reason};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceCheckConfig {
    /// How many prompts an attempt asks for (1 to 3, all different).
    pub prompts: usize,
    /// Good frames in a row before the first prompt.
    pub settle_frames: u32,
    /// Face width as a share of the frame width.
    pub min_face_share: f32,
    pub max_face_share: f32,
    /// How far the face centre may be from the frame centre, as a share of the frame size.
    pub centre_tolerance: f32,
    /// A turn passes when the face centre has moved this share of the face width sideways.
    pub turn_shift: f32,
    /// "Come closer" passes when the face is this much wider than at the start.
    pub closer_growth: f32,
    /// Time for one prompt, and for the whole check from the first frame.
    pub prompt_timeout_ms: u64,
    pub total_timeout_ms: u64,
    /// How long the face may go unseen during a prompt (a turned head is found less well).
    pub lost_grace_ms: u64,
    /// Frames are mirrored (a selfie preview): the customer's left is the picture's left.
    pub mirrored: bool,
}

impl FaceCheckConfig {
    /// The movement part, which the server's re-check of the frames judges by too.
    pub fn movement(&self) -> MovementRule {
        MovementRule {
            turn_shift: self.turn_shift,
            closer_growth: self.closer_growth,
            mirrored: self.mirrored,
        }
    }
}

impl Default for FaceCheckConfig {
    fn default() -> Self {
        let movement = MovementRule::default();
        FaceCheckConfig {
            prompts: 2,
            settle_frames: 3,
            min_face_share: 0.2,
            max_face_share: 0.7,
            centre_tolerance: 0.2,
            turn_shift: movement.turn_shift,
            closer_growth: movement.closer_growth,
            prompt_timeout_ms: 6_000,
            total_timeout_ms: 30_000,
            lost_grace_ms: 1_500,
            mirrored: movement.mirrored,
        }
    }
}

/// Where the check stands, for the screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FaceCheckState {
    /// Waiting for one well-placed face; `hint` says what to change.
    Positioning {
        hint: Option<Reason>,
    },
    /// Showing prompt `index` (0-based) of `count`.
    Prompt {
        prompt: ChallengePrompt,
        index: usize,
        count: usize,
        remaining_ms: u64,
    },
    Passed,
    Failed {
        reason: Reason,
    },
}

/// What goes to the server when the check passed.
#[derive(Debug, Clone)]
pub struct FaceEvidence {
    pub record: ChallengeRecord,
    /// The frames to upload: the face at rest, then one per passed prompt.
    pub frames: Vec<Frame>,
}

/// Judges one frame's faces for the positioning step.
pub fn judge_face(
    faces: &[FaceBox],
    width: u32,
    height: u32,
    config: &FaceCheckConfig,
) -> Result<FaceBox, Reason> {
    let face = match faces {
        [] => return Err(Reason::FaceNotFound),
        [one] => *one,
        _ => return Err(Reason::FaceMultiple),
    };
    let share = face.width / width as f32;
    if share < config.min_face_share {
        return Err(Reason::FaceTooSmall);
    }
    if share > config.max_face_share {
        return Err(Reason::FaceTooLarge);
    }
    let (cx, cy) = face.centre();
    let off_x = (cx / width as f32 - 0.5).abs();
    let off_y = (cy / height as f32 - 0.5).abs();
    if off_x > config.centre_tolerance || off_y > config.centre_tolerance {
        return Err(Reason::FaceOffCentre);
    }
    Ok(face)
}

/// One attempt of the face check.
pub struct FaceCheck {
    config: FaceCheckConfig,
    prompts: Vec<ChallengePrompt>,
    state: FaceCheckState,
    started_ms: Option<u64>,
    streak: u32,
    baseline: Option<FaceBox>,
    first_prompt_ms: u64,
    prompt_shown_ms: u64,
    last_face_ms: u64,
    steps: Vec<ChallengeStep>,
    frames: Vec<Frame>,
}

impl FaceCheck {
    /// An attempt with the prompts the server chose (`POST …/face/challenge`), in its order:
    /// one to three, as the server issues (more are cut, none is one turn to the left).
    pub fn with_prompts(config: FaceCheckConfig, prompts: &[ChallengePrompt]) -> FaceCheck {
        let mut prompts: Vec<ChallengePrompt> = prompts.iter().copied().take(3).collect();
        if prompts.is_empty() {
            prompts.push(ChallengePrompt::TurnLeft);
        }
        FaceCheck {
            config,
            prompts,
            state: FaceCheckState::Positioning { hint: None },
            started_ms: None,
            streak: 0,
            baseline: None,
            first_prompt_ms: 0,
            prompt_shown_ms: 0,
            last_face_ms: 0,
            steps: Vec::new(),
            frames: Vec::new(),
        }
    }

    /// A new attempt whose prompts are drawn from `rng` (a CSPRNG in the app, seeded in tests).
    pub fn new(config: FaceCheckConfig, rng: &mut dyn RngCore) -> FaceCheck {
        let mut all = vec![
            ChallengePrompt::TurnLeft,
            ChallengePrompt::TurnRight,
            ChallengePrompt::ComeCloser,
        ];
        for i in (1..all.len()).rev() {
            let j = (rng.next_u32() as usize) % (i + 1);
            all.swap(i, j);
        }
        all.truncate(config.prompts.clamp(1, 3));
        FaceCheck::with_prompts(config, &all)
    }

    pub fn prompts(&self) -> &[ChallengePrompt] {
        &self.prompts
    }

    pub fn state(&self) -> &FaceCheckState {
        &self.state
    }

    /// Feeds one frame and the faces found on it; returns the new state.
    pub fn feed(&mut self, frame: &Frame, faces: &[FaceBox]) -> &FaceCheckState {
        if matches!(
            self.state,
            FaceCheckState::Passed | FaceCheckState::Failed { .. }
        ) {
            return &self.state;
        }
        let now = frame.at_ms;
        let started = *self.started_ms.get_or_insert(now);
        if now.saturating_sub(started) > self.config.total_timeout_ms {
            return self.fail(Reason::ChallengeTimeout);
        }
        match self.state.clone() {
            FaceCheckState::Positioning { .. } => self.position(frame, faces),
            FaceCheckState::Prompt { index, .. } => self.challenge(frame, faces, index),
            FaceCheckState::Passed | FaceCheckState::Failed { .. } => {}
        }
        &self.state
    }

    fn fail(&mut self, reason: Reason) -> &FaceCheckState {
        self.state = FaceCheckState::Failed { reason };
        self.frames.clear();
        &self.state
    }

    fn position(&mut self, frame: &Frame, faces: &[FaceBox]) {
        match judge_face(faces, frame.width(), frame.height(), &self.config) {
            Ok(face) => {
                self.streak += 1;
                self.state = FaceCheckState::Positioning { hint: None };
                if self.streak >= self.config.settle_frames {
                    self.baseline = Some(face);
                    self.frames.push(frame.clone());
                    self.first_prompt_ms = frame.at_ms;
                    self.show_prompt(0, frame.at_ms);
                }
            }
            Err(hint) => {
                self.streak = 0;
                self.state = FaceCheckState::Positioning { hint: Some(hint) };
            }
        }
    }

    fn show_prompt(&mut self, index: usize, now: u64) {
        self.prompt_shown_ms = now;
        self.last_face_ms = now;
        self.state = FaceCheckState::Prompt {
            prompt: self.prompts[index],
            index,
            count: self.prompts.len(),
            remaining_ms: self.config.prompt_timeout_ms,
        };
    }

    fn challenge(&mut self, frame: &Frame, faces: &[FaceBox], index: usize) {
        let now = frame.at_ms;
        let elapsed = now.saturating_sub(self.prompt_shown_ms);
        if elapsed > self.config.prompt_timeout_ms {
            self.fail(Reason::ChallengeTimeout);
            return;
        }
        let face = match faces {
            [] => {
                if now.saturating_sub(self.last_face_ms) > self.config.lost_grace_ms {
                    self.fail(Reason::FaceLost);
                } else {
                    self.set_remaining(elapsed);
                }
                return;
            }
            [one] => *one,
            _ => {
                self.fail(Reason::FaceMultiple);
                return;
            }
        };
        self.last_face_ms = now;
        let base = self.baseline.expect("a baseline before any prompt");
        let prompt = self.prompts[index];
        if !self.prompt_done(prompt, &base, &face) {
            self.set_remaining(elapsed);
            return;
        }
        self.steps.push(ChallengeStep {
            prompt,
            shown_at_ms: self.prompt_shown_ms - self.first_prompt_ms,
            passed_at_ms: now - self.first_prompt_ms,
            frame: self.frames.len(),
        });
        self.frames.push(frame.clone());
        if index + 1 < self.prompts.len() {
            self.show_prompt(index + 1, now);
        } else {
            self.state = FaceCheckState::Passed;
        }
    }

    fn set_remaining(&mut self, elapsed: u64) {
        if let FaceCheckState::Prompt { remaining_ms, .. } = &mut self.state {
            *remaining_ms = self.config.prompt_timeout_ms.saturating_sub(elapsed);
        }
    }

    fn prompt_done(&self, prompt: ChallengePrompt, base: &FaceBox, face: &FaceBox) -> bool {
        movement_done(prompt, base, face, &self.config.movement())
    }

    /// The record and frames for `POST /v1/resets/{id}/face`, once the check has passed.
    pub fn evidence(&self) -> Option<FaceEvidence> {
        if self.state != FaceCheckState::Passed {
            return None;
        }
        let total_ms = self.steps.last().map_or(0, |s| s.passed_at_ms);
        Some(FaceEvidence {
            record: ChallengeRecord {
                // The app fills in the id of the server's challenge it answered.
                challenge_id: String::new(),
                prompts: self.steps.clone(),
                total_ms,
            },
            frames: self.frames.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter "RNG": deterministic prompts for the tests.
    struct Fixed(u32);
    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.0 = self.0.wrapping_add(1);
            self.0
        }
        fn next_u64(&mut self) -> u64 {
            self.next_u32() as u64
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.fill(self.next_u32() as u8)
        }
    }

    fn frame(at_ms: u64) -> Frame {
        Frame::new(image::RgbImage::new(640, 480), at_ms)
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

    /// Where the face goes to do `p`, starting from a 200 px face in the middle.
    fn doing(p: ChallengePrompt) -> FaceBox {
        match p {
            ChallengePrompt::TurnLeft => face(320.0 + 70.0, 200.0),
            ChallengePrompt::TurnRight => face(320.0 - 70.0, 200.0),
            ChallengePrompt::ComeCloser => face(320.0, 260.0),
        }
    }

    fn settled(seed: u32) -> FaceCheck {
        let mut check = FaceCheck::new(FaceCheckConfig::default(), &mut Fixed(seed));
        for t in 0..3 {
            check.feed(&frame(t * 100), &[face(320.0, 200.0)]);
        }
        check
    }

    #[test]
    fn positioning_hints() {
        let c = FaceCheckConfig::default();
        assert_eq!(judge_face(&[], 640, 480, &c), Err(Reason::FaceNotFound));
        let two = [face(200.0, 150.0), face(450.0, 150.0)];
        assert_eq!(judge_face(&two, 640, 480, &c), Err(Reason::FaceMultiple));
        assert_eq!(
            judge_face(&[face(320.0, 60.0)], 640, 480, &c),
            Err(Reason::FaceTooSmall)
        );
        assert_eq!(
            judge_face(&[face(320.0, 600.0)], 640, 480, &c),
            Err(Reason::FaceTooLarge)
        );
        assert_eq!(
            judge_face(&[face(100.0, 150.0)], 640, 480, &c),
            Err(Reason::FaceOffCentre)
        );
        assert!(judge_face(&[face(330.0, 150.0)], 640, 480, &c).is_ok());
    }

    #[test]
    fn prompts_are_drawn_from_the_rng_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            let check = FaceCheck::new(FaceCheckConfig::default(), &mut Fixed(seed * 7919));
            let p = check.prompts().to_vec();
            assert_eq!(p.len(), 2);
            assert_ne!(p[0], p[1]);
            seen.insert(p);
        }
        assert!(seen.len() >= 3, "{seen:?}");
    }

    #[test]
    fn a_good_attempt_passes_with_a_record_and_frames() {
        let mut check = settled(1);
        let prompts = check.prompts().to_vec();
        assert!(matches!(
            check.state(),
            FaceCheckState::Prompt { index: 0, .. }
        ));
        // Nothing happens at first: the prompt stays.
        check.feed(&frame(500), &[face(322.0, 200.0)]);
        assert!(matches!(
            check.state(),
            FaceCheckState::Prompt {
                index: 0,
                remaining_ms: 5_700,
                ..
            }
        ));
        check.feed(&frame(1_200), &[doing(prompts[0])]);
        assert!(matches!(
            check.state(),
            FaceCheckState::Prompt { index: 1, .. }
        ));
        check.feed(&frame(1_400), &[face(320.0, 200.0)]);
        check.feed(&frame(2_300), &[doing(prompts[1])]);
        assert_eq!(check.state(), &FaceCheckState::Passed);
        let ev = check.evidence().unwrap();
        assert_eq!(ev.frames.len(), 3);
        assert_eq!(ev.record.prompts.len(), 2);
        assert_eq!(ev.record.prompts[0].prompt, prompts[0]);
        assert_eq!(ev.record.prompts[0].shown_at_ms, 0);
        assert_eq!(ev.record.prompts[0].passed_at_ms, 1_000);
        assert_eq!(ev.record.prompts[1].shown_at_ms, 1_000);
        assert_eq!(ev.record.prompts[1].frame, 2);
        assert_eq!(ev.record.total_ms, 2_100);
        assert_eq!(ev.frames[2].at_ms, 2_300);
    }

    #[test]
    fn the_wrong_movement_does_not_pass_and_times_out() {
        let mut check = settled(2);
        let wrong = match check.prompts()[0] {
            ChallengePrompt::TurnLeft => doing(ChallengePrompt::TurnRight),
            _ => doing(ChallengePrompt::TurnLeft),
        };
        let wrong = if check.prompts()[0] == ChallengePrompt::ComeCloser {
            face(320.0, 200.0)
        } else {
            wrong
        };
        for t in 1..=70 {
            check.feed(&frame(200 + t * 100), &[wrong]);
        }
        assert_eq!(
            check.state(),
            &FaceCheckState::Failed {
                reason: Reason::ChallengeTimeout
            }
        );
        assert!(check.evidence().is_none());
    }

    #[test]
    fn mirrored_frames_swap_the_turn_direction() {
        let config = FaceCheckConfig {
            mirrored: true,
            prompts: 3,
            ..FaceCheckConfig::default()
        };
        let mut check = FaceCheck::new(config, &mut Fixed(0));
        for t in 0..3 {
            check.feed(&frame(t * 100), &[face(320.0, 200.0)]);
        }
        let mut t = 300;
        for p in check.prompts().to_vec() {
            let moved = match p {
                ChallengePrompt::TurnLeft => doing(ChallengePrompt::TurnRight),
                ChallengePrompt::TurnRight => doing(ChallengePrompt::TurnLeft),
                ChallengePrompt::ComeCloser => doing(p),
            };
            t += 500;
            check.feed(&frame(t), &[moved]);
        }
        assert_eq!(check.state(), &FaceCheckState::Passed);
    }

    #[test]
    fn a_second_face_or_a_lost_face_fails() {
        let mut check = settled(3);
        check.feed(&frame(400), &[face(320.0, 200.0), face(100.0, 120.0)]);
        assert_eq!(
            check.state(),
            &FaceCheckState::Failed {
                reason: Reason::FaceMultiple
            }
        );
        let mut check = settled(3);
        check.feed(&frame(1_000), &[]);
        assert!(matches!(check.state(), FaceCheckState::Prompt { .. }));
        check.feed(&frame(2_000), &[]);
        assert_eq!(
            check.state(),
            &FaceCheckState::Failed {
                reason: Reason::FaceLost
            }
        );
    }

    #[test]
    fn positioning_forever_hits_the_total_limit() {
        let mut check = FaceCheck::new(FaceCheckConfig::default(), &mut Fixed(0));
        check.feed(&frame(0), &[]);
        assert_eq!(
            check.state(),
            &FaceCheckState::Positioning {
                hint: Some(Reason::FaceNotFound)
            }
        );
        check.feed(&frame(30_001), &[face(320.0, 200.0)]);
        assert_eq!(
            check.state(),
            &FaceCheckState::Failed {
                reason: Reason::ChallengeTimeout
            }
        );
    }
}
