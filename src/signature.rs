//! Detached signatures over `manifest.json`: checking them (the algorithm
//! follows the signer's key) and making them (for the package writer).

use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;
use webpki::EndEntityCert;

use crate::error::Error;

/// The signature algorithms format 1 accepts, each tied to one key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256, DER-encoded signature.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384, DER-encoded signature.
    EcdsaP384Sha384,
    /// Ed25519 over the raw manifest bytes.
    Ed25519,
    /// RSA (2048 to 8192 bits) PKCS#1 v1.5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSA (2048 to 8192 bits) PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    RsaPssSha256,
}

impl Algorithm {
    /// A stable name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Self::Ed25519 => "ed25519",
            Self::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Self::RsaPssSha256 => "rsa-pss-sha256",
        }
    }
}

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

/// Checks `signature` over `message` with the signer's key; returns the algorithm that verified.
///
/// On failure returns why: the key type is not one format 1 accepts, or the bytes do not verify.
pub(crate) fn verify(
    signer: &EndEntityCert<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<Algorithm, &'static str> {
    let mut key_supported = false;
    for (alg, verifier) in CANDIDATES {
        match signer.verify_signature(verifier, message, signature) {
            Ok(()) => return Ok(alg),
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => {}
            #[allow(deprecated)]
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKey) => {}
            Err(_) => key_supported = true,
        }
    }
    Err(if key_supported {
        "the signature does not verify against the signer certificate's key"
    } else {
        "the signer's key type or size is not one format 1 accepts (ECDSA P-256/P-384, Ed25519, RSA 2048-8192)"
    })
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
    /// [`Error::TrustInput`] if the PEM has no PKCS#8 key or the key type is not supported.
    pub fn from_pkcs8_pem(pem: &[u8]) -> Result<Self, Error> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem).map_err(|e| Error::TrustInput {
            source_name: "private key".into(),
            problem: format!("no PKCS#8 private key in PEM: {e}"),
        })?;
        Self::from_pkcs8_der(der.secret_pkcs8_der())
    }

    /// Reads a PKCS#8 private key in DER.
    ///
    /// # Errors
    /// [`Error::TrustInput`] if the key is not ECDSA P-256/P-384, Ed25519 or RSA.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
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
            return Err(Error::TrustInput {
                source_name: "private key".into(),
                problem: "not an ECDSA P-256/P-384, Ed25519 or RSA PKCS#8 key".into(),
            });
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
    /// [`Error::SignatureInvalid`] if the crypto library refuses (it does not for valid keys).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = || Error::SignatureInvalid {
            signature: "(signing)".into(),
            problem: "the key could not sign".into(),
        };
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
