//! A message's delimiters and character set (MSH-1, MSH-2, MSH-18), and the escape sequences of
//! HL7 v2.x chapter 2 (section 2.7, "Use of escape sequences in text fields").

use super::error::{CharsetError, EscapeError};

/// The character sets a message may name in MSH-18, and how its bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// MSH-18 empty: UTF-8, of which ASCII (HL7's default) is a part.
    Unnamed,
    Ascii,
    /// `8859/1` … `8859/9`, `8859/15`, through `encoding_rs` (8859/1 is read as windows-1252,
    /// its superset, as browsers do).
    Iso8859(&'static encoding_rs::Encoding),
    /// `UNICODE UTF-8`.
    Utf8,
}

impl Charset {
    /// The character set MSH-18 names, or why it cannot be read.
    pub fn named(msh_18: &str) -> Result<Charset, CharsetError> {
        let name = msh_18.trim();
        let iso = |number: &str| {
            encoding_rs::Encoding::for_label(format!("iso-8859-{number}").as_bytes())
                .map(Charset::Iso8859)
        };
        let charset = match name {
            "" => Some(Charset::Unnamed),
            "ASCII" => Some(Charset::Ascii),
            "UNICODE UTF-8" => Some(Charset::Utf8),
            _ => name.strip_prefix("8859/").and_then(iso),
        };
        charset.ok_or_else(|| CharsetError::Unknown(name.to_string()))
    }

    /// Reads bytes in this character set; an error says which bytes are not of it.
    pub fn decode(self, bytes: &[u8]) -> Result<String, CharsetError> {
        match self {
            Charset::Iso8859(encoding) => match encoding.decode_without_bom_handling(bytes) {
                (text, false) => Ok(text.into_owned()),
                (_, true) => Err(CharsetError::Undefined {
                    charset: encoding.name(),
                    hint: likely(bytes),
                }),
            },
            Charset::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                None => Ok(String::from_utf8_lossy(bytes).into_owned()),
                Some(at) => Err(CharsetError::NotAscii {
                    byte: bytes[at],
                    hint: likely(bytes),
                }),
            },
            Charset::Utf8 | Charset::Unnamed => {
                String::from_utf8(bytes.to_vec()).map_err(|error| {
                    let at = error.utf8_error().valid_up_to();
                    CharsetError::NotUtf8 {
                        byte: bytes[at],
                        said: match self {
                            Charset::Utf8 => "says UNICODE UTF-8",
                            _ => "names no character set, and Sieve then reads UTF-8",
                        },
                        hint: likely(bytes),
                    }
                })
            }
        }
    }
}

/// A hint at the character set bytes are likely in, when they are not UTF-8.
fn likely(bytes: &[u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(_) => "; the text is UTF-8: MSH-18 should say UNICODE UTF-8",
        Err(_) => "; it is likely 8859/1 (Latin-1): MSH-18 should say so",
    }
}

/// The delimiters a message declares in MSH-1 and MSH-2.
#[derive(Debug, Clone, Copy)]
pub struct Delimiters {
    pub field: char,
    pub component: char,
    pub repetition: char,
    pub escape: char,
    pub subcomponent: char,
}

impl Delimiters {
    /// The delimiters HL7 recommends (`|^~\&`), which Sieve's own messages (acknowledgements) use.
    pub const DEFAULT: Delimiters = Delimiters {
        field: '|',
        component: '^',
        repetition: '~',
        escape: '\\',
        subcomponent: '&',
    };

