//! The errors, one type per operation (as age does it): [`Error`], why a
//! package was rejected, grouped by the phase that found the problem;
//! [`LoadError`], why a trust input or a trust policy could not be loaded;
//! [`BuildError`], why a package could not be built or signed.
//!
//! Every variant carries the entry, certificate, file or field it is about,
//! causes as values (a [`ChainError`], times, fingerprints), and `kind()`
//! gives a stable snake_case string for reports and pipelines.
//!
//! `Display` quotes the strings that come from a package (names, paths,
//! certificate subjects) as they are, between double quotes, without escaping
//! them: the message is prose for whoever shows it, and only they know the
//! medium (a terminal, JSON, HTML). Shown on a terminal, a message goes
//! through [`Escaped`](crate::Escaped), the one rule, which the example
//! verifier applies to everything it prints. Rust's debug escaping is not
//! used: it would be escaped a second time there (`\\u{1b}` for an ESC).

use std::io;
use std::sync::Arc;

use crate::chain::{ChainError, WebpkiError};
use crate::revocation::CrlProblem;

/// Why a package was rejected.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- archive structure -------------------------------------------------
    /// The package has no bytes at all.
    #[error("the package is empty (0 bytes): nothing was received; a failed download or copy, or the wrong file?")]
    Empty,
    /// The bytes are not a well-formed ZIP archive.
    #[error("malformed archive{}: {defect}", at(entry))]
    ArchiveMalformed {
        /// The entry concerned, if the defect is in one entry.
        entry: Option<String>,
        /// What is wrong.
        defect: ArchiveDefect,
    },
    /// The archive could be read in more than one way by different ZIP readers.
    #[error("ambiguous archive{}: {defect}", at(entry))]
    ArchiveAmbiguous {
        /// The entry concerned, if the ambiguity is in one entry.
        entry: Option<String>,
        /// What makes it ambiguous.
        defect: ArchiveDefect,
    },
    /// An entry name could escape the extraction directory or is not portable.
    #[error("unsafe path \"{path}\": {problem}")]
    UnsafePath {
        /// The name as stored (lossily decoded if not UTF-8).
        path: String,
        /// Which rule it breaks.
        problem: PathProblem,
    },
    /// An entry uses a ZIP feature a package may not use.
    #[error("unsupported entry \"{entry}\": {feature}")]
    UnsupportedEntry {
        /// The entry name.
        entry: String,
        /// The feature (encryption, symlink, compression method, ...).
        feature: Unsupported,
    },
    /// A resource bound from [`Limits`](crate::Limits) was exceeded.
    #[error(
        "limit exceeded{}: {what} is {actual}, the limit is {limit}",
        at(entry)
    )]
    LimitExceeded {
        /// The entry concerned, if any.
        entry: Option<String>,
        /// Which limit.
        what: &'static str,
        /// The limit in force.
        limit: u64,
        /// What the package asked for.
        actual: u64,
    },

    // ---- package layout and manifest ---------------------------------------
    /// The archive has no `manifest.json` as its first entry.
    #[error("no manifest.json in the package{}", first.as_deref().map(manifest_not_first).unwrap_or_default())]
    ManifestMissing {
        /// The name of the first entry, when there is one.
        first: Option<String>,
    },
    /// `manifest.json` is not a valid format-1 manifest.
    #[error("invalid manifest: {field}: {problem}")]
    ManifestInvalid {
        /// The JSON field, e.g. `files[3].sha256`, or `manifest.json` for the whole.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An entry stands where format 1 does not allow it.
    #[error("misplaced entry \"{entry}\": {problem}")]
    MisplacedEntry {
        /// The entry name.
        entry: String,
        /// Where it should have been.
        problem: &'static str,
    },

    // ---- signatures and chains ---------------------------------------------
    /// No signature, or half of a signature pair.
    #[error("{}", missing_message(signature))]
    SignatureMissing {
        /// The signature whose `.sig` or `.pem` is missing; `None` when there is no signature at all.
        signature: Option<String>,
    },
    /// A signature's bytes do not verify, or its certificate file is unusable.
    /// Fatal even when another signature is trusted.
    #[error("signature \"{signature}\" is invalid: {problem}")]
    SignatureInvalid {
        /// The signature name (the `NAME` of `signatures/NAME.sig`).
        signature: String,
        /// Why it does not verify.
        problem: SignatureProblem,
    },
    /// A signature pair's `.pem` (or `.sig`) holds a private key: whoever
    /// built the package shipped a signing key with it. Fatal: the key must be
    /// taken as leaked, and anything it signed as forgeable.
    #[error("{entry:?} holds a private key ({found}): the vendor's signing key has leaked with this package; do not install it, and contact the vendor (the key must be revoked and the package signed again with a new one)")]
    PrivateKeyInPackage {
        /// The signature name (the `NAME` of `signatures/NAME.pem`).
        signature: String,
        /// The entry that holds it.
        entry: String,
        /// What was found: the PEM block's label, never the key itself.
        found: String,
    },
    /// A signature in an algorithm format 1 does not list (a P-521 key, RSA
    /// with SHA-512, ...). Not fatal, and it never counts toward trust or a
    /// threshold: a signature's status is then `unsupported`.
    #[error("signature {signature:?} is in an algorithm this verifier does not support ({algorithm}): {}{}; it does not count toward trust", if *by_key { "the signer's key is of a type format 1 does not list, so the signature cannot be checked" } else { "the bytes verify with this algorithm over the signer's key, but format 1 does not list it" }, unsupported_fix(algorithm))]
    SignatureUnsupported {
        /// The signature name.
        signature: String,
        /// The algorithm or key type, e.g. `ecdsa-p521`, `rsa-pkcs1-sha512`.
        algorithm: String,
        /// Recognised by the signer's key type (else: the bytes verify with
        /// an algorithm format 1 does not list).
        by_key: bool,
    },
    /// Every signature is in an algorithm format 1 does not list: nothing this
    /// verifier can check vouches for the manifest. Kind `signature_invalid`.
    #[error("no signature is in an algorithm this verifier supports ({}): the vendor signed in an algorithm format 1 does not take, or a newer verifier is needed; do not install the package until one verifies it", unsupported_list(signatures))]
    NoSupportedSignature {
        /// Each signature's name and its algorithm or key type.
        signatures: Vec<(String, String)>,
    },
    /// The signer is not trusted: its chain does not validate, or the trust
    /// policy refuses it. The kind is the cause's ([`ChainError::kind`]):
    /// `certificate_expired`, `certificate_not_yet_valid`,
    /// `certificate_revoked`, `certificate_distrusted`, `wrong_key_usage`,
    /// `signer_not_allowed` or `untrusted_signer`.
    #[error("signature \"{signature}\": {}", untrusted_text(signer, cause))]
    Untrusted {
        /// The signature name.
        signature: String,
        /// The signer certificate's subject.
        signer: String,
        /// Why.
        cause: Box<ChainError>,
    },
    /// Fewer distinct trusted signers (different keys) than the trust policy's `threshold`.
    #[error(
        "{trusted} distinct trusted signer(s) where the trust policy requires {required}{}",
        threshold_detail(signatures)
    )]
    ThresholdNotMet {
        /// The policy's threshold.
        required: usize,
        /// Distinct trusted signer keys found.
        trusted: usize,
        /// Each signature, and whether and why it counts.
        signatures: Vec<(String, Counted)>,
    },

    /// The trust policy requires a trusted timestamp (`require_timestamp`),
    /// and no trusted signature has one (or, as a signature's problem, this
    /// one has none).
    #[error("{}", timestamp_missing(signature.as_deref()))]
    TimestampMissing {
        /// The signature, as a signature's own problem; `None` for the package.
        signature: Option<String>,
    },

    /// The verifier denies warnings (`deny_warnings`), and there are some.
    #[error("warnings are denied (--deny-warnings), and verification has {}: {}", warnings.len(), warnings.iter().map(|w| format!("[{}] {w}", w.code())).collect::<Vec<_>>().join("; "))]
    WarningsDenied {
        /// The warnings.
        warnings: Vec<crate::warning::Warning>,
    },

    // ---- identity ----------------------------------------------------------
    /// A genuine package, but not the one the operator expects: another
    /// package name, or (when a minimum version is set) a version that is
    /// not SemVer and so cannot be ordered.
    #[error("{0}")]
    PackageMismatch(PackageMismatch),
    /// A genuine package older than the operator's minimum version (the
    /// anti-rollback floor): an older signed release must not replace a newer one.
    #[error("package \"{name}\" version {version} is lower than the minimum version {minimum} (trust policy [package] min_version or --min-version): refused as a rollback; install version {minimum} or later, or lower the minimum if the downgrade is intended")]
    VersionRollback {
        /// The package's name.
        name: String,
        /// Its version.
        version: semver::Version,
        /// The minimum required.
        minimum: semver::Version,
    },

    // ---- content -----------------------------------------------------------
    /// A payload file is in the archive but not in the manifest.
    #[error("entry \"{path}\" is in the archive but not listed in the manifest")]
    UnlistedEntry {
        /// The entry name.
        path: String,
    },
    /// A file listed in the manifest is not in the archive.
    #[error("file \"{path}\" is listed in the manifest but not in the archive")]
    MissingEntry {
        /// The manifest path.
        path: String,
    },
    /// A payload entry's size differs from the manifest's.
    #[error("entry \"{path}\": the manifest says {expected} bytes, the archive {actual}")]
    SizeMismatch {
        /// The entry name.
        path: String,
        /// Size in the manifest.
        expected: u64,
        /// What the archive holds (for an entry that inflates past its listing:
        /// the listed size plus one, as reading stops there).
        actual: u64,
    },
    /// A payload entry's SHA-256 differs from the manifest's.
    #[error("entry \"{path}\": SHA-256 is {actual}, the manifest says {expected}")]
    DigestMismatch {
        /// The entry name.
        path: String,
        /// Digest in the manifest, lowercase hex.
        expected: String,
        /// Digest of the entry's content, lowercase hex.
        actual: String,
    },
    /// A payload entry's unix permission bits differ from the manifest's, or it
    /// carries setuid/setgid/sticky bits the manifest does not state.
    #[error("entry \"{path}\": mode is {}, the manifest says {}", fmt_mode(*actual), fmt_mode(*expected))]
    ModeMismatch {
        /// The entry name.
        path: String,
        /// Mode from the manifest (`None`: not given).
        expected: Option<u32>,
        /// Mode from the archive (`None`: the entry has no unix mode).
        actual: Option<u32>,
    },

    // ---- input ------------------------------------------------------------
    /// Reading the package, or writing what verification produces, failed.
    #[error("cannot read \"{what}\": {source}")]
    Io {
        /// The file, `package`, or `output`.
        what: String,
        /// The underlying error.
        source: Arc<io::Error>,
    },
}

