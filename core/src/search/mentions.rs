//! Where a phrase occurs in each report, read from the index's postings: the positions of its
//! mentions, for the rules that need each mention's status or section (kept per word position
//! by [`crate::labeling::statuses`]).

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, InvertedIndexReader, SegmentReader, TERMINATED};

use super::{index_error, ProjectIndex};
use crate::labeling::phrase::Phrase;
use crate::Result;

impl ProjectIndex {
    /// Calls `each(report id, positions)` for every report where `phrase` occurs, with the index
    /// position of each mention's first word, in order (a mention's words are at consecutive
    /// positions, within one sentence). The reports are those [`ProjectIndex::phrase_matches`]
    /// gives; the positions, every occurrence in each. The postings are read once: the reports
    /// having every word are found by leapfrogging over the words' postings, then the positions
    /// line up the words.
    pub fn phrase_mentions(
        &self,
        phrase: &Phrase,
        mut each: impl FnMut(u32, &[u32]),
    ) -> Result<()> {
        let searcher = self.reader.searcher();
        let (mut starts, mut next, mut buffer) = (Vec::new(), Vec::new(), Vec::new());
        for segment in searcher.segment_readers() {
            let inverted = segment
                .inverted_index(self.fields.text)
                .map_err(index_error)?;
            let Some(mut words) = word_postings(&inverted, phrase)? else {
                continue;
            };
            let ids = segment
                .fast_fields()
                .u64("report_id")
                .map_err(index_error)?;
            let mut order: Vec<usize> = (0..words.len()).collect();
            order.sort_by_key(|&w| words[w].iter().map(|p| p.doc_freq()).sum::<u32>());
            let mut doc = 0;
            while let Some(found) = next_with_every_word(&mut words, &order, doc) {
                doc = found + 1;
                if !is_alive(segment, found) {
                    continue;
                }
                positions_in(&mut words[0], found, 0, &mut starts, &mut buffer);
                for (offset, word) in words.iter_mut().enumerate().skip(1) {
                    positions_in(word, found, offset as u32, &mut next, &mut buffer);
                    starts.retain(|start| next.binary_search(start).is_ok());
                    if starts.is_empty() {
                        break;
                    }
                }
                if let (Some(id), false) = (ids.first(found), starts.is_empty()) {
                    each(id as u32, &starts);
                }
            }
        }
        Ok(())
    }
}

/// The first document from `from` on that has every word (any of a word's postings); `None`
/// past the last. `order`: the words, rarest first.
fn next_with_every_word(
    words: &mut [Vec<SegmentPostings>],
    order: &[usize],
    mut from: u32,
) -> Option<u32> {
    'candidate: loop {
        for &index in order {
            let word = &mut words[index];
            let at = word
                .iter_mut()
                .map(|list| match list.doc() < from {
                    true => list.seek(from),
                    false => list.doc(),
                })
                .min()
                .unwrap_or(TERMINATED);
            if at == TERMINATED {
                return None;
            }
            if at > from {
                from = at;
                continue 'candidate;
            }
        }
        return Some(from);
    }
}

fn is_alive(segment: &SegmentReader, doc: u32) -> bool {
    segment
        .alive_bitset()
        .is_none_or(|alive| alive.is_alive(doc))
}

/// The postings of each word of `phrase` in one segment (the last word's expansions when it is a
/// prefix); `None` when a word does not occur in the segment.
fn word_postings(
    inverted: &InvertedIndexReader,
    phrase: &Phrase,
) -> Result<Option<Vec<Vec<SegmentPostings>>>> {
    let read = |info| {
        inverted
            .read_postings_from_terminfo(&info, IndexRecordOption::WithFreqsAndPositions)
            .map_err(crate::Error::from)
    };
    let mut words = Vec::with_capacity(phrase.words.len());
    for (index, word) in phrase.words.iter().enumerate() {
        let mut postings = Vec::new();
        if phrase.prefix && index + 1 == phrase.words.len() {
            let start = word.as_bytes();
            let mut range = inverted.terms().range().ge(start);
            if let Some(end) = prefix_end(start) {
                range = range.lt(end);
            }
            let mut stream = range.into_stream()?;
            while stream.advance() {
                postings.push(read(stream.value().clone())?);
            }
        } else if let Some(info) = inverted.terms().get(word.as_bytes())? {
            postings.push(read(info)?);
        }
        if postings.is_empty() {
            return Ok(None);
        }
        words.push(postings);
    }
    Ok(Some(words))
}

/// The first key after every key that starts with `start` (none when `start` is all 0xFF).
fn prefix_end(start: &[u8]) -> Option<Vec<u8>> {
    let mut end = start.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The positions in `doc` of any of `postings`, less `offset`, sorted, into `out`.
fn positions_in(
    postings: &mut [SegmentPostings],
    doc: u32,
    offset: u32,
    out: &mut Vec<u32>,
    buffer: &mut Vec<u32>,
) {
    out.clear();
    for list in postings.iter_mut() {
        if list.doc() < doc {
            list.seek(doc);
        }
        if list.doc() == doc {
            list.positions(buffer);
            out.extend(buffer.iter().filter_map(|p| p.checked_sub(offset)));
        }
    }
    if postings.len() > 1 {
        out.sort_unstable();
    }
}
