//! HL7 v2 ORU^R01 result messages: OBR gives the accession, exam and date, PID the patient, and the
//! OBX text segments, joined, the report. Messages start at each MSH segment; segments end with
//! carriage returns or new lines.

use std::io::BufRead;

use super::Parsed;
use crate::reports::NewReport;

/// The delimiters a message declares in its MSH segment.
#[derive(Debug, Clone, Copy)]
struct Delimiters {
    field: char,
    component: char,
    repetition: char,
    escape: char,
    subcomponent: char,
}

impl Delimiters {
    fn from_msh(msh: &str) -> Delimiters {
        let mut chars = msh.chars().skip(3);
        let field = chars.next().unwrap_or('|');
        let mut encoding = chars.take_while(|c| *c != field);
        Delimiters {
            field,
            component: encoding.next().unwrap_or('^'),
            repetition: encoding.next().unwrap_or('~'),
            escape: encoding.next().unwrap_or('\\'),
            subcomponent: encoding.next().unwrap_or('&'),
        }
    }

    /// Resolves escape sequences: \F\ \S\ \T\ \R\ \E\, \.br\ (line break) and \Xhh..\ (hex bytes).
    fn unescape(&self, text: &str) -> String {
        let e = self.escape;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(e) {
            out.push_str(&rest[..start]);
            let after = &rest[start + e.len_utf8()..];
            let Some(end) = after.find(e) else {
                out.push_str(&rest[start..]);
                return out;
            };
            let sequence = &after[..end];
            match sequence {
                "F" => out.push(self.field),
                "S" => out.push(self.component),
                "T" => out.push(self.subcomponent),
                "R" => out.push(self.repetition),
                "E" => out.push(e),
                ".br" => out.push('\n'),
                hex if hex.starts_with('X') => out.push_str(&decode_hex(&hex[1..])),
                _ => {}
            }
            rest = &after[end + e.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    /// Returns field `index` (1-based, as HL7 numbers them; MSH is numbered so that MSH-1 is the separator).
    fn field<'a>(&self, segment: &'a str, index: usize) -> &'a str {
        segment.split(self.field).nth(index).unwrap_or_default()
    }

    /// Returns component `index` (1-based) of the first repetition of a field.
    fn component<'a>(&self, field: &'a str, index: usize) -> &'a str {
        let first = field.split(self.repetition).next().unwrap_or_default();
        first
            .split(self.component)
            .nth(index - 1)
            .unwrap_or_default()
    }
}

fn decode_hex(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads ORU^R01 messages as reports.
pub fn records(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<Parsed>> {
    Messages {
        segments: Segments::new(reader),
        pending: None,
    }
}

/// Segments with the line each starts on, whatever the line endings.
struct Segments<R> {
    reader: R,
    line: u64,
    buffer: Vec<String>,
}

impl<R: BufRead> Segments<R> {
    fn new(reader: R) -> Self {
        Segments {
            reader,
            line: 0,
            buffer: Vec::new(),
        }
    }

    fn next_segment(&mut self) -> std::io::Result<Option<(u64, String)>> {
        loop {
            if let Some(segment) = self.buffer.pop() {
                if !segment.trim().is_empty() {
                    return Ok(Some((self.line, segment)));
                }
                continue;
            }
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            // A line may hold several segments separated by carriage returns.
            let mut segments: Vec<String> = line.split(['\r', '\n']).map(str::to_owned).collect();
            segments.reverse();
            self.buffer = segments;
        }
    }
}

struct Messages<R> {
    segments: Segments<R>,
    pending: Option<(u64, String)>,
}

impl<R: BufRead> Iterator for Messages<R> {
    type Item = std::io::Result<Parsed>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut message: Vec<String> = Vec::new();
        let mut first_line = 0;
        if let Some((line, msh)) = self.pending.take() {
            first_line = line;
            message.push(msh);
        }
        loop {
            match self.segments.next_segment() {
                Err(error) => return Some(Err(error)),
                Ok(None) => break,
                Ok(Some((line, segment))) => {
                    if segment.starts_with("MSH") && !message.is_empty() {
                        self.pending = Some((line, segment));
                        break;
                    }
                    if message.is_empty() {
                        first_line = line;
                    }
                    message.push(segment);
                }
            }
        }
        if message.is_empty() {
            return None;
        }
        let raw = message.join("\r");
        Some(Ok(Parsed {
            line: first_line,
            result: report(&message),
            raw,
        }))
    }
}

/// Builds a report from one message's segments.
fn report(segments: &[String]) -> Result<NewReport, String> {
    let msh = segments
        .first()
        .filter(|s| s.starts_with("MSH"))
        .ok_or("message does not start with MSH")?;
    let d = Delimiters::from_msh(msh);
    let message_type = d.field(msh, 8);
    if !message_type.starts_with(&format!("ORU{}R01", d.component)) {
        return Err(format!(
            "MSH-9: message type {:?} is not ORU^R01",
            d.unescape(message_type)
        ));
    }
    let find = |name: &str| segments.iter().find(|segment| segment.starts_with(name));
    let pid = find("PID").ok_or("PID: segment missing")?;
    let obr = find("OBR").ok_or("OBR: segment missing")?;
    let text: Vec<String> = segments
        .iter()
        .filter(|segment| segment.starts_with("OBX"))
        .filter(|obx| matches!(d.field(obx, 2), "TX" | "FT" | "ST"))
        .map(|obx| {
            let value = d.field(obx, 5);
            value
                .split(d.repetition)
                .map(|part| d.unescape(part))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let accession = [d.field(obr, 3), d.field(obr, 2)]
        .into_iter()
        .map(|field| d.unescape(d.component(field, 1)))
        .find(|value| !value.trim().is_empty())
        .unwrap_or_default();
    let date = d.field(obr, 7);
    Ok(NewReport {
        accession,
        patient_id: d.unescape(d.component(d.field(pid, 3), 1)),
        study_date: date.chars().take(8).collect(),
        exam_code: d.unescape(d.component(d.field(obr, 4), 1)),
        modality: d.unescape(d.component(d.field(obr, 24), 1)),
        body_part: d.unescape(d.component(d.field(obr, 15), 1)),
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
    fn a_message_of_another_type_is_named() {
        let adt = MESSAGE.replace("ORU^R01", "ADT^A01");
        let parsed: Vec<_> = records(adt.as_bytes())
            .collect::<std::io::Result<_>>()
            .unwrap();
        assert!(parsed[0].result.as_ref().unwrap_err().contains("ADT^A01"));
    }
}