impl Error {
    /// A stable snake_case name for the kind of error, used in JSON reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "package_empty",
            Self::ArchiveMalformed { .. } => "archive_malformed",
            Self::ArchiveAmbiguous { .. } => "archive_ambiguous",
            Self::UnsafePath { .. } => "unsafe_path",
            Self::UnsupportedEntry { .. } => "unsupported_entry",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::ManifestMissing { .. } => "manifest_missing",
            Self::ManifestInvalid { .. } => "manifest_invalid",
            Self::MisplacedEntry { .. } => "misplaced_entry",
            Self::SignatureMissing { .. } => "signature_missing",
            Self::SignatureInvalid { .. } | Self::NoSupportedSignature { .. } => {
                "signature_invalid"
            }
            Self::PrivateKeyInPackage { .. } => "private_key_in_package",
            Self::SignatureUnsupported { .. } => "signature_unsupported",
            Self::Untrusted { cause, .. } => cause.kind(),
            Self::ThresholdNotMet { .. } => "threshold_not_met",
            Self::TimestampMissing { .. } => "timestamp_missing",
            Self::WarningsDenied { .. } => "warnings_denied",
            Self::PackageMismatch(_) => "package_mismatch",
            Self::VersionRollback { .. } => "version_rollback",
            Self::UnlistedEntry { .. } => "unlisted_entry",
            Self::MissingEntry { .. } => "missing_entry",
            Self::SizeMismatch { .. } => "size_mismatch",
            Self::DigestMismatch { .. } => "digest_mismatch",
            Self::ModeMismatch { .. } => "mode_mismatch",
            Self::Io { .. } => "io",
        }
    }

    /// The package entry (or manifest path) the error is about, if there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::ArchiveMalformed { entry, .. }
            | Self::ArchiveAmbiguous { entry, .. }
            | Self::LimitExceeded { entry, .. } => entry.as_deref(),
            Self::UnsafePath { path, .. }
            | Self::UnlistedEntry { path }
            | Self::MissingEntry { path }
            | Self::SizeMismatch { path, .. }
            | Self::DigestMismatch { path, .. }
            | Self::ModeMismatch { path, .. } => Some(path),
            Self::UnsupportedEntry { entry, .. }
            | Self::MisplacedEntry { entry, .. }
            | Self::PrivateKeyInPackage { entry, .. } => Some(entry),
            _ => None,
        }
    }

    /// The signature (`NAME` of `signatures/NAME.sig`) the error is about, if any.
    pub fn signature(&self) -> Option<&str> {
        match self {
            Self::SignatureInvalid { signature, .. }
            | Self::PrivateKeyInPackage { signature, .. }
            | Self::SignatureUnsupported { signature, .. }
            | Self::Untrusted { signature, .. } => Some(signature),
            Self::SignatureMissing { signature } => signature.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn malformed(entry: Option<&str>, defect: ArchiveDefect) -> Self {
        Self::ArchiveMalformed {
            entry: entry.map(str::to_owned),
            defect,
        }
    }

    pub(crate) fn ambiguous(entry: Option<&str>, defect: ArchiveDefect) -> Self {
        Self::ArchiveAmbiguous {
            entry: entry.map(str::to_owned),
            defect,
        }
    }

    pub(crate) fn manifest(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::ManifestInvalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source: Arc::new(source),
        }
    }

    /// The signer's chain or the trust policy refuses signature `signature`
    /// of `signer`: the one translation from a chain's cause to a rejection.
    pub(crate) fn untrusted(signature: &str, signer: &str, cause: ChainError) -> Self {
        match cause {
            ChainError::Unparsable(e) => Self::SignatureInvalid {
                signature: signature.into(),
                problem: SignatureProblem::SignerUnparsable(e),
            },
            cause => Self::Untrusted {
                signature: signature.into(),
                signer: signer.into(),
                cause: Box::new(cause),
            },
        }
    }
}

