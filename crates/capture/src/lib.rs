//! Camera frames and pictures: quality gates, ID-card finding, QR reading and the face check.
//!
//! The app (Tauri) drives it: a [`FrameSource`] yields [`Frame`]s; document screens call
//! [`analyse_document_frame`] (or a [`DocumentAnalyser`] for the motion gate) and feed the verdicts
//! to an [`AutoCapture`]; the face screen feeds frames and the faces a [`FaceFinder`] found to a
//! [`FaceCheck`]; pictures leave as JPEG through [`encode_jpeg`].

#[cfg(desktop_camera)]
pub mod camera;
pub mod card;
pub mod corpus;
pub mod face_check;
pub mod frame;
pub mod qr;
pub mod quality;
pub mod reason;
pub mod scene;
pub mod setting;
pub mod side;
pub mod source;
pub mod webview;

pub use card::{
    analyse_document_frame, find_card, straighten, AutoCapture, CapturedCard, DocumentAnalyser,
    DocumentLimits, DocumentVerdict, Quad,
};
pub use face_check::{FaceCheck, FaceCheckConfig, FaceCheckState, FaceEvidence};
pub use frame::Frame;
pub use qr::{read_qr, QrCode};
pub use reason::Reason;
pub use scene::{Scene, ScenesSource};
pub use setting::{open_source, SourceSetting};
pub use side::{card_side, check_handheld, CardSide};
pub use source::{FileSource, FrameSource, SourceError};
pub use webview::{WebviewFeed, WebviewSource};

// The picture crate's faces and JPEG output, named here too: the screens use them with the rest.
pub use reset_picture::face;
pub use reset_picture::{
    encode_jpeg, FaceBox, FaceFinder, FaceFinderConfig, FaceModel, FaceModelError, JpegSpec,
    FACE_MODEL_FILE,
};
