//! Bytes into a colour picture: a camera's frame, an uploaded file, a picture read back.

use image::RgbImage;

/// Why bytes are not a picture: the decoder's words, nothing of the picture itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a picture: {0}")]
pub struct NotAPicture(pub String);

/// Decodes a JPEG, PNG or WebP (what this build of `image` reads) into RGB.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, NotAPicture> {
    image::load_from_memory(bytes)
        .map(|i| i.into_rgb8())
        .map_err(|e| NotAPicture(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_no_picture_are_an_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"definitely not a jpeg",
            &[0xff, 0xd8, 0xff, 0xe0][..],
        ] {
            assert!(decode(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn a_png_decodes_to_its_pixels() {
        let img = RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8 * 80, y as u8 * 100, 7]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(decode(&png).unwrap(), img);
    }
}