/// The common slip a signature that does not verify looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureSlip {
    /// It verifies against a later certificate of the `.pem`: the signer's
    /// certificate is there, but not first.
    #[error("it verifies against certificate {position} of the .pem file: the signer's certificate must come first, then its issuers (cat signer.pem ca.pem > NAME.pem)")]
    SignerNotFirst {
        /// The certificate's position in the file, from 1.
        position: usize,
    },
    /// It verifies against none of the `.pem`'s certificates.
    #[error("it verifies against none of the {certificates} certificate(s) in the .pem file: the signing key is not the key of the signer's certificate (a key and a certificate from different pairs), or the manifest changed after it was signed{}", if *rsa { "; if it is an RSA-PSS signature, its salt must be 32 bytes (openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest): openssl's default is the maximum length, which format 1 does not accept and which cannot be checked here (docs/FORMAT.md, Signatures)" } else { "" })]
    NoCertificateMatches {
        /// How many certificates the `.pem` holds.
        certificates: usize,
        /// The signer's key is RSA (so a PSS salt length may be the cause).
        rsa: bool,
    },
}

/// Why a signature is invalid (fatal even when another is trusted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureProblem {
    /// The bytes do not verify against the signer certificate's key; with
    /// the common slip it looks like, when one can be told.
    #[error("the signature does not verify against the signer certificate's key{}", slip.as_ref().map(|s| format!("; {s}")).unwrap_or_default())]
    DoesNotVerify {
        /// The likely slip.
        slip: Option<SignatureSlip>,
    },
    /// The signer's key is of a type or size format 1 does not accept.
    #[error("the signer's key type or size is not one format 1 accepts (ECDSA P-256/P-384, Ed25519, RSA 2048-8192)")]
    KeyNotAccepted,
    /// The `.pem` holds no certificate.
    #[error("no certificate")]
    NoCertificate,
    /// The `.pem` cannot be read as certificates.
    #[error("trust input \"{entry}\": {problem}")]
    Certificates {
        /// The entry, `signatures/NAME.pem`.
        entry: String,
        /// What is wrong with it.
        problem: InputProblem,
    },
    /// The signer certificate cannot be parsed.
    #[error("the signer certificate cannot be parsed (it has {0})")]
    SignerUnparsable(WebpkiError),
    /// Its timestamp token (`signatures/NAME.tst`) is malformed, does not
    /// verify, or is not over the `.sig`'s bytes: tampering.
    #[error("its timestamp token is not sound: {0}")]
    Timestamp(TokenProblem),
}

