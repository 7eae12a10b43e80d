//! The ID card in a frame: its outline (edges to a quadrilateral of the ID-1 ratio 85.6 : 54),
//! margins and tilt, the quality of the card region, straightening to a flat picture, and
//! auto-capture after a few stable good frames.

use image::{GrayImage, RgbImage};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use imageproc::point::Point;
use serde::Serialize;

use crate::quality::{self, Quality, QualityLimits};
use crate::{Frame, Reason};

/// ID-1 (ISO/IEC 7810): 85.6 mm × 54 mm.
pub const CARD_RATIO: f32 = 85.6 / 54.0;

pub use reset_picture::Quad;

/// Where the document gates trip.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DocumentLimits {
    pub quality: QualityLimits,
    /// Each corner at least this share of the frame's width/height away from its border.
    pub min_margin: f32,
    /// The card at least this share of the frame's width.
    pub min_card_share: f32,
    pub max_tilt_deg: f32,
    /// Accepted deviation of the outline's ratio from 85.6 : 54 (perspective bends it).
    pub ratio_tolerance: f32,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            quality: QualityLimits::default(),
            min_margin: 0.02,
            min_card_share: 0.4,
            max_tilt_deg: 10.0,
            ratio_tolerance: 0.2,
        }
    }
}

/// The verdict on one document frame, for the screen and for auto-capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentVerdict {
    pub outline: Option<Quad>,
    pub quality: Option<Quality>,
    pub reasons: Vec<Reason>,
    /// No reasons: this frame could be the picture.
    pub ready: bool,
}

/// Analysis works on the luma halved until the long edge is at most this.
const FIND_EDGE: u32 = 400;

/// Finds the card's outline in a gray picture, if one is there.
pub fn find_card(gray: &GrayImage, limits: &DocumentLimits) -> Option<Quad> {
    let (small, factor) = crate::frame::shrink_to(gray, FIND_EDGE);
    find_card_small(&small, limits).map(|q| q.scaled(factor as f32))
}

fn find_card_small(small: &GrayImage, limits: &DocumentLimits) -> Option<Quad> {
    let blurred = imageproc::filter::gaussian_blur_f32(small, 1.0);
    let edges = imageproc::edges::canny(&blurred, 20.0, 50.0);
    let edges = imageproc::morphology::dilate(&edges, imageproc::distance_transform::Norm::LInf, 1);
    let min_area = (small.width() * small.height()) as f32 * 0.015;
    let mut best: Option<Quad> = None;
    for contour in imageproc::contours::find_contours::<i32>(&edges) {
        if contour.points.len() < 40 {
            continue;
        }
        let hull = imageproc::geometry::convex_hull(contour.points);
        let Some(quad) = quad_from_hull(&hull) else {
            continue;
        };
        let area = quad.area();
        if area < min_area {
            continue;
        }
        let ratio = quad.ratio();
        if (ratio / CARD_RATIO - 1.0).abs() > limits.ratio_tolerance {
            continue;
        }
        if best.is_none_or(|b| area > b.area()) {
            best = Some(quad);
        }
    }
    best
}

/// Reduces a convex hull to four corners (rounded card corners collapse at this tolerance).
fn quad_from_hull(hull: &[Point<i32>]) -> Option<Quad> {
    if hull.len() < 4 {
        return None;
    }
    let perimeter = imageproc::geometry::arc_length(hull, true);
    for eps in [0.02, 0.035, 0.05] {
        let poly = imageproc::geometry::approximate_polygon_dp(hull, perimeter * eps, true);
        if poly.len() == 4 {
            let pts = [0, 1, 2, 3].map(|i| (poly[i].x as f32, poly[i].y as f32));
            return Some(order_corners(pts));
        }
        if poly.len() < 4 {
            return None;
        }
    }
    None
}

