//! A camera frame as it crosses the IPC from the screen ([`FrameEncoding`]): the JPEG's bytes
//! as the raw body, or `{"jpeg": "<base64>"}` where the IPC has no raw bodies (Android).
//! Nothing larger than a frame is decoded.

use base64::Engine;
use reset_capture::webview::MAX_FRAME_BYTES;
use tauri::ipc::InvokeBody;

#[cfg(doc)]
use reset_app_core::view::FrameEncoding;

/// The longest base64 text a frame of [`MAX_FRAME_BYTES`] can be.
const MAX_FRAME_BASE64: usize = MAX_FRAME_BYTES.div_ceil(3) * 4;

/// The frame's JPEG bytes, or `None` for a body that is not a frame the screen sends.
pub fn frame_bytes(body: &InvokeBody) -> Option<Vec<u8>> {
    match body {
        InvokeBody::Raw(bytes) if bytes.len() <= MAX_FRAME_BYTES => Some(bytes.clone()),
        InvokeBody::Json(serde_json::Value::Object(fields)) if fields.len() == 1 => {
            let text = fields.get("jpeg")?.as_str()?;
            if text.len() > MAX_FRAME_BASE64 {
                return None;
            }
            base64::engine::general_purpose::STANDARD.decode(text).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_encodings_carry_the_same_bytes() {
        let jpeg: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&jpeg);
        assert_eq!(
            frame_bytes(&InvokeBody::Raw(jpeg.clone())),
            Some(jpeg.clone())
        );
        assert_eq!(
            frame_bytes(&InvokeBody::Json(json!({ "jpeg": text }))),
            Some(jpeg)
        );
    }

    /// What the capture crate makes of a real JPEG sent either way: the same picture.
    #[test]
    fn the_capture_crate_reads_the_same_frame_either_way() {
        use reset_capture::{encode_jpeg, FrameSource, JpegSpec, WebviewFeed};
        use std::sync::{atomic::AtomicBool, Arc};
        use std::time::Duration;

        let picture = image::RgbImage::from_fn(1280, 720, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
        });
        let jpeg = encode_jpeg(&picture, &JpegSpec::default()).unwrap();
        let text = base64::engine::general_purpose::STANDARD.encode(&jpeg);
        let read = |body: InvokeBody| {
            let feed = WebviewFeed::new(8);
            let bytes = frame_bytes(&body).expect("a frame");
            assert!(feed.push_jpeg_at(&bytes, 0).unwrap());
            let cancel = Arc::new(AtomicBool::new(false));
            let mut source = feed.source(cancel, Duration::from_secs(1), Duration::from_secs(1));
            source.next_frame().unwrap().expect("the frame").image
        };
        let raw = read(InvokeBody::Raw(jpeg.clone()));
        let base64 = read(InvokeBody::Json(json!({ "jpeg": text })));
        assert_eq!(raw.dimensions(), (1280, 720));
        assert!(raw == base64, "the same pixels");
        // The size on the way: base64 is a third over the JPEG, the JSON array of numbers
        // Android's IPC made of the bytes more than three times it.
        let array = serde_json::to_string(&jpeg).unwrap().len();
        let sent = serde_json::to_string(&json!({ "jpeg": text }))
            .unwrap()
            .len();
        assert!(sent <= jpeg.len() * 4 / 3 + 16, "{sent} for {}", jpeg.len());
        assert!(array > jpeg.len() * 3, "{array} for {}", jpeg.len());
    }

    #[test]
    fn anything_else_is_refused_before_it_is_decoded() {
        let too_long = "A".repeat(MAX_FRAME_BASE64 + 4);
        for bad in [
            json!({ "jpeg": "not base64!" }),
            json!({ "jpeg": 12 }),
            json!({ "jpeg": "/9j/", "extra": 1 }),
            json!({ "frame": "/9j/" }),
            json!({ "jpeg": too_long }),
            // The JSON array of numbers Android's IPC makes of bytes: the screen sends base64.
            json!([255, 216, 255]),
            json!("/9j/"),
        ] {
            assert_eq!(frame_bytes(&InvokeBody::Json(bad.clone())), None, "{bad}");
        }
        assert_eq!(
            frame_bytes(&InvokeBody::Raw(vec![0; MAX_FRAME_BYTES + 1])),
            None
        );
        // The longest frame there can be still goes through, either way.
        let largest = vec![7u8; MAX_FRAME_BYTES];
        let text = base64::engine::general_purpose::STANDARD.encode(&largest);
        assert_eq!(text.len(), MAX_FRAME_BASE64);
        assert_eq!(
            frame_bytes(&InvokeBody::Json(json!({ "jpeg": text }))).map(|b| b.len()),
            Some(MAX_FRAME_BYTES)
        );
    }
}
