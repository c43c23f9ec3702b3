//! HL7 v2 ORU^R01 result messages: OBR gives the accession, exam and date, PID the patient, and the
//! OBX text segments, joined, the report. Read as hospitals send them (see `framing`): segments
//! ended by CR, LF or CRLF, MLLP framing bytes, FHS/BHS batch envelopes; each message in the
//! character set its MSH-18 names, with every escape sequence of chapter 2 (see `encoding`).
//! Nothing of a report's text is dropped: a field that cannot be read is an error naming it.

use std::io::BufRead;

use super::{Parsed, RecordError};
use crate::reports::NewReport;

mod encoding;
mod error;
mod framing;

use encoding::Charset;
pub use encoding::Delimiters;
pub use error::{CharsetError, EscapeError, Hl7Error};
use framing::{Segment, Segments};

/// The segments of a batch's envelope (HL7 v2.x chapter 2, 2.10.3): around messages, not in them.
const ENVELOPE: [&[u8]; 4] = [b"FHS", b"BHS", b"BTS", b"FTS"];

/// Reads ORU^R01 messages as reports.
pub fn records(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<Parsed>> {
    Messages {
        segments: Segments::new(reader),
        pending: None,
    }
}

struct Messages<R> {
    segments: Segments<R>,
    /// The MSH that ended the previous message.
    pending: Option<Segment>,
}

impl<R: BufRead> Iterator for Messages<R> {
    type Item = std::io::Result<Parsed>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut message: Vec<Segment> = self.pending.take().into_iter().collect();
        loop {
            match self.segments.next_segment() {
                Err(error) => return Some(Err(error)),
                Ok(None) => break,
                Ok(Some(segment)) => {
                    let name = segment.bytes.get(..3).unwrap_or_default();
                    if ENVELOPE.contains(&name) {
                        if message.is_empty() {
                            continue;
                        }
                        break;
                    }
                    if name == b"MSH" && !message.is_empty() {
                        self.pending = Some(segment);
                        break;
                    }
                    message.push(segment);
                }
            }
        }
        let first = message.first()?;
        let raw = message
            .iter()
            .map(|segment| String::from_utf8_lossy(&segment.bytes))
            .collect::<Vec<_>>()
            .join("\r");
        Some(Ok(Parsed {
            line: first.line,
            result: report(&message).map_err(RecordError::from),
            raw,
        }))
    }
}

/// What the live feed needs of a message besides its report, from MSH: who sent it, its control
/// id and its version (each empty when the message does not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// MSH-3 and MSH-4, their first component.
    pub sending_application: String,
    pub sending_facility: String,
    /// MSH-10: the sender's id of this message, the same when it sends the message again.
    pub control_id: String,
    /// MSH-12.
    pub version: String,
}

/// One message as the live feed receives it (the bytes of one MLLP frame): its header, read as far
/// as it can be, and its report or why it is not one.
#[derive(Debug, Clone)]
pub struct Message {
    pub header: Header,
    pub report: Result<NewReport, Hl7Error>,
    /// OBR-25: P preliminary, F final, C correction, A addendum (empty when not sent).
    pub result_status: String,
}

/// Reads one message.
pub fn message(bytes: &[u8]) -> Message {
    let mut segments = Segments::new(bytes);
    let mut message = Vec::new();
    // Reading from memory cannot fail.
    while let Ok(Some(segment)) = segments.next_segment() {
        if !ENVELOPE.contains(&segment.bytes.get(..3).unwrap_or_default()) {
            message.push(segment);
        }
    }
    let header = match message.first() {
        Some(msh) if msh.bytes.starts_with(b"MSH") => {
            let text = String::from_utf8_lossy(&msh.bytes);
            let d = Delimiters::from_msh(&text);
            // MSH-n is field n - 1 here: MSH-1 is the separator itself.
            let first = |msh: usize| d.component(d.field(&text, msh - 1), 1).trim().to_string();
            Header {
                sending_application: first(3),
                sending_facility: first(4),
                control_id: d.field(&text, 9).trim().to_string(),
                version: first(12),
            }
        }
        _ => Header::default(),
    };
    let result_status = match (
        message.first(),
        message.iter().find(|s| s.bytes.starts_with(b"OBR")),
    ) {
        (Some(msh), Some(obr)) => {
            let d = Delimiters::from_msh(&String::from_utf8_lossy(&msh.bytes));
            let obr = String::from_utf8_lossy(&obr.bytes);
            d.component(d.field(&obr, 25), 1).trim().to_uppercase()
        }
        _ => String::new(),
    };
    Message {
        header,
        report: report(&message),
        result_status,
    }
}

