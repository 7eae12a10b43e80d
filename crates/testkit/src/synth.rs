//! Generated test pictures: ID cards drawn flat and warped into a frame with perspective, blur
//! and glare, and face frames cut from rustface's own test picture. Used by the tests, the
//! benchmarks and the `synth` and `scenes` tools; nothing here ships in a picture to the bank.

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_ellipse_mut, draw_filled_rect_mut};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use imageproc::rect::Rect;

use reset_picture::{
    encode_jpeg, FaceBox, FaceFinder, FaceFinderConfig, FaceModel, JpegSpec, Quad,
};

/// Flat card size used for drawing (10 px per mm).
pub const CARD_W: u32 = 856;
pub const CARD_H: u32 = 540;

/// A tiny deterministic generator, so the pictures are the same on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n.max(1)
    }
}

/// A flat card: pale background, a guilloche-like pattern, lines of "print", and either a
/// portrait (front) or an emblem block (back).
pub fn flat_card(portrait: Option<&RgbImage>, seed: u64) -> RgbImage {
    let mut rng = Lcg(seed);
    let mut card = RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        let wave = (((x as f32 / 23.0).sin() + (y as f32 / 17.0).cos()) * 6.0) as i32;
        Rgb([
            (228 + wave).clamp(0, 255) as u8,
            (232 + wave).clamp(0, 255) as u8,
            (238 - wave).clamp(0, 255) as u8,
        ])
    });
    match portrait {
        Some(face) => {
            let p = image::imageops::resize(face, 250, 310, image::imageops::FilterType::Triangle);
            image::imageops::replace(&mut card, &p, 560, 90);
        }
        None => {
            draw_filled_ellipse_mut(&mut card, (130, 130), 70, 70, Rgb([200, 40, 40]));
            draw_filled_ellipse_mut(&mut card, (130, 130), 40, 40, Rgb([230, 190, 60]));
        }
    }
    let text_right = if portrait.is_some() { 530 } else { 800 };
    let text_left = if portrait.is_some() { 60 } else { 250 };
    for line in 0..9 {
        let y = 70 + line * 50;
        let mut x = text_left;
        while x < text_right - 30 {
            let w = 14 + rng.below(22) as i32;
            let h = 18 + rng.below(8);
            draw_filled_rect_mut(
                &mut card,
                Rect::at(x, y).of_size(w as u32, h),
                Rgb([30, 30, 40]),
            );
            x += w + 6 + rng.below(8) as i32;
        }
    }
    card
}

/// How the card lies in the frame.
#[derive(Debug, Clone)]
pub struct CardScene {
    pub frame_w: u32,
    pub frame_h: u32,
    /// Where the card's corners land (top-left, top-right, bottom-right, bottom-left).
    pub corners: [(f32, f32); 4],
    pub blur_sigma: f32,
    /// A saturated glare spot: centre and radii, in frame pixels.
    pub glare: Option<((i32, i32), i32, i32)>,
    pub seed: u64,
}

impl CardScene {
    /// A card filling about 60% of a 1280×720 frame, slightly in perspective.
    pub fn standard() -> CardScene {
        CardScene {
            frame_w: 1280,
            frame_h: 720,
            corners: [
                (330.0, 140.0),
                (1000.0, 150.0),
                (990.0, 575.0),
                (320.0, 570.0),
            ],
            blur_sigma: 0.0,
            glare: None,
            seed: 7,
        }
    }

    /// The same scene moved by (dx, dy).
    pub fn shifted(&self, dx: f32, dy: f32) -> CardScene {
        let mut s = self.clone();
        s.corners = s.corners.map(|(x, y)| (x + dx, y + dy));
        s
    }

    pub fn quad(&self) -> Quad {
        Quad {
            corners: self.corners,
        }
    }
}

/// Draws `card` into a frame as `scene` says: a textured desk, the warped card, blur, glare.
pub fn card_frame(card: &RgbImage, scene: &CardScene) -> RgbImage {
    let mut rng = Lcg(scene.seed ^ 0x5eed);
    let mut frame = RgbImage::from_fn(scene.frame_w, scene.frame_h, |x, y| {
        let grain = ((x * 7 + y * 13) % 11) as u8;
        Rgb([
            70 + grain + (y / 40) as u8,
            60 + grain,
            50 + grain + (x / 60) as u8,
        ])
    });
    // A few objects on the desk, away from the card.
    for _ in 0..3 {
        let x = rng.below(scene.frame_w) as i32;
        let y = rng.below(scene.frame_h) as i32;
        if scene.quad().bounds().0 as i32 - 60 < x && x < scene.quad().bounds().2 as i32 + 60 {
            continue;
        }
        draw_filled_rect_mut(
            &mut frame,
            Rect::at(x, y).of_size(40, 25),
            Rgb([120, 110, 90]),
        );
    }
    let (cw, ch) = (card.width() as f32, card.height() as f32);
    let from = [(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)];
    let projection =
        Projection::from_control_points(from, scene.corners).expect("a valid card quad");
    let rgba: RgbaImage = image::DynamicImage::ImageRgb8(card.clone()).to_rgba8();
    let mut layer = RgbaImage::new(scene.frame_w, scene.frame_h);
    warp_into(
        &rgba,
        &projection,
        Interpolation::Bilinear,
        Rgba([0, 0, 0, 0]),
        &mut layer,
    );
    for (dst, src) in frame.pixels_mut().zip(layer.pixels()) {
        let a = src[3] as u32;
        if a > 0 {
            for c in 0..3 {
                dst[c] = ((src[c] as u32 * a + dst[c] as u32 * (255 - a)) / 255) as u8;
            }
        }
    }
    if let Some((centre, rx, ry)) = scene.glare {
        draw_filled_ellipse_mut(&mut frame, centre, rx, ry, Rgb([255, 255, 255]));
    }
    if scene.blur_sigma > 0.0 {
        frame = imageproc::filter::gaussian_blur_f32(&frame, scene.blur_sigma);
    }
    frame
}

