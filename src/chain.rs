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
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use rustls_pki_types::{TrustAnchor, UnixTime};
use webpki::VerifiedPath;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_CRL_NUMBER,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::revocation_list::CertificateRevocationList;

use sha2::{Digest, Sha256};

use crate::time::format_unix;

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
    /// A CRL in the store from this certificate's subject breaks RFC 5280's
    /// CRL profile, or this certificate may not sign CRLs.
    #[error("issued a CRL in the trust store that cannot be used: {rule}")]
    Crl {
        /// The rule, with its section.
        rule: &'static str,
    },
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
            Self::Crl { rule } if *rule == CRL_SIGN_RULE => webpki::Error::IssuerNotCrlSigner,
            Self::Crl { .. } => webpki::Error::InvalidCrlNumber,
            Self::TooDeep { .. } => webpki::Error::MaximumPathDepthExceeded,
            Self::Distrusted { .. } => webpki::Error::CertDistrusted,
            // Ranked lowest, like a missing issuer: any other failure says more.
            Self::IssuerNotAllowed { .. } => webpki::Error::UnknownIssuer,
        }
    }
}

const EMPTY_NAME_CONSTRAINTS: &str =
    "name constraints with neither permitted nor excluded subtrees (4.2.1.10)";

const CRL_SIGN_RULE: &str =
    "its keyUsage does not assert cRLSign, which signing CRLs requires (RFC 5280 4.2.1.3, 6.3.3 (f))";

/// What the checks need to know about a certificate, read once with x509-parser.
#[derive(Debug, Default)]
struct Facts {
    subject: String,
    empty_subject: bool,
    self_issued: bool,
    spki: Vec<u8>,
    not_before: i64,
    not_after: i64,
    /// basicConstraints: (critical, cA).
    basic_constraints: Option<(bool, bool)>,
    /// keyUsage: (keyCertSign, cRLSign).
    key_usage: Option<(bool, bool)>,
    /// subjectKeyIdentifier: (critical, identifier).
    ski: Option<(bool, Vec<u8>)>,
    aki: Option<Aki>,
    /// nameConstraints: whether it has any subtree.
    name_constraints: Option<bool>,
    eku: bool,
    rsa_bits: Option<usize>,
    /// An extension the checks read that x509-parser could not parse.
    unreadable_extension: bool,
}

#[derive(Debug)]
struct Aki {
    critical: bool,
    key_id: Option<Vec<u8>>,
    issuer_or_serial: bool,
}

impl Facts {
    fn read(der: &[u8]) -> Option<Self> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        let mut f = Self {
            subject: c.subject().to_string(),
            empty_subject: c.subject().iter().next().is_none(),
            self_issued: c.subject().as_raw() == c.issuer().as_raw(),
            spki: c.public_key().raw.to_vec(),
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            rsa_bits: match c.public_key().parsed() {
                Ok(PublicKey::RSA(rsa)) => Some(bit_length(rsa.modulus)),
                _ => None,
            },
            ..Self::default()
        };
        for ext in c.extensions() {
            let oid = &ext.oid;
            let known = [
                &OID_X509_EXT_BASIC_CONSTRAINTS,
                &OID_X509_EXT_KEY_USAGE,
                &OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
                &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
                &OID_X509_EXT_NAME_CONSTRAINTS,
                &OID_X509_EXT_EXTENDED_KEY_USAGE,
            ];
            if !known.contains(&oid) {
                continue;
            }
            // A duplicate is webpki's to reject (it does for the extensions it reads);
            // the checks use the first.
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) if f.basic_constraints.is_none() => {
                    f.basic_constraints = Some((ext.critical, bc.ca));
                }
                ParsedExtension::KeyUsage(ku) if f.key_usage.is_none() => {
                    f.key_usage = Some((ku.key_cert_sign(), ku.crl_sign()));
                }
                ParsedExtension::SubjectKeyIdentifier(k) if f.ski.is_none() => {
                    f.ski = Some((ext.critical, k.0.to_vec()));
                }
                ParsedExtension::AuthorityKeyIdentifier(a) if f.aki.is_none() => {
                    f.aki = Some(Aki {
                        critical: ext.critical,
                        key_id: a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                        issuer_or_serial: a.authority_cert_issuer.is_some()
                            || a.authority_cert_serial.is_some(),
                    });
                }
                ParsedExtension::NameConstraints(nc) if f.name_constraints.is_none() => {
                    let any = |t: &Option<Vec<_>>| t.as_ref().is_some_and(|v| !v.is_empty());
                    f.name_constraints =
                        Some(any(&nc.permitted_subtrees) || any(&nc.excluded_subtrees));
                }
                ParsedExtension::ExtendedKeyUsage(_) => f.eku = true,
                ParsedExtension::BasicConstraints(_)
                | ParsedExtension::KeyUsage(_)
                | ParsedExtension::SubjectKeyIdentifier(_)
                | ParsedExtension::AuthorityKeyIdentifier(_)
                | ParsedExtension::NameConstraints(_) => {}
                _ => f.unreadable_extension = true,
            }
        }
        Some(f)
    }

    fn cert_sign(&self) -> bool {
        self.key_usage.is_none_or(|(cert_sign, _)| cert_sign)
    }

    fn crl_sign(&self) -> bool {
        self.key_usage.is_none_or(|(_, crl_sign)| crl_sign)
    }

    /// A CA as RFC 5280 4.2.1.9 and 4.2.1.3 define it, else what is missing.
    fn not_ca(&self) -> Option<&'static str> {
        match self.basic_constraints {
            None => Some("no basicConstraints extension"),
            Some((_, false)) => Some("basicConstraints does not assert cA"),
            Some((_, true)) if !self.cert_sign() => Some("keyUsage does not assert keyCertSign"),
            Some(_) => None,
        }
    }
}

