//! The path rules every name in a package obeys, in the archive and in the manifest.
//!
//! A name is relative, `/`-separated, and cannot leave the directory it is
//! extracted into on any common operating system.

use crate::error::PathProblem;

/// Checks one file path (no trailing `/`).
pub(crate) fn check_file(name: &str) -> Result<(), PathProblem> {
    if name.is_empty() {
        return Err(PathProblem::Empty);
    }
    if name.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    for c in name.chars() {
        match c {
            ':' => return Err(PathProblem::Colon),
            '"' | '*' | '<' | '>' | '?' | '|' => return Err(PathProblem::WindowsReserved),
            '\\' => return Err(PathProblem::Backslash),
            c if c.is_control() => return Err(PathProblem::Control),
            _ => {}
        }
    }
    for segment in name.split('/') {
        match segment {
            "" => return Err(PathProblem::EmptySegment),
            "." => return Err(PathProblem::Dot),
            ".." => return Err(PathProblem::DotDot),
            s if s.ends_with('.') || s.ends_with(' ') => {
                return Err(PathProblem::TrailingDotOrSpace)
            }
            s if is_windows_device(s) => return Err(PathProblem::WindowsDevice),
            _ => {}
        }
    }
    Ok(())
}

/// Whether Windows opens a device for this segment: its part before the first
/// `.`, trailing spaces dropped, is a DOS device name in any case (`nul`,
/// `Con.txt`, `COM1 .log`, `LPT\u{b9}`).
fn is_windows_device(segment: &str) -> bool {
    let stem = segment
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => ["COM", "LPT"].iter().any(|prefix| {
            upper.strip_prefix(prefix).is_some_and(|n| {
                let mut chars = n.chars();
                matches!(
                    chars.next(),
                    Some('0'..='9' | '\u{b9}' | '\u{b2}' | '\u{b3}')
                ) && chars.next().is_none()
            })
        }),
    }
}

/// Checks a ZIP entry name: a file path, or a directory path followed by one `/`.
pub(crate) fn check_entry(name: &str) -> Result<(), PathProblem> {
    match name.strip_suffix('/') {
        Some("") => Err(PathProblem::Absolute),
        Some(dir) => check_file(dir),
        None => check_file(name),
    }
}

/// The key under which two names count as the same file on a case-insensitive
/// or normalizing file system (NTFS, APFS, HFS+): the canonical decomposition,
/// each character upper- then lowercased, which folds `ſ` with `s`, `ς` with `σ`
/// and `ß` with `ss` (erring towards more collisions, never fewer).
/// It works character by character, so `/` stays where it was.
pub(crate) fn fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let cases: &[(&str, Result<(), PathProblem>)] = &[
            ("bin/tool", Ok(())),
            ("a", Ok(())),
            ("scripts/post-install.sh", Ok(())),
            ("", Err(PathProblem::Empty)),
            ("/etc/passwd", Err(PathProblem::Absolute)),
            ("C:/x", Err(PathProblem::Colon)),
            ("a:b", Err(PathProblem::Colon)),
            ("a?b", Err(PathProblem::WindowsReserved)),
            ("a\"b", Err(PathProblem::WindowsReserved)),
            ("a*", Err(PathProblem::WindowsReserved)),
            ("<a>", Err(PathProblem::WindowsReserved)),
            ("a|b", Err(PathProblem::WindowsReserved)),
            ("a\\b", Err(PathProblem::Backslash)),
            ("a\u{0}b", Err(PathProblem::Control)),
            ("a\u{1b}[31m", Err(PathProblem::Control)),
            ("a\u{85}", Err(PathProblem::Control)),
            ("a//b", Err(PathProblem::EmptySegment)),
            ("a/", Err(PathProblem::EmptySegment)),
            ("./a", Err(PathProblem::Dot)),
            ("a/./b", Err(PathProblem::Dot)),
            ("../a", Err(PathProblem::DotDot)),
            ("a/../../b", Err(PathProblem::DotDot)),
            ("a/..", Err(PathProblem::DotDot)),
            (".../a/b", Err(PathProblem::TrailingDotOrSpace)),
            ("bin/tool.", Err(PathProblem::TrailingDotOrSpace)),
            ("bin /tool", Err(PathProblem::TrailingDotOrSpace)),
            ("scripts/CON", Err(PathProblem::WindowsDevice)),
            ("nul", Err(PathProblem::WindowsDevice)),
            ("a/Aux.txt", Err(PathProblem::WindowsDevice)),
            ("com1/x", Err(PathProblem::WindowsDevice)),
            ("LPT9.log", Err(PathProblem::WindowsDevice)),
            ("COM\u{b9}", Err(PathProblem::WindowsDevice)),
            ("CON .txt", Err(PathProblem::WindowsDevice)),
            ("conin$", Err(PathProblem::WindowsDevice)),
            ("console", Ok(())),
            ("com10", Ok(())),
            ("lpt", Ok(())),
            ("a.con", Ok(())),
            ("nullable/x", Ok(())),
            (".hidden", Ok(())),
            ("a.b/c", Ok(())),
        ];
        for (name, want) in cases {
            assert_eq!(check_file(name), *want, "{name:?}");
        }
        assert_eq!(check_entry("bin/"), Ok(()));
        assert_eq!(check_entry("/"), Err(PathProblem::Absolute));
        assert_eq!(check_entry("../"), Err(PathProblem::DotDot));
        assert_eq!(check_entry("a//"), Err(PathProblem::EmptySegment));
    }

    #[test]
    fn folding_matches_case_and_unicode_forms() {
        assert_eq!(fold("Bin/Tool"), fold("bin/tool"));
        assert_eq!(fold("caf\u{e9}"), fold("cafe\u{301}"));
        assert_eq!(fold("bin/\u{17f}h"), fold("bin/sh"));
        assert_eq!(fold("\u{3c2}"), fold("\u{3c3}"));
        assert_eq!(fold("stra\u{df}e"), fold("STRASSE"));
        let name = "A/\u{17f}b/C\u{e9}";
        let folded = fold(name);
        for (cut, _) in name.match_indices('/') {
            assert!(folded.starts_with(&fold(&name[..cut])));
        }
        assert_ne!(fold("a"), fold("b"));
    }
}
