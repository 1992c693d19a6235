//! Revocation: pkgverify's own decision from the operator's CRLs, for each
//! certificate of a candidate path (RFC 5280 6.3, complete CRLs only).
//!
//! Every CRL in the store is kept; none displaces another. For a certificate
//! on a path, every CRL issued under the name of its issuer is considered:
//! * it is *authoritative* for the certificate when it verifies with the key
//!   of the issuer on that path (a CRL signed by another key, a re-keyed CA's
//!   or a forger's, is ignored) and that issuer may sign CRLs (cRLSign where
//!   it has a keyUsage, 6.3.3 (f));
//! * it is *in scope* when its issuingDistributionPoint admits the
//!   certificate (6.3.3 (b)(2): a distribution point name that one of the
//!   certificate's names matches; onlyContainsUserCerts / CACerts /
//!   AttributeCerts);
//! * the certificate is *revoked* when any authoritative, in-scope CRL lists
//!   its serial number (a certificateHold entry is lifted by a newer such CRL
//!   that omits it);
//! * otherwise its status is *known* when authoritative, in-scope, current
//!   CRLs (thisUpdate not after the verification time, nextUpdate not
//!   before it, with a CRL number) cover every revocation reason between
//!   them, and *unknown* when not. A certificate whose issuer has no CRL in
//!   the store at all is *unchecked*.
//!
//! Refused when loaded, with a message naming the feature: delta CRLs,
//! indirect CRLs, CRLs with an unknown critical extension or entry extension.

use std::collections::HashMap;

use rustls_pki_types::UnixTime;
use sha2::{Digest, Sha256};
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_X509_EXT_CRL_NUMBER, OID_X509_EXT_DELTA_CRL_INDICATOR, OID_X509_EXT_INVALIDITY_DATE,
    OID_X509_EXT_ISSUER, OID_X509_EXT_ISSUER_DISTRIBUTION_POINT, OID_X509_EXT_REASON_CODE,
};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::cert::{serial_key, Cert, DistributionPoint};
use crate::work::{Exhausted, Work};
use crate::x509::{name_rdns, IssuingDistributionPoint, NameKey, Verdict};

/// The revocation reasons a CRL can cover (ReasonFlags bits 1 to 8).
const ALL_REASONS: u16 = 0b1_1111_1110;

/// The certificateHold reason code (RFC 5280 5.3.1).
const CERTIFICATE_HOLD: u8 = 6;

