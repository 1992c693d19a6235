//! The operator's trust store: anchors (each with the window in which it is
//! trusted), vendor intermediates and CRLs, and how they are loaded. Chain
//! validation against it is in `validate`.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor};

use crate::cert::Cert;
use crate::chain::{AnchorPolicy, AnchorWindow};
use crate::error::{InputProblem, LoadError};
use crate::revocation::Crl;

/// What the operator trusts: anchors (old and new roots side by side during a
/// rotation), vendor intermediates (untrusted, for path building only: the
/// place for a vendor's advisory or cross-signed chain), and CRLs.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    pub(crate) anchors: Vec<Anchor>,
    pub(crate) intermediates: Vec<CertificateDer<'static>>,
    pub(crate) crls: Vec<Crl>,
    pub(crate) anchor_policy: AnchorPolicy,
    pub(crate) crl_expiration: CrlExpiration,
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

/// A trust anchor with its certificate, its name and when it is trusted.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    pub(crate) cert: CertificateDer<'static>,
    pub(crate) anchor: TrustAnchor<'static>,
    /// The name a trust policy gave it (else the file it came from).
    pub(crate) label: String,
    pub(crate) window: AnchorWindow,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds trust anchors from PEM (any number of certificates) or one DER certificate.
    ///
    /// # Errors
    /// [`LoadError::TrustInput`] naming `source` if nothing parses as a certificate
    /// or a certificate cannot serve as an anchor.
    pub fn add_anchors(&mut self, bytes: &[u8], source: &str) -> Result<usize, LoadError> {
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
    ) -> Result<usize, LoadError> {
        let source = label;
        let certs = parse_certs(bytes, source)?;
        for cert in &certs {
            let anchor = webpki::anchor_from_trusted_cert(cert)
                .map_err(|e| {
                    trust_input(
                        source,
                        InputProblem::NotAnAnchor(crate::chain::WebpkiError(e)),
                    )
                })?
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
    /// [`LoadError::TrustInput`] naming `source` if nothing parses as a certificate.
    pub fn add_intermediates(&mut self, bytes: &[u8], source: &str) -> Result<usize, LoadError> {
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
    /// [`LoadError::TrustInput`] naming `source` if nothing parses as a CRL, or a
    /// CRL is one pkgverify cannot use: unreadable, a delta or indirect CRL,
    /// or one with a critical extension it does not understand.
    pub fn add_crls(&mut self, bytes: &[u8], source: &str) -> Result<usize, LoadError> {
        let ders: Vec<CertificateRevocationListDer<'static>> = pem_or_der(bytes, source, "CRL")?;
        let many = ders.len() > 1;
        for (i, der) in ders.iter().enumerate() {
            let crl = Crl::parse(der).map_err(|problem| {
                let which = many.then_some(i + 1);
                trust_input(source, InputProblem::Crl { which, problem })
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
    /// [`LoadError::Read`] if the file cannot be read, else as `add_anchors`.
    pub fn load_anchors(&mut self, path: impl AsRef<Path>) -> Result<usize, LoadError> {
        let (bytes, name) = read(path.as_ref())?;
        self.add_anchors(&bytes, &name)
    }

    /// [`TrustStore::add_intermediates`] from a file.
    ///
    /// # Errors
    /// [`LoadError::Read`] if the file cannot be read, else as `add_intermediates`.
    pub fn load_intermediates(&mut self, path: impl AsRef<Path>) -> Result<usize, LoadError> {
        let (bytes, name) = read(path.as_ref())?;
        self.add_intermediates(&bytes, &name)
    }

    /// [`TrustStore::add_crls`] from a file.
    ///
    /// # Errors
    /// [`LoadError::Read`] if the file cannot be read, else as `add_crls`.
    pub fn load_crls(&mut self, path: impl AsRef<Path>) -> Result<usize, LoadError> {
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
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Objects of one type from PEM (any number; sections of other types are skipped)
/// or one DER object; at least one.
fn pem_or_der<T: PemObject + From<Vec<u8>>>(
    bytes: &[u8],
    source: &str,
    what: &'static str,
) -> Result<Vec<T>, LoadError> {
    let items: Vec<T> = if is_pem(bytes) {
        T::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| trust_input(source, InputProblem::BadPem(crate::error::pem_problem(&e))))?
    } else {
        vec![T::from(bytes.to_vec())]
    };
    if items.is_empty() {
        return Err(trust_input(source, InputProblem::Nothing(what)));
    }
    Ok(items)
}

/// Certificates from PEM (any number) or one DER certificate. A file that
/// also holds a private key is refused: a trust input needs none, and the
/// key is to be taken as leaked.
pub(crate) fn parse_certs(
    bytes: &[u8],
    source: &str,
) -> Result<Vec<CertificateDer<'static>>, LoadError> {
    if let Some(found) = crate::signature::private_key_in(bytes) {
        return Err(trust_input(
            source,
            InputProblem::PrivateKey(found.to_string()),
        ));
    }
    let certs: Vec<CertificateDer<'static>> = pem_or_der(bytes, source, "certificate")?;
    for (i, c) in certs.iter().enumerate() {
        if Cert::read(c).is_none() {
            return Err(trust_input(source, InputProblem::Unparsable(i + 1)));
        }
    }
    Ok(certs)
}

fn trust_input(source: &str, problem: InputProblem) -> LoadError {
    LoadError::TrustInput {
        source_name: source.into(),
        problem,
    }
}

fn read(path: &Path) -> Result<(Vec<u8>, String), LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: name.clone(),
        policy: false,
        source,
    })?;
    Ok((bytes, name))
}
