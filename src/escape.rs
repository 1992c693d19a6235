//! The one rule for showing a string from a package to a person, and the one
//! way the JSON report is written.
//!
//! Certificate subjects, signature names, entry paths, the manifest's name and
//! version, and every error message that embeds them are kept exactly as the
//! package has them: in the library's types, in [`Error`](crate::Error)'s
//! `Display` and in the JSON report. They are escaped where they are shown,
//! for the medium they are shown in. For a terminal that is [`Escaped`]: a
//! hostile certificate name cannot then move the cursor, erase a line, hide
//! text or reorder it (carriage return, `ESC[2K`, `ESC[1A`, `ESC[8m`, bidi
//! overrides). For JSON it is [`json_line`]: the object stays one line for
//! every line splitter, including those that break on U+2028, U+2029 and U+0085.

use std::fmt::{self, Write as _};
use std::io;

use serde::Serialize;

/// Whether [`Escaped`] shows `c` as an escape rather than as itself: every
/// control (general category Cc: U+0000-001F, DEL, U+0080-009F), format
/// character (Cf: soft hyphen, zero-width characters, bidi marks, embeddings,
/// overrides and isolates, the byte-order mark, interlinear annotation, tag
/// characters, ...), line separator (Zl, U+2028) and paragraph separator
/// (Zp, U+2029), as of Unicode 15.1.
///
/// These are the characters a terminal acts on or draws as nothing: none of
/// them can be told apart from its neighbours when shown raw. Spaces other
/// than U+0020, unassigned and private-use characters are shown as they are.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_format_or_separator(c)
}

/// General categories Cf, Zl and Zp (Unicode 15.1; std's `char::is_control`
/// is Cc only). The ranges are those of the Unicode Character Database.
fn is_format_or_separator(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// Shows a string (or anything `Display`) on a terminal with every character
/// of [`needs_escape`] written as a visible escape, `\u{1b}` for ESC, and
/// every backslash doubled, so that a literal `\u{1b}` in the input (shown
/// `\\u{1b}`) cannot pass for an escape. Everything else is written as is.
///
/// ```
/// use pkgverify::Escaped;
///
/// let cn = "CN=Evil\r\u{1b}[2K\u{1b}[1AVERIFIED\u{202e}";
/// assert_eq!(
///     Escaped(cn).to_string(),
///     r"CN=Evil\u{d}\u{1b}[2K\u{1b}[1AVERIFIED\u{202e}"
/// );
/// assert_eq!(Escaped(r"C:\u{1b}").to_string(), r"C:\\u{1b}");
/// ```
///
/// A width pads the escaped text (`{:>20}`); the precision is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() {
            let mut text = String::new();
            write!(EscapingWriter(&mut text), "{}", self.0)?;
            return f.pad(&text);
        }
        write!(EscapingWriter(f), "{}", self.0)
    }
}

/// Forwards to `W`, escaping by the rule of [`Escaped`].
struct EscapingWriter<W>(W);

impl<W: fmt::Write> fmt::Write for EscapingWriter<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(|c: char| c == '\\' || needs_escape(c)) {
            let (plain, tail) = rest.split_at(at);
            self.0.write_str(plain)?;
            let mut chars = tail.chars();
            match chars.next() {
                Some('\\') => self.0.write_str(r"\\")?,
                Some(c) => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
                None => {}
            }
            rest = chars.as_str();
        }
        self.0.write_str(rest)
    }
}