/// A CRL as loaded into a trust store.
#[derive(Debug, Clone)]
pub(crate) struct Crl {
    der: Vec<u8>,
    pub(crate) sha256: [u8; 32],
    /// The issuer Name's contents.
    issuer_name: Vec<u8>,
    pub(crate) issuer: String,
    this_update: i64,
    next_update: Option<i64>,
    number: Number,
    scope: Scope,
    /// Listed serial numbers (without leading zeros) and their reason codes.
    entries: HashMap<Vec<u8>, Option<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Number {
    Present(Vec<u8>),
    Critical,
    Missing,
}

/// What an issuingDistributionPoint says the CRL is for.
#[derive(Debug, Clone, Default)]
struct Scope {
    /// The distribution point's names, if it has any.
    names: Option<Vec<NameKey>>,
    only_user: bool,
    only_ca: bool,
    only_attribute: bool,
    /// The reasons it covers (all but for onlySomeReasons).
    reasons: u16,
}

/// Why a CRL cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlProblem {
    /// x509-parser cannot read it as a CRL.
    #[error("is not a readable X.509 CRL (RFC 5280 5.1)")]
    Unreadable,
    /// Bytes follow the CRL.
    #[error("has bytes after the end of the CRL")]
    TrailingData,
    /// A delta CRL.
    #[error("is a delta CRL (deltaCRLIndicator, RFC 5280 5.2.4), which pkgverify does not use: load the CA's complete CRL instead")]
    Delta,
    /// An indirect CRL.
    #[error("is an indirect CRL (issuingDistributionPoint with indirectCRL, or an entry with certificateIssuer; RFC 5280 5.2.5, 5.3.3), which pkgverify does not support: load a CRL issued by the CA itself")]
    Indirect,
    /// A critical extension pkgverify does not understand.
    #[error("has a critical {where_} extension pkgverify does not understand ({oid}); RFC 5280 6.3.3 (j) forbids using such a CRL")]
    UnknownCritical {
        /// "CRL" or "entry".
        where_: &'static str,
        /// The extension's OID.
        oid: String,
    },
    /// An extension pkgverify reads that cannot be parsed.
    #[error("has an {0} extension that cannot be parsed")]
    BadExtension(&'static str),
}

impl Crl {
    /// Reads a DER CRL.
    pub(crate) fn parse(der: &[u8]) -> Result<Self, CrlProblem> {
        let (rest, crl) =
            CertificateRevocationList::from_der(der).map_err(|_| CrlProblem::Unreadable)?;
        if !rest.is_empty() {
            return Err(CrlProblem::TrailingData);
        }
        let tbs = &crl.tbs_cert_list;
        let mut number = Number::Missing;
        let mut scope = Scope {
            reasons: ALL_REASONS,
            ..Scope::default()
        };
        for ext in tbs.extensions() {
            let oid = &ext.oid;
            if *oid == OID_X509_EXT_DELTA_CRL_INDICATOR {
                return Err(CrlProblem::Delta);
            } else if *oid == OID_X509_EXT_CRL_NUMBER {
                number = match ext.parsed_extension() {
                    _ if ext.critical => Number::Critical,
                    ParsedExtension::CRLNumber(n) => Number::Present(n.to_bytes_be()),
                    _ => return Err(CrlProblem::BadExtension("cRLNumber")),
                };
            } else if *oid == OID_X509_EXT_ISSUER_DISTRIBUTION_POINT {
                // Read here, not by x509-parser, which misreads a nameRelativeToCRLIssuer.
                let issuer = name_rdns(tbs.issuer.as_raw()).unwrap_or_default();
                let idp = IssuingDistributionPoint::parse(ext.value, &issuer)
                    .ok_or(CrlProblem::BadExtension("issuingDistributionPoint"))?;
                if idp.indirect {
                    return Err(CrlProblem::Indirect);
                }
                scope.names = idp.names;
                scope.only_user = idp.only_user;
                scope.only_ca = idp.only_ca;
                scope.only_attribute = idp.only_attribute;
                if let Some(r) = idp.only_some_reasons {
                    scope.reasons = r & ALL_REASONS;
                }
            } else if ext.critical {
                // authorityKeyIdentifier, issuerAltName and freshestCRL are never
                // critical (RFC 5280 5.2); any critical extension is refused.
                return Err(CrlProblem::UnknownCritical {
                    where_: "CRL",
                    oid: oid.to_id_string(),
                });
            }
        }
        let mut entries = HashMap::new();
        for entry in tbs.revoked_certificates.iter() {
            let mut reason = None;
            for ext in entry.extensions() {
                let oid = &ext.oid;
                if *oid == OID_X509_EXT_ISSUER {
                    return Err(CrlProblem::Indirect);
                } else if *oid == OID_X509_EXT_REASON_CODE {
                    if let ParsedExtension::ReasonCode(code) = ext.parsed_extension() {
                        reason = Some(code.0);
                    }
                } else if ext.critical && *oid != OID_X509_EXT_INVALIDITY_DATE {
                    return Err(CrlProblem::UnknownCritical {
                        where_: "entry",
                        oid: oid.to_id_string(),
                    });
                }
            }
            // A serial listed twice keeps the reason that is not a hold.
            let slot = entries
                .entry(serial_key(entry.raw_serial()).to_vec())
                .or_insert(reason);
            if *slot == Some(CERTIFICATE_HOLD) {
                *slot = reason;
            }
        }
        Ok(Self {
            der: der.to_vec(),
            sha256: Sha256::digest(der).into(),
            issuer_name: crate::x509::contents(tbs.issuer.as_raw())
                .unwrap_or_default()
                .to_vec(),
            issuer: tbs.issuer.to_string(),
            this_update: tbs.this_update.timestamp(),
            next_update: tbs.next_update.map(|t| t.timestamp()),
            number,
            scope,
            entries,
        })
    }

