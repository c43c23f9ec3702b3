//! The acknowledgement of a message (HL7 v2.x chapter 2, "original mode"): an MSH naming Sieve
//! and the sender, an MSA with the code and the sender's control id, and for a refusal or a
//! failure the reason in MSA-3 and an ERR segment (ERR-3 from HL7 table 0357, ERR-4 E, ERR-8 the
//! reason), each segment ended by a CR.

use super::Outcome;
use crate::import::hl7::{Delimiters, Header};

/// An error code of HL7 table 0357 (message error condition codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    SegmentSequence,
    RequiredFieldMissing,
    DataType,
    UnsupportedMessageType,
    ApplicationInternal,
}

impl Code {
    fn coded(self) -> &'static str {
        match self {
            Code::SegmentSequence => "100^Segment sequence error^HL70357",
            Code::RequiredFieldMissing => "101^Required field missing^HL70357",
            Code::DataType => "102^Data type error^HL70357",
            Code::UnsupportedMessageType => "200^Unsupported message type^HL70357",
            Code::ApplicationInternal => "207^Application internal error^HL70357",
        }
    }
}

/// An acknowledgement: its MSA-1 code (AA, AE or AR) and its bytes, segments ended by CR,
/// without MLLP framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub code: &'static str,
    pub bytes: Vec<u8>,
}

impl Ack {
    /// The acknowledgement of a message with `header` that had `outcome`; `refusal` is the error
    /// code a refusal is sent with.
    pub fn of(header: &Header, outcome: &Outcome, refusal: Code) -> Ack {
        let d = Delimiters::DEFAULT;
        let (code, text, error) = match outcome {
            Outcome::Stored { projects, kept } if kept == projects => (
                "AA",
                "received; the report stored before stays (a preliminary never replaces a final \
                 report, and the same report is not stored twice)"
                    .to_string(),
                None,
            ),
            Outcome::Stored { .. } => ("AA", "stored".to_string(), None),
            Outcome::Resent => ("AA", "stored before; not stored again".to_string(), None),
            Outcome::Unrouted => (
                "AA",
                "no project takes this report; not stored".to_string(),
                None,
            ),
            Outcome::Refused(reason) => ("AR", reason.clone(), Some(refusal)),
            Outcome::Failed(reason) => ("AE", reason.clone(), Some(Code::ApplicationInternal)),
        };
        let now = time::OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let version = match header.version.as_str() {
            "" => "2.5",
            version => version,
        };
        let mut segments = vec![
            format!(
                "MSH|^~\\&|SIEVE|SIEVE|{}|{}|{stamp}||ACK^R01^ACK|{}|P|{}",
                d.escape(&header.sending_application),
                d.escape(&header.sending_facility),
                d.escape(&format!("ACK{}", header.control_id)),
                d.escape(version),
            ),
            format!(
                "MSA|{code}|{}|{}",
                d.escape(&header.control_id),
                d.escape(&text)
            ),
        ];
        if let Some(error) = error {
            segments.push(format!("ERR|||{}|E||||{}", error.coded(), d.escape(&text)));
        }
        let mut bytes = Vec::new();
        for segment in segments {
            bytes.extend_from_slice(segment.as_bytes());
            bytes.push(b'\r');
        }
        Ack { code, bytes }
    }
}
