//! What verification concludes: a verified package, or a rejection with what
//! was learned before it, and each signature's outcome. Reports and the
//! example verifier are built from these; this module depends on no
//! verification step.

use crate::cert::CertInfo;
use crate::error::Error;
use crate::manifest::{Manifest, PackageInfo};
use crate::preflight::Preflight;
use crate::signature::Algorithm;
use crate::timestamp::{Timestamp, TimestampStatus};
use crate::warning::Warning;
use rustls_pki_types::UnixTime;

/// A signature's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureStatus {
    /// Valid, and the signer chains to a trust anchor.
    Trusted,
    /// Valid bytes, but the signer is not trusted (see the problem).
    Untrusted,
    /// The bytes do not verify, or the certificate file is unusable; fatal.
    Invalid,
    /// In an algorithm format 1 does not list (a P-521 key, RSA with
    /// SHA-512, ...): never counts toward trust or a threshold, and does not
    /// fail a package that other signatures carry.
    Unsupported,
}

impl SignatureStatus {
    /// Its name in reports: `trusted`, `untrusted`, `invalid`, `unsupported`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Untrusted => "untrusted",
            Self::Invalid => "invalid",
            Self::Unsupported => "unsupported",
        }
    }
}

/// One signature pair's outcome, as values.
#[derive(Debug, Clone)]
pub struct SignatureOutcome {
    /// `NAME` of `signatures/NAME.sig`.
    pub name: String,
    /// The outcome.
    pub status: SignatureStatus,
    /// The algorithm that verified the bytes, if they verified in a listed one.
    pub algorithm: Option<Algorithm>,
    /// The signer certificate, if it could be read.
    pub signer: Option<CertInfo>,
    /// Subjects from the signer up to the trust anchor (trusted signatures only).
    pub chain: Vec<String>,
    /// Why the signature is not trusted, if it is not.
    pub problem: Option<Error>,
    /// Its timestamp (`signatures/NAME.tst`), if it has a sound one.
    pub timestamp: Option<Timestamp>,
    /// The time its signer's chain was judged at: the trusted timestamp's,
    /// else the verification time.
    pub judged_at: UnixTime,
}

impl SignatureOutcome {
    /// Whether its signer was judged at a trusted timestamp's time.
    pub fn judged_at_timestamp(&self) -> bool {
        self.timestamp
            .as_ref()
            .is_some_and(|t| t.status == TimestampStatus::Trusted)
    }
}

/// A package that passed every check. The only way to reach its manifest.
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    manifest: Manifest,
    manifest_sha256: [u8; 32],
    signatures: Vec<SignatureOutcome>,
    warnings: Vec<Warning>,
    bytes: u64,
    preflight: Option<Preflight>,
}

impl VerifiedPackage {
    pub(crate) fn new(
        manifest: Manifest,
        manifest_sha256: [u8; 32],
        signatures: Vec<SignatureOutcome>,
        warnings: Vec<Warning>,
        bytes: u64,
    ) -> Self {
        Self {
            manifest,
            manifest_sha256,
            signatures,
            warnings,
            bytes,
            preflight: None,
        }
    }

    /// The package, with what preflight found for it.
    pub(crate) fn with_preflight(mut self, preflight: Preflight) -> Self {
        self.preflight = Some(preflight);
        self
    }

    /// What operator preflight found (when the verifier was given an
    /// inventory, [`Verifier::with_preflight`](crate::Verifier::with_preflight)):
    /// whether the package may be installed on that system, and why not.
    pub fn preflight(&self) -> Option<&Preflight> {
        self.preflight.as_ref()
    }

    /// The authenticated manifest: package identity, files and metadata.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// SHA-256 of the signed manifest's exact bytes: what ties a report, an
    /// artifact or an extracted tree to what was signed.
    pub fn manifest_sha256(&self) -> [u8; 32] {
        self.manifest_sha256
    }

    /// What weakened the decision without failing it.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Every signature's outcome (at least one is trusted).
    pub fn signatures(&self) -> &[SignatureOutcome] {
        &self.signatures
    }

    /// Total payload bytes hashed.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Why a package was refused, with what was learned before the refusal.
#[derive(Debug)]
pub struct Rejection(Box<RejectionInner>);

#[derive(Debug)]
struct RejectionInner {
    error: Error,
    signatures: Vec<SignatureOutcome>,
    package: Option<PackageInfo>,
    files: u64,
    bytes: u64,
}

impl Rejection {
    pub(crate) fn new(
        error: Error,
        signatures: Vec<SignatureOutcome>,
        package: Option<PackageInfo>,
        files: u64,
        bytes: u64,
    ) -> Self {
        Self(Box::new(RejectionInner {
            error,
            signatures,
            package,
            files,
            bytes,
        }))
    }

    /// The first failure.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The first failure, by value.
    pub fn into_error(self) -> Error {
        self.0.error
    }

    /// The failure's stable kind string (see [`Error::kind`]).
    pub fn kind(&self) -> &'static str {
        self.0.error.kind()
    }

    /// Each signature's outcome, if the signatures were reached.
    pub fn signatures(&self) -> &[SignatureOutcome] {
        &self.0.signatures
    }

    /// The package's identity, known only if a trusted signature covered the
    /// manifest before the failure.
    pub fn package(&self) -> Option<&PackageInfo> {
        self.0.package.as_ref()
    }

    /// Payload files and bytes that verified before the failure.
    pub fn progress(&self) -> (u64, u64) {
        (self.0.files, self.0.bytes)
    }
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Self {
        Self::new(error, Vec::new(), None, 0, 0)
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.error.fmt(f)
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0.error)
    }
}