    /// RFC 5280 6.3.3 (b)(2): whether this CRL can be for `cert`.
    fn in_scope(&self, cert: &Cert) -> bool {
        let s = &self.scope;
        if s.only_attribute || (s.only_user && cert.is_ca()) || (s.only_ca && !cert.is_ca()) {
            return false;
        }
        let Some(names) = &s.names else {
            // A CRL for every certificate of its issuer, unless each of the
            // certificate's points names another issuer (its CRLs are indirect).
            return cert.crl_distribution_points.as_ref().is_none_or(|points| {
                points.is_empty() || points.iter().any(|p| *p != DistributionPoint::Indirect)
            });
        };
        cert.crl_distribution_points.as_ref().is_some_and(|points| {
            points.iter().any(|p| match p {
                DistributionPoint::Named(point) => point.iter().any(|n| names.contains(n)),
                DistributionPoint::Unnamed | DistributionPoint::Indirect => false,
            })
        })
    }

    fn lists(&self, cert: &Cert) -> Option<Option<u8>> {
        self.entries.get(serial_key(&cert.serial)).copied()
    }

    /// Issued after `other` (by CRL number where both have one, else by thisUpdate).
    fn newer_than(&self, other: &Crl) -> bool {
        match (&self.number, &other.number) {
            (Number::Present(a), Number::Present(b)) => {
                let (a, b) = (serial_key(a), serial_key(b));
                (a.len(), a) > (b.len(), b)
            }
            _ => self.this_update > other.this_update,
        }
    }

    /// Why this authoritative, in-scope CRL cannot show a certificate unrevoked
    /// at `time`, if it cannot.
    fn not_current(&self, time: i64, ignore_expiry: bool) -> Option<RevocationUnknown> {
        match self.number {
            Number::Missing => return Some(RevocationUnknown::NoCrlNumber),
            Number::Critical => return Some(RevocationUnknown::CriticalCrlNumber),
            Number::Present(_) => {}
        }
        if ignore_expiry {
            return None;
        }
        if self.this_update > time {
            return Some(RevocationUnknown::NotYetValid {
                this_update: unix(self.this_update),
            });
        }
        match self.next_update {
            None => Some(RevocationUnknown::NoNextUpdate),
            Some(next) if next < time => Some(RevocationUnknown::Expired {
                next_update: unix(next),
            }),
            Some(_) => None,
        }
    }
}

/// A certificate's revocation status on one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// Not revoked, as current CRLs show; `stale`: the latest nextUpdate of
    /// a CRL that counted although past it (`CrlExpiration::Ignore`).
    Good { stale: Option<UnixTime> },
    /// Its issuer has no CRL in the store.
    Unchecked,
    /// Listed by an authoritative CRL.
    Revoked {
        /// The CRL's SHA-256.
        crl: [u8; 32],
        /// The entry's reason code, if it has one.
        reason: Option<u8>,
    },
    /// CRLs from its issuer are in the store, but none can decide.
    Unknown(RevocationUnknown),
}

/// Why no CRL in the trust store could show a certificate unrevoked (its
/// revocation status is unknown): the reason of the CRL that came closest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RevocationUnknown {
    /// The issuer has no CRL in the store, and every certificate must be covered.
    NoCrl,
    /// The issuer's keyUsage does not assert cRLSign (RFC 5280 6.3.3 (f)).
    IssuerNotCrlSigner,
    /// Signed in an algorithm pkgverify does not support.
    UnsupportedAlgorithm,
    /// No CRL with the issuer's name is signed by the key that issued the
    /// certificate (a CA re-keyed under the same name, or a forgery).
    WrongKey,
    /// The issuer's CRLs are for other distribution points or kinds of
    /// certificate (issuingDistributionPoint, RFC 5280 6.3.3 (b)).
    OutOfScope,
    /// The CRL has no CRL number (RFC 5280 5.2.3).
    NoCrlNumber,
    /// The CRL's CRL number is marked critical (RFC 5280 5.2.3).
    CriticalCrlNumber,
    /// The CRL has no nextUpdate, so it cannot be shown current.
    NoNextUpdate,
    /// The CRL is not valid before this time (its thisUpdate).
    NotYetValid {
        /// Its thisUpdate.
        this_update: UnixTime,
    },
    /// The CRL expired (its nextUpdate passed).
    Expired {
        /// Its nextUpdate.
        next_update: UnixTime,
    },
    /// The current CRLs cover only some revocation reasons (onlySomeReasons).
    SomeReasons,
}

