//! Chain validation as a public entry point (what to validate for, how
//! strictly, what comes back), and the checks pkgverify adds to
//! rustls-webpki's.
//!
//! [`TrustStore::validate_chain`](crate::TrustStore::validate_chain) is the
//! one chain validator: the package verifier calls it for every signer with
//! [`ChainOptions::default`] (code signing), and the conformance tests run the
//! x509-limbo and NIST PKITS suites through it with the usage those suites
//! need (see `docs/CONFORMANCE.md`).
//!
//! webpki builds and verifies the paths. The checks here run inside its path
//! building, on each path it has verified (its `verify_path` hook), so a path
//! they reject makes webpki try another. They read certificates and CRLs with
//! x509-parser, whose errors become rejections (never panics), and close the
//! gaps webpki leaves for a verifier whose anchors are configured by hand:
//!
//! * the trust anchor, as [`AnchorPolicy`] says (by default: valid at the
//!   verification time and a CA certificate; webpki takes an anchor as a
//!   bare name and key);
//! * every CA on the path with a keyUsage extension asserts keyCertSign
//!   (RFC 5280 6.1.4 (n); webpki ignores keyUsage on CAs);
//! * the end entity has no name constraints (RFC 5280 4.2.1.10) and does not
//!   assert keyCertSign unless it is a CA (4.2.1.9); name constraints are
//!   never empty (4.2.1.10);
//! * every CRL in the store from an issuer on the path has a non-critical
//!   CRL number (RFC 5280 5.2.3), and that issuer asserts cRLSign if it has a
//!   keyUsage extension (6.3.3 (f); webpki skips this for the anchor);
//! * an optional maximum depth;
//! * no certificate or key on the path is distrusted, and the end entity's
//!   issuer is an allowed one, when [`ChainOptions`] lists any (a trust
//!   policy's `distrust` and `allowed_issuers`).

use std::cell::RefCell;
use std::fmt;

use rustls_pki_types::{TrustAnchor, UnixTime};
use webpki::VerifiedPath;

use crate::algorithm::Algorithm;
use crate::cert::{Cert, Fingerprint, Fingerprinted};
use crate::revocation::{self, Crl, RevocationUnknown, Rules, Status};
use crate::time::format_unix;
use crate::work::Work;

/// The code-signing extended key usage, 1.3.6.1.5.5.7.3.3 (DER contents of the OID).
pub(crate) const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
/// id-kp-timeStamping (1.3.6.1.5.5.7.3.8), DER contents.
pub(crate) const EKU_TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// What the end-entity certificate must be good for (its extended key usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Usage {
    /// Code signing (1.3.6.1.5.5.7.3.3), the package verifier's: the end entity
    /// must have an extended key usage extension that lists it, and a CA on the
    /// path that restricts its usages must allow it.
    #[default]
    CodeSigning,
    /// TLS server authentication (1.3.6.1.5.5.7.3.1), for reference suites:
    /// required only where a certificate has the extension (RFC 5280 4.2.1.12).
    ServerAuth,
    /// TLS client authentication (1.3.6.1.5.5.7.3.2), for reference suites:
    /// required only where a certificate has the extension.
    ClientAuth,
    /// Time stamping (1.3.6.1.5.5.7.3.8), a time-stamping authority's: the
    /// end entity must list it, and a CA that restricts its usages must allow it.
    TimeStamping,
}

impl Usage {
    /// The usage's name as [`crate::cert::Cert::lists_eku`] lists it.
    pub(crate) fn eku_name(self) -> &'static str {
        match self {
            Self::CodeSigning => "codeSigning",
            Self::ServerAuth => "serverAuth",
            Self::ClientAuth => "clientAuth",
            Self::TimeStamping => "timeStamping",
        }
    }

    pub(crate) fn webpki(self) -> webpki::KeyUsage {
        match self {
            Self::CodeSigning => webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
            Self::ServerAuth => webpki::KeyUsage::server_auth(),
            Self::ClientAuth => webpki::KeyUsage::client_auth(),
            Self::TimeStamping => webpki::KeyUsage::required_if_present(EKU_TIME_STAMPING),
        }
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CodeSigning => "code signing (1.3.6.1.5.5.7.3.3)",
            Self::ServerAuth => "server authentication (1.3.6.1.5.5.7.3.1)",
            Self::ClientAuth => "client authentication (1.3.6.1.5.5.7.3.2)",
            Self::TimeStamping => "time stamping (1.3.6.1.5.5.7.3.8)",
        })
    }
}

/// When the operator trusts an anchor: the rotation grace period of a trust
/// policy ("trust root G1 until 2027-03-31"). Outside its window an anchor is
/// not used for path building at all, and an explanation says so.
///
/// This bounds the operator's trust, independently of the anchor
/// certificate's own validity (which [`AnchorPolicy`] checks). Both bounds
/// are inclusive, as an X.509 validity period's are: the window holds every
/// second from `not_before` through `not_after`. A window whose `not_before`
/// is later than its `not_after` holds no time at all (a trust policy file
/// refuses one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AnchorWindow {
    /// Trusted from this second on (inclusive); `None`: no lower bound.
    pub not_before: Option<UnixTime>,
    /// Trusted through this second (inclusive, the last second trusted);
    /// `None`: no upper bound.
    pub not_after: Option<UnixTime>,
}

impl AnchorWindow {
    /// No bounds: the anchor is trusted at every time.
    pub const ALWAYS: Self = Self {
        not_before: None,
        not_after: None,
    };

    /// Whether `time` is inside the window.
    pub fn contains(&self, time: UnixTime) -> bool {
        self.not_before.is_none_or(|b| time >= b) && self.not_after.is_none_or(|a| time <= a)
    }
}

/// What to do for a certificate whose issuer has no CRL in the trust store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RevocationPolicy {
    /// Check every certificate whose issuer has a CRL in the store; one whose
    /// issuer has none is not treated as revoked. The package verifier's
    /// policy (`docs/FORMAT.md`): an operator without CRLs can still verify.
    #[default]
    WhereAvailable,
    /// Every certificate on the path except the anchor must be covered by a
    /// CRL in the store, else its status is unknown and the path is rejected
    /// (RFC 5280 6.3 with CRLs as the only source; what NIST PKITS assumes).
    Required,
}

/// How a chain is validated: usage, revocation, depth.
///
/// The default is the package verifier's: code signing, CRLs where available,
/// no depth limit beyond rustls-webpki's own (six intermediates).
#[derive(Debug, Clone, Default)]
pub struct ChainOptions {
    pub(crate) usage: Usage,
    pub(crate) revocation: RevocationPolicy,
    pub(crate) max_depth: Option<usize>,
    /// Certificates or keys no accepted path may go through.
    pub(crate) distrust: Vec<Fingerprint>,
    /// If any: the certificates or keys that may issue the end entity.
    pub(crate) allowed_issuers: Vec<Fingerprint>,
    /// The end entity signs (the package verifier's signers): it must list
    /// the usage itself, and its keyUsage, if any, must allow digitalSignature.
    pub(crate) as_signer: bool,
    /// Certificates the caller kept from path building (a trust policy's
    /// `package_intermediates = false`), for the explanation.
    pub(crate) withheld: usize,
    /// When CRL freshness is judged, if not at the validation time (a
    /// signer judged at a timestamp's time: its CRLs are judged now).
    pub(crate) crl_time: Option<UnixTime>,
}

impl ChainOptions {
    /// The package verifier's options (the same as `default()`).
    pub fn code_signing() -> Self {
        Self::default()
    }

    /// Sets the required extended key usage.
    #[must_use]
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// Sets the revocation policy.
    #[must_use]
    pub fn revocation(mut self, policy: RevocationPolicy) -> Self {
        self.revocation = policy;
        self
    }

    /// Allows at most `depth` intermediates between the end entity and the
    /// trust anchor, not counting self-issued ones (a CA's key rollover, as
    /// for RFC 5280's path length); `None` for no limit of ours.
    #[must_use]
    pub fn max_depth(mut self, depth: Option<usize>) -> Self {
        self.max_depth = depth;
        self
    }

