//! The scan: a content sink of the verification pipeline that reads each
//! payload entry's text as it is hashed, line by line, and keeps what it
//! observes only for entries that verified.
//!
//! Bounded whatever the payload holds: only the first [`SCAN_BYTES`] of an
//! entry are read; an entry is text when its first [`SNIFF_BYTES`] hold no
//! NUL byte (buffered until decided); a line is read up to [`MAX_LINE`]
//! bytes and the rest of it skipped; at most
//! [`MAX_KEPT`](super::observe::MAX_KEPT) observations of each kind are kept
//! per entry and for the package. Per entry the scan holds the sniff buffer,
//! one line, a few hundred remembered shell variables and its kept
//! observations.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::manifest::FileEntry;
use crate::sink::{EntrySink, Sink};

use super::hosts;
use super::inventory::Inventory;
use super::observe::{Found, Observations, Seen, Via};
use super::schedule::{cron_line, timer_trigger};
use super::secrets::{is_credential_key, is_host_key, is_literal, known_format, unquote};
use super::shell::{self, Body, Heredoc, MAX_VARS, MAX_VAR_VALUE};
use super::sql::{sql_line, SqlState};

/// Bytes read from the start of each entry; the rest is not scanned.
pub(crate) const SCAN_BYTES: u64 = 1 << 20;
/// Bytes that decide whether an entry is text (no NUL among them).
pub(crate) const SNIFF_BYTES: usize = 8 << 10;
/// Longest line read; the rest of a longer line is skipped.
pub(crate) const MAX_LINE: usize = 4 << 10;
/// Most trigger settings remembered for one timer unit.
const MAX_TRIGGERS: usize = 16;

/// What an entry is, by its path (and, without a telling name, its first
/// line's `#!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Shell script (`.sh`, or `#!/bin/sh`, bash, dash, ksh, zsh).
    Shell,
    /// A script run by cron.hourly, cron.daily, ...: shell, and a task.
    Periodic(&'static str),
    /// A program in another language: URLs, quoted credential assignments.
    Program,
    /// Configuration (`.conf`, `.ini`, `.properties`, `.yaml`, `.toml`,
    /// `.json`, `.env`, ...): key = value lines.
    Config,
    /// SQL.
    Sql,
    /// A crontab; `user_field` for a system one.
    Cron { user_field: bool },
    /// A systemd unit; `timer` for a `.timer`.
    Systemd { timer: bool },
    /// Documentation: only private keys and access keys.
    Document,
    /// Not known from the name: decided by the first line.
    Unknown,
    /// Other text (no `#!`): URLs and well-known secrets.
    Other,
}

