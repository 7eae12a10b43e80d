//! ID numbers as anyone may type them into 个人信息 (and as OCR reads them off a card): every
//! document type, checked against a few different days. Beyond "never panics", a number that
//! is accepted must be canonical (accepted again as itself), masked to its own length, and
//! born no later than the day of the check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reset_flow::{resident_id, text, ErrorCode, IdNumber, IdType};
use time::macros::date;
use time::Date;

/// The day the check runs on bounds the birth dates: an ordinary one, a leap day, the first
/// day a birth date may have, and the far future.
const DAYS: [Date; 4] = [
    date!(2026 - 11 - 27),
    date!(2000 - 02 - 29),
    date!(1900 - 01 - 01),
    date!(2099 - 12 - 31),
];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the document type and the day; the rest is the typed text.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let id_type = IdType::ALL[usize::from(pick) % IdType::ALL.len()];
    let today = DAYS[usize::from(pick / 5) % DAYS.len()];

    // What OCR calls on the text it read off a card.
    let compacted = text::compact(raw);
    if let Ok(card) = resident_id::parse(&compacted, today) {
        assert!(resident_id::check_digit_holds(&card.number));
        assert!(card.birth_date <= today);
    }

    match IdNumber::parse(id_type, raw, today) {
        Ok(number) => {
            let s = number.as_str();
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_graphic() && !b.is_ascii_lowercase() && b != b'-'),
                "not canonical"
            );
            assert_eq!(number.id_type(), id_type);
            // The canonical form is the key of the customer: typed again, it is the same.
            assert_eq!(IdNumber::parse(id_type, s, today).as_ref(), Ok(&number));
            assert!(number.birth_date().is_none_or(|d| d <= today));
            if id_type == IdType::IdCard {
                assert!(resident_id::check_digit_holds(s));
            }
            let masked = number.masked();
            assert_eq!(masked.len(), s.len());
            assert!(masked.contains('*'));
            assert_eq!(masked.as_bytes()[0], s.as_bytes()[0]);
            assert_eq!(masked.as_bytes()[s.len() - 1], s.as_bytes()[s.len() - 1]);
        }
        Err(code) => assert!(
            matches!(
                code,
                ErrorCode::IdNumberRequired
                    | ErrorCode::IdNumberLength
                    | ErrorCode::IdNumberFormat
                    | ErrorCode::IdNumberRegion
                    | ErrorCode::IdNumberBirthDate
                    | ErrorCode::IdNumberCheckDigit
            ),
            "{code:?}"
        ),
    }
});
