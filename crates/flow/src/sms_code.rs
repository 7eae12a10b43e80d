//! The 6-digit one-time SMS code: drawn from a CSPRNG the caller passes in, parsed from input.

use rand_core::CryptoRng;

use crate::text::compact;
use crate::ErrorCode;

pub const SMS_CODE_LEN: usize = 6;

/// A 6-digit code. Secret: never log it; store only its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsCode(String);

impl SmsCode {
    /// A uniformly drawn code (rejection sampling, so no digit string is likelier than another).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> SmsCode {
        const SPACE: u32 = 1_000_000;
        const LIMIT: u32 = u32::MAX - (u32::MAX % SPACE);
        loop {
            let n = rng.next_u32();
            if n < LIMIT {
                return SmsCode(format!("{:06}", n % SPACE));
            }
        }
    }

    pub fn parse(raw: &str) -> Result<SmsCode, ErrorCode> {
        let s = compact(raw);
        if s.len() == SMS_CODE_LEN && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(SmsCode(s))
        } else {
            Err(ErrorCode::CodeFormat)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Redacted, so a code cannot slip into a log through `{:?}`.
impl std::fmt::Debug for SmsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_six_digits_only() {
        assert_eq!(SmsCode::parse(" 012345 ").unwrap().as_str(), "012345");
        assert_eq!(SmsCode::parse("０１２３４５").unwrap().as_str(), "012345");
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "12 34 5"] {
            assert_eq!(SmsCode::parse(bad), Err(ErrorCode::CodeFormat), "{bad}");
        }
    }

    #[test]
    fn generated_codes_are_six_digits_and_vary() {
        let mut rng = rand::rng();
        let codes: std::collections::HashSet<String> =
            (0..200).map(|_| SmsCode::generate(&mut rng).0).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(
            codes.len() > 190,
            "200 draws from a million should rarely collide"
        );
    }

    #[test]
    fn debug_hides_the_code() {
        let code = SmsCode::parse("123456").unwrap();
        assert!(!format!("{code:?}").contains("123456"));
    }
}
