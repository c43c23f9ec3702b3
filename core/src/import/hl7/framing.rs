//! HL7 v2 bytes as hospitals send them, cut into segments: segments end with CR, LF or CRLF;
//! MLLP framing bytes (0x0B before a message, 0x1C 0x0D after it) from a capture of a feed are
//! dropped; nothing of a segment's text is lost.
//!
//! The terminator is read from the file: when the first segment ends with a CR (alone or in a
//! CRLF), a CR ends every segment, an LF right after it belongs to the terminator, and any other LF
//! is text (what several RIS exports write inside a multi-line OBX-5). A file whose first segment
//! ends with an LF is cut at LFs (and CRs).

use std::io::BufRead;

/// MLLP's start block byte (vertical tab).
const START_BLOCK: u8 = 0x0B;
/// MLLP's end block byte (file separator), followed by a CR.
const END_BLOCK: u8 = 0x1C;

/// How segments end, as the file's first segment shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminator {
    /// CR (or CRLF): an LF that does not follow a CR is text.
    CarriageReturn,
    /// LF, or CR for the odd segment.
    LineFeed,
}

/// A segment's bytes and the line it starts on (1-based, as an editor counts lines: CR, LF and
/// CRLF each end one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub line: u64,
    pub bytes: Vec<u8>,
}

/// The segments of a byte stream, in order; blank ones (and framing bytes alone) are skipped.
pub struct Segments<R> {
    reader: R,
    terminator: Option<Terminator>,
    /// The line the next byte is on.
    line: u64,
    /// The last byte read was a CR, so an LF now completes a CRLF.
    after_cr: bool,
}

impl<R: BufRead> Segments<R> {
    pub fn new(reader: R) -> Self {
        Segments {
            reader,
            terminator: None,
            line: 1,
            after_cr: false,
        }
    }

    /// The next segment, or `None` at the end of the stream.
    pub fn next_segment(&mut self) -> std::io::Result<Option<Segment>> {
        loop {
            let start = self.line;
            let Some(bytes) = self.read_segment()? else {
                return Ok(None);
            };
            let bytes = strip_framing(bytes);
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(Segment { line: start, bytes }));
            }
        }
    }

    /// The bytes up to the next terminator (without it); `None` at the end of the stream.
    fn read_segment(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut segment = Vec::new();
        let mut read_any = false;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok(read_any.then_some(segment));
            }
            read_any = true;
            // An LF that completes a CRLF begun in the previous read.
            if self.after_cr && available[0] == b'\n' {
                self.after_cr = false;
                self.reader.consume(1);
                continue;
            }
            self.after_cr = false;
            let mut used = 0;
            let mut ended = false;
            for &byte in available {
                used += 1;
                match byte {
                    b'\r' => {
                        self.terminator.get_or_insert(Terminator::CarriageReturn);
                        self.line += 1;
                        self.after_cr = true;
                        ended = true;
                        break;
                    }
                    b'\n' => {
                        self.line += 1;
                        match *self.terminator.get_or_insert(Terminator::LineFeed) {
                            Terminator::LineFeed => {
                                ended = true;
                                break;
                            }
                            Terminator::CarriageReturn => segment.push(byte),
                        }
                    }
                    _ => segment.push(byte),
                }
            }
            self.reader.consume(used);
            if ended {
                // A CRLF's LF, when it is already in the buffer.
                if self.after_cr {
                    let next = self.reader.fill_buf()?;
                    if next.first() == Some(&b'\n') {
                        self.reader.consume(1);
                        self.after_cr = false;
                    }
                }
                return Ok(Some(segment));
            }
        }
    }
}

/// A segment without the MLLP bytes a capture leaves around messages.
fn strip_framing(mut bytes: Vec<u8>) -> Vec<u8> {
    let framing = |byte: &u8| *byte == START_BLOCK || *byte == END_BLOCK;
    let start = bytes.iter().take_while(|b| framing(b)).count();
    bytes.drain(..start);
    while bytes.last().is_some_and(framing) {
        bytes.pop();
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(bytes: &[u8]) -> Vec<(u64, String)> {
        let mut read = Segments::new(bytes);
        let mut out = Vec::new();
        while let Some(segment) = read.next_segment().unwrap() {
            out.push((segment.line, String::from_utf8(segment.bytes).unwrap()));
        }
        out
    }

    #[test]
    fn cr_crlf_and_lf_files_give_the_same_segments() {
        let expected = vec![(1, "MSH|a".to_string()), (2, "OBX|b".to_string())];
        assert_eq!(segments(b"MSH|a\rOBX|b\r"), expected);
        assert_eq!(segments(b"MSH|a\r\nOBX|b\r\n"), expected);
        assert_eq!(segments(b"MSH|a\nOBX|b"), expected);
    }

    #[test]
    fn in_a_cr_file_an_lf_inside_a_field_is_text() {
        assert_eq!(
            segments(b"MSH|a\rOBX|FINDINGS:\nClear.\nIMPRESSION:\nNormal.|F\r"),
            vec![
                (1, "MSH|a".to_string()),
                (
                    2,
                    "OBX|FINDINGS:\nClear.\nIMPRESSION:\nNormal.|F".to_string()
                )
            ]
        );
    }

    #[test]
    fn mllp_framing_bytes_are_dropped() {
        let capture = b"\x0bMSH|1\rOBX|a\r\x1c\r\x0bMSH|2\rOBX|b\r\x1c\r";
        let texts: Vec<String> = segments(capture).into_iter().map(|(_, s)| s).collect();
        assert_eq!(texts, ["MSH|1", "OBX|a", "MSH|2", "OBX|b"]);
    }

    #[test]
    fn a_crlf_split_across_reads_is_one_terminator() {
        // A reader that hands out one byte at a time.
        let bytes = b"MSH|a\r\nOBX|b\r\n";
        let reader = std::io::BufReader::with_capacity(1, &bytes[..]);
        let mut read = Segments::new(reader);
        let mut texts = Vec::new();
        while let Some(segment) = read.next_segment().unwrap() {
            texts.push(String::from_utf8(segment.bytes).unwrap());
        }
        assert_eq!(texts, ["MSH|a", "OBX|b"]);
    }
}
