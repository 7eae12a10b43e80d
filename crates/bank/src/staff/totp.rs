//! The staff second factor: RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30-second steps, one step of
//! clock drift either way), enrolled by `reset-server staff add`, which shows the secret once as
//! an `otpauth://` address and its QR code. Each step's code is accepted once (RFC 6238 §5.2).

use totp_rs::{Algorithm, TOTP};

use crate::rng::{random_bytes, SharedRng};

/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
const STEP_S: u64 = 30;
const DIGITS: usize = 6;

fn totp(secret: &[u8]) -> TOTP {
    TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 1, STEP_S, secret.to_vec())
}

/// A fresh secret from the CSPRNG.
pub fn new_secret(rng: &SharedRng) -> Vec<u8> {
    random_bytes(rng, SECRET_LEN)
}

/// The code of `secret` at `unix_s` (an authenticator app's, and the tests').
pub fn code_at(secret: &[u8], unix_s: u64) -> String {
    totp(secret).generate(unix_s)
}

/// The time step whose code `code` is, within one step of `unix_s`; none for a wrong code.
pub fn matching_step(secret: &[u8], code: &str, unix_s: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix_s / STEP_S;
    let t = totp(secret);
    (now.saturating_sub(1)..=now + 1).find(|step| {
        let expected = t.generate(step * STEP_S);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            code.as_bytes(),
        ))
    })
}

/// The `otpauth://` address an authenticator app enrols from.
pub fn enrolment_url(issuer: &str, username: &str, secret: &[u8]) -> String {
    let secret = base32_nopad(secret);
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_S}",
        enc(issuer),
        enc(username),
        enc(issuer)
    )
}

/// The secret of an `otpauth://` address made by [`enrolment_url`].
pub fn secret_in_url(url: &str) -> Option<Vec<u8>> {
    let encoded = url.split_once("secret=")?.1.split('&').next()?;
    base32_decode(encoded)
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// `url` as a QR code drawn with text blocks, for the terminal `staff add` runs in.
pub fn enrolment_qr(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build(),
    )
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
fn base32_nopad(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 vectors (8 digits there; their last 6 digits here).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(secret, t), eight[2..], "t = {t}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_next_but_not_later() {
        let secret = [7u8; SECRET_LEN];
        let t = 1_800_000_000;
        let code = code_at(&secret, t);
        assert_eq!(matching_step(&secret, &code, t), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t + 30), Some(t / 30));
        assert_eq!(matching_step(&secret, &code, t + 90), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "abcdef", t), None);
        assert_eq!(matching_step(&[8u8; SECRET_LEN], &code, t), None);
    }

    #[test]
    fn the_enrolment_address_names_issuer_and_user() {
        let url = enrolment_url("昆仑银行审核台", "wang fang", b"12345678901234567890");
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(
            url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{url}"
        );
        assert!(url.contains(":wang%20fang?"), "{url}");
        assert_eq!(
            secret_in_url(&url).as_deref(),
            Some(&b"12345678901234567890"[..])
        );
        assert!(enrolment_qr(&url).is_some_and(|q| q.lines().count() > 10));
    }
}
