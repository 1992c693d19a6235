//! Shell lines: split into simple commands (quotes, escapes, separators,
//! substitutions, redirections and here-documents understood well enough
//! to find where commands start), then what each command does that
//! preflight cares about: privilege (`sudo`, `su`, `doas` as a command),
//! units it starts or stops, hosts it connects to, credentials on its
//! command line, SQL it runs, locks it takes, crontab lines it installs.

use std::collections::BTreeMap;

use super::hosts;
use super::inventory::normalize_unit;
use super::observe::{Seen, Via};
use super::schedule::cron_line;
use super::secrets::{is_credential_key, is_literal};

/// One shell word, quotes removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word {
    /// Its text; unknown expansions are kept as written (`$X`).
    pub(crate) text: String,
    /// Whether part of it is an expansion whose value is unknown.
    pub(crate) dynamic: bool,
    /// Whether part of it is a variable with a value set earlier in the file.
    pub(crate) substituted: bool,
    /// Whether part of it was quoted.
    pub(crate) quoted: bool,
}

/// A simple command: its words, the files it redirects to, and a
/// here-document's delimiter (and whether tabs are stripped, `<<-`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) words: Vec<Word>,
    pub(crate) redirects: Vec<String>,
    pub(crate) heredoc: Option<(String, bool)>,
}

/// What a here-document's body is, by what reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// SQL for a database client.
    Sql,
    /// Crontab lines (`user_field` for a system crontab).
    Cron { user_field: bool },
    /// Text shown to the person running the script (`cat <<EOF` to the
    /// terminal): only well-known secrets are looked for.
    Message,
    /// Anything else (a configuration file being written, text).
    Text,
}

/// A here-document that starts after the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heredoc {
    pub(crate) delimiter: String,
    pub(crate) strip_tabs: bool,
    pub(crate) body: Body,
}

/// What one shell line does, as far as preflight cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Hosts, credentials, privilege, units, tasks.
    pub(crate) seen: Vec<Seen>,
    /// A lock is taken (flock, a migration tool).
    pub(crate) lock: bool,
    /// A database client runs on this line (its SQL is on the line or in
    /// the here-document).
    pub(crate) db_client: bool,
    /// Variables assigned: name, value, whether the value is unknown.
    pub(crate) assignments: Vec<(String, String, bool)>,
    /// A here-document starts after this line.
    pub(crate) heredoc: Option<Heredoc>,
    /// The hosts of URLs in the line's words (named; those a command
    /// connects to are in `seen` too).
    pub(crate) urls: Vec<hosts::UrlHost>,
    /// With a database client on the line: the line's words, unquoted,
    /// where its SQL is.
    pub(crate) sql: Option<String>,
}

/// Deepest nesting of `sudo sh -c '...'` and the like that is followed.
const MAX_DEPTH: u32 = 3;

/// Most variables remembered per file.
pub(crate) const MAX_VARS: usize = 256;
/// Longest variable name and value remembered.
pub(crate) const MAX_VAR_VALUE: usize = 256;

const DB_CLIENTS: &[&str] = &[
    "psql",
    "pg_dump",
    "pg_restore",
    "pg_dumpall",
    "mysql",
    "mysqldump",
    "mariadb",
    "mariadb-dump",
    "mysqladmin",
    "sqlite3",
    "sqlplus",
    "sqlcmd",
    "clickhouse-client",
    "cqlsh",
];
const MYSQL_FAMILY: &[&str] = &[
    "mysql",
    "mysqldump",
    "mariadb",
    "mariadb-dump",
    "mysqladmin",
];
const MIGRATION_TOOLS: &[&str] = &[
    "flyway",
    "liquibase",
    "alembic",
    "sqitch",
    "goose",
    "dbmate",
    "migrate",
    "knex",
];
/// Commands (and the usual names of script functions) that print a
/// message for a person.
const MESSAGE_COMMANDS: &[&str] = &[
    "echo", "printf", "logger", "log", "warn", "warning", "error", "err", "info", "die", "fail",
    "msg", "message", "note", "notice", "debug", "say", "abort", "fatal", "usage",
];
const UNIT_VERBS: &[&str] = &[
    "start",
    "stop",
    "restart",
    "reload",
    "try-restart",
    "reload-or-restart",
    "try-reload-or-restart",
    "condrestart",
    "force-reload",
    "enable",
    "disable",
    "reenable",
];
const KEYWORDS: &[&str] = &[
    "if", "then", "do", "else", "elif", "while", "until", "!", "{", "}", "time", "exec", "nohup",
    "command", "builtin", "coproc",
];

