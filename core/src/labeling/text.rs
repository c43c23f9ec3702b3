//! How Sieve reads a report: words, sentences and sections.
//!
//! One reading serves everything that matches text — the search index (through [`SieveTokenizer`]),
//! the phrase rules on the server and the offline labeler — so a phrase matches the same reports
//! wherever it is applied.
//!
//! - A word is a run of letters and digits, lower-cased; everything else separates words, so case,
//!   punctuation, hyphens and line breaks do not matter ("Left-sided" reads as `left sided`). A `.`
//!   or `,` between two digits stays inside the word (`3.5`).
//! - A sentence ends at `.`, `!`, `?` or `;` followed by a space or the end, at `:` and at a blank
//!   line — but not at the full stop of a title ("Dr.") nor of an abbreviation or unit followed by
//!   a small letter or a digit ("approx. 5 mm", "2 cm. in diameter"). Phrases never match across
//!   sentences: the index leaves a gap in word positions there.
//! - A `?` is kept as a mark (an uncertainty cue: "?pneumothorax").
//! - A section starts at a line that begins with one of the project's section headers and a colon
//!   ("IMPRESSION:"); the headers are data, so they do not change the index.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Words longer than this (in bytes) are kept in place but never indexed nor matched.
pub const MAX_WORD: usize = 100;

/// No section: the text before the first header.
pub const NO_SECTION: u16 = u16::MAX;

/// One word of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// Byte range in the original text.
    pub start: usize,
    pub end: usize,
    /// Byte range of the lower-cased word in [`Reading::normalized`].
    norm_start: u32,
    norm_end: u32,
    pub sentence: u32,
    /// Index of the section header in the project's list, or [`NO_SECTION`].
    pub section: u16,
    /// A comma, dash or parenthesis follows the word before the next one: a clause may end here.
    pub pause_after: bool,
}

/// A `?` in the text, standing before the word at `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub before: usize,
    pub sentence: u32,
}

/// A text read into words, sentences and sections.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub words: Vec<Word>,
    pub marks: Vec<Mark>,
    /// The sentences that a colon ended ("Pneumothorax:"), in order: a template's field names.
    pub colon_ends: Vec<u32>,
    normalized: String,
}

impl Reading {
    /// Reads `text`, recognising the section `headers` (matched without regard to case).
    pub fn new(text: &str, headers: &[String]) -> Reading {
        let mut reader = Reader {
            text,
            headers,
            reading: Reading::default(),
            sentence: 0,
            sentence_has_words: false,
            section: NO_SECTION,
            word_start: None,
        };
        reader.read();
        reader.reading
    }

    /// The lower-cased form of word `index`.
    pub fn norm(&self, index: usize) -> &str {
        let word = &self.words[index];
        &self.normalized[word.norm_start as usize..word.norm_end as usize]
    }

    /// The position the index gives word `index`: its rank plus one gap per sentence before it.
    pub fn position(&self, index: usize) -> usize {
        index + self.words[index].sentence as usize
    }
}

struct Reader<'a> {
    text: &'a str,
    headers: &'a [String],
    reading: Reading,
    sentence: u32,
    sentence_has_words: bool,
    section: u16,
    /// Byte offset where the current word began, while inside one.
    word_start: Option<usize>,
}