pub use reset_picture::face::rustface_test_picture;

/// A head-and-shoulders crop around the best-scoring face of rustface's test picture, `size`
/// pixels square with the face about 40% of it wide.
pub fn portrait(size: u32) -> Option<RgbImage> {
    let group = rustface_test_picture()?;
    // The package's own model file: this runs on the machine that built the crate.
    let model = FaceModel::compiled_in()
        .or_else(|| FaceModel::from_file(&reset_picture::face::rustface_package_model()).ok())?;
    let mut finder = FaceFinder::with_model(
        &model,
        FaceFinderConfig {
            min_face: 30,
            ..FaceFinderConfig::default()
        },
    );
    let faces = finder.detect(&reset_picture::to_gray(&group));
    let best = faces.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    Some(crop_around(&group, best, size))
}

fn crop_around(group: &RgbImage, face: &FaceBox, size: u32) -> RgbImage {
    let side = (face.width * 2.5) as u32;
    let (cx, cy) = face.centre();
    let x = (cx as i64 - side as i64 / 2).clamp(0, (group.width() - side) as i64) as u32;
    let y = (cy as i64 - side as i64 / 2).clamp(0, (group.height() - side) as i64) as u32;
    let crop = image::imageops::crop_imm(group, x, y, side, side).to_image();
    image::imageops::resize(&crop, size, size, image::imageops::FilterType::CatmullRom)
}

/// A face frame: the portrait pasted into a plain room at `centre` with its side `size`.
pub fn face_frame(portrait: &RgbImage, w: u32, h: u32, centre: (i64, i64), size: u32) -> RgbImage {
    let mut frame = RgbImage::from_fn(w, h, |x, y| {
        Rgb([150 + (x % 40) as u8 / 4, 140 + (y % 30) as u8 / 3, 130])
    });
    let p = image::imageops::resize(portrait, size, size, image::imageops::FilterType::Triangle);
    image::imageops::replace(
        &mut frame,
        &p,
        centre.0 - size as i64 / 2,
        centre.1 - size as i64 / 2,
    );
    frame
}

/// A handheld photo: the portrait on the left of a 1280×720 frame and a card with that
/// portrait held up on the right.
pub fn handheld_frame(portrait: &RgbImage) -> RgbImage {
    let scene = CardScene {
        corners: [
            (700.0, 200.0),
            (1180.0, 205.0),
            (1175.0, 505.0),
            (695.0, 500.0),
        ],
        ..CardScene::standard()
    };
    let mut frame = card_frame(&flat_card(Some(portrait), 13), &scene);
    let p = image::imageops::resize(portrait, 400, 400, image::imageops::FilterType::Triangle);
    image::imageops::replace(&mut frame, &p, 160, 160);
    frame
}

/// Writes sample pictures to `dir` (for `synth DIR` and the capture tool's test): a card's back,
/// plain, blurred and under glare, and, where rustface's test picture is found, a card's front and
/// a face frame. Answers the files written.
pub fn write_samples(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut save = |name: &str, img: &RgbImage| -> Result<(), String> {
        let jpeg = encode_jpeg(img, &JpegSpec::default()).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(name), jpeg).map_err(|e| e.to_string())?;
        written.push(dir.join(name));
        Ok(())
    };
    let scene = CardScene::standard();
    save("card-back.jpg", &card_frame(&flat_card(None, 1), &scene))?;
    if let Some(face) = portrait(300) {
        save(
            "card-front.jpg",
            &card_frame(&flat_card(Some(&face), 2), &scene),
        )?;
        save("face.jpg", &face_frame(&face, 640, 480, (320, 240), 300))?;
    }
    let blurred = CardScene {
        blur_sigma: 4.0,
        ..CardScene::standard()
    };
    save(
        "card-blurred.jpg",
        &card_frame(&flat_card(None, 3), &blurred),
    )?;
    let glare = CardScene {
        glare: Some(((600, 350), 110, 70)),
        ..CardScene::standard()
    };
    save("card-glare.jpg", &card_frame(&flat_card(None, 4), &glare))?;
    Ok(written)
}