/// Splits `line` into simple commands; `vars` are the literal values of
/// variables set earlier in the file.
pub(crate) fn tokenize(line: &str, vars: &BTreeMap<String, String>) -> Vec<Command> {
    let chars: Vec<char> = line.chars().collect();
    let mut t = Tokens::default();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        match c {
            c if c.is_whitespace() => t.end_word(),
            '#' if t.word.is_none() => break,
            '\'' => {
                let w = t.word();
                w.quoted = true;
                i += 1;
                while let Some(c) = at(i) {
                    if c == '\'' {
                        break;
                    }
                    w.text.push(c);
                    i += 1;
                }
            }
            '"' => {
                t.word().quoted = true;
                i += 1;
                while let Some(c) = at(i) {
                    match c {
                        '"' => break,
                        '\\' if matches!(at(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            if let Some(n) = at(i + 1) {
                                t.word().text.push(n);
                            }
                            i += 1;
                        }
                        '$' => i = expand(&chars, i, vars, t.word()),
                        '`' => t.word().dynamic = true,
                        c => t.word().text.push(c),
                    }
                    i += 1;
                }
            }
            '\\' => {
                if let Some(n) = at(i + 1) {
                    t.word().text.push(n);
                    i += 1;
                }
            }
            '$' if at(i + 1) == Some('(') => {
                t.word().dynamic = true;
                t.end_command();
                i += 1;
                if at(i + 1) == Some('(') {
                    // $(( arithmetic )): no command inside.
                    i += 1;
                }
            }
            '$' => i = expand(&chars, i, vars, t.word()),
            '`' => {
                if let Some(w) = t.word.as_mut() {
                    w.dynamic = true;
                }
                t.end_command();
            }
            ';' | '|' | '&' | '(' | ')' => t.end_command(),
            '>' | '<' => {
                // A file descriptor number before the operator is no word.
                if t.word.as_ref().is_some_and(|w| {
                    !w.quoted && !w.text.is_empty() && w.text.chars().all(|c| c.is_ascii_digit())
                }) {
                    t.word = None;
                }
                t.end_word();
                if c == '<' && at(i + 1) == Some('<') {
                    if at(i + 2) == Some('<') {
                        i += 2;
                        t.pending = Pending::Discard;
                    } else {
                        i += 1;
                        let strip = at(i + 1) == Some('-');
                        if strip {
                            i += 1;
                        }
                        t.pending = Pending::Heredoc(strip);
                    }
                } else {
                    while matches!(at(i + 1), Some('>' | '&' | '|')) {
                        i += 1;
                    }
                    if at(i).is_some_and(|c| c == '&')
                        && at(i + 1).is_some_and(|c| c.is_ascii_digit() || c == '-')
                    {
                        while at(i + 1).is_some_and(|c| c.is_ascii_digit() || c == '-') {
                            i += 1;
                        }
                    } else {
                        t.pending = Pending::Redirect;
                    }
                }
            }
            c => t.word().text.push(c),
        }
        i += 1;
    }
    t.end_command();
    t.commands
}

