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
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::cert::Cert;
use crate::revocation::{self, Crl, RevocationUnknown, Rules, Status};
use crate::time::format_unix;
use crate::work::Work;

/// The code-signing extended key usage, 1.3.6.1.5.5.7.3.3 (DER contents of the OID).
pub(crate) const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

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
}

impl Usage {
    /// The usage's name as [`crate::cert::Cert::lists_eku`] lists it.
    pub(crate) fn eku_name(self) -> &'static str {
        match self {
            Self::CodeSigning => "codeSigning",
            Self::ServerAuth => "serverAuth",
            Self::ClientAuth => "clientAuth",
        }
    }

    pub(crate) fn webpki(self) -> webpki::KeyUsage {
        match self {
            Self::CodeSigning => webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
            Self::ServerAuth => webpki::KeyUsage::server_auth(),
            Self::ClientAuth => webpki::KeyUsage::client_auth(),
        }
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CodeSigning => "code signing (1.3.6.1.5.5.7.3.3)",
            Self::ServerAuth => "server authentication (1.3.6.1.5.5.7.3.1)",
            Self::ClientAuth => "client authentication (1.3.6.1.5.5.7.3.2)",
        })
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
    /// SHA-256 of certificates (DER) or public keys (DER SubjectPublicKeyInfo)
    /// no accepted path may go through.
    pub(crate) distrust: Vec<[u8; 32]>,
    /// If any: SHA-256 of the certificates or keys that may issue the end entity.
    pub(crate) allowed_issuers: Vec<[u8; 32]>,
    /// The end entity signs (the package verifier's signers): it must list
    /// the usage itself, and its keyUsage, if any, must allow digitalSignature.
    pub(crate) as_signer: bool,
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
    pub fn distrust(mut self, sha256: [u8; 32]) -> Self {
        self.distrust.push(sha256);
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
    pub fn allow_issuer(mut self, sha256: [u8; 32]) -> Self {
        self.allowed_issuers.push(sha256);
        self
    }
}

/// A validated path: the end entity, the intermediates used, and the trust
/// anchor's certificate, in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedChain {
    certificates: Vec<Vec<u8>>,
    subjects: Vec<String>,
}

impl ValidatedChain {
    pub(crate) fn new(certificates: Vec<Vec<u8>>, subjects: Vec<String>) -> Self {
        Self {
            certificates,
            subjects,
        }
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
/// type is not part of pkgverify's API: it formats for people, and the
/// [`ChainError`] or [`ChainProblem`] variant holding it says what failed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebpkiError(pub(crate) webpki::Error);

impl fmt::Debug for WebpkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for WebpkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Why a chain did not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The end-entity certificate cannot be parsed.
    #[error("the end-entity certificate cannot be parsed ({0})")]
    Unparsable(WebpkiError),
    /// The end entity has no extended key usage extension listing the
    /// required usage (for code signing the extension must be present).
    #[error("the end-entity certificate does not list the {0} extended key usage")]
    UsageMissing(Usage),
    /// For code signing: the end entity has a keyUsage extension that does
    /// not assert digitalSignature, so its key may not sign.
    #[error("the end-entity certificate's keyUsage does not allow digitalSignature")]
    SigningNotAllowed,
    /// rustls-webpki found no valid path: its most specific reason over every
    /// path it tried.
    #[error("no valid path to a trust anchor ({0})")]
    Path(WebpkiError),
    /// Path building needed more signature checks than one signer, or one
    /// package, may make (`docs/SECURITY.md`): the certificates offered make
    /// too many candidate paths.
    #[error(
        "path building gave up: the certificates offered needed more than {0} signature checks"
    )]
    WorkExceeded(usize),
    /// The paths webpki accepted all broke a rule of pkgverify's own; the
    /// first that decided.
    #[error("{}", rejected_text(certificate, *role, problem))]
    Rejected {
        /// Subject of the certificate the problem is about (for a CRL, its issuer).
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// What is wrong.
        problem: ChainProblem,
    },
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

