//! Every word's status and section, kept per report so that the server answers a negation-aware
//! or section-scoped rule from the index, without reading the report again.
//!
//! A mention's status depends only on what reaches its first word from before and its last word
//! from after ([`Status::of`]); its section is its first word's. So a report's [`WordStatuses`]
//! give, for each word at its index position ([`Reading::position`]), a code of three parts —
//! the [`Side`] before, the [`Side`] after and the section — and any phrase's mentions are read from
//! the positions the index finds it at. The codes are stored as runs: (position, code) where the
//! code changes, as variable-length integers, about 30–60 bytes for a 1 KB report.
//!
//! [`Marker`] is the one place that turns a text into these codes, with the same [`Reading`] and
//! [`FoundCues`](super::negation::FoundCues) as the offline labeler's [`Labeler`](super::Labeler),
//! so the server and `sieve label` agree report for report.

use super::engine::TextSettings;
use super::error::RuleError;
use super::negation::{CueSet, Side, Status};
use super::text::{Reading, NO_SECTION};

/// Bits of a code: the side before (2 bits), the side after (3 bits), then the section.
const AFTER_SHIFT: u32 = 2;
const SECTION_SHIFT: u32 = 5;

/// Turns report texts into their [`WordStatuses`] under one project's text settings.
pub struct Marker {
    cues: CueSet,
    headers: Vec<String>,
}

impl Marker {
    /// The marker of `settings`; the error names a cue that cannot be read.
    pub fn new(settings: &TextSettings) -> Result<Marker, RuleError> {
        Ok(Marker {
            cues: CueSet::new(&settings.cues)?,
            headers: settings.section_headers.clone(),
        })
    }

    /// Appends the encoded statuses of `text`'s words to `out`.
    pub fn mark(&self, text: &str, out: &mut Vec<u8>) {
        let reading = Reading::new(text, &self.headers);
        let found = self.cues.find(&reading);
        let mut last: Option<u32> = None;
        let mut last_position = 0u32;
        for index in 0..reading.words.len() {
            let word = &reading.words[index];
            let code = found.from_before(&reading, index) as u32
                | (found.from_after(&reading, index + 1) as u32) << AFTER_SHIFT
                | (word.section as u32) << SECTION_SHIFT;
            if last == Some(code) {
                continue;
            }
            let position = reading.position(index) as u32;
            put_varint(out, (position - last_position) as u64);
            put_varint(out, code as u64);
            (last, last_position) = (Some(code), position);
        }
    }
}

/// One report's word codes, decoded: runs of (first position, code), in position order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordStatuses {
    runs: Vec<(u32, u32)>,
}

/// What the index tells of one mention: its status and its section (index of the header in the
/// settings' list, or [`NO_SECTION`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MentionStatus {
    pub status: Status,
    pub section: u16,
}

impl WordStatuses {
    /// Decodes what [`Marker::mark`] wrote; `None` when the bytes are not such an encoding.
    pub fn decode(mut bytes: &[u8]) -> Option<WordStatuses> {
        let mut runs = Vec::new();
        let mut position = 0u64;
        while !bytes.is_empty() {
            position += take_varint(&mut bytes)?;
            let code = take_varint(&mut bytes)?;
            runs.push((u32::try_from(position).ok()?, u32::try_from(code).ok()?));
        }
        Some(WordStatuses { runs })
    }

    fn code_at(&self, position: u32) -> u32 {
        let after = self.runs.partition_point(|&(start, _)| start <= position);
        after.checked_sub(1).map_or(0, |run| self.runs[run].1)
    }

    /// The status and section of the mention whose words are at positions `first..=last`.
    pub fn mention(&self, first: u32, last: u32) -> MentionStatus {
        MentionStatus::of(self.code_at(first), self.code_at(last))
    }