    /// Distrusts a certificate or key, by the SHA-256 of the certificate's DER
    /// or of its DER SubjectPublicKeyInfo: no accepted path goes through it
    /// (end entity, intermediate or anchor). A path that does is rejected
    /// inside path building, so webpki still finds a path around it (e.g. the
    /// new root directly, when the old one is distrusted).
    #[must_use]
    pub fn distrust(mut self, fingerprint: Fingerprint) -> Self {
        self.distrust.push(fingerprint);
        self
    }

    /// Marks the end entity as a signer (see the field).
    pub(crate) fn for_signer(mut self) -> Self {
        self.as_signer = true;
        self
    }

    /// Allows a CA to issue the end entity, by the SHA-256 of its certificate
    /// or its key; once one is allowed, a path whose end entity another CA
    /// issued is rejected (inside path building, so another path is tried).
    #[must_use]
    pub fn allow_issuer(mut self, fingerprint: Fingerprint) -> Self {
        self.allowed_issuers.push(fingerprint);
        self
    }
}

/// A validated path: the end entity, the intermediates used, and the trust
/// anchor's certificate, in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedChain {
    certificates: Vec<Vec<u8>>,
    subjects: Vec<String>,
    notes: Vec<PathNote>,
}

impl ValidatedChain {
    pub(crate) fn new(certificates: Vec<Vec<u8>>, subjects: Vec<String>, notes: Vec<PathNote>) -> Self {
        Self {
            certificates,
            subjects,
            notes,
        }
    }

    /// What weakened the path: revocation not checked, a stale CRL used.
    pub fn notes(&self) -> &[PathNote] {
        &self.notes
    }

    /// The DER certificates from the end entity up to the trust anchor.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// Their subjects, in the same order.
    pub fn subjects(&self) -> &[String] {
        &self.subjects
    }

    /// Number of intermediates on the path.
    pub fn intermediate_count(&self) -> usize {
        self.certificates.len().saturating_sub(2)
    }
}

/// An error from rustls-webpki, kept opaque so that rustls-webpki's own error
/// type is not part of pkgverify's API. It says, in words, what rustls-webpki
/// found; the [`ChainError`] variant holding it says what failed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebpkiError(pub(crate) webpki::Error);

impl fmt::Debug for WebpkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for WebpkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[allow(deprecated)]
        let words = match &self.0 {
            webpki::Error::BadDer | webpki::Error::TrailingData(_) => "malformed DER",
            webpki::Error::BadDerTime | webpki::Error::InvalidCertValidity => {
                "a malformed validity period"
            }
            webpki::Error::UnsupportedCertVersion => "an X.509 version other than 3",
            webpki::Error::UnsupportedCriticalExtension => "a critical extension it does not know",
            webpki::Error::MalformedExtensions | webpki::Error::ExtensionValueInvalid => {
                "a malformed extension"
            }
            webpki::Error::InvalidSerialNumber => "an invalid serial number",
            webpki::Error::MalformedNameConstraint
            | webpki::Error::InvalidNetworkMaskConstraint => "malformed name constraints",
            webpki::Error::UnsupportedNameType => "a name type it does not support",
            webpki::Error::UnsupportedSignatureAlgorithm
            | webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKey
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                "a signature algorithm or key it does not support"
            }
            webpki::Error::SignatureAlgorithmMismatch => {
                "a signature algorithm that disagrees with itself"
            }
            _ => "a certificate it does not accept",
        };
        f.write_str(words)
    }
}

/// Why a chain did not validate: the cause as a value, with the context an
/// explanation needs (the certificate concerned and its place on the path,
/// times, fingerprints, the path built). `Display` writes what an operator
/// reads; [`ChainError::kind`] names the cause for reports.
///
/// The same type says why a trust policy refuses a signer whose chain is
/// valid ([`ChainError::NotAllowed`]), so that one ranking
/// ([`ChainError::rank`]) picks the most specific reason among paths and
/// among signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    /// The end-entity certificate cannot be parsed.
    Unparsable(WebpkiError),
    /// A certificate lacks the required extended key usage: the end entity
    /// (which must list it), or a CA above it that restricts its usages.
    UsageMissing {
        /// Its subject.
        certificate: String,
        /// The usage required.
        usage: Usage,
        /// The usages it lists; `None` when it has no such extension.
        listed: Option<Vec<String>>,
    },
    /// The end entity's keyUsage does not assert digitalSignature, so its key
    /// may not make signatures (RFC 5280 4.2.1.3).
    SigningNotAllowed {
        /// Its subject.
        certificate: String,
    },
    /// The end entity is a CA certificate.
    CaAsEndEntity {
        /// Its subject.
        certificate: String,
    },
    /// A certificate on the path had expired at the verification time.
    Expired {
        /// Its subject.
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// Its notAfter.
        not_after: UnixTime,
        /// The verification time.
        at: UnixTime,
    },
    /// A certificate on the path was not yet valid at the verification time.
    NotYetValid {
        /// Its subject.
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// Its notBefore.
        not_before: UnixTime,
        /// The verification time.
        at: UnixTime,
    },
    /// A certificate on the path is revoked: a CRL in the store lists it.
    Revoked {
        /// Its subject.
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// Its serial number, hex.
        serial: String,
        /// The issuer of the CRL that lists it.
        crl_issuer: String,
    },
    /// A certificate's revocation status is unknown.
    RevocationUnknown {
        /// Its subject.
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// Why.
        why: RevocationUnknown,
    },
    /// A certificate on the path, or its key, is distrusted
    /// ([`ChainOptions::distrust`], a trust policy's `distrust`).
    Distrusted {
        /// Its subject.
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// The listed fingerprint that matched.
        fingerprint: Fingerprint,
        /// Whether it is the certificate's or the key's.
        of: Fingerprinted,
    },
    /// The trust policy does not accept the signer (its issuer, its signature
    /// algorithm, its identity).
    NotAllowed(NotAllowed),
    /// A rule of pkgverify's own that the path broke (profile, CA, depth).
    Rejected {
        /// Subject of the certificate concerned.
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// What is wrong.
        problem: ChainProblem,
    },
    /// No path to a trust anchor: what path building found, for an operator.
    NoPath(Box<NoPath>),
    /// rustls-webpki rejected every path for another reason.
    Invalid {
        /// What was wrong.
        reason: PathFailure,
        /// Subjects of the path built (by name and key identifier), signer first.
        path: Vec<String>,
    },
    /// Path building needed more signature checks than one signer, or one
    /// package, may make (`docs/SECURITY.md`): the certificates offered make
    /// too many candidate paths.
    WorkExceeded(usize),
}

/// Why a trust policy refuses a signer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotAllowed {
    /// The CA that issued the end entity is not among the allowed issuers.
    Issuer {
        /// Its subject.
        issuer: String,
        /// Its certificate's fingerprint.
        certificate: Fingerprint,
        /// Its key's fingerprint.
        key: Fingerprint,
    },
    /// The signature's algorithm is not among the accepted ones.
    Algorithm {
        /// The algorithm it signs with.
        used: Algorithm,
        /// The accepted ones.
        accepted: Vec<Algorithm>,
    },
    /// The signer matches none of the allowed signer rules.
    Signer {
        /// Each rule, described (`O="..." CN="..." sha256:...`).
        rules: Vec<String>,
        /// Why a subject attribute a rule compares could not be compared.
        unusable: Vec<String>,
        /// The signer's key fingerprint.
        key: Fingerprint,
    },
}

impl fmt::Display for NotAllowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Issuer {
                issuer,
                certificate,
                key,
            } => write!(
                f,
                "its issuing CA \"{issuer}\" (certificate {certificate}, key {key}) is not among allowed_issuers"
            ),
            Self::Algorithm { used, accepted } => {
                let names: Vec<&str> = accepted.iter().map(|a| a.name()).collect();
                write!(
                    f,
                    "it signs with {}, which is not among the accepted algorithms ({})",
                    used.name(),
                    names.join(", ")
                )
            }
            Self::Signer {
                rules,
                unusable,
                key,
            } => {
                let unusable: String = unusable.iter().map(|u| format!("; {u}")).collect();
                write!(
                    f,
                    "it matches none of the allowed signers ({}){unusable}; its key is {key}",
                    rules.join("; ")
                )
            }
        }
    }
}

