//! Phrases as a fellow writes them, and finding many of them in a text at once.
//!
//! A phrase is a sequence of words matched contiguously within one sentence, never inside a longer
//! word: `effusion` does not match "effusions". A trailing `*` makes the last word a prefix
//! (`effusion*` matches both).

use rustc_hash::FxHashMap as HashMap;

use super::error::PhraseError;
use super::text::{Reading, MAX_WORD};

/// A parsed phrase: its words, lower-cased, the last one a prefix when `prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phrase {
    pub words: Vec<String>,
    pub prefix: bool,
}

impl Phrase {
    /// Parses a phrase as written; the error says what is wrong with it.
    pub fn parse(written: &str) -> Result<Phrase, PhraseError> {
        let as_written = || written.trim().to_string();
        let trimmed = written.trim();
        let (body, prefix) = match trimmed.strip_suffix('*') {
            Some(body) => (body, true),
            None => (trimmed, false),
        };
        if body.contains('*') {
            return Err(PhraseError::StarInside(as_written()));
        }
        if prefix && body.ends_with(char::is_whitespace) {
            return Err(PhraseError::SpaceBeforeStar(as_written()));
        }
        let reading = Reading::new(body, &[]);
        if reading.words.is_empty() {
            return Err(PhraseError::NoWords(as_written()));
        }
        if reading.words.last().is_some_and(|w| w.sentence > 0) {
            return Err(PhraseError::AcrossSentences(as_written()));
        }
        let words: Vec<String> = (0..reading.words.len())
            .map(|i| reading.norm(i).to_string())
            .collect();
        if let Some(long) = words.iter().find(|w| w.len() > MAX_WORD) {
            return Err(PhraseError::WordTooLong(long.chars().take(20).collect()));
        }
        Ok(Phrase { words, prefix })
    }

    /// Whether every occurrence of this phrase lies inside an occurrence of `longer` wherever
    /// `longer` occurs: its words are a run of `longer`'s ("pleural effusion" within "no pleural
    /// effusion"; "effus*" within "small effusion").
    pub fn within(&self, longer: &Phrase) -> bool {
        let last = self.words.len() - 1;
        let fits = |start: usize| {
            self.words.iter().enumerate().all(|(offset, word)| {
                let at = start + offset;
                let theirs = &longer.words[at];
                let their_prefix = longer.prefix && at == longer.words.len() - 1;
                match (self.prefix && offset == last, their_prefix) {
                    (true, _) => theirs.starts_with(word.as_str()),
                    (false, true) => false,
                    (false, false) => theirs == word,
                }
            })
        };
        self.words.len() <= longer.words.len()
            && (0..=longer.words.len() - self.words.len()).any(fits)
    }

    /// Whether the phrase's words start at word `at` of `reading` (within one sentence).
    fn matches_at(&self, reading: &Reading, at: usize) -> bool {
        let last = self.words.len() - 1;
        let Some(end) = reading.words.get(at + last) else {
            return false;
        };
        if end.sentence != reading.words[at].sentence {
            return false;
        }
        self.words.iter().enumerate().all(|(offset, word)| {
            let found = reading.norm(at + offset);
            match self.prefix && offset == last {
                true => found.starts_with(word.as_str()),
                false => found == word,
            }
        })
    }
}

/// Where a phrase was found: words `first..end` of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub phrase: usize,
    pub first: usize,
    pub end: usize,
}

/// Many phrases, found in one pass over a text's words.
///
/// Phrases are filed by their first word and then by the head (first three letters) of their second,
/// so a common first word ("no", "possible") does not make every word try hundreds of phrases; a
/// phrase that is one prefix word is filed by its head.
#[derive(Debug, Clone, Default)]
pub struct PhraseSet {
    phrases: Vec<Phrase>,
    by_first_word: HashMap<String, Group>,
    /// Phrases of one prefix word (of at least [`HEAD`] letters), by its head.
    prefixes_by_head: HashMap<String, Vec<usize>>,
    /// Phrases of one prefix word shorter than that, which any word may match.
    short_prefixes: Vec<usize>,
}

/// Phrases that begin with the same word.
#[derive(Debug, Clone, Default)]
struct Group {
    /// The phrase that is just this word, if any (possibly more than one with the same text).
    alone: Vec<usize>,
    /// Longer phrases, by the head of their second word.
    by_second_head: HashMap<String, Vec<usize>>,
    /// Longer phrases whose second word is a prefix shorter than a head.
    short_second: Vec<usize>,
}

/// Letters of a word that file it.
const HEAD: usize = 3;

fn head(word: &str) -> &str {
    match word.char_indices().nth(HEAD) {
        Some((at, _)) => &word[..at],
        None => word,
    }
}

