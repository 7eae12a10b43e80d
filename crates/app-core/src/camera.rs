//! The camera work of path B, run on a thread of its own (the face finder is not `Send`): the
//! face check with the prompts the server chose, and the capture of the ID card's front and back
//! and of the photo holding it. Frames come from the capture crate's frame source; what the
//! screen needs is sent out as [`CameraUpdate`]s while it runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use reset_capture::card::DocumentLimits;
use reset_capture::open_source;
use reset_capture::side::expect_side;
use reset_capture::{
    card_side, check_handheld, encode_jpeg, AutoCapture, CardSide, DocumentAnalyser, FaceCheck,
    FaceCheckConfig, FaceCheckState, FaceFinder, FaceFinderConfig, Frame, FrameSource, JpegSpec,
    Reason, Scene, SourceError, SourceSetting, WebviewFeed,
};
use reset_flow::wire::{ChallengePrompt, ChallengeRecord, FaceChallenge};
use serde::{Deserialize, Serialize};

use super::id_scan::IdScanFailure;

/// One frame at most this often: enough for the checks, and a real camera's newer frames are
/// taken instead of a backlog.
const FRAME_INTERVAL: Duration = Duration::from_millis(100);
/// Good frames in a row, with the card held still, before a card is taken.
const CARD_STABLE_FRAMES: u32 = 3;
/// A document capture gives up after this much camera time with no good picture.
const DOCUMENT_TIMEOUT_MS: u64 = 60_000;
/// The first frame of a webview camera may wait for the customer to answer the system's camera
/// permission question.
const WEBVIEW_FIRST_FRAME: Duration = Duration::from_secs(60);
/// A webview camera that then sends nothing for this long has failed (the screen went away).
const WEBVIEW_STALL: Duration = Duration::from_secs(10);
/// The live preview on the screen: small, so it crosses IPC ten times a second cheaply.
const PREVIEW_WIDTH: u32 = 360;

/// The three pictures of 上传资料, named as the API's multipart parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IdFront,
    IdBack,
    Handheld,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::IdFront,
        DocumentKind::IdBack,
        DocumentKind::Handheld,
    ];

    /// The multipart part name of `POST /v1/resets/{id}/documents`.
    pub const fn part(self) -> &'static str {
        match self {
            DocumentKind::IdFront => "id_front",
            DocumentKind::IdBack => "id_back",
            DocumentKind::Handheld => "handheld",
        }
    }

    const fn scene(self) -> Scene {
        match self {
            DocumentKind::IdFront => Scene::IdFront,
            DocumentKind::IdBack => Scene::IdBack,
            DocumentKind::Handheld => Scene::Handheld,
        }
    }
}

/// What the camera is being used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "document", rename_all = "snake_case")]
pub enum CameraTask {
    Face,
    Document(DocumentKind),
    /// The camera icon beside 证件号码: read the card's number and name.
    IdScan,
}

/// A camera run the core has allowed: what for, from which source, and its stop switch.
#[derive(Debug, Clone)]
pub struct CameraJob {
    pub task: CameraTask,
    pub setting: Option<SourceSetting>,
    pub cancel: Arc<AtomicBool>,
    /// The screen's frames, when the camera is the webview's.
    pub feed: Option<WebviewFeed>,
    /// The face check's prompts, as the server chose them for this attempt.
    pub challenge: Option<FaceChallenge>,
}

/// What the screen shows while the camera runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CameraUpdate {
    /// The frame as a `data:image/jpeg` URL, small.
    pub preview: Option<String>,
    /// The face check's current prompt, and its place among the prompts.
    pub prompt: Option<(ChallengePrompt, usize, usize)>,
    pub remaining_ms: Option<u64>,
    /// What the customer should change.
    pub hint: Option<Reason>,
    /// Good frames in a row so far (documents).
    pub progress: u32,
}

/// What a finished camera run hands to the core.
#[derive(Debug, Clone)]
pub enum CameraResult {
    Face {
        record: ChallengeRecord,
        frames: Vec<Vec<u8>>,
    },
    Document {
        kind: DocumentKind,
        jpeg: Vec<u8>,
        thumbnail: String,
    },
    /// What the card says: the number only when its check digit holds.
    IdCard {
        number: Option<String>,
        name: Option<String>,
    },
}

/// Why a camera run ended without a picture.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraFailure {
    /// No camera, no permission, or a source setting that cannot be opened.
    /// `code` is the capture crate's [`SourceError::code`] or `face_model_missing`; the
    /// screen's words for it are in the core's messages.
    Source {
        code: &'static str,
    },
    /// The check failed (time out, face lost, …) or the frames ran out while this was wrong.
    Check(Reason),
    /// The card was taken but nothing could be read from it (or the reader is missing).
    Unread(String),
    Cancelled,
}