/// What rustls-webpki found wrong with every path, beyond what
/// [`ChainError`] names otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathFailure {
    /// A certificate on the path is not a CA but issued the next one.
    IssuerNotCa,
    /// Path building gave up: the chain is too long or loops.
    GaveUp,
    /// A CA's path length constraint is violated.
    PathLength,
    /// A CA's name constraints are violated.
    NameConstraints,
    /// A certificate's key is distrusted by rustls-webpki.
    KeyDistrusted,
    /// A certificate on the path uses a signature algorithm or key that is not supported.
    UnsupportedAlgorithm,
    /// Another reason.
    Other(WebpkiError),
}

impl fmt::Display for PathFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IssuerNotCa => {
                f.write_str("a certificate on the path is not a CA but issued another")
            }
            Self::GaveUp => f.write_str("path building gave up: the chain is too long or loops"),
            Self::PathLength => f.write_str("a CA's path length constraint is violated"),
            Self::NameConstraints => f.write_str("a CA's name constraints are violated"),
            Self::KeyDistrusted => f.write_str("a certificate's key is distrusted"),
            Self::UnsupportedAlgorithm => f.write_str(
                "a certificate on the path uses an unsupported signature algorithm or key",
            ),
            Self::Other(e) => write!(f, "the chain is invalid: a certificate on it has {e}"),
        }
    }
}

/// What path building found when it found no path to a trust anchor: the
/// path it could build by name and key identifier (never used to accept),
/// and where it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPath {
    /// Subjects of the path built, signer first.
    pub path: Vec<String>,
    /// Why it ends there.
    pub end: PathEnd,
}

/// Where a path built by name and key identifier ends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathEnd {
    /// The signer certificate cannot be read.
    Unreadable,
    /// It reaches a trust anchor by name, but a signature on it does not verify.
    SignatureDoesNotVerify,
    /// It reaches a trust anchor that is not trusted at the verification time.
    AnchorOutsideWindow {
        /// The anchor's name in the trust policy (else its file).
        label: String,
        /// Its subject.
        subject: String,
        /// The trust window.
        window: AnchorWindow,
        /// The verification time.
        at: UnixTime,
    },
    /// The issuer of the last certificate is neither an anchor nor among the
    /// intermediates supplied.
    IssuerMissing(IssuerMissing),
}

/// The issuer that path building did not find, and what it was offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerMissing {
    /// The last certificate reached.
    pub certificate: String,
    /// Its issuer's name.
    pub issuer: String,
    /// Its authority key identifier, if it has one.
    pub authority_key_id: Option<Vec<u8>>,
    /// Certificates bundled in the package and offered.
    pub bundled: usize,
    /// Certificates bundled but kept from path building by the policy.
    pub withheld: usize,
    /// Intermediates from the trust store.
    pub store: usize,
    /// Certificates with the issuer's name but another key, and where each came from.
    pub other_keys: Vec<(String, Origin)>,
    /// Every intermediate offered, and where it came from.
    pub offered: Vec<(String, Origin)>,
    /// The last certificate is not itself a trust anchor: supplying the
    /// vendor's advisory chain may help (a CA rotation).
    pub rotation_hint: bool,
}

/// Where a certificate offered to path building came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The package's signer.
    Signer,
    /// Bundled in the package.
    Package,
    /// The trust store's intermediates.
    Store,
    /// A trust anchor.
    Anchor,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unparsable(e) => write!(f, "the end-entity certificate cannot be parsed (it has {e})"),
            Self::UsageMissing {
                certificate,
                usage,
                listed,
            } => write!(f, "certificate \"{certificate}\" {}", usage_text(*usage, listed.as_deref())),
            Self::SigningNotAllowed { certificate } => write!(
                f,
                "certificate \"{certificate}\" has a keyUsage extension without digitalSignature: its key may not make signatures (RFC 5280 4.2.1.3)"
            ),
            Self::CaAsEndEntity { certificate } => write!(
                f,
                "certificate \"{certificate}\" is a CA certificate; a signer must be an end-entity certificate"
            ),
            Self::Expired {
                certificate,
                not_after,
                at,
                ..
            } => write!(
                f,
                "certificate \"{certificate}\" expired at {} (judged at {}: the verification time, or a trusted timestamp's)",
                format_unix(*not_after),
                format_unix(*at)
            ),
            Self::NotYetValid {
                certificate,
                not_before,
                at,
                ..
            } => write!(
                f,
                "certificate \"{certificate}\" is not valid before {} (judged at {}: the verification time, or a trusted timestamp's)",
                format_unix(*not_before),
                format_unix(*at)
            ),
            Self::Revoked {
                certificate, serial, ..
            } => write!(f, "certificate \"{certificate}\" is revoked (serial {serial})"),
            Self::RevocationUnknown {
                certificate,
                role,
                why,
            } => write!(
                f,
                "revocation status cannot be checked: that of {role} \"{certificate}\" is unknown: {why}"
            ),
            Self::Distrusted {
                certificate,
                fingerprint,
                of,
                ..
            } => write!(
                f,
                "certificate \"{certificate}\" is distrusted by the trust policy ({of} {fingerprint})"
            ),
            Self::NotAllowed(n) => write!(f, "the trust policy does not allow it: {n}"),
            Self::Rejected {
                certificate,
                role,
                problem,
            } => f.write_str(&rejected_text(certificate, *role, problem)),
            Self::NoPath(n) => n.fmt(f),
            Self::Invalid { reason, path } => {
                write!(f, "{reason}")?;
                if matches!(reason, PathFailure::IssuerNotCa) && !path.is_empty() {
                    write!(f, " ({})", path_text(path))?;
                }
                Ok(())
            }
            Self::WorkExceeded(n) => write!(
                f,
                "path building gave up: the certificates offered needed more than {n} signature checks"
            ),
        }
    }
}

impl std::error::Error for ChainError {}

/// What a certificate lacking `usage` is told.
fn usage_text(usage: Usage, listed: Option<&[String]>) -> String {
    match (usage, listed) {
        (Usage::CodeSigning, None | Some([])) => "has no extended key usage extension; code signing (1.3.6.1.5.5.7.3.3) is required on the signer".into(),
        (Usage::CodeSigning, Some(l)) => format!(
            "allows only {}; code signing (1.3.6.1.5.5.7.3.3) is required on the signer and on any CA above it that restricts its key usages",
            l.join(", ")
        ),
        (usage, None | Some([])) => format!("allows only other usages; {usage} is required"),
        (usage, Some(l)) => format!("allows only {}; {usage} is required", l.join(", ")),
    }
}

fn path_text(path: &[String]) -> String {
    let names: Vec<String> = path.iter().map(|n| format!("\"{n}\"")).collect();
    format!("path built: {}", names.join(" -> "))
}