fn classify(path: &str) -> Kind {
    let lower = path.to_ascii_lowercase();
    let mut parts = lower.rsplit('/');
    let name = parts.next().unwrap_or_default();
    let parent = parts.next().unwrap_or_default();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    if lower.split('/').any(|c| c == "cron.d") || name == "crontab" {
        return Kind::Cron { user_field: true };
    }
    if matches!(ext, "cron" | "crontab") {
        return Kind::Cron { user_field: false };
    }
    for period in ["hourly", "daily", "weekly", "monthly"] {
        if parent.strip_prefix("cron.") == Some(period) {
            return Kind::Periodic(match period {
                "hourly" => "@hourly",
                "daily" => "@daily",
                "weekly" => "@weekly",
                _ => "@monthly",
            });
        }
    }
    // Package metadata of bundled software (homepage and repository URLs),
    // and nsswitch.conf (whose `passwd:` is a database, not a secret).
    let metadata = [
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "bower.json",
        "composer.json",
        "composer.lock",
        "pyproject.toml",
        "setup.cfg",
        "pkg-info",
        "metadata",
        "cargo.toml",
        "cargo.lock",
        "pom.xml",
        "go.mod",
        "go.sum",
        "gemfile.lock",
        "yarn.lock",
        "nsswitch.conf",
    ];
    if metadata.contains(&name) || name.ends_with(".gemspec") || name.ends_with(".nuspec") {
        return Kind::Document;
    }
    if name == ".env" || name.starts_with(".env.") {
        return Kind::Config;
    }
    // Credential files of FTP/HTTP clients and of PostgreSQL clients.
    if matches!(name, ".netrc" | "netrc" | "_netrc" | ".pgpass" | "pgpass") {
        return Kind::Config;
    }
    // An extension that says what the file is decides over its name
    // (`license-server.conf` is configuration, `README.md` documentation).
    let by_extension = match ext {
        "sh" | "bash" | "ksh" | "zsh" | "dash" => Some(Kind::Shell),
        "sql" => Some(Kind::Sql),
        "conf" | "cfg" | "cnf" | "ini" | "properties" | "props" | "yaml" | "yml" | "toml"
        | "json" | "env" | "config" | "xml" => Some(Kind::Config),
        "service" | "socket" | "mount" | "path" => Some(Kind::Systemd { timer: false }),
        "timer" => Some(Kind::Systemd { timer: true }),
        _ => None,
    };
    if let Some(kind) = by_extension {
        return kind;
    }
    let documents = [
        "readme",
        "license",
        "licence",
        "changelog",
        "changes",
        "notice",
        "copying",
        "authors",
        "news",
        "history",
        "copyright",
    ];
    if documents.iter().any(|d| name.starts_with(d)) {
        return Kind::Document;
    }
    match ext {
        "md" | "txt" | "rst" | "adoc" | "html" | "htm" | "pdf" | "1" | "5" | "8" | "catalog" => {
            Kind::Document
        }
        "py" | "pl" | "rb" | "js" | "ts" | "php" | "lua" | "ps1" | "groovy" | "java" | "go"
        | "rs" | "c" | "h" | "cpp" | "cs" | "kt" | "scala" | "tcl" => Kind::Program,
        // No extension, or one that says nothing (`.postinst`, `.in`):
        // the first line decides (`#!/bin/sh`).
        _ => Kind::Unknown,
    }
}

/// `key = value`, `key: value`, `"key": "value",`, `export KEY=value`, a
/// YAML list item's `- key: value`: the key, the value (unquoted) and
/// whether it was quoted.
fn key_value(line: &str) -> Option<(&str, &str, bool)> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    let t = t.strip_prefix("export ").unwrap_or(t).trim_start();
    let (key, rest) = if let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let body = t.get(1..)?;
        let end = body.find(q)?;
        (body.get(..end)?, body.get(end + 1..)?)
    } else {
        let end = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(t.len());
        (t.get(..end)?, t.get(end..)?)
    };
    if key.is_empty() {
        return None;
    }
    let rest = rest.trim_start();
    let value = if let Some(v) = rest.strip_prefix('=') {
        if v.starts_with('=') {
            return None;
        }
        v
    } else if let Some(v) = rest.strip_prefix(':') {
        if !(v.is_empty() || v.starts_with(char::is_whitespace)) {
            return None;
        }
        v
    } else {
        return None;
    };
    let value = value.trim();
    let value = value.strip_suffix(',').unwrap_or(value).trim_end();
    if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let body = value.get(1..)?;
        let end = body.find(q)?;
        return Some((key, body.get(..end)?, true));
    }
    if value.starts_with('#') || value.starts_with(';') {
        return Some((key, "", false));
    }
    let value = match value.find(" #").or_else(|| value.find(" ;")) {
        Some(i) => value.get(..i).unwrap_or(value),
        None => value,
    };
    Some((key, value.trim(), false))
}

/// Every `"key": "value"` pair on a line of JSON (or YAML written as JSON).
fn json_pairs(line: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let after = rest.get(start + 1..).unwrap_or_default();
        let Some(end) = after.find('"') else { break };
        let key = after.get(..end).unwrap_or_default();
        let tail = after.get(end + 1..).unwrap_or_default().trim_start();
        let Some(value) = tail.strip_prefix(':').map(str::trim_start) else {
            rest = after.get(end + 1..).unwrap_or_default();
            continue;
        };
        if let Some(v) = value.strip_prefix('"') {
            let mut close = None;
            let mut escaped = false;
            for (i, c) in v.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        close = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let Some(close) = close else { break };
            out.push((key, v.get(..close).unwrap_or_default()));
            rest = v.get(close + 1..).unwrap_or_default();
        } else {
            rest = value;
        }
    }
    out
}