impl From<SourceError> for CameraFailure {
    fn from(e: SourceError) -> Self {
        CameraFailure::Source { code: e.code() }
    }
}

/// Runs `job` to its end, blocking; `send` gets an update per frame.
pub fn run(
    job: &CameraJob,
    send: &mut dyn FnMut(CameraUpdate),
) -> Result<CameraResult, CameraFailure> {
    let setting = job.setting.as_ref().ok_or(SourceError::NoCamera)?;
    let mut source: Box<dyn FrameSource> = match (setting, &job.feed) {
        (SourceSetting::Webview, Some(feed)) => {
            Box::new(feed.source(job.cancel.clone(), WEBVIEW_FIRST_FRAME, WEBVIEW_STALL))
        }
        _ => open_source(setting)?,
    };
    match job.task {
        CameraTask::Face => {
            // The server chooses the prompts; a run without its challenge cannot pass there.
            let challenge = job
                .challenge
                .as_ref()
                .ok_or(CameraFailure::Check(Reason::ChallengeTimeout))?;
            face_check(
                source.as_mut(),
                &mut face_finder()?,
                challenge,
                &job.cancel,
                send,
            )
        }
        CameraTask::Document(kind) => {
            let mut finder = face_finder()?;
            let picture = document(kind, source.as_mut(), Some(&mut finder), &job.cancel, send)?;
            let jpeg = encode_jpeg(&picture, &JpegSpec::default())
                .map_err(|_| CameraFailure::Check(Reason::CameraEnded))?;
            Ok(CameraResult::Document {
                kind,
                jpeg,
                thumbnail: thumbnail(&picture),
            })
        }
        CameraTask::IdScan => {
            // No side check (and no face model needed): the reading itself tells the front, a
            // number with its check digit and a name.
            let card = document(
                DocumentKind::IdFront,
                source.as_mut(),
                None,
                &job.cancel,
                send,
            )?;
            match super::id_scan::read(&card) {
                Ok(read) => Ok(CameraResult::IdCard {
                    number: read.number,
                    name: read.name,
                }),
                Err(IdScanFailure::ModelMissing) => Err(CameraFailure::Source {
                    code: "ocr_model_missing",
                }),
                Err(IdScanFailure::Unread(why)) => Err(CameraFailure::Unread(why)),
            }
        }
    }
}

/// A face finder with the face model; a customer build whose package lacks the model file says
/// so instead of running a check it cannot do.
fn face_finder() -> Result<FaceFinder, CameraFailure> {
    let model = super::models::face_model().map_err(|e| {
        // The path and reason are for the tester's terminal; the customer gets the message.
        eprintln!("reset-app: {e}");
        CameraFailure::Source {
            code: "face_model_missing",
        }
    })?;
    Ok(FaceFinder::with_model(&model, FaceFinderConfig::default()))
}

