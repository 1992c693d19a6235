//! Authentication: every signature over the manifest's exact bytes, each
//! signer's chain to the trust store under the policy, and the decision
//! (at least one trusted, none invalid, the threshold met). The manifest's
//! JSON is parsed only once a trusted signature covers its bytes.

use sha2::Digest;
use webpki::EndEntityCert;

use crate::cert::{CertInfo, Fingerprint};
use crate::chain::{
    unreadable_name, ChainError, ChainOptions, ChainProblem, PathRole, WebpkiError,
};
use crate::error::{Counted, Error, LoadError, SignatureProblem};
use crate::manifest::Manifest;
use crate::outcome::{Rejection, SignatureOutcome, SignatureStatus, VerifiedPackage};
use crate::signature::{self, Checked, Unlisted};
use crate::timestamp::{self, TimestampStatus};
use crate::trust;
use crate::warning::Warning;
use crate::work::Work;

use super::warnings;
use super::Verifier;

impl Verifier {
    /// Checks every signature over `manifest` and decides: at least one trusted,
    /// none invalid, the policy's threshold met. On success the manifest is
    /// parsed (only now).
    pub(crate) fn authenticate(
        &self,
        manifest: &[u8],
        pairs: &[SignatureFiles],
    ) -> Result<Authenticated, Rejection> {
        // One budget for the package's certificate work (crate::work).
        let work = Work::new();
        let mut warnings = warnings::anchors(&work, &self.trust);
        let outcomes: Vec<SignatureOutcome> = pairs
            .iter()
            .map(|files| {
                let (outcome, found) = self.check_signature(&work, files, manifest);
                warnings.extend(found);
                outcome
            })
            .collect();
        let reject = |error: Error| Rejection::new(error, outcomes.clone(), None, 0, 0);
        let problem = |o: &SignatureOutcome| o.problem.clone();

        // A fatal signature fails the package, a leaked signing key first.
        let invalid: Vec<&SignatureOutcome> = outcomes
            .iter()
            .filter(|o| o.status == SignatureStatus::Invalid)
            .collect();
        let leak = invalid
            .iter()
            .find(|o| matches!(o.problem, Some(Error::PrivateKeyInPackage { .. })));
        if let Some(e) = leak.or(invalid.first()).and_then(|o| problem(o)) {
            return Err(reject(e));
        }

        if !outcomes
            .iter()
            .any(|o| o.status == SignatureStatus::Trusted)
        {
            // The most specific reason among the untrusted (one ranking:
            // ChainError::rank); unsupported ones say why only when nothing
            // else is left.
            let best = outcomes
                .iter()
                .filter(|o| o.status == SignatureStatus::Untrusted)
                .filter_map(|o| o.problem.as_ref())
                .fold(None::<&Error>, |best, e| match (best, e) {
                    (Some(b), e) if rank(e) <= rank(b) => Some(b),
                    (_, e) => Some(e),
                });
            let unsupported: Vec<(String, String)> = outcomes
                .iter()
                .filter_map(|o| match &o.problem {
                    Some(Error::SignatureUnsupported { algorithm, .. }) => {
                        Some((o.name.clone(), algorithm.clone()))
                    }
                    _ => None,
                })
                .collect();
            return Err(reject(match best {
                // The closest to acceptance: trusted but for a timestamp.
                Some(Error::TimestampMissing { .. }) => Error::TimestampMissing { signature: None },
                Some(e) => e.clone(),
                None if !unsupported.is_empty() => Error::NoSupportedSignature {
                    signatures: unsupported,
                },
                None => Error::SignatureMissing { signature: None },
            }));
        }

        // The threshold counts distinct keys of signers whose chains validated.
        let counted = count(&outcomes);
        let trusted = counted
            .iter()
            .filter(|(_, c)| matches!(c, Counted::Yes))
            .count();
        let required = self.policy.required_signers();
        if trusted < required {
            // The counted signatures first, then the others in order.
            let (yes, rest): (Vec<_>, Vec<_>) = counted
                .into_iter()
                .partition(|(_, c)| matches!(c, Counted::Yes));
            return Err(reject(Error::ThresholdNotMet {
                required,
                trusted,
                signatures: yes.into_iter().chain(rest).collect(),
            }));
        }
        let manifest_sha256 = sha2::Sha256::digest(manifest).into();
        let manifest = Manifest::parse(manifest).map_err(reject)?;
        let authenticated = Authenticated {
            manifest,
            manifest_sha256,
            signatures: outcomes,
            warnings,
        };
        // Which package this is, before any payload is read or written.
        self.policy
            .check_package(authenticated.manifest.package())
            .map_err(|e| authenticated.reject(e, 0, 0))?;
        if self.deny_warnings && !authenticated.warnings.is_empty() {
            let warnings = authenticated.warnings.clone();
            return Err(authenticated.reject(Error::WarningsDenied { warnings }, 0, 0));
        }
        Ok(authenticated)
    }

