//! Four corners in a picture: a card's outline found by the camera, a line of text found by
//! the reader. Top-left, top-right, bottom-right, bottom-left, the top edge running along the
//! card's long side or the text's writing direction.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quad {
    pub corners: [(f32, f32); 4],
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

impl Quad {
    pub fn new(corners: [(f32, f32); 4]) -> Quad {
        Quad { corners }
    }

    /// Length of edge `i`: 0 top, 1 right, 2 bottom, 3 left.
    pub fn side(&self, i: usize) -> f32 {
        dist(self.corners[i % 4], self.corners[(i + 1) % 4])
    }

    /// Mean length of the top and bottom edges: a card seen at a slant is wider at one end.
    pub fn width(&self) -> f32 {
        (self.side(0) + self.side(2)) / 2.0
    }

    /// Mean length of the left and right edges.
    pub fn height(&self) -> f32 {
        (self.side(1) + self.side(3)) / 2.0
    }

    /// Length of the top edge: along a text line's writing direction. A detected line is a
    /// rectangle, so this is its width without the rounding of a mean; the reader straightens
    /// lines along this edge.
    pub fn along(&self) -> f32 {
        self.side(0)
    }

    /// Length of the left edge: across a text line's writing direction.
    pub fn across(&self) -> f32 {
        self.side(3)
    }

    pub fn ratio(&self) -> f32 {
        self.width() / self.height().max(1.0)
    }

    /// Angle of the top edge against the x axis, in radians.
    pub fn angle(&self) -> f32 {
        let (a, b) = (self.corners[0], self.corners[1]);
        (b.1 - a.1).atan2(b.0 - a.0)
    }

    /// Angle of the top edge against the horizontal, in degrees.
    pub fn tilt_deg(&self) -> f32 {
        self.angle().to_degrees()
    }

    pub fn center(&self) -> (f32, f32) {
        let (sx, sy) = self
            .corners
            .iter()
            .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        (sx / 4.0, sy / 4.0)
    }

    /// Area by the shoelace formula.
    pub fn area(&self) -> f32 {
        let c = &self.corners;
        let mut s = 0.0;
        for i in 0..4 {
            let (a, b) = (c[i], c[(i + 1) % 4]);
            s += a.0 * b.1 - b.0 * a.1;
        }
        s.abs() / 2.0
    }

    pub fn scaled(&self, f: f32) -> Quad {
        Quad {
            corners: self.corners.map(|(x, y)| (x * f, y * f)),
        }
    }

    /// Bounding box (x0, y0, x1, y1).
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        let xs = self.corners.map(|c| c.0);
        let ys = self.corners.map(|c| c.1);
        (
            xs.iter().cloned().fold(f32::MAX, f32::min),
            ys.iter().cloned().fold(f32::MAX, f32::min),
            xs.iter().cloned().fold(f32::MIN, f32::max),
            ys.iter().cloned().fold(f32::MIN, f32::max),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slanted_card_has_the_mean_of_its_edges() {
        // A trapezoid: top 100, bottom 120, both sides 50 high.
        let q = Quad::new([(10.0, 0.0), (110.0, 0.0), (120.0, 50.0), (0.0, 50.0)]);
        assert_eq!(q.along(), 100.0);
        assert_eq!(q.width(), 110.0);
        assert!((q.height() - 50.99).abs() < 0.01, "{}", q.height());
        assert_eq!(q.area(), 5500.0);
        assert_eq!(q.bounds(), (0.0, 0.0, 120.0, 50.0));
        assert_eq!(q.center(), (60.0, 25.0));
    }

    #[test]
    fn a_line_written_downwards_is_at_a_right_angle() {
        let q = Quad::new([(60.0, 20.0), (60.0, 180.0), (40.0, 180.0), (40.0, 20.0)]);
        assert!((q.tilt_deg() - 90.0).abs() < 1e-4);
        assert_eq!((q.along(), q.across()), (160.0, 20.0));
        assert_eq!(q.scaled(0.5).along(), 80.0);
    }
}
