//! The phone's camera: on Android and iOS the camera belongs to the webview, so the screen opens
//! it (`getUserMedia`) and sends JPEG frames over IPC. The app's command pushes them into a
//! [`WebviewFeed`]; the camera run, on its own thread, reads the [`WebviewSource`] made from it
//! like any other [`FrameSource`].
//!
//! Frames pushed faster than the feed's rate are dropped before they are decoded, and only the
//! newest waiting frame is kept, so analysis never falls behind the camera.

use std::io::Cursor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use image::{ImageFormat, ImageReader, Limits};

use crate::frame::Frame;
use crate::source::{FrameSource, SourceError};

/// A frame larger than this is not a camera frame the screen made.
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// Nor is one wider or taller than this (a 4K camera's frame fits).
const MAX_FRAME_SIDE: u32 = 4096;
/// How long the reader waits at a time before looking at the run's cancel switch again.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// The command side: where the screen's frames go in. Cheap to clone.
#[derive(Clone)]
pub struct WebviewFeed {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WebviewFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebviewFeed")
    }
}

struct Shared {
    state: Mutex<State>,
    arrived: Condvar,
    min_interval_ms: u64,
    started: Instant,
}

#[derive(Default)]
struct State {
    last_accepted_ms: Option<u64>,
    waiting: Option<Frame>,
    dropped: u64,
    /// The screen could not open the camera (no camera, permission refused).
    failed: Option<SourceError>,
    /// No more frames will come: the run is over.
    closed: bool,
}

