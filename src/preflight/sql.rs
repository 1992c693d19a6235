//! SQL lines: schema changes (`ALTER TABLE`, `CREATE TABLE`, `DROP TABLE`,
//! `CREATE [UNIQUE] INDEX`, `DROP INDEX`, `ALTER INDEX`, `ALTER TYPE`,
//! `RENAME TABLE`), locks and lock timeouts (`LOCK TABLE`, PostgreSQL
//! advisory locks, MySQL `GET_LOCK`, `lock_timeout`, `lock_wait_timeout`,
//! SQL Server's `sp_getapplock`), and literal passwords (`PASSWORD '...'`,
//! `IDENTIFIED BY '...'`). Comments and string contents are not read as SQL.

use super::secrets::is_literal;

/// Block-comment state carried from line to line.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SqlState {
    in_comment: bool,
}

/// What one SQL line holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SqlFacts {
    /// The first schema change statement on the line (`ALTER TABLE`).
    pub(crate) schema_change: Option<&'static str>,
    /// Whether it takes a lock or sets a lock timeout.
    pub(crate) lock: bool,
    /// Lengths of literal passwords.
    pub(crate) passwords: Vec<usize>,
}

const SCHEMA: &[(&[&str], &str)] = &[
    (&["ALTER", "TABLE"], "ALTER TABLE"),
    (&["CREATE", "TABLE"], "CREATE TABLE"),
    (&["DROP", "TABLE"], "DROP TABLE"),
    (&["CREATE", "INDEX"], "CREATE INDEX"),
    (&["CREATE", "UNIQUE", "INDEX"], "CREATE UNIQUE INDEX"),
    (&["DROP", "INDEX"], "DROP INDEX"),
    (&["ALTER", "INDEX"], "ALTER INDEX"),
    (&["ALTER", "TYPE"], "ALTER TYPE"),
    (&["RENAME", "TABLE"], "RENAME TABLE"),
];

const LOCK_WORDS: &[&str] = &[
    "PG_ADVISORY_LOCK",
    "PG_TRY_ADVISORY_LOCK",
    "PG_ADVISORY_XACT_LOCK",
    "PG_TRY_ADVISORY_XACT_LOCK",
    "GET_LOCK",
    "LOCK_TIMEOUT",
    "LOCK_WAIT_TIMEOUT",
    "INNODB_LOCK_WAIT_TIMEOUT",
    "SP_GETAPPLOCK",
];

/// Reads one line of SQL.
pub(crate) fn sql_line(state: &mut SqlState, line: &str) -> SqlFacts {
    let mut code = String::with_capacity(line.len());
    let mut strings: Vec<String> = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if state.in_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                state.in_comment = false;
            }
            continue;
        }
        match c {
            '-' if chars.peek() == Some(&'-') => break,
            '#' => break,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                state.in_comment = true;
            }
            '\'' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            s.push('\'');
                            continue;
                        }
                        break;
                    }
                    s.push(c);
                }
                strings.push(s);
                // A marker where the string was, for IDENTIFIED BY / PASSWORD.
                code.push_str(" \u{1} ");
            }
            c => code.push(c.to_ascii_uppercase()),
        }
    }
    let tokens: Vec<&str> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\u{1}'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut facts = SqlFacts::default();
    'outer: for (i, _) in tokens.iter().enumerate() {
        for (words, name) in SCHEMA {
            if tokens.get(i..i + words.len()) == Some(*words) {
                facts.schema_change = Some(name);
                break 'outer;
            }
        }
    }
    // `set_config('lock_timeout', '3s', false)`: the setting's name in a string.
    let named_in_string = strings
        .iter()
        .any(|s| LOCK_WORDS.contains(&s.trim().to_ascii_uppercase().as_str()));
    facts.lock = named_in_string
        || tokens.iter().any(|t| LOCK_WORDS.contains(t))
        || tokens
            .windows(2)
            .any(|w| matches!(w, ["LOCK", "TABLE" | "TABLES"]));
    let mut string_no = 0;
    for (i, t) in tokens.iter().enumerate() {
        if *t != "\u{1}" {
            continue;
        }
        let before = |k: usize| i.checked_sub(k).and_then(|j| tokens.get(j)).copied();
        let is_password = before(1) == Some("PASSWORD")
            || (before(1) == Some("BY") && before(2) == Some("IDENTIFIED"));
        if let Some(s) = strings.get(string_no) {
            if is_password && is_literal(s, false) {
                facts.passwords.push(s.chars().count());
            }
        }
        string_no += 1;
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> SqlFacts {
        sql_line(&mut SqlState::default(), line)
    }

    #[test]
    fn schema_changes_and_locks() {
        assert_eq!(
            one("ALTER TABLE sync_jobs ADD COLUMN period integer;").schema_change,
            Some("ALTER TABLE")
        );
        assert_eq!(
            one("create unique index i on t (c);").schema_change,
            Some("CREATE UNIQUE INDEX")
        );
        assert_eq!(
            one("CREATE TABLE IF NOT EXISTS t (id int);").schema_change,
            Some("CREATE TABLE")
        );
        for quiet in [
            "-- ALTER TABLE t ADD COLUMN c int;",
            "SELECT 'alter table done' FROM dual;",
            "CREATE TEMPORARY TABLE scratch (id int);",
            "INSERT INTO audit(note) VALUES ('drop table later');",
            "UPDATE settings SET value = 'x' WHERE key = 'create table';",
            "SELECT * FROM altered_table;",
        ] {
            assert_eq!(one(quiet).schema_change, None, "{quiet}");
        }
        for lock in [
            "SET lock_timeout = '5s';",
            "SELECT pg_advisory_lock(4242);",
            "LOCK TABLE sync_jobs IN ACCESS EXCLUSIVE MODE;",
            "SELECT GET_LOCK('dten-migration', 10);",
            "SET SESSION lock_wait_timeout = 5;",
        ] {
            assert!(one(lock).lock, "{lock}");
        }
        assert!(!one("-- SET lock_timeout = '5s';").lock);
        let mut state = SqlState::default();
        assert_eq!(sql_line(&mut state, "/* ALTER TABLE t").schema_change, None);
        assert_eq!(
            sql_line(&mut state, "   DROP TABLE u */").schema_change,
            None
        );
        assert_eq!(
            sql_line(&mut state, "DROP TABLE v;").schema_change,
            Some("DROP TABLE")
        );
    }

    #[test]
    fn literal_passwords() {
        assert_eq!(
            one("CREATE USER dten IDENTIFIED BY 'Tr0ub4dor';").passwords,
            vec![9]
        );
        assert_eq!(
            one("ALTER ROLE dten WITH PASSWORD 'x9!k';").passwords,
            vec![4]
        );
        assert!(one("ALTER ROLE dten WITH PASSWORD NULL;")
            .passwords
            .is_empty());
        assert!(one("ALTER ROLE dten WITH PASSWORD '';")
            .passwords
            .is_empty());
        assert!(one("SELECT 'password' AS label;").passwords.is_empty());
    }
}
