//! HL7 v2 never loses a report's text: arbitrary texts (any Unicode, delimiters, backslashes,
//! control characters, blank lines) are written into ORU^R01 messages in every terminator, framing
//! and layout style senders use, read back, and must come back identical.

use proptest::prelude::*;
use sieve_core::import::hl7;

/// How segments end.
const TERMINATORS: [&str; 3] = ["\r", "\n", "\r\n"];

/// What goes around messages: nothing, MLLP (a capture of a feed), or a batch envelope.
#[derive(Debug, Clone, Copy)]
enum Framing {
    Bare,
    Mllp,
    Batch,
}

/// How the text's lines are laid out in OBX-5.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// One OBX, a repetition per line.
    Repetitions,
    /// One OBX per line.
    Segments,
    /// One OBX, `\.br\` between lines.
    Breaks,
    /// One OBX, lines joined by a literal LF (only where CR ends segments).
    LiteralLineFeeds,
}

/// Escapes a line of text for a field: the delimiters and the escape character as chapter 2 says,
/// control characters as `\Xhh\`; everything else as UTF-8.
fn escape(line: &str) -> String {
    let mut out = String::new();
    for c in line.chars() {
        match c {
            '\\' => out.push_str("\\E\\"),
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '&' => out.push_str("\\T\\"),
            '~' => out.push_str("\\R\\"),
            c if c.is_control() && c != '\n' => {
                let mut bytes = [0; 4];
                let hex: String = c
                    .encode_utf8(&mut bytes)
                    .bytes()
                    .map(|b| format!("{b:02X}"))
                    .collect();
                out.push_str(&format!("\\X{hex}\\"));
            }
            c => out.push(c),
        }
    }
    out
}

fn message(accession: &str, text: &str, layout: Layout) -> Vec<String> {
    let mut segments = vec![
        format!("MSH|^~\\&|RIS|HOSP|SIEVE|HOSP|20260101120000||ORU^R01|{accession}|P|2.5||||||UNICODE UTF-8"),
        "PID|1||MRN1^^^HOSP^MR||DOE^JANE".to_string(),
        format!("OBR|1||{accession}|CXR^XR CHEST|||20260101||||||||CHEST|||||||||CR"),
    ];
    let lines: Vec<String> = text.split('\n').map(escape).collect();
    match layout {
        Layout::Repetitions => segments.push(format!("OBX|1|TX|||{}||||||F", lines.join("~"))),
        Layout::Segments => segments.extend(
            lines
                .iter()
                .enumerate()
                .map(|(n, line)| format!("OBX|{}|TX|||{line}||||||F", n + 1)),
        ),
        Layout::Breaks => segments.push(format!("OBX|1|FT|||{}||||||F", lines.join("\\.br\\"))),
        Layout::LiteralLineFeeds => {
            segments.push(format!("OBX|1|TX|||{}||||||F", lines.join("\n")))
        }
    }
    segments
}

/// Two messages, as a file of this terminator and framing holds them.
fn file(texts: [&str; 2], terminator: &str, framing: Framing, layout: Layout) -> Vec<u8> {
    let messages: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let segments = message(&format!("ACC{n}"), text, layout);
            let body: String = segments
                .iter()
                .map(|s| format!("{s}{terminator}"))
                .collect();
            match framing {
                Framing::Mllp => format!("\x0b{body}\x1c\r"),
                _ => body,
            }
        })
        .collect();
    let body = messages.concat();
    let out = match framing {
        Framing::Batch => format!(
            "FHS|^~\\&|RIS{t}BHS|^~\\&|RIS{t}{body}BTS|2{t}FTS|1{t}",
            t = terminator
        ),
        _ => body,
    };
    out.into_bytes()
}

fn read(bytes: &[u8]) -> Vec<Result<String, String>> {
    hl7::records(bytes)
        .map(|parsed| {
            parsed
                .unwrap()
                .result
                .map(|report| report.report_text)
                .map_err(|error| error.to_string())
        })
        .collect()
}

