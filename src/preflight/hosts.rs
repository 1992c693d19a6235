//! What counts as a host: the host of a URL, a `user@host` or `host:path`
//! argument, a bare host name (with a dot, ending in a name that is not a
//! file extension) or an IP address. Never a variable, a template, or a
//! loopback address.

use memchr::memmem;

/// Hosts that only identify XML and JSON schemas: named, never connected to.
const NAMESPACE_HOSTS: &[&str] = &[
    "www.w3.org",
    "w3.org",
    "json-schema.org",
    "schemas.xmlsoap.org",
    "xmlns.jcp.org",
];

/// Last labels that are file extensions, not top-level domains (`app.log`).
const FILE_EXTENSIONS: &[&str] = &[
    "sh",
    "bash",
    "conf",
    "cfg",
    "cnf",
    "ini",
    "log",
    "txt",
    "json",
    "yaml",
    "yml",
    "xml",
    "properties",
    "sql",
    "tar",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zip",
    "py",
    "pl",
    "rb",
    "jar",
    "war",
    "pid",
    "sock",
    "service",
    "timer",
    "socket",
    "target",
    "mount",
    "d",
    "bak",
    "tmp",
    "lock",
    "key",
    "pem",
    "crt",
    "cer",
    "csr",
    "html",
    "htm",
    "md",
    "rst",
    "csv",
    "dat",
    "db",
    "old",
    "orig",
    "new",
    "swp",
    "so",
    "deb",
    "rpm",
    "env",
    "toml",
    "j2",
    "tpl",
    "tmpl",
    "out",
    "err",
    "cron",
    "png",
    "jpg",
    "gif",
    "svg",
    "js",
    "css",
    "ts",
    "php",
    "java",
    "class",
    "go",
    "rs",
    "dtd",
    "xsd",
    "ent",
    "wsdl",
    "xsl",
    "xslt",
    "cat",
];

/// A URL's scheme that reaches no network.
fn local_scheme(scheme: &str) -> bool {
    matches!(scheme, "file" | "jar" | "data" | "unix" | "about")
}

/// Schemes of network protocols: their URLs name a host even without a dot
/// (`https://backup/`). With any other scheme (`debian://ip` in a sed
/// expression) the host needs a dot, as a bare host name does.
fn network_scheme(scheme: &str) -> bool {
    matches!(
        scheme,
        "http"
            | "https"
            | "ftp"
            | "ftps"
            | "sftp"
            | "ssh"
            | "scp"
            | "rsync"
            | "git"
            | "git+ssh"
            | "ssh+git"
            | "svn"
            | "svn+ssh"
            | "ws"
            | "wss"
            | "ldap"
            | "ldaps"
            | "smtp"
            | "smtps"
            | "imap"
            | "imaps"
            | "pop3"
            | "pop3s"
            | "postgres"
            | "postgresql"
            | "mysql"
            | "mariadb"
            | "mongodb"
            | "mongodb+srv"
            | "redis"
            | "rediss"
            | "amqp"
            | "amqps"
            | "mqtt"
            | "mqtts"
            | "kafka"
            | "nfs"
            | "smb"
            | "cifs"
            | "tcp"
            | "udp"
            | "telnet"
            | "grpc"
            | "grpcs"
            | "dav"
            | "davs"
            | "webdav"
            | "s3"
            | "hdfs"
            | "sqlserver"
            | "oracle"
    )
}

/// Whether a URL's path names a document type or schema (`.dtd`, `.xsd`):
/// an identifier, not something fetched.
fn identifier_path(rest: &str) -> bool {
    let path = rest
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '?' | '#' | '>' | ')'))
        .next()
        .unwrap_or(rest);
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".dtd") || lower.ends_with(".xsd") || lower.ends_with(".ent")
}

/// A host found in a URL: the host and, when the URL carries one, whether
/// its user information holds a literal password (`user:pass@`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlHost {
    /// The host, lowercase (`None` when it is not one: a variable, loopback).
    pub(crate) host: Option<String>,
    /// A literal password in the user information, if any.
    pub(crate) password: bool,
}

/// Every `scheme://authority` in `text`.
pub(crate) fn urls(text: &str) -> Vec<UrlHost> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for at in memmem::find_iter(bytes, b"://") {
        let before = bytes.get(..at).unwrap_or_default();
        let scheme_len = before
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
            .count();
        let scheme = text.get(at - scheme_len..at).unwrap_or_default();
        if scheme.len() < 2 || !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        if local_scheme(&scheme.to_ascii_lowercase()) {
            continue;
        }
        let rest = text.get(at + 3..).unwrap_or_default();
        let end = rest
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '/' | '?'
                            | '#'
                            | '"'
                            | '\''
                            | '<'
                            | '>'
                            | ')'
                            | '('
                            | ']'
                            | ','
                            | ';'
                            | '\\'
                            | '`'
                            | '|'
                            | '}'
                            | '{'
                    ) && !(c == ']' && rest.starts_with('['))
            })
            .unwrap_or(rest.len());
        let authority = rest.get(..end).unwrap_or_default();
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (
                authority.get(..i),
                authority.get(i + 1..).unwrap_or_default(),
            ),
            None => (None, authority),
        };
        // `user:password@` with a literal password; not a template such as
        // `[user:passwd@]` or `username:password@`.
        let password = userinfo
            .filter(|u| !u.contains('['))
            .and_then(|u| u.split_once(':'))
            .is_some_and(|(_, p)| {
                !matches!(
                    p.to_ascii_lowercase().as_str(),
                    "password" | "passwd" | "pass" | "pwd" | "secret"
                ) && super::secrets::is_literal(p, false)
            });
        let scheme = scheme.to_ascii_lowercase();
        let host = if identifier_path(rest) {
            None
        } else {
            host_port(hostport, !network_scheme(&scheme))
        };
        out.push(UrlHost { host, password });
    }
    out
}