/// `value` as one line of compact JSON in which, beyond what serde_json
/// escapes (`"`, `\` and U+0000-001F), every character of [`needs_escape`] is
/// written `\uXXXX` (a surrogate pair above U+FFFF): U+2028, U+2029 and
/// U+0085, which Unicode line splitters break on, as well as DEL, the other
/// C1 controls and the format characters. The output is pure JSON and parses
/// back to exactly the same strings.
pub(crate) fn json_line<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, LineSafe,
    ))?;
    String::from_utf8(out)
        .map_err(|e| serde_json::Error::io(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// serde_json's compact formatter, but string contents are escaped by the rule
/// of [`json_line`].
struct LineSafe;

impl serde_json::ser::Formatter for LineSafe {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut rest = fragment;
        while let Some(at) = rest.find(needs_escape) {
            let (plain, tail) = rest.split_at(at);
            writer.write_all(plain.as_bytes())?;
            let mut chars = tail.chars();
            if let Some(c) = chars.next() {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            rest = chars.as_str();
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        Escaped(s).to_string()
    }

    #[test]
    fn escaper_table() {
        // (input, shown, why)
        let cases: &[(&str, &str, &str)] = &[
            (
                "CN=DTEN Test Signer",
                "CN=DTEN Test Signer",
                "plain ASCII as is",
            ),
            (
                "caf\u{e9} \u{65e5}\u{672c} \u{1f600}",
                "caf\u{e9} \u{65e5}\u{672c} \u{1f600}",
                "letters and emoji as is",
            ),
            (
                "cafe\u{301}",
                "cafe\u{301}",
                "a combining mark is not a control",
            ),
            (
                "a\u{a0}b\u{3000}c",
                "a\u{a0}b\u{3000}c",
                "other spaces are visible as space",
            ),
            ("", "", "empty"),
            ("\r", r"\u{d}", "CR returns the cursor"),
            (
                "\n\t",
                r"\u{a}\u{9}",
                "LF and TAB too: only the program writes lines",
            ),
            (
                "\u{1b}[2K\u{1b}[1A",
                r"\u{1b}[2K\u{1b}[1A",
                "erase line, cursor up",
            ),
            ("\u{1b}[8mhidden", r"\u{1b}[8mhidden", "conceal"),
            ("\u{7}\u{8}\u{0}", r"\u{7}\u{8}\u{0}", "BEL, backspace, NUL"),
            ("\u{7f}", r"\u{7f}", "DEL"),
            (
                "\u{85}\u{9b}\u{9f}",
                r"\u{85}\u{9b}\u{9f}",
                "C1: NEL, CSI, APC",
            ),
            (
                "\u{2028}\u{2029}",
                r"\u{2028}\u{2029}",
                "line and paragraph separators",
            ),
            (
                "abc\u{202e}fed",
                r"abc\u{202e}fed",
                "right-to-left override",
            ),
            (
                "\u{202a}\u{202b}\u{202c}\u{202d}",
                r"\u{202a}\u{202b}\u{202c}\u{202d}",
                "embeddings and pop",
            ),
            (
                "\u{2066}\u{2067}\u{2068}\u{2069}",
                r"\u{2066}\u{2067}\u{2068}\u{2069}",
                "isolates",
            ),
            (
                "\u{61c}\u{200e}\u{200f}",
                r"\u{61c}\u{200e}\u{200f}",
                "bidi marks",
            ),
            (
                "a\u{200b}b\u{200d}c\u{2060}d\u{feff}",
                r"a\u{200b}b\u{200d}c\u{2060}d\u{feff}",
                "zero-width characters and BOM",
            ),
            ("soft\u{ad}hyphen", r"soft\u{ad}hyphen", "soft hyphen (Cf)"),
            (
                "\u{e0001}\u{e0041}",
                r"\u{e0001}\u{e0041}",
                "tag characters above the BMP",
            ),
            ("\\", r"\\", "a backslash is doubled"),
            (
                r"\u{1b}",
                r"\\u{1b}",
                "a literal escape cannot pass for one",
            ),
            ("\\\u{1b}", r"\\\u{1b}", "backslash then ESC"),
        ];
        for (input, shown, why) in cases {
            assert_eq!(esc(input), *shown, "{why}: {input:?}");
        }
    }

    #[test]
    fn a_literal_escape_and_the_character_differ() {
        assert_ne!(esc("\u{1b}"), esc(r"\u{1b}"));
        assert_ne!(esc("\u{202e}"), esc(r"\u{202e}"));
        assert_ne!(esc("\\\u{1b}"), esc(r"\\u{1b}"));
    }

    /// The rule's boundaries, where an off-by-one would hide.
    #[test]
    fn classifier_boundaries() {
        let escaped = [
            '\u{0}',
            '\u{1f}',
            '\u{7f}',
            '\u{80}',
            '\u{9f}',
            '\u{ad}',
            '\u{600}',
            '\u{605}',
            '\u{61c}',
            '\u{6dd}',
            '\u{70f}',
            '\u{890}',
            '\u{891}',
            '\u{8e2}',
            '\u{180e}',
            '\u{200b}',
            '\u{200f}',
            '\u{2028}',
            '\u{202e}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{206f}',
            '\u{feff}',
            '\u{fff9}',
            '\u{fffb}',
            '\u{110bd}',
            '\u{110cd}',
            '\u{13430}',
            '\u{1343f}',
            '\u{1bca0}',
            '\u{1bca3}',
            '\u{1d173}',
            '\u{1d17a}',
            '\u{e0001}',
            '\u{e0020}',
            '\u{e007f}',
        ];
        let shown = [
            ' ',
            '~',
            '\u{a0}',
            '\u{ac}',
            '\u{ae}',
            '\u{606}',
            '\u{200a}',
            '\u{2010}',
            '\u{2027}',
            '\u{202f}',
            '\u{205f}',
            '\u{2065}',
            '\u{2070}',
            '\u{fefe}',
            '\u{ff00}',
            '\u{fff8}',
            '\u{fffc}',
            '\u{fffd}',
            '\u{13440}',
            '\u{1d172}',
            '\u{1d17b}',
            '\u{e0000}',
            '\u{e0002}',
            '\u{e001f}',
            '\u{e0080}',
            '\u{10ffff}',
        ];
        for c in escaped {
            assert!(needs_escape(c), "U+{:04X} must be escaped", u32::from(c));
        }
        for c in shown {
            assert!(
                !needs_escape(c),
                "U+{:04X} is shown as itself",
                u32::from(c)
            );
        }
    }

    /// Every scalar value: shown as itself exactly when the rule allows, and
    /// nothing the rule escapes ever survives.
    #[test]
    fn every_character() {
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            let s = c.to_string();
            let shown = esc(&s);
            assert_eq!(
                shown == s,
                !needs_escape(c) && c != '\\',
                "U+{:04X}",
                u32::from(c)
            );
            assert!(!shown.chars().any(needs_escape), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn display_values_and_width() {
        let e = std::io::Error::other("bad\u{1b}]0;title\u{7}");
        assert_eq!(Escaped(&e).to_string(), r"bad\u{1b}]0;title\u{7}");
        assert_eq!(format!("[{:>5}]", Escaped("\u{7}")), r"[\u{7}]");
        assert_eq!(format!("[{:>7}]", Escaped("\u{7}")), r"[  \u{7}]");
    }

    /// The characters any common line splitter breaks on: `str::lines`,
    /// Python's `str.splitlines`, JavaScript's line terminators, Unicode's.
    const LINE_BREAKS: &[char] = &[
        '\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}',
        '\u{2029}',
    ];

    #[test]
    fn json_is_one_line_for_every_splitter_and_round_trips() {
        let hostile = "CN=x\r\n\u{b}\u{c}\u{1c}\u{1d}\u{1e}\u{85}\u{2028}\u{2029}\u{7f}\u{9b}\u{202e}\u{feff}\u{e0001}\\\"\u{1b}[2K caf\u{e9}";
        let mut value = serde_json::json!({ "subject": hostile });
        value[hostile] = serde_json::json!([hostile]);
        let line = json_line(&value).unwrap();
        assert!(!line.contains(LINE_BREAKS), "{line:?}");
        assert!(!line.chars().any(needs_escape), "{line:?}");
        for escape in [
            r"\u0085",
            r"\u2028",
            r"\u2029",
            r"\u007f",
            r"\u202e",
            r"\udb40\udc01",
        ] {
            assert!(line.contains(escape), "{escape} in {line}");
        }
        assert!(
            line.contains("caf\u{e9}"),
            "letters stay as they are: {line}"
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
        assert_eq!(back["subject"], hostile);
    }

    #[test]
    fn json_without_hostile_characters_is_serde_json_compact() {
        let value = serde_json::json!({"a": [1, "b\u{e9}\n", null, true, 2.5], "c": {}});
        assert_eq!(
            json_line(&value).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }
}
