//! Chain validation as a public entry point: what to validate for, how
//! strictly, and what comes back.
//!
//! [`TrustStore::validate_chain`](crate::TrustStore::validate_chain) is the
//! one chain validator: the package verifier calls it for every signer with
//! [`ChainOptions::default`] (code signing), and the conformance tests run the
//! x509-limbo and NIST PKITS suites through it with the usage those suites
//! need (see `docs/CONFORMANCE.md`).

use rustls_pki_types::UnixTime;
use webpki::VerifiedPath;

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

/// Why a chain did not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The end-entity certificate cannot be parsed.
    #[error("the end-entity certificate cannot be parsed ({0:?})")]
    Unparsable(webpki::Error),
    /// The end entity has no extended key usage extension listing the
    /// required usage (for code signing the extension must be present).
    #[error("the end-entity certificate does not list the {0} extended key usage")]
    UsageMissing(Usage),
    /// rustls-webpki found no valid path: its most specific reason over every
    /// path it tried.
    #[error("no valid path to a trust anchor ({0:?})")]
    Path(webpki::Error),
    /// The paths webpki accepted all broke a rule of pkgverify's own; the
    /// first that decided.
    #[error("{certificate:?} ({role}) {problem}")]
    Rejected {
        /// Subject of the certificate the problem is about (for a CRL, its issuer).
        certificate: String,
        /// Its place on the path.
        role: PathRole,
        /// What is wrong.
        problem: ChainProblem,
    },
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

/// A rule of pkgverify's own that a path broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
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
    pub(crate) fn as_webpki(&self, _time: UnixTime) -> webpki::Error {
        match self {
            Self::TooDeep { .. } => webpki::Error::MaximumPathDepthExceeded,
        }
    }
}

/// Our checks on a path webpki accepted, run inside webpki's path building
/// (its `verify_path` hook) so that a rejected path makes webpki try another.
pub(crate) struct PathCheck<'a> {
    options: &'a ChainOptions,
    time: UnixTime,
    /// Every rejection, with the webpki error it was reported as.
    findings: std::cell::RefCell<Vec<(webpki::Error, ChainError)>>,
}

impl<'a> PathCheck<'a> {
    pub(crate) fn new(options: &'a ChainOptions, time: UnixTime) -> Self {
        Self {
            options,
            time,
            findings: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The hook: `Ok` accepts the path, an error makes webpki look for another.
    pub(crate) fn check(&self, path: &VerifiedPath<'_>) -> Result<(), webpki::Error> {
        match self.problem(path) {
            None => Ok(()),
            Some((certificate, role, problem)) => {
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

    fn problem(&self, path: &VerifiedPath<'_>) -> Option<(String, PathRole, ChainProblem)> {
        if let Some(max) = self.options.max_depth {
            let depth = path
                .intermediate_certificates()
                .filter(|c| c.subject() != c.issuer())
                .count();
            if depth > max {
                return Some((
                    String::new(),
                    PathRole::Path,
                    ChainProblem::TooDeep { max, depth },
                ));
            }
        }
        None
    }

    /// The error for webpki's final verdict: ours when one of our rejections
    /// is what webpki ranked most specific, else webpki's.
    pub(crate) fn into_error(self, err: webpki::Error) -> ChainError {
        self.findings
            .into_inner()
            .into_iter()
            .find(|(stand_in, _)| *stand_in == err)
            .map_or(ChainError::Path(err), |(_, ours)| ours)
    }
}
