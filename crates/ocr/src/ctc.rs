//! Turning the recognition model's per-step class probabilities into text (greedy CTC).

/// The class list of the recognition model: index `i` is line `i` of the key file, line 0 is
/// the CTC blank and the last line a plain space.
#[derive(Debug, Clone)]
pub struct Keys(Vec<String>);

impl Keys {
    pub fn parse(text: &str) -> Result<Keys, String> {
        let mut lines: Vec<String> = text
            .split('\n')
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        if lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        if lines.len() < 2 {
            return Err("the key file lists no characters".into());
        }
        if lines.iter().skip(1).any(String::is_empty) {
            return Err("a key line is empty".into());
        }
        Ok(Keys(lines))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn get(&self, class: usize) -> Option<&str> {
        self.0.get(class).map(String::as_str)
    }
}

/// A line of text read by the recognition model.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    /// The mean probability of the characters kept, 0 when none was.
    pub confidence: f32,
}

/// Greedy CTC decoding of one line: the most likely class at each step, repeats merged, blanks
/// dropped. `probs` holds `steps × classes` probabilities, step by step.
pub fn greedy_decode(probs: &[f32], classes: usize, keys: &Keys) -> Decoded {
    let mut text = String::new();
    let mut sum = 0.0f32;
    let mut kept = 0usize;
    let mut previous = 0usize;
    for step in probs.chunks_exact(classes.max(1)) {
        let (best, p) = step
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
        if best != 0 && best != previous {
            if let Some(c) = keys.get(best) {
                text.push_str(c);
                sum += p;
                kept += 1;
            }
        }
        previous = best;
    }
    Decoded {
        text,
        confidence: if kept == 0 { 0.0 } else { sum / kept as f32 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::parse("blank\n张\n三\n1\n·\n \n").unwrap()
    }

    /// One step per class index, with the given probability on it and the rest spread evenly.
    fn steps(classes: &[usize], p: f32) -> Vec<f32> {
        let n = 6;
        classes
            .iter()
            .flat_map(|&c| (0..n).map(move |i| if i == c { p } else { (1.0 - p) / 5.0 }))
            .collect()
    }

    #[test]
    fn key_file_keeps_the_blank_at_zero_and_the_trailing_space() {
        let k = keys();
        assert_eq!(k.len(), 6);
        assert_eq!(k.get(0), Some("blank"));
        assert_eq!(k.get(5), Some(" "));
        assert!(Keys::parse("blank\n").is_err());
        assert!(Keys::parse("blank\n\n一\n").is_err());
        assert_eq!(Keys::parse("blank\r\n一\r\n").unwrap().len(), 2);
    }

    #[test]
    fn repeats_merge_and_blanks_separate() {
        let d = greedy_decode(&steps(&[1, 1, 0, 2, 2, 0, 0, 3], 0.9), 6, &keys());
        assert_eq!(d.text, "张三1");
        assert!((d.confidence - 0.9).abs() < 1e-6);
        // A blank between two equal classes keeps both: "11".
        let d = greedy_decode(&steps(&[3, 0, 3], 0.8), 6, &keys());
        assert_eq!(d.text, "11");
    }

    #[test]
    fn middle_dot_and_space_come_through() {
        let d = greedy_decode(&steps(&[1, 4, 2, 5, 3], 0.7), 6, &keys());
        assert_eq!(d.text, "张·三 1");
    }

    #[test]
    fn nothing_read_has_no_confidence() {
        let d = greedy_decode(&steps(&[0, 0, 0], 0.99), 6, &keys());
        assert_eq!(d.text, "");
        assert_eq!(d.confidence, 0.0);
        assert_eq!(greedy_decode(&[], 6, &keys()).text, "");
    }

    #[test]
    fn an_index_beyond_the_key_list_is_skipped() {
        // Seven classes from the model against six keys: class 6 has no character.
        let probs = [
            0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ];
        assert_eq!(greedy_decode(&probs, 7, &keys()).text, "张");
    }
}
