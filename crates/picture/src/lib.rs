//! Pictures, whoever takes them: bytes decoded ([`decode`]), grey for analysis ([`to_gray`]),
//! JPEG out ([`encode_jpeg`]), outlines ([`Quad`]), faces found ([`FaceFinder`]) and the active challenge's movement
//! rule ([`movement_done`]). The camera crate builds its screens' analysis on these; the server
//! re-checks uploaded face frames with the same finder and rule, without any camera code.

pub mod decode;
pub mod face;
pub mod gray;
pub mod jpeg;
pub mod movement;
pub mod quad;

pub use decode::{decode, NotAPicture};
pub use face::{FaceBox, FaceFinder, FaceFinderConfig, FaceModel, FaceModelError, FACE_MODEL_FILE};
pub use gray::{half, shrink_to, to_gray};
pub use jpeg::{encode_jpeg, EncodeError, JpegSpec};
pub use movement::{movement_done, MovementRule};
pub use quad::Quad;
