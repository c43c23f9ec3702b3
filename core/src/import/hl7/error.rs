//! Why an HL7 message cannot be read as a report: each error names the segment or field, and its
//! line in the file, where it can.

/// Why a message is not a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Hl7Error {
    #[error("message does not start with MSH")]
    NoMsh,
    /// Holds MSH-9 as sent.
    #[error("MSH-9: message type {0:?} is not ORU^R01")]
    NotOru(String),
    /// A segment every report needs ("PID", "OBR").
    #[error("{0}: segment missing")]
    SegmentMissing(&'static str),
    /// MSH-18 names a character set Sieve does not read, or a segment's bytes are not of it.
    #[error(transparent)]
    Charset(#[from] CharsetError),
    /// A segment's bytes are not of the message's character set.
    #[error("line {line}: {error}")]
    Bytes { line: u64, error: CharsetError },
    /// A field's escape sequences cannot be read (`field`: "OBX-5", "PID-3", …).
    #[error("{field} (line {line}): {error}")]
    Field {
        field: String,
        line: u64,
        error: EscapeError,
    },
}

/// Why bytes cannot be read in the character set MSH-18 names; `hint` names the likely one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CharsetError {
    /// Holds MSH-18 as sent.
    #[error("MSH-18: the character set “{0}” is not one Sieve reads (ASCII, 8859/1 to 8859/9, 8859/15, UNICODE UTF-8): ask the sender for UNICODE UTF-8")]
    Unknown(String),
    #[error("bytes that {charset} does not define (MSH-18 names it){hint}")]
    Undefined {
        charset: &'static str,
        hint: &'static str,
    },
    #[error("byte 0x{byte:02X} is not ASCII, as MSH-18 says the message is{hint}")]
    NotAscii { byte: u8, hint: &'static str },
    /// `said`: what MSH-18 says ("says UNICODE UTF-8", or that it names none).
    #[error("byte 0x{byte:02X} is not UTF-8 (MSH-18 {said}){hint}")]
    NotUtf8 {
        byte: u8,
        said: &'static str,
        hint: &'static str,
    },
}

/// Why an escape sequence cannot be read; `sequence` is written with its escape characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscapeError {
    #[error("the escape {sequence} needs a number up to 1000")]
    Count { sequence: String },
    #[error("the escape {sequence} needs a number")]
    Indent { sequence: String },
    #[error("the escape {sequence}: give pairs of hexadecimal digits")]
    Hex { sequence: String },
    #[error("the escape {sequence}: {error}")]
    HexBytes {
        sequence: String,
        error: CharsetError,
    },
    #[error("the escape {sequence} switches to another character set (ISO 2022), which Sieve does not read: ask the sender for UNICODE UTF-8 (MSH-18)")]
    Switch { sequence: String },
    /// `escape`: the message's escape character.
    #[error("{sequence} is not an HL7 escape sequence (a {escape} in text is written {escape}E{escape})")]
    Unknown { sequence: String, escape: char },
}
