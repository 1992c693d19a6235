//! Detached signatures over `manifest.json`: checking them (the algorithm
//! follows the signer's key) and making them (for the package writer).

use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;
use webpki::EndEntityCert;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

pub use crate::algorithm::Algorithm;
use crate::error::{BuildError, KeyProblem, SignatureProblem, SignatureSlip};

const CANDIDATES: [(
    Algorithm,
    &dyn rustls_pki_types::SignatureVerificationAlgorithm,
); 5] = [
    (Algorithm::EcdsaP256Sha256, webpki::ring::ECDSA_P256_SHA256),
    (Algorithm::EcdsaP384Sha384, webpki::ring::ECDSA_P384_SHA384),
    (Algorithm::Ed25519, webpki::ring::ED25519),
    (
        Algorithm::RsaPkcs1Sha256,
        webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    ),
    (
        Algorithm::RsaPssSha256,
        webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    ),
];

/// Signatures in algorithms format 1 does not list that pkgverify can still
/// recognise by verifying them: another digest with a listed key type.
const OTHER_DIGESTS: [(&str, &dyn rustls_pki_types::SignatureVerificationAlgorithm); 6] = [
    ("rsa-pkcs1-sha384", webpki::ring::RSA_PKCS1_2048_8192_SHA384),
    ("rsa-pkcs1-sha512", webpki::ring::RSA_PKCS1_2048_8192_SHA512),
    (
        "rsa-pss-sha384",
        webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    ),
    (
        "rsa-pss-sha512",
        webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    ),
    ("ecdsa-p256-sha384", webpki::ring::ECDSA_P256_SHA384),
    ("ecdsa-p384-sha256", webpki::ring::ECDSA_P384_SHA256),
];

/// Public-key algorithms (SubjectPublicKeyInfo algorithm OIDs) that are real
/// signature algorithms format 1 does not list, by dotted OID.
const UNLISTED_KEYS: &[(&str, &str)] = &[
    ("1.3.101.113", "ed448"),
    ("1.2.840.113549.1.1.10", "rsa-pss-restricted-key"),
    ("1.2.840.10040.4.1", "dsa"),
    ("2.16.840.1.101.3.4.3.17", "ml-dsa-44"),
    ("2.16.840.1.101.3.4.3.18", "ml-dsa-65"),
    ("2.16.840.1.101.3.4.3.19", "ml-dsa-87"),
    ("2.16.840.1.101.3.4.3.20", "slh-dsa-sha2-128s"),
    ("2.16.840.1.101.3.4.3.21", "slh-dsa-sha2-128f"),
    ("2.16.840.1.101.3.4.3.22", "slh-dsa-sha2-192s"),
    ("2.16.840.1.101.3.4.3.23", "slh-dsa-sha2-192f"),
    ("2.16.840.1.101.3.4.3.24", "slh-dsa-sha2-256s"),
    ("2.16.840.1.101.3.4.3.25", "slh-dsa-sha2-256f"),
    ("2.16.840.1.101.3.4.3.26", "slh-dsa-shake-128s"),
    ("2.16.840.1.101.3.4.3.27", "slh-dsa-shake-128f"),
    ("2.16.840.1.101.3.4.3.28", "slh-dsa-shake-192s"),
    ("2.16.840.1.101.3.4.3.29", "slh-dsa-shake-192f"),
    ("2.16.840.1.101.3.4.3.30", "slh-dsa-shake-256s"),
    ("2.16.840.1.101.3.4.3.31", "slh-dsa-shake-256f"),
    ("1.2.643.7.1.1.1.1", "gost-r-34.10-2012-256"),
    ("1.2.643.7.1.1.1.2", "gost-r-34.10-2012-512"),
];

