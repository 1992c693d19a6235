//! TOML reader errors in plain words, with the key and the line: one rule
//! for every TOML file pkgverify reads (the trust policy, the preflight
//! inventory).

/// The key whose value starts at or spans byte offset `at`: the text
/// before `=` on that line, if there is one.
pub(crate) fn key_at(text: &str, at: usize) -> Option<String> {
    let start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

/// A TOML reader's type error in plain words, naming the key: serde's
/// "invalid type: map, expected a sequence" becomes "`intermediates`
/// must be a list (`[...]`), not a table".
pub(crate) fn plain_toml(message: &str, key: Option<&str>) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return match key {
            Some(k) => format!("`{k}`: {message}"),
            None => message.to_owned(),
        };
    };
    let (found, expected) = rest
        .split_once(", expected ")
        .unwrap_or((rest, "another type"));
    let word = |t: &str| -> String {
        let t = t.trim();
        let head = t.split(' ').next().unwrap_or(t);
        match head {
            "map" => "a table ({ ... } or [section])".into(),
            "sequence" | "a" if t.contains("sequence") => "a list ([...])".into(),
            "string" => format!("a string{}", t.strip_prefix("string").unwrap_or("")),
            "integer" | "i64" => format!("a whole number{}", t.strip_prefix(head).unwrap_or("")),
            "boolean" => format!("true or false{}", t.strip_prefix("boolean").unwrap_or("")),
            "floating" => "a number with a fraction".into(),
            _ => t.to_owned(),
        }
    };
    let expected = match expected.trim() {
        "a sequence" => "a list ([...])".to_owned(),
        "i64" | "u64" | "an integer" => "a whole number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "a string" => "a string (\"...\")".to_owned(),
        e if e.starts_with("struct") || e == "a map" => "a table".to_owned(),
        e => e.to_owned(),
    };
    let subject = key.map_or_else(|| "the value".to_owned(), |k| format!("`{k}`"));
    format!("{subject} must be {expected}, not {}", word(found))
}

/// The 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(at)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