impl std::fmt::Display for RevocationUnknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::time::format_unix;
        match self {
            Self::NoCrl => f.write_str("its issuer has no CRL in the trust store, and revocation checking requires one"),
            Self::IssuerNotCrlSigner => f.write_str("its issuer's keyUsage does not assert cRLSign, so none of its CRLs can be used (RFC 5280 6.3.3 (f))"),
            Self::UnsupportedAlgorithm => f.write_str("its issuer's CRLs are signed in an algorithm pkgverify does not support"),
            Self::WrongKey => f.write_str("the trust store holds CRLs under its issuer's name, but none is signed by the key that issued it (a CA re-keyed under the same name, or a CRL from someone else): load the current CRL of the CA that issued it"),
            Self::OutOfScope => f.write_str("its issuer's CRLs in the trust store are for other distribution points or other kinds of certificate (issuingDistributionPoint): load the CRL for its distribution point"),
            Self::NoCrlNumber => f.write_str("its issuer's CRL has no CRL number (RFC 5280 5.2.3), so it cannot show it unrevoked: have the CA issue CRLs with a number (openssl ca: the crlnumber setting, as in docs/FORMAT.md, \"Vendor side with openssl\")"),
            Self::CriticalCrlNumber => f.write_str("its issuer's CRL marks its CRL number critical (RFC 5280 5.2.3), so it cannot show it unrevoked"),
            Self::NoNextUpdate => f.write_str("its issuer's CRL has no nextUpdate, so it cannot be shown current: have the CA issue CRLs with one (openssl ca -gencrl sets it from default_crl_days)"),
            Self::NotYetValid { this_update } => write!(f, "its issuer's CRL is not valid before {} (thisUpdate)", format_unix(*this_update)),
            Self::Expired { next_update } => write!(f, "its issuer's CRL expired at {} (nextUpdate): load a current one", format_unix(*next_update)),
            Self::SomeReasons => f.write_str("its issuer's current CRLs cover only some revocation reasons (onlySomeReasons): load the other partitions"),
        }
    }
}

/// How [`status`] treats the store's CRLs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// A certificate whose issuer has no CRL at all is unknown, not unchecked.
    pub(crate) required: bool,
    /// A CRL past its nextUpdate still counts as current.
    pub(crate) ignore_expiry: bool,
}

/// The status of `cert`, issued by `issuer` on the path, at `time`.
pub(crate) fn status(
    work: &Work,
    crls: &[Crl],
    cert: &Cert,
    issuer: &Cert,
    time: UnixTime,
    rules: Rules,
) -> Result<Status, Exhausted> {
    let issuer_name = crate::x509::contents(&cert.issuer_raw).unwrap_or_default();
    let named: Vec<&Crl> = crls
        .iter()
        .filter(|c| c.issuer_name == issuer_name)
        .collect();
    if named.is_empty() {
        return Ok(if rules.required {
            Status::Unknown(RevocationUnknown::NoCrl)
        } else {
            Status::Unchecked
        });
    }
    if !issuer.crl_sign() {
        return Ok(Status::Unknown(RevocationUnknown::IssuerNotCrlSigner));
    }
    let time = i64::try_from(time.as_secs()).unwrap_or(i64::MAX);
    let mut best = RevocationUnknown::NoCrl;
    let mut usable: Vec<&Crl> = Vec::new();
    for crl in named {
        match work.verify(&crl.der, crl.sha256, &issuer.spki, issuer.spki_sha256)? {
            Verdict::Valid => {}
            Verdict::Invalid => {
                best = best.max(RevocationUnknown::WrongKey);
                continue;
            }
            Verdict::UnsupportedAlgorithm => {
                best = best.max(RevocationUnknown::UnsupportedAlgorithm);
                continue;
            }
        }
        if !crl.in_scope(cert) {
            best = best.max(RevocationUnknown::OutOfScope);
            continue;
        }
        usable.push(crl);
    }
    // Revoked if any authoritative, in-scope CRL lists it; a hold is lifted
    // by a newer such CRL that omits it.
    for crl in &usable {
        match crl.lists(cert) {
            Some(Some(CERTIFICATE_HOLD))
                if usable
                    .iter()
                    .any(|later| later.newer_than(crl) && later.lists(cert).is_none()) => {}
            Some(reason) => {
                return Ok(Status::Revoked {
                    crl: crl.sha256,
                    reason,
                })
            }
            None => {}
        }
    }
    let mut covered = 0u16;
    let mut stale = None;
    for crl in &usable {
        match crl.not_current(time, rules.ignore_expiry) {
            None => {
                covered |= crl.scope.reasons;
                // Counted only because its expiry is ignored: say so.
                if let Some(RevocationUnknown::Expired { next_update }) =
                    crl.not_current(time, false)
                {
                    stale = Some(stale.map_or(next_update, |s: UnixTime| s.max(next_update)));
                }
            }
            Some(why) => best = best.max(why),
        }
    }
    if covered == ALL_REASONS {
        Ok(Status::Good { stale })
    } else if covered != 0 {
        Ok(Status::Unknown(RevocationUnknown::SomeReasons))
    } else {
        Ok(Status::Unknown(best))
    }
}

