//! Pictures generated for path-B tests: face frames (rustface's own test picture pasted into a
//! plain room, as the capture crate's tests do), ID cards drawn flat, a challenge record that
//! points at the frames, and JPEG bytes crafted to be wrong in one way each.

use std::sync::OnceLock;

use crate::synth::{face_frame, flat_card, portrait};
use image::{Rgb, RgbImage};
use reset_flow::wire::{ChallengePrompt, ChallengeRecord, ChallengeStep, FaceChallenge};

/// JPEG bytes of `img` at quality 90.
pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .expect("encode test JPEG");
    out
}

fn the_portrait() -> &'static RgbImage {
    static P: OnceLock<RgbImage> = OnceLock::new();
    P.get_or_init(|| portrait(300).expect("rustface's test picture ships in its package"))
}

/// A 640×480 frame of the face at rest (`None`) or doing `prompt`: turned left it sits to the
/// picture's right (a camera facing the customer), turned right to its left, closer it is 40 %
/// larger.
pub fn face_frame_doing(prompt: Option<ChallengePrompt>) -> Vec<u8> {
    static F: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let frames = F.get_or_init(|| {
        let p = the_portrait();
        [
            ((320, 240), 400),
            ((410, 240), 400),
            ((230, 240), 400),
            ((320, 240), 560),
        ]
        .into_iter()
        .map(|(c, size)| jpeg(&face_frame(p, 640, 480, c, size)))
        .collect()
    });
    let i = match prompt {
        None => 0,
        Some(ChallengePrompt::TurnLeft) => 1,
        Some(ChallengePrompt::TurnRight) => 2,
        Some(ChallengePrompt::ComeCloser) => 3,
    };
    frames[i].clone()
}

/// What the app's face check uploads for `challenge`: the face at rest, then one frame per
/// prompt doing it, and the record of the prompts with a person's timings.
pub fn face_answer(challenge: &FaceChallenge) -> (Vec<Vec<u8>>, ChallengeRecord) {
    let mut frames = vec![face_frame_doing(None)];
    let mut steps = Vec::new();
    let mut at = 0;
    for prompt in &challenge.prompts {
        steps.push(ChallengeStep {
            prompt: *prompt,
            shown_at_ms: at,
            passed_at_ms: at + 1_200,
            frame: frames.len(),
        });
        frames.push(face_frame_doing(Some(*prompt)));
        at += 1_200;
    }
    let record = ChallengeRecord {
        challenge_id: challenge.challenge_id.clone(),
        prompts: steps,
        total_ms: at,
    };
    (frames, record)
}

/// A 640×480 frame with no face.
pub fn empty_room() -> Vec<u8> {
    jpeg(&RgbImage::from_fn(640, 480, |x, y| {
        Rgb([150 + (x % 40) as u8 / 4, 140 + (y % 30) as u8 / 3, 130])
    }))
}

/// A 960×480 frame with two faces side by side.
pub fn two_faces() -> Vec<u8> {
    let p = the_portrait();
    let mut frame = face_frame(p, 960, 480, (240, 240), 400);
    let q = image::imageops::resize(p, 400, 400, image::imageops::FilterType::Triangle);
    image::imageops::replace(&mut frame, &q, 520, 40);
    jpeg(&frame)
}

/// ID card front (with the portrait), back, and a handheld photo: JPEG bytes.
pub fn id_pictures() -> &'static [Vec<u8>; 3] {
    static D: OnceLock<[Vec<u8>; 3]> = OnceLock::new();
    D.get_or_init(|| {
        let p = the_portrait();
        [
            jpeg(&flat_card(Some(p), 7)),
            jpeg(&flat_card(None, 8)),
            jpeg(&face_frame(p, 800, 600, (400, 300), 420)),
        ]
    })
}

/// A photographed 身份证 front saying `number` and `name` (address and the rest drawn from
/// `seed`, birth date and sex from the number), tilted and a little blurred as a phone takes it.
pub fn id_card_front(number: &str, name: &str, seed: u64) -> Vec<u8> {
    use crate::specimen::{load_font, random_face, specimen_with, Conditions};
    static FONT: OnceLock<crate::specimen::FontVec> = OnceLock::new();
    let font = FONT.get_or_init(|| load_font().expect("a Chinese font (fonts-noto-cjk)"));
    let id = reset_flow::resident_id::parse(number, time::macros::date!(2026 - 11 - 27))
        .expect("a valid 身份证 number");
    let mut face = random_face(seed);
    face.number = number.to_owned();
    face.name = name.to_owned();
    face.birth_date = id.birth_date;
    face.sex = id.sex;
    let conditions = Conditions {
        tilt_deg: 3.0,
        perspective: 0.02,
        blur: 0.6,
        uneven_light: 0.2,
        jpeg_quality: 70,
    };
    specimen_with(face, conditions, seed, font).jpeg
}

/// A plain `w`×`h` JPEG.
pub fn plain_jpeg(w: u32, h: u32) -> Vec<u8> {
    jpeg(&RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 199) as u8])
    }))
}

/// `jpeg` with an APP1 Exif segment carrying a GPS tag (and a marker string) after SOI.
pub fn with_exif_gps(jpeg: &[u8]) -> Vec<u8> {
    // A minimal little-endian TIFF: IFD0 with one entry, the GPS IFD pointer (0x8825), and a
    // GPS IFD whose latitude-ref entry says "N"; then a marker string to look for.
    let mut tiff: Vec<u8> = b"II*\x00\x08\x00\x00\x00".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes()); // LONG
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes()); // GPS IFD offset
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes()); // GPSLatitudeRef
    tiff.extend_from_slice(&2u16.to_le_bytes()); // ASCII
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\x00\x00\x00");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(EXIF_MARKER);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Text inside the crafted Exif segment, to look for in what was stored.
pub const EXIF_MARKER: &[u8] = b"GPS-31.2304N-121.4737E";

/// A JPEG whose frame header (SOF0) claims `w`×`h`, with nothing decodable behind it.
pub fn header_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    // SOF0: length 17, precision 8, height, width, 3 components.
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    out.extend_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    // A scan header and a few bytes of data, then EOI: structurally whole.
    out.extend_from_slice(&[
        0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11,
    ]);
    out.extend_from_slice(&[0x00, 0x3F, 0x00]);
    out.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}
