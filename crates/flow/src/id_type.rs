//! The kinds of ID a customer can register with, as the app lists them and the API names them.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// ID document types, in the order the 证件类型 picker shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证: 18 characters with a GB 11643 check digit.
    IdCard,
    /// 护照
    Passport,
    /// 港澳居民来往内地通行证
    HkMacauPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
    /// 外国人永久居留身份证
    ForeignPermanentResident,
}

impl IdType {
    pub const ALL: [IdType; 5] = [
        IdType::IdCard,
        IdType::Passport,
        IdType::HkMacauPermit,
        IdType::TaiwanPermit,
        IdType::ForeignPermanentResident,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IdType::IdCard => "id_card",
            IdType::Passport => "passport",
            IdType::HkMacauPermit => "hk_macau_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::ForeignPermanentResident => "foreign_permanent_resident",
        }
    }

    /// The bank guide's name for the type, as the picker shows it.
    pub const fn label_zh(self) -> &'static str {
        match self {
            IdType::IdCard => "身份证",
            IdType::Passport => "护照",
            IdType::HkMacauPermit => "港澳居民来往内地通行证",
            IdType::TaiwanPermit => "台湾居民来往大陆通行证",
            IdType::ForeignPermanentResident => "外国人永久居留身份证",
        }
    }

    pub const fn label_en(self) -> &'static str {
        match self {
            IdType::IdCard => "Resident ID card",
            IdType::Passport => "Passport",
            IdType::HkMacauPermit => "Mainland travel permit for HK and Macau residents",
            IdType::TaiwanPermit => "Mainland travel permit for Taiwan residents",
            IdType::ForeignPermanentResident => "Foreign permanent resident ID card",
        }
    }
}

impl std::str::FromStr for IdType {
    type Err = ErrorCode;

    fn from_str(s: &str) -> Result<Self, ErrorCode> {
        IdType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or(ErrorCode::IdTypeUnsupported)
    }
}

impl std::fmt::Display for IdType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for t in IdType::ALL {
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
            assert_eq!(t.as_str().parse::<IdType>(), Ok(t));
        }
        assert_eq!(
            "driving_licence".parse::<IdType>(),
            Err(ErrorCode::IdTypeUnsupported)
        );
        assert!(serde_json::from_str::<IdType>("\"IdCard\"").is_err());
    }
}
