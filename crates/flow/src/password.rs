//! The login password rule of 登录密码设置, returning every broken rule at once so the UI can
//! tick them off while the customer types.

use serde::{Deserialize, Serialize};
use time::Date;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 19;
/// A stretch of this many consecutive keys (`123456`, `fedcba`) is a plain run.
const RUN_LEN: usize = 6;

static COMMON: &str = include_str!("common_passwords.txt");

/// One rule of the password policy. Serialised in the `broken_rules` list of `weak_password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordRule {
    /// 8 characters at least.
    TooShort,
    /// 19 characters at most.
    TooLong,
    /// Printable ASCII only: no spaces, no Chinese, no control characters.
    InvalidCharacter,
    /// At least two of digits, letters, symbols.
    TooFewKinds,
    ContainsIdNumber,
    ContainsBirthDate,
    ContainsPhone,
    /// One character repeated.
    RepeatedCharacter,
    /// A plain run such as `12345678` or `abcdefgh`.
    SequentialRun,
    /// On the list of common passwords.
    Common,
    /// The two entries differ.
    Mismatch,
}

impl PasswordRule {
    pub const ALL: [PasswordRule; 11] = [
        PasswordRule::TooShort,
        PasswordRule::TooLong,
        PasswordRule::InvalidCharacter,
        PasswordRule::TooFewKinds,
        PasswordRule::ContainsIdNumber,
        PasswordRule::ContainsBirthDate,
        PasswordRule::ContainsPhone,
        PasswordRule::RepeatedCharacter,
        PasswordRule::SequentialRun,
        PasswordRule::Common,
        PasswordRule::Mismatch,
    ];

    pub const fn message_zh(self) -> &'static str {
        match self {
            PasswordRule::TooShort => "至少8位",
            PasswordRule::TooLong => "最多19位",
            PasswordRule::InvalidCharacter => "只能使用字母、数字或英文符号，不含空格",
            PasswordRule::TooFewKinds => "至少包含字母、数字、符号中的两种",
            PasswordRule::ContainsIdNumber => "不能包含证件号码",
            PasswordRule::ContainsBirthDate => "不能包含出生日期",
            PasswordRule::ContainsPhone => "不能包含手机号",
            PasswordRule::RepeatedCharacter => "不能是同一字符的重复",
            PasswordRule::SequentialRun => "不能包含连续的字母或数字，如123456、abcdef",
            PasswordRule::Common => "过于常见，容易被猜到",
            PasswordRule::Mismatch => "两次输入的密码不一致",
        }
    }

    pub const fn message_en(self) -> &'static str {
        match self {
            PasswordRule::TooShort => "At least 8 characters",
            PasswordRule::TooLong => "At most 19 characters",
            PasswordRule::InvalidCharacter => "Letters, digits or ASCII symbols only, no spaces",
            PasswordRule::TooFewKinds => "At least two of letters, digits, symbols",
            PasswordRule::ContainsIdNumber => "Must not contain your ID number",
            PasswordRule::ContainsBirthDate => "Must not contain your birth date",
            PasswordRule::ContainsPhone => "Must not contain your phone number",
            PasswordRule::RepeatedCharacter => "Must not be one character repeated",
            PasswordRule::SequentialRun => "Must not contain runs such as 123456 or abcdef",
            PasswordRule::Common => "Too common, easy to guess",
            PasswordRule::Mismatch => "The two entries do not match",
        }
    }
}

/// What the password must not contain: the customer's own data.
#[derive(Debug, Clone, Default)]
pub struct PasswordContext<'a> {
    pub id_number: Option<&'a str>,
    pub birth_date: Option<Date>,
    pub phones: Vec<&'a str>,
}