/// `$NAME`, `${NAME}` or `$1` at `chars[i]` into `word`: a known variable's
/// value, or the text as written marked dynamic. Returns the index of the
/// expansion's last character.
fn expand(chars: &[char], i: usize, vars: &BTreeMap<String, String>, word: &mut Word) -> usize {
    let at = |i: usize| chars.get(i).copied();
    let (name, last, braced) = match at(i + 1) {
        Some('{') => {
            let mut j = i + 2;
            let mut name = String::new();
            while let Some(c) = at(j) {
                if c == '}' {
                    break;
                }
                name.push(c);
                j += 1;
            }
            (name, j, true)
        }
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut j = i + 1;
            let mut name = String::new();
            while let Some(c) = at(j).filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                name.push(c);
                j += 1;
            }
            (name, j - 1, false)
        }
        Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
            word.dynamic = true;
            word.text.push('$');
            word.text.push(c);
            return i + 1;
        }
        _ => {
            word.text.push('$');
            return i;
        }
    };
    match vars.get(&name) {
        Some(v) => {
            word.text.push_str(v);
            word.substituted = true;
        }
        None => {
            word.dynamic = true;
            if braced {
                word.text.push_str("${");
                word.text.push_str(&name);
                word.text.push('}');
            } else {
                word.text.push('$');
                word.text.push_str(&name);
            }
        }
    }
    last
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Pending {
    #[default]
    None,
    Redirect,
    Heredoc(bool),
    Discard,
}

#[derive(Default)]
struct Tokens {
    commands: Vec<Command>,
    current: Command,
    word: Option<Word>,
    pending: Pending,
}

impl Tokens {
    fn word(&mut self) -> &mut Word {
        self.word.get_or_insert_with(Word::default)
    }

    fn end_word(&mut self) {
        let Some(w) = self.word.take() else {
            return;
        };
        match std::mem::take(&mut self.pending) {
            Pending::None => self.current.words.push(w),
            Pending::Redirect => self.current.redirects.push(w.text),
            Pending::Heredoc(strip) => {
                if self.current.heredoc.is_none() {
                    self.current.heredoc = Some((w.text, strip));
                }
            }
            Pending::Discard => {}
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        self.pending = Pending::None;
        let c = std::mem::take(&mut self.current);
        if !c.words.is_empty() || c.heredoc.is_some() || !c.redirects.is_empty() {
            self.commands.push(c);
        }
    }
}

/// The last path component of a command word.
fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// `NAME=value` with a shell variable name.
fn assignment(w: &Word) -> Option<(String, String)> {
    let (name, value) = w.text.split_once('=')?;
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| (name.to_owned(), value.to_owned()))
}

/// What `line` does (see [`Facts`]).
pub(crate) fn analyze(line: &str, vars: &BTreeMap<String, String>) -> Facts {
    let mut facts = Facts::default();
    let commands = tokenize(line, vars);
    line_facts(&commands, vars, 0, &mut facts);
    for c in &commands {
        // A message to the person running the script (`echo "see
        // https://wiki.example/..."`, `warn "..."`) names no endpoint; the
        // same command writing a file does.
        let message = c
            .words
            .iter()
            .find(|w| assignment(w).is_none() && !KEYWORDS.contains(&w.text.as_str()))
            .is_some_and(|w| MESSAGE_COMMANDS.contains(&basename(&w.text)));
        if message && c.redirects.iter().all(|r| r.starts_with("/dev/")) {
            continue;
        }
        for w in &c.words {
            if w.text.contains("://") {
                facts.urls.extend(hosts::urls(&w.text));
            }
        }
    }
    if facts.db_client {
        let words: Vec<&str> = commands
            .iter()
            .flat_map(|c| &c.words)
            .map(|w| w.text.as_str())
            .collect();
        facts.sql = Some(words.join(" "));
    }
    facts
}