/// Bits in a big-endian unsigned integer (leading zero bytes and bits not counted).
fn bit_length(be: &[u8]) -> usize {
    let significant = be
        .iter()
        .position(|b| *b != 0)
        .map_or(&[][..], |i| be.get(i..).unwrap_or_default());
    significant.first().map_or(0, |first| {
        significant
            .len()
            .saturating_mul(8)
            .saturating_sub(first.leading_zeros() as usize)
    })
}

/// What the checks need to know about a CRL, read once when it is added to a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrlNumber {
    /// Present and non-critical.
    Present,
    /// Marked critical (RFC 5280 5.2.3: MUST be non-critical).
    Critical,
    /// Absent (RFC 5280 5.2.3: MUST be present).
    Missing,
    /// x509-parser cannot read the CRL.
    Unreadable,
}

impl CrlNumber {
    pub(crate) fn read(der: &[u8]) -> Self {
        let Ok((_, crl)) = CertificateRevocationList::from_der(der) else {
            return Self::Unreadable;
        };
        match crl
            .extensions()
            .iter()
            .find(|e| e.oid == OID_X509_EXT_CRL_NUMBER)
        {
            None => Self::Missing,
            Some(e) if e.critical => Self::Critical,
            Some(_) => Self::Present,
        }
    }

    fn problem(self) -> Option<&'static str> {
        match self {
            Self::Present => None,
            Self::Critical => Some("its CRL number is marked critical (RFC 5280 5.2.3)"),
            Self::Missing => Some("it has no CRL number (RFC 5280 5.2.3)"),
            Self::Unreadable => Some("it cannot be read"),
        }
    }
}

/// One certificate of a candidate path, as the checks see it.
struct Node<'p> {
    der: rustls_pki_types::CertificateDer<'p>,
    /// Issuer name as webpki holds it (the contents of the Name SEQUENCE).
    issuer: &'p [u8],
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
    /// Each CRL in the store: its issuer name (as webpki holds it) and its CRL number.
    crls: Vec<(&'a [u8], CrlNumber)>,
    facts: RefCell<HashMap<Vec<u8>, Option<Rc<Facts>>>>,
    /// The stored anchor that passed for the last path accepted.
    accepted_anchor: std::cell::Cell<Option<usize>>,
    /// Every rejection, with the webpki error it was reported as.
    findings: RefCell<Vec<(webpki::Error, ChainError)>>,
}

impl<'a> PathCheck<'a> {
    pub(crate) fn new(
        options: &'a ChainOptions,
        policy: AnchorPolicy,
        time: UnixTime,
        anchors: &'a [TrustAnchor<'a>],
        anchor_certs: Vec<&'a [u8]>,
        crls: Vec<(&'a [u8], CrlNumber)>,
    ) -> Self {
        Self {
            options,
            policy,
            time,
            anchors,
            anchor_certs,
            crls,
            facts: RefCell::new(HashMap::new()),
            accepted_anchor: std::cell::Cell::new(None),
            findings: RefCell::new(Vec::new()),
        }
    }

