//! Trusted timestamps (RFC 3161): a token from a time-stamping authority
//! (TSA) that the signature `signatures/NAME.sig` existed at a time, so that
//! its signer can be judged at that time rather than now.
//!
//! A token is first checked for soundness (`token` reads it; here: its
//! imprint is over the `.sig`'s exact bytes, its message digest over its
//! TSTInfo, its signer found by the SignerInfo's identifier, the ESS
//! signing-certificate attribute naming that certificate, its signature over
//! the signed attributes' original DER). An unsound token is tampering
//! ([`TokenProblem`]). A sound one is then trusted or not
//! ([`TimestampProblem`]): its TSA certificate must have a critical extended
//! key usage of exactly timeStamping and chain to an anchor of the separate
//! TSA trust store at the timestamp's time, and the time must not be later
//! than the verification time.

mod token;

use rustls_pki_types::UnixTime;
use webpki::EndEntityCert;

use crate::cert::{serial_key, CertInfo};
use crate::chain::{ChainOptions, Usage};
use crate::error::{TimestampProblem, TokenProblem};
use crate::limits::Limits;
use crate::trust::TrustStore;
use crate::work::Work;

/// Whether a sound timestamp is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampStatus {
    /// Its TSA is trusted at its time: the signer is judged at that time.
    Trusted,
    /// Sound, but not trusted (see the problem): the signer is judged at the
    /// verification time, as without a timestamp.
    Untrusted,
}

impl TimestampStatus {
    /// `trusted` or `untrusted`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Untrusted => "untrusted",
        }
    }
}

/// A signature's timestamp, as verification found it.
#[derive(Debug, Clone)]
pub struct Timestamp {
    /// Trusted or not.
    pub status: TimestampStatus,
    /// The time the TSA asserts (genTime, whole seconds).
    pub time: UnixTime,
    /// Microseconds past `time` (genTime's fraction).
    pub micros: u32,
    /// Its accuracy, in microseconds (0 when the token gives none).
    pub accuracy_micros: u64,
    /// The TSA's certificate.
    pub tsa: Option<CertInfo>,
    /// Subjects from the TSA certificate up to its anchor (trusted only).
    pub chain: Vec<String>,
    /// Why it is not trusted.
    pub problem: Option<TimestampProblem>,
}

impl Timestamp {
    /// The earliest and latest whole seconds the signature may have been
    /// made at: the time, widened by the accuracy at both ends.
    pub fn window(&self) -> (UnixTime, UnixTime) {
        let at = u128::from(self.time.as_secs()) * 1_000_000 + u128::from(self.micros);
        let accuracy = u128::from(self.accuracy_micros);
        let low = at.saturating_sub(accuracy) / 1_000_000;
        let high = (at + accuracy).div_ceil(1_000_000);
        let secs = |v: u128| {
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                u64::try_from(v).unwrap_or(u64::MAX),
            ))
        };
        (secs(low), secs(high))
    }
}

impl Timestamp {
    /// Checks a DER RFC 3161 TimeStampToken `token` over `data` (the bytes
    /// whose digest it must carry: a package's `.sig`, or any other
    /// client's signature value) against the time-stamping authorities of
    /// `tsa` at verification time `now`, as a package's `.tst` is checked.
    ///
    /// # Errors
    /// The [`TokenProblem`] of a token that is not sound; a sound token that
    /// is not trusted is `Ok`, with its problem.
    pub fn check(
        token: &[u8],
        data: &[u8],
        tsa: &TrustStore,
        now: UnixTime,
    ) -> Result<Self, TokenProblem> {
        check(&Work::new(), token, data, tsa, now, &Limits::default())
    }
}