fn unix(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(secs).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
        CrlDistributionPoint, CrlIssuingDistributionPoint, CrlScope, IsCa, Issuer, KeyIdMethod,
        KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
    };

    use super::*;

    /// Every truncation and every single-bit flip of `der`.
    fn mutants(der: &[u8]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = (0..der.len()).map(|n| der[..n].to_vec()).collect();
        for i in 0..der.len() {
            for bit in 0..8 {
                let mut v = der.to_vec();
                v[i] ^= 1 << bit;
                out.push(v);
            }
        }
        out
    }

    #[test]
    fn hostile_crls_and_distribution_points_never_panic() {
        let mut ca = CertificateParams::default();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_der = ca.self_signed(&ca_key).unwrap().der().to_vec();
        let issuer = Issuer::from_params(&ca, &ca_key);
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2027, 1, 1),
            next_update: date_time_ymd(2028, 1, 1),
            crl_number: SerialNumber::from(7u64),
            issuing_distribution_point: Some(CrlIssuingDistributionPoint {
                distribution_point: CrlDistributionPoint {
                    uris: vec!["http://crl.example/a.crl".into()],
                },
                scope: Some(CrlScope::UserCertsOnly),
            }),
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from(5u64),
                revocation_time: date_time_ymd(2026, 1, 1),
                reason_code: Some(RevocationReason::CertificateHold),
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer)
        .unwrap()
        .der()
        .to_vec();
        let mut leaf = CertificateParams::default();
        leaf.serial_number = Some(SerialNumber::from(5u64));
        leaf.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec!["http://crl.example/a.crl".into()],
        }];
        let leaf_der = leaf
            .signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap()
            .der()
            .to_vec();
        let work = Work::new();
        let ca_cert = Cert::read(&ca_der).unwrap();
        let good = Crl::parse(&crl).unwrap();
        let leaf_cert = Cert::read(&leaf_der).unwrap();
        // 2027-06-01, inside the CRL's validity.
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_811_808_000));
        let rules = Rules {
            required: true,
            ignore_expiry: false,
        };
        assert!(matches!(
            status(
                &work,
                std::slice::from_ref(&good),
                &leaf_cert,
                &ca_cert,
                time,
                rules
            ),
            Ok(Status::Revoked {
                reason: Some(CERTIFICATE_HOLD),
                ..
            })
        ));
        // Hostile CRLs: parse or refuse, never panic; any that parse are judged.
        for m in mutants(&crl) {
            if let Ok(c) = Crl::parse(&m) {
                let _ = status(&Work::new(), &[c], &leaf_cert, &ca_cert, time, rules);
            }
        }
        // Hostile distribution points in a certificate.
        for m in mutants(&leaf_der) {
            if let Some(c) = Cert::read(&m) {
                let _ = status(
                    &Work::new(),
                    std::slice::from_ref(&good),
                    &c,
                    &ca_cert,
                    time,
                    rules,
                );
            }
        }
    }
}
