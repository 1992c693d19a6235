//! Chain validation: rustls-webpki builds and verifies the paths from the
//! end entity through the offered intermediates to the store's anchors, and
//! the checks of [`crate::chain`] run inside its path building. When no path
//! is accepted, webpki's verdict is translated here, in one place, into a
//! [`ChainError`] with the context an operator needs, found by a walk over
//! the same certificates by name and key identifier (never used to accept).

use std::rc::Rc;

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::EndEntityCert;

use crate::candidates::{self, Offered};
use crate::cert::Cert;
use crate::chain::{
    unreadable_name, ChainError, ChainOptions, IssuerMissing, NoPath, Origin, PathCheck, PathEnd,
    PathFailure, PathRole, RevocationPolicy, Usage, ValidatedChain, WebpkiError,
};
use crate::revocation::Rules;
use crate::trust::{Anchor, CrlExpiration, TrustStore};
use crate::work::Work;
use crate::x509::SIGNATURE_ALGORITHMS;

impl TrustStore {
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
    /// * the trust anchor, as the store's [`AnchorPolicy`](crate::AnchorPolicy)
    ///   says (by default valid at `time` and a CA certificate);
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
    /// Anchors outside their [`AnchorWindow`](crate::AnchorWindow) at `time`
    /// take no part.
    ///
    /// # Errors
    /// A [`ChainError`]: the most specific cause ([`ChainError::rank`]) among
    /// every path refused.
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
                return Err(ChainError::UsageMissing {
                    certificate: unreadable_name(),
                    usage: options.usage,
                    listed: None,
                });
            };
            if !c.lists_eku(options.usage.eku_name()) {
                return Err(ChainError::UsageMissing {
                    certificate: c.subject.clone(),
                    usage: options.usage,
                    listed: c.eku.clone(),
                });
            }
            if !c.digital_signature() {
                return Err(ChainError::SigningNotAllowed {
                    certificate: c.subject.clone(),
                });
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
                            work.cert(c)
                                .map_or_else(unreadable_name, |c| c.subject.clone())
                        }
                    })
                    .collect();
                Ok(ValidatedChain::new(certificates, subjects, check.accepted_notes()))
            }
            Err(e) => {
                let walk = Walk::new(
                    work,
                    self,
                    end_entity,
                    intermediates,
                    options.withheld,
                    time,
                );
                Err(check.into_error(walk.cause(e, options.usage, time)))
            }
        }
    }
}

/// One certificate as the diagnostic walk sees it: what was read of it, and
/// where it came from.
struct Link {
    cert: Rc<Cert>,
    origin: Origin,
}

impl Link {
    fn read(work: &Work, der: &[u8], origin: Origin) -> Option<Self> {
        work.cert(der).map(|cert| Self { cert, origin })
    }

    /// Whether `self` could have issued `child`: names match, and key ids too where both are given.
    fn issued(&self, child: &Link) -> bool {
        self.cert.subject_raw == child.cert.issuer_raw && self.key_matches(child)
    }

