//! Which side of the ID card a picture shows (the front carries the portrait: one face on the
//! card), and whether the handheld photo shows both a face and a card.

use serde::Serialize;

use crate::card::{find_card, DocumentLimits};
use crate::{FaceBox, FaceFinder, Reason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardSide {
    /// 人像面: exactly one face on the card.
    Front,
    /// 国徽面: no face.
    Back,
}

/// The side of a straightened card (about 1000 px wide). More than one face is not a card side.
pub fn card_side(straightened: &image::RgbImage, faces: &mut FaceFinder) -> Option<CardSide> {
    let found = faces.detect(&crate::frame::to_gray(straightened));
    match found.len() {
        0 => Some(CardSide::Back),
        1 => Some(CardSide::Front),
        _ => None,
    }
}

/// Checks the expected side; the reason to show when it is the other one.
pub fn expect_side(found: Option<CardSide>, wanted: CardSide) -> Result<(), Reason> {
    match (found, wanted) {
        (Some(f), w) if f == w => Ok(()),
        (_, CardSide::Front) => Err(Reason::CardNoPortrait),
        (_, CardSide::Back) => Err(Reason::CardWrongSide),
    }
}

/// What the handheld photo shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handheld {
    pub face: FaceBox,
    pub card: crate::Quad,
}

/// The handheld photo must show the customer's face and the card. The largest face is taken as
/// the customer's (the card's portrait is smaller).
pub fn check_handheld(
    frame: &crate::Frame,
    faces: &mut FaceFinder,
) -> Result<Handheld, Vec<Reason>> {
    let gray = frame.gray();
    let found = faces.detect(&gray);
    let limits = DocumentLimits {
        min_card_share: 0.1,
        ..DocumentLimits::default()
    };
    let card = find_card(&gray, &limits);
    let mut reasons = Vec::new();
    if found.is_empty() {
        reasons.push(Reason::HandheldNoFace);
    }
    if card.is_none() {
        reasons.push(Reason::HandheldNoCard);
    }
    match (found.first(), card) {
        (Some(face), Some(card)) => Ok(Handheld { face: *face, card }),
        _ => Err(reasons),
    }
}