/// Named curves of id-ecPublicKey keys that format 1 does not list, by dotted OID.
const UNLISTED_CURVES: &[(&str, &str)] = &[
    ("1.3.132.0.35", "ecdsa-p521"),
    ("1.3.132.0.33", "ecdsa-p224"),
    ("1.2.840.10045.3.1.1", "ecdsa-p192"),
    ("1.3.132.0.10", "ecdsa-secp256k1"),
    ("1.3.36.3.3.2.8.1.1.7", "ecdsa-brainpoolp256r1"),
    ("1.3.36.3.3.2.8.1.1.11", "ecdsa-brainpoolp384r1"),
    ("1.3.36.3.3.2.8.1.1.13", "ecdsa-brainpoolp512r1"),
    ("1.2.156.10197.1.301", "sm2"),
];

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

/// What checking one signature over the manifest found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checked {
    /// The bytes verify with this format-1 algorithm.
    Verified(Algorithm),
    /// The signature is in an algorithm format 1 does not list (named): it
    /// never counts toward trust, and does not fail the package either.
    Unsupported(Unlisted),
    /// The bytes do not verify, or the key cannot sign in any algorithm
    /// pkgverify knows: fatal.
    Invalid(SignatureProblem),
}

/// How a signature was recognised as being in an algorithm format 1 does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unlisted {
    /// The signer's key (its SubjectPublicKeyInfo) is of this unlisted type;
    /// the signature bytes could not be checked.
    Key(&'static str),
    /// The bytes verify with this unlisted algorithm over a listed key type.
    Verified(&'static str),
}

/// Checks `signature` over `message` with the signer's key (`signer`, whose
/// DER SubjectPublicKeyInfo is `spki`).
///
/// A listed algorithm that verifies is [`Checked::Verified`]. A key type that
/// format 1 does not list but that names a real signature algorithm (from the
/// certificate's SubjectPublicKeyInfo: P-521, Ed448, ML-DSA, ...), or bytes
/// that verify with another digest over a listed key type (RSA PKCS#1 v1.5 or
/// PSS with SHA-384/SHA-512, ECDSA P-256 with SHA-384, P-384 with SHA-256),
/// is [`Checked::Unsupported`]. Anything else is [`Checked::Invalid`], with why.
pub(crate) fn verify(
    signer: &EndEntityCert<'_>,
    spki: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Checked {
    if let Some(name) = unlisted_key(spki) {
        return Checked::Unsupported(Unlisted::Key(name));
    }
    let mut key_supported = false;
    for (alg, verifier) in CANDIDATES {
        match signer.verify_signature(verifier, message, signature) {
            Ok(()) => return Checked::Verified(alg),
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => {}
            #[allow(deprecated)]
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKey) => {}
            Err(_) => key_supported = true,
        }
    }
    for (name, verifier) in OTHER_DIGESTS {
        if signer
            .verify_signature(verifier, message, signature)
            .is_ok()
        {
            return Checked::Unsupported(Unlisted::Verified(name));
        }
    }
    Checked::Invalid(if key_supported {
        SignatureProblem::DoesNotVerify { slip: None }
    } else {
        SignatureProblem::KeyNotAccepted
    })
}

/// Which common slip a signature that does not verify against the first
/// certificate of its `.pem` looks like: it verifies against a later one
/// (the certificates are out of order), or against none (a mismatched key,
/// a changed manifest, or for RSA a PSS salt length ring cannot check).
/// `certs` are the `.pem`'s certificates, each with its DER
/// SubjectPublicKeyInfo, signer first.
pub(crate) fn slip(certs: &[(&[u8], Vec<u8>)], message: &[u8], signature: &[u8]) -> SignatureSlip {
    for (i, (der, spki)) in certs.iter().enumerate().skip(1) {
        let der = rustls_pki_types::CertificateDer::from(*der);
        let Ok(ee) = EndEntityCert::try_from(&der) else {
            continue;
        };
        if matches!(verify(&ee, spki, message, signature), Checked::Verified(_)) {
            return SignatureSlip::SignerNotFirst { position: i + 1 };
        }
    }
    let rsa = certs.first().is_some_and(|(_, spki)| {
        SubjectPublicKeyInfo::from_der(spki)
            .is_ok_and(|(_, k)| k.algorithm.algorithm.to_id_string() == RSA_ENCRYPTION)
    });
    SignatureSlip::NoCertificateMatches {
        certificates: certs.len(),
        rsa,
    }
}

/// rsaEncryption, the SubjectPublicKeyInfo algorithm of an RSA key.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// The name of the signer's key type if its SubjectPublicKeyInfo names a real
/// signature algorithm that format 1 does not list; `None` for listed key
/// types and for anything unknown (which then fails as invalid).
fn unlisted_key(spki: &[u8]) -> Option<&'static str> {
    let (_, key) = SubjectPublicKeyInfo::from_der(spki).ok()?;
    let alg = &key.algorithm;
    let oid = alg.algorithm.to_id_string();
    if oid == EC_PUBLIC_KEY {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| Oid::try_from(p).ok())?
            .to_id_string();
        return UNLISTED_CURVES
            .iter()
            .find(|(id, _)| *id == curve)
            .map(|(_, name)| *name);
    }
    UNLISTED_KEYS
        .iter()
        .find(|(id, _)| *id == oid)
        .map(|(_, name)| *name)
}