    fn key_matches(&self, child: &Link) -> bool {
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
    path: Vec<Link>,
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
    /// The walk ended at an anchor the policy does not trust at this time.
    outside_window: Option<PathEnd>,
}

impl Walk {
    fn new<C: AsRef<[u8]>>(
        work: &Work,
        store: &TrustStore,
        signer: &[u8],
        bundled: &[C],
        withheld: usize,
        time: UnixTime,
    ) -> Self {
        let mut pool: Vec<Link> = bundled
            .iter()
            .filter_map(|c| Link::read(work, c.as_ref(), Origin::Package))
            .chain(
                store
                    .intermediates
                    .iter()
                    .filter_map(|c| Link::read(work, c, Origin::Store)),
            )
            .collect();
        let (active, inactive): (Vec<&Anchor>, Vec<&Anchor>) =
            store.anchors.iter().partition(|a| a.window.contains(time));
        let anchors: Vec<Link> = active
            .iter()
            .filter_map(|a| Link::read(work, &a.cert, Origin::Anchor))
            .collect();
        let inactive: Vec<(Link, &Anchor)> = inactive
            .into_iter()
            .filter_map(|a| Link::read(work, &a.cert, Origin::Anchor).map(|n| (n, a)))
            .collect();
        let mut walk = Self {
            path: Link::read(work, signer, Origin::Signer)
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
                walk.outside_window = Some(PathEnd::AnchorOutsideWindow {
                    label: anchor.label.clone(),
                    subject: node.cert.subject.clone(),
                    window: anchor.window,
                    at: time,
                });
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

    /// The first certificate on the walk `pred` holds for, with its role.
    fn find(&self, pred: impl Fn(&Cert) -> bool) -> Option<(String, PathRole)> {
        self.path.iter().find(|n| pred(&n.cert)).map(|n| {
            let role = match n.origin {
                Origin::Signer => PathRole::EndEntity,
                Origin::Anchor => PathRole::Anchor,
                Origin::Package | Origin::Store => PathRole::Intermediate,
            };
            (n.cert.subject.clone(), role)
        })
    }

    fn subjects(&self) -> Vec<String> {
        self.path.iter().map(|n| n.cert.subject.clone()).collect()
    }

    fn signer(&self) -> String {
        self.path
            .first()
            .map_or_else(unreadable_name, |n| n.cert.subject.clone())
    }

    /// Why no path reached an anchor, as far as names and key ids tell.
    fn no_path(&self) -> ChainError {
        let end = match self.path.last() {
            None => PathEnd::Unreadable,
            Some(_) if self.reached_anchor => PathEnd::SignatureDoesNotVerify,
            Some(_) if self.outside_window.is_some() => {
                self.outside_window.clone().unwrap_or(PathEnd::Unreadable)
            }
            Some(last) => PathEnd::IssuerMissing(IssuerMissing {
                certificate: last.cert.subject.clone(),
                issuer: last.cert.issuer.clone(),
                authority_key_id: last.cert.aki.as_ref().and_then(|a| a.key_id.clone()),
                bundled: self.offered_package,
                withheld: self.withheld,
                store: self.offered_store,
                other_keys: self.other_keys.clone(),
                offered: self.offered.clone(),
                rotation_hint: last.origin != Origin::Anchor,
            }),
        };
        ChainError::NoPath(Box::new(NoPath {
            path: self.subjects(),
            end,
        }))
    }

    /// The one translation of rustls-webpki's verdict into a [`ChainError`].
    fn cause(&self, err: webpki::Error, usage: Usage, time: UnixTime) -> ChainError {
        let signer = || (self.signer(), PathRole::EndEntity);
        #[allow(deprecated)]
        match err {
            webpki::Error::CertExpired { not_after, .. } => {
                let secs = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
                let (certificate, role) = self.find(|c| c.not_after == secs).unwrap_or_else(signer);
                ChainError::Expired {
                    certificate,
                    role,
                    not_after,
                    at: time,
                }
            }
            webpki::Error::CertNotValidYet { not_before, .. } => {
                let secs = i64::try_from(not_before.as_secs()).unwrap_or(i64::MAX);
                let (certificate, role) =
                    self.find(|c| c.not_before == secs).unwrap_or_else(signer);
                ChainError::NotYetValid {
                    certificate,
                    role,
                    not_before,
                    at: time,
                }
            }
            webpki::Error::RequiredEkuNotFound
            | webpki::Error::RequiredEkuNotFoundContext(_)
            | webpki::Error::EmptyEkuExtension => {
                // The signer if it lacks the usage (a signer must list it), else the
                // first CA above it that restricts its EKUs without allowing it.
                let wanted = usage.eku_name();
                let culprit =
                    self.path.iter().enumerate().find(|(i, n)| {
                        !n.cert.lists_eku(wanted) && (*i == 0 || n.cert.eku.is_some())
                    });
                match culprit {
                    Some((_, n)) => ChainError::UsageMissing {
                        certificate: n.cert.subject.clone(),
                        usage,
                        listed: n.cert.eku.clone(),
                    },
                    None => ChainError::UsageMissing {
                        certificate: self.signer(),
                        usage,
                        listed: None,
                    },
                }
            }
            webpki::Error::CaUsedAsEndEntity => ChainError::CaAsEndEntity {
                certificate: self.signer(),
            },
            // Both mean no issuer with a matching key was found for some certificate.
            webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey => {
                self.no_path()
            }
            webpki::Error::MaximumSignatureChecksExceeded => {
                ChainError::WorkExceeded(crate::work::SIGNER_CHECKS)
            }
            other => ChainError::Invalid {
                reason: match other {
                    webpki::Error::EndEntityUsedAsCa => PathFailure::IssuerNotCa,
                    webpki::Error::MaximumPathDepthExceeded
                    | webpki::Error::MaximumPathBuildCallsExceeded => PathFailure::GaveUp,
                    webpki::Error::PathLenConstraintViolated => PathFailure::PathLength,
                    webpki::Error::NameConstraintViolation => PathFailure::NameConstraints,
                    webpki::Error::CertDistrusted => PathFailure::KeyDistrusted,
                    webpki::Error::UnsupportedSignatureAlgorithm
                    | webpki::Error::UnsupportedSignatureAlgorithmContext(_)
                    | webpki::Error::UnsupportedSignatureAlgorithmForPublicKey
                    | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                        PathFailure::UnsupportedAlgorithm
                    }
                    other => PathFailure::Other(WebpkiError(other)),
                },
                path: self.subjects(),
            },
        }
    }
}
