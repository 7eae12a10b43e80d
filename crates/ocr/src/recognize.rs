//! Preparing one text line for the recognition model: cut out along its box, straightened to a
//! strip 48 pixels high, and padded to a width bucket.

use image::{Rgb, RgbImage};
use tract_onnx::prelude::*;

use crate::detect::Quad;

pub const LINE_HEIGHT: u32 = 48;
/// Strips are padded to a multiple of this, so a limited set of planned shapes serves every
/// line; the recogniser's cost grows with the width, so the padding is kept small.
const WIDTH_BUCKET: u32 = 32;
const MAX_WIDTH: u32 = 1280;

/// The line inside `quad`, straightened and scaled to [`LINE_HEIGHT`] (bilinear sampling).
pub fn straighten(img: &RgbImage, quad: &Quad) -> RgbImage {
    let [tl, tr, _, bl] = quad.corners;
    let (w, h) = (quad.along().max(1.0), quad.across().max(1.0));
    let out_w = ((w / h * LINE_HEIGHT as f32).round() as u32).clamp(8, MAX_WIDTH);
    let step_x = ((tr.0 - tl.0) / out_w as f32, (tr.1 - tl.1) / out_w as f32);
    let step_y = (
        (bl.0 - tl.0) / LINE_HEIGHT as f32,
        (bl.1 - tl.1) / LINE_HEIGHT as f32,
    );
    RgbImage::from_fn(out_w, LINE_HEIGHT, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let px = tl.0 + step_x.0 * fx + step_y.0 * fy;
        let py = tl.1 + step_x.1 * fx + step_y.1 * fy;
        bilinear(img, px - 0.5, py - 0.5)
    })
}

fn bilinear(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let at = |xi: i64, yi: i64| {
        let p = img.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32);
        [p.0[0] as f32, p.0[1] as f32, p.0[2] as f32]
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (ax, ay) = (x - x0, y - y0);
    let (xi, yi) = (x0 as i64, y0 as i64);
    let (p00, p10, p01, p11) = (
        at(xi, yi),
        at(xi + 1, yi),
        at(xi, yi + 1),
        at(xi + 1, yi + 1),
    );
    let mut out = [0u8; 3];
    for c in 0..3 {
        let top = p00[c] * (1.0 - ax) + p10[c] * ax;
        let bottom = p01[c] * (1.0 - ax) + p11[c] * ax;
        out[c] = (top * (1.0 - ay) + bottom * ay).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

/// The width a strip is padded to.
pub fn bucket_width(strip_width: u32) -> u32 {
    strip_width.div_ceil(WIDTH_BUCKET).max(1) * WIDTH_BUCKET
}

/// Strips of one width bucket as a `[n, 3, 48, width]` batch, pixels scaled to [-1, 1] in BGR
/// order; the padding is 0, a neutral grey to the model.
pub fn rec_input(strips: &[&RgbImage], width: u32) -> Tensor {
    let (h, w) = (LINE_HEIGHT as usize, width as usize);
    let mut data = vec![0.0f32; strips.len() * 3 * h * w];
    for (n, strip) in strips.iter().enumerate() {
        let sw = strip.width() as usize;
        for (i, px) in strip.as_raw().chunks_exact(3).enumerate() {
            let (y, x) = (i / sw, i % sw);
            if x >= w || y >= h {
                continue;
            }
            for c in 0..3 {
                data[((n * 3 + c) * h + y) * w + x] = px[2 - c] as f32 / 127.5 - 1.0;
            }
        }
    }
    Tensor::from_shape(&[strips.len(), 3, h, w], &data).expect("the length fits the shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_box_is_cut_out_and_scaled_to_48_high() {
        // Left half black, right half white; the box spans the middle.
        let img = RgbImage::from_fn(200, 100, |x, _| {
            if x < 100 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        let strip = straighten(
            &img,
            &Quad::new([(50.0, 40.0), (150.0, 40.0), (150.0, 64.0), (50.0, 64.0)]),
        );
        assert_eq!(strip.dimensions(), (200, 48));
        assert_eq!(strip.get_pixel(10, 20).0, [0, 0, 0]);
        assert_eq!(strip.get_pixel(190, 20).0, [255, 255, 255]);
    }

    #[test]
    fn a_rotated_box_is_turned_level() {
        // A picture whose colour tells the x position; the box runs straight down the page,
        // so the strip's left-to-right must follow the picture's top-to-bottom.
        let img = RgbImage::from_fn(100, 200, |_, y| Rgb([y as u8, 0, 0]));
        let q = Quad::new([(60.0, 20.0), (60.0, 180.0), (40.0, 180.0), (40.0, 20.0)]);
        let strip = straighten(&img, &q);
        let left = strip.get_pixel(2, 24).0[0];
        let right = strip.get_pixel(strip.width() - 3, 24).0[0];
        assert!(left < 30 && right > 170, "{left} {right}");
    }

    #[test]
    fn strips_are_padded_to_their_bucket_with_neutral_grey() {
        assert_eq!(bucket_width(1), 32);
        assert_eq!(bucket_width(32), 32);
        assert_eq!(bucket_width(33), 64);
        let white = RgbImage::from_pixel(100, 48, Rgb([255, 255, 255]));
        let t = rec_input(&[&white], bucket_width(100));
        assert_eq!(t.shape(), &[1, 3, 48, 128]);
        let v = t.to_array_view::<f32>().unwrap();
        assert_eq!(v[[0, 0, 0, 0]], 1.0);
        assert_eq!(v[[0, 2, 47, 99]], 1.0);
        assert_eq!(v[[0, 1, 10, 100]], 0.0);
    }
}