fn styles() -> impl Strategy<Value = (&'static str, Framing, Layout)> {
    (
        prop::sample::select(TERMINATORS.to_vec()),
        prop::sample::select(vec![Framing::Bare, Framing::Mllp, Framing::Batch]),
        prop::sample::select(vec![
            Layout::Repetitions,
            Layout::Segments,
            Layout::Breaks,
            Layout::LiteralLineFeeds,
        ]),
    )
        .prop_filter(
            "a literal LF is text only where CR ends segments",
            |(t, _, l)| !matches!(l, Layout::LiteralLineFeeds) || *t != "\n",
        )
}

/// Report texts: any characters, with the ones that matter to HL7 and blank lines made common.
fn texts() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "\\".to_string(),
            "|".into(),
            "^~&".into(),
            "\n".into(),
            "\n\n".into(),
            "\r".into(),
            "\\E\\".into(),
            "\\.br\\".into(),
            "FINDINGS:".into(),
            " ".into(),
            "\u{b}\u{1c}".into(),
            "é €".into(),
        ]),
    ];
    prop::collection::vec(piece, 1..8)
        .prop_map(|pieces| pieces.concat())
        .prop_filter("a report has text", |text| !text.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_report_text_comes_back_identical(
        first in texts(),
        second in texts(),
        (terminator, framing, layout) in styles(),
    ) {
        let bytes = file([&first, &second], terminator, framing, layout);
        prop_assert_eq!(read(&bytes), vec![Ok(first), Ok(second)]);
    }
}

#[test]
fn a_cr_file_with_line_feeds_inside_obx_5_keeps_every_line() {
    // What several RIS exports write for multi-line text: the bug report that lost every line
    // after the first of each OBX value.
    let bytes =
        b"MSH|^~\\&|RIS|HOSP|SIEVE|HOSP|20260101||ORU^R01|1|P|2.5\rPID|1||MRN1\rOBR|1||ACC1|CXR\r\
OBX|1|TX|||FINDINGS:\nClear lungs.\nNo effusion.||||||F\rOBX|2|TX|||IMPRESSION:\nNormal.||||||F\r";
    assert_eq!(
        read(bytes),
        vec![Ok(
            "FINDINGS:\nClear lungs.\nNo effusion.\nIMPRESSION:\nNormal.".to_string()
        )]
    );
}

#[test]
fn an_8859_1_message_is_read_in_its_character_set() {
    let mut bytes =
        b"MSH|^~\\&|RIS|HOSP|SIEVE|HOSP|20260101||ORU^R01|1|P|2.5||||||8859/1\rPID|1||MRN1\r\
OBR|1||ACC1|CXR\rOBX|1|TX|||Epanchement pleural: aucun, d"
            .to_vec();
    bytes.extend_from_slice(b"\xe9j\xe0 vu||||||F\r");
    assert_eq!(
        read(&bytes),
        vec![Ok("Epanchement pleural: aucun, déjà vu".to_string())]
    );
    // The same bytes under UTF-8 are refused, naming the line and the likely character set.
    let utf8 = String::from_utf8_lossy(&bytes).replace("|8859/1", "|UNICODE UTF-8");
    let mut utf8 = utf8.into_bytes();
    let at = utf8
        .windows(3)
        .position(|w| w == "\u{fffd}".as_bytes())
        .unwrap();
    utf8.splice(at..at + 3, [0xe9]);
    let refused = read(&utf8)[0].clone().unwrap_err();
    assert!(
        refused.contains("line 4") && refused.contains("not UTF-8") && refused.contains("8859/1"),
        "{refused}"
    );
}

#[test]
fn an_unknown_escape_is_an_error_naming_the_field() {
    let bytes =
        b"MSH|^~\\&|RIS|HOSP|SIEVE|HOSP|20260101||ORU^R01|1|P|2.5\rPID|1||MRN1\rOBR|1||ACC1|CXR\r\
OBX|1|TX|||See C:\\temp\\file.||||||F\r";
    let refused = read(bytes)[0].clone().unwrap_err();
    assert!(
        refused.starts_with("OBX-5 (line 4)") && refused.contains("\\temp\\ is not an HL7 escape"),
        "{refused}"
    );
}
