//! What the front of a resident identity card says, from its text read row by row: the number
//! (taken only when its GB 11643 check digit holds), the name after 姓名, sex and birth date,
//! and whether those two agree with what the number encodes.

use reset_flow::resident_id::{self, Sex};
use reset_flow::text::to_half_width;
use reset_flow::CustomerName;
use time::{Date, Month};

/// One row of the card, its pieces left to right as they were read.
pub type Row = Vec<String>;

/// The fields read from a card. Personal data: never log it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdCardReading {
    /// The 18 characters read where the number should be, when any looked like one; the best
    /// candidate, which may still fail its check digit.
    pub number: Option<String>,
    /// Whether the check digit of `number` holds.
    pub check_digit_holds: bool,
    /// The name after 姓名, normalised as the 姓名 field keeps it.
    pub name: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<Date>,
}

impl IdCardReading {
    /// The number to fill 证件号码 with: only one whose check digit holds.
    pub fn accepted_number(&self) -> Option<&str> {
        self.number.as_deref().filter(|_| self.check_digit_holds)
    }

    /// Whether the printed birth date agrees with the number; `None` when either is missing.
    pub fn birth_date_matches(&self, today: Date) -> Option<bool> {
        let id = resident_id::parse(self.accepted_number()?, today).ok()?;
        Some(id.birth_date == self.birth_date?)
    }

    /// Whether the printed sex agrees with the number; `None` when either is missing.
    pub fn sex_matches(&self, today: Date) -> Option<bool> {
        let id = resident_id::parse(self.accepted_number()?, today).ok()?;
        Some(id.sex == self.sex?)
    }

    /// Everything the app and the reviewer need was read, and it agrees with itself.
    pub fn complete_and_consistent(&self, today: Date) -> bool {
        self.accepted_number().is_some()
            && self.name.is_some()
            && self.birth_date_matches(today) == Some(true)
            && self.sex_matches(today) == Some(true)
    }

    /// This reading, with the fields it lacks taken from `other` (a second look). A number
    /// whose check digit holds beats one whose check digit fails.
    pub fn or_from(self, other: IdCardReading) -> IdCardReading {
        let (number, check_digit_holds) = if self.check_digit_holds || other.number.is_none() {
            (self.number.or(other.number), self.check_digit_holds)
        } else if other.check_digit_holds || self.number.is_none() {
            (other.number, other.check_digit_holds)
        } else {
            (self.number, false)
        };
        IdCardReading {
            number,
            check_digit_holds,
            name: self.name.or(other.name),
            sex: self.sex.or(other.sex),
            birth_date: self.birth_date.or(other.birth_date),
        }
    }

    /// Whether a number whose check digit holds was read.
    pub(crate) fn has_number(&self) -> bool {
        self.check_digit_holds
    }

    pub(crate) fn has_top_fields(&self) -> bool {
        self.name.is_some() && self.sex.is_some() && self.birth_date.is_some()
    }
}

/// `FILE \t NUMBER \t yes|no \t NAME`: the line `reset-ocr idcard` and `capture idcard` print per
/// file (empty fields when nothing was read). It holds personal data: for the tester's screen,
/// never for a log.
pub fn report_line(file: &str, r: &IdCardReading) -> String {
    format!(
        "{file}\t{}\t{}\t{}",
        r.number.as_deref().unwrap_or(""),
        if r.check_digit_holds { "yes" } else { "no" },
        r.name.as_deref().unwrap_or("")
    )
}

/// Reads the fields from rows of text, in any order of rows.
pub fn read_rows(rows: &[Row]) -> IdCardReading {
    let joined: Vec<String> = rows.iter().map(|r| tidy(&r.concat())).collect();
    let with_overlaps_removed = rows.iter().filter_map(without_overlaps);
    let number_rows: Vec<String> = joined
        .iter()
        .cloned()
        .chain(with_overlaps_removed)
        .collect();
    let (number, check_digit_holds) = find_number(&number_rows);
    IdCardReading {
        number,
        check_digit_holds,
        name: find_name(rows),
        sex: find_sex(&joined, rows),
        birth_date: find_birth_date(&joined),
    }
}

