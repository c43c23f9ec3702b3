//! Highlighting a search's phrases in a report's text, found by the phrase rules' own matcher (so
//! what is marked is exactly what matched), and cutting a snippet around the first of them.

use serde::Serialize;

use crate::labeling::phrase::{Phrase, PhraseSet};
use crate::labeling::text::Reading;

/// A piece of report text, highlighted where it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fragment {
    pub text: String,
    pub highlighted: bool,
}

/// Highlights the phrases a search asked for (see `ProjectIndex::highlighter`).
pub struct Highlighter {
    /// `None` when the search has no words (a filter-only search).
    phrases: Option<PhraseSet>,
    max_chars: Option<usize>,
}

/// Bytes of text shown before the first highlighted word when a snippet cannot start at the top.
const LEAD: usize = 60;

impl Highlighter {
    /// Highlights `phrases`; `max_chars` bounds a snippet's length in bytes (`None`: the whole text).
    pub fn new(phrases: impl IntoIterator<Item = Phrase>, max_chars: Option<usize>) -> Highlighter {
        let mut set = None::<PhraseSet>;
        for phrase in phrases {
            set.get_or_insert_with(PhraseSet::default).add(phrase);
        }
        Highlighter {
            phrases: set,
            max_chars,
        }
    }

    /// Cuts a text into fragments, the phrases' occurrences highlighted; with `max_chars`, a snippet
    /// of about that length that shows the first occurrence (marked `…` where it was cut).
    pub fn fragments(&self, text: &str) -> Vec<Fragment> {
        let ranges = self.occurrences(text);
        let Some(max) = self.max_chars else {
            return fragments(text, 0..text.len(), &ranges);
        };
        let start = match ranges.first() {
            Some(first) if first.end > max => word_start(
                text,
                floor_char_boundary(text, first.start.saturating_sub(LEAD)),
            ),
            _ => 0,
        };
        let end = floor_char_boundary(text, start + max);
        let mut out = fragments(text, start..end, &ranges);
        if start > 0 {
            out.insert(0, plain("…"));
        }
        if end < text.len() {
            out.push(plain("…"));
        }
        out
    }

    /// Byte ranges of the phrases' occurrences, in order, overlaps merged.
    fn occurrences(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let Some(phrases) = &self.phrases else {
            return Vec::new();
        };
        let reading = Reading::new(text, &[]);
        let mut ranges = Vec::new();
        phrases.find(&reading, |found| {
            ranges.push(reading.words[found.first].start..reading.words[found.end - 1].end);
        });
        ranges.sort_by_key(|range| range.start);
        let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        merged
    }
}

fn plain(text: &str) -> Fragment {
    Fragment {
        text: text.to_string(),
        highlighted: false,
    }
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The start of the word at or after `at` (a snippet does not begin in the middle of a word).
fn word_start(text: &str, at: usize) -> usize {
    match text[at..].find(char::is_whitespace) {
        Some(space) => at + space + 1,
        None => at,
    }
}

/// The fragments of `text[within]`, `highlighted` ranges (sorted, disjoint) marked.
fn fragments(
    text: &str,
    within: std::ops::Range<usize>,
    highlighted: &[std::ops::Range<usize>],
) -> Vec<Fragment> {
    let mut out = Vec::new();
    let mut position = within.start;
    for range in highlighted {
        let (start, end) = (range.start.max(position), range.end.min(within.end));
        if start >= end {
            continue;
        }
        if start > position {
            out.push(plain(&text[position..start]));
        }
        out.push(Fragment {
            text: text[start..end].to_string(),
            highlighted: true,
        });
        position = end;
    }
    if position < within.end {
        out.push(plain(&text[position..within.end]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::SearchText;

    fn marked(search: &str, text: &str, max: Option<usize>) -> String {
        let search = SearchText::parse(search).unwrap();
        Highlighter::new(search.wanted().cloned(), max)
            .fragments(text)
            .into_iter()
            .map(|f| match f.highlighted {
                true => format!("[{}]", f.text),
                false => f.text,
            })
            .collect()
    }

    #[test]
    fn marks_what_the_phrases_match() {
        assert_eq!(
            marked(
                "pneumo* \"no effusion\"",
                "Pneumothorax. No effusion; pneumonia.",
                None
            ),
            "[Pneumothorax]. [No effusion]; [pneumonia]."
        );
        assert_eq!(marked("effusion", "Effusions.", None), "Effusions.");
        assert_eq!(marked("", "Clear lungs.", Some(5)), "Clear…");
    }

    #[test]
    fn a_snippet_shows_the_first_occurrence() {
        let text = format!(
            "{} small effusion at the base.",
            "Lungs are clear. ".repeat(20)
        );
        let snippet = marked("effusion", &text, Some(100));
        assert!(snippet.starts_with('…'), "{snippet}");
        assert!(snippet.contains("[effusion]"), "{snippet}");
        assert!(snippet.len() <= 110, "{snippet}");
    }
}
