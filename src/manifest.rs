//! Format 1 `manifest.json`: parsing (strict: no duplicate keys anywhere) and writing.
//!
//! The verifier parses a manifest only after its signature has been checked,
//! and hands it to callers only inside a [`VerifiedPackage`](crate::VerifiedPackage).

use std::collections::HashMap;
use std::fmt;

use std::cell::RefCell;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::path;

/// The only format version this crate reads.
pub const FORMAT_VERSION: u64 = 1;

/// A verified format-1 manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    package: PackageInfo,
    files: Vec<FileEntry>,
    metadata: Map<String, Value>,
}

/// The `package` object: what the package is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageInfo {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// Creation time, RFC 3339, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// One payload file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path inside the archive.
    pub path: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// Unix permission bits (`0..=0o7777`), if the manifest fixes them.
    pub mode: Option<u32>,
}

impl Manifest {
    /// Builds a manifest (for writing packages).
    pub(crate) fn new(
        package: PackageInfo,
        files: Vec<FileEntry>,
        metadata: Map<String, Value>,
    ) -> Self {
        Self {
            package,
            files,
            metadata,
        }
    }

    /// What the package is.
    pub fn package(&self) -> &PackageInfo {
        &self.package
    }

    /// The payload files, in manifest order.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// Every top-level key other than `format`, `package` and `files`
    /// (`requires`, `reboot`, `scheduled_tasks`, ...), as signed by the vendor.
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }

    /// Fuzzing only: [`Manifest::parse`].
    ///
    /// # Errors
    /// As `parse`.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn fuzz_parse(bytes: &[u8]) -> Result<Self, Error> {
        Self::parse(bytes)
    }

    /// Parses manifest bytes. Not public: a manifest reaches callers only
    /// from a verified package.
    ///
    /// # Errors
    /// [`Error::ManifestInvalid`] naming the field: not UTF-8 JSON, a duplicate
    /// key anywhere, a format other than 1, a missing or mistyped field, a
    /// malformed digest, a size that is not a non-negative integer, an unsafe,
    /// reserved or duplicate path, or a mode outside `0..=0o7777`.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        // The format first: a manifest of another format is reported as such,
        // whatever else it holds.
        #[derive(serde::Deserialize)]
        struct FormatOnly {
            format: Option<Value>,
        }
        let whole = |e: serde_json::Error| Error::manifest("manifest.json", e.to_string());
        match serde_json::from_slice::<FormatOnly>(bytes)
            .map_err(whole)?
            .format
        {
            Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(Error::manifest(
                    "format",
                    format!("unsupported format {other}, this verifier reads format 1"),
                ))
            }
            None => return Err(Error::manifest("format", "missing")),
        }
        let failure = RefCell::new(None);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parts = TopLevel { failure: &failure }
            .deserialize(&mut de)
            .and_then(|p| de.end().map(|()| p));
        let parts = match (parts, failure.into_inner()) {
            (_, Some(e)) => return Err(e),
            (Err(e), None) => return Err(whole(e)),
            (Ok(p), None) => p,
        };
        let package = parse_package(parts.package)?;
        let files = parts
            .files
            .ok_or_else(|| Error::manifest("files", "missing"))?;
        Ok(Self {
            package,
            files,
            metadata: parts.metadata,
        })
    }

    /// Serializes the manifest as format-1 JSON (pretty-printed, keys in a fixed order).
    pub fn to_json(&self) -> Vec<u8> {
        let mut top = Map::new();
        top.insert("format".into(), Value::from(FORMAT_VERSION));
        let mut package = Map::new();
        package.insert("name".into(), Value::from(self.package.name.clone()));
        package.insert("version".into(), Value::from(self.package.version.clone()));
        if let Some(created) = &self.package.created {
            package.insert("created".into(), Value::from(created.clone()));
        }
        top.insert("package".into(), Value::Object(package));
        let files = self
            .files
            .iter()
            .map(|f| {
                let mut o = Map::new();
                o.insert("path".into(), Value::from(f.path.clone()));
                o.insert("size".into(), Value::from(f.size));
                o.insert("sha256".into(), Value::from(crate::hex(&f.sha256)));
                if let Some(mode) = f.mode {
                    o.insert("mode".into(), Value::from(mode));
                }
                Value::Object(o)
            })
            .collect();
        top.insert("files".into(), Value::Array(files));
        for (k, v) in &self.metadata {
            top.insert(k.clone(), v.clone());
        }
        let mut out = serde_json::to_vec_pretty(&Value::Object(top)).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Parses JSON, rejecting duplicate keys at any depth.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<UniqueKeys>(bytes)
        .map(|v| v.0)
        .map_err(|e| e.to_string())
}