/// Every rule `password` breaks, in [`PasswordRule::ALL`] order; empty when it is acceptable.
/// `confirmation` is the second entry, when the screen has one.
pub fn check_password(
    password: &str,
    confirmation: Option<&str>,
    ctx: &PasswordContext<'_>,
) -> Vec<PasswordRule> {
    let mut broken = Vec::new();
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        broken.push(PasswordRule::TooShort);
    }
    if n > PASSWORD_MAX {
        broken.push(PasswordRule::TooLong);
    }
    if !password.bytes().all(|b| b.is_ascii_graphic()) {
        broken.push(PasswordRule::InvalidCharacter);
    }
    let kinds = [
        password.bytes().any(|b| b.is_ascii_digit()),
        password.bytes().any(|b| b.is_ascii_alphabetic()),
        password.bytes().any(|b| b.is_ascii_punctuation()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        broken.push(PasswordRule::TooFewKinds);
    }
    let lower = password.to_ascii_lowercase();
    if ctx
        .id_number
        .is_some_and(|id| !id.is_empty() && lower.contains(&id.to_ascii_lowercase()))
    {
        broken.push(PasswordRule::ContainsIdNumber);
    }
    if let Some(d) = ctx.birth_date {
        let long = format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
        if password.contains(&long) || password.contains(&long[2..]) {
            broken.push(PasswordRule::ContainsBirthDate);
        }
    }
    if ctx
        .phones
        .iter()
        .any(|p| !p.is_empty() && password.contains(p))
    {
        broken.push(PasswordRule::ContainsPhone);
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next() {
        if n > 1 && chars.all(|c| c == first) {
            broken.push(PasswordRule::RepeatedCharacter);
        }
    }
    if has_run(&lower) {
        broken.push(PasswordRule::SequentialRun);
    }
    if is_common(&lower) {
        broken.push(PasswordRule::Common);
    }
    if confirmation.is_some_and(|c| c != password) {
        broken.push(PasswordRule::Mismatch);
    }
    broken
}

/// `RUN_LEN` or more consecutive digits or letters going up or down by one each.
fn has_run(lower: &str) -> bool {
    let b = lower.as_bytes();
    if b.len() < RUN_LEN {
        return false;
    }
    b.windows(RUN_LEN).any(|w| {
        let same_class = w.iter().all(u8::is_ascii_digit) || w.iter().all(u8::is_ascii_lowercase);
        let up = w.windows(2).all(|p| p[1] == p[0].wrapping_add(1));
        let down = w.windows(2).all(|p| p[1] == p[0].wrapping_sub(1));
        same_class && (up || down)
    })
}

fn is_common(lower: &str) -> bool {
    COMMON
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l.eq_ignore_ascii_case(lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use PasswordRule::*;

    fn check(p: &str) -> Vec<PasswordRule> {
        check_password(p, None, &PasswordContext::default())
    }

    #[test]
    fn good_passwords_pass() {
        for p in [
            "Kunlun2024",
            "abc#1379",
            "river-stone",
            "7!7!7!7!",
            "Zz9_______________",
        ] {
            assert_eq!(check(p), vec![], "{p}");
        }
        assert_eq!(
            check_password(
                "Kunlun2024",
                Some("Kunlun2024"),
                &PasswordContext::default()
            ),
            vec![]
        );
    }

    #[test]
    fn length_bounds() {
        assert_eq!(check("ab1#xyz"), vec![TooShort]);
        assert_eq!(check("ab1#xyzw"), vec![]);
        assert_eq!(check("ab1#xyzwab1#xyzwab1"), vec![]);
        assert_eq!(check("ab1#xyzwab1#xyzwab1#"), vec![TooLong]);
    }

    #[test]
    fn characters_and_kinds() {
        assert_eq!(check("abcd efg1"), vec![InvalidCharacter]);
        assert_eq!(check("密码abc12345"), vec![InvalidCharacter]);
        assert_eq!(check("riverstone"), vec![TooFewKinds]);
        assert_eq!(check("97315864"), vec![TooFewKinds]);
        assert_eq!(check("!@#$%^&*"), vec![TooFewKinds]);
        assert_eq!(check(""), vec![TooShort, TooFewKinds]);
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        assert_eq!(
            check("aaaa"),
            vec![TooShort, TooFewKinds, RepeatedCharacter]
        );
        assert_eq!(check("12345678"), vec![TooFewKinds, SequentialRun]);
        assert_eq!(check("abcdefgh"), vec![TooFewKinds, SequentialRun]);
        assert_eq!(check("x87654321"), vec![SequentialRun]);
        assert_eq!(check("qweRTY123"), vec![Common]);
        assert_eq!(check("Password1"), vec![Common]);
    }

    #[test]
    fn personal_data_is_refused() {
        let ctx = PasswordContext {
            id_number: Some("11010519491231002X"),
            birth_date: Some(date!(1949 - 12 - 31)),
            phones: vec!["13800000001"],
        };
        assert_eq!(
            check_password("a11010519491231002x", None, &ctx),
            vec![ContainsIdNumber, ContainsBirthDate]
        );
        assert_eq!(
            check_password("me19491231!", None, &ctx),
            vec![ContainsBirthDate]
        );
        assert_eq!(
            check_password("me491231!x", None, &ctx),
            vec![ContainsBirthDate]
        );
        assert_eq!(
            check_password("p13800000001", None, &ctx),
            vec![ContainsPhone]
        );
        assert_eq!(
            check_password("Kunlun2024", Some("Kunlun2025"), &ctx),
            vec![Mismatch]
        );
    }
}
