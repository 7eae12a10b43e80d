//! Customer pictures made safe to keep: a JPEG recognised by its content (not its name or
//! Content-Type), its marker structure walked to the end of the image, its size read from the
//! header and refused before decoding when too large, then decoded and re-encoded so metadata
//! (EXIF, GPS) and anything hidden after the image are gone.

use std::io::Cursor;
use std::sync::Arc;

use image::{ImageFormat, ImageReader, Limits, RgbImage};
use reset_flow::ErrorCode;
use reset_picture::{encode_jpeg, JpegSpec};
use tokio::sync::Semaphore;

/// What a picture may be, and how it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureRules {
    /// Width × height as the header states it.
    pub max_pixels: u64,
    /// The stored picture's long edge.
    pub max_edge: u32,
    /// JPEG quality of the stored picture; high enough that the card's print stays readable.
    pub quality: u8,
}

/// A picture after cleaning: the JPEG to store. The decoded pixels are dropped inside
/// [`clean`]: of a face frame only a small copy is kept, for the face check.
pub struct CleanPicture {
    pub jpeg: Vec<u8>,
    /// Of the stored JPEG.
    pub width: u32,
    pub height: u32,
}

/// The long edge of the copy the server finds faces on: ample for a face that fills a fifth of
/// the frame, and a small fraction of a full frame's memory and time.
pub const FACE_EDGE: u32 = 640;

/// Checks one uploaded picture and re-encodes it. Each refusal is the code the customer sees.
pub fn clean(bytes: &[u8], rules: &PictureRules) -> Result<CleanPicture, ErrorCode> {
    clean_keeping(bytes, rules, None).map(|(pic, _)| pic)
}

/// As [`clean`], also keeping a copy of the picture at most [`FACE_EDGE`] on its long edge.
pub fn clean_with_preview(
    bytes: &[u8],
    rules: &PictureRules,
) -> Result<(CleanPicture, RgbImage), ErrorCode> {
    let (pic, preview) = clean_keeping(bytes, rules, Some(FACE_EDGE))?;
    Ok((pic, preview.ok_or(ErrorCode::EvidenceCorrupt)?))
}

fn clean_keeping(
    bytes: &[u8],
    rules: &PictureRules,
    preview_edge: Option<u32>,
) -> Result<(CleanPicture, Option<RgbImage>), ErrorCode> {
    if bytes.is_empty() {
        return Err(ErrorCode::EvidenceEmpty);
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ErrorCode::EvidenceNotJpeg);
    }
    let image_end = walk_markers(bytes)?;
    let bytes = &bytes[..image_end];
    let (w, h) = decoder(|| {
        ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg).into_dimensions()
    })?;
    if w == 0 || h == 0 {
        return Err(ErrorCode::EvidenceCorrupt);
    }
    if u64::from(w) * u64::from(h) > rules.max_pixels {
        return Err(ErrorCode::EvidenceTooManyPixels);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // Room for the decoded picture in its widest colour form and the decoder's own buffers.
    limits.max_alloc = Some(rules.max_pixels.saturating_mul(8));
    reader.limits(limits);
    let decoded = decoder(move || reader.decode())?;
    // `into_rgb8` takes the buffer over when it is RGB already (a camera's JPEG is), instead
    // of holding a second full-size copy.
    let pixels = decoded.into_rgb8();
    let spec = JpegSpec {
        max_edge: rules.max_edge,
        quality: rules.quality,
        min_quality: rules.quality,
        max_bytes: usize::MAX,
    };
    let jpeg = encode_jpeg(&pixels, &spec).map_err(|_| ErrorCode::EvidenceCorrupt)?;
    let (width, height) = scaled_size(w, h, rules.max_edge);
    let preview = preview_edge.map(|edge| {
        let (pw, ph) = scaled_size(w, h, edge);
        if (pw, ph) == (w, h) {
            pixels.clone()
        } else {
            image::imageops::resize(&pixels, pw, ph, image::imageops::FilterType::Triangle)
        }
    });
    drop(pixels);
    Ok((
        CleanPicture {
            jpeg,
            width,
            height,
        },
        preview,
    ))
}

/// What the JPEG decoder makes of the picture, or `evidence_corrupt` when it fails or panics:
/// zune-jpeg panics on some crafted files (an `unwrap` in its AVX2 IDCT, zune-image issue 361;
/// found by fuzzing, fuzz/regressions/picture_clean), and a picture the decoder cannot read is
/// a damaged picture for the customer, not a server error. Nothing of the decoder's is used
/// after a panic, so its state cannot be seen half-changed.
fn decoder<T>(decode: impl FnOnce() -> image::ImageResult<T>) -> Result<T, ErrorCode> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode))
        .map_err(|_| ErrorCode::EvidenceCorrupt)?
        .map_err(|_| ErrorCode::EvidenceCorrupt)
}

/// The size `encode_jpeg` gives a `w`×`h` picture with long edge `max_edge`.
fn scaled_size(w: u32, h: u32, max_edge: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= max_edge {
        return (w, h);
    }
    let s = max_edge as f32 / long as f32;
    (
        ((w as f32 * s).round() as u32).max(1),
        ((h as f32 * s).round() as u32).max(1),
    )
}