impl fmt::Display for NoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.end {
            PathEnd::Unreadable => f.write_str("the signer certificate cannot be read"),
            PathEnd::SignatureDoesNotVerify => write!(
                f,
                "a path to a trust anchor exists by name ({}), but a signature on it does not verify",
                path_text(&self.path)
            ),
            PathEnd::AnchorOutsideWindow {
                label,
                subject,
                window,
                at,
            } => {
                let who = if label == subject {
                    format!("\"{subject}\"")
                } else {
                    format!("\"{label}\" (\"{subject}\")")
                };
                match (window.not_before, window.not_after) {
                    (Some(b), _) if *at < b => write!(
                        f,
                        "the path reaches trust anchor {who}, but trust in it begins at {} (the trust policy's not_before); the time judged is {} (the verification time, or a trusted timestamp's)",
                        format_unix(b),
                        format_unix(*at)
                    ),
                    (_, Some(a)) => write!(
                        f,
                        "the path reaches trust anchor {who}, but trust in it ended at {} (the trust policy's not_after, the rotation deadline); the time judged is {} (the verification time, or a trusted timestamp's)",
                        format_unix(a),
                        format_unix(*at)
                    ),
                    _ => write!(
                        f,
                        "the path reaches trust anchor {who}, which is not trusted at {}",
                        format_unix(*at)
                    ),
                }?;
                write!(f, "; {}", path_text(&self.path))
            }
            PathEnd::IssuerMissing(m) => {
                let aki = m
                    .authority_key_id
                    .as_ref()
                    .map(|k| format!(" (authority key id {})", crate::hex(k)))
                    .unwrap_or_default();
                let withheld = if m.withheld > 0 {
                    format!(
                        ", {} more bundled but not used (trust policy: package_intermediates = false)",
                        m.withheld
                    )
                } else {
                    String::new()
                };
                write!(
                    f,
                    "the issuer of \"{}\", \"{}\"{aki}, is neither a trust anchor nor among the supplied intermediates ({} bundled in the package{withheld}, {} from the trust store); {}",
                    m.certificate,
                    m.issuer,
                    m.bundled,
                    m.store,
                    path_text(&self.path)
                )?;
                for (subject, origin) in &m.other_keys {
                    let role = match origin {
                        Origin::Anchor => "a trust anchor",
                        Origin::Store => "a trust-store intermediate",
                        Origin::Package | Origin::Signer => "a bundled certificate",
                    };
                    write!(
                        f,
                        "; found \"{subject}\" as {role}, but its key differs from the key that signed \"{}\"",
                        m.certificate
                    )?;
                }
                if !m.offered.is_empty() {
                    let offered: Vec<String> = m
                        .offered
                        .iter()
                        .map(|(subject, origin)| {
                            let from = if *origin == Origin::Store {
                                "trust store"
                            } else {
                                "package"
                            };
                            format!("\"{subject}\" ({from})")
                        })
                        .collect();
                    write!(f, "; intermediates offered: {}", offered.join(", "))?;
                }
                if m.rotation_hint {
                    f.write_str("; if the vendor rotated its CA, supply its advisory chain (e.g. the new root cross-signed by the old) as intermediates")?;
                }
                Ok(())
            }
        }
    }
}

impl ChainError {
    /// The stable kind of the rejection this cause makes (see
    /// [`Error::kind`](crate::Error::kind)).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unparsable(_) => "signature_invalid",
            Self::UsageMissing { .. }
            | Self::SigningNotAllowed { .. }
            | Self::CaAsEndEntity { .. } => "wrong_key_usage",
            Self::Expired { .. } => "certificate_expired",
            Self::NotYetValid { .. } => "certificate_not_yet_valid",
            Self::Revoked { .. } => "certificate_revoked",
            Self::Distrusted { .. } => "certificate_distrusted",
            Self::NotAllowed(_) => "signer_not_allowed",
            Self::RevocationUnknown { .. }
            | Self::Rejected { .. }
            | Self::NoPath(_)
            | Self::Invalid { .. }
            | Self::WorkExceeded(_) => "untrusted_signer",
        }
    }

    /// How specific the cause is: when several paths, or several signatures,
    /// fail, the highest names the failure. The one ranking (docs/FORMAT.md,
    /// step 4): what the trust policy refuses (distrusted, not allowed), then
    /// revocation, validity, usage, a broken rule, another reason rustls-webpki
    /// gives, an issuer that is not allowed, and last a missing path.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Distrusted { .. } => 12,
            Self::NotAllowed(NotAllowed::Algorithm { .. } | NotAllowed::Signer { .. }) => 11,
            Self::Revoked { .. } => 10,
            Self::RevocationUnknown { .. } => 9,
            Self::Expired { .. } => 8,
            Self::NotYetValid { .. } => 7,
            Self::UsageMissing { .. }
            | Self::SigningNotAllowed { .. }
            | Self::CaAsEndEntity { .. } => 6,
            Self::Rejected { .. } => 5,
            Self::Invalid { .. } => 4,
            Self::NotAllowed(NotAllowed::Issuer { .. }) => 3,
            Self::NoPath(_) => 2,
            Self::WorkExceeded(_) => 1,
            Self::Unparsable(_) => 0,
        }
    }

    /// The certificate the cause is about, when it is about one.
    pub fn certificate(&self) -> Option<&str> {
        match self {
            Self::UsageMissing { certificate, .. }
            | Self::SigningNotAllowed { certificate }
            | Self::CaAsEndEntity { certificate }
            | Self::Expired { certificate, .. }
            | Self::NotYetValid { certificate, .. }
            | Self::Revoked { certificate, .. }
            | Self::RevocationUnknown { certificate, .. }
            | Self::Distrusted { certificate, .. }
            | Self::Rejected { certificate, .. } => Some(certificate),
            Self::NotAllowed(NotAllowed::Issuer { issuer, .. }) => Some(issuer),
            Self::Unparsable(_)
            | Self::NotAllowed(_)
            | Self::NoPath(_)
            | Self::Invalid { .. }
            | Self::WorkExceeded(_) => None,
        }
    }
}

fn rejected_text(certificate: &str, role: PathRole, problem: &ChainProblem) -> String {
    match role {
        PathRole::Path => format!("the path from \"{certificate}\" {problem}"),
        role => format!("{role} \"{certificate}\" {problem}"),
    }
}

/// A certificate's place on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathRole {
    /// The end entity (the package's signer).
    EndEntity,
    /// An intermediate CA.
    Intermediate,
    /// The trust anchor.
    Anchor,
    /// The path as a whole.
    Path,
}

impl std::fmt::Display for PathRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::EndEntity => "end entity",
            Self::Intermediate => "intermediate",
            Self::Anchor => "trust anchor",
            Self::Path => "path",
        })
    }
}

/// How strictly the trust anchor that ends a path is checked. A store-wide
/// setting ([`TrustStore::with_anchor_policy`](crate::TrustStore::with_anchor_policy)):
/// it says what the operator's anchors are taken to be.
///
/// Only the anchor that ends a path is checked: a defective anchor that no
/// path uses does no harm. Where several stored anchors share a name and key
/// (a root re-issued with a longer validity), one that passes is enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum AnchorPolicy {
    /// CAUTION: the anchor is a bare name and key (RFC 5280 6.1.1 (d), as
    /// rustls-webpki takes it): an expired anchor, or one that is not a CA
    /// certificate at all, is trusted as long as it is in the store. For
    /// operators who knowingly keep an expired root.
    KeyOnly,
    /// The default, and the package verifier's: the anchor must be valid at
    /// the verification time (as OpenSSL and Go require), be a
    /// CA certificate (basicConstraints with cA; keyCertSign if it has a
    /// keyUsage extension), and be a certificate rustls-webpki would accept
    /// on a path (no unknown critical extension). An end entity trusted
    /// directly as its own anchor (a self-signed signer) need not be a CA.
    #[default]
    ValidCa,
    /// [`AnchorPolicy::ValidCa`] plus RFC 5280's profile of a CA certificate:
    /// basicConstraints critical, a non-empty subject, a non-critical
    /// subjectKeyIdentifier, and an authorityKeyIdentifier, if any, that is
    /// non-critical and has a keyIdentifier (the anchor's own
    /// subjectKeyIdentifier, if self-signed).
    /// Deployed verifiers do not check these; strict operators may.
    Rfc5280,
    /// [`AnchorPolicy::Rfc5280`] plus the CA/Browser Forum's root profile
    /// (Baseline Requirements 7.1.2.1, shared by the TLS and Code Signing
    /// BRs): an authorityKeyIdentifier holds only a keyIdentifier, no
    /// extKeyUsage, an RSA modulus a multiple of 8 bits. For publicly
    /// trusted roots; RFC 5280 allows all three, and private roots made with
    /// OpenSSL's `authorityKeyIdentifier=keyid,issuer:always` break the first.
    BaselineRequirements,
}

