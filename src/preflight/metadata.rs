//! The manifest's operator metadata (`docs/PREFLIGHT.md`, "Manifest
//! metadata"): `requires`, `upgrade_from`, `config`, `scheduled_tasks`,
//! `services` and `reboot`, read from the signed manifest into typed values.
//!
//! A key of this set with the wrong shape is not a verification failure:
//! the package is authentic, its vendor wrote the key wrongly. It becomes a
//! `metadata_invalid` finding naming the key path, and only that key is
//! skipped. Keys outside this set, and unknown keys inside it, are ignored
//! (other conventions and later versions may add some).

use semver::VersionReq;
use serde_json::{Map, Value};

use super::finding::{Finding, FindingCode, Severity};

/// Whether the package asks for a reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Reboot {
    /// `false` or absent.
    #[default]
    No,
    /// `"recommended"`.
    Recommended,
    /// `true`.
    Required,
}

/// A scheduled task the manifest declares (`scheduled_tasks[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeclaredTask {
    /// `name`, if given.
    pub(crate) name: Option<String>,
    /// `schedule`: a cron expression or a systemd calendar event.
    pub(crate) schedule: String,
    /// `command`: what it runs.
    pub(crate) command: String,
    /// `reaches`: URLs or hosts it connects to.
    pub(crate) reaches: Vec<String>,
}

/// A version requirement as written and as parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Requirement {
    /// As the manifest writes it.
    pub(crate) text: String,
    /// Parsed.
    pub(crate) req: VersionReq,
}

/// The operator metadata of one manifest, each key as far as it was valid.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Metadata {
    /// `requires.min_version`: the lowest installed product version it upgrades.
    pub(crate) min_version: Option<String>,
    /// `requires.packages`: package name and requirement, in key order.
    pub(crate) packages: Vec<(String, Requirement)>,
    /// `upgrade_from`: installed product versions it upgrades from.
    pub(crate) upgrade_from: Vec<Requirement>,
    /// `config.removed`.
    pub(crate) removed: Vec<String>,
    /// `config.deprecated`: old key and its replacement.
    pub(crate) deprecated: Vec<(String, String)>,
    /// `config.required`: key and the value it must have.
    pub(crate) required: Vec<(String, Value)>,
    /// `scheduled_tasks`.
    pub(crate) tasks: Vec<DeclaredTask>,
    /// `services`: units the package starts, stops or restarts.
    pub(crate) services: Vec<String>,
    /// `reboot`.
    pub(crate) reboot: Reboot,
}

/// Collects `metadata_invalid` findings while reading.
struct Reader {
    findings: Vec<Finding>,
}

impl Reader {
    fn invalid(&mut self, key: &str, expected: &str, found: &Value) {
        self.findings.push(Finding::new(
            FindingCode::MetadataInvalid,
            Severity::Error,
            format!(
                "manifest key `{key}` should be {expected}, but the package has {}: the package is authentic (its signature verified), but its vendor wrote this key wrongly, so what it should say was not checked; ask the vendor for a corrected package",
                describe(found)
            ),
        ));
    }

    fn string(&mut self, key: &str, v: &Value, expected: &str) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            other => {
                self.invalid(key, expected, other);
                None
            }
        }
    }

    fn strings(&mut self, key: &str, v: &Value, expected: &str) -> Vec<String> {
        let Value::Array(items) = v else {
            self.invalid(key, &format!("a list of {expected}"), v);
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(&format!("{key}[{i}]"), item, expected))
            .collect()
    }

    fn object<'v>(
        &mut self,
        key: &str,
        v: &'v Value,
        expected: &str,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(o) => Some(o),
            other => {
                self.invalid(key, expected, other);
                None
            }
        }
    }

    fn requirement(&mut self, key: &str, v: &Value) -> Option<Requirement> {
        const EXPECTED: &str = "a SemVer version requirement such as \">=3.0, <4\"";
        let Value::String(text) = v else {
            self.invalid(key, EXPECTED, v);
            return None;
        };
        match VersionReq::parse(text) {
            Ok(req) => Some(Requirement {
                text: text.clone(),
                req,
            }),
            Err(e) => {
                self.findings.push(Finding::new(
                    FindingCode::MetadataInvalid,
                    Severity::Error,
                    format!(
                        "manifest key `{key}` should be {EXPECTED}, but \"{text}\" is not one ({e}): the package is authentic (its signature verified), but its vendor wrote this key wrongly, so it was not checked; ask the vendor for a corrected package"
                    ),
                ));
                None
            }
        }
    }
}