/// A rule of pkgverify's own that a path broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
    /// The trust anchor had expired at the verification time.
    #[error("expired at {}", format_unix(*not_after))]
    Expired {
        /// Its notAfter.
        not_after: UnixTime,
    },
    /// The trust anchor was not yet valid at the verification time.
    #[error("is not valid before {}", format_unix(*not_before))]
    NotYetValid {
        /// Its notBefore.
        not_before: UnixTime,
    },
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
    #[error("is not a certificate rustls-webpki accepts on a path ({0})")]
    Unusable(WebpkiError),
    /// The certificate cannot be read (by x509-parser), so it cannot be checked.
    #[error("cannot be read for pkgverify's checks")]
    Unreadable,
    /// The certificate is revoked: an authoritative CRL in the store lists it.
    #[error("is revoked (serial {serial}, listed by a CRL from \"{crl_issuer}\")")]
    Revoked {
        /// Its serial number, hex.
        serial: String,
        /// The issuer of the CRL that lists it.
        crl_issuer: String,
    },
    /// The certificate's revocation status is unknown: its issuer has CRLs in
    /// the store, but none can show it unrevoked (or every certificate must be
    /// covered and its issuer has none).
    #[error("has an unknown revocation status: {0}")]
    RevocationUnknown(RevocationUnknown),
    /// The certificate, or its key, is distrusted ([`ChainOptions::distrust`]).
    #[error("is distrusted ({fingerprint})")]
    Distrusted {
        /// Which fingerprint matched: `certificate sha256:...` or `key sha256:...`.
        fingerprint: String,
    },
    /// The end entity's issuer is not among [`ChainOptions::allow_issuer`]'s.
    #[error(
        "issued the end entity but is not an allowed issuer (certificate {certificate}, key {key})"
    )]
    IssuerNotAllowed {
        /// The issuer certificate's SHA-256, `sha256:...`.
        certificate: String,
        /// Its key's SHA-256, `sha256:...`.
        key: String,
    },
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

impl ChainProblem {
    /// The webpki error that stands for this problem while webpki ranks the
    /// failures of alternative paths (so the most specific one is reported).
    fn as_webpki(&self, time: UnixTime) -> webpki::Error {
        match self {
            Self::Expired { not_after } => webpki::Error::CertExpired {
                time,
                not_after: *not_after,
            },
            Self::NotYetValid { not_before } => webpki::Error::CertNotValidYet {
                time,
                not_before: *not_before,
            },
            Self::NotCa { .. } => webpki::Error::EndEntityUsedAsCa,
            Self::Profile { .. } | Self::BaselineRequirements { .. } => {
                webpki::Error::ExtensionValueInvalid
            }
            Self::Unusable(e) => e.0.clone(),
            Self::Unreadable => webpki::Error::BadDer,
            Self::Revoked { .. } => webpki::Error::CertRevoked,
            Self::RevocationUnknown(RevocationUnknown::Expired { next_update }) => {
                webpki::Error::CrlExpired {
                    time,
                    next_update: *next_update,
                }
            }
            Self::RevocationUnknown(RevocationUnknown::IssuerNotCrlSigner) => {
                webpki::Error::IssuerNotCrlSigner
            }
            Self::RevocationUnknown(_) => webpki::Error::UnknownRevocationStatus,
            Self::TooDeep { .. } => webpki::Error::MaximumPathDepthExceeded,
            Self::Distrusted { .. } => webpki::Error::CertDistrusted,
            // Ranked lowest, like a missing issuer: any other failure says more.
            Self::IssuerNotAllowed { .. } => webpki::Error::UnknownIssuer,
        }
    }
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
    /// Every rejection, with the webpki error it was reported as.
    findings: RefCell<Vec<(webpki::Error, ChainError)>>,
}

/// Why a candidate path is refused: a certificate on it, its role, the problem;
/// or the work bound ran out.
enum Refusal {
    Problem(String, PathRole, ChainProblem),
    WorkExceeded,
}

