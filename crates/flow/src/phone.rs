//! Mainland mobile numbers: the reserved phone on file and the contact phone of path B.

use crate::text::compact;
use crate::ErrorCode;

/// A checked 11-digit mainland mobile number. Personal data: log only [`MobileNumber::masked`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Accepts spaces, hyphens, full-width digits and a +86 / 0086 country prefix.
    pub fn parse(raw: &str) -> Result<MobileNumber, ErrorCode> {
        let s = compact(raw);
        if s.is_empty() {
            return Err(ErrorCode::PhoneRequired);
        }
        let national = s
            .strip_prefix("+86")
            .or_else(|| s.strip_prefix("0086"))
            .unwrap_or(&s);
        let b = national.as_bytes();
        let valid = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if valid {
            Ok(MobileNumber(national.to_owned()))
        } else {
            Err(ErrorCode::PhoneInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****0001`, as the screens and the audit log show it.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for raw in [
            "13800000001",
            "+8613800000001",
            "008613800000001",
            "138 0000 0001",
            "+86 138-0000-0001",
            "１３８００００００01",
        ] {
            assert_eq!(
                MobileNumber::parse(raw).unwrap().as_str(),
                "13800000001",
                "{raw}"
            );
        }
        assert_eq!(
            MobileNumber::parse("19912345678").unwrap().masked(),
            "199****5678"
        );
    }

    #[test]
    fn refused_forms() {
        assert_eq!(MobileNumber::parse(" "), Err(ErrorCode::PhoneRequired));
        for raw in [
            "12800000001",
            "1380000000",
            "138000000011",
            "23800000001",
            "1380000000a",
            "8613800000001",
            "+8513800000001",
            "+86+8613800000001",
            "１３８",
        ] {
            assert_eq!(
                MobileNumber::parse(raw),
                Err(ErrorCode::PhoneInvalid),
                "{raw}"
            );
        }
    }
}
