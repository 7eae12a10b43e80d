//! The other typed fields: the reserved and contact phone numbers, the 6-digit SMS code, and
//! the new password with the customer's own data it must not contain. The first byte picks
//! the field. Accepted phones and codes must be canonical; the password rule must list each
//! broken rule once, in its order, and accept only what the rule allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reset_flow::{
    check_password, ErrorCode, IdNumber, IdType, MobileNumber, PasswordContext, PasswordRule,
    SmsCode, PASSWORD_MAX, PASSWORD_MIN,
};
use time::macros::date;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match pick % 3 {
        0 => phone(text),
        1 => code(text),
        _ => password(text),
    }
});

fn phone(raw: &str) {
    match MobileNumber::parse(raw) {
        Ok(phone) => {
            let s = phone.as_str();
            assert!(s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) && s.starts_with('1'));
            assert_eq!(MobileNumber::parse(s).as_ref(), Ok(&phone));
            let masked = phone.masked();
            assert_eq!(masked.len(), 11);
            assert_eq!(&masked[3..7], "****");
        }
        Err(code) => assert!(
            matches!(code, ErrorCode::PhoneRequired | ErrorCode::PhoneInvalid),
            "{code:?}"
        ),
    }
}

fn code(raw: &str) {
    match SmsCode::parse(raw) {
        Ok(code) => {
            let s = code.as_str();
            assert!(s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()));
            assert!(SmsCode::parse(s).as_ref() == Ok(&code));
            // Debug must never show the code.
            assert!(!format!("{code:?}").contains(s));
        }
        Err(code) => assert_eq!(code, ErrorCode::CodeFormat),
    }
}

/// The text is `password NUL confirmation NUL id-number NUL phone`, each part optional: the
/// new password, its second entry, and the customer data the password is judged against.
fn password(text: &str) {
    let mut parts = text.split('\0');
    let password = parts.next().unwrap_or_default();
    let confirmation = parts.next();
    let id = parts
        .next()
        .and_then(|raw| IdNumber::parse(IdType::IdCard, raw, date!(2026 - 11 - 27)).ok());
    let phones: Vec<&str> = parts.next().into_iter().collect();
    let ctx = PasswordContext {
        id_number: id.as_ref().map(IdNumber::as_str),
        birth_date: id.as_ref().and_then(IdNumber::birth_date),
        phones,
    };
    let broken = check_password(password, confirmation, &ctx);
    // Each rule once, in the order of `PasswordRule::ALL` (the screen ticks them off in order).
    let order = |r: &PasswordRule| PasswordRule::ALL.iter().position(|a| a == r);
    assert!(
        broken.windows(2).all(|w| order(&w[0]) < order(&w[1])),
        "{broken:?}"
    );
    let n = password.chars().count();
    assert_eq!(broken.contains(&PasswordRule::TooShort), n < PASSWORD_MIN);
    assert_eq!(broken.contains(&PasswordRule::TooLong), n > PASSWORD_MAX);
    assert_eq!(
        broken.contains(&PasswordRule::Mismatch),
        confirmation.is_some_and(|c| c != password)
    );
    if broken.is_empty() {
        assert!(password.bytes().all(|b| b.is_ascii_graphic()));
        if let Some(id) = ctx.id_number {
            assert!(!password
                .to_ascii_lowercase()
                .contains(&id.to_ascii_lowercase()));
        }
    }
}