/// A JSON value in a few words, for messages.
fn describe(v: &Value) -> String {
    let shown = |s: String| {
        if s.chars().count() > 60 {
            format!("{}...", s.chars().take(60).collect::<String>())
        } else {
            s
        }
    };
    match v {
        Value::Null => "no value (the key is missing or null)".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.trim().is_empty() => "an empty string".into(),
        Value::String(s) => format!("the string \"{}\"", shown(s.clone())),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Whether a version string looks like one: starts with a digit, no spaces.
fn is_version(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~' | ':'))
}

/// Reads the operator metadata from a manifest's metadata keys.
pub(crate) fn parse(metadata: &Map<String, Value>) -> (Metadata, Vec<Finding>) {
    let mut r = Reader {
        findings: Vec::new(),
    };
    let mut m = Metadata::default();

    if let Some(requires) = metadata.get("requires") {
        if let Some(o) = r.object(
            "requires",
            requires,
            "an object with min_version and packages",
        ) {
            if let Some(v) = o.get("min_version") {
                match v {
                    Value::String(s) if is_version(s.trim()) => {
                        m.min_version = Some(s.trim().to_owned())
                    }
                    other => r.invalid(
                        "requires.min_version",
                        "a version string such as \"4.0.0\"",
                        other,
                    ),
                }
            }
            if let Some(p) = o.get("packages") {
                if let Some(p) = r.object(
                    "requires.packages",
                    p,
                    "an object of package names and version requirements",
                ) {
                    for (name, req) in p {
                        if let Some(req) = r.requirement(&format!("requires.packages.{name}"), req)
                        {
                            m.packages.push((name.clone(), req));
                        }
                    }
                }
            }
        }
    }

    if let Some(u) = metadata.get("upgrade_from") {
        match u {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(req) = r.requirement(&format!("upgrade_from[{i}]"), item) {
                        m.upgrade_from.push(req);
                    }
                }
            }
            other => r.invalid(
                "upgrade_from",
                "a list of version requirements such as [\">=4.0.0, <4.2.0\"]",
                other,
            ),
        }
    }

    if let Some(c) = metadata.get("config") {
        if let Some(o) = r.object(
            "config",
            c,
            "an object with removed, deprecated and required",
        ) {
            if let Some(v) = o.get("removed") {
                m.removed = r.strings("config.removed", v, "configuration keys (strings)");
            }
            if let Some(v) = o.get("deprecated") {
                if let Some(d) = r.object(
                    "config.deprecated",
                    v,
                    "an object of old keys and their replacements",
                ) {
                    for (old, new) in d {
                        let key = format!("config.deprecated.{old}");
                        if let Some(new) = r.string(&key, new, "the replacement key (a string)") {
                            m.deprecated.push((old.clone(), new));
                        }
                    }
                }
            }
            if let Some(v) = o.get("required") {
                if let Some(req) = r.object(
                    "config.required",
                    v,
                    "an object of keys and the values they must have",
                ) {
                    for (key, value) in req {
                        match value {
                            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                                m.required.push((key.clone(), value.clone()));
                            }
                            other => r.invalid(
                                &format!("config.required.{key}"),
                                "a string, number or boolean",
                                other,
                            ),
                        }
                    }
                }
            }
        }
    }

    if let Some(t) = metadata.get("scheduled_tasks") {
        match t {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let key = format!("scheduled_tasks[{i}]");
                    let Some(o) = r.object(&key, item, "an object with schedule and command")
                    else {
                        continue;
                    };
                    let name = match o.get("name") {
                        None => None,
                        Some(n) => r.string(&format!("{key}.name"), n, "a string"),
                    };
                    let field = |r: &mut Reader, f: &str, expected: &str| match o.get(f) {
                        Some(v) => r.string(&format!("{key}.{f}"), v, expected),
                        None => {
                            r.invalid(&format!("{key}.{f}"), expected, &Value::Null);
                            None
                        }
                    };
                    let schedule = field(&mut r, "schedule", "a schedule such as \"0 3 * * *\"");
                    let command = field(&mut r, "command", "the command it runs (a string)");
                    let reaches = match o.get("reaches") {
                        None => Vec::new(),
                        Some(v) => r.strings(&format!("{key}.reaches"), v, "URLs or host names"),
                    };
                    if let (Some(schedule), Some(command)) = (schedule, command) {
                        m.tasks.push(DeclaredTask {
                            name,
                            schedule,
                            command,
                            reaches,
                        });
                    }
                }
            }
            other => r.invalid("scheduled_tasks", "a list of task objects", other),
        }
    }

    if let Some(s) = metadata.get("services") {
        m.services = r.strings("services", s, "unit names such as \"dten-agent.service\"");
    }

    match metadata.get("reboot") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => m.reboot = Reboot::Required,
        Some(Value::String(s)) if s == "recommended" => m.reboot = Reboot::Recommended,
        Some(other) => r.invalid("reboot", "true, false or \"recommended\"", other),
    }

    (m, r.findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: &str) -> (Metadata, Vec<Finding>) {
        let Value::Object(o) = serde_json::from_str(json).unwrap() else {
            panic!("not an object")
        };
        parse(&o)
    }

    #[test]
    fn the_issue_example_reads() {
        let (m, f) = metadata(
            r#"{
            "requires": {"min_version": "4.0.0", "packages": {"openssl": ">=3.0, <4", "postgresql": ">=14"}},
            "upgrade_from": [">=4.0.0, <4.2.0"],
            "config": {"removed": ["dten.legacy.mode"], "deprecated": {"dten.sync.interval": "dten.sync.period"}, "required": {"dten.hybrid.enable": true}},
            "scheduled_tasks": [{"name": "data-import", "schedule": "0 3 * * *", "command": "scripts/import.sh", "reaches": ["sftp://sftp-legacy.dten.example/incoming"]}],
            "services": ["dten-agent.service"],
            "reboot": "recommended",
            "something_else": {"ignored": true}
        }"#,
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(m.min_version.as_deref(), Some("4.0.0"));
        assert_eq!(m.packages.len(), 2);
        assert_eq!(m.upgrade_from.len(), 1);
        assert_eq!(m.removed, ["dten.legacy.mode"]);
        assert_eq!(
            m.deprecated,
            [(
                "dten.sync.interval".to_owned(),
                "dten.sync.period".to_owned()
            )]
        );
        assert_eq!(
            m.required,
            [("dten.hybrid.enable".to_owned(), Value::Bool(true))]
        );
        assert_eq!(m.tasks.len(), 1);
        assert_eq!(m.services, ["dten-agent.service"]);
        assert_eq!(m.reboot, Reboot::Recommended);
    }

    #[test]
    fn wrong_shapes_name_their_key_and_keep_the_rest() {
        for (json, key) in [
            (
                r#"{"requires": {"packages": {"openssl": "three"}}}"#,
                "requires.packages.openssl",
            ),
            (
                r#"{"requires": {"packages": {"openssl": 3}}}"#,
                "requires.packages.openssl",
            ),
            (
                r#"{"requires": {"packages": ["openssl"]}}"#,
                "requires.packages",
            ),
            (r#"{"requires": "openssl"}"#, "`requires`"),
            (
                r#"{"requires": {"min_version": "latest"}}"#,
                "requires.min_version",
            ),
            (r#"{"upgrade_from": ">=4.0"}"#, "`upgrade_from`"),
            (
                r#"{"upgrade_from": [">=4.0", "4.x.y.z"]}"#,
                "upgrade_from[1]",
            ),
            (r#"{"config": {"removed": "a.b"}}"#, "config.removed"),
            (r#"{"config": {"removed": ["a", 3]}}"#, "config.removed[1]"),
            (
                r#"{"config": {"deprecated": {"a": 1}}}"#,
                "config.deprecated.a",
            ),
            (
                r#"{"config": {"required": {"a": [true]}}}"#,
                "config.required.a",
            ),
            (
                r#"{"scheduled_tasks": [{"name": "x", "run": "y"}]}"#,
                "scheduled_tasks[0].schedule",
            ),
            (
                r#"{"scheduled_tasks": [{"schedule": "@daily", "command": "x", "reaches": "h"}]}"#,
                "scheduled_tasks[0].reaches",
            ),
            (r#"{"scheduled_tasks": {"a": 1}}"#, "`scheduled_tasks`"),
            (r#"{"services": "dten-agent"}"#, "`services`"),
            (r#"{"reboot": "yes"}"#, "`reboot`"),
            (r#"{"reboot": 1}"#, "`reboot`"),
        ] {
            let (_, f) = metadata(json);
            assert!(!f.is_empty(), "{json}");
            assert!(f
                .iter()
                .all(|f| f.code == FindingCode::MetadataInvalid && f.severity == Severity::Error));
            assert!(
                f.iter().any(|f| f.message.contains(key)
                    && f.message.contains("vendor wrote this key wrongly")),
                "{json}: {f:?}"
            );
        }
        let (m, f) =
            metadata(r#"{"requires": {"packages": {"openssl": "bad req", "postgresql": ">=14"}}}"#);
        assert_eq!(f.len(), 1);
        assert_eq!(m.packages.len(), 1, "the valid package requirement is kept");
    }
}