/// Why a timestamp token is not sound (a malformed, altered or misbound
/// token: the signature it belongs to is `signature_invalid`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenProblem {
    /// Not DER, or not the structure RFC 3161 and RFC 5652 give (the part named).
    #[error("malformed ({0})")]
    Malformed(&'static str),
    /// The ContentInfo is not SignedData.
    #[error("not a CMS SignedData")]
    NotSignedData,
    /// The encapsulated content is not a TSTInfo.
    #[error("its content is not a TSTInfo")]
    NotTstInfo,
    /// Not exactly one SignerInfo.
    #[error("it has more than one SignerInfo")]
    SignerInfos,
    /// No signed attributes (RFC 3161 requires them).
    #[error("it has no signed attributes")]
    NoSignedAttributes,
    /// The content-type attribute is missing or is not id-ct-TSTInfo.
    #[error("its content-type attribute is missing or is not id-ct-TSTInfo")]
    ContentType,
    /// No message-digest attribute.
    #[error("it has no message-digest attribute")]
    MessageDigestMissing,
    /// The message-digest attribute is not the digest of the TSTInfo.
    #[error("its message-digest attribute does not match its TSTInfo")]
    MessageDigestMismatch,
    /// No ESS signing-certificate(-v2) attribute.
    #[error("it has no ESS signing-certificate attribute naming the TSA's certificate")]
    SigningCertificateMissing,
    /// The ESS signing-certificate attribute names another certificate than the signer's.
    #[error("its ESS signing-certificate attribute names another certificate than the one that signed it")]
    SigningCertificateMismatch,
    /// A digest pkgverify does not accept there (SHA-1, in an imprint or a signature).
    #[error("{0} uses SHA-1, which is refused")]
    WeakDigest(&'static str),
    /// A digest algorithm pkgverify does not know (dotted OID).
    #[error("unknown digest algorithm {0}")]
    UnknownDigest(String),
    /// genTime is not a DER GeneralizedTime.
    #[error("its genTime is not a valid GeneralizedTime")]
    Time,
    /// No certificate in the token (or among the TSA intermediates) is the
    /// one its SignerInfo names.
    #[error("no certificate in it is the one its SignerInfo names")]
    SignerCertificateMissing,
    /// The signature over the signed attributes does not verify.
    #[error("its signature does not verify with the TSA certificate's key")]
    DoesNotVerify,
    /// Its messageImprint is not the digest of the `.sig`'s bytes.
    #[error(
        "its message imprint is not the {0} of the signature's bytes: it timestamps something else"
    )]
    ImprintMismatch(&'static str),
    /// More certificates, or larger ones, than the limits allow.
    #[error("it carries more or larger certificates than the limits allow ({0})")]
    Limit(String),
}

/// Why a sound timestamp is not trusted (`timestamp_untrusted`): the
/// signature is then judged at the verification time, as without one.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampProblem {
    /// No TSA trust anchor is configured.
    #[error("no time-stamping authority is trusted (--tsa-root, [[tsa_anchors]])")]
    NoTsaTrust,
    /// The TSA's chain does not validate to a TSA anchor at the timestamp's time.
    #[error("the time-stamping authority is not trusted: {0}")]
    Chain(Box<ChainError>),
    /// The TSA certificate's extended key usage is not present, critical and
    /// exactly id-kp-timeStamping (RFC 3161 2.3).
    #[error("the TSA certificate \"{certificate}\" has {found}; RFC 3161 requires a critical extended key usage of exactly timeStamping")]
    KeyUsage {
        /// Its subject.
        certificate: String,
        /// What it has, described.
        found: String,
    },
    /// The timestamp is later than the verification time.
    #[error("the timestamp ({time}) is later than the verification time ({at})", time = crate::time::format_unix(*time), at = crate::time::format_unix(*at))]
    AfterVerificationTime {
        /// The timestamp's time.
        time: rustls_pki_types::UnixTime,
        /// The verification time.
        at: rustls_pki_types::UnixTime,
    },
    /// Signed in an algorithm pkgverify does not verify (dotted OID).
    #[error("the token is signed in an algorithm pkgverify does not verify ({0})")]
    UnsupportedAlgorithm(String),
}

