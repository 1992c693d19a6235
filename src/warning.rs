//! Warnings: what weakens a verification without failing it, each with a
//! stable code. An operator reads them; a pipeline can deny them
//! ([`Verifier::deny_warnings`](crate::Verifier::deny_warnings)).

use rustls_pki_types::UnixTime;

use crate::time::format_unix;

/// Something that weakens a verification without failing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// A trust anchor is not a self-signed CA certificate: a leaf, an
    /// intermediate or a cross-signed certificate given as a root is trusted
    /// as one, bypassing every decision above it (an anchor's deadline, a
    /// revocation by its issuer).
    #[error("trust anchor \"{anchor}\" (\"{subject}\") is {why}; it is trusted as if it were a root, bypassing every decision above it (such as the old root's deadline or a revocation by its issuer): give the self-signed root as --root, and this certificate as --intermediates")]
    AnchorNotRoot {
        /// Its name (policy) or file.
        anchor: String,
        /// Its subject.
        subject: String,
        /// "not a CA certificate", "not self-signed", or both.
        why: &'static str,
    },
    /// Revocation was not checked for a certificate on the path: no CRL
    /// from its issuer is in the trust store.
    #[error("signature \"{signature}\": revocation was not checked for {}: the trust store has no CRL from {} (give the vendor's CRLs with --crl or the policy's crls)", quoted(certificates), if certificates.len() == 1 { "its issuer" } else { "their issuers" })]
    RevocationUnchecked {
        /// The signature.
        signature: String,
        /// The subjects of the certificates not checked, signer first.
        certificates: Vec<String>,
    },
    /// A CRL past its nextUpdate was used (`crl_expiration = "ignore"`):
    /// revocations since then are not seen.
    #[error("signature \"{signature}\": the CRL covering \"{certificate}\" expired at {} and was used anyway (crl_expiration = \"ignore\"): a revocation since then would not be seen; fetch a current CRL", format_unix(*next_update))]
    StaleCrl {
        /// The signature.
        signature: String,
        /// The certificate it covered.
        certificate: String,
        /// The CRL's nextUpdate.
        next_update: UnixTime,
    },
    /// The trust window of the anchor the path ends at closes soon.
    #[error("trust anchor \"{anchor}\": trust in it ends at {} (the trust policy's not_after), {days} day(s) after the verification time: install the vendor's new root before then", format_unix(*not_after))]
    AnchorWindowEnding {
        /// Its name (policy) or file.
        anchor: String,
        /// The end of its window.
        not_after: UnixTime,
        /// Whole days left.
        days: u64,
    },
    /// A certificate on the path expires soon (and no trusted timestamp
    /// keeps the signature valid past it).
    #[error("signature \"{signature}\": certificate \"{certificate}\" expires at {}, {days} day(s) after the verification time; packages it signs will then be rejected unless timestamped", format_unix(*not_after))]
    CertificateExpiring {
        /// The signature.
        signature: String,
        /// The certificate's subject.
        certificate: String,
        /// Its notAfter.
        not_after: UnixTime,
        /// Whole days left.
        days: u64,
    },
}

impl Warning {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AnchorNotRoot { .. } => "anchor_not_root",
            Self::RevocationUnchecked { .. } => "revocation_unchecked",
            Self::StaleCrl { .. } => "crl_stale",
            Self::AnchorWindowEnding { .. } => "anchor_window_ending",
            Self::CertificateExpiring { .. } => "certificate_expiring",
        }
    }
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
