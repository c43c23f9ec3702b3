//! What a person types into the search box, read the way phrase rules read a phrase.
//!
//! Whatever is typed is searched; only these few signs mean something:
//!
//! - words are all required, in any order: `pleural effusion` finds reports with both words;
//! - `"quoted words"` must occur in a row, within one sentence, as a rule's phrase;
//! - a `*` ending a word stands for any ending, as in a rule: `effus*`, `"pleural eff*"`;
//! - `-` before a word or a quote excludes the reports that have it: `effusion -pleural`;
//! - `OR` (in capitals) between two of the above accepts either: `pneumothorax OR effusion`.
//!
//! Everything else is text: a colon, a slash or a URL pasted from a report is read into words by the
//! same [`Reading`](crate::labeling::text::Reading) that the index and the rules use (`impression:`
//! is the word "impression"; `https://a.org/x` the words "https a org x" in a row). Punctuation alone
//! is not searched. The only impossible searches are a `*` inside a word and nothing but punctuation,
//! and their errors say what to change.

use crate::labeling::phrase::Phrase;
use crate::labeling::text::{Reading, MAX_WORD};

/// A search as typed: every clause must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchText {
    pub clauses: Vec<Clause>,
}

/// Reports having any of `alternatives` (or, when `excluded`, having none of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub excluded: bool,
    pub alternatives: Vec<Alternative>,
}

/// One typed word or quotation: phrases that must all occur. Usually one; a quotation or a pasted
/// token that spans sentences ("impression: clear") gives one phrase per sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    pub phrases: Vec<Phrase>,
}

/// Why a search cannot be run, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchTextError {
    #[error("Nothing to search for in “{0}”: type at least one word (punctuation alone is not searched).")]
    NoWords(String),
    #[error(
        "“{0}”: a * can only end a word, as in effusion*. Remove the * or move it to the end."
    )]
    WildcardInside(String),
    #[error("“{0}…” is longer than any word in a report ({MAX_WORD} letters at most).")]
    WordTooLong(String),
}

impl From<SearchTextError> for crate::Error {
    fn from(error: SearchTextError) -> crate::Error {
        crate::Error::Invalid(error.to_string())
    }
}

/// A piece of the typed text, before it is read into phrases.
#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Text {
        /// Without the quotes and the final `*`.
        text: &'a str,
        prefix: bool,
        excluded: bool,
    },
    Or,
}

impl SearchText {
    /// Reads a search as typed; `Ok` with no clauses when nothing was typed.
    pub fn parse(typed: &str) -> Result<SearchText, SearchTextError> {
        let mut clauses: Vec<Clause> = Vec::new();
        let mut join_next = false;
        for token in tokens(typed) {
            let (text, prefix, excluded) = match token {
                Token::Or if !clauses.is_empty() => {
                    join_next = true;
                    continue;
                }
                // Nothing before it to join: the word "or".
                Token::Or => ("OR", false, false),
                Token::Text {
                    text,
                    prefix,
                    excluded,
                } => (text, prefix, excluded),
            };
            let Some(alternative) = Alternative::read(text, prefix)? else {
                continue;
            };
            match clauses.last_mut() {
                Some(clause) if join_next => clause.alternatives.push(alternative),
                _ => clauses.push(Clause {
                    excluded,
                    alternatives: vec![alternative],
                }),
            }
            join_next = false;
        }
        if clauses.is_empty() && !typed.trim().is_empty() {
            return Err(SearchTextError::NoWords(typed.trim().to_string()));
        }
        Ok(SearchText { clauses })
    }

    /// The phrases a matching report has (those of clauses not excluded), for highlighting.
    pub fn wanted(&self) -> impl Iterator<Item = &Phrase> {
        self.clauses
            .iter()
            .filter(|clause| !clause.excluded)
            .flat_map(|clause| &clause.alternatives)
            .flat_map(|alternative| &alternative.phrases)
    }
}