impl Reader<'_> {
    fn read(&mut self) {
        let text = self.text;
        let mut chars = text.char_indices().peekable();
        let mut line_start = true;
        while let Some((at, c)) = chars.next() {
            if line_start && !c.is_whitespace() {
                self.section_header(at);
                line_start = false;
            }
            let next = chars.peek().map(|&(_, next)| next);
            if is_word_char(c) {
                if self.word_start.is_none() {
                    self.begin_word(at);
                }
                match c.is_ascii() {
                    true => self.reading.normalized.push(c.to_ascii_lowercase()),
                    false => self.reading.normalized.extend(c.to_lowercase()),
                }
                continue;
            }
            let in_number = self.word_start.is_some()
                && matches!(c, '.' | ',')
                && text[..at].ends_with(|p: char| p.is_ascii_digit())
                && next.is_some_and(|n| n.is_ascii_digit());
            if in_number {
                self.reading.normalized.push(c);
                continue;
            }
            self.end_word(at);
            let ends_clause = next.is_none_or(char::is_whitespace);
            match c {
                '?' => {
                    self.reading.marks.push(Mark {
                        before: self.reading.words.len(),
                        sentence: self.sentence,
                    });
                    if ends_clause {
                        self.end_sentence();
                    }
                }
                '.' if ends_clause && abbreviated(&text[..at], &text[at + 1..]) => {}
                '.' | '!' | ';' if ends_clause => self.end_sentence(),
                ':' => {
                    if self.sentence_has_words {
                        self.reading.colon_ends.push(self.sentence);
                    }
                    self.end_sentence();
                }
                ',' | '-' | '(' | ')' | '–' | '—' => {
                    if let Some(word) = self.reading.words.last_mut() {
                        word.pause_after = true;
                    }
                }
                '\n' => {
                    line_start = true;
                    if text[..at]
                        .trim_end_matches([' ', '\t', '\r'])
                        .ends_with('\n')
                    {
                        self.end_sentence();
                    }
                }
                _ => {}
            }
        }
        self.end_word(text.len());
    }

    fn begin_word(&mut self, at: usize) {
        self.word_start = Some(at);
        self.reading.words.push(Word {
            start: at,
            end: at,
            norm_start: self.reading.normalized.len() as u32,
            norm_end: 0,
            sentence: self.sentence,
            section: self.section,
            pause_after: false,
        });
        self.sentence_has_words = true;
    }

    fn end_word(&mut self, at: usize) {
        if self.word_start.take().is_some() {
            let end = self.reading.normalized.len() as u32;
            let word = self.reading.words.last_mut().expect("a word was begun");
            word.end = at;
            word.norm_end = end;
        }
    }

    fn end_sentence(&mut self) {
        if self.sentence_has_words {
            self.sentence += 1;
            self.sentence_has_words = false;
        }
    }

    /// Starts a new section (and sentence) when the line at `at` begins with a header and a colon.
    fn section_header(&mut self, at: usize) {
        let rest = &self.text[at..];
        for (index, header) in self.headers.iter().enumerate() {
            let Some(head) = rest.get(..header.len()) else {
                continue;
            };
            let after = rest[header.len()..].trim_start_matches([' ', '\t']);
            if head.eq_ignore_ascii_case(header) && after.starts_with(':') {
                self.end_sentence();
                self.section = index as u16;
                return;
            }
        }
    }
}

/// Titles whose full stop never ends a sentence ("Dr. Smith").
const TITLES: [&str; 5] = ["dr", "mr", "mrs", "ms", "prof"];

/// Abbreviations and units whose full stop ends a sentence only before a capital letter or a
/// digit ("2 cm. in diameter", "e.g. a small effusion"; "3 cm. 2. No effusion" is a numbered list).
const ABBREVIATIONS: [&str; 17] = [
    "e.g", "i.e", "cf", "vs", "etc", "incl", "resp", "pt", "hx", "cm", "mm", "ml", "cc", "mg",
    "kg", "min", "sec",
];

/// Abbreviations that stand before a number, whose full stop does not end a sentence before a
/// digit ("approx. 5 mm", "fig. 2", "No. 3").
const BEFORE_NUMBERS: [&str; 5] = ["approx", "appr", "fig", "no", "nos"];

/// Whether the full stop between `before` and `after` closes an abbreviation rather than a
/// sentence (see [`TITLES`], [`ABBREVIATIONS`], [`BEFORE_NUMBERS`]).
fn abbreviated(before: &str, after: &str) -> bool {
    let ends_with = |word: &str| {
        before.len() >= word.len()
            && before.is_char_boundary(before.len() - word.len())
            && before[before.len() - word.len()..].eq_ignore_ascii_case(word)
            && !before[..before.len() - word.len()]
                .chars()
                .next_back()
                .is_some_and(is_word_char)
    };
    let next = after.trim_start_matches([' ', '\t']).chars().next();
    let small = next.is_some_and(char::is_lowercase);
    let digit = next.is_some_and(|next| next.is_ascii_digit());
    TITLES.iter().any(|title| ends_with(title))
        || (small && ABBREVIATIONS.iter().any(|word| ends_with(word)))
        || (digit && BEFORE_NUMBERS.iter().any(|word| ends_with(word)))
}

fn is_word_char(c: char) -> bool {
    // Combining accents (U+0300–U+036F) belong to the letter before them.
    c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)
}

/// The search index's tokenizer: the words of a [`Reading`], with a position gap between sentences.
#[derive(Debug, Clone, Copy, Default)]
pub struct SieveTokenizer;

/// The name the tokenizer is registered under in every project index.
pub const TOKENIZER: &str = "sieve";

