//! The camera intents: path B's face check and three document pictures, held in memory only
//! until they are uploaded (and wiped with the flow, e.g. by the kiosk's idle timeout), and the
//! camera icon that reads the ID card on 个人信息.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reset_capture::{SourceSetting, WebviewFeed};
use reset_flow::{ErrorCode, Event, IdType, Step};

use super::camera::{
    CameraFailure, CameraJob, CameraResult, CameraTask, CameraUpdate, DocumentKind,
};
use super::messages;
use super::view::{CameraView, DocumentTile, Field, Screen, WebviewCamera};
use super::AppCore;

/// A picture taken for 上传资料, waiting for 下一步.
#[derive(Clone)]
pub(crate) struct TakenPicture {
    pub jpeg: Vec<u8>,
    pub thumbnail: String,
}

/// The camera run in progress.
pub(crate) struct CameraRun {
    pub task: CameraTask,
    pub cancel: Arc<AtomicBool>,
    pub update: CameraUpdate,
    /// Where the screen's frames go when the camera is the webview's (phones).
    pub feed: Option<WebviewFeed>,
}

impl CameraRun {
    fn stop(&self) {
        self.cancel.store(true, Ordering::SeqCst);
        if let Some(feed) = &self.feed {
            feed.close();
        }
    }
}

/// The webview's frames: at most this many a second go into the analysis. The screen sends one
/// every 125 ms; the slack keeps IPC's jitter from dropping frames it already encoded.
const WEBVIEW_FPS: u32 = 10;

#[derive(Default)]
pub(crate) struct PathB {
    pub camera: Option<CameraRun>,
    pub documents: BTreeMap<DocumentKind, TakenPicture>,
    /// The last camera run read the ID card: the UI fills its fields once.
    pub scanned: bool,
}

impl PathB {
    /// Stops any camera run and forgets every picture.
    pub fn wipe(&mut self) {
        if let Some(run) = self.camera.take() {
            run.stop();
        }
        self.documents.clear();
        self.scanned = false;
    }
}

