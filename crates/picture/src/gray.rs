//! Grey pictures: what every analysis works on, and the cheap ways to make them smaller.

use image::{GrayImage, RgbImage};

/// Fast integer luma; `image`'s own conversion goes through floats and is several times slower.
pub fn to_gray(rgb: &RgbImage) -> GrayImage {
    let (w, h) = rgb.dimensions();
    let out: Vec<u8> = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| ((77 * p[0] as u32 + 150 * p[1] as u32 + 29 * p[2] as u32) >> 8) as u8)
        .collect();
    GrayImage::from_raw(w, h, out).expect("one luma byte per pixel")
}

/// Halves a gray picture by averaging 2×2 blocks (box filter, no aliasing of fine print).
pub fn half(gray: &GrayImage) -> GrayImage {
    let (w, h) = (gray.width() / 2, gray.height() / 2);
    let src = gray.as_raw();
    let sw = gray.width() as usize;
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h as usize {
        let r0 = &src[2 * y * sw..];
        let r1 = &src[(2 * y + 1) * sw..];
        for x in 0..w as usize {
            let s =
                r0[2 * x] as u32 + r0[2 * x + 1] as u32 + r1[2 * x] as u32 + r1[2 * x + 1] as u32;
            out.push(((s + 2) / 4) as u8);
        }
    }
    GrayImage::from_raw(w, h, out).expect("sizes agree")
}

/// Scales a gray picture down by halving until its long edge is at most `max_edge`.
pub fn shrink_to(gray: &GrayImage, max_edge: u32) -> (GrayImage, u32) {
    let mut img = gray.clone();
    let mut factor = 1;
    while img.width().max(img.height()) > max_edge && img.width() >= 4 && img.height() >= 4 {
        img = half(&img);
        factor *= 2;
    }
    (img, factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_weights_and_halving() {
        let rgb = RgbImage::from_fn(4, 2, |x, _| {
            if x < 2 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([255, 0, 0])
            }
        });
        let g = to_gray(&rgb);
        assert_eq!(g.get_pixel(0, 0)[0], 255);
        assert_eq!(g.get_pixel(3, 1)[0], 76);
        let h = half(&g);
        assert_eq!(h.dimensions(), (2, 1));
        assert_eq!(h.get_pixel(0, 0)[0], 255);
        assert_eq!(h.get_pixel(1, 0)[0], 76);
        let (s, f) = shrink_to(&GrayImage::new(1280, 720), 320);
        assert_eq!((s.width(), f), (320, 4));
    }
}
