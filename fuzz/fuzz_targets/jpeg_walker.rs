//! The first look at an uploaded picture: the JPEG marker walk that finds where the image ends
//! (and so what is cut off after it), then the header reader that says its size before
//! anything is decoded, as `clean` calls them. An image the walk accepts ends in EOI, and
//! walking just that much again gives the same end.
#![no_main]

use std::io::Cursor;

use image::{ImageFormat, ImageReader};
use libfuzzer_sys::fuzz_target;
use reset_bank::evidence::picture::walk_markers;
use reset_flow::ErrorCode;

fuzz_target!(|data: &[u8]| {
    match walk_markers(data) {
        Ok(end) => {
            assert!(end <= data.len());
            assert_eq!(&data[end - 2..end], [0xFF, 0xD9], "the image ends in EOI");
            let image = &data[..end];
            assert_eq!(walk_markers(image), Ok(end));
            // The header reader `clean` trusts for the pixel cap.
            let _ =
                ImageReader::with_format(Cursor::new(image), ImageFormat::Jpeg).into_dimensions();
        }
        Err(code) => assert_eq!(code, ErrorCode::EvidenceCorrupt),
    }
});
