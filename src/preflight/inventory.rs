//! The operator's inventory: what is installed on the target system, its
//! units, whether scripts may use sudo, its configuration and the hosts it
//! reaches. A TOML file (`docs/PREFLIGHT.md`, "The inventory file"),
//! read strictly like the trust policy: unknown keys are errors with
//! their line.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::toml_words::{key_at, line_of, plain_toml};

/// Why an inventory file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// Bad TOML, an unknown key, a wrong type or value (kind `inventory_invalid`).
    #[error("inventory \"{source_name}\"{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        /// The inventory file or label.
        source_name: String,
        /// The 1-based line of the offending key or value, when known.
        line: Option<usize>,
        /// What is wrong and what to write instead.
        problem: String,
    },
    /// The file cannot be read (kind `inventory_invalid`).
    #[error("cannot read inventory \"{path}\": {reason}")]
    Read {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: io::Error,
    },
}

impl InventoryError {
    /// A stable snake_case name for the kind of error: `inventory_invalid`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invalid { .. } | Self::Read { .. } => "inventory_invalid",
        }
    }
}

/// Whether the target lets upgrade scripts use `sudo` or `su` (`[system] sudo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sudo {
    /// `sudo = true`: scripts may; their use is reported as info.
    Allowed,
    /// `sudo = false`: a script that uses them is a preflight error.
    Denied,
    /// The inventory does not say: their use is a warning asking to say.
    Unstated,
}

/// A configuration value as the operator gives it (`[config]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConfigValue {
    Bool(bool),
    Integer(i64),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Integer(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Text(s) => write!(f, "\"{s}\""),
        }
    }
}

/// What the operator says about the target system, for preflight.
///
/// Every section is optional; an absent one is the same as an empty one
/// (nothing installed, no unit, no configuration key set, no host
/// reachable), so a partial inventory yields errors naming what to add,
/// never a silent pass. `[system] sudo` alone has a third state: unstated.
///
/// ```
/// use pkgverify::Inventory;
///
/// let inventory = Inventory::from_toml(r#"
/// version = 1
/// [installed]
/// postgresql = "14.10"
/// [system]
/// units = ["postgresql.service"]
/// sudo = false
/// [network]
/// reachable = ["db.internal", "*.dten.example"]
/// "#, "inventory.toml")?;
/// # Ok::<(), pkgverify::InventoryError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    installed: BTreeMap<String, String>,
    units: Vec<String>,
    sudo: Sudo,
    config: BTreeMap<String, ConfigValue>,
    reachable: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryFile {
    version: Spanned<i64>,
    #[serde(default)]
    installed: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    system: SystemSpec,
    #[serde(default)]
    config: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    network: NetworkSpec,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SystemSpec {
    #[serde(default)]
    units: Vec<Spanned<String>>,
    sudo: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkSpec {
    #[serde(default)]
    reachable: Vec<Spanned<String>>,
}

impl Inventory {
    /// Reads and checks the inventory file at `path`.
    ///
    /// # Errors
    /// [`InventoryError::Read`] if it cannot be read; [`InventoryError::Invalid`]
    /// with the line for bad TOML, a missing or unsupported `version`, an
    /// unknown key, a value of the wrong type, an empty version, unit or
    /// host, a host that is not a host name, or a list or table as a
    /// configuration value.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, InventoryError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|reason| InventoryError::Read {
            path: name.clone(),
            reason,
        })?;
        Self::from_toml(&text, &name)
    }

    /// As [`Inventory::load`], from TOML text; `source_name` names it in errors.
    ///
    /// # Errors
    /// As [`Inventory::load`], except the read error.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, InventoryError> {
        let bad = |span: Option<std::ops::Range<usize>>, problem: String| InventoryError::Invalid {
            source_name: source_name.into(),
            line: span.map(|s| line_of(text, s.start)),
            problem,
        };
        let file: InventoryFile = toml::from_str(text).map_err(|e| {
            let key = e.span().and_then(|span| key_at(text, span.start));
            bad(e.span(), plain_toml(e.message().trim(), key.as_deref()))
        })?;
        if *file.version.get_ref() != 1 {
            return Err(bad(
                Some(file.version.span()),
                format!(
                    "version {} is not supported (write version = 1)",
                    file.version.get_ref()
                ),
            ));
        }
        let mut installed = BTreeMap::new();
        for (name, v) in file.installed {
            if v.get_ref().trim().is_empty() {
                return Err(bad(
                    Some(v.span()),
                    format!("[installed] {name}: the version is empty (write the version installed, as the system shows it)"),
                ));
            }
            // `v1.20.0`, as `kubectl version` and `node --version` print it:
            // the version is what follows the `v`.
            let text = v.get_ref().trim();
            let text = match text.strip_prefix(['v', 'V']) {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
                _ => text,
            };
            installed.insert(name, text.to_owned());
        }
        let mut units = Vec::new();
        for u in &file.system.units {
            let unit = normalize_unit(u.get_ref()).ok_or_else(|| {
                bad(
                    Some(u.span()),
                    format!(
                        "[system] units: \"{}\" is not a unit name (write it as systemctl shows it, e.g. \"postgresql.service\")",
                        u.get_ref()
                    ),
                )
            })?;
            units.push(unit);
        }
        let sudo = match file.system.sudo {
            Some(true) => Sudo::Allowed,
            Some(false) => Sudo::Denied,
            None => Sudo::Unstated,
        };
        let mut config = BTreeMap::new();
        for (key, value) in &file.config {
            flatten(key, value.get_ref(), &mut config)
                .map_err(|problem| bad(Some(value.span()), problem))?;
        }
        let mut reachable = Vec::new();
        for h in &file.network.reachable {
            let host = normalize_reachable(h.get_ref()).map_err(|why| {
                bad(
                    Some(h.span()),
                    format!("[network] reachable: \"{}\" {why}", h.get_ref()),
                )
            })?;
            reachable.push(host);
        }
        Ok(Self {
            installed,
            units,
            sudo,
            config,
            reachable,
        })
    }

    /// The installed version of `name`, as the inventory gives it.
    pub(crate) fn installed(&self, name: &str) -> Option<&str> {
        self.installed.get(name).map(String::as_str)
    }

    /// Whether unit `unit` (normalized, see [`normalize_unit`]) is present.
    pub(crate) fn has_unit(&self, unit: &str) -> bool {
        self.units.iter().any(|u| unit_is(u, unit))
    }

    /// Whether scripts may use sudo or su.
    pub(crate) fn sudo(&self) -> Sudo {
        self.sudo
    }

    /// The operator's value for configuration key `key`.
    pub(crate) fn config(&self, key: &str) -> Option<&ConfigValue> {
        self.config.get(key)
    }

    /// Whether `host` (lowercase, no trailing dot) is listed as reachable,
    /// exactly or under a `*.domain` entry.
    pub(crate) fn reaches(&self, host: &str) -> bool {
        self.reachable.iter().any(|r| match r.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => r == host,
        })
    }
}