/// Orders four corners clockwise from the top-left, with a long edge on top.
fn order_corners(pts: [(f32, f32); 4]) -> Quad {
    let cx = pts.iter().map(|p| p.0).sum::<f32>() / 4.0;
    let cy = pts.iter().map(|p| p.1).sum::<f32>() / 4.0;
    let mut v = pts.to_vec();
    // Clockwise on screen (y down) is increasing atan2.
    v.sort_by(|a, b| {
        (a.1 - cy)
            .atan2(a.0 - cx)
            .total_cmp(&(b.1 - cy).atan2(b.0 - cx))
    });
    let start = (0..4)
        .min_by(|&i, &j| (v[i].0 + v[i].1).total_cmp(&(v[j].0 + v[j].1)))
        .unwrap_or(0);
    let mut q = Quad {
        corners: [0, 1, 2, 3].map(|k| v[(start + k) % 4]),
    };
    if q.height() > q.width() {
        // A card held upright: start from the corner before, so the top edge is a long one.
        q.corners = [3, 0, 1, 2].map(|k| q.corners[k]);
    }
    q
}

/// Judges one frame: outline, margins, size, tilt, and the quality of the card region.
/// `previous` is the thumbnail of the frame before, for the motion gate.
pub fn judge_document(
    gray: &GrayImage,
    limits: &DocumentLimits,
    previous: Option<&GrayImage>,
) -> (DocumentVerdict, GrayImage) {
    let thumb = quality::thumbnail(gray);
    let motion = previous.map(|p| quality::motion(p, &thumb));
    let Some(quad) = find_card(gray, limits) else {
        let verdict = DocumentVerdict {
            outline: None,
            quality: None,
            reasons: vec![Reason::CardNotFound],
            ready: false,
        };
        return (verdict, thumb);
    };
    let (w, h) = (gray.width() as f32, gray.height() as f32);
    let mut reasons = Vec::new();
    let (x0, y0, x1, y1) = quad.bounds();
    let (mx, my) = (w * limits.min_margin, h * limits.min_margin);
    if x0 < mx || y0 < my || x1 > w - mx || y1 > h - my {
        reasons.push(Reason::CardTooClose);
    } else if quad.width() < w * limits.min_card_share {
        reasons.push(Reason::CardTooSmall);
    }
    let tilt = quad.tilt_deg();
    let tilt = tilt.abs().min((180.0 - tilt.abs()).abs());
    if tilt > limits.max_tilt_deg {
        reasons.push(Reason::CardTilted);
    }
    let q = card_quality(gray, &quad, &limits.quality, motion);
    reasons.extend(q.reasons(&limits.quality));
    let verdict = DocumentVerdict {
        outline: Some(quad),
        quality: Some(q),
        ready: reasons.is_empty(),
        reasons,
    };
    (verdict, thumb)
}

/// Quality inside the card (inset from its outline so the card's own border does not count as
/// focus), on the half-resolution luma.
fn card_quality(
    gray: &GrayImage,
    quad: &Quad,
    limits: &QualityLimits,
    motion: Option<f32>,
) -> Quality {
    let (x0, y0, x1, y1) = quad.bounds();
    let (iw, ih) = ((x1 - x0) * 0.1, (y1 - y0) * 0.1);
    let (x0, y0) = ((x0 + iw).max(0.0) as u32, (y0 + ih).max(0.0) as u32);
    let x1 = ((x1 - iw) as u32).min(gray.width());
    let y1 = ((y1 - ih) as u32).min(gray.height());
    if x1 <= x0 + 8 || y1 <= y0 + 8 {
        return quality::measure(gray, limits, motion);
    }
    let crop = image::imageops::crop_imm(gray, x0, y0, x1 - x0, y1 - y0).to_image();
    let crop = if crop.width() > 600 {
        crate::frame::half(&crop)
    } else {
        crop
    };
    quality::measure(&crop, limits, motion)
}

/// `analyse_document_frame` for a single frame (no motion gate).
pub fn analyse_document_frame(frame: &Frame) -> DocumentVerdict {
    judge_document(&frame.gray(), &DocumentLimits::default(), None).0
}

/// Analyses a stream of document frames, with the motion gate against the previous frame.
pub struct DocumentAnalyser {
    pub limits: DocumentLimits,
    previous: Option<GrayImage>,
}

