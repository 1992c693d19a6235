//! What a caller, a pipeline or the example verifier shows: one serializable
//! report for success and failure alike.

use serde::Serialize;

use crate::cert::CertInfo;
use crate::error::Error;
use crate::outcome::{Rejection, SignatureOutcome, VerifiedPackage};
use crate::time::format_unix;
use rustls_pki_types::UnixTime;

/// A failure as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The error's stable kind.
    pub kind: &'static str,
    /// The error's message.
    pub message: String,
    /// The entry concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl From<&Error> for Problem {
    fn from(e: &Error) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
            path: e.path().map(str::to_owned),
        }
    }
}

/// A certificate as the report shows it: names, hex, RFC 3339 times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertReport {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER certificate, hex.
    pub sha256: String,
    /// SHA-256 of its DER SubjectPublicKeyInfo, hex.
    pub public_key_sha256: String,
}

impl From<&CertInfo> for CertReport {
    fn from(c: &CertInfo) -> Self {
        Self {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            serial: c.serial.clone(),
            not_before: format_unix(c.not_before),
            not_after: format_unix(c.not_after),
            sha256: crate::hex(&c.sha256.0),
            public_key_sha256: crate::hex(&c.public_key_sha256.0),
        }
    }
}

/// One signature pair's outcome as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// `NAME` of `signatures/NAME.sig`.
    pub name: String,
    /// `trusted`, `untrusted`, `invalid` or `unsupported`.
    pub status: &'static str,
    /// The algorithm that verified the bytes, if they verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<&'static str>,
    /// The signer certificate, if it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<CertReport>,
    /// Subjects from the signer up to the trust anchor (trusted signatures only).
    pub chain: Vec<String>,
    /// Why the signature is not trusted, if it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// Its timestamp, if it has a sound one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampReport>,
    /// When its signer was judged (RFC 3339): the trusted timestamp's time,
    /// else the verification time; absent when the chain was not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged_at: Option<String>,
}

/// A signature's timestamp as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    /// `trusted` or `untrusted`.
    pub status: &'static str,
    /// The time the TSA asserts, RFC 3339 (whole seconds).
    pub time: String,
    /// Its accuracy, in microseconds (0 when the token gives none).
    pub accuracy_micros: u64,
    /// The TSA's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsa: Option<CertReport>,
    /// Subjects from the TSA certificate up to its anchor (trusted only).
    pub chain: Vec<String>,
    /// Why it is not trusted (kind `timestamp_untrusted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl From<&crate::timestamp::Timestamp> for TimestampReport {
    fn from(t: &crate::timestamp::Timestamp) -> Self {
        Self {
            status: t.status.name(),
            time: format_unix(t.time),
            accuracy_micros: t.accuracy_micros,
            tsa: t.tsa.as_ref().map(CertReport::from),
            chain: t.chain.clone(),
            problem: t.problem.as_ref().map(|p| Problem {
                kind: p.kind(),
                message: p.to_string(),
                path: None,
            }),
        }
    }
}

impl From<&SignatureOutcome> for SignatureReport {
    fn from(s: &SignatureOutcome) -> Self {
        Self {
            name: s.name.clone(),
            status: s.status.name(),
            algorithm: s.algorithm.map(|a| a.name()),
            signer: s.signer.as_ref().map(CertReport::from),
            chain: s.chain.clone(),
            problem: s.problem.as_ref().map(Problem::from),
            timestamp: s.timestamp.as_ref().map(TimestampReport::from),
            // Judged only once the bytes verified in a listed algorithm.
            judged_at: s.algorithm.map(|_| format_unix(s.judged_at)),
        }
    }
}

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
pub const REPORT_SCHEMA_VERSION: u32 = 6;

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
    /// `timestamp` when a trusted signature's signer was judged at its
    /// trusted timestamp's time, else `verification_time`.
    pub time_source: &'static str,
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
    /// SHA-256 of the signed manifest bytes, hex, when the package verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    /// The manifest's signed metadata (its top-level keys other than
    /// `format`, `package` and `files`: `requires`, `reboot`, ...), when the
    /// package verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where the package was extracted, when it was ([`Report::with_extracted`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extracted_to: Option<String>,
    /// The comparison of an installed tree with the package, when asked for
    /// ([`Report::with_tree`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<TreeReport>,
    /// What weakened the decision without failing it (with
    /// `warnings_denied`: what failed it).
    pub warnings: Vec<WarningReport>,
    /// The verification time and where it came from, when the caller says
    /// ([`Report::with_verification_time`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_time: Option<VerificationTime>,
    /// What operator preflight found, when it ran and the package verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preflight: Option<PreflightReport>,
}

/// Operator preflight as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    /// No finding is an error: the package may be installed on this system.
    pub passed: bool,
    /// Every finding, errors first.
    pub findings: Vec<FindingReport>,
}

/// One preflight finding as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingReport {
    /// Its stable code ([`FindingCode`](crate::FindingCode)).
    pub code: &'static str,
    /// `error`, `warning` or `info`.
    pub severity: &'static str,
    /// For people: both sides, and what to do.
    pub message: String,
    /// The payload entry it comes from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The 1-based line in that entry, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl From<&crate::Preflight> for PreflightReport {
    fn from(p: &crate::Preflight) -> Self {
        Self {
            passed: p.passed(),
            findings: p
                .findings()
                .iter()
                .map(|f| FindingReport {
                    code: f.code.as_str(),
                    severity: f.severity.as_str(),
                    message: f.message.clone(),
                    path: f.path.clone(),
                    line: f.line,
                })
                .collect(),
        }
    }
}

