//! Where a phrase occurs in each report, read from the index's postings: the positions of its
//! mentions, for the rules that need each mention's status or section (kept per word position
//! by [`crate::labeling::statuses`]).

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, InvertedIndexReader, SegmentReader, TERMINATED};

use super::{index_error, ProjectIndex};
use crate::labeling::phrase::Phrase;
use crate::Result;

impl ProjectIndex {
    /// Calls `each(report id, positions)` for every report where `phrase` occurs, with the index
    /// position of each mention's first word, in order (a mention's words are at consecutive
    /// positions, within one sentence). The reports are those [`ProjectIndex::phrase_matches`]
    /// gives; the positions, every occurrence in each.
    pub fn phrase_mentions(
        &self,
        phrase: &Phrase,
        mut each: impl FnMut(u32, &[u32]),
    ) -> Result<()> {
        let searcher = self.reader.searcher();
        let query = self.phrase_query(phrase);
        let weight = query
            .weight(EnableScoring::disabled_from_searcher(&searcher))
            .map_err(index_error)?;
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
            let mut candidates = weight.scorer(segment, 1.0).map_err(index_error)?;
            let mut doc = candidates.doc();
            while doc != TERMINATED {
                if is_alive(segment, doc) {
                    positions_in(&mut words[0], doc, 0, &mut starts, &mut buffer);
                    for (offset, word) in words.iter_mut().enumerate().skip(1) {
                        positions_in(word, doc, offset as u32, &mut next, &mut buffer);
                        starts.retain(|start| next.binary_search(start).is_ok());
                    }
                    if let (Some(id), false) = (ids.first(doc), starts.is_empty()) {
                        each(id as u32, &starts);
                    }
                }
                doc = candidates.advance();
            }
        }
        Ok(())
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
