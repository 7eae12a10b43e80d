//! The 18-character citizen identity number of GB 11643-1999: region, birth date, sequence and
//! an ISO 7064 MOD 11-2 check digit. Also used by the 2023 foreign permanent-resident card and
//! by OCR, which accepts a number read from a card only when its check digit holds.

use time::{Date, Month};

use crate::ErrorCode;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Province-level codes that appear as the first two digits: the mainland provinces, Taiwan (71),
/// and the residence permits of Hong Kong (81), Macau (82) and Taiwan (83) residents.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// The check character for the first 17 digits, or `None` if any of them is not a digit.
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize] as char)
}

/// Whether an 18-character number's last character is its check character.
pub fn check_digit_holds(number: &str) -> bool {
    let b = number.as_bytes();
    b.len() == 18 && check_char(&b[..17]).is_some_and(|c| c as u8 == b[17].to_ascii_uppercase())
}

/// Whether two digits name a province-level region.
pub fn is_province(code: u8) -> bool {
    PROVINCES.contains(&code)
}

/// Sex as the sequence digit encodes it (odd: male).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// A valid 18-character resident identity number, split into what it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId {
    /// Upper-case, 18 characters.
    pub number: String,
    pub birth_date: Date,
    pub sex: Sex,
}

/// Parse an already compacted (trimmed, half-width) candidate. `today` bounds the birth date so
/// the rule has no clock of its own.
pub fn parse(compacted: &str, today: Date) -> Result<ResidentId, ErrorCode> {
    let number = compacted.to_ascii_uppercase();
    let b = number.as_bytes();
    if b.len() != 18 {
        return Err(ErrorCode::IdNumberLength);
    }
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(ErrorCode::IdNumberFormat);
    }
    if !is_province(two_digits(&b[0..2])) {
        return Err(ErrorCode::IdNumberRegion);
    }
    let birth_date = yyyymmdd(&b[6..14])
        .filter(|d| d.year() >= 1900 && *d <= today)
        .ok_or(ErrorCode::IdNumberBirthDate)?;
    if !check_digit_holds(&number) {
        return Err(ErrorCode::IdNumberCheckDigit);
    }
    let sex = if (b[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(ResidentId {
        number,
        birth_date,
        sex,
    })
}

pub(crate) fn two_digits(b: &[u8]) -> u8 {
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

/// A calendar date from eight ASCII digits, or `None` when there is no such day.
pub(crate) fn yyyymmdd(b: &[u8]) -> Option<Date> {
    let s = std::str::from_utf8(b).ok()?;
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(4..6)?.parse().ok()?;
    let day: u8 = s.get(6..8)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    #[test]
    fn demo_customers_are_valid() {
        for n in [
            "11010519491231002X",
            "44030419900307123X",
            "650102198511204562",
        ] {
            assert!(parse(n, TODAY).is_ok(), "{n}");
        }
        let zhang = parse("11010519491231002x", TODAY).unwrap();
        assert_eq!(zhang.number, "11010519491231002X");
        assert_eq!(zhang.birth_date, date!(1949 - 12 - 31));
        assert_eq!(zhang.sex, Sex::Female);
        assert_eq!(parse("44030419900307123X", TODAY).unwrap().sex, Sex::Male);
    }

    #[test]
    fn each_failure_has_its_code() {
        assert_eq!(
            parse("11010519491231002", TODAY),
            Err(ErrorCode::IdNumberLength)
        );
        assert_eq!(
            parse("11010519491231002XX", TODAY),
            Err(ErrorCode::IdNumberLength)
        );
        assert_eq!(
            parse("1101051949123100AX", TODAY),
            Err(ErrorCode::IdNumberFormat)
        );
        assert_eq!(
            parse("11010519491231002Y", TODAY),
            Err(ErrorCode::IdNumberFormat)
        );
        // 99 is no province; the check digit is right for the rest.
        let mut n = String::from("99010519491231002");
        n.push(check_char(n.as_bytes()).unwrap());
        assert_eq!(parse(&n, TODAY), Err(ErrorCode::IdNumberRegion));
        assert_eq!(
            parse("110105194912310021", TODAY),
            Err(ErrorCode::IdNumberCheckDigit)
        );
    }

    #[test]
    fn birth_date_must_exist_and_not_be_in_the_future() {
        for body in [
            "11010519490230002",
            "11010518991231002",
            "11010520271231002",
        ] {
            let mut n = body.to_string();
            n.push(check_char(n.as_bytes()).unwrap());
            assert_eq!(parse(&n, TODAY), Err(ErrorCode::IdNumberBirthDate), "{n}");
        }
        // Born today is fine; a leap day only in a leap year.
        let mut n = String::from("11010520261127002");
        n.push(check_char(n.as_bytes()).unwrap());
        assert!(parse(&n, TODAY).is_ok());
        let mut n = String::from("11010520000229002");
        n.push(check_char(n.as_bytes()).unwrap());
        assert!(parse(&n, TODAY).is_ok());
    }
}
