//! Why a frame is not good enough yet: one code per reason, worded for the screen in Chinese and
//! English, like the flow crate's `ErrorCode`.

use serde::{Deserialize, Serialize};

macro_rules! reasons {
    ($( $variant:ident = $code:literal, $zh:literal, $en:literal; )*) => {
        /// A reason the UI shows while the customer holds the camera.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Reason {
            $( $variant, )*
        }

        impl Reason {
            /// All reasons, in declaration order (for the UI's message table).
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The stable snake_case code, e.g. `too_blurry`.
            pub const fn code(self) -> &'static str {
                match self { $( Reason::$variant => $code, )* }
            }

            /// What the customer reads, in Chinese.
            pub const fn message_zh(self) -> &'static str {
                match self { $( Reason::$variant => $zh, )* }
            }

            /// The English message.
            pub const fn message_en(self) -> &'static str {
                match self { $( Reason::$variant => $en, )* }
            }
        }
    };
}

reasons! {
    // Picture quality
    TooBlurry = "too_blurry", "画面模糊，请保持稳定并对焦", "The picture is blurred; hold still and let it focus.";
    TooDark = "too_dark", "光线太暗，请到明亮处", "Too dark; move to a brighter place.";
    TooBright = "too_bright", "光线太强，请避免强光直射", "Too bright; avoid direct light.";
    Glare = "glare", "有反光，请调整角度", "There is glare; tilt the card or move away from the light.";
    Moving = "moving", "请保持稳定", "Hold still.";

    // ID card
    CardNotFound = "card_not_found", "请将证件放入取景框内", "Place the ID card inside the frame.";
    CardTooSmall = "card_too_small", "请将证件靠近一些", "Bring the card closer.";
    CardTooClose = "card_too_close", "证件请完整放入取景框，四周留出空白", "Keep the whole card inside the frame with a margin around it.";
    CardTilted = "card_tilted", "请将证件放正", "Hold the card straight.";
    CardShape = "card_shape", "未识别到完整证件，请将证件平放", "The card's outline is not clear; lay it flat.";
    CardNoPortrait = "card_no_portrait", "请拍摄带有人像的证件正面", "Photograph the front of the card, the side with the portrait.";
    CardWrongSide = "card_wrong_side", "请拍摄证件反面（国徽面）", "Photograph the back of the card (the side without the portrait).";
    HandheldNoFace = "handheld_no_face", "手持证件照中未检测到人脸", "No face in the photo holding the card.";
    HandheldNoCard = "handheld_no_card", "手持证件照中未检测到证件", "No ID card in the photo holding the card.";

    // Face check
    FaceNotFound = "face_not_found", "未检测到人脸，请正对屏幕", "No face found; face the screen.";
    FaceMultiple = "face_multiple", "检测到多张人脸，请确保只有本人", "More than one face; only you should be in view.";
    FaceOffCentre = "face_off_centre", "请将脸部移至取景框中央", "Move your face to the middle of the frame.";
    FaceTooSmall = "face_too_small", "请靠近一些", "Come a little closer.";
    FaceTooLarge = "face_too_large", "请离远一些", "Move back a little.";
    ChallengeTimeout = "challenge_timeout", "动作超时，请重试", "Too slow; try again.";
    FaceLost = "face_lost", "人脸离开画面，请重试", "Your face left the picture; try again.";

    // The camera itself
    CameraEnded = "camera_ended", "摄像头画面中断，请重试", "The camera stopped sending pictures; try again.";
}

impl Reason {
    /// The flow crate's error code the server would answer with for a failed face check.
    pub fn error_code(self) -> Option<reset_flow::ErrorCode> {
        use reset_flow::ErrorCode;
        match self {
            Reason::FaceNotFound | Reason::FaceLost => Some(ErrorCode::FaceNotFound),
            Reason::FaceMultiple => Some(ErrorCode::FaceMultiple),
            Reason::ChallengeTimeout => Some(ErrorCode::ChallengeFailed),
            _ => None,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_serde_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.code())
            );
            assert!(seen.insert(r.code()), "duplicate {r}");
            assert!(!r.message_zh().is_empty() && !r.message_en().is_empty());
        }
    }

    #[test]
    fn face_reasons_map_to_flow_codes() {
        assert_eq!(
            Reason::FaceMultiple.error_code(),
            Some(reset_flow::ErrorCode::FaceMultiple)
        );
        assert_eq!(
            Reason::ChallengeTimeout.error_code(),
            Some(reset_flow::ErrorCode::ChallengeFailed)
        );
        assert_eq!(Reason::Glare.error_code(), None);
    }
}
