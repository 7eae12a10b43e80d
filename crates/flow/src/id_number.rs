//! ID numbers of every supported document type: normalised, checked, and kept in one canonical
//! form so the same person typed two ways is the same key.

use time::{Date, Month};

use crate::resident_id::{self, two_digits, yyyymmdd};
use crate::text::compact;
use crate::{ErrorCode, IdType};

/// A checked ID number in canonical form (half-width, upper-case, no separators).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    id_type: IdType,
    value: String,
    birth_date: Option<Date>,
}

impl IdNumber {
    /// Check `raw` as a number of `id_type`. `today` bounds encoded birth dates.
    pub fn parse(id_type: IdType, raw: &str, today: Date) -> Result<IdNumber, ErrorCode> {
        let s = compact(raw).to_ascii_uppercase();
        if s.is_empty() {
            return Err(ErrorCode::IdNumberRequired);
        }
        if !s.is_ascii() {
            return Err(ErrorCode::IdNumberFormat);
        }
        let birth_date = match id_type {
            IdType::IdCard => Some(resident_id::parse(&s, today)?.birth_date),
            IdType::Passport => {
                passport(&s)?;
                None
            }
            IdType::HkMacauPermit => {
                hk_macau_permit(&s)?;
                None
            }
            IdType::TaiwanPermit => {
                taiwan_permit(&s)?;
                None
            }
            IdType::ForeignPermanentResident => foreign_permanent_resident(&s, today)?,
        };
        Ok(IdNumber {
            id_type,
            value: s,
            birth_date,
        })
    }

    pub fn id_type(&self) -> IdType {
        self.id_type
    }

    /// The canonical number. Personal data: never log it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The birth date the number encodes, where it encodes one (used by the password rule).
    pub fn birth_date(&self) -> Option<Date> {
        self.birth_date
    }

    /// For display on a screen the customer is looking at: first and last characters only.
    pub fn masked(&self) -> String {
        let n = self.value.len();
        let keep = if n >= 10 { 4 } else { 1 };
        let mut out = String::with_capacity(n);
        out.push_str(&self.value[..keep]);
        out.extend(std::iter::repeat_n('*', n - 2 * keep));
        out.push_str(&self.value[n - keep..]);
        out
    }
}

/// Passports of any country: 5–17 letters and digits with at least one digit (ICAO 9303 leaves
/// the form to the issuer; Chinese ones are E/G + 8 characters).
fn passport(s: &str) -> Result<(), ErrorCode> {
    if !(5..=17).contains(&s.len()) {
        return Err(ErrorCode::IdNumberLength);
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric()) || !s.bytes().any(|b| b.is_ascii_digit()) {
        return Err(ErrorCode::IdNumberFormat);
    }
    Ok(())
}

/// 港澳居民来往内地通行证: H (Hong Kong) or M (Macau) then 8 digits; older cards add a two-digit
/// issue count.
fn hk_macau_permit(s: &str) -> Result<(), ErrorCode> {
    if s.len() != 9 && s.len() != 11 {
        return Err(ErrorCode::IdNumberLength);
    }
    let b = s.as_bytes();
    if !matches!(b[0], b'H' | b'M') || !b[1..].iter().all(u8::is_ascii_digit) {
        return Err(ErrorCode::IdNumberFormat);
    }
    Ok(())
}

/// 台湾居民来往大陆通行证: 8 digits (card since 2015); older booklets have 10 digits, sometimes
/// with a letter in brackets, e.g. `1234567890(B)`.
fn taiwan_permit(s: &str) -> Result<(), ErrorCode> {
    let b = s.as_bytes();
    match b.len() {
        8 | 10 if b.iter().all(u8::is_ascii_digit) => Ok(()),
        13 if b[..10].iter().all(u8::is_ascii_digit)
            && b[10] == b'('
            && b[11].is_ascii_uppercase()
            && b[12] == b')' =>
        {
            Ok(())
        }
        8 | 10 | 13 => Err(ErrorCode::IdNumberFormat),
        _ => Err(ErrorCode::IdNumberLength),
    }
}

/// 外国人永久居留身份证. The 2004 form: 3-letter nationality, 2-digit region, YYMMDD birth date,
/// 4 more digits. The 2023 form: 18 characters starting with 9, region, 3-digit nationality,
/// YYYYMMDD birth date, sequence, GB 11643 check digit.
fn foreign_permanent_resident(s: &str, today: Date) -> Result<Option<Date>, ErrorCode> {
    let b = s.as_bytes();
    match b.len() {
        15 => {
            if !b[..3].iter().all(u8::is_ascii_uppercase) || !b[3..].iter().all(u8::is_ascii_digit)
            {
                return Err(ErrorCode::IdNumberFormat);
            }
            if !resident_id::is_province(two_digits(&b[3..5])) {
                return Err(ErrorCode::IdNumberRegion);
            }
            yymmdd(&b[5..11], today)
                .ok_or(ErrorCode::IdNumberBirthDate)
                .map(Some)
        }
        18 => {
            if b[0] != b'9'
                || !b[..17].iter().all(u8::is_ascii_digit)
                || !(b[17].is_ascii_digit() || b[17] == b'X')
            {
                return Err(ErrorCode::IdNumberFormat);
            }
            if !resident_id::is_province(two_digits(&b[1..3])) {
                return Err(ErrorCode::IdNumberRegion);
            }
            let birth = yyyymmdd(&b[6..14])
                .filter(|d| d.year() >= 1900 && *d <= today)
                .ok_or(ErrorCode::IdNumberBirthDate)?;
            if !resident_id::check_digit_holds(s) {
                return Err(ErrorCode::IdNumberCheckDigit);
            }
            Ok(Some(birth))
        }
        _ => Err(ErrorCode::IdNumberLength),
    }
}