impl Alternative {
    /// Reads one typed word or quotation (its last word a prefix when `prefix`) into its phrases,
    /// one per sentence; `None` when it has no word (a lone `-`, `*` or punctuation).
    fn read(text: &str, prefix: bool) -> Result<Option<Alternative>, SearchTextError> {
        let reading = Reading::new(text, &[]);
        if text.contains('*') && !reading.words.is_empty() {
            return Err(SearchTextError::WildcardInside(text.trim().to_string()));
        }
        if let Some(long) = (0..reading.words.len())
            .map(|i| reading.norm(i))
            .find(|word| word.len() > MAX_WORD)
        {
            let shown: String = long.chars().take(20).collect();
            return Err(SearchTextError::WordTooLong(shown));
        }
        let mut phrases = Vec::new();
        let mut first = 0;
        while first < reading.words.len() {
            let sentence = reading.words[first].sentence;
            let end = (first..reading.words.len())
                .find(|&i| reading.words[i].sentence != sentence)
                .unwrap_or(reading.words.len());
            phrases.push(Phrase {
                words: (first..end).map(|i| reading.norm(i).to_string()).collect(),
                prefix: prefix && end == reading.words.len(),
            });
            first = end;
        }
        Ok((!phrases.is_empty()).then_some(Alternative { phrases }))
    }
}

/// Cuts the typed text into words, quotations (an unclosed quote runs to the end) and `OR`s.
fn tokens(typed: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = typed;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return out;
        }
        let excluded = match rest.strip_prefix('-') {
            Some(after) if after.starts_with(|c: char| !c.is_whitespace()) => {
                rest = after;
                true
            }
            _ => false,
        };
        let (text, after) = match rest.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            },
            None => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        // A `*` ends the last word, inside the quotes or right after them.
        let (text, prefix, after) =
            match (text.trim_end().strip_suffix('*'), after.strip_prefix('*')) {
                (Some(body), _) => (body, true, after),
                (None, Some(after)) => (text, true, after),
                (None, None) => (text, false, after),
            };
        match text {
            "OR" if !excluded && !prefix => out.push(Token::Or),
            _ => out.push(Token::Text {
                text,
                prefix,
                excluded,
            }),
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(typed: &str) -> Vec<Vec<String>> {
        SearchText::parse(typed)
            .unwrap()
            .clauses
            .iter()
            .flat_map(|c| &c.alternatives)
            .flat_map(|a| &a.phrases)
            .map(|p| {
                let mut words = p.words.clone();
                if p.prefix {
                    words.last_mut().unwrap().push('*');
                }
                words
            })
            .collect()
    }

    #[test]
    fn words_quotes_and_wildcards_read_as_phrases() {
        assert_eq!(phrases("Pneumo*"), vec![vec!["pneumo*"]]);
        assert_eq!(
            phrases("pleural effusion"),
            vec![vec!["pleural"], vec!["effusion"]]
        );
        assert_eq!(
            phrases("\"No Pneumothorax\""),
            vec![vec!["no", "pneumothorax"]]
        );
        assert_eq!(phrases("\"pleural eff*\""), vec![vec!["pleural", "eff*"]]);
        assert_eq!(phrases("\"pleural eff\"*"), vec![vec!["pleural", "eff*"]]);
        assert_eq!(
            phrases("\"no pneumothorax"),
            vec![vec!["no", "pneumothorax"]]
        );
    }

    #[test]
    fn pasted_text_is_words() {
        assert_eq!(phrases("impression:"), vec![vec!["impression"]]);
        assert_eq!(phrases("lobe: clear"), vec![vec!["lobe"], vec!["clear"]]);
        assert_eq!(
            phrases("https://pacs.example.org/view"),
            vec![vec!["https"], vec!["pacs", "example", "org", "view"]]
        );
        assert_eq!(phrases("- effusion"), vec![vec!["effusion"]]);
    }

    #[test]
    fn minus_excludes_and_or_joins() {
        let search = SearchText::parse("effusion -pleural -\"no change\" a OR b").unwrap();
        let excluded: Vec<bool> = search.clauses.iter().map(|c| c.excluded).collect();
        assert_eq!(excluded, [false, true, true, false]);
        assert_eq!(search.clauses[3].alternatives.len(), 2);
        assert_eq!(search.wanted().count(), 3);
        // A leading OR is just a word.
        assert_eq!(phrases("OR"), vec![vec!["or"]]);
    }

    #[test]
    fn impossible_searches_say_what_to_change() {
        assert!(matches!(
            SearchText::parse("-"),
            Err(SearchTextError::NoWords(_))
        ));
        assert!(matches!(
            SearchText::parse("* ..."),
            Err(SearchTextError::NoWords(_))
        ));
        assert!(matches!(
            SearchText::parse("pneu*mo"),
            Err(SearchTextError::WildcardInside(_))
        ));
        assert_eq!(SearchText::parse("   ").unwrap(), SearchText::default());
    }
}