/// Whether `key` has a meaning of its own at the top level (not metadata).
pub(crate) fn is_reserved_key(key: &str) -> bool {
    matches!(key, "format" | "package" | "files")
}

fn parse_package(value: Option<Value>) -> Result<PackageInfo, Error> {
    let Some(Value::Object(mut o)) = value else {
        return Err(Error::manifest("package", "missing or not an object"));
    };
    let name = take_text(&mut o, "package.name", "name")?;
    let version = take_text(&mut o, "package.version", "version")?;
    let created = match o.remove("created") {
        None => None,
        Some(Value::String(s)) => {
            if crate::time::parse_rfc3339(&s).is_none() {
                return Err(Error::manifest("package.created", "not an RFC 3339 time"));
            }
            Some(s)
        }
        Some(_) => return Err(Error::manifest("package.created", "not a string")),
    };
    if let Some(key) = o.keys().next() {
        return Err(Error::manifest(
            format!("package.{key}"),
            "unknown key (metadata belongs at the top level)",
        ));
    }
    Ok(PackageInfo {
        name,
        version,
        created,
    })
}

fn take_text(o: &mut Map<String, Value>, field: &str, key: &str) -> Result<String, Error> {
    match o.remove(key) {
        Some(Value::String(s)) if s.is_empty() => Err(Error::manifest(field, "empty")),
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            Err(Error::manifest(field, "contains a control character"))
        }
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::manifest(field, "not a string")),
        None => Err(Error::manifest(field, "missing")),
    }
}

/// One element of `files`: its fields, its path's safety and uniqueness
/// (`seen`: folded paths so far, with their index and path).
fn parse_file(
    i: usize,
    item: Value,
    seen: &mut HashMap<String, (usize, String)>,
) -> Result<FileEntry, Error> {
    let Value::Object(mut o) = item else {
        return Err(Error::manifest(format!("files[{i}]"), "not an object"));
    };
    let field = |k: &str| format!("files[{i}].{k}");
    let path = match o.remove("path") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(Error::manifest(field("path"), "not a string")),
        None => return Err(Error::manifest(field("path"), "missing")),
    };
    if let Err(problem) = path::check_file(&path) {
        return Err(Error::manifest(
            field("path"),
            format!("\"{path}\": {problem}"),
        ));
    }
    let folded = path::fold(&path);
    if folded == "manifest.json" || folded.starts_with("signatures/") {
        return Err(Error::manifest(
            field("path"),
            format!("\"{path}\" is reserved for the manifest or signatures"),
        ));
    }
    if let Some((j, other)) = seen.insert(folded, (i, path.clone())) {
        return Err(Error::manifest(
            field("path"),
            format!("\"{path}\" is also files[{j}] \"{other}\" (paths must differ beyond case and Unicode form)"),
        ));
    }
    let size = match o.remove("size") {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
            Error::manifest(field("size"), format!("{n} is not a non-negative integer"))
        })?,
        Some(_) => return Err(Error::manifest(field("size"), "not a number")),
        None => return Err(Error::manifest(field("size"), "missing")),
    };
    let sha256 = match o.remove("sha256") {
        Some(Value::String(s)) => parse_digest(&s).ok_or_else(|| {
            Error::manifest(field("sha256"), "not 64 lowercase hexadecimal digits")
        })?,
        Some(_) => return Err(Error::manifest(field("sha256"), "not a string")),
        None => return Err(Error::manifest(field("sha256"), "missing")),
    };
    let mode = match o.remove("mode") {
        None => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(m) if m <= 0o7777 => Some(m as u32),
            _ => {
                return Err(Error::manifest(
                    field("mode"),
                    format!("{n} is not a permission mode (0 to 0o7777)"),
                ))
            }
        },
        Some(_) => return Err(Error::manifest(field("mode"), "not a number")),
    };
    if let Some(key) = o.keys().next() {
        return Err(Error::manifest(field(key), "unknown key"));
    }
    Ok(FileEntry {
        path,
        size,
        sha256,
        mode,
    })
}

