//! The signature algorithms format 1 accepts, by name: a value the trust
//! policy, the causes of a rejection and the report share.

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