/// A private key found in a file that should hold none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrivateKeyFound {
    /// A PEM block with this label (`EC PRIVATE KEY`, ...), shown when it is
    /// short and only ASCII letters, digits, spaces and hyphens. Never key
    /// material.
    Pem(Option<String>),
    /// A DER PKCS#8, PKCS#1 or SEC1 private key.
    Der,
}

impl std::fmt::Display for PrivateKeyFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pem(Some(l)) => write!(f, "a \"-----BEGIN {l}-----\" block"),
            Self::Pem(None) => f.write_str("a PEM private-key block"),
            Self::Der => f.write_str("a DER private key"),
        }
    }
}

/// Whether a certificate file (a package's `.pem`, or a trust input) holds a
/// private key: a PEM private-key block ([`pem_private_key`]), or, when it
/// has no PEM block at all, a DER PKCS#8, PKCS#1 or SEC1 key (never
/// mistaken for a DER certificate, whose first field is a SEQUENCE).
pub(crate) fn private_key_in(bytes: &[u8]) -> Option<PrivateKeyFound> {
    if let Some(found) = pem_private_key(bytes) {
        return Some(found);
    }
    let pem = find(bytes, b"-----BEGIN").is_some();
    (!pem && rustls_pki_types::PrivateKeyDer::try_from(bytes).is_ok())
        .then_some(PrivateKeyFound::Der)
}