/// On a line of XML: every `<name>value</name>` element and every
/// `name="value"` attribute, as key and value.
fn xml_pairs(line: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    // Elements.
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let after = rest.get(open + 1..).unwrap_or_default();
        let name_len = after.find(|c: char| !name_char(c)).unwrap_or(after.len());
        let name = after.get(..name_len).unwrap_or_default();
        rest = after;
        if name.is_empty() || !after.get(name_len..).unwrap_or_default().starts_with('>') {
            continue;
        }
        let body = after.get(name_len + 1..).unwrap_or_default();
        let close = format!("</{name}>");
        if let Some(end) = body.find(&close) {
            out.push((name, body.get(..end).unwrap_or_default()));
            rest = body.get(end + close.len()..).unwrap_or_default();
        }
    }
    // Attributes.
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let before = rest.get(..eq).unwrap_or_default();
        let name_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| name_char(*c))
            .last()
            .map_or(before.len(), |(i, _)| i);
        let name = before.get(name_start..).unwrap_or_default();
        let after = rest.get(eq + 1..).unwrap_or_default();
        rest = after;
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let body = after.get(1..).unwrap_or_default();
        if let Some(end) = body.find(q) {
            if !name.is_empty()
                && before
                    .get(..name_start)
                    .is_some_and(|b| b.ends_with(char::is_whitespace))
            {
                out.push((name, body.get(..end).unwrap_or_default()));
            }
            rest = body.get(end + 1..).unwrap_or_default();
        }
    }
    out
}

/// Whether a trimmed line is a comment in configuration or program text.
fn is_comment(t: &str) -> bool {
    ["#", ";", "!", "//", "/*", "* ", "--"]
        .iter()
        .any(|c| t.starts_with(c))
        || t == "*"
}

/// One entry's scanning state (everything but the bytes).
pub(crate) struct Detect {
    path: String,
    kind: Kind,
    found: Found,
    vars: BTreeMap<String, String>,
    heredoc: Option<Heredoc>,
    continued: Option<(u64, String)>,
    sql: SqlState,
    schema_change: Option<(u64, &'static str)>,
    locked: bool,
    triggers: Vec<(u64, String)>,
    timer_unit: Option<String>,
    xml_comment: bool,
}

impl Detect {
    fn new(path: &str, inventory: Option<Arc<Inventory>>) -> Self {
        Self {
            path: path.to_owned(),
            kind: classify(path),
            found: Found::new(inventory),
            vars: BTreeMap::new(),
            heredoc: None,
            continued: None,
            sql: SqlState::default(),
            schema_change: None,
            locked: false,
            triggers: Vec::new(),
            timer_unit: None,
            xml_comment: false,
        }
    }

    fn push(&mut self, line: u64, seen: Seen) {
        self.found.push(&self.path, line, seen);
    }

    /// Whether the entry is read as text whatever bytes it holds: a script
    /// (`#!` first, or a script's, crontab's, unit's, SQL or configuration
    /// file's name) is run or read by a program that skips a NUL (`dash`
    /// does), so a NUL early in it must not hide the rest from the scan.
    fn runs_as_text(&self, head: &[u8]) -> bool {
        head.starts_with(b"#!")
            || matches!(
                self.kind,
                Kind::Shell
                    | Kind::Periodic(_)
                    | Kind::Config
                    | Kind::Sql
                    | Kind::Cron { .. }
                    | Kind::Systemd { .. }
            )
    }

    fn credential(&mut self, line: u64, what: String) {
        self.push(line, Seen::Credential { what });
    }