fn line_facts(
    commands: &[Command],
    vars: &BTreeMap<String, String>,
    depth: u32,
    facts: &mut Facts,
) {
    let mut crontab = false;
    let mut cron_file = false;
    for c in commands {
        let first = c
            .words
            .iter()
            .position(|w| assignment(w).is_none() && !KEYWORDS.contains(&w.text.as_str()));
        if first
            .and_then(|i| c.words.get(i))
            .is_some_and(|w| basename(&w.text) == "crontab")
        {
            crontab = true;
        }
        // A system crontab written by redirection or through `tee`
        // (`echo '...' >> /etc/cron.d/x`, `... | sudo tee -a /etc/crontab`);
        // a user's crontab file under /var/spool/cron is like `crontab -`.
        // (`tee` may follow `sudo` and its options: the words after it.)
        let tee_paths: Vec<&str> = c
            .words
            .iter()
            .position(|w| !w.quoted && basename(&w.text) == "tee")
            .and_then(|i| c.words.get(i + 1..))
            .map(|w| w.iter().map(|w| w.text.as_str()).collect())
            .unwrap_or_default();
        for target in c.redirects.iter().map(String::as_str).chain(tee_paths) {
            if target.contains("/var/spool/cron/") {
                crontab = true;
            } else if target.contains("cron.d/") || target.ends_with("/crontab") {
                cron_file = true;
            }
        }
        command(&c.words, vars, depth, facts);
    }
    if crontab || cron_file {
        // `echo "0 3 * * * cmd" | crontab -`, `(crontab -l; echo ...) | crontab -`,
        // `echo "0 3 * * * root cmd" >> /etc/cron.d/x`.
        let user_field = cron_file && !crontab;
        for c in commands {
            let Some(name) = c.words.first().map(|w| basename(&w.text)) else {
                continue;
            };
            if name != "echo" && name != "printf" {
                continue;
            }
            let text: Vec<&str> = c
                .words
                .iter()
                .skip(1)
                .map(|w| w.text.as_str())
                .filter(|t| !t.starts_with('-'))
                .collect();
            if let Some(cron) = cron_line(&text.join(" ").replace("\\n", ""), user_field) {
                if depth < MAX_DEPTH {
                    line_facts(&tokenize(&cron.command, vars), vars, depth + 1, facts);
                }
                facts.seen.push(Seen::Task {
                    schedule: cron.schedule,
                    command: cron.command,
                    origin: "a crontab line a script installs",
                });
            }
        }
    }
    if let Some((c, (delimiter, strip_tabs))) = commands
        .iter()
        .find_map(|c| c.heredoc.clone().map(|h| (c, h)))
    {
        let shows = c
            .words
            .iter()
            .find(|w| assignment(w).is_none() && !KEYWORDS.contains(&w.text.as_str()))
            .is_some_and(|w| {
                matches!(basename(&w.text), "cat" | "more" | "less")
                    || MESSAGE_COMMANDS.contains(&basename(&w.text))
            });
        let to_person =
            shows && c.redirects.iter().all(|r| r.starts_with("/dev/")) && commands.len() == 1;
        let body = if to_person {
            Body::Message
        } else if facts.db_client {
            Body::Sql
        } else if crontab {
            Body::Cron { user_field: false }
        } else if cron_file {
            Body::Cron { user_field: true }
        } else {
            Body::Text
        };
        facts.heredoc.get_or_insert(Heredoc {
            delimiter,
            strip_tabs,
            body,
        });
    }
}

/// Skips options of a command: those in `with_value` take the next word.
/// Returns the remaining non-option words in order.
fn operands<'w>(args: &'w [Word], with_value: &[&str]) -> Vec<&'w Word> {
    let mut out = Vec::new();
    let mut it = args.iter();
    let mut only_operands = false;
    while let Some(w) = it.next() {
        if only_operands || !w.text.starts_with('-') || w.text == "-" {
            out.push(w);
        } else if w.text == "--" {
            only_operands = true;
        } else if with_value.contains(&w.text.as_str()) {
            it.next();
        }
    }
    out
}

/// The words after a wrapper's own options (`sudo -u dten CMD` → CMD...).
fn after_options<'w>(args: &'w [Word], with_value: &[&str]) -> &'w [Word] {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        if w.text == "--" {
            i += 1;
            break;
        }
        if !w.text.starts_with('-') || w.text == "-" {
            break;
        }
        i += if with_value.contains(&w.text.as_str()) {
            2
        } else {
            1
        };
    }
    args.get(i..).unwrap_or_default()
}