    /// Writes text as a field's value: each delimiter as its escape (`\F\ \S\ \T\ \R\ \E\`) and
    /// each line break as `\.br\`, so that it reads back as written (the inverse of
    /// [`Delimiters::unescape`] for text without control characters).
    pub fn escape(&self, text: &str) -> String {
        let e = self.escape;
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let name = match c {
                _ if c == e => "E",
                _ if c == self.field => "F",
                _ if c == self.component => "S",
                _ if c == self.subcomponent => "T",
                _ if c == self.repetition => "R",
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    ".br"
                }
                _ => {
                    out.push(c);
                    continue;
                }
            };
            out.push(e);
            out.push_str(name);
            out.push(e);
        }
        out
    }

    pub fn from_msh(msh: &str) -> Delimiters {
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

    /// Returns field `index` (1-based, as HL7 numbers them; MSH is numbered so that MSH-1 is the
    /// separator).
    pub fn field<'a>(&self, segment: &'a str, index: usize) -> &'a str {
        segment.split(self.field).nth(index).unwrap_or_default()
    }

    /// Returns component `index` (1-based) of the first repetition of a field.
    pub fn component<'a>(&self, field: &'a str, index: usize) -> &'a str {
        let first = field.split(self.repetition).next().unwrap_or_default();
        first
            .split(self.component)
            .nth(index - 1)
            .unwrap_or_default()
    }

    /// Resolves the escape sequences of a field's text (HL7 v2.x chapter 2, 2.7): the delimiters
    /// (`\F\ \S\ \T\ \R\ \E\`), highlighting (`\H\ \N\`, dropped), line breaks (`\.br\`, `\.sp n\`:
    /// n of them), the other formatting commands of FT (`\.fi\ \.nf\ \.ce\ \.in n\ \.ti n\`,
    /// dropped; `\.sk n\`: n spaces), bytes in hexadecimal (`\Xhh…\`, read in the message's
    /// character set) and the character-set switches `\Cxxyy\` and `\Mxxyyzz\` (ISO 2022; only the
    /// switches to ASCII and to 8859/1 are read, and only in a message of that family). An escape
    /// character without a second one is text. Any other sequence is an error naming it.
    pub fn unescape(&self, text: &str, charset: Charset) -> Result<String, EscapeError> {
        let e = self.escape;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(e) {
            out.push_str(&rest[..start]);
            let after = &rest[start + e.len_utf8()..];
            let Some(end) = after.find(e) else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            self.escaped(&after[..end], charset, &mut out)?;
            rest = &after[end + e.len_utf8()..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn escaped(
        &self,
        sequence: &str,
        charset: Charset,
        out: &mut String,
    ) -> Result<(), EscapeError> {
        let e = self.escape;
        let written = || format!("{e}{sequence}{e}");
        let count = |argument: &str| -> Result<usize, EscapeError> {
            match argument.trim() {
                "" => Ok(1),
                number => number
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n <= 1000)
                    .ok_or_else(|| EscapeError::Count {
                        sequence: written(),
                    }),
            }
        };
        match sequence {
            "F" => out.push(self.field),
            "S" => out.push(self.component),
            "T" => out.push(self.subcomponent),
            "R" => out.push(self.repetition),
            "E" => out.push(e),
            "H" | "N" | ".fi" | ".nf" | ".ce" => {}
            ".br" => out.push('\n'),
            _ if sequence.starts_with(".sp") => out.push_str(&"\n".repeat(count(&sequence[3..])?)),
            _ if sequence.starts_with(".sk") => out.push_str(&" ".repeat(count(&sequence[3..])?)),
            _ if sequence.starts_with(".in") || sequence.starts_with(".ti") => {
                // Indents: a number, possibly negative; nothing to write.
                let argument = sequence[3..].trim().trim_start_matches(['-', '+']);
                if !argument.is_empty() && argument.parse::<u32>().is_err() {
                    return Err(EscapeError::Indent {
                        sequence: written(),
                    });
                }
            }
            _ if sequence.starts_with('X') => {
                let bytes = hex(&sequence[1..]).ok_or_else(|| EscapeError::Hex {
                    sequence: written(),
                })?;
                let text = charset
                    .decode(&bytes)
                    .map_err(|error| EscapeError::HexBytes {
                        sequence: written(),
                        error,
                    })?;
                out.push_str(&text);
            }
            "C2842" | "C2D41" if !matches!(charset, Charset::Utf8) => {}
            _ if sequence.starts_with('C') || sequence.starts_with('M') => {
                return Err(EscapeError::Switch {
                    sequence: written(),
                })
            }
            _ => {
                return Err(EscapeError::Unknown {
                    sequence: written(),
                    escape: e,
                })
            }
        }
        Ok(())
    }
}

/// The bytes of `\Xhh…\`, or `None` unless the digits are pairs of hexadecimal digits.
fn hex(digits: &str) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(
        (0..digits.len() / 2)
            .map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).expect("hex digits"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Delimiters = Delimiters {
        field: '|',
        component: '^',
        repetition: '~',
        escape: '\\',
        subcomponent: '&',
    };

    fn read(text: &str) -> Result<String, EscapeError> {
        D.unescape(text, Charset::Utf8)
    }

    #[test]
    fn every_escape_of_chapter_2_is_read() {
        assert_eq!(read(r"a\F\b\S\c\T\d\R\e\E\f").unwrap(), "a|b^c&d~e\\f");
        assert_eq!(read(r"\H\Bold\N\ text").unwrap(), "Bold text");
        assert_eq!(
            read(r"one\.br\two\.sp 2\three\.sp\four").unwrap(),
            "one\ntwo\n\nthree\nfour"
        );
        assert_eq!(
            read(r"\.fi\\.nf\\.in 4\\.ti -2\\.ce\a\.sk 3\b").unwrap(),
            "a   b"
        );
        assert_eq!(read(r"\X0D0A\").unwrap(), "\r\n");
        assert_eq!(read(r"\XE282AC\ 5").unwrap(), "€ 5");
        assert_eq!(read(r"C:\ no second").unwrap(), r"C:\ no second");
        let latin = Charset::named("8859/1").unwrap();
        assert_eq!(D.unescape(r"\XE9\", latin).unwrap(), "é");
        assert_eq!(D.unescape(r"\C2D41\caf\XE9\", latin).unwrap(), "café");
    }

    #[test]
    fn escaped_text_reads_back_as_written() {
        let text = "a|b^c~d\\e&f\nline two\r\nline three";
        let escaped = Delimiters::DEFAULT.escape(text);
        assert!(
            !escaped.contains(['|', '^', '~', '&', '\n', '\r']),
            "{escaped}"
        );
        assert_eq!(
            read(&escaped).unwrap(),
            "a|b^c~d\\e&f\nline two\nline three"
        );
    }

    #[test]
    fn an_unknown_or_malformed_escape_is_named() {
        assert!(read(r"C:\temp\file")
            .unwrap_err()
            .to_string()
            .contains(r"\temp\ is not an HL7 escape"));
        assert!(read(r"\XE2\")
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
        assert!(read(r"\X0\")
            .unwrap_err()
            .to_string()
            .contains("pairs of hexadecimal digits"));
        assert!(read(r"\M2442\")
            .unwrap_err()
            .to_string()
            .contains("another character set"));
        assert!(read(r"\.sp many\")
            .unwrap_err()
            .to_string()
            .contains("needs a number"));
    }

    #[test]
    fn character_sets_are_read_as_msh_18_names_them_or_refused_in_words() {
        assert_eq!(
            Charset::named("8859/1")
                .unwrap()
                .decode(b"caf\xe9")
                .unwrap(),
            "café"
        );
        assert_eq!(
            Charset::named("UNICODE UTF-8")
                .unwrap()
                .decode("café".as_bytes())
                .unwrap(),
            "café"
        );
        let not_utf8 = Charset::named("")
            .unwrap()
            .decode(b"caf\xe9")
            .unwrap_err()
            .to_string();
        assert!(
            not_utf8.contains("0xE9 is not UTF-8") && not_utf8.contains("8859/1"),
            "{not_utf8}"
        );
        assert!(Charset::named("ASCII")
            .unwrap()
            .decode(b"caf\xe9")
            .unwrap_err()
            .to_string()
            .contains("not ASCII"));
        assert!(Charset::named("ISO IR87")
            .unwrap_err()
            .to_string()
            .contains("“ISO IR87” is not one Sieve reads"));
    }
}