    /// One line of the entry (1-based `no`), at most [`MAX_LINE`] bytes.
    fn line(&mut self, no: u64, text: &str) {
        if no == 1 {
            if let Kind::Periodic(p) = self.kind {
                let command = self.path.clone();
                self.push(
                    1,
                    Seen::Task {
                        schedule: p.to_owned(),
                        command,
                        origin: "a script in a cron period directory",
                    },
                );
            }
            if self.kind == Kind::Unknown {
                self.kind = match text.strip_prefix("#!") {
                    Some(interp) => {
                        let words: Vec<&str> = interp.split_whitespace().collect();
                        let prog = match words.as_slice() {
                            [env, prog, ..] if env.ends_with("/env") => prog,
                            [prog, ..] => prog.rsplit('/').next().unwrap_or(prog),
                            [] => "",
                        };
                        if matches!(prog, "sh" | "bash" | "dash" | "ksh" | "zsh" | "ash") {
                            Kind::Shell
                        } else {
                            Kind::Program
                        }
                    }
                    None => Kind::Other,
                };
            }
        }
        if let Some(what) = known_format(text) {
            self.credential(no, what.to_owned());
        }
        match self.kind {
            Kind::Document => {}
            Kind::Other | Kind::Program | Kind::Unknown => {
                let t = text.trim_start();
                if is_comment(t) {
                    return;
                }
                self.urls(no, text);
                // In programs, only a module-level `NAME = "literal"` (a
                // constant at column 0): indented lines are function bodies,
                // dictionaries and docstring examples.
                if self.kind == Kind::Program && !text.starts_with(char::is_whitespace) {
                    if let Some((key, value, quoted)) = key_value(text) {
                        let assigns = text
                            .get(key.len()..)
                            .is_some_and(|r| r.trim_start().starts_with('='));
                        if assigns && quoted && is_credential_key(key) && is_literal(value, false) {
                            self.assigned_credential(no, key, value);
                        }
                    }
                }
            }
            Kind::Config => self.config_line(no, text),
            Kind::Shell | Kind::Periodic(_) => self.shell_line(no, text),
            Kind::Sql => self.sql_text(no, text),
            Kind::Cron { user_field } => self.cron(no, text, user_field, "a cron file"),
            Kind::Systemd { timer } => self.systemd_line(no, text, timer),
        }
    }

    fn assigned_credential(&mut self, no: u64, key: &str, value: &str) {
        self.credential(
            no,
            format!(
                "`{key}` is assigned a literal value ({} characters)",
                value.chars().count()
            ),
        );
    }

    /// URL hosts in `text` (named), and URL passwords.
    fn urls(&mut self, no: u64, text: &str) {
        for u in hosts::urls(text) {
            self.url_host(no, u);
        }
    }

    fn url_host(&mut self, no: u64, u: hosts::UrlHost) {
        // A password in a URL is a credential where URLs are used (scripts,
        // configuration, units, crontabs); in program text it is most often
        // an example in a help text or docstring.
        let used = !matches!(
            self.kind,
            Kind::Program | Kind::Other | Kind::Unknown | Kind::Document
        );
        if u.password && used {
            self.credential(
                no,
                "a URL with a literal password in its user information".into(),
            );
        }
        // A name without a dot in a URL (`proxy_pass http://backend;`, an
        // nginx upstream or a container's name) is resolved locally, not an
        // external endpoint.
        if let Some(host) = u.host.filter(|h| h.contains('.') || h.contains(':')) {
            self.push(
                no,
                Seen::Host {
                    host,
                    via: Via::Url,
                },
            );
        }
    }