impl AppCore {
    /// 开始识别 on 人脸识别, or a tile of 上传资料: the camera run, if this step allows it. The
    /// face check first asks the server for its challenge: the prompts are the server's.
    pub async fn begin_camera(&mut self, task: CameraTask) -> Option<CameraJob> {
        self.notices.clear();
        self.path_b.scanned = false;
        let (screen, event) = match task {
            CameraTask::Face => (Screen::Face, Some(Event::FacePassed)),
            CameraTask::Document(_) => (Screen::Documents, Some(Event::DocumentsAccepted)),
            // Before any flow: only the customer's own card is read, nothing is sent.
            CameraTask::IdScan => (Screen::Identity, None),
        };
        if self.screen != screen || self.path_b.camera.is_some() {
            self.notice(None, ErrorCode::WrongStep, None);
            return None;
        }
        if task == CameraTask::IdScan && self.id_type != IdType::IdCard {
            self.notice(Some(Field::IdType), ErrorCode::IdTypeUnsupported, None);
            return None;
        }
        if event.is_some_and(|e| !self.local_step_allows(e)) {
            return None;
        }
        let challenge = match task {
            CameraTask::Face => {
                let flow_id = self.flow.as_ref()?.id.clone();
                match self.api.face_challenge(&flow_id).await {
                    Ok(challenge) => Some(challenge),
                    Err(body) => {
                        self.refused(body);
                        return None;
                    }
                }
            }
            _ => None,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let feed = (self.settings.camera == Some(SourceSetting::Webview))
            .then(|| WebviewFeed::new(WEBVIEW_FPS));
        self.path_b.camera = Some(CameraRun {
            task,
            cancel: cancel.clone(),
            update: CameraUpdate::default(),
            feed: feed.clone(),
        });
        Some(CameraJob {
            task,
            setting: self.settings.camera.clone(),
            cancel,
            feed,
            challenge,
        })
    }

    /// Where the screen pushes its camera frames, while a webview camera run is on.
    pub fn camera_feed(&self) -> Option<WebviewFeed> {
        self.path_b.camera.as_ref()?.feed.clone()
    }

    /// A frame's worth of news from the camera thread.
    pub fn camera_update(&mut self, update: CameraUpdate) {
        if let Some(run) = &mut self.path_b.camera {
            run.update = update;
        }
    }

    /// 取消 while the camera runs.
    pub fn cancel_camera(&mut self) {
        if let Some(run) = &self.path_b.camera {
            run.stop();
        }
    }

    /// The camera run ended: upload the face check, or keep the document picture.
    pub async fn camera_finished(&mut self, result: Result<CameraResult, CameraFailure>) {
        // A run the customer (or the idle timeout) already walked away from changes nothing.
        let Some(run) = self.path_b.camera.take() else {
            return;
        };
        // The screen stops sending frames once the camera view is gone.
        run.stop();
        // What was said while the camera ran is stale now; the outcome speaks.
        self.notices.clear();
        match result {
            Ok(CameraResult::Face { record, frames }) => {
                let Some(flow_id) = self.flow.as_ref().map(|f| f.id.clone()) else {
                    return;
                };
                let step = match self.api.submit_face(&flow_id, &record, frames).await {
                    Ok(answer) => answer.step,
                    Err(body) => match self.settle(body, |s| s.step == Step::Documents).await {
                        Some(s) => s.step,
                        None => return,
                    },
                };
                self.advance_local(Event::FacePassed);
                self.show_step(step);
            }
            Ok(CameraResult::Document {
                kind,
                jpeg,
                thumbnail,
            }) => {
                self.path_b
                    .documents
                    .insert(kind, TakenPicture { jpeg, thumbnail });
            }
            Ok(CameraResult::IdCard { number, name }) => {
                if let Some(number) = number {
                    // What the card says, shown in full for the customer to check.
                    self.id_number = number;
                    self.id_remembered = false;
                }
                if let Some(name) = name {
                    self.name = name;
                }
                self.path_b.scanned = true;
            }
            Err(CameraFailure::Unread(_)) => {
                self.notice(Some(Field::IdNumber), ErrorCode::CardUnreadable, None);
            }
            Err(CameraFailure::Cancelled) => {}
            Err(CameraFailure::Check(reason)) => {
                let code = reason.error_code().unwrap_or(ErrorCode::ChallengeFailed);
                self.notice_text(code, messages::reason_text(reason, self.lang));
            }
            Err(CameraFailure::Source { code }) => {
                let text = messages::camera_source_text(code, self.lang).to_owned();
                self.notice_text(ErrorCode::ServiceUnavailable, text);
            }
        }
    }

    /// 下一步 on 上传资料: all three pictures to the server.
    pub async fn submit_documents(&mut self) {
        self.notices.clear();
        if DocumentKind::ALL
            .iter()
            .any(|k| !self.path_b.documents.contains_key(k))
        {
            return self.notice(None, ErrorCode::EvidenceMissing, None);
        }
        if !self.local_step_allows(Event::DocumentsAccepted) {
            return;
        }
        let Some(flow_id) = self.flow.as_ref().map(|f| f.id.clone()) else {
            return;
        };
        let parts = DocumentKind::ALL
            .iter()
            .filter_map(|k| {
                self.path_b
                    .documents
                    .get(k)
                    .map(|p| (k.part(), p.jpeg.clone()))
            })
            .collect();
        let step = match self.api.submit_documents(&flow_id, parts).await {
            Ok(answer) => answer.step,
            Err(body) => match self.settle(body, |s| s.step == Step::ContactPhone).await {
                Some(s) => s.step,
                None => return,
            },
        };
        self.advance_local(Event::DocumentsAccepted);
        // Uploaded: the pictures leave the device's memory.
        self.path_b.documents.clear();
        self.show_step(step);
    }

    pub(crate) fn camera_view(&self) -> Option<CameraView> {
        let run = self.path_b.camera.as_ref()?;
        let u = &run.update;
        Some(CameraView {
            task: run.task,
            prompt: u
                .prompt
                .map(|(p, _, _)| messages::prompt_text(p, self.lang).into()),
            step: u.prompt.map(|(_, i, n)| (i + 1, n)),
            remaining_s: u.remaining_ms.map(|ms| ms.div_ceil(1000)),
            hint: u.hint.map(|r| messages::reason_text(r, self.lang)),
            preview: u.preview.clone(),
            progress: u.progress,
            webview: run.feed.as_ref().map(|_| WebviewCamera {
                // The selfie camera where the customer's face is in the picture (the face check,
                // the photo holding the card), so they see the screen; the back camera for the
                // card alone.
                facing: match run.task {
                    CameraTask::Face | CameraTask::Document(DocumentKind::Handheld) => "user",
                    CameraTask::Document(_) | CameraTask::IdScan => "environment",
                },
                frames: self.settings.webview_frames,
            }),
        })
    }

    pub(crate) fn document_tiles(&self) -> Vec<DocumentTile> {
        DocumentKind::ALL
            .iter()
            .map(|k| DocumentTile {
                kind: *k,
                label: messages::document_label(*k, self.id_type, self.lang).into(),
                thumbnail: self.path_b.documents.get(k).map(|p| p.thumbnail.clone()),
            })
            .collect()
    }
}