/// Whether `listed` (a unit present or shipped) provides `unit`: the same
/// name, or the template an instance comes from (`dten-worker@.service`
/// provides `dten-worker@1.service`).
pub(crate) fn unit_is(listed: &str, unit: &str) -> bool {
    if listed == unit {
        return true;
    }
    let template = unit.split_once('@').and_then(|(name, rest)| {
        let suffix = rest.rsplit_once('.').map(|(_, s)| s)?;
        (!rest.starts_with('.')).then(|| format!("{name}@.{suffix}"))
    });
    template.is_some_and(|t| t == listed)
}

/// A unit name as compared: trimmed, `.service` added when there is no
/// suffix; `None` for an empty name or one with spaces or slashes.
pub(crate) fn normalize_unit(unit: &str) -> Option<String> {
    let unit = unit.trim();
    if unit.is_empty() || unit.contains(|c: char| c.is_whitespace() || c == '/') {
        return None;
    }
    let known = [
        ".service",
        ".socket",
        ".timer",
        ".target",
        ".mount",
        ".path",
        ".slice",
        ".scope",
        ".device",
        ".swap",
        ".automount",
    ];
    if known.iter().any(|s| unit.ends_with(s)) {
        Some(unit.to_owned())
    } else {
        Some(format!("{unit}.service"))
    }
}

/// A `[network] reachable` entry as compared: lowercase, no trailing dot;
/// `*.` only as a leading label.
fn normalize_reachable(host: &str) -> Result<String, &'static str> {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let name = h.strip_prefix("*.").unwrap_or(&h);
    let name = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if name.is_empty() {
        return Err("is empty: write a host name such as \"db.internal\", or \"*.example.com\" for its subdomains");
    }
    if h.contains("://") || h.contains('/') || h.contains('@') {
        return Err("is not a host name: write the host alone, without scheme, user or path");
    }
    if name.contains('*') {
        return Err("has a wildcard other than a leading \"*.\": only \"*.example.com\" (any subdomain) is understood");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err("is not a host name (letters, digits, dots and hyphens; an IPv6 address)");
    }
    if name.contains(':') && name.chars().filter(|c| *c == ':').count() < 2 {
        return Err("has a port: write the host alone (reachability is per host)");
    }
    Ok(if h.starts_with("*.") {
        format!("*.{name}")
    } else {
        name.to_owned()
    })
}