/// The host of `host[:port]` or `[v6]:port`, lowercase; `None` unless it
/// is a host (see [`is_host`]).
pub(crate) fn host_port(s: &str, require_dot: bool) -> Option<String> {
    let s = s.trim();
    let host = if let Some(v6) = s.strip_prefix('[') {
        v6.split(']').next()?
    } else if s.matches(':').count() >= 2 && s.parse::<std::net::Ipv6Addr>().is_ok() {
        s
    } else {
        s.split(':').next()?
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    is_host(&host, require_dot).then_some(host)
}

/// `[user@]host[:port][/path]` (a bare argument such as curl's or a
/// configuration value): its host, which must have a dot or be an IP.
pub(crate) fn bare(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(|c| c == '"' || c == '\'');
    let s = s.rsplit_once('@').map_or(s, |(_, h)| h);
    let s = s.split('/').next()?;
    host_port(s, true)
}

/// Whether `host` (lowercase) counts: a name of letters, digits, hyphens
/// and underscores in dot-separated labels, or an IP address; not loopback,
/// not a schema namespace; with `require_dot`, a name needs a dot and a
/// last label that is a word and not a file extension.
pub(crate) fn is_host(host: &str, require_dot: bool) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return !ip.is_loopback() && !ip.is_unspecified();
    }
    if host == "localhost"
        || host.ends_with(".localhost")
        || host == "localhost.localdomain"
        || host == "invalid"
        || host.ends_with(".invalid")
        || host == "ip6-localhost"
        || NAMESPACE_HOSTS.contains(&host)
    {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !labels.iter().all(label_ok) {
        return false;
    }
    let Some(last) = labels.last() else {
        return false;
    };
    // A dotted run of numbers that is not an IP address is a version.
    if last.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    if require_dot {
        labels.len() >= 2
            && last.len() >= 2
            && last.chars().all(|c| c.is_ascii_alphabetic())
            && !FILE_EXTENSIONS.contains(last)
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str) -> Vec<String> {
        urls(text).into_iter().filter_map(|u| u.host).collect()
    }

    #[test]
    fn url_hosts() {
        for (text, want) in [
            (
                "curl -fsS https://updates.dten.example/v4/index.json",
                vec!["updates.dten.example"],
            ),
            (
                "sftp://dten@SFTP-Legacy.dten.example:2222/incoming",
                vec!["sftp-legacy.dten.example"],
            ),
            (
                "url=jdbc:postgresql://db.internal:5432/dten",
                vec!["db.internal"],
            ),
            ("http://[2001:db8::1]:8080/x", vec!["2001:db8::1"]),
            (
                "see <https://docs.dten.example>.",
                vec!["docs.dten.example"],
            ),
            (
                "http://localhost:8080/ http://127.0.0.1/ http://[::1]/",
                vec![],
            ),
            ("file:///etc/passwd", vec![]),
            ("https://${HOST}/x http://$SERVER/", vec![]),
            ("xmlns=\"http://www.w3.org/2001/XMLSchema\"", vec![]),
            ("://nothing", vec![]),
            ("https://backup/", vec!["backup"]),
            ("sed -n 's/^Alias name: *debian://ip'", vec![]),
            (
                "custom://svc.partner.example/x",
                vec!["svc.partner.example"],
            ),
            (
                "--id \"http://www.oasis-open.org/committees/entity/release/1.0/catalog.dtd\"",
                vec![],
            ),
        ] {
            assert_eq!(hosts(text), want, "{text}");
        }
        assert!(urls("https://admin:hunter2@x.example/")
            .iter()
            .all(|u| u.password));
        assert!(!urls("https://admin:$PASS@x.example/")
            .iter()
            .any(|u| u.password));
        assert!(!urls("https://admin@x.example/").iter().any(|u| u.password));
        assert!(!urls("http://username:password@host.com:80/")
            .iter()
            .any(|u| u.password));
        assert!(!urls("scheme://[user:passwd@]proxy.server:port")
            .iter()
            .any(|u| u.password));
    }

    #[test]
    fn bare_hosts() {
        for (s, want) in [
            ("db.internal", Some("db.internal")),
            (
                "dten@sftp-legacy.dten.example",
                Some("sftp-legacy.dten.example"),
            ),
            ("10.0.4.17:5432", Some("10.0.4.17")),
            ("updates.dten.example/v4/", Some("updates.dten.example")),
            ("backup", None),
            ("import.log", None),
            ("dten.sync.period", Some("dten.sync.period")),
            ("4.2.0", None),
            ("127.0.0.1", None),
            ("$HOST", None),
            ("{{ db_host }}", None),
            ("localhost", None),
            ("catalog.dtd", None),
            ("dummy.invalid", None),
        ] {
            assert_eq!(bare(s).as_deref(), want, "{s}");
        }
    }
}