/// Walks the JPEG's segments from SOI through the entropy-coded scans to EOI; the offset just
/// after EOI. A file cut short (no EOI), a segment running past the end, or a picture with no
/// frame header or no scan is `evidence_corrupt`. Decoders are lenient with cut files and fill
/// the missing part grey, so this is what notices a truncated upload.
pub fn walk_markers(b: &[u8]) -> Result<usize, ErrorCode> {
    let corrupt = ErrorCode::EvidenceCorrupt;
    let mut i = 2; // after SOI
    let (mut frame, mut scan) = (false, false);
    loop {
        // Fill bytes (0xFF) may precede a marker.
        if b.get(i) != Some(&0xFF) {
            return Err(corrupt);
        }
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *b.get(i).ok_or(corrupt)?;
        i += 1;
        match marker {
            0xD9 => {
                return if frame && scan { Ok(i) } else { Err(corrupt) };
            }
            0x01 | 0xD0..=0xD7 => continue, // no length
            0xD8 | 0x00 => return Err(corrupt),
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([
            *b.get(i).ok_or(corrupt)?,
            *b.get(i + 1).ok_or(corrupt)?,
        ]));
        if len < 2 || i + len > b.len() {
            return Err(corrupt);
        }
        // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            frame = true;
        }
        i += len;
        if marker == 0xDA {
            scan = true;
            // Entropy-coded data: runs until a marker other than a stuffed zero or a restart.
            loop {
                let at = i + memchr_ff(&b[i..]).ok_or(corrupt)?;
                match b.get(at + 1) {
                    None => return Err(corrupt),
                    Some(0x00) | Some(0xD0..=0xD7) => i = at + 2,
                    Some(0xFF) => i = at + 1,
                    Some(_) => {
                        i = at;
                        break;
                    }
                }
            }
        }
    }
}

fn memchr_ff(b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == 0xFF)
}

/// Runs picture work (decoding, re-encoding, face finding) on blocking threads, at most
/// `max_concurrent` at once, so a burst of uploads queues instead of taking every core and a
/// few hundred megabytes each.
#[derive(Clone)]
pub struct PictureWorkers {
    permits: Arc<Semaphore>,
}

impl PictureWorkers {
    /// `max_concurrent` 0 means one per CPU.
    pub fn new(max_concurrent: usize) -> PictureWorkers {
        let n = if max_concurrent == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            max_concurrent
        };
        PictureWorkers {
            permits: Arc::new(Semaphore::new(n.max(1))),
        }
    }

    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ErrorCode> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ErrorCode::Internal)?;
        tokio::task::spawn_blocking(move || {
            let out = job();
            drop(permit);
            out
        })
        .await
        .map_err(|_| ErrorCode::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    fn rules() -> PictureRules {
        PictureRules {
            max_pixels: 1_000_000,
            max_edge: 200,
            quality: 85,
        }
    }

    #[test]
    fn each_fault_has_its_code() {
        let good = jpeg(320, 240);
        assert_eq!(walk_markers(&good), Ok(good.len()));
        let refuse = |b: &[u8]| clean(b, &rules()).err();
        assert_eq!(refuse(&[]), Some(ErrorCode::EvidenceEmpty));
        assert_eq!(
            refuse(b"\x89PNG\r\n\x1a\n"),
            Some(ErrorCode::EvidenceNotJpeg)
        );
        assert_eq!(refuse(b"GIF89a"), Some(ErrorCode::EvidenceNotJpeg));
        for cut in [3, 20, good.len() / 2, good.len() - 1] {
            assert_eq!(
                refuse(&good[..cut]),
                Some(ErrorCode::EvidenceCorrupt),
                "cut at {cut}"
            );
        }
        // Over the pixel cap: refused from the header, before any decoding.
        assert_eq!(
            refuse(&jpeg(1200, 1000)),
            Some(ErrorCode::EvidenceTooManyPixels)
        );
    }

    #[test]
    fn trailing_bytes_are_dropped_and_the_picture_is_scaled() {
        let mut b = jpeg(640, 480);
        b.extend_from_slice(b"\xFF\xD8 a second picture or a secret");
        let pic = clean(&b, &rules()).unwrap();
        assert_eq!((pic.width, pic.height), (200, 150));
        assert!(pic.jpeg.ends_with(&[0xFF, 0xD9]));
        assert!(!pic.jpeg.windows(6).any(|w| w == b"secret"));
        let back = image::load_from_memory(&pic.jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (200, 150));
    }

    #[test]
    fn a_picture_the_decoder_panics_on_is_refused_as_corrupt() {
        // Found by fuzzing: zune-jpeg's AVX2 IDCT unwraps a slice it does not have on this
        // file; the upload became a server error.
        let crafted =
            include_bytes!("../../../../fuzz/regressions/picture_clean/zune_jpeg_avx2_idct_panic");
        let rules = PictureRules {
            max_pixels: 128 * 128,
            max_edge: 48,
            quality: 85,
        };
        let refused = clean(crafted, &rules).err();
        // The panic is on the decoder's AVX2 path; a CPU without AVX2 takes another one.
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        if avx2 {
            assert_eq!(refused, Some(ErrorCode::EvidenceCorrupt));
        }
        // Wherever the decoder panics, in the header reader or the decoding.
        assert_eq!(
            decoder::<()>(|| panic!("a decoder's bug")),
            Err(ErrorCode::EvidenceCorrupt)
        );
        assert_eq!(decoder(|| Ok(7)), Ok(7));
    }

    #[test]
    fn the_face_copy_is_small() {
        let rules = PictureRules {
            max_pixels: 2_000_000,
            ..rules()
        };
        let (_, preview) = clean_with_preview(&jpeg(1280, 960), &rules).unwrap();
        assert_eq!((preview.width(), preview.height()), (FACE_EDGE, 480));
        let (_, small) = clean_with_preview(&jpeg(320, 240), &rules).unwrap();
        assert_eq!((small.width(), small.height()), (320, 240));
    }
}
