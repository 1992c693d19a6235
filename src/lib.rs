//! pkgverify decides whether a vendor's signed ZIP upgrade package can be
//! trusted before anything in it runs.
//!
//! A package (format 1, see `docs/FORMAT.md`) is a ZIP archive whose first
//! entry is `manifest.json` (every payload file with its size, SHA-256 and
//! mode), followed by detached signatures over the manifest's exact bytes
//! (`signatures/NAME.sig` with the signer's certificate chain in
//! `signatures/NAME.pem`), followed by the payload.
//!
//! Verification reads the archive strictly (one reading only: no prefixes,
//! gaps, overlaps, duplicate names or disagreeing headers), authenticates the
//! manifest (signature, then the signer's chain to the operator's
//! [`TrustStore`] at a caller-given time, with the code-signing EKU and CRLs),
//! and only then hashes the payload, never reading more from an entry than
//! the signed manifest says it holds, plus one byte.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pkgverify::{Escaped, TrustStore, UnixTime, Verifier};
//!
//! let mut trust = TrustStore::new();
//! trust.load_anchors("vendor-root-g1.pem")?;
//! trust.load_intermediates("vendor-advisory-chain.pem")?;
//! let verifier = Verifier::new(trust, UnixTime::now());
//! match verifier.verify_path("Full-upgrade-package-dten.zip") {
//!     Ok(package) => println!("{} {}: {} files verified",
//!         Escaped(&package.manifest().package().name),
//!         Escaped(&package.manifest().package().version),
//!         package.manifest().files().len()),
//!     Err(rejection) => eprintln!("rejected ({}): {}", rejection.kind(), Escaped(&rejection)),
//! }
//! # Ok(()) }
//! ```
//!
//! A trust [`Policy`] (from a TOML file, [`Policy::load`], or built in code)
//! adds what a release pipeline needs on top of the store: anchors trusted
//! only within a window (the grace period of a CA rotation), only the
//! operator's own intermediates, allowed issuing CAs and signer identities,
//! a distrust list, a threshold of distinct signers, the required EKU and
//! the accepted algorithms. `docs/POLICY.md` documents the file; `docs/REPORT.md` the JSON
//! [`Report`] (with its schema) and every error kind.
//!
//! Strings from a package (certificate names, signature names, paths, the
//! manifest's name and version, and the error messages that quote them) are
//! kept exactly as the package has them, in the JSON report too. Show them to
//! a person through [`Escaped`], which makes every control, format and
//! separator character visible (`\u{1b}`), as the examples above do.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pkgverify::{Policy, Report, UnixTime, Verifier};
//!
//! let (policy, trust) = Policy::load("vendor-policy.toml")?;
//! let verifier = Verifier::new(trust, UnixTime::now()).with_policy(policy);
//! let result = verifier.verify_path("Full-upgrade-package-dten.zip");
//! println!("{}", Report::new(&result).to_json());
//! # Ok(()) }
//! ```
//!
//! What is *not* checked: anything about what the payload does once trusted
//! (that is the vendor's signature's meaning); file timestamps; the text of
//! comments (allowed, and only searched for hidden ZIP records); file
//! ownership (owner extra fields are refused); certificate policies and name
//! constraints beyond what
//! rustls-webpki and the checks in the `chain` module enforce (see
//! `docs/CONFORMANCE.md`); OCSP.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod algorithm;
mod candidates;
mod cert;
mod chain;
mod error;
mod escape;
mod install;
mod limits;
mod manifest;
mod outcome;
mod pack;
mod path;
mod policy;
mod preflight;
mod report;
mod revocation;
mod signature;
mod sink;
mod time;
mod timestamp;
mod toml_words;
mod trust;
mod validate;
mod verify;
mod warning;
mod work;
mod x509;
mod zip;

pub use cert::{CertInfo, Fingerprint, Fingerprinted};
pub use chain::{
    AnchorPolicy, AnchorWindow, ChainError, ChainOptions, ChainProblem, IssuerMissing, MissingHint,
    NoPath, NotAllowed, Origin, PathEnd, PathFailure, PathNote, PathRole, RevocationPolicy, Usage,
    ValidatedChain, WebpkiError,
};
pub use error::{
    ArchiveDefect, BuildError, Counted, Error, Found, InputProblem, KeyProblem, LoadError,
    PackageMismatch, PathProblem, SignatureProblem, SignatureSlip, TimestampProblem, TokenProblem,
    Unsupported,
};
pub use escape::{needs_escape, Escaped};
pub use install::{
    ExtractError, InstallOptions, Modification, TargetProblem, TreeDifference, TreeError,
    TreeMismatch, DEFAULT_FILE_MODE,
};
pub use limits::Limits;
pub use manifest::{FileEntry, Manifest, PackageInfo, FORMAT_VERSION};
pub use outcome::{Rejection, SignatureOutcome, SignatureStatus, VerifiedPackage};
pub use pack::{Compression, PackageBuilder};
pub use policy::{PackageIntermediates, Policy, SignerRule};
pub use preflight::{
    Finding, FindingCode, Inventory, InventoryError, Preflight, Severity, MAX_FINDINGS_PER_CODE,
};
pub use report::{
    CertReport, FileReport, FindingReport, PackageId, PreflightReport, Problem, Report,
    SignatureReport, TimestampReport, TreeDifferenceReport, TreeReport, VerificationTime,
    WarningReport, REPORT_SCHEMA_VERSION,
};
pub use revocation::{CrlProblem, RevocationUnknown};
pub use rustls_pki_types::UnixTime;
/// A SemVer 2.0 version (the `semver` crate's), for [`Policy::min_version`].
pub use semver::Version;
pub use signature::{Algorithm, SigningKey};
pub use time::parse_rfc3339;
pub use timestamp::{Timestamp, TimestampStatus};
pub use trust::{CrlExpiration, TrustStore};
pub use verify::Verifier;
pub use warning::Warning;

/// The README's Rust example is compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// docs/REPORT.md's Rust example is compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../docs/REPORT.md")]
struct ReportDoctests;

/// docs/PREFLIGHT.md's Rust example is compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../docs/PREFLIGHT.md")]
struct PreflightDoctests;

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