/// The next frame, no sooner than the frame interval after the last; `Check(hint)` when the
/// source has run dry (files), so the screen says what was still wrong.
fn paced_frame(
    source: &mut dyn FrameSource,
    cancel: &AtomicBool,
    last: &mut Option<Instant>,
    hint: Option<Reason>,
) -> Result<Frame, CameraFailure> {
    if let Some(at) = last {
        if let Some(wait) = FRAME_INTERVAL.checked_sub(at.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    *last = Some(Instant::now());
    if cancel.load(Ordering::SeqCst) {
        return Err(CameraFailure::Cancelled);
    }
    let frame = source.next_frame();
    // A live source's wait ends with the cancel too; that is a cancel, not a camera gone.
    if cancel.load(Ordering::SeqCst) {
        return Err(CameraFailure::Cancelled);
    }
    match frame? {
        Some(frame) => Ok(frame),
        None => Err(CameraFailure::Check(hint.unwrap_or(Reason::CameraEnded))),
    }
}

fn face_check(
    source: &mut dyn FrameSource,
    finder: &mut FaceFinder,
    challenge: &FaceChallenge,
    cancel: &AtomicBool,
    send: &mut dyn FnMut(CameraUpdate),
) -> Result<CameraResult, CameraFailure> {
    let mut check = FaceCheck::with_prompts(FaceCheckConfig::default(), &challenge.prompts);
    let mut last = None;
    let mut hint = None;
    loop {
        let scene = match check.state() {
            FaceCheckState::Prompt { prompt, .. } => Scene::of_prompt(*prompt),
            _ => Scene::Face,
        };
        source.show_scene(scene);
        let frame = paced_frame(source, cancel, &mut last, hint)?;
        let faces = finder.detect(&frame.gray());
        let mut update = CameraUpdate {
            preview: preview(&frame),
            ..CameraUpdate::default()
        };
        match check.feed(&frame, &faces).clone() {
            FaceCheckState::Positioning { hint: h } => {
                hint = h;
                update.hint = h;
            }
            FaceCheckState::Prompt {
                prompt,
                index,
                count,
                remaining_ms,
            } => {
                hint = None;
                update.prompt = Some((prompt, index, count));
                update.remaining_ms = Some(remaining_ms);
            }
            FaceCheckState::Passed => {
                send(update);
                let evidence = check
                    .evidence()
                    .ok_or(CameraFailure::Check(Reason::FaceLost))?;
                let spec = JpegSpec::default();
                let frames = evidence
                    .frames
                    .iter()
                    .map(|f| encode_jpeg(&f.image, &spec))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| CameraFailure::Check(Reason::CameraEnded))?;
                let mut record = evidence.record;
                record.challenge_id = challenge.challenge_id.clone();
                return Ok(CameraResult::Face { record, frames });
            }
            FaceCheckState::Failed { reason } => return Err(CameraFailure::Check(reason)),
        }
        send(update);
    }
}

/// Takes a document picture. `finder` checks the card's side (the front has the portrait) and
/// the face in the handheld photo; without it the card is taken on its own.
fn document(
    kind: DocumentKind,
    source: &mut dyn FrameSource,
    mut finder: Option<&mut FaceFinder>,
    cancel: &AtomicBool,
    send: &mut dyn FnMut(CameraUpdate),
) -> Result<image::RgbImage, CameraFailure> {
    source.show_scene(kind.scene());
    let mut analyser = DocumentAnalyser::new(DocumentLimits::default());
    let mut auto = AutoCapture::new(CARD_STABLE_FRAMES);
    let mut handheld_streak = 0;
    let mut last = None;
    let mut hint = None;
    let mut first_ms = None;
    loop {
        let frame = paced_frame(source, cancel, &mut last, hint)?;
        let first = *first_ms.get_or_insert(frame.at_ms);
        if frame.at_ms.saturating_sub(first) > DOCUMENT_TIMEOUT_MS {
            return Err(CameraFailure::Check(hint.unwrap_or(Reason::CameraEnded)));
        }
        let mut update = CameraUpdate {
            preview: preview(&frame),
            ..CameraUpdate::default()
        };
        let picture = if kind == DocumentKind::Handheld {
            let Some(finder) = finder.as_deref_mut() else {
                return Err(CameraFailure::Source {
                    code: "face_model_missing",
                });
            };
            // The handheld photo is the whole frame: the customer's face beside the card.
            match check_handheld(&frame, finder) {
                Ok(_) => {
                    handheld_streak += 1;
                    hint = None;
                    (handheld_streak >= CARD_STABLE_FRAMES).then(|| frame.image.clone())
                }
                Err(reasons) => {
                    handheld_streak = 0;
                    hint = reasons.first().copied();
                    None
                }
            }
        } else {
            let verdict = analyser.analyse(&frame);
            hint = verdict.reasons.first().copied();
            match (auto.feed(&frame, &verdict), finder.as_deref_mut()) {
                (Some(card), None) => Some(card.straightened),
                (Some(card), Some(finder)) => {
                    let wanted = match kind {
                        DocumentKind::IdFront => CardSide::Front,
                        _ => CardSide::Back,
                    };
                    match expect_side(card_side(&card.straightened, finder), wanted) {
                        Ok(()) => Some(card.straightened),
                        Err(reason) => {
                            hint = Some(reason);
                            auto = AutoCapture::new(CARD_STABLE_FRAMES);
                            None
                        }
                    }
                }
                (None, _) => None,
            }
        };
        update.hint = hint;
        update.progress = if kind == DocumentKind::Handheld {
            handheld_streak
        } else {
            auto.streak()
        };
        if let Some(image) = picture {
            send(update);
            return Ok(image);
        }
        send(update);
    }
}

fn preview(frame: &Frame) -> Option<String> {
    data_url(&frame.image, PREVIEW_WIDTH, 60)
}

fn thumbnail(image: &image::RgbImage) -> String {
    data_url(image, 320, 75).unwrap_or_default()
}

/// A small JPEG of `image` as a `data:` URL (the app's CSP allows `img-src data:`).
fn data_url(image: &image::RgbImage, width: u32, quality: u8) -> Option<String> {
    if image.width() == 0 {
        return None;
    }
    let height = (u64::from(image.height()) * u64::from(width) / u64::from(image.width())).max(1);
    let small = image::imageops::resize(
        image,
        width,
        height as u32,
        image::imageops::FilterType::Triangle,
    );
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(&small)
        .ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    ))
}