    /// A configuration line: a credential key with a literal value, a
    /// host key's value, URLs.
    fn config_line(&mut self, no: u64, text: &str) {
        // XML comments (`<!-- ... -->`, over several lines) are not read.
        let mut kept = String::new();
        let mut rest = text;
        loop {
            if self.xml_comment {
                match rest.find("-->") {
                    Some(i) => {
                        self.xml_comment = false;
                        rest = rest.get(i + 3..).unwrap_or_default();
                    }
                    None => break,
                }
            } else {
                match rest.find("<!--") {
                    Some(i) => {
                        kept.push_str(rest.get(..i).unwrap_or_default());
                        self.xml_comment = true;
                        rest = rest.get(i + 4..).unwrap_or_default();
                    }
                    None => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        let text = kept.as_str();
        let t = text.trim_start();
        if t.is_empty() || is_comment(t) {
            return;
        }
        let mut pairs = json_pairs(text);
        if text.contains('<') || text.contains("=\"") {
            pairs.extend(xml_pairs(text));
        }
        if pairs.is_empty() {
            if let Some((key, value, _)) = key_value(text) {
                self.key_value(no, key, value, false);
            } else {
                self.spaced_credentials(no, t);
            }
        }
        // XML namespaces, schema locations and algorithm names are URIs
        // that identify, they are not fetched.
        let mut scanned = std::borrow::Cow::Borrowed(text);
        for (key, value) in pairs {
            let identifier = key == "xmlns"
                || key.starts_with("xmlns:")
                || key.ends_with("schemaLocation")
                || key == "targetNamespace"
                || key == "Algorithm";
            if identifier && !value.is_empty() {
                scanned = std::borrow::Cow::Owned(scanned.replace(value, ""));
                continue;
            }
            self.key_value(no, key, value, false);
        }
        self.urls(no, &scanned);
    }

    /// Credentials in configuration written `key value`, without `=` or
    /// `:`: redis's `requirepass secret`, `.netrc`'s `machine h login u
    /// password secret`; and `.pgpass`'s `host:port:db:user:password`.
    fn spaced_credentials(&mut self, no: u64, t: &str) {
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        if name.ends_with("pgpass") {
            // Fields separated by unescaped colons; the fifth is the password.
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut escaped = false;
            for c in t.trim_end().chars() {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, ':') => fields.push(std::mem::take(&mut field)),
                    (_, c) => {
                        escaped = false;
                        field.push(c);
                    }
                }
            }
            fields.push(field);
            if let [_, _, _, _, password] = fields.as_slice() {
                if password != "*" && is_literal(password, false) {
                    self.assigned_credential(no, "the .pgpass password field", password);
                }
            }
            return;
        }
        let words: Vec<&str> = t.trim_end_matches(';').split_whitespace().collect();
        // A whole line `key value`; in `.netrc`, any `password value` pair
        // of its token stream.
        let pairs: Vec<&[&str]> = if name.ends_with("netrc") {
            words.windows(2).collect()
        } else {
            vec![words.as_slice()]
        };
        for pair in pairs {
            if let [key, value] = pair {
                let key_named =
                    is_credential_key(key) || matches!(*key, "requirepass" | "masterauth");
                if key_named && is_literal(value, false) {
                    self.assigned_credential(no, key, unquote(value).0);
                    return;
                }
            }
        }
    }

    /// A key (or variable) and its value: credential or host.
    /// A value with spaces is a command (`cat_passwd='getent passwd'`) or
    /// prose (`challengePassword = A challenge password`), not a secret,
    /// unless the key names a passphrase.
    fn key_value(&mut self, no: u64, key: &str, value: &str, dynamic: bool) {
        if dynamic {
            return;
        }
        let prose = value.trim().contains(char::is_whitespace)
            && !key.to_ascii_lowercase().contains("passphrase");
        if is_credential_key(key) && !prose && is_literal(value, false) {
            self.assigned_credential(no, key, unquote(value).0);
        }
        if is_host_key(key) && !value.contains("://") {
            for item in value.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
                if let Some(host) = hosts::bare(item) {
                    self.push(
                        no,
                        Seen::Host {
                            host,
                            via: Via::Key(key.to_owned()),
                        },
                    );
                }
            }
        }
    }

    fn sql_text(&mut self, no: u64, text: &str) {
        let facts = sql_line(&mut self.sql, text);
        if let (Some(s), None) = (facts.schema_change, self.schema_change) {
            self.schema_change = Some((no, s));
        }
        self.locked |= facts.lock;
        for n in facts.passwords {
            self.credential(no, format!("a literal SQL password ({n} characters)"));
        }
    }

    fn cron(&mut self, no: u64, text: &str, user_field: bool, origin: &'static str) {
        let t = text.trim_start();
        if t.is_empty() || t.starts_with('#') {
            return;
        }
        if let Some(cron) = cron_line(text, user_field) {
            let facts = shell::analyze(&cron.command, &self.vars);
            self.shell_facts(no, facts);
            self.push(
                no,
                Seen::Task {
                    schedule: cron.schedule,
                    command: cron.command,
                    origin,
                },
            );
        } else if let Some((key, value, _)) = key_value(text) {
            self.key_value(no, key, value, false);
        }
    }