impl TimestampProblem {
    /// `timestamp_untrusted`.
    pub fn kind(&self) -> &'static str {
        "timestamp_untrusted"
    }
}

/// How a genuine package differs from the one the operator expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageMismatch {
    /// Another package's name.
    #[error("package \"{found}\" is not the expected package \"{expected}\" (trust policy [package] name or --expect-name): a genuine package of another product is refused; check that this is the right file")]
    Name {
        /// The name required.
        expected: String,
        /// The manifest's `package.name`.
        found: String,
    },
    /// A version that is not SemVer 2.0, where a minimum version is set.
    #[error("package \"{name}\" version \"{version}\" is not a SemVer 2.0 version ({problem}), so it cannot be compared with the minimum version {minimum} (trust policy [package] min_version or --min-version); ask the vendor, or remove the minimum")]
    Version {
        /// The package's name.
        name: String,
        /// The manifest's `package.version`.
        version: String,
        /// Why it is not SemVer (the semver parser's words).
        problem: String,
        /// The minimum required.
        minimum: semver::Version,
    },
}

/// Whether a signature counts toward a trust policy's threshold, and why not.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Counted {
    /// Trusted, by a key no earlier signature used.
    Yes,
    /// Trusted, but by the same key as another.
    SameKey,
    /// Not trusted, for this reason.
    No(Box<Error>),
}

fn threshold_detail(signatures: &[(String, Counted)]) -> String {
    let parts: Vec<String> = signatures
        .iter()
        .map(|(name, counted)| match counted {
            Counted::Yes => format!("signature \"{name}\" trusted"),
            Counted::SameKey => {
                format!("signature \"{name}\" trusted, but by the same key as another")
            }
            Counted::No(e) => {
                format!("signature \"{name}\" does not count: [{}] {e}", e.kind())
            }
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    }
}

/// How a rejection of a signer reads: the cause names the certificate, or
/// the signer is named.
fn untrusted_text(signer: &str, cause: &ChainError) -> String {
    match cause {
        ChainError::Expired { .. }
        | ChainError::NotYetValid { .. }
        | ChainError::Revoked { .. }
        | ChainError::UsageMissing { .. }
        | ChainError::SigningNotAllowed { .. }
        | ChainError::CaAsEndEntity { .. }
        | ChainError::Distrusted { .. } => cause.to_string(),
        ChainError::NotAllowed(n) => {
            format!("signer \"{signer}\" is not allowed by the trust policy: {n}")
        }
        cause => format!("signer \"{signer}\" is not trusted: {cause}"),
    }
}

/// What the vendor can do about an algorithm format 1 does not list, when
/// a common one is close.
fn unsupported_fix(algorithm: &str) -> &'static str {
    match algorithm {
        "rsa-pss-restricted-key" => " (the certificate's key is typed id-RSASSA-PSS; format 1 takes RSA keys typed rsaEncryption, which may still sign with PSS: re-issue the certificate for a key made with openssl genpkey -algorithm RSA)",
        "ecdsa-p521" | "ecdsa-p224" | "ecdsa-p192" | "ecdsa-secp256k1" => {
            " (format 1 takes ECDSA keys on P-256 and P-384)"
        }
        "ecdsa-p256-sha384" => " (a P-256 key signs with SHA-256: openssl dgst -sha256)",
        "ecdsa-p384-sha256" => " (a P-384 key signs with SHA-384: openssl dgst -sha384)",
        _ if algorithm.starts_with("rsa-") => {
            " (format 1 takes RSA with SHA-256: openssl dgst -sha256)"
        }
        _ => "",
    }
}

/// The fix for an extra field a common tool writes.
fn extra_field_fix(id: u16) -> &'static str {
    match id {
        // Info-ZIP's Unix uid/gid fields.
        0x7875 | 0x7855 | 0x5855 => {
            "; Info-ZIP's zip writes it (the owner's uid and gid): rebuild with zip -X"
        }
        _ => "",
    }
}

/// What to say when the first entry is not `manifest.json`: which entry it
/// is, and the fix for the common slip of zipping the folder from outside.
fn manifest_not_first(first: &str) -> String {
    let fix = if first.contains('/') {
        "; the archive looks made from outside the package folder (every name starts with a folder): make it from inside, with manifest.json first: cd DIR && zip -X -D ../package.zip manifest.json signatures/* then the payload (docs/FORMAT.md)"
    } else {
        "; format 1 needs manifest.json as the first entry, then signatures/, then the payload (docs/FORMAT.md)"
    };
    format!(" as its first entry (the first entry is \"{first}\"){fix}")
}

// ---- loading trust inputs and policies --------------------------------------