/// Checks the token `der` over `signature` (the `.sig`'s exact bytes):
/// `Err` if it is not sound; else the timestamp, trusted or not, by `tsa`
/// at `now`.
pub(crate) fn check(
    work: &Work,
    der: &[u8],
    signature: &[u8],
    tsa: &TrustStore,
    now: UnixTime,
    limits: &Limits,
) -> Result<Timestamp, TokenProblem> {
    let t = token::read(der)?;
    if t.certificates.len() > limits.max_bundled_certificates {
        return Err(TokenProblem::Limit(format!(
            "{} certificates, at most {}",
            t.certificates.len(),
            limits.max_bundled_certificates
        )));
    }
    if let Some(big) = t
        .certificates
        .iter()
        .find(|c| c.len() > limits.max_certificate_bytes)
    {
        return Err(TokenProblem::Limit(format!(
            "a certificate of {} bytes, at most {}",
            big.len(),
            limits.max_certificate_bytes
        )));
    }
    if t.info.imprint_digest.digest(signature) != t.info.imprint {
        return Err(TokenProblem::ImprintMismatch(t.info.imprint_digest.name()));
    }
    if t.digest.digest(t.content) != t.message_digest {
        return Err(TokenProblem::MessageDigestMismatch);
    }
    // The signer by the SignerInfo's identifier: never the first certificate.
    let candidates = t
        .certificates
        .iter()
        .copied()
        .chain(tsa.intermediates.iter().map(|c| c.as_ref()));
    let mut signer = None;
    for der in candidates {
        let Some(cert) = work.cert(der) else { continue };
        let named = match &t.signer {
            token::SignerId::IssuerSerial { issuer, serial } => {
                cert.issuer_raw == *issuer && serial_key(&cert.serial) == serial_key(serial)
            }
            token::SignerId::KeyId(id) => cert.ski.as_ref().is_some_and(|(_, k)| k == id),
        };
        if named {
            signer = Some((der, cert));
            break;
        }
    }
    let (cert_der, cert) = signer.ok_or(TokenProblem::SignerCertificateMissing)?;
    // The ESS attribute binds the signature to this certificate (RFC 5035).
    let ess = &t.ess;
    let names_it = ess.digest.digest(cert_der) == ess.hash
        && ess.issuer_serial.is_none_or(|(issuer, serial)| {
            serial_key(serial) == serial_key(&cert.serial)
                && issuer.is_none_or(|i| i == cert.issuer_raw.as_slice())
        });
    if !names_it {
        return Err(TokenProblem::SigningCertificateMismatch);
    }

    let mut stamp = Timestamp {
        status: TimestampStatus::Untrusted,
        time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(t.info.seconds)),
        micros: t.info.micros,
        accuracy_micros: t.info.accuracy_micros,
        tsa: Some(CertInfo::from(&*cert)),
        chain: Vec::new(),
        problem: None,
    };
    let cert_der_ref = rustls_pki_types::CertificateDer::from(cert_der);
    let ee = EndEntityCert::try_from(&cert_der_ref).map_err(|_| TokenProblem::DoesNotVerify)?;
    let Some(algorithms) = algorithms(&t.signature_algorithm, t.digest) else {
        stamp.problem = Some(TimestampProblem::UnsupportedAlgorithm(
            t.signature_algorithm.clone(),
        ));
        return Ok(stamp);
    };
    let verified = algorithms.iter().any(|alg| {
        ee.verify_signature(*alg, &t.signed_attributes, t.signature)
            .is_ok()
    });
    if !verified {
        return Err(TokenProblem::DoesNotVerify);
    }

    // Sound. Trusted?
    match trust(work, &stamp, cert_der, &cert, &t.certificates, tsa, now) {
        Ok(chain) => {
            stamp.chain = chain;
            stamp.status = TimestampStatus::Trusted;
        }
        Err(problem) => stamp.problem = Some(problem),
    }
    Ok(stamp)
}

/// Whether the sound timestamp `stamp`, signed by `cert`, is trusted: the
/// subjects of its TSA's chain if it is.
fn trust(
    work: &Work,
    stamp: &Timestamp,
    cert_der: &[u8],
    cert: &crate::cert::Cert,
    bundled: &[&[u8]],
    tsa: &TrustStore,
    now: UnixTime,
) -> Result<Vec<String>, TimestampProblem> {
    if tsa.anchors.is_empty() {
        return Err(TimestampProblem::NoTsaTrust);
    }
    if stamp.time > now {
        return Err(TimestampProblem::AfterVerificationTime {
            time: stamp.time,
            at: now,
        });
    }
    let exact = cert.eku.as_deref() == Some(&["timeStamping".to_owned()][..]);
    if !exact || !cert.eku_critical {
        let found = match &cert.eku {
            None => "no extended key usage".to_owned(),
            Some(list) => format!(
                "a{} extended key usage of {}",
                if cert.eku_critical {
                    " critical"
                } else {
                    " non-critical"
                },
                if list.is_empty() {
                    "nothing".to_owned()
                } else {
                    list.join(", ")
                }
            ),
        };
        return Err(TimestampProblem::KeyUsage {
            certificate: cert.subject.clone(),
            found,
        });
    }
    let mut options = ChainOptions::default()
        .usage(Usage::TimeStamping)
        .for_signer();
    // CRL freshness is judged now, whatever the time judged.
    options.crl_time = Some(now);
    tsa.validate_in(work, cert_der, bundled, stamp.time, &options)
        .map(|chain| chain.subjects().to_vec())
        .map_err(|e| TimestampProblem::Chain(Box::new(e)))
}

/// The verification algorithms for a SignerInfo's signature algorithm and
/// digest; `None` if pkgverify does not verify it.
fn algorithms(
    signature: &str,
    digest: token::Digest,
) -> Option<Vec<&'static dyn rustls_pki_types::SignatureVerificationAlgorithm>> {
    use token::Digest as D;
    use webpki::ring as w;
    let rsa = |d| match d {
        D::Sha256 => Some(w::RSA_PKCS1_2048_8192_SHA256),
        D::Sha384 => Some(w::RSA_PKCS1_2048_8192_SHA384),
        D::Sha512 => Some(w::RSA_PKCS1_2048_8192_SHA512),
        D::Sha1 => None,
    };
    Some(match signature {
        // rsaEncryption with the SignerInfo's digest, as RSA TSAs write it.
        "1.2.840.113549.1.1.1" => vec![rsa(digest)?],
        "1.2.840.113549.1.1.11" => vec![rsa(D::Sha256)?],
        "1.2.840.113549.1.1.12" => vec![rsa(D::Sha384)?],
        "1.2.840.113549.1.1.13" => vec![rsa(D::Sha512)?],
        "1.2.840.113549.1.1.10" => vec![
            w::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            w::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            w::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        ],
        "1.2.840.10045.4.3.2" => vec![w::ECDSA_P256_SHA256, w::ECDSA_P384_SHA256],
        "1.2.840.10045.4.3.3" => vec![w::ECDSA_P256_SHA384, w::ECDSA_P384_SHA384],
        "1.3.101.112" => vec![w::ED25519],
        _ => return None,
    })
}