    fn systemd_line(&mut self, no: u64, text: &str, timer: bool) {
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            return;
        }
        if timer {
            if let Some(trigger) = timer_trigger(t) {
                if self.triggers.len() < MAX_TRIGGERS {
                    self.triggers.push((no, trigger));
                }
            }
            if let Some(unit) = t.strip_prefix("Unit=") {
                self.timer_unit = Some(unit.trim().to_owned());
            }
        }
        if let Some((key, value)) = t.split_once('=') {
            let key = key.trim();
            if key.starts_with("Exec") {
                let value = value.trim();
                let prefix_len =
                    value.len() - value.trim_start_matches(['-', '@', ':', '+', '!']).len();
                let (prefix, command) = value.split_at(prefix_len);
                let mut facts = shell::analyze(command, &self.vars);
                // `-` makes systemd ignore the command's failure, as `|| true`
                // does in a script: it does not assume the unit exists.
                if prefix.contains('-') {
                    facts.seen.retain(|s| !matches!(s, Seen::Unit { .. }));
                }
                self.shell_facts(no, facts);
                return;
            }
            // Where to read about the unit: documentation, not an endpoint.
            if key == "Documentation" {
                return;
            }
            if key == "Environment" {
                for c in shell::tokenize(value, &BTreeMap::new()) {
                    for w in c.words {
                        if let Some((k, v)) = w.text.split_once('=') {
                            self.key_value(no, k, v, w.dynamic);
                        }
                    }
                }
                return;
            }
        }
        self.urls(no, text);
    }

    fn shell_line(&mut self, no: u64, text: &str) {
        if let Some(h) = self.heredoc.clone() {
            let body = if h.strip_tabs {
                text.trim_start_matches('\t')
            } else {
                text
            };
            if body == h.delimiter {
                self.heredoc = None;
                return;
            }
            match h.body {
                Body::Sql => self.sql_text(no, text),
                Body::Cron { user_field } => {
                    self.cron(no, text, user_field, "a crontab a script installs")
                }
                Body::Text => self.config_line(no, text),
                Body::Message => {}
            }
            return;
        }
        // A line ending in a backslash continues on the next.
        let backslashes = text.chars().rev().take_while(|c| *c == '\\').count();
        let (start, mut logical) = match self.continued.take() {
            Some((start, mut so_far)) => {
                so_far.push(' ');
                (start, so_far)
            }
            None => (no, String::new()),
        };
        if logical.len() + text.len() <= MAX_LINE {
            logical.push_str(text);
        }
        if backslashes % 2 == 1 {
            logical.pop();
            self.continued = Some((start, logical));
            return;
        }
        self.shell_logical(start, &logical);
    }

    fn shell_logical(&mut self, no: u64, text: &str) {
        if text.trim_start().starts_with('#') {
            return;
        }
        let mut facts = shell::analyze(text, &self.vars);
        // A unit command whose failure the line tolerates (`|| true`) does
        // not assume the unit exists.
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("||true") || compact.contains("||:") {
            facts.seen.retain(|s| !matches!(s, Seen::Unit { .. }));
        }
        // A lock timeout set for the database client (`PGOPTIONS="-c
        // lock_timeout=5s"`, `psql -v lock_timeout=...`): the entry's
        // schema changes wait a bounded time.
        let lower = text.to_ascii_lowercase();
        if lower.contains("lock_timeout") || lower.contains("lock_wait_timeout") {
            self.locked = true;
        }
        if let Some(words) = &facts.sql {
            let mut state = SqlState::default();
            let sql = sql_line(&mut state, words);
            if let (Some(s), None) = (sql.schema_change, self.schema_change) {
                self.schema_change = Some((no, s));
            }
            self.locked |= sql.lock;
        }
        self.shell_facts(no, facts);
    }

    fn shell_facts(&mut self, no: u64, facts: shell::Facts) {
        for (name, value, dynamic) in &facts.assignments {
            self.key_value(no, name, value, *dynamic);
            if *dynamic || value.len() > MAX_VAR_VALUE || name.len() > MAX_VAR_VALUE {
                self.vars.remove(name);
            } else if self.vars.len() < MAX_VARS || self.vars.contains_key(name) {
                self.vars.insert(name.clone(), value.clone());
            }
        }
        let mut connected = Vec::new();
        for seen in facts.seen {
            if let Seen::Host {
                host,
                via: Via::Command(_),
            } = &seen
            {
                connected.push(host.clone());
            }
            self.push(no, seen);
        }
        for u in facts.urls {
            // A URL a command on this line connects to is not named again.
            if u.host.as_ref().is_some_and(|h| connected.contains(h)) {
                if u.password {
                    self.credential(
                        no,
                        "a URL with a literal password in its user information".into(),
                    );
                }
                continue;
            }
            self.url_host(no, u);
        }
        self.locked |= facts.lock;
        if facts.heredoc.is_some() {
            self.heredoc = facts.heredoc;
        }
    }