/// Why a trust input (anchor, intermediate or CRL file) or a trust policy
/// could not be loaded: the caller's configuration, not the package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A trust input cannot be used (kind `trust_input`).
    #[error("trust input \"{source_name}\": {problem}")]
    TrustInput {
        /// The file name or label the input came from.
        source_name: String,
        /// What is wrong with it.
        problem: InputProblem,
    },
    /// A trust policy is not valid: bad TOML, an unknown key, a wrong type or
    /// value (kind `policy_invalid`).
    #[error("trust policy \"{source_name}\"{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Policy {
        /// The policy file or label.
        source_name: String,
        /// The 1-based line of the offending key or value, when known.
        line: Option<usize>,
        /// What is wrong: the TOML reader's words, or the rule broken.
        problem: String,
    },
    /// A file cannot be read (kind `trust_input`, or `policy_invalid` for
    /// the policy file itself).
    #[error("cannot read \"{path}\": {source}")]
    Read {
        /// The file.
        path: String,
        /// Whether it is the policy file.
        policy: bool,
        /// The operating system's reason.
        source: io::Error,
    },
}

impl LoadError {
    /// A stable snake_case name for the kind of error: `trust_input` or `policy_invalid`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TrustInput { .. } | Self::Read { policy: false, .. } => "trust_input",
            Self::Policy { .. } | Self::Read { policy: true, .. } => "policy_invalid",
        }
    }
}

/// What is wrong with a trust input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputProblem {
    /// The PEM is malformed (the PEM reader's words).
    #[error("bad PEM: {0}")]
    BadPem(String),
    /// Nothing of the kind expected.
    #[error("no {0} found")]
    Nothing(&'static str),
    /// It holds a private key.
    #[error("holds a private key ({0}), refused: certificate files need none; take the key as leaked to everyone who had this file, and if it belongs to a CA or signer you trust, have its certificate revoked and remove the key from the file")]
    PrivateKey(String),
    /// Certificate number `n` (from 1) cannot be parsed.
    #[error("certificate {0} cannot be parsed")]
    Unparsable(usize),
    /// A certificate rustls-webpki does not take as a trust anchor.
    #[error("not usable as a trust anchor: it has {0}")]
    NotAnAnchor(WebpkiError),
    /// A CRL pkgverify cannot use (number `n` from 1, when the file has several).
    #[error("{}{problem}", which.map(|n| format!("CRL {n} ")).unwrap_or_else(|| "the CRL ".into()))]
    Crl {
        /// Which CRL of the file, when it has several.
        which: Option<usize>,
        /// What is wrong with it.
        problem: CrlProblem,
    },
}

// ---- building and signing packages -------------------------------------------

/// Why a package could not be built or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The signing key cannot be used (kind `key_invalid`).
    #[error("private key: {0}")]
    Key(KeyProblem),
    /// The metadata for the manifest is not valid (kind `metadata_invalid`).
    #[error("metadata: {0}")]
    Metadata(String),
    /// The package would be rejected: the verifier's own rules (names, case
    /// and Unicode collisions, layout, modes, limits, the manifest's) refuse
    /// what the builder was given (the verifier's kind).
    #[error("the package would be rejected: {0}")]
    WouldReject(Error),
    /// A payload file cannot be read (kind `io`).
    #[error("cannot read \"{path}\": {source}")]
    Read {
        /// The file.
        path: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The package cannot be written (kind `io`).
    #[error("cannot write the package: {0}")]
    Write(io::Error),
    /// The crypto library refused to sign (kind `signing_failed`).
    #[error("signer \"{0}\" failed to sign")]
    Sign(String),
    /// The timestamper failed for a signature (kind `timestamp_failed`).
    #[error("signature \"{signature}\" could not be timestamped: {why}")]
    Timestamp {
        /// The signature's name.
        signature: String,
        /// The timestamper's words.
        why: String,
    },
}

impl BuildError {
    /// A stable snake_case name for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Key(_) => "key_invalid",
            Self::Metadata(_) => "metadata_invalid",
            Self::WouldReject(e) => e.kind(),
            Self::Read { .. } | Self::Write(_) => "io",
            Self::Sign(_) => "signing_failed",
            Self::Timestamp { .. } => "timestamp_failed",
        }
    }
}

/// What is wrong with a signing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    /// No PKCS#8 key in the PEM (the PEM reader's words).
    #[error("no PKCS#8 private key in PEM: {0}")]
    NotPkcs8(String),
    /// A key of a type format 1 does not sign with.
    #[error("not an ECDSA P-256/P-384, Ed25519 or RSA PKCS#8 key")]
    Unsupported,
}

