//! The operator's trust store and chain validation.
//!
//! Trust decisions are rustls-webpki's path building (from the end entity
//! through the given and the store's intermediates to a trust anchor, at the
//! verification time, with the required EKU and the store's CRLs), plus the
//! checks in [`crate::chain`] that webpki leaves out, run inside webpki's path
//! building so a path they reject makes it try another.
//! [`TrustStore::validate_chain`] is the public entry point, and the package
//! verifier goes through it too. When a signer's chain fails, a separate walk
//! over the same certificates (by name and key identifier only, never used to
//! accept) explains the failure in terms an operator can act on: which
//! certificate's issuer is missing, which one expired or was revoked.

use std::path::Path;

use std::rc::Rc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use sha2::{Digest, Sha256};
use webpki::EndEntityCert;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::candidates::{self, Offered};
use crate::cert::Cert;
use crate::chain::{
    AnchorPolicy, ChainError, ChainOptions, ChainProblem, PathCheck, PathRole, RevocationPolicy,
    Usage, ValidatedChain, WebpkiError,
};
use crate::error::Error;
use crate::revocation::{Crl, Rules};
use crate::time::{format_secs, format_unix};
use crate::work::Work;
use crate::x509::SIGNATURE_ALGORITHMS;

/// What the operator trusts: anchors (old and new roots side by side during a
/// rotation), vendor intermediates (untrusted, for path building only: the
/// place for a vendor's advisory or cross-signed chain), and CRLs.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<Anchor>,
    intermediates: Vec<CertificateDer<'static>>,
    crls: Vec<Crl>,
    anchor_policy: AnchorPolicy,
    crl_expiration: CrlExpiration,
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

/// What a CRL past its nextUpdate means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CrlExpiration {
    /// The default: a CRL past its nextUpdate leaves the status of the
    /// certificates it covers unknown, which rejects the signer
    /// (rustls-webpki's `ExpirationPolicy::Enforce`).
    #[default]
    Enforce,
    /// CAUTION: a CRL past its nextUpdate is used as if it were current. A
    /// revocation issued after it is not seen, so a compromised signer stays
    /// trusted until a fresh CRL is loaded. Only for offline sites that
    /// cannot fetch CRLs on time and accept that risk knowingly.
    Ignore,
}

#[derive(Debug, Clone)]
struct Anchor {
    cert: CertificateDer<'static>,
    anchor: TrustAnchor<'static>,
    /// The name a trust policy gave it (else the file it came from).
    label: String,
    window: AnchorWindow,
}

/// A certificate as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertInfo {
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
    /// SHA-256 of its DER SubjectPublicKeyInfo, hex (what a policy pins as a key).
    pub public_key_sha256: String,
}