/// The top level, parsed in one pass: `files` is validated element by element
/// as it is read, so a manifest of 100,000 files never exists as a JSON tree.
/// A structured error found inside is passed out through `failure`.
struct TopLevel<'a> {
    failure: &'a RefCell<Option<Error>>,
}

/// The top level's parts, before their own checks.
struct Parts {
    format: Option<Value>,
    package: Option<Value>,
    files: Option<Vec<FileEntry>>,
    metadata: Map<String, Value>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Parts;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Parts, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
        let mut parts = Parts {
            format: None,
            package: None,
            files: None,
            metadata: Map::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            let repeated = match key.as_str() {
                "format" => parts
                    .format
                    .replace(map.next_value::<UniqueKeys>()?.0)
                    .is_some(),
                "package" => parts
                    .package
                    .replace(map.next_value::<UniqueKeys>()?.0)
                    .is_some(),
                "files" => parts
                    .files
                    .replace(map.next_value_seed(Files {
                        failure: self.failure,
                    })?)
                    .is_some(),
                _ => {
                    let value = map.next_value::<UniqueKeys>()?.0;
                    parts.metadata.insert(key.clone(), value).is_some()
                }
            };
            if repeated {
                return Err(de::Error::custom(format_args!("duplicate key \"{key}\"")));
            }
        }
        Ok(parts)
    }
}

/// The `files` array, element by element.
struct Files<'a> {
    failure: &'a RefCell<Option<Error>>,
}

impl<'de> DeserializeSeed<'de> for Files<'_> {
    type Value = Vec<FileEntry>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<FileEntry>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Files<'_> {
    type Value = Vec<FileEntry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"files\" to be an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<FileEntry>, A::Error> {
        let mut files = Vec::new();
        let mut seen = HashMap::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            match parse_file(files.len(), item, &mut seen) {
                Ok(f) => files.push(f),
                Err(e) => {
                    *self.failure.borrow_mut() = Some(e);
                    return Err(de::Error::custom("invalid files element"));
                }
            }
        }
        Ok(files)
    }
}

fn parse_digest(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let &[hi, lo] = pair else {
            return None;
        };
        *o = nibble(hi)? << 4 | nibble(lo)?;
    }
    Some(out)
}