fn command(words: &[Word], vars: &BTreeMap<String, String>, depth: u32, facts: &mut Facts) {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        if !w.quoted && KEYWORDS.contains(&w.text.as_str()) {
            i += 1;
        } else if let Some((name, value)) = assignment(w) {
            facts.assignments.push((name, value, w.dynamic));
            i += 1;
        } else {
            break;
        }
    }
    let Some(cmd) = words.get(i) else {
        return;
    };
    if cmd.dynamic {
        return;
    }
    let args = words.get(i + 1..).unwrap_or_default();
    let path = cmd.text.as_str();
    let name = basename(path);
    let nested = |rest: &[Word], facts: &mut Facts| {
        if depth < MAX_DEPTH {
            command(rest, vars, depth + 1, facts);
        }
    };
    let nested_text = |text: &str, facts: &mut Facts| {
        if depth < MAX_DEPTH {
            line_facts(&tokenize(text, vars), vars, depth + 1, facts);
        }
    };
    credentials_on_command_line(name, args, facts);
    match name {
        "export" | "local" | "declare" | "readonly" | "typeset" => {
            for w in args.iter().filter(|w| !w.text.starts_with('-')) {
                if let Some((n, v)) = assignment(w) {
                    facts.assignments.push((n, v, w.dynamic));
                }
            }
        }
        "env" => {
            let rest = after_options(args, &["-u", "-C", "-S"]);
            let k = rest.iter().take_while(|w| assignment(w).is_some()).count();
            for w in rest.iter().take(k) {
                if let Some((n, v)) = assignment(w) {
                    facts.assignments.push((n, v, w.dynamic));
                }
            }
            nested(rest.get(k..).unwrap_or_default(), facts);
        }
        "nice" | "ionice" | "stdbuf" | "chrt" | "xargs" | "setsid" => {
            nested(
                after_options(args, &["-n", "-c", "-p", "-I", "-P", "-L", "-d"]),
                facts,
            );
        }
        "timeout" => {
            let rest = after_options(args, &["-s", "-k", "--signal", "--kill-after"]);
            nested(rest.get(1..).unwrap_or_default(), facts);
        }
        "sudo" | "doas" => {
            facts.seen.push(Seen::Privilege {
                command: name.to_owned(),
            });
            nested(
                after_options(
                    args,
                    &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U"],
                ),
                facts,
            );
        }
        "su" => {
            facts.seen.push(Seen::Privilege {
                command: name.to_owned(),
            });
            su_command(args, facts, &nested_text);
        }
        "runuser" => su_command(args, facts, &nested_text),
        "sh" | "bash" | "dash" | "ksh" | "zsh" | "ash" => {
            let mut it = args.iter();
            while let Some(w) = it.next() {
                if w.text == "-c" {
                    if let Some(script) = it.next() {
                        nested_text(&script.text, facts);
                    }
                    break;
                }
            }
        }
        "systemctl" => {
            let ops = operands(
                args,
                &[
                    "-H",
                    "--host",
                    "-M",
                    "--machine",
                    "-t",
                    "--type",
                    "-p",
                    "--property",
                    "-s",
                    "--signal",
                    "-n",
                    "--lines",
                    "-o",
                    "--output",
                    "--root",
                    "--kill-whom",
                ],
            );
            if let Some((verb, units)) = ops.split_first() {
                if UNIT_VERBS.contains(&verb.text.as_str()) {
                    for u in units {
                        unit(&u.text, u.dynamic, &verb.text, facts);
                    }
                }
            }
        }
        "service" | "invoke-rc.d" => {
            let ops = operands(args, &[]);
            if let (Some(u), Some(verb)) = (ops.first(), ops.get(1)) {
                if UNIT_VERBS.contains(&verb.text.as_str()) {
                    unit(&u.text, u.dynamic, &verb.text, facts);
                }
            }
        }
        _ if path.starts_with("/etc/init.d/") || path.starts_with("/etc/rc.d/init.d/") => {
            if let Some(verb) = args.first() {
                if UNIT_VERBS.contains(&verb.text.as_str()) {
                    unit(name, false, &verb.text, facts);
                }
            }
        }
        "flock" => {
            facts.lock = true;
            let rest = after_options(args, &["-w", "--timeout", "-E", "--conflict-exit-code"]);
            nested(rest.get(1..).unwrap_or_default(), facts);
        }
        "crontab" => {}
        _ => {
            if MIGRATION_TOOLS.contains(&name)
                || (matches!(name, "rails" | "rake")
                    && args.iter().any(|a| a.text.starts_with("db:migrate")))
                || (name.ends_with("manage.py") && args.iter().any(|a| a.text == "migrate"))
            {
                facts.lock = true;
            }
            if DB_CLIENTS.contains(&name) {
                facts.db_client = true;
            }
            for host in connected_hosts(name, args) {
                facts.seen.push(Seen::Host {
                    host,
                    via: Via::Command(name.to_owned()),
                });
            }
        }
    }
}

