//! The registered name as typed into 个人信息: Chinese names with the middle dot and its
//! look-alikes, Latin names as printed on foreign documents, anything else a keyboard or a
//! paste may carry. An accepted name must be canonical (accepted again as itself, since it is
//! compared with the name on file), within the length rule, and masked to its own length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reset_flow::{CustomerName, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    match CustomerName::parse(raw) {
        Ok(name) => {
            let s = name.as_str();
            assert_eq!(CustomerName::parse(s).as_ref(), Ok(&name), "not canonical");
            let n = s.chars().count();
            assert!((2..=60).contains(&n), "{n} characters");
            assert!(!s.chars().any(|c| c.is_control() || c.is_numeric()));
            assert_eq!(s.trim(), s);
            let masked = name.masked();
            assert_eq!(masked.chars().count(), n);
            assert_eq!(masked.chars().last(), s.chars().last());
        }
        Err(code) => assert!(
            matches!(
                code,
                ErrorCode::NameRequired
                    | ErrorCode::NameTooShort
                    | ErrorCode::NameTooLong
                    | ErrorCode::NameInvalidCharacter
                    | ErrorCode::NameMixedScript
                    | ErrorCode::NameMisplacedDot
            ),
            "{code:?}"
        ),
    }
});
