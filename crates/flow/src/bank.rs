//! Who the bank is, as the screens and the text messages name it: one setting, whose defaults
//! are `bank/bank.toml` at the workspace root (read when this crate is built).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bank {
    /// The full legal name.
    pub name: String,
    /// How the screens name the bank (昆仑银行).
    pub short_name: String,
    pub name_en: String,
    /// The start of every text message (【昆仑银行】).
    pub sms_signature: String,
    /// The customer service hotline (95379).
    pub hotline: String,
    /// The WeChat official account customers can write to.
    pub wechat_account: String,
}

include!(concat!(env!("OUT_DIR"), "/bank_default.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_guides_bank() {
        let bank = Bank::default();
        assert_eq!(bank.short_name, "昆仑银行");
        assert_eq!(bank.name_en, "Bank of Kunlun");
        assert_eq!(bank.sms_signature, "【昆仑银行】");
        assert_eq!(bank.hotline, "95379");
        assert_eq!(bank.wechat_account, "昆仑银行");
    }
}