fn su_command(args: &[Word], facts: &mut Facts, nested_text: &dyn Fn(&str, &mut Facts)) {
    let mut it = args.iter();
    while let Some(w) = it.next() {
        if w.text == "-c" || w.text == "--command" {
            if let Some(script) = it.next() {
                nested_text(&script.text, facts);
            }
            return;
        }
        if let Some(script) = w.text.strip_prefix("--command=") {
            nested_text(script, facts);
            return;
        }
    }
}

fn unit(text: &str, dynamic: bool, verb: &str, facts: &mut Facts) {
    if dynamic || text.contains(['*', '?', '[']) || text.starts_with('-') {
        return;
    }
    if let Some(u) = normalize_unit(text) {
        facts.seen.push(Seen::Unit {
            unit: u,
            action: verb.to_owned(),
        });
    }
}

/// The hosts a command connects to (see the module docs).
fn connected_hosts(name: &str, args: &[Word]) -> Vec<String> {
    let mut out = Vec::new();
    let url_host = |w: &Word| -> Option<Option<String>> {
        w.text
            .contains("://")
            .then(|| hosts::urls(&w.text).into_iter().find_map(|u| u.host))
    };
    // `[user@]host:path` (scp, rsync, git): a colon before any slash.
    let remote_path = |w: &Word| -> Option<String> {
        let (head, _) = w.text.split_once(':')?;
        if head.contains('/') || head.is_empty() {
            return None;
        }
        let host = head.rsplit_once('@').map_or(head, |(_, h)| h);
        hosts::host_port(host, true)
    };
    let user_host = |w: &Word| -> Option<String> {
        let t = w.text.as_str();
        let t = t.rsplit_once('@').map_or(t, |(_, h)| h);
        let t = t.split(':').next().unwrap_or(t);
        hosts::host_port(t, true)
    };
    match name {
        "ssh" => {
            let ops = operands(
                args,
                &[
                    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O",
                    "-o", "-p", "-Q", "-R", "-S", "-W", "-w", "-B", "-P",
                ],
            );
            if let Some(dest) = ops.first().filter(|w| !w.dynamic) {
                out.extend(url_host(dest).unwrap_or_else(|| user_host(dest)));
            }
            jump_hosts(args, &mut out);
        }
        "sftp" => {
            let ops = operands(
                args,
                &[
                    "-B", "-b", "-c", "-D", "-F", "-i", "-J", "-l", "-o", "-P", "-R", "-S", "-s",
                ],
            );
            if let Some(dest) = ops.first().filter(|w| !w.dynamic) {
                out.extend(url_host(dest).unwrap_or_else(|| user_host(dest)));
            }
            jump_hosts(args, &mut out);
        }
        "scp" | "rsync" => {
            let ops = operands(
                args,
                &["-c", "-F", "-i", "-J", "-l", "-o", "-P", "-S", "-e"],
            );
            for w in ops.iter().filter(|w| !w.dynamic) {
                out.extend(url_host(w).unwrap_or_else(|| remote_path(w)));
            }
        }
        "git" => {
            for w in args
                .iter()
                .filter(|w| !w.dynamic && !w.text.starts_with('-'))
            {
                out.extend(
                    url_host(w)
                        .unwrap_or_else(|| w.text.contains('@').then(|| remote_path(w)).flatten()),
                );
            }
        }
        "curl" | "wget" => {
            let with_value = [
                "-o",
                "-d",
                "-H",
                "-u",
                "-X",
                "-A",
                "-e",
                "-T",
                "-F",
                "-w",
                "-m",
                "-b",
                "-c",
                "-E",
                "-r",
                "-C",
                "-K",
                "-Y",
                "-y",
                "-z",
                "-Q",
                "-O",
                "-a",
                "-P",
                "-t",
                "-U",
                "--output",
                "--data",
                "--header",
                "--user",
                "--request",
                "--user-agent",
                "--max-time",
                "--connect-timeout",
                "--retry",
                "--cacert",
                "--cert",
                "--key",
                "--config",
                "--form",
                "--upload-file",
                "--referer",
                "--cookie",
                "--write-out",
                "--resolve",
            ];
            if name == "curl" {
                let mut it = args.iter();
                while let Some(w) = it.next() {
                    if w.text == "-x" || w.text == "--proxy" {
                        if let Some(p) = it.next().filter(|p| !p.dynamic) {
                            out.extend(url_host(p).unwrap_or_else(|| hosts::bare(&p.text)));
                        }
                    }
                }
            }
            let with_value: Vec<&str> = with_value
                .iter()
                .copied()
                .filter(|o| name == "curl" || !matches!(*o, "-O" | "-o" | "-a" | "-P"))
                .chain(["-x", "--proxy"])
                .collect();
            let ops = if name == "wget" {
                operands(
                    args,
                    &["-O", "-o", "-a", "-P", "-t", "-T", "-w", "-e", "-U", "-i"],
                )
            } else {
                operands(args, &with_value)
            };
            for w in ops.iter().filter(|w| !w.dynamic) {
                out.extend(url_host(w).unwrap_or_else(|| hosts::bare(&w.text)));
            }
        }
        "nc" | "ncat" | "netcat" | "telnet" | "ftp" | "lftp" => {
            if args.iter().any(|a| a.text == "-l" || a.text == "--listen") {
                return out;
            }
            let ops = operands(
                args,
                &[
                    "-p", "-s", "-w", "-x", "-X", "-i", "-q", "-e", "-c", "-I", "-O", "-T", "-V",
                    "-u", "-f", "-b", "-n",
                ],
            );
            if let Some(dest) = ops.first().filter(|w| !w.dynamic) {
                out.extend(url_host(dest).unwrap_or_else(|| hosts::host_port(&dest.text, true)));
            }
        }
        n if DB_CLIENTS.contains(&n)
            || matches!(
                n,
                "redis-cli" | "mongo" | "mongosh" | "mongodump" | "pg_isready"
            ) =>
        {
            let mut it = args.iter().peekable();
            while let Some(w) = it.next() {
                let t = w.text.as_str();
                let value = if t == "-h" || t == "--host" {
                    it.next().filter(|v| !v.dynamic).map(|v| v.text.clone())
                } else if let Some(v) = t.strip_prefix("--host=") {
                    Some(v.to_owned())
                } else if let Some(v) = t
                    .strip_prefix("-h")
                    .filter(|v| !v.is_empty() && MYSQL_FAMILY.contains(&n))
                {
                    Some(v.to_owned())
                } else if t.contains("://") && !w.dynamic {
                    out.extend(url_host(w).flatten());
                    None
                } else if !w.dynamic {
                    // libpq's `host=... dbname=...` connection strings.
                    t.split_whitespace()
                        .find_map(|kv| kv.strip_prefix("host="))
                        .map(str::to_owned)
                } else {
                    None
                };
                if let Some(v) = value.filter(|_| !w.dynamic) {
                    out.extend(hosts::host_port(&v, true));
                }
            }
        }
        _ => {}
    }
    out
}

