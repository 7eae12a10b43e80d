//! Made-up ID-card fronts photographed badly, for tests and the benchmark: different names
//! (some with the middle dot), numbers with valid check digits, perspective, blur, uneven light
//! and JPEG artefacts, all from a seed so every run draws the same cards.

/// The font cards are drawn with, for callers that keep one loaded.
pub use ab_glyph::FontVec;
use ab_glyph::{Font, PxScale, ScaleFont};
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_ellipse_mut, draw_filled_rect_mut, draw_text_mut};
use imageproc::geometric_transformations::{warp_into, Interpolation, Projection};
use imageproc::rect::Rect;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reset_flow::resident_id::{check_char, Sex};
use time::{Date, Month};

/// Where Debian's fonts-noto-cjk puts its fonts; `RESET_CJK_FONT` may name another file.
const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
];
/// In the Noto CJK collections the simplified-Chinese face is the third.
const SC_FACE: u32 = 2;

/// A font with Chinese glyphs: `RESET_CJK_FONT`, else Noto Sans CJK from fonts-noto-cjk.
pub fn load_font() -> Result<FontVec, String> {
    let env = std::env::var("RESET_CJK_FONT").ok();
    let candidates: Vec<String> = env
        .iter()
        .cloned()
        .chain(FONT_PATHS.iter().map(|p| p.to_string()))
        .collect();
    for path in &candidates {
        if let Ok(bytes) = std::fs::read(path) {
            let index = if path.ends_with(".ttc") { SC_FACE } else { 0 };
            return FontVec::try_from_vec_and_index(bytes, index)
                .map_err(|e| format!("{path} is not a usable font: {e}"));
        }
    }
    Err(format!(
        "no Chinese font found (tried {}); install the Debian package fonts-noto-cjk \
         or set RESET_CJK_FONT to a .ttf/.otf/.ttc file",
        candidates.join(", ")
    ))
}

/// What a card says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFace {
    pub name: String,
    pub sex: Sex,
    pub ethnicity: String,
    pub birth_date: Date,
    pub address: String,
    pub number: String,
}

const SURNAMES: [&str; 32] = [
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "邓", "曹", "彭", "欧阳",
    "司马",
];
const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "萍", "红", "建", "文", "辉", "鹏",
    "宇", "浩", "凯", "健", "俊", "雪", "琳", "欣",
];
/// Names of the style written with the middle dot: given name · father's name.
const DOT_FIRST: [&str; 8] = [
    "阿卜杜拉",
    "努尔",
    "古丽娜扎",
    "买买提",
    "迪丽热巴",
    "艾力",
    "热依拉",
    "玉苏甫",
];
const DOT_SECOND: [&str; 6] = ["买买提", "艾力", "热合曼", "吐尔逊", "库尔班", "艾山"];
/// Regions with their address start.
const REGIONS: [(&str, &str); 8] = [
    ("110105", "北京市朝阳区建国路"),
    ("310115", "上海市浦东新区世纪大道"),
    ("440304", "广东省深圳市福田区深南大道"),
    ("510107", "四川省成都市武侯区人民南路"),
    ("650102", "新疆乌鲁木齐市天山区解放南路"),
    ("330106", "浙江省杭州市西湖区文三路"),
    ("320106", "江苏省南京市鼓楼区中山北路"),
    ("420106", "湖北省武汉市武昌区中南路"),
];

/// A card face drawn from `seed`; every fourth seed gets a name with the middle dot.
pub fn random_face(seed: u64) -> CardFace {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x1d_ca2d);
    let dotted = seed % 4 == 0;
    let name = if dotted {
        format!(
            "{}·{}",
            DOT_FIRST[rng.random_range(0..DOT_FIRST.len())],
            DOT_SECOND[rng.random_range(0..DOT_SECOND.len())]
        )
    } else {
        let mut n = SURNAMES[rng.random_range(0..SURNAMES.len())].to_string();
        for _ in 0..rng.random_range(1..=2) {
            n.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
        }
        n
    };
    let sex = if rng.random_bool(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    let (region, street) = REGIONS[rng.random_range(0..REGIONS.len())];
    let birth_date = Date::from_calendar_date(
        rng.random_range(1950..=2005),
        Month::try_from(rng.random_range(1..=12u8)).expect("1..=12"),
        rng.random_range(1..=28),
    )
    .expect("a day every month has");
    let sequence = rng.random_range(0..500u32) * 2 + u32::from(sex == Sex::Male);
    let mut number = format!(
        "{region}{:04}{:02}{:02}{sequence:03}",
        birth_date.year(),
        u8::from(birth_date.month()),
        birth_date.day()
    );
    number.push(check_char(number.as_bytes()).expect("17 digits"));
    CardFace {
        name,
        sex,
        ethnicity: if dotted { "维吾尔" } else { "汉" }.to_string(),
        birth_date,
        address: format!("{street}{}号", rng.random_range(1..400)),
        number,
    }
}