/// What is wrong with an archive's structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveDefect {
    /// No end-of-central-directory record where one must be.
    #[error("no end-of-central-directory record at the end of the file")]
    NoEndRecord,
    /// A comment or extra field contains a ZIP record signature.
    #[error("a comment or extra field contains a ZIP record signature")]
    SignatureInComment,
    /// A second end-of-central-directory signature follows the end record, or
    /// two candidates both run to the end of the file.
    #[error("a second end-of-central-directory record")]
    SecondEndRecord,

    /// The end record's comment length does not end at the end of the file:
    /// bytes follow it, or the comment is cut short.
    #[error("the end-of-central-directory record does not end the file (bytes follow it, or its comment is cut short)")]
    Trailing,
    /// The central directory lists entries in a different order than the file holds them.
    #[error("the central directory lists entries out of file order")]
    OutOfOrder,
    /// A multi-disk (spanned) archive.
    #[error("spanned (multi-disk) archives are not supported")]
    MultiDisk,
    /// The zip64 records are inconsistent with each other or with the end record.
    #[error("zip64 end record: {0}")]
    Zip64(&'static str),
    /// A 32-bit field disagrees with its zip64 counterpart.
    #[error(
        "the end record's {field} ({value32}) disagrees with the zip64 end record ({value64})"
    )]
    Zip64Disagrees {
        /// The field.
        field: &'static str,
        /// Its 32-bit value.
        value32: u64,
        /// Its zip64 value.
        value64: u64,
    },
    /// The central directory lies outside the file or overlaps the end records.
    #[error("the central directory (offset {offset}, {size} bytes) does not end where the end records begin ({end})")]
    CentralDirectoryBounds {
        /// Declared offset.
        offset: u64,
        /// Declared size.
        size: u64,
        /// Where the end records begin.
        end: u64,
    },
    /// The central directory holds a different number of records than declared.
    #[error("the end record declares {declared} entries but the central directory {found}")]
    EntryCount {
        /// Count in the end record.
        declared: u64,
        /// What the central directory holds.
        found: Found,
    },
    /// A record is cut short or has a wrong signature.
    #[error("{record} at offset {offset} is truncated or has a bad signature")]
    BadRecord {
        /// Which record.
        record: &'static str,
        /// Its offset.
        offset: u64,
    },
    /// An extra field is malformed.
    #[error("malformed {0} extra field")]
    BadExtraField(&'static str),
    /// Bytes before the first local header (e.g. a Janus-style prefix).
    #[error("{0} bytes precede the first local header")]
    Prefix(u64),
    /// Bytes between entries, or between the last entry and the central directory, that no record accounts for.
    #[error("{len} unaccounted bytes at offset {offset}")]
    Gap {
        /// Where the gap starts.
        offset: u64,
        /// How long it is.
        len: u64,
    },
    /// In a stream, bytes that are not a ZIP record where one must start.
    #[error("the bytes at offset {offset} are not a ZIP record")]
    Unexpected {
        /// Where they are.
        offset: u64,
    },
    /// A local entry that the central directory does not list: a streaming
    /// reader extracts it, a reader of the central directory does not.
    #[error("the entry has a local header but no central directory record")]
    MissingCentralRecord,
    /// A central directory record for which the archive holds no local entry
    /// where the reading met it.
    #[error("the central directory lists an entry the archive does not hold in that place")]
    MissingLocalHeader,
    /// The entry's data overlaps the next structure, or the central directory order differs from the file order.
    #[error("entry data at offset {offset} overlaps another record")]
    Overlap {
        /// The entry's local-header offset.
        offset: u64,
    },
    /// A central record and its local header disagree.
    #[error("the central directory and the local header disagree on the {0}")]
    LocalMismatch(&'static str),
    /// A data descriptor disagrees with the central directory, or cannot be delimited.
    #[error("data descriptor: {0}")]
    DataDescriptor(&'static str),
    /// Two entries have the same name, exactly or ignoring case.
    #[error("the name collides with \"{other}\"{}", if *case_only { " (differing only in case or Unicode form)" } else { "" })]
    DuplicateName {
        /// The earlier entry.
        other: String,
        /// Whether the names differ in case or normalization only.
        case_only: bool,
    },
    /// A name is used both as a file and as a directory.
    #[error("\"{0}\" is both a file and a directory")]
    FileDirConflict(String),
    /// The name is not ASCII and not flagged UTF-8, so readers may decode it differently.
    #[error("the name is not ASCII and the UTF-8 flag is not set")]
    NameEncoding,
    /// A unicode-path extra field gives a different name than the header.
    #[error("a unicode-path extra field gives a second name")]
    SecondName,
    /// An entry recorded as empty whose deflate stream holds content: readers that
    /// trust the size extract nothing, readers that inflate extract the content.
    #[error("an entry recorded as empty holds a deflate stream with content")]
    EmptyWithContent,
    /// A directory entry has content.
    #[error("a directory entry has content")]
    DirectoryWithContent,
    /// The external attributes mark a different file type than the name does.
    #[error("the attributes mark a directory but the name does not end in '/'")]
    DirectoryAttributes,
    /// A stored entry whose compressed and uncompressed sizes differ.
    #[error("stored entry with compressed size {compressed} and size {size}")]
    StoredSizes {
        /// Compressed size.
        compressed: u64,
        /// Uncompressed size.
        size: u64,
    },
    /// The deflate stream is corrupt.
    #[error("corrupt deflate stream")]
    Deflate,
    /// The deflate stream ends before its compressed size is used up, or runs past it.
    #[error("the deflate stream uses {used} of its {compressed} compressed bytes")]
    DeflateLength {
        /// Bytes the stream consumed.
        used: u64,
        /// The compressed size on record.
        compressed: u64,
    },
    /// The CRC-32 of the content differs from the one on record.
    #[error("CRC-32 is {actual:08x}, the archive records {expected:08x}")]
    Crc {
        /// On record.
        expected: u32,
        /// Computed.
        actual: u32,
    },
    /// The entry's content is shorter or longer than its recorded size.
    #[error("the content is {actual} bytes, the archive records {expected}")]
    Length {
        /// On record.
        expected: u64,
        /// Read (capped at the record plus one).
        actual: u64,
    },
    /// The file ends before a structure it declares.
    #[error("unexpected end of file")]
    Truncated,
}

/// What a central directory holds, against the count the end record declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    /// Only this many records before its bytes end.
    Only(u64),
    /// More: this many bytes left after the declared records.
    More {
        /// Bytes left unread.
        unread: u64,
    },
    /// This many records (read from a stream, to the end records).
    Records(u64),
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Only(n) => write!(f, "only {n}"),
            Self::More { unread } => write!(f, "more ({unread} unread bytes)"),
            Self::Records(n) => write!(f, "{n} central records"),
        }
    }
}