/// A two-digit-year date, taken in the latest century that does not put it after `today`.
fn yymmdd(b: &[u8], today: Date) -> Option<Date> {
    let s = std::str::from_utf8(b).ok()?;
    let yy: i32 = s.get(0..2)?.parse().ok()?;
    let month = Month::try_from(s.get(2..4)?.parse::<u8>().ok()?).ok()?;
    let day: u8 = s.get(4..6)?.parse().ok()?;
    let century = today.year() / 100 * 100;
    [century + yy, century - 100 + yy]
        .into_iter()
        .filter_map(|y| Date::from_calendar_date(y, month, day).ok())
        .find(|d| *d <= today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn ok(t: IdType, raw: &str) -> IdNumber {
        IdNumber::parse(t, raw, TODAY).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }
    fn err(t: IdType, raw: &str) -> ErrorCode {
        IdNumber::parse(t, raw, TODAY).expect_err(raw)
    }

    #[test]
    fn id_card_normalises_input() {
        let n = ok(IdType::IdCard, " １１０１０５ 1949 1231 002x ");
        assert_eq!(n.as_str(), "11010519491231002X");
        assert_eq!(n.birth_date(), Some(date!(1949 - 12 - 31)));
        assert_eq!(n.masked(), "1101**********002X");
        assert_eq!(err(IdType::IdCard, "   "), ErrorCode::IdNumberRequired);
        assert_eq!(
            err(IdType::IdCard, "11010519491231002Ⅹ"),
            ErrorCode::IdNumberFormat
        );
    }

    #[test]
    fn passports() {
        assert_eq!(ok(IdType::Passport, "e12345678").as_str(), "E12345678");
        ok(IdType::Passport, "EA1234567");
        ok(IdType::Passport, "G12345678");
        ok(IdType::Passport, "533380006");
        assert_eq!(err(IdType::Passport, "E123"), ErrorCode::IdNumberLength);
        assert_eq!(err(IdType::Passport, "ABCDEFGH"), ErrorCode::IdNumberFormat);
        assert_eq!(
            err(IdType::Passport, "E1234567$"),
            ErrorCode::IdNumberFormat
        );
        assert_eq!(
            err(IdType::Passport, "E123456789012345678"),
            ErrorCode::IdNumberLength
        );
    }

    #[test]
    fn hk_macau_permits() {
        ok(IdType::HkMacauPermit, "H12345678");
        ok(IdType::HkMacauPermit, "m1234567801");
        assert_eq!(
            err(IdType::HkMacauPermit, "C12345678"),
            ErrorCode::IdNumberFormat
        );
        assert_eq!(
            err(IdType::HkMacauPermit, "H1234567"),
            ErrorCode::IdNumberLength
        );
        assert_eq!(
            err(IdType::HkMacauPermit, "H1234567A"),
            ErrorCode::IdNumberFormat
        );
    }

    #[test]
    fn taiwan_permits() {
        ok(IdType::TaiwanPermit, "12345678");
        ok(IdType::TaiwanPermit, "1234567890");
        assert_eq!(
            ok(IdType::TaiwanPermit, "1234567890（b）").as_str(),
            "1234567890(B)"
        );
        assert_eq!(
            err(IdType::TaiwanPermit, "1234567A"),
            ErrorCode::IdNumberFormat
        );
        assert_eq!(
            err(IdType::TaiwanPermit, "123456789"),
            ErrorCode::IdNumberLength
        );
    }

    #[test]
    fn foreign_permanent_resident_both_forms() {
        let old = ok(IdType::ForeignPermanentResident, "usa118501010013");
        assert_eq!(old.as_str(), "USA118501010013");
        assert_eq!(old.birth_date(), Some(date!(1985 - 01 - 01)));
        // A 2023 card: 9, Beijing 11, nationality 840, born 1985-01-01, sequence 001.
        let mut new = String::from("91184019850101001");
        new.push(crate::resident_id::check_char(new.as_bytes()).unwrap());
        assert_eq!(
            ok(IdType::ForeignPermanentResident, &new).birth_date(),
            Some(date!(1985 - 01 - 01))
        );
        let mut wrong = new.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert_eq!(
            err(IdType::ForeignPermanentResident, &wrong),
            ErrorCode::IdNumberCheckDigit
        );
        assert_eq!(
            err(IdType::ForeignPermanentResident, "US1110850101001"),
            ErrorCode::IdNumberFormat
        );
        assert_eq!(
            err(IdType::ForeignPermanentResident, "USA990850101001"),
            ErrorCode::IdNumberRegion
        );
        assert_eq!(
            err(IdType::ForeignPermanentResident, "USA111302301001"),
            ErrorCode::IdNumberBirthDate
        );
        assert_eq!(
            err(IdType::ForeignPermanentResident, "11010519491231002X"),
            ErrorCode::IdNumberFormat
        );
        assert_eq!(
            err(IdType::ForeignPermanentResident, "USA1108501010"),
            ErrorCode::IdNumberLength
        );
    }

    #[test]
    fn two_digit_years_never_land_in_the_future() {
        assert_eq!(yymmdd(b"261127", TODAY), Some(date!(2026 - 11 - 27)));
        assert_eq!(yymmdd(b"261128", TODAY), Some(date!(1926 - 11 - 28)));
        assert_eq!(yymmdd(b"000229", TODAY), Some(date!(2000 - 02 - 29)));
        assert_eq!(yymmdd(b"010229", TODAY), None);
    }
}
