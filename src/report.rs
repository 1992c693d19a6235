//! What a caller, a pipeline or the example verifier shows: one serializable
//! report for success and failure alike.

use serde::Serialize;

use crate::outcome::{Problem, Rejection, SignatureReport, VerifiedPackage};

/// The package's identity in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageId {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
}

/// The version of the report's JSON shape (`schema_version`), documented in
/// `docs/REPORT.md` with a JSON Schema in `docs/report.schema.json`. Adding an
/// optional field keeps it; removing or changing one raises it.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// One payload file of a verified package, as `--list` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// Its path in the package.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its unix permission bits, if the manifest fixes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// The whole verdict, as the example verifier's `--json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Whether the package verified.
    pub verified: bool,
    /// Name and version, when an authenticated manifest gave them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageId>,
    /// Every signature's outcome, when the signatures were reached.
    pub signatures: Vec<SignatureReport>,
    /// Payload files verified.
    pub files: u64,
    /// Payload bytes verified.
    pub bytes: u64,
    /// The failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
    /// Every payload file, when asked for ([`Report::with_file_list`]) and
    /// the package verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_list: Option<Vec<FileReport>>,
}

impl Report {
    /// The report of a verification result.
    pub fn new(result: &Result<VerifiedPackage, Rejection>) -> Self {
        match result {
            Ok(p) => Self {
                schema_version: REPORT_SCHEMA_VERSION,
                verified: true,
                package: Some(PackageId {
                    name: p.manifest().package().name.clone(),
                    version: p.manifest().package().version.clone(),
                }),
                signatures: p.signatures().to_vec(),
                files: p.manifest().files().len() as u64,
                bytes: p.bytes(),
                error: None,
                file_list: None,
            },
            Err(r) => {
                let (files, bytes) = r.progress();
                Self {
                    schema_version: REPORT_SCHEMA_VERSION,
                    verified: false,
                    package: r.package().map(|p| PackageId {
                        name: p.name.clone(),
                        version: p.version.clone(),
                    }),
                    signatures: r.signatures().to_vec(),
                    files,
                    bytes,
                    error: Some(Problem::from(r.error())),
                    file_list: None,
                }
            }
        }
    }

    /// A report for a failure before any package was read (e.g. a usage error).
    pub fn failure(kind: &'static str, message: String) -> Self {
        Self {
            schema_version: REPORT_SCHEMA_VERSION,
            verified: false,
            package: None,
            signatures: Vec::new(),
            files: 0,
            bytes: 0,
            error: Some(Problem {
                kind,
                message,
                path: None,
            }),
            file_list: None,
        }
    }

    /// Adds every payload file (path, size, SHA-256, mode) of a verified
    /// package; a rejected package's list is not authenticated and is not added.
    #[must_use]
    pub fn with_file_list(mut self, result: &Result<VerifiedPackage, Rejection>) -> Self {
        if let Ok(p) = result {
            self.file_list = Some(
                p.manifest()
                    .files()
                    .iter()
                    .map(|f| FileReport {
                        path: f.path.clone(),
                        size: f.size,
                        sha256: crate::hex(&f.sha256),
                        mode: f.mode,
                    })
                    .collect(),
            );
        }
        self
    }

    /// The report as one line of JSON, for every line splitter: U+2028,
    /// U+2029, U+0085 and every other control or format character in a string
    /// is written as a `\u` escape ([`needs_escape`](crate::needs_escape)).
    pub fn to_json(&self) -> String {
        crate::escape::json_line(self).unwrap_or_else(|e| {
            format!(r#"{{"verified":false,"error":{{"kind":"internal","message":"{e}"}}}}"#)
        })
    }
}