/// A PEM block in `bytes` whose BEGIN line names a private key (`PRIVATE
/// KEY`, `ENCRYPTED PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`,
/// `OPENSSH PRIVATE KEY`, ..., in any case). Unlike the DER test this cannot
/// fire by chance on random bytes, so it also suits a `.sig`.
pub(crate) fn pem_private_key(bytes: &[u8]) -> Option<PrivateKeyFound> {
    const BEGIN: &[u8] = b"-----BEGIN";
    let mut rest = bytes;
    while let Some(at) = find(rest, BEGIN) {
        let after = rest.get(at + BEGIN.len()..).unwrap_or_default();
        // A BEGIN line is short; looking further would make a file of
        // repeated BEGINs quadratic.
        let head = after.get(..after.len().min(128)).unwrap_or_default();
        let line_len = head
            .iter()
            .position(|b| *b == b'\n' || *b == b'\r')
            .unwrap_or(head.len());
        let line = head.get(..line_len).unwrap_or_default();
        if find(&line.to_ascii_uppercase(), b"PRIVATE KEY").is_some() {
            let label = std::str::from_utf8(line)
                .ok()
                .map(|l| l.trim().trim_end_matches('-').trim())
                .filter(|l| {
                    l.len() <= 40
                        && l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
                })
                .map(str::to_owned);
            return Some(PrivateKeyFound::Pem(label));
        }
        rest = after;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A private key for signing manifests (the vendor side).
pub struct SigningKey {
    inner: KeyInner,
    rng: SystemRandom,
}

enum KeyInner {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    /// The key and whether it signs with PSS (else PKCS#1 v1.5).
    Rsa(RsaKeyPair, bool),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 private key in PEM (`-----BEGIN PRIVATE KEY-----`), as
    /// `openssl genpkey` writes it. RSA keys sign with PKCS#1 v1.5 unless
    /// [`SigningKey::rsa_pss`] is called.
    ///
    /// # Errors
    /// [`BuildError::Key`] if the PEM has no PKCS#8 key or the key type is not supported.
    pub fn from_pkcs8_pem(pem: &[u8]) -> Result<Self, BuildError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem).map_err(|e| {
            // Say what the file holds instead, and how to convert it.
            let text = String::from_utf8_lossy(pem);
            let convert = "convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem`";
            let why = if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
                format!("the key is encrypted (PKCS#8 with a passphrase); decrypt it: {convert} (it asks for the passphrase)")
            } else if text.contains("-----BEGIN EC PRIVATE KEY-----") {
                format!("the key is in SEC1 form (BEGIN EC PRIVATE KEY), not PKCS#8; {convert}")
            } else if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
                format!("the key is in PKCS#1 form (BEGIN RSA PRIVATE KEY), not PKCS#8; {convert}")
            } else if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
                "the key is in OpenSSH form; export it as PKCS#8 (ssh-keygen -p -m PKCS8 -f KEY)".into()
            } else {
                crate::error::pem_problem(&e)
            };
            BuildError::Key(KeyProblem::NotPkcs8(why))
        })?;
        Self::from_pkcs8_der(der.secret_pkcs8_der())
    }

    /// Reads a PKCS#8 private key in DER.
    ///
    /// # Errors
    /// [`BuildError::Key`] if the key is not ECDSA P-256/P-384, Ed25519 or RSA.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, BuildError> {
        let rng = SystemRandom::new();
        let inner = if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
        {
            KeyInner::Ecdsa(k)
        } else if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_ASN1_SIGNING, der, &rng)
        {
            KeyInner::Ecdsa(k)
        } else if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            KeyInner::Ed25519(k)
        } else if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            KeyInner::Rsa(k, false)
        } else {
            return Err(BuildError::Key(KeyProblem::Unsupported));
        };
        Ok(Self { inner, rng })
    }

    /// For an RSA key: sign with PSS (SHA-256, MGF1-SHA-256, 32-byte salt) instead of PKCS#1 v1.5.
    #[must_use]
    pub fn rsa_pss(mut self) -> Self {
        if let KeyInner::Rsa(_, pss) = &mut self.inner {
            *pss = true;
        }
        self
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match &self.inner {
            KeyInner::Ecdsa(k) => {
                if k.public_key().as_ref().len() == 65 {
                    Algorithm::EcdsaP256Sha256
                } else {
                    Algorithm::EcdsaP384Sha384
                }
            }
            KeyInner::Ed25519(_) => Algorithm::Ed25519,
            KeyInner::Rsa(_, true) => Algorithm::RsaPssSha256,
            KeyInner::Rsa(_, false) => Algorithm::RsaPkcs1Sha256,
        }
    }

    /// Signs `message` (the exact bytes of `manifest.json`).
    ///
    /// # Errors
    /// [`BuildError::Sign`] if the crypto library refuses (it does not for valid keys).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, BuildError> {
        let failed = || BuildError::Sign(self.algorithm().name().into());
        match &self.inner {
            KeyInner::Ecdsa(k) => k
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed()),
            KeyInner::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            KeyInner::Rsa(k, pss) => {
                let encoding: &dyn sig::RsaEncoding = if *pss {
                    &sig::RSA_PSS_SHA256
                } else {
                    &sig::RSA_PKCS1_SHA256
                };
                let mut out = vec![0; k.public().modulus_len()];
                k.sign(encoding, &self.rng, message, &mut out)
                    .map_err(|_| failed())?;
                Ok(out)
            }
        }
    }
}