impl DocumentAnalyser {
    pub fn new(limits: DocumentLimits) -> DocumentAnalyser {
        DocumentAnalyser {
            limits,
            previous: None,
        }
    }

    pub fn analyse(&mut self, frame: &Frame) -> DocumentVerdict {
        let (verdict, thumb) = judge_document(&frame.gray(), &self.limits, self.previous.as_ref());
        self.previous = Some(thumb);
        verdict
    }
}

/// The straightened card: at least `min_width` wide (more if the frame holds more detail, up to
/// 1600), in the 85.6 : 54 ratio.
pub fn straighten(image: &RgbImage, quad: &Quad, min_width: u32) -> Option<RgbImage> {
    let width = (quad.width().round() as u32).clamp(min_width, 1600.max(min_width));
    let height = (width as f32 / CARD_RATIO).round() as u32;
    let (w, h) = (width as f32, height as f32);
    let to = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let projection = Projection::from_control_points(quad.corners, to)?;
    let mut out = RgbImage::new(width, height);
    warp_into(
        image,
        &projection,
        Interpolation::Bilinear,
        image::Rgb([0, 0, 0]),
        &mut out,
    );
    Some(out)
}

/// A captured card: the frame it came from, its outline and the flat picture.
#[derive(Debug, Clone)]
pub struct CapturedCard {
    pub frame: Frame,
    pub outline: Quad,
    pub straightened: RgbImage,
}

/// Counts good frames in a row whose outline stays put, and captures the sharpest of them.
pub struct AutoCapture {
    needed: u32,
    /// How far a corner may move between frames, as a share of the card width.
    max_corner_shift: f32,
    streak: u32,
    last: Option<Quad>,
    best: Option<(f32, Frame, Quad)>,
}

impl AutoCapture {
    pub fn new(needed: u32) -> AutoCapture {
        AutoCapture {
            needed: needed.max(1),
            max_corner_shift: 0.03,
            streak: 0,
            last: None,
            best: None,
        }
    }

    /// Good frames so far in the current run.
    pub fn streak(&self) -> u32 {
        self.streak
    }

    /// Feeds a frame and its verdict; returns the capture once enough stable good frames came.
    pub fn feed(&mut self, frame: &Frame, verdict: &DocumentVerdict) -> Option<CapturedCard> {
        let (Some(quad), Some(q)) = (verdict.outline, verdict.quality) else {
            self.reset();
            return None;
        };
        if !verdict.ready {
            self.reset();
            return None;
        }
        let stable = self.last.is_none_or(|last| {
            let tol = quad.width() * self.max_corner_shift;
            last.corners
                .iter()
                .zip(quad.corners.iter())
                .all(|(a, b)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt() <= tol)
        });
        if !stable {
            self.reset();
        }
        self.streak += 1;
        self.last = Some(quad);
        if self.best.as_ref().is_none_or(|(f, _, _)| q.focus > *f) {
            self.best = Some((q.focus, frame.clone(), quad));
        }
        if self.streak < self.needed {
            return None;
        }
        let (_, frame, outline) = self.best.take()?;
        self.reset();
        let straightened = straighten(&frame.image, &outline, 1000)?;
        Some(CapturedCard {
            frame,
            outline,
            straightened,
        })
    }

    fn reset(&mut self) {
        self.streak = 0;
        self.last = None;
        self.best = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_are_ordered_with_a_long_edge_on_top() {
        let q = order_corners([(300.0, 200.0), (100.0, 50.0), (100.0, 200.0), (300.0, 50.0)]);
        assert_eq!(
            q.corners,
            [(100.0, 50.0), (300.0, 50.0), (300.0, 200.0), (100.0, 200.0)]
        );
        assert!((q.ratio() - 200.0 / 150.0).abs() < 1e-3);
        // Upright card: the long edges are vertical; the order turns so the top is long.
        let q = order_corners([(100.0, 50.0), (200.0, 50.0), (200.0, 250.0), (100.0, 250.0)]);
        assert!(q.width() > q.height(), "{q:?}");
        assert_eq!(q.tilt_deg().abs().round(), 90.0);
    }
}