pub struct SieveTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for SieveTokenizer {
    type TokenStream<'a> = SieveTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SieveTokenStream {
        let reading = Reading::new(text, &[]);
        let tokens = (0..reading.words.len())
            .filter(|&index| reading.norm(index).len() <= MAX_WORD)
            .map(|index| Token {
                offset_from: reading.words[index].start,
                offset_to: reading.words[index].end,
                position: reading.position(index),
                text: reading.norm(index).to_string(),
                position_length: 1,
            })
            .collect();
        SieveTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for SieveTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let reading = Reading::new(text, &[]);
        (0..reading.words.len())
            .map(|i| reading.norm(i).to_string())
            .collect()
    }

    fn sentences(text: &str) -> Vec<u32> {
        Reading::new(text, &[])
            .words
            .iter()
            .map(|w| w.sentence)
            .collect()
    }

    #[test]
    fn case_punctuation_hyphens_and_line_breaks_separate_words() {
        assert_eq!(
            words("Left-sided PLEURAL\neffusion,  small."),
            ["left", "sided", "pleural", "effusion", "small"]
        );
    }

    #[test]
    fn decimals_stay_one_word_but_units_do_not() {
        assert_eq!(words("a 3.5 cm nodule"), ["a", "3.5", "cm", "nodule"]);
        assert_eq!(words("1,200 ml. 3. Next"), ["1,200", "ml", "3", "next"]);
        assert_eq!(sentences("1,200 ml. 3. Next"), [0, 0, 1, 2]);
    }

    #[test]
    fn unicode_letters_are_lower_cased_and_accents_kept() {
        assert_eq!(words("ÉPANCHEMENT pleural"), ["épanchement", "pleural"]);
        // "e" followed by a combining acute accent is one word.
        assert_eq!(words("e\u{301}panchement"), ["e\u{301}panchement"]);
        assert_eq!(words("Größe 2×3"), ["größe", "2", "3"]);
    }

    #[test]
    fn abbreviations_and_units_do_not_end_a_sentence_before_a_small_letter_or_a_digit() {
        // "no pneumothorax approx 5 mm": one sentence, so the cue reaches the mention.
        assert_eq!(sentences("Approx. 5 mm pneumothorax."), [0, 0, 0, 0]);
        assert_eq!(sentences("A 2 cm. nodule, i.e. a mass"), [0; 8]);
        assert_eq!(
            sentences("Small effusion 2 cm. 2. No pneumothorax."),
            [0, 0, 0, 0, 1, 2, 2]
        );
        assert_eq!(
            sentences("Dr. Smith was told. No effusion"),
            [0, 0, 0, 0, 1, 1]
        );
        // Before a capital letter a unit's full stop ends the sentence as any other.
        assert_eq!(
            sentences("It measures 3 cm. No effusion."),
            [0, 0, 0, 0, 1, 1]
        );
        // A word that only ends like an abbreviation is not one ("chm." is not "hm.").
        assert_eq!(sentences("Seen by Cohm. and so"), [0, 0, 0, 1, 1]);
    }

    #[test]
    fn sentences_end_at_stops_colons_and_blank_lines_not_at_line_breaks() {
        assert_eq!(
            sentences("No pneumothorax. Small\neffusion; stable\n\nheart: normal"),
            [0, 0, 1, 1, 2, 3, 4]
        );
        // A full stop inside a word or a number does not end a sentence.
        assert_eq!(sentences("a 2.5 mm nodule"), [0, 0, 0, 0]);
    }

    #[test]
    fn question_marks_are_kept_as_marks() {
        let reading = Reading::new("?pneumothorax. Effusion?", &[]);
        assert_eq!(
            reading.marks,
            [
                Mark {
                    before: 0,
                    sentence: 0
                },
                Mark {
                    before: 2,
                    sentence: 1
                }
            ]
        );
    }

    #[test]
    fn sections_start_at_headers_with_a_colon_at_a_line_start() {
        let headers = vec!["FINDINGS".to_string(), "IMPRESSION".to_string()];
        let reading = Reading::new(
            "History: cough\nFindings:\nno findings here\n  impression : clear",
            &headers,
        );
        let sections: Vec<u16> = reading.words.iter().map(|w| w.section).collect();
        assert_eq!(sections, [NO_SECTION, NO_SECTION, 0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn the_index_leaves_a_gap_between_sentences() {
        let mut tokenizer = SieveTokenizer;
        let mut stream = tokenizer.token_stream("No effusion. Pneumothorax");
        let mut positions = Vec::new();
        while stream.advance() {
            positions.push((stream.token().text.clone(), stream.token().position));
        }
        assert_eq!(
            positions,
            [
                ("no".to_string(), 0),
                ("effusion".to_string(), 1),
                ("pneumothorax".to_string(), 3)
            ]
        );
    }
}