/// A rule of pkgverify's own that a path broke (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
    /// A certificate that issued another on the path is not a CA certificate.
    #[error("is not a CA certificate ({reason}) but issued the next certificate on the path")]
    NotCa {
        /// What is missing.
        reason: &'static str,
    },
    /// The certificate breaks a rule of RFC 5280's certificate profile.
    #[error("breaks RFC 5280: {rule}")]
    Profile {
        /// The rule, with its section.
        rule: &'static str,
    },
    /// The trust anchor breaks a rule of the CA/Browser Forum's root profile
    /// ([`AnchorPolicy::BaselineRequirements`]).
    #[error("breaks the CA/Browser Forum root profile: {rule}")]
    BaselineRequirements {
        /// The rule, with its section.
        rule: &'static str,
    },
    /// rustls-webpki would not accept the trust anchor as a certificate on a path.
    #[error("is not a certificate rustls-webpki accepts on a path (it has {0})")]
    Unusable(WebpkiError),
    /// The certificate cannot be read (by x509-parser), so it cannot be checked.
    #[error("cannot be read for pkgverify's checks")]
    Unreadable,
    /// More intermediates than [`ChainOptions::max_depth`] allows.
    #[error(
        "has {depth} intermediates (not counting self-issued ones); at most {max} are allowed"
    )]
    TooDeep {
        /// The limit.
        max: usize,
        /// The path's depth.
        depth: usize,
    },
}

const EMPTY_NAME_CONSTRAINTS: &str =
    "name constraints with neither permitted nor excluded subtrees (4.2.1.10)";

/// One certificate of a candidate path, as the checks see it.
struct Node<'p> {
    der: rustls_pki_types::CertificateDer<'p>,
    role: PathRole,
}

/// Our checks on a path webpki accepted, run inside webpki's path building
/// (its `verify_path` hook) so that a rejected path makes webpki try another.
pub(crate) struct PathCheck<'a> {
    options: &'a ChainOptions,
    policy: AnchorPolicy,
    time: UnixTime,
    /// The anchors handed to webpki, each with its certificate (same order).
    anchors: &'a [TrustAnchor<'a>],
    anchor_certs: Vec<&'a [u8]>,
    /// The store's CRLs, and how they are used.
    crls: &'a [Crl],
    rules: Rules,
    work: &'a Work,
    /// The stored anchor that passed for the last path accepted.
    accepted_anchor: std::cell::Cell<Option<usize>>,
    /// Every path refused, with why.
    findings: RefCell<Vec<ChainError>>,
    /// What weakened the path being checked (the last accepted one's, at the end).
    notes: RefCell<Vec<PathNote>>,
}

/// Something that weakens an accepted path without refusing it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathNote {
    /// No CRL from its issuer is in the store: its revocation was not checked.
    Unchecked {
        /// Its subject.
        certificate: String,
    },
    /// A CRL past its nextUpdate was used (`CrlExpiration::Ignore`).
    StaleCrl {
        /// The certificate it covered.
        certificate: String,
        /// The CRL's nextUpdate.
        next_update: UnixTime,
    },
}

/// Why a candidate path is refused: a cause, or the work bound ran out.
enum Refusal {
    Cause(ChainError),
    WorkExceeded,
}

impl From<ChainError> for Refusal {
    fn from(e: ChainError) -> Self {
        Self::Cause(e)
    }
}