/// ssh's and sftp's `-J jump1,jump2` hosts.
fn jump_hosts(args: &[Word], out: &mut Vec<String>) {
    let mut it = args.iter();
    while let Some(w) = it.next() {
        if w.text == "-J" {
            if let Some(j) = it.next().filter(|j| !j.dynamic) {
                for hop in j.text.split(',') {
                    let hop = hop.rsplit_once('@').map_or(hop, |(_, h)| h);
                    out.extend(hosts::host_port(hop, true));
                }
            }
        }
    }
}

/// Literal credentials in a command's arguments: `--password=x` (any
/// option named like a credential), `--password x`, `-pSecret` (MySQL
/// clients), `sshpass -p x`, `curl -u user:pass`, `lftp -u user,pass`, an
/// `Authorization: Bearer|Basic|Token x` header given to an HTTP client.
fn credentials_on_command_line(name: &str, args: &[Word], facts: &mut Facts) {
    let literal = |w: &Word, v: &str| !w.dynamic && !w.substituted && is_literal(v, false);
    let found = |what: String, value: &str, facts: &mut Facts| {
        facts.seen.push(Seen::Credential {
            what: format!("{what} (a literal of {} characters)", value.chars().count()),
        });
    };
    let mut it = args.iter().peekable();
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        let header = match t {
            "-H" | "--header" => it.peek().map(|n| (*n, n.text.as_str())),
            _ => t.strip_prefix("--header=").map(|h| (w, h)),
        };
        if let Some((word, h)) = header {
            if let Some((field, value)) = h.split_once(':') {
                let mut parts = value.split_whitespace();
                let scheme = parts.next().unwrap_or_default().to_ascii_lowercase();
                let secret = parts.next().unwrap_or_default();
                if field.trim().eq_ignore_ascii_case("authorization")
                    && matches!(scheme.as_str(), "bearer" | "basic" | "token")
                    && literal(word, secret)
                {
                    found(
                        format!("{name} an Authorization: {scheme} header"),
                        secret,
                        facts,
                    );
                }
            }
        }
        if let Some(opt) = t.strip_prefix("--") {
            let (key, inline) = match opt.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (opt, None),
            };
            if key.starts_with("no-") || key.ends_with("-stdin") || !is_credential_key(key) {
                continue;
            }
            match inline {
                Some(v) if literal(w, v) => found(format!("{name} --{key}="), v, facts),
                Some(_) => {}
                None => {
                    if let Some(next) = it.peek() {
                        if !next.text.starts_with('-')
                            && literal(next, &next.text)
                            && !MYSQL_FAMILY.contains(&name)
                        {
                            found(format!("{name} --{key}"), &next.text, facts);
                        }
                    }
                }
            }
            continue;
        }
        if MYSQL_FAMILY.contains(&name) {
            if let Some(v) = t.strip_prefix("-p").filter(|v| !v.is_empty()) {
                if literal(w, v) {
                    found(format!("{name} -p"), v, facts);
                }
            }
        }
        if (name == "sshpass" && t == "-p")
            || ((name == "curl" && (t == "-u" || t == "--user")) || (name == "lftp" && t == "-u"))
        {
            if let Some(next) = it.next() {
                let secret = match name {
                    "sshpass" => Some(next.text.as_str()),
                    "curl" => next.text.split_once(':').map(|(_, p)| p),
                    _ => next.text.split_once(',').map(|(_, p)| p),
                };
                if let Some(s) = secret.filter(|s| literal(next, s)) {
                    found(format!("{name} {t}"), s, facts);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        tokenize(line, &BTreeMap::new())
            .into_iter()
            .map(|c| c.words.into_iter().map(|w| w.text).collect())
            .collect()
    }

    #[test]
    fn splits_commands() {
        assert_eq!(
            words("cd /opt && sudo ./x 'a b' \"c $d\" | tee -a log; echo done # sudo no"),
            vec![
                vec!["cd", "/opt"],
                vec!["sudo", "./x", "a b", "c $d"],
                vec!["tee", "-a", "log"],
                vec!["echo", "done"],
            ]
        );
        assert_eq!(
            words("X=$(sudo cat f)"),
            vec![vec!["X="], vec!["sudo", "cat", "f"]]
        );
        assert_eq!(
            words("echo `su -c id`"),
            vec![vec!["echo"], vec!["su", "-c", "id"]]
        );
        assert_eq!(words("cmd >out 2>&1 </dev/null"), vec![vec!["cmd"]]);
        let c = tokenize("psql -v ON_ERROR_STOP=1 <<-'SQL'", &BTreeMap::new());
        assert_eq!(
            c.first().and_then(|c| c.heredoc.clone()),
            Some(("SQL".to_owned(), true))
        );
    }

    #[test]
    fn variables_set_earlier_are_substituted() {
        let mut vars = BTreeMap::new();
        vars.insert("HOST".to_owned(), "sftp.dten.example".to_owned());
        let c = tokenize("sftp \"dten@$HOST\" ${PORT}", &vars);
        let w = &c[0].words;
        assert_eq!(w[1].text, "dten@sftp.dten.example");
        assert!(w[1].substituted && !w[1].dynamic);
        assert!(w[2].dynamic);
    }
}