    /// The hook: `Ok` accepts the path, an error makes webpki look for another.
    pub(crate) fn check(&self, path: &VerifiedPath<'_>) -> Result<(), webpki::Error> {
        match self.problem(path) {
            Ok(anchor) => {
                self.accepted_anchor.set(Some(anchor));
                Ok(())
            }
            Err((certificate, role, problem)) => {
                let stand_in = problem.as_webpki(self.time);
                if let Ok(mut findings) = self.findings.try_borrow_mut() {
                    findings.push((
                        stand_in.clone(),
                        ChainError::Rejected {
                            certificate,
                            role,
                            problem,
                        },
                    ));
                }
                Err(stand_in)
            }
        }
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

    fn facts(&self, der: &[u8]) -> Option<Rc<Facts>> {
        let mut cache = self.facts.try_borrow_mut().ok()?;
        cache
            .entry(der.to_vec())
            .or_insert_with(|| Facts::read(der).map(Rc::new))
            .clone()
    }

    fn problem(&self, path: &VerifiedPath<'_>) -> Result<usize, (String, PathRole, ChainProblem)> {
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
                ));
            }
        }
        let ee = path.end_entity();
        let mut nodes = vec![Node {
            der: ee.der(),
            issuer: ee.issuer(),
            role: PathRole::EndEntity,
        }];
        for c in &intermediates {
            nodes.push(Node {
                der: c.der(),
                issuer: c.issuer(),
                role: PathRole::Intermediate,
            });
        }
        let anchor = path.anchor();
        let mut anchor_index = self.anchors.iter().position(|a| std::ptr::eq(a, anchor));

        // Read every certificate first: one x509-parser cannot read is rejected.
        let mut facts = Vec::with_capacity(nodes.len());
        for n in &nodes {
            match self.facts(&n.der) {
                Some(f) => facts.push(f),
                None => return Err((subject_or_unknown(&n.der), n.role, ChainProblem::Unreadable)),
            }
        }
        let Some(ee_facts) = facts.first().cloned() else {
            return Err((String::new(), PathRole::EndEntity, ChainProblem::Unreadable));
        };

        // Distrusted certificates and keys, the anchor's included; the allowed issuers.
        if !self.options.distrust.is_empty() || !self.options.allowed_issuers.is_empty() {
            let anchor_der = anchor_index
                .and_then(|i| self.anchor_certs.get(i).copied())
                .unwrap_or_default();
            let anchor_facts = self.facts(anchor_der);
            let on_path: Vec<OnPath<'_>> = nodes
                .iter()
                .zip(&facts)
                .map(|(n, f)| (n.der.as_ref(), Some(f), n.role))
                .chain(std::iter::once((
                    anchor_der,
                    anchor_facts.as_ref(),
                    PathRole::Anchor,
                )))
                .collect();
            for (der, f, role) in &on_path {
                if let Some(fingerprint) = matching(&self.options.distrust, der, *f) {
                    return Err((
                        subject_or_unknown(der),
                        *role,
                        ChainProblem::Distrusted { fingerprint },
                    ));
                }
            }
            if !self.options.allowed_issuers.is_empty() {
                // The certificate that issued the end entity: the first
                // intermediate, else the anchor.
                if let Some((der, f, role)) = on_path.get(1) {
                    if matching(&self.options.allowed_issuers, der, *f).is_none() {
                        return Err((
                            subject_or_unknown(der),
                            *role,
                            ChainProblem::IssuerNotAllowed {
                                certificate: format!("sha256:{}", crate::hex(&Sha256::digest(der))),
                                key: f.map_or_else(
                                    || "unreadable".into(),
                                    |f| format!("sha256:{}", crate::hex(&Sha256::digest(&f.spki))),
                                ),
                            },
                        ));
                    }
                }
            }
        }

        // The anchor: the first stored anchor with this name and key that passes.
        if self.policy > AnchorPolicy::KeyOnly {
            let mut first_problem = None;
            let mut passed = None;
            for (i, a) in self.anchors.iter().enumerate() {
                if a.subject != anchor.subject
                    || a.subject_public_key_info != anchor.subject_public_key_info
                {
                    continue;
                }
                let der = self.anchor_certs.get(i).copied().unwrap_or_default();
                match self.anchor_problem(der, &ee_facts) {
                    None => {
                        passed = Some(i);
                        break;
                    }
                    Some(p) => {
                        first_problem.get_or_insert((subject_or_unknown(der), PathRole::Anchor, p));
                    }
                }
            }
            match (passed, first_problem) {
                (Some(i), _) => anchor_index = Some(i),
                (None, Some(problem)) => return Err(problem),
                (None, None) => {
                    return Err((String::new(), PathRole::Anchor, ChainProblem::Unreadable))
                }
            }
        }
        let Some(anchor_index) = anchor_index else {
            return Err((String::new(), PathRole::Anchor, ChainProblem::Unreadable));
        };
        let anchor_der = self
            .anchor_certs
            .get(anchor_index)
            .copied()
            .unwrap_or_default();
        let anchor_facts = self.facts(anchor_der);

        // CAs on the path: keyCertSign, and name constraints that constrain something.
        for (n, f) in nodes.iter().zip(&facts).skip(1) {
            if !f.cert_sign() {
                return Err((
                    f.subject.clone(),
                    n.role,
                    ChainProblem::NotCa {
                        reason: "keyUsage does not assert keyCertSign",
                    },
                ));
            }
            if f.name_constraints == Some(false) {
                let rule = EMPTY_NAME_CONSTRAINTS;
                return Err((f.subject.clone(), n.role, ChainProblem::Profile { rule }));
            }
        }
        if self.policy > AnchorPolicy::KeyOnly {
            if let Some(f) = &anchor_facts {
                if f.name_constraints == Some(false) {
                    let rule = EMPTY_NAME_CONSTRAINTS;
                    return Err((
                        f.subject.clone(),
                        PathRole::Anchor,
                        ChainProblem::Profile { rule },
                    ));
                }
            }
        }

        // The end entity.
        let ee_is_ca = ee_facts.basic_constraints.is_some_and(|(_, ca)| ca);
        if ee_facts.name_constraints.is_some() {
            let rule = "name constraints in an end-entity certificate; only a CA's may have them (4.2.1.10)";
            return Err((
                ee_facts.subject.clone(),
                PathRole::EndEntity,
                ChainProblem::Profile { rule },
            ));
        }
        if !ee_is_ca && ee_facts.key_usage.is_some_and(|(cert_sign, _)| cert_sign) {
            return Err((
                ee_facts.subject.clone(),
                PathRole::EndEntity,
                ChainProblem::Profile {
                    rule: "keyCertSign asserted without basicConstraints cA (4.2.1.9)",
                },
            ));
        }

        // CRLs from the issuers on the path: the CRL profile, and cRLSign.
        for (i, n) in nodes.iter().enumerate() {
            let mut from_issuer = self.crls.iter().filter(|(issuer, _)| *issuer == n.issuer);
            let Some(first) = from_issuer.next() else {
                continue;
            };
            let (issuer_facts, issuer_role) = match facts.get(i + 1) {
                Some(f) => (Some(f.clone()), PathRole::Intermediate),
                None => (anchor_facts.clone(), PathRole::Anchor),
            };
            let Some(issuer_facts) = issuer_facts else {
                return Err((
                    subject_or_unknown(anchor_der),
                    issuer_role,
                    ChainProblem::Unreadable,
                ));
            };
            let issuer_name = issuer_facts.subject.clone();
            for (_, number) in std::iter::once(first).chain(from_issuer) {
                if let Some(rule) = number.problem() {
                    return Err((issuer_name, issuer_role, ChainProblem::Crl { rule }));
                }
            }
            if !issuer_facts.crl_sign() {
                return Err((
                    issuer_name,
                    issuer_role,
                    ChainProblem::Crl {
                        rule: CRL_SIGN_RULE,
                    },
                ));
            }
        }
        Ok(anchor_index)
    }

    /// What is wrong with a trust anchor's certificate under the policy, if anything.
    fn anchor_problem(&self, der: &[u8], ee: &Facts) -> Option<ChainProblem> {
        if let Err(e) =
            webpki::EndEntityCert::try_from(&rustls_pki_types::CertificateDer::from(der))
        {
            return Some(ChainProblem::Unusable(WebpkiError(e)));
        }
        let Some(f) = self.facts(der) else {
            return Some(ChainProblem::Unreadable);
        };
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
            if let Some(rule) = rfc5280_ca_profile(&f) {
                return Some(ChainProblem::Profile { rule });
            }
        }
        if self.policy >= AnchorPolicy::BaselineRequirements {
            if let Some(rule) = baseline_root_profile(&f) {
                return Some(ChainProblem::BaselineRequirements { rule });
            }
        }
        None
    }
}