/// Which path rule a name breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathProblem {
    /// The name is empty.
    #[error("empty name")]
    Empty,
    /// The name starts with `/`.
    #[error("absolute path")]
    Absolute,
    /// The name has a drive letter or any `:` (NTFS streams).
    #[error("contains ':' (drive letter or NTFS stream)")]
    Colon,
    /// The name contains `\`.
    #[error("contains a backslash")]
    Backslash,
    /// The name contains a control character.
    #[error("contains a control character")]
    Control,
    /// An empty segment (`a//b`, or a trailing `/` on a file).
    #[error("empty path segment")]
    EmptySegment,
    /// A `.` segment.
    #[error("'.' segment")]
    Dot,
    /// A `..` segment.
    #[error("'..' segment")]
    DotDot,
    /// A character Windows cannot store (`" * < > ? |`): extractors there
    /// replace it, so two names could become one.
    #[error("contains a character Windows cannot store (\" * < > ? |)")]
    WindowsReserved,
    /// The name is not valid UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A segment ends in `.` or a space, which Windows strips (`a.` is `a`, `...` is not a name).
    #[error("a segment ends in '.' or a space")]
    TrailingDotOrSpace,
    /// A segment is a Windows device name (`CON`, `NUL`, `COM1`, `LPT1.txt`, ...):
    /// extracting it there writes to the device, not to a file.
    #[error("a segment is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)")]
    WindowsDevice,
}

/// A ZIP feature that packages may not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// Traditional or strong encryption.
    #[error("encrypted")]
    Encrypted,
    /// A compression method other than stored (0) or deflate (8).
    #[error("compression method {0}")]
    Method(u16),
    /// A symbolic link.
    #[error("symbolic link")]
    Symlink,
    /// A device, FIFO or socket.
    #[error("special file (device, FIFO or socket)")]
    SpecialFile,
    /// An extra field some reader acts on that the verifier does not check
    /// (ownership, libarchive attributes, unknown fields).
    #[error("extra field {id:#06x} (only zip64, unicode path and timestamps are allowed){fix}", id = .0, fix = extra_field_fix(*.0))]
    ExtraField(u16),
    /// A stored entry followed by a data descriptor without its optional
    /// signature: a streaming reader finds the end of stored data only by
    /// the signature.
    #[error("stored with a data descriptor that has no signature, so a streaming reader cannot find where the data ends (write the descriptor's signature, or deflate the entry)")]
    UnsignedStoredDescriptor,
    /// General-purpose flag bits this verifier does not know.
    #[error("unknown general-purpose flags {0:#06x}")]
    Flags(u16),
}

fn at(entry: &Option<String>) -> String {
    match entry {
        Some(e) => format!(" at entry \"{e}\""),
        None => String::new(),
    }
}

fn missing_message(signature: &Option<String>) -> String {
    match signature {
        Some(s) => format!(
            "signature \"{s}\" is incomplete: signatures/{s}.sig and signatures/{s}.pem must both be present"
        ),
        None => "the package has no signature (signatures/NAME.sig + signatures/NAME.pem)".into(),
    }
}

fn unsupported_list(signatures: &[(String, String)]) -> String {
    signatures
        .iter()
        .map(|(name, algorithm)| format!("{name:?}: {algorithm}{}", unsupported_fix(algorithm)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fmt_mode(mode: Option<u32>) -> String {
    match mode {
        Some(m) => format!("{m:04o}"),
        None => "not set".into(),
    }
}

fn timestamp_missing(signature: Option<&str>) -> String {
    let rule = "the trust policy requires a trusted timestamp (require_timestamp = true)";
    match signature {
        Some(s) => format!("signature \"{s}\" has no trusted timestamp, and {rule}: it does not count"),
        None => format!("no trusted signature has a trusted timestamp, and {rule}: have the vendor timestamp its signatures (signatures/NAME.tst), and trust its time-stamping authority"),
    }
}

/// A PEM reader's error in plain words (its own text shows byte values).
pub(crate) fn pem_problem(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error as E;
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    match e {
        E::MissingSectionEnd { end_marker } => format!(
            "a PEM block is not closed (no \"{}\" line): the file looks truncated",
            text(end_marker)
        ),
        E::IllegalSectionStart { line } => {
            format!("a PEM BEGIN line is malformed: \"{}\"", text(line))
        }
        E::Base64Decode(_) => {
            "the base64 inside a PEM block is corrupt (damaged or edited by hand?)".into()
        }
        E::NoItemsFound => "no PEM block of the kind expected".into(),
        E::SectionTooLarge => "a PEM block is larger than 256 MB".into(),
        other => other.to_string(),
    }
}
