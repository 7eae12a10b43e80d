//! Finding text lines: the DBNet model's text map, turned into rotated boxes around each line.

use image::imageops::FilterType;
use image::RgbImage;
use imageproc::point::Point;
use tract_onnx::prelude::*;

/// The longer side of the picture as the detector sees it, by default. The detector's cost grows
/// with the pixel count; at 512 a generated card (filling most of the picture) keeps its number
/// and name on every held-back benchmark card, and the rare card that loses a field at 512 gets
/// the closer look at [`DET_CLOSER_SIDE`].
pub const DET_LONG_SIDE: u32 = 512;
pub const DET_CLOSER_SIDE: u32 = 800;
const STRIDE: u32 = 32;
/// Text-map pixels at or above this belong to text.
const PIXEL_THRESHOLD: f32 = 0.3;
/// A region whose mean text probability is lower is noise.
const REGION_THRESHOLD: f32 = 0.55;
/// DBNet draws its regions shrunk; this grows them back around the letters.
const UNCLIP_RATIO: f32 = 1.6;
/// Regions thinner than this (in map pixels) are specks.
const MIN_SIDE: f32 = 3.0;

/// Per-channel normalisation the detector was trained with (channels in BGR order).
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Four corners of a text line, clockwise from the top left of the writing direction.
pub use reset_picture::Quad;

/// The detector's input for a picture: scaled so the long side is `long_side` (never enlarged
/// past twice), padded to a multiple of 32. Also answers the scale used.
pub fn det_input(img: &RgbImage, long_side: u32) -> (Tensor, f32) {
    let (w, h) = img.dimensions();
    let scale = (long_side as f32 / w.max(h).max(1) as f32).min(2.0);
    let sw = ((w as f32 * scale).round() as u32).max(1);
    let sh = ((h as f32 * scale).round() as u32).max(1);
    let resized = image::imageops::resize(img, sw, sh, FilterType::Triangle);
    let pw = sw.div_ceil(STRIDE) * STRIDE;
    let ph = sh.div_ceil(STRIDE) * STRIDE;
    let (pw, ph, sw) = (pw as usize, ph as usize, sw as usize);
    // Padding is zero after normalisation, which the model reads as plain background.
    let mut data = vec![0.0f32; 3 * ph * pw];
    let plane = ph * pw;
    for (i, px) in resized.as_raw().chunks_exact(3).enumerate() {
        let at = (i / sw) * pw + i % sw;
        for c in 0..3 {
            // BGR, as the detector was trained on pictures read by OpenCV.
            data[c * plane + at] = (px[2 - c] as f32 / 255.0 - MEAN[c]) / STD[c];
        }
    }
    let t = Tensor::from_shape(&[1, 3, ph, pw], &data).expect("the length fits the shape");
    (t, scale)
}

/// Text lines in a `width × height` text map, in picture coordinates (map coordinates divided
/// by `scale`).
pub fn boxes_from_map(map: &[f32], width: usize, height: usize, scale: f32) -> Vec<Quad> {
    regions(map, width, height)
        .into_iter()
        .filter(|(points, sum)| points.len() >= 4 && sum / points.len() as f32 >= REGION_THRESHOLD)
        .filter_map(|(points, _)| region_quad(&points))
        .map(|q| q.scaled(1.0 / scale))
        .collect()
}

/// The 8-connected regions of text pixels, each with its points and the sum of its text
/// probabilities. A plain flood fill over slices: it runs fast even in an unoptimised build.
fn regions(map: &[f32], width: usize, height: usize) -> Vec<(Vec<Point<i32>>, f32)> {
    let mut seen: Vec<bool> = map.iter().map(|&p| p < PIXEL_THRESHOLD).collect();
    let mut found = Vec::new();
    let mut stack = Vec::new();
    for start in 0..map.len().min(width * height) {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut points, mut sum) = (Vec::new(), 0.0f32);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            points.push(Point::new(x as i32, y as i32));
            sum += map[i];
            for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                    let j = ny * width + nx;
                    if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        found.push((points, sum));
    }
    found
}

/// The smallest rotated rectangle around a region, grown back to the letters' outline and
/// turned so its first edge runs along the writing.
fn region_quad(points: &[Point<i32>]) -> Option<Quad> {
    let RotatedRect {
        center,
        mut u,
        along: l1,
        across: l2,
    } = min_area_rect(points)?;
    // Pixel centres span one pixel less than the pixels themselves.
    let (l1, l2) = (l1 + 1.0, l2 + 1.0);
    let v1 = (-u.1, u.0);
    // Text runs along the longer side; a square box (one character) is taken as upright.
    let along_u = if l1 > 1.3 * l2 {
        true
    } else if l2 > 1.3 * l1 {
        false
    } else {
        u.0.abs() >= v1.0.abs()
    };
    let (w, h) = if along_u { (l1, l2) } else { (l2, l1) };
    if !along_u {
        u = v1;
    }
    if w.min(h) < MIN_SIDE {
        return None;
    }
    if u.0 < 0.0 || (u.0 == 0.0 && u.1 < 0.0) {
        u = (-u.0, -u.1);
    }
    let v = (-u.1, u.0); // points down the page when u points right
    let grow = w * h * UNCLIP_RATIO / (2.0 * (w + h));
    let (hw, hh) = (w / 2.0 + grow, h / 2.0 + grow);
    let at = |a: f32, b: f32| (center.0 + u.0 * a + v.0 * b, center.1 + u.1 * a + v.1 * b);
    Some(Quad::new([
        at(-hw, -hh),
        at(hw, -hh),
        at(hw, hh),
        at(-hw, hh),
    ]))
}