/// Half-width, no spaces: OCR and cards space characters freely.
fn tidy(s: &str) -> String {
    s.chars()
        .map(to_half_width)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A row's pieces joined with the character dropped where a piece starts with the one the
/// piece before ended with: neighbouring boxes are cut a little wide, so a number split in two
/// boxes can read its middle digit twice. `None` when no two pieces meet that way.
fn without_overlaps(row: &Row) -> Option<String> {
    let pieces: Vec<String> = row
        .iter()
        .map(|p| tidy(p))
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = pieces.first()?.clone();
    let mut changed = false;
    for p in &pieces[1..] {
        if out.chars().last() == p.chars().next() {
            let mut chars = p.chars();
            chars.next();
            out.push_str(chars.as_str());
            changed = true;
        } else {
            out.push_str(p);
        }
    }
    changed.then_some(out)
}

/// Characters OCR puts in place of a digit or X inside an ID number.
fn as_id_char(c: char) -> Option<char> {
    match c {
        '0'..='9' | 'X' => Some(c),
        'x' | '×' | 'Ⅹ' => Some('X'),
        'O' | 'o' | 'D' | 'Q' => Some('0'),
        'I' | 'l' | '|' => Some('1'),
        _ => None,
    }
}

/// The best 18-character candidate: one whose check digit holds wins, else the first that has
/// the shape (17 digits and a digit or X).
fn find_number(rows: &[String]) -> (Option<String>, bool) {
    let mut shaped = None;
    for row in rows {
        // Runs of characters that can be part of a number, mapped to digits and X.
        let mut runs: Vec<Vec<char>> = vec![Vec::new()];
        for c in row.chars() {
            match as_id_char(c) {
                Some(d) => runs.last_mut().expect("never empty").push(d),
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|r| r.len() >= 18) {
            for window in run.windows(18) {
                let candidate: String = window.iter().collect();
                let shape_ok = window[..17].iter().all(char::is_ascii_digit);
                if !shape_ok {
                    continue;
                }
                if resident_id::check_digit_holds(&candidate) {
                    return (Some(candidate), true);
                }
                shaped.get_or_insert(candidate);
            }
        }
    }
    (shaped, false)
}

/// The name after 姓名. Blur splits the spaced label 姓 名 and misreads its first half, so
/// without a 姓名 anywhere a row that opens with one character and 名 will do.
fn find_name(rows: &[Row]) -> Option<String> {
    let joined: Vec<String> = rows.iter().map(|r| tidy(&r.concat())).collect();
    let labelled = joined
        .iter()
        .filter_map(|row| row.find("姓名").map(|at| &row[at + "姓名".len()..]));
    let loosely = joined.iter().filter_map(|row| {
        let at = row.char_indices().take(2).find(|(_, c)| *c == '名')?.0;
        Some(&row[at + '名'.len_utf8()..])
    });
    let has_label = joined.iter().any(|r| r.contains("姓名"));
    let candidates: Vec<&str> = if has_label {
        labelled.collect()
    } else {
        loosely.collect()
    };
    candidates.into_iter().find_map(name_from)
}

/// Only what a name is made of, up to the first thing that is not (the photo, noise).
fn name_from(after_label: &str) -> Option<String> {
    let name: String = after_label
        .chars()
        .skip_while(|c| !reset_flow::is_han(*c))
        .take_while(|c| reset_flow::is_han(*c) || is_dot(*c))
        .collect();
    let name = name.trim_end_matches(is_dot);
    CustomerName::parse(name)
        .ok()
        .map(|n| n.as_str().to_string())
}

/// The middle dot and what OCR reads it as; `CustomerName` folds them into U+00B7.
fn is_dot(c: char) -> bool {
    matches!(c, '·' | '•' | '・' | '‧' | '∙' | '⋅' | 'ㆍ' | '.')
}

/// The sex after 性别, else a piece that is 男 or 女 alone (the label misread in blur).
fn find_sex(rows: &[String], pieces: &[Row]) -> Option<Sex> {
    let as_sex = |c: char| match c {
        '男' => Some(Sex::Male),
        '女' => Some(Sex::Female),
        _ => None,
    };
    let labelled = rows.iter().find_map(|row| {
        let at = row.find("性别")?;
        as_sex(row[at + "性别".len()..].chars().next()?)
    });
    labelled.or_else(|| {
        pieces.iter().flatten().find_map(|p| {
            let p = tidy(p);
            let mut chars = p.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => as_sex(c),
                _ => None,
            }
        })
    })
}

/// The date after 出生, else any date written 年…月…日 on the card.
fn find_birth_date(rows: &[String]) -> Option<Date> {
    let labelled = rows
        .iter()
        .filter_map(|r| r.find("出生").map(|at| &r[at + "出生".len()..]));
    labelled
        .chain(rows.iter().map(String::as_str))
        .find_map(parse_chinese_date)
}

/// `1949年12月31日`. A stray digit glued before the year (a neighbouring box cut a little wide)
/// is passed over: the year is the last four digits before 年 that make a plausible year.
fn parse_chinese_date(s: &str) -> Option<Date> {
    let year_at = s.find('年')?;
    let digits: Vec<char> = s[..year_at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let year = digits
        .windows(4)
        .rev()
        .filter_map(|w| w.iter().collect::<String>().parse::<i32>().ok())
        .find(|y| (1900..=2100).contains(y))?;
    let rest = &s[year_at + '年'.len_utf8()..];
    let (month, rest) = rest.split_once('月')?;
    let day: String = rest.split_once('日')?.0.to_string();
    let month: u8 = month.parse().ok()?;
    let day: u8 = day.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn rows(lines: &[&[&str]]) -> Vec<Row> {
        lines
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    fn zhang_san() -> Vec<Row> {
        rows(&[
            &["姓名", "张三"],
            &["性别", "女", "民族", "汉"],
            &["出生", "1949", "年", "12", "月", "31", "日"],
            &["住址", "北京市朝阳区建国路88号"],
            &["公民身份号码", "11010519491231002X"],
        ])
    }

    #[test]
    fn a_clean_card_reads_whole_and_agrees_with_itself() {
        let r = read_rows(&zhang_san());
        assert_eq!(r.number.as_deref(), Some("11010519491231002X"));
        assert!(r.check_digit_holds);
        assert_eq!(r.accepted_number(), Some("11010519491231002X"));
        assert_eq!(r.name.as_deref(), Some("张三"));
        assert_eq!(r.sex, Some(Sex::Female));
        assert_eq!(r.birth_date, Some(date!(1949 - 12 - 31)));
        assert_eq!(r.birth_date_matches(TODAY), Some(true));
        assert_eq!(r.sex_matches(TODAY), Some(true));
        assert!(r.complete_and_consistent(TODAY));
    }

    #[test]
    fn a_number_whose_check_digit_fails_is_reported_but_not_accepted() {
        let r = read_rows(&rows(&[&["公民身份号码 110105194912310021"]]));
        assert_eq!(r.number.as_deref(), Some("110105194912310021"));
        assert!(!r.check_digit_holds);
        assert_eq!(r.accepted_number(), None);
        assert_eq!(r.birth_date_matches(TODAY), None);
    }

    #[test]
    fn the_valid_window_wins_inside_a_longer_run_and_misreads_are_mapped() {
        // Label digits glued on, lower-case x, O for 0, full-width digits and spaces.
        let r = read_rows(&rows(&[&["公民身份号码7440304 1990O307123x"]]));
        assert_eq!(r.accepted_number(), Some("44030419900307123X"));
        let r = read_rows(&rows(&[&["６５０１０２ 1985 1120 4562"]]));
        assert_eq!(r.accepted_number(), Some("650102198511204562"));
    }

    #[test]
    fn a_number_split_over_two_boxes_that_both_read_the_seam_digit_is_mended() {
        let r = read_rows(&rows(&[&["公民身份号码", "1101052005051", "114177"]]));
        assert_eq!(r.accepted_number(), Some("110105200505114177"));
        // Split cleanly, the plain join is right.
        let r = read_rows(&rows(&[&["110105200505", "114177"]]));
        assert_eq!(r.accepted_number(), Some("110105200505114177"));
    }

    #[test]
    fn no_number_shape_means_no_number() {
        let r = read_rows(&rows(&[
            &["住址", "北京市朝阳区建国路88号"],
            &["1234567890"],
        ]));
        assert_eq!(r.number, None);
        assert!(!r.check_digit_holds);
    }

    #[test]
    fn names_with_a_middle_dot_keep_it_whatever_dot_was_read() {
        for read in [
            "阿卜杜拉·买买提",
            "阿卜杜拉•买买提",
            "阿卜杜拉・买买提",
            "阿卜杜拉.买买提",
        ] {
            let r = read_rows(&rows(&[&["姓名", read]]));
            assert_eq!(r.name.as_deref(), Some("阿卜杜拉·买买提"), "{read}");
        }
        let r = read_rows(&rows(&[&["姓名努尔·艾力"]]));
        assert_eq!(r.name.as_deref(), Some("努尔·艾力"));
    }

    #[test]
    fn the_name_stops_at_what_is_not_a_name() {
        let r = read_rows(&rows(&[&["姓名：", "李四", "|||"]]));
        assert_eq!(r.name.as_deref(), Some("李四"));
        let r = read_rows(&rows(&[&["姓名"]]));
        assert_eq!(r.name, None);
        // One character is not a name.
        let r = read_rows(&rows(&[&["姓名", "李"]]));
        assert_eq!(r.name, None);
    }

    #[test]
    fn sex_and_birth_date_that_disagree_with_the_number_are_flagged() {
        let mut card = zhang_san();
        card[1] = vec!["性别男".into(), "民族汉".into()];
        card[2] = vec!["出生1950年1月1日".into()];
        let r = read_rows(&card);
        assert_eq!(r.sex, Some(Sex::Male));
        assert_eq!(r.birth_date, Some(date!(1950 - 01 - 01)));
        assert_eq!(r.sex_matches(TODAY), Some(false));
        assert_eq!(r.birth_date_matches(TODAY), Some(false));
        assert!(!r.complete_and_consistent(TODAY));
    }

    #[test]
    fn a_second_look_fills_only_what_the_first_missed() {
        let first = read_rows(&rows(&[
            &["姓名", "张三"],
            &["公民身份号码 110105194912310021"],
        ]));
        let second = read_rows(&rows(&[
            &["姓名", "张王"],
            &["11010519491231002X"],
            &["性别女"],
        ]));
        let both = first.clone().or_from(second.clone());
        assert_eq!(both.name.as_deref(), Some("张三"));
        assert_eq!(both.accepted_number(), Some("11010519491231002X"));
        assert_eq!(both.sex, Some(Sex::Female));
        // Neither number holds: the first look's stays.
        let bad = read_rows(&rows(&[&["110105194912310022"]]));
        let kept = first.clone().or_from(bad);
        assert_eq!(kept.number.as_deref(), Some("110105194912310021"));
        assert!(!kept.check_digit_holds);
        assert_eq!(IdCardReading::default().or_from(first.clone()), first);
    }

    #[test]
    fn a_label_split_and_misread_in_blur_still_leads_to_the_fields() {
        let r = read_rows(&rows(&[
            &["性", "名", "徐娟英"],
            &["拉部", "女", "快馆", "汉"],
        ]));
        assert_eq!(r.name.as_deref(), Some("徐娟英"));
        assert_eq!(r.sex, Some(Sex::Female));
        // With 姓名 read somewhere, a 名 elsewhere is not taken for the label.
        let r = read_rows(&rows(&[&["名", "王五"], &["姓名", "李四"]]));
        assert_eq!(r.name.as_deref(), Some("李四"));
        // A name that merely contains 名 is not cut at it.
        let r = read_rows(&rows(&[&["姓名", "李名扬"]]));
        assert_eq!(r.name.as_deref(), Some("李名扬"));
    }

    #[test]
    fn dates_that_do_not_exist_are_not_read() {
        assert_eq!(parse_chinese_date("1990年2月30日"), None);
        assert_eq!(parse_chinese_date("90年2月3日"), None);
        assert_eq!(
            parse_chinese_date("出生19683年1月8日"),
            Some(date!(1968 - 01 - 08))
        );
        assert_eq!(
            parse_chinese_date("出生2000年2月29日"),
            Some(date!(2000 - 02 - 29))
        );
    }
}