    /// Checks one signature pair: its outcome, with why it is not trusted.
    fn check_signature(
        &self,
        work: &Work,
        files: &SignatureFiles,
        manifest: &[u8],
    ) -> (SignatureOutcome, Vec<Warning>) {
        let mut warnings = Vec::new();
        let (name, sig, pem) = (files.name.as_str(), &files.sig[..], &files.pem[..]);
        let mut o = SignatureOutcome {
            name: name.to_owned(),
            status: SignatureStatus::Invalid,
            algorithm: None,
            signer: None,
            chain: Vec::new(),
            problem: None,
            timestamp: None,
            judged_at: self.time,
        };
        let invalid = |problem: SignatureProblem| Error::SignatureInvalid {
            signature: name.to_owned(),
            problem,
        };
        let entry = format!("signatures/{name}.pem");
        let result = (|| {
            // A signing key shipped with the package: refuse before anything
            // else is read from it, and never show its material.
            // (A .sig is random-looking bytes: only a PEM block counts there.)
            let found = [
                (".pem", signature::private_key_in(pem)),
                (".sig", signature::pem_private_key(sig)),
                (
                    ".tst",
                    files.tst.as_deref().and_then(signature::pem_private_key),
                ),
            ];
            for (ext, found) in found {
                if let Some(found) = found {
                    return Err(Error::PrivateKeyInPackage {
                        signature: name.to_owned(),
                        entry: format!("signatures/{name}{ext}"),
                        found: found.to_string(),
                    });
                }
            }
            let certs = trust::parse_certs(pem, &entry).map_err(|e| match e {
                LoadError::TrustInput { problem, .. } => invalid(SignatureProblem::Certificates {
                    entry: entry.clone(),
                    problem,
                }),
                _ => invalid(SignatureProblem::NoCertificate),
            })?;
            if certs.len() > self.limits.max_bundled_certificates {
                return Err(Error::LimitExceeded {
                    entry: Some(entry.clone()),
                    what: "certificates in one chain file",
                    limit: self.limits.max_bundled_certificates as u64,
                    actual: certs.len() as u64,
                });
            }
            for cert in &certs {
                let too_big = |what, limit: usize, actual: usize| Error::LimitExceeded {
                    entry: Some(entry.clone()),
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
                .ok_or_else(|| invalid(SignatureProblem::NoCertificate))?;
            let signer_cert = work.cert(signer);
            o.signer = signer_cert.as_deref().map(CertInfo::from);
            let subject = o
                .signer
                .as_ref()
                .map_or_else(unreadable_name, |s| s.subject.clone());
            let ee = EndEntityCert::try_from(signer)
                .map_err(|e| invalid(SignatureProblem::SignerUnparsable(WebpkiError(e))))?;
            let spki = signer_cert
                .as_ref()
                .map(|c| c.spki.clone())
                .unwrap_or_default();
            let alg = match signature::verify(&ee, &spki, manifest, sig) {
                Checked::Verified(alg) => alg,
                Checked::Invalid(SignatureProblem::DoesNotVerify { .. }) => {
                    let pairs: Vec<(&[u8], Vec<u8>)> = certs
                        .iter()
                        .map(|c| {
                            (
                                c.as_ref(),
                                work.cert(c).map(|c| c.spki.clone()).unwrap_or_default(),
                            )
                        })
                        .collect();
                    let slip = signature::slip(&pairs, manifest, sig);
                    return Err(invalid(SignatureProblem::DoesNotVerify {
                        slip: Some(slip),
                    }));
                }
                Checked::Invalid(problem) => return Err(invalid(problem)),
                // Not checked further: it cannot count, so its chain is not built.
                Checked::Unsupported(how) => {
                    o.status = SignatureStatus::Unsupported;
                    let (algorithm, by_key) = match how {
                        Unlisted::Key(k) => (k, true),
                        Unlisted::Verified(a) => (a, false),
                    };
                    return Err(Error::SignatureUnsupported {
                        signature: name.to_owned(),
                        algorithm: algorithm.into(),
                        by_key,
                    });
                }
            };
            o.algorithm = Some(alg);
            // Its timestamp: an unsound token is tampering; a sound one that
            // is not trusted leaves the signer judged now.
            if let Some(token) = &files.tst {
                let tsa = self.policy.tsa_trust();
                let stamp = timestamp::check(work, token, sig, tsa, self.time, &self.limits)
                    .map_err(|p| invalid(SignatureProblem::Timestamp(p)))?;
                o.timestamp = Some(stamp);
            }
            o.status = SignatureStatus::Untrusted;
            let untrusted = |cause| Error::untrusted(name, &subject, cause);
            let (offered, withheld) = if self.policy.uses_package_intermediates() {
                (bundled, 0)
            } else {
                (&[][..], bundled.len())
            };
            // The policy's distrust list and allowed issuers act inside path
            // building (crate::chain), so a path around them is found if one exists.
            let mut options = ChainOptions::code_signing().for_signer();
            options.withheld = withheld;
            for f in self.policy.distrusted() {
                options = options.distrust(*f);
            }
            for f in self.policy.allowed_issuers() {
                options = options.allow_issuer(*f);
            }
            // With a trusted timestamp, the chain (anchor windows included)
            // is judged at the timestamp's time, at both ends of its
            // accuracy; CRL freshness is judged now.
            let trusted_stamp = o
                .timestamp
                .as_ref()
                .filter(|t| t.status == TimestampStatus::Trusted);
            let times = match trusted_stamp {
                Some(t) => {
                    options.crl_time = Some(self.time);
                    let (low, high) = t.window();
                    o.judged_at = t.time;
                    if low == high {
                        vec![low]
                    } else {
                        vec![low, high]
                    }
                }
                None => vec![self.time],
            };
            let mut chain = None;
            for at in times {
                chain = Some(
                    self.trust
                        .validate_in(work, signer, offered, at, &options)
                        .map_err(untrusted)?,
                );
            }
            let Some(chain) = chain else {
                return Err(untrusted(ChainError::WorkExceeded(0)));
            };
            let Some(signer_cert) = signer_cert else {
                return Err(untrusted(ChainError::Rejected {
                    certificate: subject.clone(),
                    role: PathRole::EndEntity,
                    problem: ChainProblem::Unreadable,
                }));
            };
            self.policy.judge(alg, &signer_cert).map_err(untrusted)?;
            o.chain = chain.subjects().to_vec();
            if self.policy.requires_timestamp() && trusted_stamp.is_none() {
                return Err(Error::TimestampMissing {
                    signature: Some(name.to_owned()),
                });
            }
            o.status = SignatureStatus::Trusted;
            warnings = super::warnings::path(
                work,
                &self.trust,
                name,
                &chain,
                trusted_stamp.is_none(),
                self.time,
                self.warn_days,
            );
            Ok(())
        })();
        if let Err(e) = result {
            o.problem = Some(e);
        }
        (o, warnings)
    }
}

/// How specific a signer's rejection is: its cause's rank (the one ranking,
/// [`ChainError::rank`]); other errors rank below every cause.
fn rank(e: &Error) -> i16 {
    match e {
        // Trusted in every other respect: the most specific reason.
        Error::TimestampMissing { .. } => i16::MAX,
        Error::Untrusted { cause, .. } => i16::from(cause.rank()),
        _ => -1,
    }
}

/// One signature's files: `signatures/NAME.sig`, `.pem` and the optional `.tst`.
pub(crate) struct SignatureFiles {
    pub(crate) name: String,
    pub(crate) sig: Vec<u8>,
    pub(crate) pem: Vec<u8>,
    pub(crate) tst: Option<Vec<u8>>,
}

/// Whether each signature counts toward the threshold: trusted, by a key
/// (from its validated chain's signer) no earlier trusted signature used.
fn count(outcomes: &[SignatureOutcome]) -> Vec<(String, Counted)> {
    let mut keys: Vec<Fingerprint> = Vec::new();
    let mut out = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let counted = match (o.status, &o.signer, &o.problem) {
            (SignatureStatus::Trusted, Some(signer), _) => {
                if keys.contains(&signer.public_key_sha256) {
                    Counted::SameKey
                } else {
                    keys.push(signer.public_key_sha256);
                    Counted::Yes
                }
            }
            (_, _, Some(p)) => Counted::No(Box::new(p.clone())),
            _ => continue,
        };
        out.push((o.name.clone(), counted));
    }
    out
}

/// What authentication established: the parsed manifest and every signature's outcome.
pub(crate) struct Authenticated {
    pub(crate) manifest: Manifest,
    /// What weakened the decision.
    warnings: Vec<Warning>,
    /// SHA-256 of the signed manifest bytes.
    manifest_sha256: [u8; 32],
    signatures: Vec<SignatureOutcome>,
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
        VerifiedPackage::new(
            self.manifest,
            self.manifest_sha256,
            self.signatures,
            self.warnings,
            bytes,
        )
    }
}