/// A rectangle at any angle: its centre, the unit direction of one side, and its lengths along
/// and across that direction.
#[derive(Clone, Copy)]
struct RotatedRect {
    center: (f32, f32),
    u: (f32, f32),
    along: f32,
    across: f32,
}

/// The minimum-area rectangle around points (rotating calipers over the convex hull).
fn min_area_rect(points: &[Point<i32>]) -> Option<RotatedRect> {
    let hull = imageproc::geometry::convex_hull(points);
    let hull: Vec<(f32, f32)> = hull.iter().map(|p| (p.x as f32, p.y as f32)).collect();
    if hull.is_empty() {
        return None;
    }
    let mut best: Option<(f32, RotatedRect)> = None;
    let mut consider = |u: (f32, f32)| {
        let (mut a0, mut a1, mut b0, mut b1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for &(x, y) in &hull {
            let a = x * u.0 + y * u.1;
            let b = -x * u.1 + y * u.0;
            (a0, a1, b0, b1) = (a0.min(a), a1.max(a), b0.min(b), b1.max(b));
        }
        let area = (a1 - a0) * (b1 - b0);
        if best.is_none_or(|b| area < b.0) {
            let (ca, cb) = ((a0 + a1) / 2.0, (b0 + b1) / 2.0);
            let center = (ca * u.0 - cb * u.1, ca * u.1 + cb * u.0);
            let rect = RotatedRect {
                center,
                u,
                along: a1 - a0,
                across: b1 - b0,
            };
            best = Some((area, rect));
        }
    };
    consider((1.0, 0.0));
    for i in 0..hull.len() {
        let (p, q) = (hull[i], hull[(i + 1) % hull.len()]);
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let n = (dx * dx + dy * dy).sqrt();
        if n > f32::EPSILON {
            consider((dx / n, dy / n));
        }
    }
    best.map(|(_, rect)| rect)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_with(w: usize, h: usize, rects: &[(usize, usize, usize, usize)], p: f32) -> Vec<f32> {
        let mut m = vec![0.0; w * h];
        for &(x0, y0, x1, y1) in rects {
            for y in y0..y1 {
                for x in x0..x1 {
                    m[y * w + x] = p;
                }
            }
        }
        m
    }

    #[test]
    fn each_blob_of_text_becomes_one_upright_box() {
        let m = map_with(200, 100, &[(10, 10, 110, 20), (20, 50, 60, 58)], 0.9);
        let mut boxes = boxes_from_map(&m, 200, 100, 1.0);
        boxes.sort_by(|a, b| a.center().1.total_cmp(&b.center().1));
        assert_eq!(boxes.len(), 2);
        let b = boxes[0];
        assert!(b.angle().abs() < 0.02, "{b:?}");
        // Grown past the blob (100 × 10) on every side, as DBNet's shrunk regions need.
        assert!(b.along() > 100.0 && b.along() < 130.0, "{b:?}");
        assert!(b.across() > 10.0 && b.across() < 30.0, "{b:?}");
        let (cx, cy) = b.center();
        assert!((cx - 59.5).abs() < 1.5 && (cy - 14.5).abs() < 1.5, "{b:?}");
        // Corners run clockwise from the top left.
        assert!(
            b.corners[0].0 < b.corners[1].0 && b.corners[0].1 < b.corners[3].1,
            "{b:?}"
        );
    }

    #[test]
    fn weak_or_tiny_regions_are_dropped() {
        let m = map_with(100, 50, &[(10, 10, 60, 20)], 0.4);
        assert!(boxes_from_map(&m, 100, 50, 1.0).is_empty());
        let m = map_with(100, 50, &[(10, 10, 60, 11)], 0.9);
        assert!(boxes_from_map(&m, 100, 50, 1.0).is_empty());
    }

    #[test]
    fn a_slanted_line_gives_a_slanted_box_in_picture_coordinates() {
        let (w, h) = (200, 200);
        let mut m = vec![0.0; w * h];
        // A band 8 pixels thick rising at about 10 degrees.
        for x in 20..180 {
            let y0 = 150.0 - (x as f32 - 20.0) * 0.176;
            for dy in 0..8 {
                m[(y0 as usize + dy) * w + x] = 0.9;
            }
        }
        let boxes = boxes_from_map(&m, w, h, 0.5);
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        let deg = b.angle().to_degrees();
        assert!((deg + 10.0).abs() < 2.0, "angle {deg}");
        // Map scale 0.5 means the picture is twice as big.
        assert!(b.along() > 310.0, "{b:?}");
    }

    #[test]
    fn the_detector_input_keeps_the_aspect_and_pads_to_32() {
        let img = RgbImage::from_pixel(1000, 690, image::Rgb([255, 255, 255]));
        let (t, scale) = det_input(&img, 640);
        assert_eq!(t.shape(), &[1, 3, 448, 640]);
        assert!((scale - 0.64).abs() < 1e-6);
        let v = t.to_array_view::<f32>().unwrap();
        // White becomes (1 - mean) / std; the padding stays 0.
        assert!((v[[0, 0, 0, 0]] - (1.0 - MEAN[0]) / STD[0]).abs() < 1e-5);
        assert_eq!(v[[0, 0, 447, 0]], 0.0);
    }
}