/// `[config]` into dotted keys: `"a.b" = 1` and `a.b = 1` (a nested table)
/// both set key `a.b`; lists are refused.
fn flatten(
    key: &str,
    value: &toml::Value,
    out: &mut BTreeMap<String, ConfigValue>,
) -> Result<(), String> {
    let scalar = match value {
        toml::Value::Boolean(b) => ConfigValue::Bool(*b),
        toml::Value::Integer(i) => ConfigValue::Integer(*i),
        toml::Value::Float(x) => ConfigValue::Float(*x),
        toml::Value::String(s) => ConfigValue::Text(s.clone()),
        toml::Value::Datetime(d) => ConfigValue::Text(d.to_string()),
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{key}.{k}"), v, out)?;
            }
            return Ok(());
        }
        toml::Value::Array(_) => {
            return Err(format!(
                "[config] `{key}`: a list is not a configuration value here; give the key's value as one string, number or boolean"
            ))
        }
    };
    if out.insert(key.to_owned(), scalar).is_some() {
        return Err(format!(
            "[config] `{key}` is set twice (once quoted, once as a dotted or nested key)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn invalid(text: &str) -> (Option<usize>, String) {
        match Inventory::from_toml(text, "inv.toml") {
            Err(InventoryError::Invalid { line, problem, .. }) => (line, problem),
            other => panic!("expected inventory_invalid, got {other:?}"),
        }
    }

    #[test]
    fn the_issue_example_loads() {
        let inv = Inventory::from_toml(
            r#"version = 1
[installed]
dten-full-upgrade = "4.1.0"
openssl = "3.0.19"
postgresql = "14.10"
libc = "2.36-9+deb12u4"
[system]
units = ["dten-agent.service", "postgresql"]
sudo = false
[config]
"dten.legacy.mode" = true
dten.sync.period = 30
[network]
reachable = ["updates.dten.example", "DB.Internal.", "*.corp.example"]
"#,
            "inv.toml",
        )
        .unwrap();
        assert_eq!(inv.installed("postgresql"), Some("14.10"));
        assert_eq!(inv.installed("libc"), Some("2.36-9+deb12u4"));
        assert!(inv.has_unit("postgresql.service"));
        assert_eq!(inv.sudo(), Sudo::Denied);
        assert_eq!(
            inv.config("dten.legacy.mode"),
            Some(&ConfigValue::Bool(true))
        );
        assert_eq!(
            inv.config("dten.sync.period"),
            Some(&ConfigValue::Integer(30))
        );
        assert!(inv.reaches("db.internal"));
        assert!(inv.reaches("updates.dten.example"));
        assert!(inv.reaches("a.corp.example"));
        assert!(inv.reaches("a.b.corp.example"));
        assert!(!inv.reaches("corp.example"));
        assert!(!inv.reaches("xcorp.example"));
        assert!(!inv.reaches("sftp-legacy.dten.example"));
    }

    #[test]
    fn every_section_is_optional() {
        let inv = Inventory::from_toml("version = 1\n", "inv.toml").unwrap();
        assert_eq!(inv.sudo(), Sudo::Unstated);
        assert_eq!(inv.installed("x"), None);
    }

    #[test]
    fn errors_name_the_line_and_say_what_to_write() {
        for (text, line, words) in [
            ("version = 2\n", Some(1), "version 2 is not supported"),
            ("[installed]\nx = \"1\"\n", None, "version"),
            (
                "version = 1\n[system]\nsudo = \"no\"\n",
                Some(3),
                "`sudo` must be true or false",
            ),
            (
                "version = 1\n[system]\nunit = []\n",
                Some(3),
                "unknown field `unit`",
            ),
            (
                "version = 1\n[installed]\nopenssl = 3.0\n",
                Some(3),
                "`openssl` must be a string",
            ),
            (
                "version = 1\n[installed]\nopenssl = \"\"\n",
                Some(3),
                "the version is empty",
            ),
            (
                "version = 1\n[network]\nreachable = [\"https://x.example/\"]\n",
                Some(3),
                "without scheme",
            ),
            (
                "version = 1\n[network]\nreachable = [\"x.*.example\"]\n",
                Some(3),
                "leading \"*.\"",
            ),
            (
                "version = 1\n[network]\nreachable = [\"x.example:22\"]\n",
                Some(3),
                "has a port",
            ),
            (
                "version = 1\n[config]\n\"a.b\" = [1]\n",
                Some(3),
                "a list is not",
            ),
            (
                "version = 1\n[config]\n\"a.b\" = 1\na.b = 2\n",
                None,
                "set twice",
            ),
            (
                "version = 1\n[system]\nunits = [\"two words\"]\n",
                Some(3),
                "not a unit name",
            ),
            (
                "version = 1\n[surprise]\n",
                Some(2),
                "unknown field `surprise`",
            ),
        ] {
            let (got_line, problem) = invalid(text);
            assert!(problem.contains(words), "{text:?}: {problem}");
            if line.is_some() {
                assert_eq!(got_line, line, "{text:?}: {problem}");
            }
        }
    }

    #[test]
    fn read_errors_carry_the_reason() {
        let e = Inventory::load("/nonexistent/inventory.toml").unwrap_err();
        assert_eq!(e.kind(), "inventory_invalid");
        assert!(e.to_string().contains("/nonexistent/inventory.toml"), "{e}");
    }
}