    /// [`WordStatuses::mention`] read straight from the encoded bytes, without decoding them all
    /// (what the server does for every mention it checks); `None` when the bytes are not an
    /// encoding.
    pub fn mention_in(mut bytes: &[u8], first: u32, last: u32) -> Option<MentionStatus> {
        let (mut position, mut at_first, mut at_last) = (0u64, 0u32, 0u32);
        while !bytes.is_empty() {
            position += take_varint(&mut bytes)?;
            if position > u64::from(last) {
                break;
            }
            let code = u32::try_from(take_varint(&mut bytes)?).ok()?;
            if position <= u64::from(first) {
                at_first = code;
            }
            at_last = code;
        }
        Some(MentionStatus::of(at_first, at_last))
    }
}

impl MentionStatus {
    /// From the codes of a mention's first and last words.
    fn of(first: u32, last: u32) -> MentionStatus {
        let before = (first & 0b11) as Side;
        let after = ((last >> AFTER_SHIFT) & 0b111) as Side;
        MentionStatus {
            status: Status::of(before, after),
            section: u16::try_from(first >> SECTION_SHIFT).unwrap_or(NO_SECTION),
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn take_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labeling::negation::{CueSet, Cues};
    use crate::labeling::phrase::{Phrase, PhraseSet};

    /// Every phrase of `phrases` in `text`: its status and section as the engine reads them, and as
    /// the stored codes give them.
    fn both(text: &str, phrases: &[&str]) -> Vec<(MentionStatus, MentionStatus)> {
        let settings = TextSettings::default();
        let marker = Marker::new(&settings).unwrap();
        let mut bytes = Vec::new();
        marker.mark(text, &mut bytes);
        let stored = WordStatuses::decode(&bytes).unwrap();
        let reading = Reading::new(text, &settings.section_headers);
        let found = CueSet::new(&Cues::default()).unwrap().find(&reading);
        let mut set = PhraseSet::default();
        for phrase in phrases {
            set.add(Phrase::parse(phrase).unwrap());
        }
        let mut out = Vec::new();
        set.find(&reading, |o| {
            let engine = MentionStatus {
                status: found.status(&reading, o.first, o.end),
                section: reading.words[o.first].section,
            };
            let (first, last) = (
                reading.position(o.first) as u32,
                reading.position(o.end - 1) as u32,
            );
            let read = stored.mention(first, last);
            assert_eq!(WordStatuses::mention_in(&bytes, first, last), Some(read));
            out.push((engine, read));
        });
        out
    }

    #[test]
    fn stored_codes_give_the_engines_status_and_section_for_every_mention() {
        let text = "EXAMINATION: Chest.\n\nFINDINGS:\nNo pleural effusion or pneumothorax. \
            Possible small left pleural effusion. Heart size is normal. Pneumothorax: none.\n\
            Consolidation cannot be excluded, but the effusion is new.\n\n\
            IMPRESSION:\nLeft pleural effusion. ?pneumothorax. Cardiomegaly with normal lungs.";
        let phrases = [
            "pleural effusion",
            "effusion",
            "pneumothorax",
            "heart size",
            "consolidation",
            "cardiomegaly",
            "lungs",
            "left pleural",
            "chest",
        ];
        let found = both(text, &phrases);
        assert!(found.len() > 12, "{found:?}");
        for (engine, stored) in &found {
            assert_eq!(engine, stored);
        }
        let statuses: Vec<Status> = found.iter().map(|(e, _)| e.status).collect();
        for status in [Status::Affirmed, Status::Negated, Status::Uncertain] {
            assert!(statuses.contains(&status), "{statuses:?}");
        }
        let sections: Vec<u16> = found.iter().map(|(e, _)| e.section).collect();
        assert!(
            sections.contains(&6) && sections.contains(&7),
            "{sections:?}"
        );
    }

    #[test]
    fn codes_are_a_few_bytes_per_sentence() {
        let marker = Marker::new(&TextSettings::default()).unwrap();
        let mut bytes = Vec::new();
        let text = "FINDINGS: The lungs are clear. No pleural effusion. ".repeat(10);
        marker.mark(&text, &mut bytes);
        assert!(bytes.len() < 100, "{} bytes", bytes.len());
        assert!(WordStatuses::decode(&[0x80]).is_none());
    }
}
