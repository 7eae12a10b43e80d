//! Desktop and kiosk cameras through nokhwa (feature `camera`): opens the camera in a format it
//! offers close to 1280×720, and reports "no camera" and "permission denied" as such.

use std::time::Instant;

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use nokhwa::{Camera, NokhwaError};

use crate::source::{FrameSource, SourceError};
use crate::Frame;

pub struct CameraSource {
    camera: Camera,
    started: Instant,
    label: String,
}

fn classify(e: NokhwaError) -> SourceError {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("eacces") || lower.contains("not authorized")
    {
        SourceError::PermissionDenied
    } else if lower.contains("no such device") || lower.contains("not found") {
        SourceError::NoCamera
    } else {
        SourceError::CameraFailed(text)
    }
}

impl CameraSource {
    /// Opens camera `index` (0 is the first).
    pub fn open(index: u32) -> Result<CameraSource, SourceError> {
        let cameras = nokhwa::query(ApiBackend::Auto).map_err(classify)?;
        if cameras.is_empty() {
            return Err(SourceError::NoCamera);
        }
        if index as usize >= cameras.len() {
            return Err(SourceError::NoCamera);
        }
        // Closest to 720p at 30 fps among the formats the camera offers (MJPEG preferred, but
        // any format the camera lists is accepted and decoded to RGB).
        let wanted = CameraFormat::new(Resolution::new(1280, 720), FrameFormat::MJPEG, 30);
        let requested = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
        let mut camera = Camera::new(CameraIndex::Index(index), requested).map_err(classify)?;
        camera.open_stream().map_err(classify)?;
        let format = camera.camera_format();
        let label = format!(
            "camera {index} ({}, {}x{} {} @ {} fps)",
            camera.info().human_name(),
            format.width(),
            format.height(),
            format.format(),
            format.frame_rate()
        );
        Ok(CameraSource {
            camera,
            started: Instant::now(),
            label,
        })
    }
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let buffer = self.camera.frame().map_err(classify)?;
        let at_ms = self.started.elapsed().as_millis() as u64;
        let decoded = buffer.decode_image::<RgbFormat>().map_err(classify)?;
        let (w, h) = (decoded.width(), decoded.height());
        let image = image::RgbImage::from_raw(w, h, decoded.into_raw())
            .ok_or_else(|| SourceError::CameraFailed("frame size does not match".into()))?;
        Ok(Some(Frame::new(image, at_ms)))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        let _ = self.camera.stop_stream();
    }
}