impl<'a> PathCheck<'a> {
    #[allow(clippy::too_many_arguments)] // private; the context of one validation
    pub(crate) fn new(
        options: &'a ChainOptions,
        policy: AnchorPolicy,
        time: UnixTime,
        anchors: &'a [TrustAnchor<'a>],
        anchor_certs: Vec<&'a [u8]>,
        crls: &'a [Crl],
        rules: Rules,
        work: &'a Work,
    ) -> Self {
        Self {
            options,
            policy,
            time,
            anchors,
            anchor_certs,
            crls,
            rules,
            work,
            accepted_anchor: std::cell::Cell::new(None),
            findings: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
        }
    }

    fn note(&self, note: PathNote) {
        if let Ok(mut notes) = self.notes.try_borrow_mut() {
            notes.push(note);
        }
    }

    /// What weakened the accepted path.
    pub(crate) fn accepted_notes(&self) -> Vec<PathNote> {
        self.notes.borrow().clone()
    }

    /// The hook: `Ok` accepts the path; an error makes webpki look for
    /// another. The cause is kept here, and webpki is told only "no path"
    /// (its least specific error), so that which cause names the failure is
    /// decided by [`ChainError::rank`], not by webpki's ranking of stand-ins.
    pub(crate) fn check(&self, path: &VerifiedPath<'_>) -> Result<(), webpki::Error> {
        if let Ok(mut notes) = self.notes.try_borrow_mut() {
            notes.clear();
        }
        let (finding, to_webpki) = match self.problem(path) {
            Ok(anchor) => {
                self.accepted_anchor.set(Some(anchor));
                return Ok(());
            }
            Err(Refusal::Cause(cause)) => (cause, webpki::Error::UnknownIssuer),
            // Fatal to webpki: path building stops.
            Err(Refusal::WorkExceeded) => (
                ChainError::WorkExceeded(crate::work::SIGNER_CHECKS),
                webpki::Error::MaximumSignatureChecksExceeded,
            ),
        };
        if let Ok(mut findings) = self.findings.try_borrow_mut() {
            findings.push(finding);
        }
        Err(to_webpki)
    }

    /// Which of the anchors (index into those given to [`PathCheck::new`])
    /// ends the accepted path: among anchors with the same name and key, the
    /// one that passed the policy.
    pub(crate) fn accepted_anchor(&self) -> Option<usize> {
        self.accepted_anchor.get()
    }

    /// The most specific cause ([`ChainError::rank`]) among the paths this
    /// hook refused and `webpki`'s own verdict (as explained); the earliest
    /// on a tie.
    pub(crate) fn into_error(self, webpki: ChainError) -> ChainError {
        let mut best: Option<ChainError> = None;
        for cause in self.findings.into_inner().into_iter().chain([webpki]) {
            if best.as_ref().is_none_or(|b| cause.rank() > b.rank()) {
                best = Some(cause);
            }
        }
        best.unwrap_or(ChainError::WorkExceeded(crate::work::SIGNER_CHECKS))
    }

    fn problem(&self, path: &VerifiedPath<'_>) -> Result<usize, Refusal> {
        let intermediates: Vec<_> = path.intermediate_certificates().collect();
        if let Some(max) = self.options.max_depth {
            let depth = intermediates
                .iter()
                .filter(|c| c.subject() != c.issuer())
                .count();
            if depth > max {
                let certificate = self
                    .work
                    .cert(path.end_entity().der().as_ref())
                    .map_or_else(unreadable_name, |c| c.subject.clone());
                return Err(rejected(
                    certificate,
                    PathRole::Path,
                    ChainProblem::TooDeep { max, depth },
                )
                .into());
            }
        }
        let ee = path.end_entity();
        let mut nodes = vec![Node {
            der: ee.der(),
            role: PathRole::EndEntity,
        }];
        for c in &intermediates {
            nodes.push(Node {
                der: c.der(),
                role: PathRole::Intermediate,
            });
        }
        let anchor = path.anchor();

        // Read every certificate first: one x509-parser cannot read is rejected.
        let mut facts = Vec::with_capacity(nodes.len());
        for n in &nodes {
            match self.work.cert(&n.der) {
                Some(f) => facts.push(f),
                None => {
                    return Err(
                        rejected(unreadable_name(), n.role, ChainProblem::Unreadable).into(),
                    )
                }
            }
        }
        let Some(ee_facts) = facts.first().cloned() else {
            return Err(rejected(
                unreadable_name(),
                PathRole::EndEntity,
                ChainProblem::Unreadable,
            )
            .into());
        };

        // Distrusted certificates and keys below the anchor; an intermediate
        // that issued the end entity must be allowed.
        for (n, f) in nodes.iter().zip(&facts) {
            if let Some(cause) = distrusted(&self.options.distrust, f, n.role) {
                return Err(cause.into());
            }
        }
        let ee_issuer_is_anchor = facts.len() == 1;
        if !self.options.allowed_issuers.is_empty() {
            if let Some(f) = facts.get(1) {
                if !allowed(&self.options.allowed_issuers, f) {
                    return Err(not_allowed(f).into());
                }
            }
        }

        // The anchor: among the stored anchors with this name and key (a root
        // re-issued with the same key), the first that is not distrusted, is
        // an allowed issuer where it issued the end entity, and passes the
        // anchor policy. Which of them is stored first does not matter.
        let mut first_problem = None;
        let mut passed = None;
        for (i, a) in self.anchors.iter().enumerate() {
            if a.subject != anchor.subject
                || a.subject_public_key_info != anchor.subject_public_key_info
            {
                continue;
            }
            let der = self.anchor_certs.get(i).copied().unwrap_or_default();
            let Some(f) = self.work.cert(der) else {
                first_problem.get_or_insert(rejected(
                    unreadable_name(),
                    PathRole::Anchor,
                    ChainProblem::Unreadable,
                ));
                continue;
            };
            let problem =
                if let Some(cause) = distrusted(&self.options.distrust, &f, PathRole::Anchor) {
                    Some(cause)
                } else if ee_issuer_is_anchor
                    && !self.options.allowed_issuers.is_empty()
                    && !allowed(&self.options.allowed_issuers, &f)
                {
                    Some(not_allowed(&f))
                } else if self.policy > AnchorPolicy::KeyOnly {
                    self.anchor_problem(der, &f, &ee_facts)
                } else {
                    None
                };
            match problem {
                None => {
                    passed = Some((i, f));
                    break;
                }
                Some(p) => {
                    first_problem.get_or_insert(p);
                }
            }
        }
        let (anchor_index, anchor_facts) = match (passed, first_problem) {
            (Some(found), _) => found,
            (None, Some(problem)) => return Err(problem.into()),
            (None, None) => {
                return Err(rejected(
                    unreadable_name(),
                    PathRole::Anchor,
                    ChainProblem::Unreadable,
                )
                .into())
            }
        };

        // CAs on the path: keyCertSign, and name constraints that constrain something.
        for (n, f) in nodes.iter().zip(&facts).skip(1) {
            if !f.cert_sign() {
                return Err(rejected(
                    f.subject.clone(),
                    n.role,
                    ChainProblem::NotCa {
                        reason: "keyUsage does not assert keyCertSign",
                    },
                )
                .into());
            }
            if f.name_constraints == Some(false) {
                let rule = EMPTY_NAME_CONSTRAINTS;
                return Err(
                    rejected(f.subject.clone(), n.role, ChainProblem::Profile { rule }).into(),
                );
            }
        }
        if self.policy > AnchorPolicy::KeyOnly && anchor_facts.name_constraints == Some(false) {
            let rule = EMPTY_NAME_CONSTRAINTS;
            return Err(rejected(
                anchor_facts.subject.clone(),
                PathRole::Anchor,
                ChainProblem::Profile { rule },
            )
            .into());
        }

        // The end entity.
        if ee_facts.name_constraints.is_some() {
            let rule = "name constraints in an end-entity certificate; only a CA's may have them (4.2.1.10)";
            return Err(rejected(
                ee_facts.subject.clone(),
                PathRole::EndEntity,
                ChainProblem::Profile { rule },
            )
            .into());
        }
        if !ee_facts.is_ca() && ee_facts.key_usage.is_some_and(|k| k.key_cert_sign) {
            return Err(rejected(
                ee_facts.subject.clone(),
                PathRole::EndEntity,
                ChainProblem::Profile {
                    rule: "keyCertSign asserted without basicConstraints cA (4.2.1.9)",
                },
            )
            .into());
        }

        // Revocation of every certificate below the anchor, each judged by the
        // CRLs its issuer on this path signed (crate::revocation).
        for (i, (n, f)) in nodes.iter().zip(&facts).enumerate() {
            let issuer = facts.get(i + 1).unwrap_or(&anchor_facts);
            let crl_time = self.options.crl_time.unwrap_or(self.time);
            let status = revocation::status(self.work, self.crls, f, issuer, crl_time, self.rules)
                .map_err(|_| Refusal::WorkExceeded)?;
            match status {
                Status::Good { stale: None } => {}
                Status::Good {
                    stale: Some(next_update),
                } => self.note(PathNote::StaleCrl {
                    certificate: f.subject.clone(),
                    next_update,
                }),
                Status::Unchecked => self.note(PathNote::Unchecked {
                    certificate: f.subject.clone(),
                }),
                Status::Revoked { crl, .. } => {
                    let crl_issuer = self
                        .crls
                        .iter()
                        .find(|c| c.sha256 == crl)
                        .map(|c| c.issuer.clone())
                        .unwrap_or_default();
                    return Err(ChainError::Revoked {
                        certificate: f.subject.clone(),
                        role: n.role,
                        serial: crate::hex(crate::cert::serial_key(&f.serial)),
                        crl_issuer,
                    }
                    .into());
                }
                Status::Unknown(why) => {
                    return Err(ChainError::RevocationUnknown {
                        certificate: f.subject.clone(),
                        role: n.role,
                        why,
                    }
                    .into())
                }
            }
        }
        Ok(anchor_index)
    }

    /// What is wrong with a trust anchor's certificate under the policy, if anything.
    fn anchor_problem(&self, der: &[u8], f: &Cert, ee: &Cert) -> Option<ChainError> {
        let anchor = |problem| Some(rejected(f.subject.clone(), PathRole::Anchor, problem));
        if let Err(e) =
            webpki::EndEntityCert::try_from(&rustls_pki_types::CertificateDer::from(der))
        {
            return anchor(ChainProblem::Unusable(WebpkiError(e)));
        }
        let now = i64::try_from(self.time.as_secs()).unwrap_or(i64::MAX);
        if now < f.not_before {
            return Some(ChainError::NotYetValid {
                certificate: f.subject.clone(),
                role: PathRole::Anchor,
                not_before: f.not_before_time(),
                at: self.time,
            });
        }
        if now > f.not_after {
            return Some(ChainError::Expired {
                certificate: f.subject.clone(),
                role: PathRole::Anchor,
                not_after: f.not_after_time(),
                at: self.time,
            });
        }
        // An end entity trusted directly (a self-signed signer) issued nothing else.
        let is_the_end_entity = f.spki == ee.spki && f.subject == ee.subject;
        if !is_the_end_entity {
            if let Some(reason) = f.not_ca() {
                return anchor(ChainProblem::NotCa { reason });
            }
        }
        if self.policy >= AnchorPolicy::Rfc5280 {
            if let Some(rule) = rfc5280_ca_profile(f) {
                return anchor(ChainProblem::Profile { rule });
            }
        }
        if self.policy >= AnchorPolicy::BaselineRequirements {
            if let Some(rule) = baseline_root_profile(f) {
                return anchor(ChainProblem::BaselineRequirements { rule });
            }
        }
        None
    }
}

/// RFC 5280's profile of a CA certificate, as far as a trust anchor is concerned.
fn rfc5280_ca_profile(f: &Cert) -> Option<&'static str> {
    if f.unreadable_extension {
        return Some("an extension cannot be parsed (4.2)");
    }
    if f.basic_constraints.is_some_and(|(critical, _)| !critical) {
        return Some("basicConstraints in a CA certificate must be critical (4.2.1.9)");
    }
    if f.empty_subject {
        return Some("a CA certificate must have a non-empty subject (4.1.2.6)");
    }
    match &f.ski {
        None => return Some("a CA certificate must have a subjectKeyIdentifier (4.2.1.2)"),
        Some((true, _)) => return Some("subjectKeyIdentifier must be non-critical (4.2.1.2)"),
        Some(_) => {}
    }
    if let Some(aki) = &f.aki {
        if aki.critical {
            return Some("authorityKeyIdentifier must be non-critical (4.2.1.1)");
        }
        match &aki.key_id {
            None => {
                return Some("an authorityKeyIdentifier must include the keyIdentifier (4.2.1.1)")
            }
            Some(id) if f.self_issued && f.ski.as_ref().is_some_and(|(_, ski)| ski != id) => {
                return Some(
                    "the authorityKeyIdentifier of a self-issued anchor names another key than its subjectKeyIdentifier (4.2.1.1)",
                )
            }
            Some(_) => {}
        }
    }
    None
}

/// The CA/Browser Forum's root profile, beyond RFC 5280.
fn baseline_root_profile(f: &Cert) -> Option<&'static str> {
    if f.aki.as_ref().is_some_and(|a| a.issuer_or_serial) {
        return Some("authorityKeyIdentifier must hold only a keyIdentifier (BR 7.1.2.1.3)");
    }
    if f.eku.is_some() {
        return Some("a root must not have extKeyUsage (BR 7.1.2.1.2)");
    }
    if f.rsa_bits.is_some_and(|bits| bits % 8 != 0) {
        return Some("an RSA modulus must be a multiple of 8 bits (BR 6.1.5)");
    }
    None
}

