//! The pictures that leave the device: JPEG, long edge at most 1600 px, at a quality that keeps
//! the card's print readable, and about 400 KB or less.

use image::imageops::FilterType;
use image::RgbImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JpegSpec {
    pub max_edge: u32,
    /// The first quality tried; lowered step by step while the file is too large.
    pub quality: u8,
    /// Never below this: card text must stay readable.
    pub min_quality: u8,
    pub max_bytes: usize,
}

impl Default for JpegSpec {
    fn default() -> Self {
        JpegSpec {
            max_edge: 1600,
            quality: 88,
            min_quality: 60,
            max_bytes: 400 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("empty picture")]
    Empty,
    #[error("JPEG encoding failed: {0}")]
    Jpeg(String),
}

/// Scales `image` to the spec's long edge (never up) and encodes it, lowering the quality until it
/// fits `max_bytes` or reaches `min_quality` (then the smallest file is returned).
pub fn encode_jpeg(image: &RgbImage, spec: &JpegSpec) -> Result<Vec<u8>, EncodeError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Err(EncodeError::Empty);
    }
    let long = w.max(h);
    let scaled;
    let img = if long > spec.max_edge {
        let s = spec.max_edge as f32 / long as f32;
        let (nw, nh) = (
            ((w as f32 * s).round() as u32).max(1),
            ((h as f32 * s).round() as u32).max(1),
        );
        scaled = image::imageops::resize(image, nw, nh, FilterType::Triangle);
        &scaled
    } else {
        image
    };
    let mut quality = spec.quality.max(spec.min_quality);
    loop {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(img)
            .map_err(|e| EncodeError::Jpeg(e.to_string()))?;
        if out.len() <= spec.max_bytes || quality <= spec.min_quality {
            return Ok(out);
        }
        quality = quality.saturating_sub(8).max(spec.min_quality);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_noisy_pictures_are_scaled_and_squeezed() {
        // Noise is the worst case for JPEG size.
        let mut seed = 12345u32;
        let img = RgbImage::from_fn(2400, 1500, |_, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let v = (seed >> 16) as u8;
            image::Rgb([v, v / 2 + 60, 255 - v])
        });
        let spec = JpegSpec::default();
        let jpeg = encode_jpeg(&img, &spec).unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (1600, 1000));
        assert!(jpeg.starts_with(&[0xFF, 0xD8]));
        // Pure noise may not fit even at the lowest quality; it must at least have tried.
        let first = {
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, spec.quality)
                .encode_image(&image::imageops::resize(
                    &img,
                    1600,
                    1000,
                    FilterType::Triangle,
                ))
                .unwrap();
            out.len()
        };
        assert!(jpeg.len() < first, "{} vs {first}", jpeg.len());
    }

    #[test]
    fn small_pictures_keep_their_size() {
        let img = RgbImage::from_pixel(640, 480, image::Rgb([200, 180, 160]));
        let jpeg = encode_jpeg(&img, &JpegSpec::default()).unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (640, 480));
        assert!(jpeg.len() < 400 * 1024);
        assert!(matches!(
            encode_jpeg(&RgbImage::new(0, 0), &JpegSpec::default()),
            Err(EncodeError::Empty)
        ));
    }
}