    /// The entry ended: what is known only now.
    fn end(mut self) -> Found {
        if let Some((start, logical)) = self.continued.take() {
            self.shell_logical(start, &logical);
        }
        if let (Some((no, statement)), false) = (self.schema_change, self.locked) {
            self.push(
                no,
                Seen::UnlockedMigration {
                    statement: statement.to_owned(),
                },
            );
        }
        if let Some((no, _)) = self.triggers.first() {
            let no = *no;
            let unit = self.timer_unit.clone().unwrap_or_else(|| {
                let name = self.path.rsplit('/').next().unwrap_or(&self.path);
                format!("{}.service", name.strip_suffix(".timer").unwrap_or(name))
            });
            let schedule = self
                .triggers
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            self.push(
                no,
                Seen::Task {
                    schedule,
                    command: format!("starts {unit}"),
                    origin: "a systemd timer",
                },
            );
        }
        self.found
    }
}

/// The bounded line reader of one entry.
pub(crate) struct Lines {
    /// Bytes of the entry seen so far (counted up to [`SCAN_BYTES`]).
    seen: u64,
    /// The first bytes, until it is known whether the entry is text.
    sniff: Option<Vec<u8>>,
    /// NUL among the first bytes: not scanned.
    binary: bool,
    /// The current line, at most [`MAX_LINE`] bytes.
    line: Vec<u8>,
    /// The current line was cut (at [`MAX_LINE`], or by [`SCAN_BYTES`]):
    /// its last token may be part of a longer one.
    cut: bool,
    /// The last byte seen ended a line with CR: a LF next belongs to it.
    after_cr: bool,
    /// 1-based number of the current line.
    number: u64,
}

impl Lines {
    fn new() -> Self {
        Self {
            seen: 0,
            sniff: Some(Vec::new()),
            binary: false,
            line: Vec::new(),
            cut: false,
            after_cr: false,
            number: 1,
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8], detect: &mut Detect) {
        if self.binary {
            return;
        }
        let room = usize::try_from(SCAN_BYTES.saturating_sub(self.seen)).unwrap_or(usize::MAX);
        if bytes.len() > room {
            // The rest of the entry is not scanned: the line it ends in is cut.
            self.cut = true;
        }
        let bytes = bytes.get(..bytes.len().min(room)).unwrap_or_default();
        self.seen = self
            .seen
            .saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        let mut bytes = bytes;
        if let Some(sniff) = self.sniff.as_mut() {
            let take = bytes.len().min(SNIFF_BYTES - sniff.len());
            let (head, rest) = bytes.split_at(take);
            sniff.extend_from_slice(head);
            bytes = rest;
            if memchr::memchr(0, sniff).is_some() && !detect.runs_as_text(sniff) {
                self.binary = true;
                self.sniff = None;
                return;
            }
            if sniff.len() < SNIFF_BYTES {
                return;
            }
            if let Some(sniff) = self.sniff.take() {
                self.text(&sniff, detect);
            }
        }
        self.text(bytes, detect);
    }