/// Card size in pixels: 85.6 × 54 mm at 10 pixels a millimetre.
pub const CARD_W: u32 = 856;
pub const CARD_H: u32 = 540;

/// The card face, flat and clean, in the layout of the real card.
pub fn render_card(face: &CardFace, font: &FontVec) -> RgbImage {
    let mut card = RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        // Pale background with the faint wavy print of the real card.
        let wave = ((x as f32 / 23.0).sin() + (y as f32 / 17.0 + x as f32 / 61.0).cos()) * 3.0;
        let g = 236.0 - y as f32 * 0.02 + wave;
        Rgb([(g - 6.0) as u8, g as u8, (g - 2.0) as u8])
    });
    let label = Rgb([38, 104, 160]);
    let ink = Rgb([24, 24, 28]);
    let (lsize, vsize) = (PxScale::from(30.0), PxScale::from(34.0));
    let text = |card: &mut RgbImage, color, x, y, size, s: &str| {
        draw_text_mut(card, color, x, y, size, font, s);
    };
    text(&mut card, label, 60, 58, lsize, "姓 名");
    text(&mut card, ink, 160, 54, vsize, &face.name);
    text(&mut card, label, 60, 120, lsize, "性 别");
    let sex = if face.sex == Sex::Male { "男" } else { "女" };
    text(&mut card, ink, 160, 116, vsize, sex);
    text(&mut card, label, 260, 120, lsize, "民 族");
    text(&mut card, ink, 360, 116, vsize, &face.ethnicity);
    text(&mut card, label, 60, 182, lsize, "出 生");
    let d = face.birth_date;
    let date = [
        (160, d.year().to_string()),
        (248, "年".to_string()),
        (290, u8::from(d.month()).to_string()),
        (334, "月".to_string()),
        (374, d.day().to_string()),
        (418, "日".to_string()),
    ];
    for (x, s) in &date {
        text(&mut card, ink, *x, 178, vsize, s);
    }
    text(&mut card, label, 60, 244, lsize, "住 址");
    let chars: Vec<char> = face.address.chars().collect();
    for (i, line) in chars.chunks(11).enumerate() {
        let s: String = line.iter().collect();
        text(&mut card, ink, 160, 240 + 46 * i as i32, vsize, &s);
    }
    text(&mut card, label, 60, 446, lsize, "公民身份号码");
    // The number in wide-set digits, as printed.
    let nsize = PxScale::from(38.0);
    let mut x = 290.0f32;
    for c in face.number.chars() {
        text(&mut card, ink, x as i32, 440, nsize, &c.to_string());
        x += font.as_scaled(nsize).h_advance(font.glyph_id(c)) + 4.0;
    }
    // The photo: a plain panel with a grey head and shoulders.
    draw_filled_rect_mut(
        &mut card,
        Rect::at(580, 60).of_size(220, 280),
        Rgb([214, 222, 226]),
    );
    draw_filled_ellipse_mut(&mut card, (690, 170), 58, 74, Rgb([150, 150, 158]));
    draw_filled_ellipse_mut(&mut card, (690, 330), 100, 60, Rgb([120, 124, 132]));
    draw_filled_rect_mut(
        &mut card,
        Rect::at(580, 340).of_size(220, 30),
        Rgb([232, 238, 236]),
    );
    card
}

/// How badly a card is photographed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Card rotation in the picture, degrees.
    pub tilt_deg: f32,
    /// How far corners move for perspective, as a share of the card width.
    pub perspective: f32,
    /// Gaussian blur sigma, pixels.
    pub blur: f32,
    /// Strength of the light falling off across the picture, 0 = even.
    pub uneven_light: f32,
    /// JPEG quality of the saved picture.
    pub jpeg_quality: u8,
}

impl Conditions {
    /// Conditions drawn from `seed`, within what a phone held over a table gives.
    pub fn random(seed: u64) -> Conditions {
        let mut rng = StdRng::seed_from_u64(seed ^ 0xc0_4d17);
        Conditions {
            tilt_deg: rng.random_range(-8.0..8.0),
            perspective: rng.random_range(0.0..0.05),
            blur: rng.random_range(0.3..1.4),
            uneven_light: rng.random_range(0.1..0.45),
            jpeg_quality: rng.random_range(35..80),
        }
    }
}