/// A warning as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningReport {
    /// Its stable code ([`Warning::code`](crate::Warning::code)).
    pub code: &'static str,
    /// For people.
    pub message: String,
}

impl From<&crate::warning::Warning> for WarningReport {
    fn from(w: &crate::warning::Warning) -> Self {
        Self {
            code: w.code(),
            message: w.to_string(),
        }
    }
}

/// The verification time, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationTime {
    /// RFC 3339, whole seconds, UTC.
    pub time: String,
    /// `clock` (the system clock) or `at` (the caller's explicit time).
    pub source: &'static str,
}

/// An installed tree compared with a verified package (`--check-tree`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeReport {
    /// The directory compared.
    pub dir: String,
    /// Whether it matches the signed manifest exactly.
    pub matches: bool,
    /// Every difference, by path (empty when it matches).
    pub differences: Vec<TreeDifferenceReport>,
}

/// One difference between an installed tree and the signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeDifferenceReport {
    /// `missing`, `modified`, `mode_changed` or `extra`.
    pub kind: &'static str,
    /// The path in the tree.
    pub path: String,
    /// What differs, for people.
    pub message: String,
}

impl Report {
    /// The report of a verification result.
    pub fn new(result: &Result<VerifiedPackage, Rejection>) -> Self {
        match result {
            Ok(p) => Self {
                schema_version: REPORT_SCHEMA_VERSION,
                verified: true,
                time_source: time_source(p.signatures()),
                package: Some(PackageId {
                    name: p.manifest().package().name.clone(),
                    version: p.manifest().package().version.clone(),
                }),
                signatures: p.signatures().iter().map(SignatureReport::from).collect(),
                files: p.manifest().files().len() as u64,
                bytes: p.bytes(),
                error: None,
                file_list: None,
                manifest_sha256: Some(crate::hex(&p.manifest_sha256())),
                metadata: Some(p.manifest().metadata().clone()),
                extracted_to: None,
                tree: None,
                warnings: p.warnings().iter().map(WarningReport::from).collect(),
                verification_time: None,
                preflight: p.preflight().map(PreflightReport::from),
            },
            Err(r) => {
                let (files, bytes) = r.progress();
                Self {
                    schema_version: REPORT_SCHEMA_VERSION,
                    verified: false,
                    time_source: time_source(r.signatures()),
                    package: r.package().map(|p| PackageId {
                        name: p.name.clone(),
                        version: p.version.clone(),
                    }),
                    signatures: r.signatures().iter().map(SignatureReport::from).collect(),
                    files,
                    bytes,
                    error: Some(Problem::from(r.error())),
                    file_list: None,
                    manifest_sha256: None,
                    metadata: None,
                    extracted_to: None,
                    tree: None,
                    warnings: match r.error() {
                        Error::WarningsDenied { warnings } => {
                            warnings.iter().map(WarningReport::from).collect()
                        }
                        _ => Vec::new(),
                    },
                    verification_time: None,
                    preflight: None,
                }
            }
        }
    }

    /// A report for a failure before any package was read (e.g. a usage error).
    pub fn failure(kind: &'static str, message: String) -> Self {
        Self {
            schema_version: REPORT_SCHEMA_VERSION,
            verified: false,
            time_source: VERIFICATION_TIME,
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
            manifest_sha256: None,
            metadata: None,
            extracted_to: None,
            tree: None,
            warnings: Vec::new(),
            verification_time: None,
            preflight: None,
        }
    }

    /// Records the verification time and its source (`clock` or `at`).
    #[must_use]
    pub fn with_verification_time(mut self, time: UnixTime, source: &'static str) -> Self {
        self.verification_time = Some(VerificationTime {
            time: format_unix(time),
            source,
        });
        self
    }

    /// Records that the verified package was extracted into `dir`.
    #[must_use]
    pub fn with_extracted(mut self, dir: &str) -> Self {
        self.extracted_to = Some(dir.to_owned());
        self
    }

    /// Adds the comparison of the installed tree `dir` with the verified
    /// package; a mismatch makes the report's outcome `tree_mismatch`
    /// (`verified` is false: the exit status is 1), and a tree that could
    /// not be read `io`.
    #[must_use]
    pub fn with_tree(mut self, dir: &str, result: &Result<(), crate::TreeError>) -> Self {
        let differences = match result {
            Err(crate::TreeError::Mismatch(m)) => m
                .differences
                .iter()
                .map(|d| TreeDifferenceReport {
                    kind: d.kind(),
                    path: d.path().to_owned(),
                    message: d.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        self.tree = Some(TreeReport {
            dir: dir.to_owned(),
            matches: result.is_ok(),
            differences,
        });
        if let Err(e) = result {
            self.fail(e.kind(), e.to_string());
        }
        self
    }

    /// Turns a verified report into a failed one: a step after verification
    /// (extraction, a tree check) failed with `kind`.
    pub fn fail(&mut self, kind: &'static str, message: String) {
        self.verified = false;
        self.file_list = None;
        self.error = Some(Problem {
            kind,
            message,
            path: None,
        });
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

const VERIFICATION_TIME: &str = "verification_time";

/// `timestamp` if a trusted signature was judged at its timestamp's time.
fn time_source(signatures: &[SignatureOutcome]) -> &'static str {
    let stamped = signatures
        .iter()
        .any(|s| s.status == crate::outcome::SignatureStatus::Trusted && s.judged_at_timestamp());
    if stamped {
        "timestamp"
    } else {
        VERIFICATION_TIME
    }
}