impl WebviewFeed {
    /// A feed taking `max_fps` frames a second at most (8 on phones).
    pub fn new(max_fps: u32) -> WebviewFeed {
        WebviewFeed {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                arrived: Condvar::new(),
                min_interval_ms: 1000 / u64::from(max_fps.max(1)),
                started: Instant::now(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A reader that panicked leaves nothing half-written here: the state is plain values.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One JPEG from the screen, timed by the feed's own clock. Returns whether it was kept;
    /// an error when it is not a JPEG the screen could have made.
    pub fn push_jpeg(&self, jpeg: &[u8]) -> Result<bool, SourceError> {
        let at_ms = self.shared.started.elapsed().as_millis() as u64;
        self.push_jpeg_at(jpeg, at_ms)
    }

    /// [`push_jpeg`](Self::push_jpeg) at a given time since the feed was made.
    pub fn push_jpeg_at(&self, jpeg: &[u8], at_ms: u64) -> Result<bool, SourceError> {
        {
            let mut state = self.state();
            if state.closed {
                return Ok(false);
            }
            if let Some(last) = state.last_accepted_ms {
                if at_ms < last + self.shared.min_interval_ms {
                    state.dropped += 1;
                    return Ok(false);
                }
            }
            // Taken now, so a burst of frames is not all decoded while this one is.
            state.last_accepted_ms = Some(at_ms);
        }
        let image = decode_frame(jpeg)?;
        let mut state = self.state();
        if state.closed {
            return Ok(false);
        }
        if state.waiting.replace(Frame::new(image, at_ms)).is_some() {
            state.dropped += 1;
        }
        self.shared.arrived.notify_all();
        Ok(true)
    }

    /// The screen could not open its camera: the run ends with this error.
    pub fn fail(&self, error: SourceError) {
        let mut state = self.state();
        if state.failed.is_none() {
            state.failed = Some(error);
        }
        self.shared.arrived.notify_all();
    }

    /// The run is over: later frames are ignored and a waiting reader returns.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        state.waiting = None;
        self.shared.arrived.notify_all();
    }

    /// Frames dropped so far because they came too fast or were overtaken.
    pub fn dropped(&self) -> u64 {
        self.state().dropped
    }

    /// The reading side, for the camera run. It waits for frames; `cancel` (the run's stop
    /// switch) ends a wait within [`WAIT_SLICE`]. No frame within `first` (which covers the
    /// system's camera permission question), or for `stall` after one, ends the run with
    /// `camera_failed`.
    pub fn source(
        &self,
        cancel: Arc<AtomicBool>,
        first: Duration,
        stall: Duration,
    ) -> WebviewSource {
        WebviewSource {
            feed: self.clone(),
            cancel,
            first,
            stall,
        }
    }
}

/// Decodes a pushed frame: a JPEG within the size and side limits, nothing else.
fn decode_frame(jpeg: &[u8]) -> Result<image::RgbImage, SourceError> {
    if jpeg.len() > MAX_FRAME_BYTES {
        return Err(SourceError::NotAPicture(format!(
            "a frame of {} bytes is over {MAX_FRAME_BYTES}",
            jpeg.len()
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(jpeg), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_FRAME_SIDE);
    limits.max_image_height = Some(MAX_FRAME_SIDE);
    reader.limits(limits);
    reader
        .decode()
        .map(|i| i.into_rgb8())
        .map_err(|e| SourceError::NotAPicture(e.to_string()))
}

/// The camera run's side of a [`WebviewFeed`].
pub struct WebviewSource {
    feed: WebviewFeed,
    cancel: Arc<AtomicBool>,
    first: Duration,
    stall: Duration,
}

impl FrameSource for WebviewSource {
    /// Waits for the next frame. `Ok(None)` only once the feed is closed or the run cancelled.
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let waited_since = Instant::now();
        let mut state = self.feed.state();
        // Chosen once per call: a frame accepted while this call waits is still being decoded
        // when the wait may wake, and must not turn a first frame's long wait into a stall.
        let limit = if state.last_accepted_ms.is_some() {
            self.stall
        } else {
            self.first
        };
        loop {
            if let Some(error) = state.failed.clone() {
                return Err(error);
            }
            if state.closed || self.cancel.load(Ordering::SeqCst) {
                return Ok(None);
            }
            if let Some(frame) = state.waiting.take() {
                return Ok(Some(frame));
            }
            if waited_since.elapsed() >= limit {
                return Err(SourceError::CameraFailed(
                    "no frames from the webview's camera".into(),
                ));
            }
            state = self
                .feed
                .shared
                .arrived
                .wait_timeout(state, WAIT_SLICE)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    fn describe(&self) -> String {
        format!(
            "webview ({} ms apart at least)",
            self.feed.shared.min_interval_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::tests::jpeg;

    fn source(feed: &WebviewFeed, stall_ms: u64) -> WebviewSource {
        let stall = Duration::from_millis(stall_ms);
        feed.source(Arc::new(AtomicBool::new(false)), stall, stall)
    }

    #[test]
    fn frames_that_come_too_fast_are_dropped_and_the_newest_is_kept() {
        let feed = WebviewFeed::new(5); // 200 ms apart
        let mut src = source(&feed, 1000);
        let j = jpeg(16, 16);
        assert!(feed.push_jpeg_at(&j, 0).unwrap());
        assert!(!feed.push_jpeg_at(&j, 100).unwrap());
        assert_eq!(src.next_frame().unwrap().unwrap().at_ms, 0);
        assert!(feed.push_jpeg_at(&j, 200).unwrap());
        assert!(feed.push_jpeg_at(&j, 400).unwrap()); // overtakes the unread one
        assert_eq!(feed.dropped(), 2);
        assert_eq!(src.next_frame().unwrap().unwrap().at_ms, 400);
    }

    #[test]
    fn what_is_not_a_camera_frame_is_refused_and_changes_nothing() {
        let feed = WebviewFeed::new(1000);
        let mut src = source(&feed, 100);
        let png = {
            let mut out = Vec::new();
            image::RgbImage::new(8, 8)
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .unwrap();
            out
        };
        // A JPEG header claiming a picture wider than any camera's.
        let mut huge = jpeg(16, 16);
        let sof = huge
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("a baseline frame header");
        huge[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
        let too_big = vec![0u8; MAX_FRAME_BYTES + 1];
        for (i, bad) in [&b"not a jpeg"[..], &png, &huge, &too_big, &[]]
            .iter()
            .enumerate()
        {
            let err = feed.push_jpeg_at(bad, i as u64 * 10).unwrap_err();
            assert_eq!(err.code(), "not_a_picture", "case {i}");
        }
        // Nothing was queued: the reader waits its stall out.
        assert_eq!(src.next_frame().unwrap_err().code(), "camera_failed");
    }

    #[test]
    fn a_waiting_reader_gets_a_frame_pushed_from_another_thread() {
        let feed = WebviewFeed::new(8);
        let mut src = source(&feed, 5_000);
        let pusher = feed.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(60));
            pusher.push_jpeg(&jpeg(32, 24)).unwrap()
        });
        let frame = src.next_frame().unwrap().expect("a frame");
        assert_eq!((frame.width(), frame.image.height()), (32, 24));
        assert!(t.join().unwrap());
    }

    #[test]
    fn the_first_frame_may_take_longer_than_the_frames_after_it() {
        let feed = WebviewFeed::new(1000);
        let cancel = Arc::new(AtomicBool::new(false));
        let mut src = feed.source(
            cancel,
            Duration::from_millis(400),
            Duration::from_millis(50),
        );
        let pusher = feed.clone();
        let t = std::thread::spawn(move || {
            // Later than the stall, sooner than the first frame's wait.
            std::thread::sleep(Duration::from_millis(150));
            pusher.push_jpeg(&jpeg(16, 16)).unwrap()
        });
        assert!(src.next_frame().unwrap().is_some());
        assert!(t.join().unwrap());
        assert_eq!(src.next_frame().unwrap_err().code(), "camera_failed");
    }

    /// A first frame taken (its time noted) but still being decoded when the wait wakes: the
    /// wait keeps the first frame's limit, not the shorter stall, so a customer who answered the
    /// camera question late does not get 摄像头画面中断.
    #[test]
    fn a_first_frame_still_being_decoded_is_waited_for() {
        let feed = WebviewFeed::new(1000);
        let cancel = Arc::new(AtomicBool::new(false));
        let mut src = feed.source(
            cancel,
            Duration::from_millis(2_000),
            Duration::from_millis(20),
        );
        let decoder = feed.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            // What push_jpeg does before it decodes, then a decode slower than the stall.
            decoder.state().last_accepted_ms = Some(30);
            decoder.shared.arrived.notify_all();
            std::thread::sleep(Duration::from_millis(200));
            let image = decode_frame(&jpeg(16, 16)).unwrap();
            decoder.state().waiting = Some(Frame::new(image, 30));
            decoder.shared.arrived.notify_all();
        });
        assert!(src.next_frame().unwrap().is_some());
        t.join().unwrap();
    }

    #[test]
    fn a_camera_the_screen_could_not_open_ends_the_run_with_its_reason() {
        let feed = WebviewFeed::new(8);
        let mut src = source(&feed, 5_000);
        feed.fail(SourceError::PermissionDenied);
        feed.fail(SourceError::NoCamera); // the first reason counts
        assert_eq!(
            src.next_frame().unwrap_err().code(),
            "camera_permission_denied"
        );
    }

    #[test]
    fn closing_or_cancelling_ends_a_wait_and_later_frames_are_ignored() {
        let feed = WebviewFeed::new(8);
        let cancel = Arc::new(AtomicBool::new(false));
        let mut src = feed.source(
            cancel.clone(),
            Duration::from_secs(30),
            Duration::from_secs(30),
        );
        let stopper = cancel.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(60));
            stopper.store(true, Ordering::SeqCst);
        });
        let started = Instant::now();
        assert!(src.next_frame().unwrap().is_none());
        assert!(started.elapsed() < Duration::from_secs(5));
        t.join().unwrap();

        let feed = WebviewFeed::new(8);
        let mut src = source(&feed, 30_000);
        feed.close();
        assert!(!feed.push_jpeg(&jpeg(16, 16)).unwrap());
        assert!(src.next_frame().unwrap().is_none());
    }
}