impl CertInfo {
    /// Describes a DER certificate; `None` if x509-parser cannot read it.
    pub fn from_der(der: &[u8]) -> Option<Self> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        Some(Self {
            subject: c.subject().to_string(),
            issuer: c.issuer().to_string(),
            serial: crate::hex(c.raw_serial()),
            not_before: format_secs(c.validity().not_before.timestamp()),
            not_after: format_secs(c.validity().not_after.timestamp()),
            sha256: crate::hex(&Sha256::digest(der)),
            public_key_sha256: crate::hex(&Sha256::digest(c.public_key().raw)),
        })
    }
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds trust anchors from PEM (any number of certificates) or one DER certificate.
    ///
    /// # Errors
    /// [`Error::TrustInput`] naming `source` if nothing parses as a certificate
    /// or a certificate cannot serve as an anchor.
    pub fn add_anchors(&mut self, bytes: &[u8], source: &str) -> Result<usize, Error> {
        self.add_anchors_within(bytes, source, AnchorWindow::ALWAYS)
    }

    /// Adds trust anchors (as [`TrustStore::add_anchors`]) that are trusted
    /// only within `window`; `label` names them in errors and explanations
    /// (a trust policy passes the anchor's name).
    ///
    /// # Errors
    /// As [`TrustStore::add_anchors`].
    pub fn add_anchors_within(
        &mut self,
        bytes: &[u8],
        label: &str,
        window: AnchorWindow,
    ) -> Result<usize, Error> {
        let source = label;
        let certs = parse_certs(bytes, source)?;
        for cert in &certs {
            let anchor = webpki::anchor_from_trusted_cert(cert)
                .map_err(|e| trust_input(source, format!("not usable as a trust anchor: {e}")))?
                .to_owned();
            self.anchors.push(Anchor {
                cert: cert.clone(),
                anchor,
                label: label.to_owned(),
                window,
            });
        }
        Ok(certs.len())
    }

    /// Adds vendor intermediates (PEM or DER), used only to build paths.
    ///
    /// # Errors
    /// [`Error::TrustInput`] naming `source` if nothing parses as a certificate.
    pub fn add_intermediates(&mut self, bytes: &[u8], source: &str) -> Result<usize, Error> {
        let certs = parse_certs(bytes, source)?;
        let n = certs.len();
        self.intermediates.extend(certs);
        Ok(n)
    }

    /// Adds certificate revocation lists (PEM, any number, or one DER CRL).
    ///
    /// Every CRL is kept (a CRL already in the store is not added twice):
    /// none displaces another, so partitioned CRLs, re-issued CRLs and the
    /// CRLs of a CA re-keyed under the same name all count, and a CRL that
    /// no certificate's issuer signed is simply never authoritative
    /// (`docs/FORMAT.md`, "Revocation").
    ///
    /// # Errors
    /// [`Error::TrustInput`] naming `source` if nothing parses as a CRL, or a
    /// CRL is one pkgverify cannot use: unreadable, a delta or indirect CRL,
    /// or one with a critical extension it does not understand.
    pub fn add_crls(&mut self, bytes: &[u8], source: &str) -> Result<usize, Error> {
        let ders: Vec<CertificateRevocationListDer<'static>> = pem_or_der(bytes, source, "CRL")?;
        let many = ders.len() > 1;
        for (i, der) in ders.iter().enumerate() {
            let crl = Crl::parse(der).map_err(|e| {
                let which = if many {
                    format!("CRL {} ", i + 1)
                } else {
                    "the CRL ".into()
                };
                trust_input(source, format!("{which}{e}"))
            })?;
            if !self.crls.iter().any(|c| c.sha256 == crl.sha256) {
                self.crls.push(crl);
            }
        }
        Ok(ders.len())
    }

    /// [`TrustStore::add_anchors`] from a file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, else as `add_anchors`.
    pub fn load_anchors(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let (bytes, name) = read(path.as_ref())?;
        self.add_anchors(&bytes, &name)
    }

    /// [`TrustStore::add_intermediates`] from a file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, else as `add_intermediates`.
    pub fn load_intermediates(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let (bytes, name) = read(path.as_ref())?;
        self.add_intermediates(&bytes, &name)
    }

    /// [`TrustStore::add_crls`] from a file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, else as `add_crls`.
    pub fn load_crls(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let (bytes, name) = read(path.as_ref())?;
        self.add_crls(&bytes, &name)
    }

    /// Sets how strictly a path's trust anchor is checked (the default is
    /// [`AnchorPolicy::ValidCa`]; see there for what each policy means).
    #[must_use]
    pub fn with_anchor_policy(mut self, policy: AnchorPolicy) -> Self {
        self.anchor_policy = policy;
        self
    }

    /// How strictly a path's trust anchor is checked.
    pub fn anchor_policy(&self) -> AnchorPolicy {
        self.anchor_policy
    }

    /// Sets what a CRL past its nextUpdate means (the default is
    /// [`CrlExpiration::Enforce`]; see there for the opt-out's risk).
    #[must_use]
    pub fn with_crl_expiration(mut self, expiration: CrlExpiration) -> Self {
        self.crl_expiration = expiration;
        self
    }

    /// What a CRL past its nextUpdate means.
    pub fn crl_expiration(&self) -> CrlExpiration {
        self.crl_expiration
    }

    pub(crate) fn set_crl_expiration(&mut self, expiration: CrlExpiration) {
        self.crl_expiration = expiration;
    }

    /// Number of trust anchors.
    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// Validates a certificate chain: `end_entity` through `intermediates`
    /// (untrusted, e.g. a package's bundled certificates; the store's own
    /// intermediates are added after them) to one of the store's trust
    /// anchors, at `time`, with the store's CRLs, as `options` say.
    ///
    /// This is the validator the package verifier uses for every signer (with
    /// [`ChainOptions::default`]); the conformance tests run x509-limbo and
    /// NIST PKITS through it (`docs/CONFORMANCE.md`).
    ///
    /// rustls-webpki builds and verifies the paths. On each path it verifies,
    /// pkgverify then checks what webpki leaves out, and a path that fails
    /// makes webpki try another:
    /// * the trust anchor, as the store's [`AnchorPolicy`] says (by default
    ///   valid at `time` and a CA certificate);
    /// * every CA on the path with a keyUsage extension asserts keyCertSign
    ///   (RFC 5280 6.1.4 (n));
    /// * the end entity has no name constraints and asserts keyCertSign only
    ///   if it is a CA; no name constraints are empty (RFC 5280 4.2.1.9-10);
    /// * no certificate below the anchor is revoked, or of unknown status,
    ///   by the store's CRLs as pkgverify decides it (RFC 5280 6.3: every CRL
    ///   from its issuer that the issuer's key on that path signed and whose
    ///   scope covers it; `docs/FORMAT.md`, "Revocation");
    /// * [`ChainOptions::max_depth`];
    /// * [`ChainOptions::distrust`] and [`ChainOptions::allow_issuer`].
    ///
    /// Anchors outside their [`AnchorWindow`] at `time` take no part.
    ///
    /// # Errors
    /// A [`ChainError`]: the end entity cannot be parsed or lacks the usage
    /// (for code signing: the EKU, and digitalSignature if it has a keyUsage),
    /// webpki found no valid path (its most specific reason), or every path
    /// it found broke one of the checks above ([`ChainError::Rejected`]), or
    /// the certificates offered needed more signature checks than one
    /// validation may make ([`ChainError::WorkExceeded`]).
    pub fn validate_chain<C: AsRef<[u8]>>(
        &self,
        end_entity: &[u8],
        intermediates: &[C],
        time: UnixTime,
        options: &ChainOptions,
    ) -> Result<ValidatedChain, ChainError> {
        self.validate_in(&Work::new(), end_entity, intermediates, time, options)
    }

    /// [`TrustStore::validate_chain`] within one package's [`Work`]: what is
    /// parsed and checked once is not parsed or checked again.
    pub(crate) fn validate_in<C: AsRef<[u8]>>(
        &self,
        work: &Work,
        end_entity: &[u8],
        intermediates: &[C],
        time: UnixTime,
        options: &ChainOptions,
    ) -> Result<ValidatedChain, ChainError> {
        work.begin_signer();
        let ee_der = CertificateDer::from(end_entity);
        let ee =
            EndEntityCert::try_from(&ee_der).map_err(|e| ChainError::Unparsable(WebpkiError(e)))?;
        let ee_cert = work.cert(end_entity);
        if options.usage == Usage::CodeSigning || options.as_signer {
            // A signer lists the usage itself, and its key may make signatures.
            let Some(c) = &ee_cert else {
                return Err(ChainError::UsageMissing(options.usage));
            };
            if !c.lists_eku(options.usage.eku_name()) {
                return Err(ChainError::UsageMissing(options.usage));
            }
            if !c.digital_signature() {
                return Err(ChainError::SigningNotAllowed);
            }
        }
        // Anchors outside their trust window take no part in path building.
        let active: Vec<&Anchor> = self
            .anchors
            .iter()
            .filter(|a| a.window.contains(time))
            .collect();
        let anchors: Vec<TrustAnchor<'_>> = active.iter().map(|a| a.anchor.clone()).collect();
        // Offer webpki only what can be on a path (crate::candidates): each
        // certificate once, readable, on a chain of verified signatures.
        let mut offered: Vec<Offered<'_>> = Vec::new();
        for der in intermediates
            .iter()
            .map(AsRef::as_ref)
            .chain(self.intermediates.iter().map(|c| c.as_ref()))
        {
            if let Some(cert) = work.cert(der) {
                if !offered.iter().any(|o| o.cert.sha256 == cert.sha256) {
                    offered.push(Offered { der, cert });
                }
            }
        }
        let anchor_certs: Vec<Rc<Cert>> =
            active.iter().filter_map(|a| work.cert(&a.cert)).collect();
        let pool: Vec<CertificateDer<'_>> = match &ee_cert {
            Some(cert) => {
                let ee_offered = Offered {
                    der: end_entity,
                    cert: cert.clone(),
                };
                candidates::useful(work, &ee_offered, &offered, &anchor_certs)
                    .map_err(|_| ChainError::WorkExceeded(crate::work::SIGNER_CHECKS))?
                    .into_iter()
                    .filter_map(|i| offered.get(i))
                    .map(|o| CertificateDer::from(o.der))
                    .collect()
            }
            // webpki reads it but x509-parser cannot: the path checks reject it.
            None => Vec::new(),
        };
        let check = PathCheck::new(
            options,
            self.anchor_policy,
            time,
            &anchors,
            active.iter().map(|a| a.cert.as_ref()).collect(),
            &self.crls,
            Rules {
                required: options.revocation == RevocationPolicy::Required,
                ignore_expiry: self.crl_expiration == CrlExpiration::Ignore,
            },
            work,
        );
        let hook = |path: &webpki::VerifiedPath<'_>| check.check(path);
        // Revocation is pkgverify's own decision, made in the hook (crate::revocation).
        let result = ee.verify_for_usage(
            SIGNATURE_ALGORITHMS,
            &anchors,
            &pool,
            time,
            // Applied to every certificate on the path: a CA that restricts its EKU must allow
            // the usage. That a signer itself has the extension was checked above.
            options.usage.webpki(),
            None,
            Some(&hook),
        );
        match result {
            Ok(path) => {
                let mut certificates = vec![end_entity.to_vec()];
                certificates.extend(path.intermediate_certificates().map(|c| c.der().to_vec()));
                let top = check
                    .accepted_anchor()
                    .and_then(|i| active.get(i))
                    .map(|a| a.cert.to_vec())
                    .unwrap_or_default();
                certificates.push(top);
                let subjects = certificates
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            "(trust anchor)".to_owned()
                        } else {
                            work.cert(c).map_or_else(
                                || "(unparsable certificate)".into(),
                                |c| c.subject.clone(),
                            )
                        }
                    })
                    .collect();
                Ok(ValidatedChain::new(certificates, subjects))
            }
            Err(e) => Err(check.into_error(e)),
        }
    }

    /// Validates `signer` (with the package's `bundled` certificates) for code
    /// signing at `time`. `signature` names the signature in errors.
    #[cfg(test)]
    pub(crate) fn validate(
        &self,
        signature: &str,
        signer: &CertificateDer<'_>,
        bundled: &[CertificateDer<'_>],
        time: UnixTime,
    ) -> Result<ValidatedChain, Error> {
        self.validate_with(
            &Work::new(),
            signature,
            signer,
            bundled,
            0,
            time,
            &ChainOptions::code_signing(),
        )
    }

    /// Validates `signer` (with the package's `bundled` certificates) at
    /// `time` as `options` say. `withheld` counts bundled certificates a trust
    /// policy kept from path building, for the explanation. The signer must
    /// list the usage itself, whatever it is, and its key may make
    /// signatures. `work` is the package's: what one signer parsed and
    /// checked is not redone for the next.
    #[allow(clippy::too_many_arguments)] // crate-private; the context of one signer
    pub(crate) fn validate_with(
        &self,
        work: &Work,
        signature: &str,
        signer: &CertificateDer<'_>,
        bundled: &[CertificateDer<'_>],
        withheld: usize,
        time: UnixTime,
        options: &ChainOptions,
    ) -> Result<ValidatedChain, Error> {
        let options = options.clone().for_signer();
        self.validate_in(work, signer, bundled, time, &options)
            .map_err(|e| {
                self.explain(
                    work,
                    signature,
                    signer,
                    bundled,
                    withheld,
                    time,
                    options.usage,
                    e,
                )
            })
    }

    /// The one place chain errors (webpki's and ours) become the package
    /// verifier's, with the diagnostic walk's context.
    #[allow(clippy::too_many_arguments)] // private; the context of one failed validation
    fn explain(
        &self,
        work: &Work,
        signature: &str,
        signer: &CertificateDer<'_>,
        bundled: &[CertificateDer<'_>],
        withheld: usize,
        time: UnixTime,
        usage: Usage,
        err: ChainError,
    ) -> Error {
        #[allow(deprecated)]
        let err = match err {
            ChainError::Unparsable(e) => {
                return Error::SignatureInvalid {
                    signature: signature.into(),
                    problem: format!("the signer certificate cannot be parsed ({e})"),
                }
            }
            ChainError::UsageMissing(_) => webpki::Error::RequiredEkuNotFound,
            ChainError::SigningNotAllowed => {
                return Error::WrongKeyUsage {
                    signature: signature.into(),
                    certificate: subject_of(signer),
                    problem: "has a keyUsage extension without digitalSignature: its key may \
                              not make signatures (RFC 5280 4.2.1.3)"
                        .into(),
                }
            }
            ChainError::Path(e) => e.0,
            e @ ChainError::WorkExceeded(_) => {
                return Error::UntrustedSigner {
                    signature: signature.into(),
                    signer: subject_of(signer),
                    explanation: e.to_string(),
                }
            }
            ChainError::Rejected {
                certificate,
                role,
                problem,
            } => return rejected(signature, signer, time, certificate, role, problem),
        };
        let walk = Walk::new(work, self, signer, bundled, withheld, time);
        let signer_subject = subject_of(signer);
        let at = format_unix(time);
        let untrusted = |explanation: String| Error::UntrustedSigner {
            signature: signature.into(),
            signer: signer_subject.clone(),
            explanation,
        };
        #[allow(deprecated)]
        match err {
            webpki::Error::CertExpired { not_after, .. } => Error::CertificateExpired {
                signature: signature.into(),
                certificate: walk
                    .find(|n| n.cert.not_after == not_after.as_secs() as i64)
                    .unwrap_or_else(|| signer_subject.clone()),
                not_after: format_unix(not_after),
                at,
            },
            webpki::Error::CertNotValidYet { not_before, .. } => Error::CertificateNotYetValid {
                signature: signature.into(),
                certificate: walk
                    .find(|n| n.cert.not_before == not_before.as_secs() as i64)
                    .unwrap_or_else(|| signer_subject.clone()),
                not_before: format_unix(not_before),
                at,
            },
            webpki::Error::RequiredEkuNotFound
            | webpki::Error::RequiredEkuNotFoundContext(_)
            | webpki::Error::EmptyEkuExtension => {
                // The signer if it lacks the usage (a signer must list it), else the
                // first CA above it that restricts its EKUs without allowing it.
                let wanted = usage.eku_name();
                let culprit =
                    walk.path.iter().enumerate().find(|(i, n)| {
                        !n.cert.lists_eku(wanted) && (*i == 0 || n.cert.eku.is_some())
                    });
                let (certificate, ekus) = culprit
                    .map(|(_, n)| {
                        (
                            n.cert.subject.clone(),
                            n.cert
                                .eku
                                .as_ref()
                                .map(|e| e.join(", "))
                                .unwrap_or_default(),
                        )
                    })
                    .unwrap_or_else(|| (signer_subject.clone(), String::new()));
                Error::WrongKeyUsage {
                    signature: signature.into(),
                    certificate,
                    problem: if usage != Usage::CodeSigning {
                        format!(
                            "allows only {}; the trust policy requires {usage}",
                            if ekus.is_empty() {
                                "other usages"
                            } else {
                                &ekus
                            }
                        )
                    } else if ekus.is_empty() {
                        "has no extended key usage extension; code signing (1.3.6.1.5.5.7.3.3) is required on the signer".into()
                    } else {
                        format!("allows only {ekus}; code signing (1.3.6.1.5.5.7.3.3) is required on the signer and on any CA above it that restricts its key usages")
                    },
                }
            }
            webpki::Error::CaUsedAsEndEntity => Error::WrongKeyUsage {
                signature: signature.into(),
                certificate: signer_subject.clone(),
                problem: "is a CA certificate; a signer must be an end-entity certificate".into(),
            },
            // Both mean no issuer with a matching key was found for some certificate.
            webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey => {
                untrusted(walk.unknown_issuer())
            }
            webpki::Error::EndEntityUsedAsCa => untrusted(format!(
                "a certificate on the path is not a CA but issued another ({})",
                walk.path_text()
            )),
            webpki::Error::MaximumPathDepthExceeded
            | webpki::Error::MaximumPathBuildCallsExceeded
            | webpki::Error::MaximumSignatureChecksExceeded => {
                untrusted("path building gave up: the chain is too long or loops".into())
            }
            webpki::Error::PathLenConstraintViolated => {
                untrusted("a CA's path length constraint is violated".into())
            }
            webpki::Error::NameConstraintViolation => {
                untrusted("a CA's name constraints are violated".into())
            }
            webpki::Error::CertDistrusted => untrusted("a certificate's key is distrusted".into()),
            webpki::Error::UnsupportedSignatureAlgorithm
            | webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKey
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => untrusted(
                "a certificate on the path uses an unsupported signature algorithm or key".into(),
            ),
            other => untrusted(format!("the chain is invalid ({other:?})")),
        }
    }
}

/// A rejection by one of the [`crate::chain`] checks, as the package verifier reports it.
fn rejected(
    signature: &str,
    signer: &CertificateDer<'_>,
    time: UnixTime,
    certificate: String,
    role: PathRole,
    problem: ChainProblem,
) -> Error {
    match problem {
        ChainProblem::Expired { not_after } => Error::CertificateExpired {
            signature: signature.into(),
            certificate,
            not_after: format_unix(not_after),
            at: format_unix(time),
        },
        ChainProblem::NotYetValid { not_before } => Error::CertificateNotYetValid {
            signature: signature.into(),
            certificate,
            not_before: format_unix(not_before),
            at: format_unix(time),
        },
        ChainProblem::Distrusted { fingerprint } => Error::CertificateDistrusted {
            signature: signature.into(),
            certificate,
            fingerprint,
        },
        ChainProblem::IssuerNotAllowed {
            certificate: cert,
            key,
        } => Error::SignerNotAllowed {
            signature: signature.into(),
            signer: subject_of(signer),
            problem: format!(
                "its issuing CA \"{certificate}\" (certificate {cert}, key {key}) is not among allowed_issuers"
            ),
        },
        ChainProblem::Revoked { serial, .. } => Error::CertificateRevoked {
            signature: signature.into(),
            certificate,
            serial: Some(serial),
        },
        ChainProblem::RevocationUnknown(why) => Error::UntrustedSigner {
            signature: signature.into(),
            signer: subject_of(signer),
            explanation: format!(
                "revocation status cannot be checked: that of {role} \"{certificate}\" is unknown: {why}"
            ),
        },
        problem => Error::UntrustedSigner {
            signature: signature.into(),
            signer: subject_of(signer),
            explanation: ChainError::Rejected {
                certificate,
                role,
                problem,
            }
            .to_string(),
        },
    }
}

/// One certificate as the diagnostic walk sees it: what was read of it, and
/// where it came from.
struct Node {
    cert: Rc<Cert>,
    origin: Origin,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Signer,
    Package,
    Store,
    Anchor,
}

impl Node {
    fn read(work: &Work, der: &[u8], origin: Origin) -> Option<Self> {
        work.cert(der).map(|cert| Self { cert, origin })
    }

    /// Whether `self` could have issued `child`: names match, and key ids too where both are given.
    fn issued(&self, child: &Node) -> bool {
        self.cert.subject_raw == child.cert.issuer_raw && self.key_matches(child)
    }

    fn key_matches(&self, child: &Node) -> bool {
        match (
            &self.cert.ski,
            child.cert.aki.as_ref().and_then(|a| a.key_id.as_ref()),
        ) {
            (Some((_, s)), Some(a)) => s == a,
            _ => true,
        }
    }
}

/// The diagnostic walk: from the signer, follow issuers by name and key id
/// through package, store and anchor certificates, never revisiting one.
struct Walk {
    path: Vec<Node>,
    /// The walk ended at an anchor.
    reached_anchor: bool,
    /// Certificates that have the wanted issuer name but another key.
    other_keys: Vec<(String, Origin)>,
    offered_package: usize,
    offered_store: usize,
    /// Subjects of the intermediates offered to path building, with their origin.
    offered: Vec<(String, Origin)>,
    /// Bundled certificates the trust policy kept from path building.
    withheld: usize,
    /// The walk ended at an anchor the policy does not trust at this time:
    /// its label, subject, and why (its window).
    outside_window: Option<String>,
}

impl Walk {
    fn new(
        work: &Work,
        store: &TrustStore,
        signer: &CertificateDer<'_>,
        bundled: &[CertificateDer<'_>],
        withheld: usize,
        time: UnixTime,
    ) -> Self {
        let mut pool: Vec<Node> = bundled
            .iter()
            .filter_map(|c| Node::read(work, c, Origin::Package))
            .chain(
                store
                    .intermediates
                    .iter()
                    .filter_map(|c| Node::read(work, c, Origin::Store)),
            )
            .collect();
        let (active, inactive): (Vec<&Anchor>, Vec<&Anchor>) =
            store.anchors.iter().partition(|a| a.window.contains(time));
        let anchors: Vec<Node> = active
            .iter()
            .filter_map(|a| Node::read(work, &a.cert, Origin::Anchor))
            .collect();
        let inactive: Vec<(Node, &Anchor)> = inactive
            .into_iter()
            .filter_map(|a| Node::read(work, &a.cert, Origin::Anchor).map(|n| (n, a)))
            .collect();
        let mut walk = Self {
            path: Node::read(work, signer, Origin::Signer)
                .into_iter()
                .collect(),
            reached_anchor: false,
            other_keys: Vec::new(),
            offered_package: bundled.len(),
            offered_store: store.intermediates.len(),
            offered: pool
                .iter()
                .map(|n| (n.cert.subject.clone(), n.origin))
                .collect(),
            withheld,
            outside_window: None,
        };
        // Bounded: each step removes one certificate from the pool.
        while let Some(last) = walk.path.last() {
            if anchors.iter().any(|a| a.issued(last)) {
                walk.reached_anchor = true;
                break;
            }
            if let Some((node, anchor)) = inactive.iter().find(|(n, _)| n.issued(last)) {
                walk.outside_window = Some(window_text(anchor, &node.cert.subject, time));
                break;
            }
            walk.other_keys = anchors
                .iter()
                .chain(pool.iter())
                .filter(|n| n.cert.subject_raw == last.cert.issuer_raw && !n.key_matches(last))
                .map(|n| (n.cert.subject.clone(), n.origin))
                .collect();
            let Some(i) = pool
                .iter()
                .position(|n| n.issued(last) && n.cert.subject_raw != last.cert.subject_raw)
            else {
                break;
            };
            let next = pool.swap_remove(i);
            walk.path.push(next);
        }
        walk
    }

    fn find(&self, pred: impl Fn(&Node) -> bool) -> Option<String> {
        self.path
            .iter()
            .find(|n| pred(n))
            .map(|n| n.cert.subject.clone())
    }

    fn path_text(&self) -> String {
        let names: Vec<String> = self
            .path
            .iter()
            .map(|n| format!("\"{}\"", n.cert.subject))
            .collect();
        format!("path built: {}", names.join(" -> "))
    }

    fn unknown_issuer(&self) -> String {
        let Some(last) = self.path.last() else {
            return "the signer certificate cannot be read".into();
        };
        if self.reached_anchor {
            return format!(
                "a path to a trust anchor exists by name ({}), but a signature on it does not verify",
                self.path_text()
            );
        }
        if let Some(window) = &self.outside_window {
            return format!("{window}; {}", self.path_text());
        }
        let aki = last
            .cert
            .aki
            .as_ref()
            .and_then(|a| a.key_id.as_ref())
            .map(|k| format!(" (authority key id {})", crate::hex(k)))
            .unwrap_or_default();
        let withheld = if self.withheld > 0 {
            format!(
                ", {} more bundled but not used (trust policy: package_intermediates = false)",
                self.withheld
            )
        } else {
            String::new()
        };
        let mut text = format!(
            "the issuer of \"{}\", \"{}\"{aki}, is neither a trust anchor nor among the supplied intermediates ({} bundled in the package{withheld}, {} from the trust store); {}",
            last.cert.subject,
            last.cert.issuer,
            self.offered_package,
            self.offered_store,
            self.path_text()
        );
        for (subject, origin) in &self.other_keys {
            let role = match origin {
                Origin::Anchor => "a trust anchor",
                Origin::Store => "a trust-store intermediate",
                Origin::Package | Origin::Signer => "a bundled certificate",
            };
            text.push_str(&format!(
                "; found \"{subject}\" as {role}, but its key differs from the key that signed \"{}\"",
                last.cert.subject
            ));
        }
        if !self.offered.is_empty() {
            let offered: Vec<String> = self
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
            text.push_str(&format!("; intermediates offered: {}", offered.join(", ")));
        }
        if last.origin != Origin::Anchor {
            text.push_str(
                "; if the vendor rotated its CA, supply its advisory chain (e.g. the new root cross-signed by the old) as intermediates",
            );
        }
        text
    }
}

/// Why an anchor is not trusted at `time`: "trust in anchor X ended at T (policy)".
fn window_text(anchor: &Anchor, subject: &str, time: UnixTime) -> String {
    let who = if anchor.label == subject {
        format!("\"{subject}\"")
    } else {
        format!("\"{}\" (\"{subject}\")", anchor.label)
    };
    match (anchor.window.not_before, anchor.window.not_after) {
        (Some(b), _) if time < b => format!(
            "the path reaches trust anchor {who}, but trust in it begins at {} (the trust policy's not_before); the verification time is {}",
            format_unix(b),
            format_unix(time)
        ),
        (_, Some(a)) => format!(
            "the path reaches trust anchor {who}, but trust in it ended at {} (the trust policy's not_after, the rotation deadline); the verification time is {}",
            format_unix(a),
            format_unix(time)
        ),
        _ => format!("the path reaches trust anchor {who}, which is not trusted at {}", format_unix(time)),
    }
}

fn subject_of(der: &[u8]) -> String {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_else(|_| "(unparsable certificate)".into())
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Objects of one type from PEM (any number; sections of other types are skipped)
/// or one DER object; at least one.
fn pem_or_der<T: PemObject + From<Vec<u8>>>(
    bytes: &[u8],
    source: &str,
    what: &str,
) -> Result<Vec<T>, Error> {
    let items: Vec<T> = if is_pem(bytes) {
        T::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| trust_input(source, format!("bad PEM: {e}")))?
    } else {
        vec![T::from(bytes.to_vec())]
    };
    if items.is_empty() {
        return Err(trust_input(source, format!("no {what} found")));
    }
    Ok(items)
}

/// Certificates from PEM (any number) or one DER certificate. A file that
/// also holds a private key is refused: a trust input needs none, and the
/// key is to be taken as leaked.
pub(crate) fn parse_certs(
    bytes: &[u8],
    source: &str,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    if let Some(found) = crate::signature::private_key_in(bytes) {
        return Err(trust_input(
            source,
            format!("holds a private key ({found}), refused: certificate files need none; take the key as leaked to everyone who had this file, and if it belongs to a CA or signer you trust, have its certificate revoked and remove the key from the file"),
        ));
    }
    let certs: Vec<CertificateDer<'static>> = pem_or_der(bytes, source, "certificate")?;
    for (i, c) in certs.iter().enumerate() {
        if X509Certificate::from_der(c).is_err() {
            return Err(trust_input(
                source,
                format!("certificate {} cannot be parsed", i + 1),
            ));
        }
    }
    Ok(certs)
}

fn trust_input(source: &str, problem: impl Into<String>) -> Error {
    Error::TrustInput {
        source_name: source.into(),
        problem: problem.into(),
    }
}

fn read(path: &Path) -> Result<(Vec<u8>, String), Error> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(name.clone(), e))?;
    Ok((bytes, name))
}