/// A picture of the card lying on a table, as a JPEG file's bytes.
pub fn photograph(card: &RgbImage, cond: &Conditions, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x9_4070);
    let (w, h) = (1024u32, 720u32);
    let table = [
        rng.random_range(60..140u8),
        rng.random_range(50..110u8),
        rng.random_range(40..90u8),
    ];
    let mut scene = RgbaImage::from_fn(w, h, |x, y| {
        let grain = ((x * 7 + y * 13) % 11) as u8;
        Rgba([
            table[0].saturating_add(grain),
            table[1].saturating_add(grain),
            table[2],
            255,
        ])
    });

    // Where the card's corners land: scaled, turned, moved and pulled apart a little.
    let card_w = rng.random_range(720.0..860.0f32);
    let card_h = card_w * CARD_H as f32 / CARD_W as f32;
    let center = (
        w as f32 / 2.0 + rng.random_range(-40.0..40.0),
        h as f32 / 2.0 + rng.random_range(-30.0..30.0),
    );
    let (s, c) = cond.tilt_deg.to_radians().sin_cos();
    let jitter = cond.perspective * card_w;
    let corners = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map(|(a, b)| {
        let (x, y) = (a * card_w, b * card_h);
        (
            center.0 + x * c - y * s + rng.random_range(-1.0..=1.0) * jitter,
            center.1 + x * s + y * c + rng.random_range(-1.0..=1.0) * jitter,
        )
    });
    let from = [
        (0.0, 0.0),
        (CARD_W as f32, 0.0),
        (CARD_W as f32, CARD_H as f32),
        (0.0, CARD_H as f32),
    ];
    let projection =
        Projection::from_control_points(from, corners).expect("four corners in general position");
    let card_rgba = RgbaImage::from_fn(CARD_W, CARD_H, |x, y| {
        let p = card.get_pixel(x, y).0;
        Rgba([p[0], p[1], p[2], 255])
    });
    let mut warped = RgbaImage::new(w, h);
    warp_into(
        &card_rgba,
        &projection,
        Interpolation::Bilinear,
        Rgba([0, 0, 0, 0]),
        &mut warped,
    );
    for (x, y, p) in warped.enumerate_pixels() {
        let a = p.0[3] as u32;
        if a > 0 {
            let under = scene.get_pixel_mut(x, y);
            for i in 0..3 {
                under.0[i] = ((p.0[i] as u32 * a + under.0[i] as u32 * (255 - a)) / 255) as u8;
            }
        }
    }

    // Light falling off from one side, with a brighter spot where the lamp is.
    let dir = rng.random_range(0.0..std::f32::consts::TAU);
    let spot = (
        rng.random_range(0.0..w as f32),
        rng.random_range(0.0..h as f32),
    );
    let lit = RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
        let ramp = fx * dir.cos() + fy * dir.sin();
        let d2 = ((x as f32 - spot.0).powi(2) + (y as f32 - spot.1).powi(2)) / (300.0f32).powi(2);
        let k = 1.0 - cond.uneven_light * (ramp + 0.5) + 0.12 * (-d2).exp();
        let p = scene.get_pixel(x, y).0;
        Rgb([0, 1, 2].map(|i| (p[i] as f32 * k).clamp(0.0, 255.0) as u8))
    });
    let blurred = if cond.blur > 0.05 {
        imageproc::filter::gaussian_blur_f32(&lit, cond.blur)
    } else {
        lit
    };
    let mut noisy = blurred;
    for p in noisy.pixels_mut() {
        let n: i16 = rng.random_range(-5..=5);
        for v in &mut p.0 {
            *v = (*v as i16 + n).clamp(0, 255) as u8;
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, cond.jpeg_quality)
        .encode_image(&noisy)
        .expect("encoding to memory cannot fail");
    jpeg
}

/// A generated card: what it says and its photograph.
pub struct Specimen {
    pub seed: u64,
    pub face: CardFace,
    pub conditions: Conditions,
    pub jpeg: Vec<u8>,
}

/// The card of `seed`, photographed under its own conditions.
pub fn specimen(seed: u64, font: &FontVec) -> Specimen {
    specimen_with(random_face(seed), Conditions::random(seed), seed, font)
}

/// A given card face photographed under given conditions; `seed` places it.
pub fn specimen_with(
    face: CardFace,
    conditions: Conditions,
    seed: u64,
    font: &FontVec,
) -> Specimen {
    let jpeg = photograph(&render_card(&face, font), &conditions, seed);
    Specimen {
        seed,
        face,
        conditions,
        jpeg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reset_flow::resident_id;
    use time::macros::date;

    #[test]
    fn faces_carry_valid_numbers_that_match_their_sex_and_birth_date() {
        for seed in 0..200 {
            let f = random_face(seed);
            let id = resident_id::parse(&f.number, date!(2026 - 11 - 27))
                .unwrap_or_else(|e| panic!("seed {seed}: {} {e:?}", f.number));
            assert_eq!(id.birth_date, f.birth_date, "seed {seed}");
            assert_eq!(id.sex, f.sex, "seed {seed}");
            let name = reset_flow::CustomerName::parse(&f.name).expect("a valid name");
            assert_eq!(name.as_str(), f.name);
            assert_eq!(f.name.contains('·'), seed % 4 == 0, "seed {seed}");
        }
        assert_eq!(random_face(7), random_face(7));
        assert_ne!(random_face(7), random_face(8));
    }

    #[test]
    fn conditions_stay_within_their_ranges() {
        for seed in 0..100 {
            let c = Conditions::random(seed);
            assert!(c.tilt_deg.abs() <= 8.0 && c.perspective < 0.05, "{c:?}");
            assert!((35..80).contains(&c.jpeg_quality), "{c:?}");
        }
    }
}