/// The distrust rule, the one place it is decided: a certificate on the
/// path (`role`) that is, or whose key is, on the list.
fn distrusted(list: &[Fingerprint], cert: &Cert, role: PathRole) -> Option<ChainError> {
    list.iter().find_map(|f| {
        cert.matches(*f).map(|of| ChainError::Distrusted {
            certificate: cert.subject.clone(),
            role,
            fingerprint: *f,
            of,
        })
    })
}

/// The allowed-issuer rule, the one place it is decided: the certificate
/// that issued the end entity, or its key, is on the list.
fn allowed(list: &[Fingerprint], issuer: &Cert) -> bool {
    list.iter().any(|f| issuer.matches(*f).is_some())
}

/// A CA that issued the end entity but is not an allowed issuer.
fn not_allowed(cert: &Cert) -> ChainError {
    ChainError::NotAllowed(NotAllowed::Issuer {
        issuer: cert.subject.clone(),
        certificate: cert.fingerprint(),
        key: cert.key_fingerprint(),
    })
}

fn rejected(certificate: String, role: PathRole, problem: ChainProblem) -> ChainError {
    ChainError::Rejected {
        certificate,
        role,
        problem,
    }
}

/// How a certificate that cannot be read is named.
pub(crate) fn unreadable_name() -> String {
    "(unreadable certificate)".into()
}

