//! One picture from a camera or a file, with the time it was taken.

use image::{GrayImage, RgbImage};
// The grey helpers live in the picture crate; named here too, beside the frame they work on.
pub use reset_picture::{half, shrink_to, to_gray};

/// A colour picture and the milliseconds (on the source's own clock) at which it was taken.
#[derive(Clone)]
pub struct Frame {
    pub image: RgbImage,
    pub at_ms: u64,
}

impl Frame {
    pub fn new(image: RgbImage, at_ms: u64) -> Frame {
        Frame { image, at_ms }
    }

    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// The luma channel (BT.601 integer weights), what every analysis works on.
    pub fn gray(&self) -> GrayImage {
        to_gray(&self.image)
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Frame({}x{} at {} ms)",
            self.width(),
            self.height(),
            self.at_ms
        )
    }
}
