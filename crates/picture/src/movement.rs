//! The active challenge's movement rule: whether a face box shows a prompt done against the
//! face at rest. The app's face check and the server's re-check of the uploaded frames both
//! judge by it, so a frame the app passed is a frame the server passes.

use reset_flow::wire::ChallengePrompt;

use crate::FaceBox;

/// How far a face must move for a prompt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovementRule {
    /// A turn passes when the face centre has moved this share of the face width sideways.
    pub turn_shift: f32,
    /// "Come closer" passes when the face is this much wider than at the start.
    pub closer_growth: f32,
    /// Frames are mirrored (a selfie preview): the customer's left is the picture's left.
    pub mirrored: bool,
}

impl Default for MovementRule {
    fn default() -> Self {
        MovementRule {
            turn_shift: 0.25,
            closer_growth: 1.25,
            mirrored: false,
        }
    }
}

/// Whether `face` shows `prompt` done, against `base`, the face at rest (boxes on pictures of
/// one size): the centre moved sideways by `turn_shift` face widths towards the asked side, or
/// the face grew by `closer_growth`.
pub fn movement_done(
    prompt: ChallengePrompt,
    base: &FaceBox,
    face: &FaceBox,
    rule: &MovementRule,
) -> bool {
    if base.width <= 0.0 {
        return false;
    }
    let shift = (face.centre().0 - base.centre().0) / base.width;
    // A camera facing the customer sees their left on the picture's right.
    let towards_left = if rule.mirrored { -shift } else { shift };
    match prompt {
        ChallengePrompt::TurnLeft => towards_left >= rule.turn_shift,
        ChallengePrompt::TurnRight => -towards_left >= rule.turn_shift,
        ChallengePrompt::ComeCloser => face.width >= base.width * rule.closer_growth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(cx: f32, w: f32) -> FaceBox {
        FaceBox {
            x: cx - w / 2.0,
            y: 100.0,
            width: w,
            height: w,
            score: 5.0,
        }
    }

    #[test]
    fn each_prompt_needs_its_own_movement_and_enough_of_it() {
        let rule = MovementRule::default();
        let rest = face(300.0, 100.0);
        assert!(movement_done(
            ChallengePrompt::TurnLeft,
            &rest,
            &face(325.0, 100.0),
            &rule
        ));
        assert!(!movement_done(
            ChallengePrompt::TurnLeft,
            &rest,
            &face(324.0, 100.0),
            &rule
        ));
        assert!(!movement_done(
            ChallengePrompt::TurnRight,
            &rest,
            &face(330.0, 100.0),
            &rule
        ));
        assert!(movement_done(
            ChallengePrompt::TurnRight,
            &rest,
            &face(275.0, 100.0),
            &rule
        ));
        assert!(movement_done(
            ChallengePrompt::ComeCloser,
            &rest,
            &face(300.0, 125.0),
            &rule
        ));
        assert!(!movement_done(
            ChallengePrompt::ComeCloser,
            &rest,
            &face(330.0, 120.0),
            &rule
        ));
        let mirrored = MovementRule {
            mirrored: true,
            ..rule
        };
        assert!(movement_done(
            ChallengePrompt::TurnRight,
            &rest,
            &face(330.0, 100.0),
            &mirrored
        ));
        // A face of no width at rest proves nothing.
        assert!(!movement_done(
            ChallengePrompt::ComeCloser,
            &face(0.0, 0.0),
            &rest,
            &rule
        ));
    }
}
