//! The camera icon beside 证件号码: the straightened front of the card read by the OCR crate,
//! offline, on the device. A number is offered only when its GB 11643 check digit holds; the
//! customer still sees and confirms both fields before 下一步.

use image::RgbImage;

use super::camera::{CameraFailure, CameraResult};

/// Reads the card; `Unread` when the reader found neither field, `ocr_model_missing` when the
/// package lacks the reader's models.
pub fn read(card: &RgbImage) -> Result<CameraResult, CameraFailure> {
    // Loaded on the first scan (a fraction of a second) and shared after.
    let ocr = super::models::ocr().map_err(|e| {
        // The path and reason are for the tester's terminal; the customer gets the message.
        eprintln!("reset-app: {e}");
        CameraFailure::Source {
            code: "ocr_model_missing",
        }
    })?;
    let reading = ocr
        .read_id_card(card)
        .map_err(|e| CameraFailure::Unread(e.to_string()))?;
    let number = reading.accepted_number().map(str::to_owned);
    if number.is_none() && reading.name.is_none() {
        return Err(CameraFailure::Unread("nothing read".into()));
    }
    Ok(CameraResult::IdCard {
        number,
        name: reading.name,
    })
}