/// Builds a report from one message's segments.
fn report(message: &[Segment]) -> Result<NewReport, Hl7Error> {
    let msh = message
        .first()
        .filter(|s| s.bytes.starts_with(b"MSH"))
        .ok_or(Hl7Error::NoMsh)?;
    // MSH's own fields are ASCII in every character set it may name.
    let header = String::from_utf8_lossy(&msh.bytes);
    let d = Delimiters::from_msh(&header);
    let charset = Charset::named(d.field(&header, 17))?;
    let message_type = d.field(&header, 8);
    if !message_type.starts_with(&format!("ORU{}R01", d.component)) {
        return Err(Hl7Error::NotOru(message_type.to_string()));
    }
    let segments: Vec<(u64, String)> = message
        .iter()
        .map(|segment| {
            charset
                .decode(&segment.bytes)
                .map(|text| (segment.line, text))
                .map_err(|error| Hl7Error::Bytes {
                    line: segment.line,
                    error,
                })
        })
        .collect::<Result<_, _>>()?;
    let find = |name: &str| {
        segments
            .iter()
            .find(|(_, segment)| segment.starts_with(name))
    };
    let pid = find("PID").ok_or(Hl7Error::SegmentMissing("PID"))?;
    let obr = find("OBR").ok_or(Hl7Error::SegmentMissing("OBR"))?;
    // A field's first component, its escapes read; an error names the field and its line.
    let value = |(line, segment): &(u64, String), name: &str, index: usize| {
        d.unescape(d.component(d.field(segment, index), 1), charset)
            .map_err(|error| Hl7Error::Field {
                field: format!("{name}-{index}"),
                line: *line,
                error,
            })
    };
    let mut text = Vec::new();
    for (line, obx) in segments.iter().filter(|(_, s)| s.starts_with("OBX")) {
        if !matches!(d.field(obx, 2), "TX" | "FT" | "ST") {
            continue;
        }
        for repetition in d.field(obx, 5).split(d.repetition) {
            text.push(
                d.unescape(repetition, charset)
                    .map_err(|error| Hl7Error::Field {
                        field: "OBX-5".to_string(),
                        line: *line,
                        error,
                    })?,
            );
        }
    }
    let accession = match value(obr, "OBR", 3)? {
        filler if !filler.trim().is_empty() => filler,
        _ => value(obr, "OBR", 2)?,
    };
    Ok(NewReport {
        accession,
        patient_id: value(pid, "PID", 3)?,
        study_date: d.field(&obr.1, 7).chars().take(8).collect(),
        exam_code: value(obr, "OBR", 4)?,
        modality: value(obr, "OBR", 24)?,
        body_part: value(obr, "OBR", 15)?,
        report_text: text.join("\n"),
        image_uri: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "MSH|^~\\&|RIS|HOSP|SIEVE|HOSP|202401021200||ORU^R01|MSG0001|P|2.5\r\
PID|1||MRN123^^^HOSP^MR||DOE^JANE\r\
OBR|1|PLC9|ACC9^RIS|CXR2V^XR CHEST 2 VIEWS|||20240102113000||||||||CHEST|||||||||CR\r\
OBX|1|TX|IMP^Impression||FINDINGS:\\.br\\No pneumothorax. Heart size normal \\T\\ stable.||||||F\r\
OBX|2|TX|IMP^Impression||IMPRESSION: Clear lungs \\F\\ no effusion.~Follow-up not needed.||||||F\r";

    #[test]
    fn an_oru_message_becomes_a_report_with_escapes_resolved() {
        let parsed: Vec<_> = records(MESSAGE.as_bytes())
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert_eq!(parsed.len(), 1);
        let report = parsed[0].result.clone().unwrap();
        assert_eq!(report.accession, "ACC9");
        assert_eq!(report.patient_id, "MRN123");
        assert_eq!(report.study_date, "20240102");
        assert_eq!(report.exam_code, "CXR2V");
        assert_eq!(report.modality, "CR");
        assert_eq!(report.body_part, "CHEST");
        assert_eq!(
            report.report_text,
            "FINDINGS:\nNo pneumothorax. Heart size normal & stable.\nIMPRESSION: Clear lungs | no effusion.\nFollow-up not needed."
        );
    }

    #[test]
    fn messages_are_split_at_each_msh_and_keep_their_line() {
        let two = format!(
            "{}\n{}",
            MESSAGE.replace('\r', "\n"),
            MESSAGE.replace("ACC9", "ACC10").replace('\r', "\n")
        );
        let parsed: Vec<_> = records(two.as_bytes())
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].line, 1);
        assert_eq!(parsed[1].line, 7);
        assert_eq!(parsed[1].result.as_ref().unwrap().accession, "ACC10");
    }

    #[test]
    fn a_feed_message_gives_its_sender_and_control_id_with_its_report() {
        let framed = format!("\x0b{MESSAGE}\x1c\r");
        let message = message(framed.as_bytes());
        assert_eq!(
            message.header,
            Header {
                sending_application: "RIS".into(),
                sending_facility: "HOSP".into(),
                control_id: "MSG0001".into(),
                version: "2.5".into(),
            }
        );
        assert_eq!(message.report.unwrap().accession, "ACC9");
    }

    #[test]
    fn a_message_of_another_type_is_named() {
        let adt = MESSAGE.replace("ORU^R01", "ADT^A01");
        let parsed: Vec<_> = records(adt.as_bytes())
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert!(parsed[0]
            .result
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("ADT^A01"));
    }
}