#[cfg(test)]
mod tests {
    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
        DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
        SerialNumber,
    };

    use super::*;
    use crate::work::Work;
    use crate::TrustStore;

    fn at(text: &str) -> UnixTime {
        crate::parse_rfc3339(text).unwrap()
    }

    const NOW: &str = "2027-06-01T00:00:00Z";

    struct Made {
        params: CertificateParams,
        key: KeyPair,
        der: Vec<u8>,
    }

    impl Made {
        fn issuer(&self) -> Issuer<'_, &KeyPair> {
            Issuer::from_params(&self.params, &self.key)
        }
    }

    fn params(name: &str, from: i32, to: i32, ca: bool) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, name);
        p.not_before = date_time_ymd(from, 1, 1);
        p.not_after = date_time_ymd(to, 1, 1);
        p.key_identifier_method = KeyIdMethod::Sha256;
        p.use_authority_key_identifier_extension = true;
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        } else {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
        p
    }

    fn self_signed(params: CertificateParams, key: KeyPair) -> Made {
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Made { params, key, der }
    }

    fn root(name: &str, from: i32, to: i32) -> Made {
        self_signed(params(name, from, to, true), KeyPair::generate().unwrap())
    }

    fn issued(params: CertificateParams, by: &Made) -> Made {
        let key = KeyPair::generate().unwrap();
        let der = params.signed_by(&key, &by.issuer()).unwrap().der().to_vec();
        Made { params, key, der }
    }

    fn store(anchors: &[&Made]) -> TrustStore {
        let mut t = TrustStore::new();
        for a in anchors {
            t.add_anchors(&a.der, "anchor").unwrap();
        }
        t
    }

    fn check(t: &TrustStore, ee: &Made, chain: &[&Made]) -> Result<ValidatedChain, ChainError> {
        let chain: Vec<&[u8]> = chain.iter().map(|m| m.der.as_slice()).collect();
        t.validate_chain(&ee.der, &chain, at(NOW), &ChainOptions::default())
    }

    #[track_caller]
    fn assert_rejected(
        r: Result<ValidatedChain, ChainError>,
        role: PathRole,
        want: fn(&ChainProblem) -> bool,
    ) {
        match r {
            Err(ChainError::Rejected {
                role: r, problem, ..
            }) if r == role && want(&problem) => {}
            other => panic!("expected a {role} rejection, got {other:?}"),
        }
    }

    #[test]
    fn an_expired_anchor_is_rejected_unless_the_policy_is_key_only() {
        let old = root("Old Root", 2020, 2025);
        let leaf = issued(params("Signer", 2020, 2030, false), &old);
        let t = store(&[&old]);
        // An expired certificate, naming the anchor.
        match check(&t, &leaf, &[]) {
            Err(ChainError::Expired {
                certificate,
                role: PathRole::Anchor,
                not_after,
                ..
            }) => {
                assert_eq!(certificate, "CN=Old Root");
                assert_eq!(not_after, at("2025-01-01T00:00:00Z"));
            }
            other => panic!("{other:?}"),
        }
        let t = t.with_anchor_policy(AnchorPolicy::KeyOnly);
        check(&t, &leaf, &[]).unwrap();
        // A not-yet-valid anchor likewise.
        let future = root("Future Root", 2030, 2040);
        let leaf = issued(params("Signer", 2020, 2030, false), &future);
        assert!(matches!(
            check(&store(&[&future]), &leaf, &[]),
            Err(ChainError::NotYetValid {
                role: PathRole::Anchor,
                ..
            })
        ));
    }

    #[test]
    fn a_reissued_root_with_the_same_key_and_name_is_enough() {
        let old = root("Root", 2020, 2025);
        let mut renewed_params = params("Root", 2020, 2040, true);
        renewed_params.serial_number = Some(SerialNumber::from(7u64));
        let renewed = Made {
            der: renewed_params.self_signed(&old.key).unwrap().der().to_vec(),
            params: renewed_params,
            key: KeyPair::from_pem(&old.key.serialize_pem()).unwrap(),
        };
        let leaf = issued(params("Signer", 2020, 2030, false), &old);
        let chain = check(&store(&[&old, &renewed]), &leaf, &[]).unwrap();
        assert_eq!(chain.certificates().last(), Some(&renewed.der));
    }

    #[test]
    fn an_anchor_that_is_not_a_ca_cannot_issue() {
        let mut p = params("Not A CA", 2020, 2040, false);
        p.extended_key_usages = vec![];
        p.key_usages = vec![];
        let not_ca = self_signed(p, KeyPair::generate().unwrap());
        let leaf = issued(params("Signer", 2020, 2030, false), &not_ca);
        let t = store(&[&not_ca]);
        assert_rejected(check(&t, &leaf, &[]), PathRole::Anchor, |p| {
            matches!(p, ChainProblem::NotCa { .. })
        });
        let e = check(&t, &leaf, &[]).unwrap_err();
        assert_eq!(e.kind(), "untrusted_signer", "{e}");
    }

    #[test]
    fn a_self_signed_signer_trusted_directly_need_not_be_a_ca() {
        let me = self_signed(
            params("Self Signer", 2020, 2030, false),
            KeyPair::generate().unwrap(),
        );
        let chain = check(&store(&[&me]), &me, &[]).unwrap();
        assert_eq!(chain.certificates().len(), 2);
    }

    #[test]
    fn a_ca_whose_key_usage_lacks_key_cert_sign_cannot_issue() {
        let r = root("Root", 2020, 2040);
        let mut p = params("Intermediate", 2020, 2040, true);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let ica = issued(p, &r);
        let leaf = issued(params("Signer", 2020, 2030, false), &ica);
        assert_rejected(
            check(&store(&[&r]), &leaf, &[&ica]),
            PathRole::Intermediate,
            |p| matches!(p, ChainProblem::NotCa { .. }),
        );
    }

    #[test]
    fn an_end_entity_with_name_constraints_or_key_cert_sign_is_rejected() {
        let r = root("Root", 2020, 2040);
        let mut p = params("Signer", 2020, 2030, false);
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
        ];
        let leaf = issued(p, &r);
        assert_rejected(check(&store(&[&r]), &leaf, &[]), PathRole::EndEntity, |p| {
            matches!(p, ChainProblem::Profile { .. })
        });
        let mut p = params("Signer", 2020, 2030, false);
        p.name_constraints = Some(rcgen::NameConstraints {
            permitted_subtrees: vec![rcgen::GeneralSubtree::DnsName("example.com".into())],
            excluded_subtrees: vec![],
        });
        let leaf = issued(p, &r);
        assert_rejected(check(&store(&[&r]), &leaf, &[]), PathRole::EndEntity, |p| {
            matches!(p, ChainProblem::Profile { .. })
        });
    }

    #[test]
    fn a_crl_from_an_anchor_without_crl_sign_is_refused() {
        let mut p = params("Root", 2020, 2040, true);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let r = self_signed(p, KeyPair::generate().unwrap());
        let leaf = issued(params("Signer", 2020, 2030, false), &r);
        // rcgen will not sign a CRL for an issuer without cRLSign, so sign it with the
        // same name and key under parameters that claim cRLSign.
        let mut claims = params("Root", 2020, 2040, true);
        claims.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2025, 1, 1),
            next_update: date_time_ymd(2040, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&Issuer::from_params(&claims, &r.key))
        .unwrap();
        let mut t = store(&[&r]);
        check(&t, &leaf, &[]).unwrap();
        t.add_crls(crl.der(), "root.crl").unwrap();
        let e = check(&t, &leaf, &[]).unwrap_err();
        assert!(
            matches!(
                e,
                ChainError::RevocationUnknown {
                    role: PathRole::EndEntity,
                    why: RevocationUnknown::IssuerNotCrlSigner,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.kind(), "untrusted_signer");
    }

    #[test]
    fn max_depth_counts_intermediates_that_are_not_self_issued() {
        let r = root("Root", 2020, 2040);
        let ica = issued(params("Intermediate", 2020, 2040, true), &r);
        let leaf = issued(params("Signer", 2020, 2030, false), &ica);
        let t = store(&[&r]);
        let run = |max| {
            t.validate_chain(
                &leaf.der,
                &[&ica.der],
                at(NOW),
                &ChainOptions::default().max_depth(max),
            )
        };
        assert_eq!(run(Some(1)).unwrap().intermediate_count(), 1);
        assert_eq!(run(None).unwrap().intermediate_count(), 1);
        assert_rejected(run(Some(0)), PathRole::Path, |p| {
            matches!(p, ChainProblem::TooDeep { max: 0, depth: 1 })
        });
    }

    #[test]
    fn the_usage_is_required_as_documented() {
        let r = root("Root", 2020, 2040);
        let mut p = params("Server", 2020, 2030, false);
        p.extended_key_usages = vec![];
        let no_eku = issued(p, &r);
        let t = store(&[&r]);
        let with = |u| {
            t.validate_chain(
                &no_eku.der,
                &[] as &[&[u8]],
                at(NOW),
                &ChainOptions::default().usage(u),
            )
        };
        assert!(matches!(
            with(Usage::CodeSigning),
            Err(ChainError::UsageMissing {
                usage: Usage::CodeSigning,
                ..
            })
        ));
        with(Usage::ServerAuth).unwrap();
        with(Usage::ClientAuth).unwrap();
    }

    #[test]
    fn a_same_name_maze_costs_a_bounded_number_of_parses_and_signature_checks() {
        let r = root("Root", 2020, 2040);
        // Seven CAs named like each other, each issued by the next: none reaches the root.
        let keys: Vec<KeyPair> = (0..7).map(|_| KeyPair::generate().unwrap()).collect();
        let p = |i: usize| {
            let mut p = params("Maze CA", 2020, 2040, true);
            p.serial_number = Some(SerialNumber::from(100 + i as u64));
            p
        };
        let maze: Vec<Vec<u8>> = (0..7)
            .map(|i| {
                let j = (i + 1) % 7;
                let issuer_params = p(j);
                let issuer = Issuer::from_params(&issuer_params, &keys[j]);
                p(i).signed_by(&keys[i], &issuer).unwrap().der().to_vec()
            })
            .collect();
        let leaf_key = KeyPair::generate().unwrap();
        let first = p(0);
        let leaf = params("Maze Leaf", 2020, 2030, false)
            .signed_by(&leaf_key, &Issuer::from_params(&first, &keys[0]))
            .unwrap()
            .der()
            .to_vec();
        let t = store(&[&r]);
        let work = Work::new();
        let opts = ChainOptions::default();
        for _ in 0..16 {
            let e = t
                .validate_in(&work, &leaf, &maze, at(NOW), &opts)
                .unwrap_err();
            assert!(matches!(e, ChainError::NoPath(_)), "{e:?}");
        }
        // Each certificate parsed once for all sixteen signers; each issuer
        // link checked once: 7 + 49 candidate links at most.
        assert_eq!(work.parses(), 1 + 7 + 1, "leaf, maze, root");
        assert!(
            work.checks() <= 7 * 7 + 7,
            "{} signature checks",
            work.checks()
        );
        // A genuine chain beside it still validates within the same package.
        let ica = issued(params("Intermediate", 2020, 2040, true), &r);
        let good = issued(params("Signer", 2020, 2030, false), &ica);
        t.validate_in(&work, &good.der, &[&ica.der], at(NOW), &opts)
            .unwrap();
    }

    #[test]
    fn a_signer_whose_certificates_need_too_many_checks_gives_up_alone() {
        // 9 candidate issuers of one name for each of 8 levels: more links
        // than one signer may check; the verdict is WorkExceeded, not a hang.
        let r = root("Root", 2020, 2040);
        let keys: Vec<KeyPair> = (0..9).map(|_| KeyPair::generate().unwrap()).collect();
        let p = |i: usize| {
            let mut p = params("Wide CA", 2020, 2040, true);
            p.serial_number = Some(SerialNumber::from(200 + i as u64));
            p
        };
        // Every CA issued by every other: 72 certificates, each a valid link.
        let mut pool = Vec::new();
        for i in 0..9 {
            for j in 0..9 {
                if i != j {
                    let issuer_params = p(j);
                    let issuer = Issuer::from_params(&issuer_params, &keys[j]);
                    pool.push(p(i).signed_by(&keys[i], &issuer).unwrap().der().to_vec());
                }
            }
        }
        let leaf_key = KeyPair::generate().unwrap();
        let first = p(0);
        let leaf = params("Wide Leaf", 2020, 2030, false)
            .signed_by(&leaf_key, &Issuer::from_params(&first, &keys[0]))
            .unwrap()
            .der()
            .to_vec();
        let t = store(&[&r]);
        let work = Work::new();
        let e = t
            .validate_in(&work, &leaf, &pool, at(NOW), &ChainOptions::default())
            .unwrap_err();
        assert_eq!(e, ChainError::WorkExceeded(crate::work::SIGNER_CHECKS));
        assert_eq!(work.checks(), crate::work::SIGNER_CHECKS);
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let r = root("Root", 2020, 2040);
        let ica = issued(params("Intermediate", 2020, 2040, true), &r);
        let leaf = issued(params("Signer", 2020, 2030, false), &ica);
        let t = store(&[&r]);
        check(&t, &leaf, &[&ica]).unwrap();
        let opts = ChainOptions::default().max_depth(Some(3));
        for victim in [&leaf.der, &ica.der] {
            let mut variants: Vec<Vec<u8>> =
                (0..victim.len()).map(|n| victim[..n].to_vec()).collect();
            for i in 0..victim.len() {
                for bit in [0x01, 0x80] {
                    let mut v = victim.clone();
                    v[i] ^= bit;
                    variants.push(v);
                }
            }
            for v in &variants {
                let (ee, chain): (&[u8], Vec<&[u8]>) = if victim == &leaf.der {
                    (v, vec![&ica.der])
                } else {
                    (&leaf.der, vec![v, &ica.der])
                };
                let _ = t.validate_chain(ee, &chain, at(NOW), &opts);
            }
        }
        // Junk as every input.
        let mut t = TrustStore::new();
        assert!(t.add_anchors(b"\x30\x03\x02\x01\x00", "junk").is_err());
        assert!(t.add_crls(b"\x30\x00", "junk").is_err());
        let _ = t.validate_chain(b"", &[b"\x30\x80".as_slice()], at(NOW), &opts);
        assert_eq!(crate::cert::bit_length(&[]), 0);
        assert_eq!(crate::cert::bit_length(&[0, 0, 1]), 1);
        assert_eq!(crate::cert::bit_length(&[0x80, 0]), 16);
    }
}
