//! What counts as a credential: a literal value assigned to a key or
//! variable named like a password, secret, token, API key or private key
//! (not a file or path name, not a reference, not empty, not a
//! placeholder), a PEM private-key block, and well-known access-key formats.

/// Last words that make a key a credential's name (`DB_PASSWORD`,
/// `db.passwd`, `apiToken`, `client_secret`).
const SECRET_LAST: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "secretkey",
];

/// Last two words, joined, that make a key a credential's name
/// (`api_key`, `X-Api-Key`, `private_key`, `secret_key`, `access_key`
/// when it is an access key's secret half: `secret_access_key`).
const SECRET_PAIRS: &[&str] = &["apikey", "privatekey", "secretkey", "accesskey", "authkey"];

/// The words of a key's last part: `db.password` → [password];
/// `DB_PASSWORD_FILE` → [db, password, file]; `apiToken` → [api, token].
fn words(key: &str) -> Vec<String> {
    let last = key
        .trim_matches(|c| c == '"' || c == '\'')
        .rsplit(['.', '/', ':'])
        .next()
        .unwrap_or(key);
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in last.chars() {
        if c == '_' || c == '-' || c == ' ' {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether `key` names a credential: the last word of its last part (a
/// trailing number aside: `password2`, `PASS_1`) is a secret word, or its
/// last two words are a secret pair. The last word decides, so a key about
/// a credential rather than holding one is not one: `password_file`,
/// `token_expiry_seconds`, `password_encryption`, `PASS_COLOR`,
/// `SECRET_SUFFIX`, `TOKEN_SCOPE`.
pub(crate) fn is_credential_key(key: &str) -> bool {
    let mut w = words(key);
    while w.len() > 1
        && w.last()
            .is_some_and(|x| x.bytes().all(|b| b.is_ascii_digit()))
    {
        w.pop();
    }
    let Some(last) = w.last() else {
        return false;
    };
    let last = last.trim_end_matches(|c: char| c.is_ascii_digit());
    if SECRET_LAST.contains(&last) {
        return true;
    }
    match w.as_slice() {
        [.., a, b] => SECRET_PAIRS.contains(
            &format!(
                "{a}{last}",
                last = b.trim_end_matches(|c: char| c.is_ascii_digit())
            )
            .as_str(),
        ),
        _ => false,
    }
}

/// Whether the words of `key`'s last part end like a host or URL's name
/// (`db.host`, `sync_url`, `SERVER`, `apiEndpoint`).
pub(crate) fn is_host_key(key: &str) -> bool {
    words(key).last().is_some_and(|l| {
        matches!(
            l.as_str(),
            "host"
                | "hostname"
                | "hosts"
                | "url"
                | "urls"
                | "uri"
                | "endpoint"
                | "endpoints"
                | "server"
                | "servers"
        )
    })
}

/// Whether `value` is a literal secret: not empty, not a reference
/// (`$VAR`, `${VAR}`, `$(cmd)`, `%(x)s`, `{{ x }}`, `%{x}`, `#{x}`,
/// `ENC(...)`, `vault:...`), not a placeholder (`<...>`, `***`, `xxx`),
/// not a boolean or null word, not a path, not a number of fewer than
/// four digits. `quoted_only`: only a quoted
/// value counts (assignments in programs, where anything else is an
/// expression).
pub(crate) fn is_literal(value: &str, quoted_only: bool) -> bool {
    let v = value.trim();
    let (inner, quoted) = unquote(v);
    if quoted_only && !quoted {
        return false;
    }
    let v = inner.trim();
    if v.is_empty() {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    let references = ["${", "$(", "%(", "{{", "%{", "#{", "@@", "{cipher}"];
    if v.starts_with('$')
        || references.iter().any(|r| v.contains(r))
        || lower.starts_with("enc(")
        || lower.starts_with("vault:")
        || lower.starts_with("!vault")
        || lower.starts_with("env:")
        || lower.starts_with("file:")
        || lower.starts_with("ref+")
    {
        return false;
    }
    if (v.starts_with('<') && v.ends_with('>')) || v.starts_with('{') || v.starts_with('[') {
        return false;
    }
    if v.chars()
        .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#' | '?'))
    {
        return false;
    }
    if matches!(
        lower.as_str(),
        "null"
            | "none"
            | "nil"
            | "~"
            | "undefined"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
    ) {
        return false;
    }
    if v.starts_with('/') || v.starts_with("./") || v.starts_with("~/") {
        return false;
    }
    // A counter, flag or port (`PASS=0`), not a password.
    if v.len() < 4 && v.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    true
}

/// A value without its quotes, and whether it had them.
pub(crate) fn unquote(v: &str) -> (&str, bool) {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return (inner, true);
        }
    }
    (v, false)
}

/// What well-known secret `line` holds, if any: a PEM private-key block's
/// start, or an access key of a known format (never AWS's documented
/// `...EXAMPLE` keys).
pub(crate) fn known_format(line: &str) -> Option<&'static str> {
    if !might_hold_secret(line.as_bytes()) {
        return None;
    }
    if let Some(at) = line.find("-----BEGIN ") {
        let from = line.get(at..).unwrap_or_default();
        if let Some(end) = from.find("PRIVATE KEY-----") {
            // The key follows: on the next lines (nothing after the header)
            // or after an escaped newline (`\n` in JSON). A header alone in
            // quotes (`START = "-----BEGIN ... KEY-----"`) is a parser's
            // constant.
            let after = from
                .get(end + "PRIVATE KEY-----".len()..)
                .unwrap_or_default()
                .trim();
            if after.is_empty() || after.starts_with("\\n") || after.starts_with("\\r\\n") {
                return Some("a PEM private-key block");
            }
        }
    }
    let token_at = |prefix: &str, min: usize, charset: fn(char) -> bool| -> bool {
        let mut from = 0;
        while let Some(i) = line.get(from..).and_then(|r| r.find(prefix)) {
            let start = from + i;
            let boundary = line
                .get(..start)
                .and_then(|b| b.chars().last())
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            let rest = line.get(start + prefix.len()..).unwrap_or_default();
            let n = rest.chars().take_while(|c| charset(*c)).count();
            if boundary && n >= min && !rest.get(..n).unwrap_or_default().contains("EXAMPLE") {
                return true;
            }
            from = start + prefix.len();
        }
        false
    };
    let upper_digit = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let alnum_us = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let slack = |c: char| c.is_ascii_alphanumeric() || c == '-';
    if (token_at("AKIA", 16, upper_digit) || token_at("ASIA", 16, upper_digit))
        && !line.contains("EXAMPLE")
    {
        return Some("an AWS access key ID");
    }
    if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|p| token_at(p, 36, alnum))
        || token_at("github_pat_", 22, alnum_us)
    {
        return Some("a GitHub token");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
        .iter()
        .any(|p| token_at(p, 10, slack))
    {
        return Some("a Slack token");
    }
    if token_at("glpat-", 20, slack) {
        return Some("a GitLab token");
    }
    if token_at("sk_live_", 24, alnum) {
        return Some("a Stripe secret key");
    }
    if token_at("AIza", 35, |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    }) {
        return Some("a Google API key");
    }
    None
}

/// One pass over the line: whether any known secret's start is in it
/// (most lines have none, and skip the searches below).
fn might_hold_secret(b: &[u8]) -> bool {
    const STARTS: &[&[u8]] = &[
        b"-----BEGIN ",
        b"AKIA",
        b"ASIA",
        b"AIza",
        b"ghp_",
        b"gho_",
        b"ghu_",
        b"ghs_",
        b"ghr_",
        b"github_pat_",
        b"glpat-",
        b"xox",
        b"sk_live_",
    ];
    b.iter().enumerate().any(|(i, c)| {
        matches!(c, b'-' | b'A' | b'g' | b'x' | b's')
            && b.get(i..)
                .is_some_and(|rest| STARTS.iter().any(|s| rest.starts_with(s)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_key_names() {
        for key in [
            "password",
            "DB_PASSWORD",
            "db.password",
            "apiToken",
            "api_key",
            "API-KEY",
            "private_key",
            "client_secret",
            "SECRET",
            "dten.sftp.passwd",
            "MYSQL_PWD",
            "ACCESS_TOKEN",
            "secretKey",
            "spring.datasource.password",
            "\"password\"",
            "DB_PASS",
            "ssh_passphrase",
        ] {
            assert!(is_credential_key(key), "{key}");
        }
        for key in [
            "password_file",
            "DB_PASSWORD_FILE",
            "token_path",
            "secret_name",
            "token_ttl",
            "password_min_length",
            "passwordPolicy",
            "tokenizer",
            "max_tokens",
            "bypass",
            "compass",
            "host",
            "user",
            "keyfile",
            "PASSWORD_REQUIRED",
            "secret_dir",
            "passenger",
            "client_id",
            "private_key_path",
            "token_url",
        ] {
            assert!(!is_credential_key(key), "{key}");
        }
    }

    #[test]
    fn literal_values() {
        for v in [
            "hunter2",
            "\"S3cr3t!\"",
            "'changeme'",
            "12345678",
            "p@ss word",
        ] {
            assert!(is_literal(v, false), "{v}");
        }
        for v in [
            "",
            "\"\"",
            "$DB_PASSWORD",
            "${DB_PASSWORD}",
            "\"${DB_PASSWORD:-}\"",
            "$(cat /run/secrets/db)",
            "%(password)s",
            "0",
            "443",
            "{{ vault_db_password }}",
            "<your password here>",
            "***",
            "xxxxxx",
            "ENC(AbCdEf==)",
            "true",
            "null",
            "/run/secrets/db",
            "${file:/etc/pw}",
            "#{password}",
        ] {
            assert!(!is_literal(v, false), "{v}");
        }
        assert!(!is_literal("os.environ['X']", true));
        assert!(is_literal("\"literal\"", true));
    }

    #[test]
    fn known_formats() {
        assert!(known_format("-----BEGIN RSA PRIVATE KEY-----").is_some());
        assert!(known_format("-----BEGIN OPENSSH PRIVATE KEY-----").is_some());
        assert!(known_format("-----BEGIN PUBLIC KEY-----").is_none());
        assert!(known_format("_SK_START = b\"-----BEGIN OPENSSH PRIVATE KEY-----\"").is_none());
        assert!(known_format("  \"key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\"").is_some());
        assert!(known_format("-----BEGIN CERTIFICATE-----").is_none());
        assert!(known_format("aws_access_key_id = AKIAZ7Q3EXAMPLEQ3X5J").is_none());
        assert!(known_format("aws_access_key_id = AKIAIOSFODNN7EXAMPLE").is_none());
        assert!(known_format("key=AKIAZ7Q3N4K2LMW5R8TP").is_some());
        assert!(known_format("XAKIAZ7Q3N4K2LMW5R8TP").is_none());
        assert!(known_format(&format!("token: ghp_{}", "a1B2".repeat(9))).is_some());
        assert!(known_format("ghp_short").is_none());
        assert!(known_format("SLACK=xoxb-1234567890-abcdefghij").is_some());
        assert!(known_format("see xox-docs").is_none());
    }

    #[test]
    fn host_key_names() {
        for key in [
            "db.host",
            "sync_url",
            "SERVER",
            "apiEndpoint",
            "baseUrl",
            "DATABASE_URL",
            "smtp.server",
        ] {
            assert!(is_host_key(key), "{key}");
        }
        for key in [
            "dten.sync.period",
            "hostile",
            "url_timeout",
            "server_name",
            "user",
        ] {
            assert!(!is_host_key(key), "{key}");
        }
    }
}