/// A JSON value that rejects duplicate object keys at any depth
/// (`serde_json::Value` silently keeps the last one).
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(UniqueKeys(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let UniqueKeys(value) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key \"{key}\"")));
            }
            out.insert(key, value);
        }
        Ok(UniqueKeys(Value::Object(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn doc(files: &str, extra: &str) -> String {
        format!(r#"{{"format":1,"package":{{"name":"p","version":"1"}},"files":[{files}]{extra}}}"#)
    }

    fn file(path: &str) -> String {
        format!(r#"{{"path":"{path}","size":1,"sha256":"{DIGEST}"}}"#)
    }

    #[test]
    fn parses_and_keeps_metadata() {
        let m =
            Manifest::parse(doc(&file("a/b"), r#","reboot":true,"requires":{"x":1}"#).as_bytes())
                .unwrap();
        assert_eq!(m.files().len(), 1);
        assert_eq!(m.files()[0].path, "a/b");
        assert_eq!(m.metadata().get("reboot"), Some(&Value::Bool(true)));
        assert!(m.metadata().contains_key("requires"));
        let again = Manifest::parse(&m.to_json()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn rejections_name_the_field() {
        let long = format!("{DIGEST}0");
        let cases: Vec<(String, &str)> = vec![
            ("[]".into(), "manifest.json"),
            ("{\"format\":1,\"format\":1}".into(), "manifest.json"),
            (doc(&file("a"), r#","x":{"k":1,"k":2}"#), "manifest.json"),
            (
                doc(&file("a"), "").replace("\"format\":1", "\"format\":2"),
                "format",
            ),
            (
                doc(&file("a"), "").replace("\"format\":1", "\"format\":\"1\""),
                "format",
            ),
            (doc(&file("a"), "").replace("\"format\":1,", ""), "format"),
            (
                doc(&file("a"), "").replace("\"name\":\"p\",", ""),
                "package.name",
            ),
            (
                doc(&file("a"), "").replace("\"name\":\"p\"", "\"name\":\"p\\u001b\""),
                "package.name",
            ),
            (
                doc(&file("a"), "").replace(
                    "\"version\":\"1\"",
                    "\"version\":\"1\",\"created\":\"yesterday\"",
                ),
                "package.created",
            ),
            (
                doc(&format!("{},{}", file("a"), file("a")), ""),
                "files[1].path",
            ),
            (
                doc(&format!("{},{}", file("a"), file("A")), ""),
                "files[1].path",
            ),
            (doc(&file("../a"), ""), "files[0].path"),
            (doc(&file("manifest.json"), ""), "files[0].path"),
            (doc(&file("signatures/x.sig"), ""), "files[0].path"),
            (
                doc(&file("a").replace("\"size\":1", "\"size\":-1"), ""),
                "files[0].size",
            ),
            (
                doc(&file("a").replace("\"size\":1", "\"size\":1.5"), ""),
                "files[0].size",
            ),
            (
                doc(&file("a").replace("\"size\":1", "\"size\":1e40"), ""),
                "files[0].size",
            ),
            (
                doc(
                    &file("a").replace(DIGEST, &DIGEST.to_uppercase().replace('0', "A")),
                    "",
                ),
                "files[0].sha256",
            ),
            (
                doc(&file("a").replace(DIGEST, &long), ""),
                "files[0].sha256",
            ),
            (
                doc(
                    &file("a").replace("\"size\":1", "\"size\":1,\"mode\":4096"),
                    "",
                ),
                "files[0].mode",
            ),
            (
                doc(
                    &file("a").replace("\"size\":1", "\"size\":1,\"exec\":true"),
                    "",
                ),
                "files[0].exec",
            ),
        ];
        for (text, field) in cases {
            match Manifest::parse(text.as_bytes()) {
                Err(Error::ManifestInvalid { field: f, .. }) => assert_eq!(f, field, "{text}"),
                other => panic!("{text}: expected manifest_invalid on {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let text = doc(&file("a"), &format!(",\"x\":{deep}"));
        assert!(matches!(
            Manifest::parse(text.as_bytes()),
            Err(Error::ManifestInvalid { .. })
        ));
    }

    /// Found by the `manifest` fuzz target (a metadata number did not survive
    /// `Manifest::parse` then `to_json` then `parse`; 14 inputs, one cause):
    /// numbers in signed metadata were parsed with serde_json's default
    /// best-effort float algorithm, so `1.6e-29` was exposed as
    /// `1.5999999999999999e-29` and `9007199254740993.0` as `9007199254740994`,
    /// not the value the signed text denotes (the nearest f64), and writing the
    /// manifest back changed its text. Fixed in e6c8cc5 (`float_roundtrip`). (Moved here from
    /// tests/hostile.rs: `Manifest::parse` is not public.)
    #[test]
    fn metadata_numbers_are_exposed_as_signed() {
        for lit in [
            "1.6e-29",
            "1.5e-29",
            "2.2250738585072011e-308",
            "9007199254740993.0",
            "0.1",
        ] {
            let doc = format!(
                r#"{{"format":1,"package":{{"name":"a","version":"1"}},"files":[],"x":{lit}}}"#
            );
            let m = Manifest::parse(doc.as_bytes()).unwrap();
            let exposed = m.metadata()["x"].as_f64().unwrap();
            let signed: f64 = lit.parse().unwrap();
            assert_eq!(exposed, signed, "metadata {lit} is exposed as {exposed:e}");
            let again = Manifest::parse(&m.to_json()).unwrap();
            assert_eq!(again, m, "metadata {lit} changes when written back");
        }
    }
}