    /// Splits `bytes` into lines: LF, CRLF and a lone CR each end one (as
    /// Java properties, YAML and old Mac files have them), across chunks.
    fn text(&mut self, mut bytes: &[u8], detect: &mut Detect) {
        while !bytes.is_empty() {
            // The LF of a CRLF whose CR ended the previous chunk.
            if std::mem::take(&mut self.after_cr) {
                if let Some(rest) = bytes.strip_prefix(b"\n") {
                    bytes = rest;
                    continue;
                }
            }
            let (piece, rest, ends) = match memchr::memchr2(b'\n', b'\r', bytes) {
                Some(i) => {
                    let mut next = i + 1;
                    if bytes.get(i) == Some(&b'\r') {
                        match bytes.get(next) {
                            Some(b'\n') => next += 1,
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                    (
                        bytes.get(..i).unwrap_or_default(),
                        bytes.get(next..).unwrap_or_default(),
                        true,
                    )
                }
                None => (bytes, &[][..], false),
            };
            let room = MAX_LINE.saturating_sub(self.line.len());
            if piece.len() > room {
                self.cut = true;
            }
            self.line
                .extend_from_slice(piece.get(..piece.len().min(room)).unwrap_or_default());
            if ends {
                self.emit(detect);
            }
            bytes = rest;
        }
    }

    fn emit(&mut self, detect: &mut Detect) {
        let mut line = &self.line[..];
        if std::mem::take(&mut self.cut) {
            // A cut line ends in what may be part of a longer token (a host
            // cut to `updates.dt`): read it only up to its last separator
            // (a line with none, such as `password=<4 KiB>`, is one token
            // and is read as it is).
            let keep = line
                .iter()
                .rposition(|b| b.is_ascii_whitespace() || b"\"',;<>()[]{}|".contains(b))
                .unwrap_or(line.len());
            line = line.get(..keep).unwrap_or_default();
        }
        detect.line(self.number, &String::from_utf8_lossy(line));
        self.line.clear();
        self.number = self.number.saturating_add(1);
    }

    fn finish(&mut self, detect: &mut Detect) {
        if let Some(sniff) = self.sniff.take() {
            if memchr::memchr(0, &sniff).is_some() && !detect.runs_as_text(&sniff) {
                self.binary = true;
            } else {
                self.text(&sniff, detect);
            }
        }
        if !self.binary && !self.line.is_empty() {
            self.emit(detect);
        }
    }
}

/// The scan as a content sink: thread-safe, one [`EntryScan`] per entry.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    kept: Mutex<Observations>,
    /// The system the findings are for: what it already answers is not kept.
    inventory: Option<Arc<Inventory>>,
}

impl Scan {
    /// A scan that has seen nothing and keeps every observation (for the
    /// tests and the fuzz target, which compare with no inventory).
    #[cfg(any(test, fuzzing))]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A scan for the system `inventory` describes: observations the
    /// inventory already answers (a reachable host, a unit it has) are not
    /// kept, so the bounds apply only to what can be a finding.
    pub(crate) fn for_inventory(inventory: Arc<Inventory>) -> Self {
        Self {
            inventory: Some(inventory),
            ..Self::default()
        }
    }

    /// What the scan kept from the entries that verified.
    pub(crate) fn finish(self) -> Observations {
        self.kept
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sink for Scan {
    fn entry<'s>(&'s self, file: &FileEntry) -> io::Result<Box<dyn EntrySink + 's>> {
        Ok(Box::new(EntryScan {
            scan: self,
            lines: Lines::new(),
            detect: Detect::new(&file.path, self.inventory.clone()),
        }))
    }
}

/// One entry being scanned.
struct EntryScan<'a> {
    scan: &'a Scan,
    lines: Lines,
    detect: Detect,
}

impl EntrySink for EntryScan<'_> {
    fn chunk(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.lines.feed(bytes, &mut self.detect);
        Ok(())
    }

    fn end(self: Box<Self>, verified: bool) -> io::Result<()> {
        if !verified {
            return Ok(());
        }
        let EntryScan {
            scan,
            mut lines,
            mut detect,
        } = *self;
        lines.finish(&mut detect);
        let found = detect.end();
        scan.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge(found);
        Ok(())
    }
}

/// The line reader's state, for the bound tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::{Detect, Lines};

    pub(crate) fn lines() -> Lines {
        Lines::new()
    }

    pub(crate) fn detect(path: &str) -> Detect {
        Detect::new(path, None)
    }

    /// Bytes of the current line held.
    pub(crate) fn buffered(l: &Lines) -> usize {
        l.line.capacity().max(l.sniff.as_ref().map_or(0, Vec::len))
    }

    /// Bytes of the entry read so far.
    pub(crate) fn seen(l: &Lines) -> u64 {
        l.seen
    }
}
