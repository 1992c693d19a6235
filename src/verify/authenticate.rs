//! Authentication: every signature over the manifest's exact bytes, each
//! signer's chain to the trust store under the policy, and the decision
//! (at least one trusted, none invalid, the threshold met). The manifest's
//! JSON is parsed only once a trusted signature covers its bytes.

use crate::error::Error;
use crate::manifest::Manifest;
use crate::outcome::{Problem, Rejection, SignatureReport, SignatureStatus, VerifiedPackage};
use crate::signature::{self, Checked, Unlisted};
use crate::trust::{self, CertInfo};

use super::Verifier;

impl Verifier {
    /// Checks every signature over `manifest` and decides: at least one trusted,
    /// none invalid. On success the manifest is parsed (only now).
    pub(crate) fn authenticate(
        &self,
        manifest: &[u8],
        pairs: &[(String, Vec<u8>, Vec<u8>)],
    ) -> Result<Authenticated, Rejection> {
        // One budget for the package's certificate work (crate::work).
        let work = crate::work::Work::new();
        let outcomes: Vec<(SignatureReport, Option<Error>)> = pairs
            .iter()
            .map(|(name, sig, pem)| self.check_signature(&work, name, manifest, sig, pem))
            .collect();
        let signatures: Vec<SignatureReport> = outcomes.iter().map(|(r, _)| r.clone()).collect();
        let reject = |error: Error| Rejection::new(error, signatures.clone(), None, 0, 0);
        let mut invalid = None;
        let mut best_untrusted: Option<Error> = None;
        let mut trusted = false;
        // Distinct trusted signer keys, for the policy's threshold.
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for (report, _) in &outcomes {
            if report.status == SignatureStatus::Trusted {
                let key = report
                    .signer
                    .as_ref()
                    .map_or(report.name.as_str(), |s| s.public_key_sha256.as_str());
                if !keys.iter().any(|(k, _)| *k == key) {
                    keys.push((key, &report.name));
                }
            }
        }
        let threshold = (keys.len() < self.policy.required_signers()).then(|| {
            let mut detail: Vec<String> = keys
                .iter()
                .map(|(_, name)| format!("signature \"{name}\" trusted"))
                .collect();
            for (r, _) in &outcomes {
                match (&r.status, &r.problem) {
                    (SignatureStatus::Trusted, _) if !keys.iter().any(|(_, n)| *n == r.name) => {
                        detail.push(format!(
                            "signature \"{}\" trusted, but by the same key as another",
                            r.name
                        ))
                    }
                    (_, Some(p)) => detail.push(format!(
                        "signature \"{}\" does not count: [{}] {}",
                        r.name, p.kind, p.message
                    )),
                    _ => {}
                }
            }
            Error::ThresholdNotMet {
                required: self.policy.required_signers(),
                trusted: keys.len(),
                detail: if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", detail.join("; "))
                },
            }
        });
        let mut unsupported = Vec::new();
        for (report, error) in outcomes {
            match (report.status, error) {
                (SignatureStatus::Trusted, _) => trusted = true,
                (SignatureStatus::Invalid, Some(e)) => {
                    // A leaked signing key outranks every other fatal problem.
                    let leak = |e: &Error| matches!(e, Error::PrivateKeyInPackage { .. });
                    if invalid.as_ref().is_none_or(|i| leak(&e) && !leak(i)) {
                        invalid = Some(e);
                    }
                }
                // Never counts, never fatal; only when nothing else is left does it say why.
                (SignatureStatus::Unsupported, Some(e)) => {
                    if let Error::SignatureUnsupported { algorithm, .. } = e {
                        unsupported.push((report.name, algorithm));
                    }
                }
                (_, Some(e)) => {
                    if best_untrusted.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
                        best_untrusted = Some(e);
                    }
                }
                (_, None) => {}
            }
        }
        if let Some(e) = invalid {
            return Err(reject(e));
        }
        if !trusted {
            return Err(reject(match best_untrusted {
                Some(e) => e,
                None if !unsupported.is_empty() => Error::NoSupportedSignature {
                    signatures: unsupported,
                },
                None => Error::SignatureMissing { signature: None },
            }));
        }
        if let Some(e) = threshold {
            return Err(reject(e));
        }
        let manifest = Manifest::parse(manifest).map_err(reject)?;
        Ok(Authenticated {
            manifest,
            signatures,
        })
    }

    /// Checks one signature pair; returns its report and, unless trusted, why not.
    fn check_signature(
        &self,
        work: &crate::work::Work,
        name: &str,
        manifest: &[u8],
        sig: &[u8],
        pem: &[u8],
    ) -> (SignatureReport, Option<Error>) {
        let mut report = SignatureReport {
            name: name.to_owned(),
            status: SignatureStatus::Invalid,
            algorithm: None,
            signer: None,
            chain: Vec::new(),
            problem: None,
        };
        let invalid = |problem: String| Error::SignatureInvalid {
            signature: name.to_owned(),
            problem,
        };
        let result = (|| {
            // A signing key shipped with the package: refuse before anything
            // else is read from it, and never show its material.
            // (A .sig is random-looking bytes: only a PEM block counts there.)
            let found = [
                (".pem", signature::private_key_in(pem)),
                (".sig", signature::pem_private_key(sig)),
            ];
            for (entry, found) in found {
                if let Some(found) = found {
                    return Err(Error::PrivateKeyInPackage {
                        signature: name.to_owned(),
                        entry: format!("signatures/{name}{entry}"),
                        found: found.to_string(),
                    });
                }
            }
            let certs = trust::parse_certs(pem, &format!("signatures/{name}.pem"))
                .map_err(|e| invalid(e.to_string()))?;
            if certs.len() > self.limits.max_bundled_certificates {
                return Err(Error::LimitExceeded {
                    entry: Some(format!("signatures/{name}.pem")),
                    what: "certificates in one chain file",
                    limit: self.limits.max_bundled_certificates as u64,
                    actual: certs.len() as u64,
                });
            }
            for cert in &certs {
                let too_big = |what, limit: usize, actual: usize| Error::LimitExceeded {
                    entry: Some(format!("signatures/{name}.pem")),
                    what,
                    limit: limit as u64,
                    actual: actual as u64,
                };
                if cert.len() > self.limits.max_certificate_bytes {
                    return Err(too_big(
                        "bytes in one certificate",
                        self.limits.max_certificate_bytes,
                        cert.len(),
                    ));
                }
                let extensions = work.cert(cert).map_or(0, |c| c.extensions);
                if extensions > self.limits.max_certificate_extensions {
                    return Err(too_big(
                        "extensions in one certificate",
                        self.limits.max_certificate_extensions,
                        extensions,
                    ));
                }
            }
            let (signer, bundled) = certs
                .split_first()
                .ok_or_else(|| invalid("no certificate".into()))?;
            report.signer = CertInfo::from_der(signer);
            let ee = webpki::EndEntityCert::try_from(signer)
                .map_err(|e| invalid(format!("the signer certificate cannot be parsed ({e})")))?;
            let alg = match signature::verify(&ee, signer, manifest, sig) {
                Checked::Verified(alg) => alg,
                Checked::Invalid(problem) => return Err(invalid(problem.into())),
                // Not checked further: it cannot count, so its chain is not built.
                Checked::Unsupported(how) => {
                    report.status = SignatureStatus::Unsupported;
                    let (algorithm, problem) = match how {
                        Unlisted::Key(k) => (
                            k,
                            "the signer's key is of a type format 1 does not list, so the signature cannot be checked",
                        ),
                        Unlisted::Verified(a) => (
                            a,
                            "the bytes verify with this algorithm over the signer's key, but format 1 does not list it",
                        ),
                    };
                    return Err(Error::SignatureUnsupported {
                        signature: name.to_owned(),
                        algorithm: algorithm.into(),
                        problem: problem.into(),
                    });
                }
            };
            report.algorithm = Some(alg.name());
            report.status = SignatureStatus::Untrusted;
            let (offered, withheld) = if self.policy.uses_package_intermediates() {
                (bundled, 0)
            } else {
                (&[][..], bundled.len())
            };
            let options = self
                .policy
                .distrusted()
                .iter()
                .fold(crate::ChainOptions::code_signing(), |o, f| o.distrust(f.0));
            let options = self
                .policy
                .allowed_issuers()
                .iter()
                .fold(options, |o, f| o.allow_issuer(f.0))
                .usage(self.policy.required_usage());
            let chain = self
                .trust
                .validate_with(work, name, signer, offered, withheld, self.time, &options)?;
            self.policy.judge(name, alg, &chain)?;
            report.status = SignatureStatus::Trusted;
            report.chain = chain.subjects().to_vec();
            Ok(())
        })();
        match result {
            Ok(()) => (report, None),
            Err(e) => {
                report.problem = Some(Problem::from(&e));
                (report, Some(e))
            }
        }
    }
}

/// What authentication established: the parsed manifest and every signature's outcome.
pub(crate) struct Authenticated {
    pub(crate) manifest: Manifest,
    signatures: Vec<SignatureReport>,
}

impl Authenticated {
    /// A rejection after authentication: the package identity is known.
    pub(crate) fn reject(&self, error: Error, files: u64, bytes: u64) -> Rejection {
        Rejection::new(
            error,
            self.signatures.clone(),
            Some(self.manifest.package().clone()),
            files,
            bytes,
        )
    }

    pub(crate) fn into_verified(self, bytes: u64) -> VerifiedPackage {
        VerifiedPackage::new(self.manifest, self.signatures, bytes)
    }
}

/// How specific a chain failure is: the package's error is the most specific among its signatures.
fn rank(e: &Error) -> u8 {
    match e {
        Error::CertificateDistrusted { .. } => 7,
        Error::SignerNotAllowed { .. } => 6,
        Error::CertificateRevoked { .. } => 5,
        Error::CertificateExpired { .. } => 4,
        Error::CertificateNotYetValid { .. } => 3,
        Error::WrongKeyUsage { .. } => 2,
        _ => 1,
    }
}