impl PhraseSet {
    /// Adds a phrase and returns its number in the set.
    pub fn add(&mut self, phrase: Phrase) -> usize {
        let number = self.phrases.len();
        let is_short = |word: &str| word.chars().count() < HEAD;
        let (first, second) = (&phrase.words[0], phrase.words.get(1));
        let last_is_prefix = |index: usize| phrase.prefix && index == phrase.words.len() - 1;
        match second {
            None if phrase.prefix && is_short(first) => self.short_prefixes.push(number),
            None if phrase.prefix => self
                .prefixes_by_head
                .entry(head(first).to_string())
                .or_default()
                .push(number),
            None => self
                .by_first_word
                .entry(first.clone())
                .or_default()
                .alone
                .push(number),
            Some(second) => {
                let group = self.by_first_word.entry(first.clone()).or_default();
                match last_is_prefix(1) && is_short(second) {
                    true => group.short_second.push(number),
                    false => group
                        .by_second_head
                        .entry(head(second).to_string())
                        .or_default()
                        .push(number),
                }
            }
        }
        self.phrases.push(phrase);
        number
    }

    /// Calls `found` for every occurrence of every phrase.
    pub fn find(&self, reading: &Reading, mut found: impl FnMut(Occurrence)) {
        let mut check = |number: usize, at: usize| {
            let phrase = &self.phrases[number];
            if phrase.matches_at(reading, at) {
                found(Occurrence {
                    phrase: number,
                    first: at,
                    end: at + phrase.words.len(),
                });
            }
        };
        for at in 0..reading.words.len() {
            let word = reading.norm(at);
            if let Some(group) = self.by_first_word.get(word) {
                for &number in &group.alone {
                    check(number, at);
                }
                if at + 1 < reading.words.len() {
                    let next = head(reading.norm(at + 1));
                    let longer = group.by_second_head.get(next).into_iter().flatten();
                    for &number in longer.chain(&group.short_second) {
                        check(number, at);
                    }
                }
            }
            let prefixes = self.prefixes_by_head.get(head(word)).into_iter().flatten();
            for &number in prefixes.chain(&self.short_prefixes) {
                check(number, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_is_within_a_longer_one_that_holds_its_words() {
        let p = |written: &str| Phrase::parse(written).unwrap();
        assert!(p("pleural effusion").within(&p("no pleural effusion")));
        assert!(p("effus*").within(&p("small effusion")));
        assert!(p("effusion").within(&p("effusion")));
        assert!(!p("effusion").within(&p("effus*")));
        assert!(!p("pleural effusion").within(&p("no pleural")));
        assert!(!p("no pleural effusion").within(&p("pleural effusion")));
    }

    #[test]
    fn phrases_filed_together_are_all_found() {
        let mut set = PhraseSet::default();
        for phrase in [
            "no",
            "no effusion",
            "no eff*",
            "no e*",
            "no pleural effusion",
            "ef*",
            "effusion*",
            "eff*",
        ] {
            set.add(Phrase::parse(phrase).unwrap());
        }
        let reading = Reading::new("No effusions. No pleural effusion.", &[]);
        let mut found = Vec::new();
        set.find(&reading, |o| found.push((o.phrase, o.first)));
        found.sort();
        assert_eq!(
            found,
            [
                (0, 0),
                (0, 2),
                (2, 0),
                (3, 0),
                (4, 2),
                (5, 1),
                (5, 4),
                (6, 1),
                (6, 4),
                (7, 1),
                (7, 4)
            ]
        );
    }

    fn found(phrase: &str, text: &str) -> Vec<(usize, usize)> {
        let mut set = PhraseSet::default();
        set.add(Phrase::parse(phrase).unwrap());
        let reading = Reading::new(text, &[]);
        let mut spans = Vec::new();
        set.find(&reading, |o| {
            spans.push((reading.words[o.first].start, reading.words[o.end - 1].end))
        });
        spans
    }

    #[test]
    fn a_phrase_matches_whole_words_regardless_of_case_punctuation_and_line_breaks() {
        assert_eq!(
            found("pleural effusion", "Small PLEURAL\n effusion."),
            [(6, 23)]
        );
        assert_eq!(found("effusion", "effusions noted"), []);
        assert_eq!(found("effusion", "pericardial-effusion"), [(12, 20)]);
        assert_eq!(found("left sided", "left-sided"), [(0, 10)]);
    }

    #[test]
    fn a_trailing_wildcard_matches_longer_words() {
        assert_eq!(found("effusion*", "effusions noted"), [(0, 9)]);
        assert_eq!(found("pleural eff*", "pleural effusions"), [(0, 17)]);
        assert_eq!(found("pleural eff*", "pleural thickening"), []);
    }

    #[test]
    fn numbers_keep_their_decimal_point() {
        assert_eq!(found("3.5 cm", "a 3.5 cm nodule"), [(2, 8)]);
        assert_eq!(found("5 cm", "a 3.5 cm nodule"), []);
    }

    #[test]
    fn phrases_do_not_match_across_sentences() {
        assert_eq!(found("no pneumothorax", "No. Pneumothorax"), []);
        assert_eq!(found("no pneumothorax", "no\npneumothorax"), [(0, 15)]);
    }

    #[test]
    fn bad_phrases_are_refused_with_the_reason() {
        assert!(Phrase::parse("  ")
            .unwrap_err()
            .to_string()
            .contains("at least one word"));
        assert!(Phrase::parse("eff*usion")
            .unwrap_err()
            .to_string()
            .contains("can only end the phrase"));
        assert!(Phrase::parse("no. effusion")
            .unwrap_err()
            .to_string()
            .contains("within one sentence"));
        assert!(Phrase::parse("effusion *")
            .unwrap_err()
            .to_string()
            .contains("without a space"));
    }
}