impl From<(String, PathRole, ChainProblem)> for Refusal {
    fn from((c, r, p): (String, PathRole, ChainProblem)) -> Self {
        Self::Problem(c, r, p)
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
        }
    }

    /// The hook: `Ok` accepts the path, an error makes webpki look for another.
    pub(crate) fn check(&self, path: &VerifiedPath<'_>) -> Result<(), webpki::Error> {
        let (stand_in, finding) = match self.problem(path) {
            Ok(anchor) => {
                self.accepted_anchor.set(Some(anchor));
                return Ok(());
            }
            Err(Refusal::Problem(certificate, role, problem)) => (
                problem.as_webpki(self.time),
                ChainError::Rejected {
                    certificate,
                    role,
                    problem,
                },
            ),
            Err(Refusal::WorkExceeded) => (
                webpki::Error::MaximumSignatureChecksExceeded,
                ChainError::WorkExceeded(crate::work::SIGNER_CHECKS),
            ),
        };
        if let Ok(mut findings) = self.findings.try_borrow_mut() {
            findings.push((stand_in.clone(), finding));
        }
        Err(stand_in)
    }

    /// Which of the anchors (index into those given to [`PathCheck::new`])
    /// ends the accepted path: among anchors with the same name and key, the
    /// one that passed the policy.
    pub(crate) fn accepted_anchor(&self) -> Option<usize> {
        self.accepted_anchor.get()
    }

    /// The error for webpki's final verdict: ours when one of our rejections
    /// is what webpki ranked most specific, else webpki's.
    pub(crate) fn into_error(self, err: webpki::Error) -> ChainError {
        self.findings
            .into_inner()
            .into_iter()
            .find(|(stand_in, _)| *stand_in == err)
            .map_or(ChainError::Path(WebpkiError(err)), |(_, ours)| ours)
    }

    fn problem(&self, path: &VerifiedPath<'_>) -> Result<usize, Refusal> {
        let intermediates: Vec<_> = path.intermediate_certificates().collect();
        if let Some(max) = self.options.max_depth {
            let depth = intermediates
                .iter()
                .filter(|c| c.subject() != c.issuer())
                .count();
            if depth > max {
                return Err((
                    subject_or_unknown(path.end_entity().der().as_ref()),
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
                        (subject_or_unknown(&n.der), n.role, ChainProblem::Unreadable).into(),
                    )
                }
            }
        }
        let Some(ee_facts) = facts.first().cloned() else {
            return Err((String::new(), PathRole::EndEntity, ChainProblem::Unreadable).into());
        };

        // Distrusted certificates and keys below the anchor; an intermediate
        // that issued the end entity must be allowed.
        for (n, f) in nodes.iter().zip(&facts) {
            if let Some(fingerprint) = matching(&self.options.distrust, f) {
                return Err((
                    f.subject.clone(),
                    n.role,
                    ChainProblem::Distrusted { fingerprint },
                )
                    .into());
            }
        }
        let ee_issuer_is_anchor = facts.len() == 1;
        if !self.options.allowed_issuers.is_empty() {
            if let (Some(n), Some(f)) = (nodes.get(1), facts.get(1)) {
                if matching(&self.options.allowed_issuers, f).is_none() {
                    return Err((f.subject.clone(), n.role, not_allowed(f)).into());
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
                first_problem.get_or_insert((
                    subject_or_unknown(der),
                    PathRole::Anchor,
                    ChainProblem::Unreadable,
                ));
                continue;
            };
            let problem = if let Some(fingerprint) = matching(&self.options.distrust, &f) {
                Some(ChainProblem::Distrusted { fingerprint })
            } else if ee_issuer_is_anchor
                && !self.options.allowed_issuers.is_empty()
                && matching(&self.options.allowed_issuers, &f).is_none()
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
                    first_problem.get_or_insert((f.subject.clone(), PathRole::Anchor, p));
                }
            }
        }
        let (anchor_index, anchor_facts) = match (passed, first_problem) {
            (Some(found), _) => found,
            (None, Some(problem)) => return Err(problem.into()),
            (None, None) => {
                return Err((String::new(), PathRole::Anchor, ChainProblem::Unreadable).into())
            }
        };

        // CAs on the path: keyCertSign, and name constraints that constrain something.
        for (n, f) in nodes.iter().zip(&facts).skip(1) {
            if !f.cert_sign() {
                return Err((
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
                return Err((f.subject.clone(), n.role, ChainProblem::Profile { rule }).into());
            }
        }
        if self.policy > AnchorPolicy::KeyOnly && anchor_facts.name_constraints == Some(false) {
            let rule = EMPTY_NAME_CONSTRAINTS;
            return Err((
                anchor_facts.subject.clone(),
                PathRole::Anchor,
                ChainProblem::Profile { rule },
            )
                .into());
        }

        // The end entity.
        if ee_facts.name_constraints.is_some() {
            let rule = "name constraints in an end-entity certificate; only a CA's may have them (4.2.1.10)";
            return Err((
                ee_facts.subject.clone(),
                PathRole::EndEntity,
                ChainProblem::Profile { rule },
            )
                .into());
        }
        if !ee_facts.is_ca() && ee_facts.key_usage.is_some_and(|k| k.key_cert_sign) {
            return Err((
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
            let status = revocation::status(self.work, self.crls, f, issuer, self.time, self.rules)
                .map_err(|_| Refusal::WorkExceeded)?;
            match status {
                Status::Good | Status::Unchecked => {}
                Status::Revoked { crl, .. } => {
                    let crl_issuer = self
                        .crls
                        .iter()
                        .find(|c| c.sha256 == crl)
                        .map(|c| c.issuer.clone())
                        .unwrap_or_default();
                    return Err((
                        f.subject.clone(),
                        n.role,
                        ChainProblem::Revoked {
                            serial: crate::hex(crate::cert::serial_key(&f.serial)),
                            crl_issuer,
                        },
                    )
                        .into());
                }
                Status::Unknown(why) => {
                    return Err((
                        f.subject.clone(),
                        n.role,
                        ChainProblem::RevocationUnknown(why),
                    )
                        .into())
                }
            }
        }
        Ok(anchor_index)
    }

    /// What is wrong with a trust anchor's certificate under the policy, if anything.
    fn anchor_problem(&self, der: &[u8], f: &Cert, ee: &Cert) -> Option<ChainProblem> {
        if let Err(e) =
            webpki::EndEntityCert::try_from(&rustls_pki_types::CertificateDer::from(der))
        {
            return Some(ChainProblem::Unusable(WebpkiError(e)));
        }
        let now = i64::try_from(self.time.as_secs()).unwrap_or(i64::MAX);
        if now < f.not_before {
            return Some(ChainProblem::NotYetValid {
                not_before: unix(f.not_before),
            });
        }
        if now > f.not_after {
            return Some(ChainProblem::Expired {
                not_after: unix(f.not_after),
            });
        }
        // An end entity trusted directly (a self-signed signer) issued nothing else.
        let is_the_end_entity = f.spki == ee.spki && f.subject == ee.subject;
        if !is_the_end_entity {
            if let Some(reason) = f.not_ca() {
                return Some(ChainProblem::NotCa { reason });
            }
        }
        if self.policy >= AnchorPolicy::Rfc5280 {
            if let Some(rule) = rfc5280_ca_profile(f) {
                return Some(ChainProblem::Profile { rule });
            }
        }
        if self.policy >= AnchorPolicy::BaselineRequirements {
            if let Some(rule) = baseline_root_profile(f) {
                return Some(ChainProblem::BaselineRequirements { rule });
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

fn unix(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(secs).unwrap_or(0),
    ))
}

/// `certificate sha256:...` or `key sha256:...` if the certificate or its
/// SubjectPublicKeyInfo has one of the listed SHA-256 fingerprints.
fn matching(list: &[[u8; 32]], cert: &Cert) -> Option<String> {
    if list.contains(&cert.sha256) {
        return Some(format!("certificate sha256:{}", crate::hex(&cert.sha256)));
    }
    list.contains(&cert.spki_sha256)
        .then(|| format!("key sha256:{}", crate::hex(&cert.spki_sha256)))
}

/// The problem of a CA that issued the end entity but is not an allowed issuer.
fn not_allowed(cert: &Cert) -> ChainProblem {
    ChainProblem::IssuerNotAllowed {
        certificate: format!("sha256:{}", crate::hex(&cert.sha256)),
        key: format!("sha256:{}", crate::hex(&cert.spki_sha256)),
    }
}

fn subject_or_unknown(der: &[u8]) -> String {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_else(|_| "(unreadable certificate)".into())
}

#[cfg(test)]
mod tests {
    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
        DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
        SerialNumber,
    };
    use rustls_pki_types::CertificateDer;

    use super::*;
    use crate::work::Work;
    use crate::{Error, TrustStore};

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
        assert_rejected(check(&t, &leaf, &[]), PathRole::Anchor, |p| {
            matches!(p, ChainProblem::Expired { .. })
        });
        // The package verifier reports it as an expired certificate, naming the anchor.
        let e = t
            .validate("sig", &CertificateDer::from(leaf.der.clone()), &[], at(NOW))
            .unwrap_err();
        match &e {
            Error::CertificateExpired { certificate, .. } => {
                assert!(certificate.contains("Old Root"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        let t = t.with_anchor_policy(AnchorPolicy::KeyOnly);
        check(&t, &leaf, &[]).unwrap();
        // A not-yet-valid anchor likewise.
        let future = root("Future Root", 2030, 2040);
        let leaf = issued(params("Signer", 2020, 2030, false), &future);
        assert_rejected(
            check(&store(&[&future]), &leaf, &[]),
            PathRole::Anchor,
            |p| matches!(p, ChainProblem::NotYetValid { .. }),
        );
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
        let e = t
            .validate("sig", &CertificateDer::from(leaf.der.clone()), &[], at(NOW))
            .unwrap_err();
        assert_eq!(e.kind(), "untrusted_signer", "{e}");
        assert!(e.to_string().contains("is not a CA certificate"), "{e}");
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
        assert_rejected(check(&t, &leaf, &[]), PathRole::EndEntity, |p| {
            matches!(
                p,
                ChainProblem::RevocationUnknown(RevocationUnknown::IssuerNotCrlSigner)
            )
        });
        let e = t
            .validate("sig", &CertificateDer::from(leaf.der.clone()), &[], at(NOW))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("revocation status cannot be checked"),
            "{e}"
        );
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
            Err(ChainError::UsageMissing(Usage::CodeSigning))
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
            assert!(matches!(e, ChainError::Path(_)), "{e:?}");
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
