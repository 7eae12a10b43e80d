//! The camera icon beside 证件号码: the straightened front of the card read by the OCR crate,
//! offline, on the device. A number is offered only when its GB 11643 check digit holds; the
//! customer still sees and confirms both fields before 下一步.

use image::RgbImage;

/// What the scan found: the number only when its check digit holds, and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCardRead {
    pub number: Option<String>,
    pub name: Option<String>,
}

/// Why nothing is offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdScanFailure {
    /// The package lacks the reader's models (`ocr_model_missing`).
    ModelMissing,
    /// Neither field was read; the reason is for the tester's terminal.
    Unread(String),
}

/// Reads the card; `Unread` when the reader found neither field, `ModelMissing` when the
/// package lacks the reader's models.
pub fn read(card: &RgbImage) -> Result<IdCardRead, IdScanFailure> {
    // Loaded on the first scan (a fraction of a second) and shared after.
    let ocr = super::models::ocr().map_err(|e| {
        // The path and reason are for the tester's terminal; the customer gets the message.
        eprintln!("reset-app: {e}");
        IdScanFailure::ModelMissing
    })?;
    let reading = ocr
        .read_id_card(card)
        .map_err(|e| IdScanFailure::Unread(e.to_string()))?;
    let number = reading.accepted_number().map(str::to_owned);
    if number.is_none() && reading.name.is_none() {
        return Err(IdScanFailure::Unread("nothing read".into()));
    }
    Ok(IdCardRead {
        number,
        name: reading.name,
    })
}
