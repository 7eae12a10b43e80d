//! Input clean-up shared by every field: what a Chinese keyboard or a pasted text may carry.

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space become plain ASCII, so
/// `１１０１０５…Ｘ` typed on a Chinese keyboard reads the same as `110105…X`.
pub fn to_half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    }
}

/// Trim, fold full-width to half-width, and drop the separators people type inside numbers
/// (spaces and hyphens). Used for ID numbers, phone numbers and codes; never for passwords.
pub fn compact(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(to_half_width)
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_fold() {
        assert_eq!(
            compact("１１０１０５１９４９１２３１００２ｘ"),
            "11010519491231002x"
        );
        assert_eq!(compact(" 138 0000-0001\u{3000}"), "13800000001");
        assert_eq!(to_half_width('Ｚ'), 'Z');
        assert_eq!(to_half_width('中'), '中');
    }
}