/// RFC 5280's profile of a CA certificate, as far as a trust anchor is concerned.
fn rfc5280_ca_profile(f: &Facts) -> Option<&'static str> {
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
fn baseline_root_profile(f: &Facts) -> Option<&'static str> {
    if f.aki.as_ref().is_some_and(|a| a.issuer_or_serial) {
        return Some("authorityKeyIdentifier must hold only a keyIdentifier (BR 7.1.2.1.3)");
    }
    if f.eku {
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

/// A certificate on a candidate path: its DER, what was read of it, its role.
type OnPath<'f> = (&'f [u8], Option<&'f Rc<Facts>>, PathRole);

/// `certificate sha256:...` or `key sha256:...` if the certificate's DER or its
/// SubjectPublicKeyInfo has one of the listed SHA-256 fingerprints.
fn matching(list: &[[u8; 32]], der: &[u8], facts: Option<&Rc<Facts>>) -> Option<String> {
    let cert: [u8; 32] = Sha256::digest(der).into();
    if list.contains(&cert) {
        return Some(format!("certificate sha256:{}", crate::hex(&cert)));
    }
    let key: [u8; 32] = Sha256::digest(&facts?.spki).into();
    list.contains(&key)
        .then(|| format!("key sha256:{}", crate::hex(&key)))
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
        assert_rejected(check(&t, &leaf, &[]), PathRole::Anchor, |p| {
            matches!(p, ChainProblem::Crl { .. })
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
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0, 1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(CrlNumber::read(b"junk"), CrlNumber::Unreadable);
    }
}
