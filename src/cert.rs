//! A certificate as pkgverify's own checks read it: parsed once per
//! verification (through [`crate::work::Work`]) with x509-parser, into the
//! facts the path checks, the issuer pruning, the revocation decision and the
//! explanations need.

use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_CRL_DISTRIBUTION_POINTS, OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE,
    OID_X509_EXT_NAME_CONSTRAINTS, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use sha2::{Digest, Sha256};

use crate::x509::{crl_distribution_points, name_rdns, NameKey};

/// What pkgverify reads of a certificate.
#[derive(Debug, Default)]
pub(crate) struct Cert {
    /// SHA-256 of the DER certificate.
    pub(crate) sha256: [u8; 32],
    pub(crate) subject: String,
    pub(crate) issuer: String,
    /// The subject and issuer Names, whole DER elements.
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) empty_subject: bool,
    pub(crate) self_issued: bool,
    /// The serial number's DER contents.
    pub(crate) serial: Vec<u8>,
    /// The SubjectPublicKeyInfo, whole DER element, and its SHA-256.
    pub(crate) spki: Vec<u8>,
    pub(crate) spki_sha256: [u8; 32],
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    /// basicConstraints: (critical, cA).
    pub(crate) basic_constraints: Option<(bool, bool)>,
    /// keyUsage, if present.
    pub(crate) key_usage: Option<KeyUsage>,
    /// subjectKeyIdentifier: (critical, identifier).
    pub(crate) ski: Option<(bool, Vec<u8>)>,
    pub(crate) aki: Option<Aki>,
    /// nameConstraints: whether it has any subtree.
    pub(crate) name_constraints: Option<bool>,
    /// The extended key usages listed, if the extension is present.
    pub(crate) eku: Option<Vec<String>>,
    pub(crate) rsa_bits: Option<usize>,
    /// The CRL distribution points a CRL issued directly by this
    /// certificate's issuer can be for (RFC 5280 4.2.1.13); `None` without
    /// the extension.
    pub(crate) crl_distribution_points: Option<Vec<DistributionPoint>>,
    /// Number of extensions.
    pub(crate) extensions: usize,
    /// An extension the checks read that x509-parser could not parse.
    pub(crate) unreadable_extension: bool,
}

/// keyUsage bits the checks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyUsage {
    pub(crate) digital_signature: bool,
    pub(crate) key_cert_sign: bool,
    pub(crate) crl_sign: bool,
}

/// authorityKeyIdentifier.
#[derive(Debug)]
pub(crate) struct Aki {
    pub(crate) critical: bool,
    pub(crate) key_id: Option<Vec<u8>>,
    pub(crate) issuer_or_serial: bool,
}

/// One distribution point of a certificate, as far as a CRL from the
/// certificate's own issuer can be for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DistributionPoint {
    /// The point's full names (a nameRelativeToCRLIssuer is made full by
    /// appending it to the issuer's name, RFC 5280 4.2.1.13).
    Named(Vec<NameKey>),
    /// A point with no name (only reasons).
    Unnamed,
    /// A point whose CRLs come from another issuer (cRLIssuer: an indirect
    /// CRL), which no direct CRL covers.
    Indirect,
}

impl Cert {
    /// Reads a DER certificate; `None` if x509-parser cannot.
    pub(crate) fn read(der: &[u8]) -> Option<Self> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        let mut f = Self {
            sha256: Sha256::digest(der).into(),
            subject: c.subject().to_string(),
            issuer: c.issuer().to_string(),
            subject_raw: c.subject().as_raw().to_vec(),
            issuer_raw: c.issuer().as_raw().to_vec(),
            empty_subject: c.subject().iter().next().is_none(),
            self_issued: c.subject().as_raw() == c.issuer().as_raw(),
            serial: c.raw_serial().to_vec(),
            spki: c.public_key().raw.to_vec(),
            spki_sha256: Sha256::digest(c.public_key().raw).into(),
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            rsa_bits: match c.public_key().parsed() {
                Ok(PublicKey::RSA(rsa)) => Some(bit_length(rsa.modulus)),
                _ => None,
            },
            extensions: c.extensions().len(),
            ..Self::default()
        };
        for ext in c.extensions() {
            let oid = &ext.oid;
            let known = [
                &OID_X509_EXT_BASIC_CONSTRAINTS,
                &OID_X509_EXT_KEY_USAGE,
                &OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
                &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
                &OID_X509_EXT_NAME_CONSTRAINTS,
                &OID_X509_EXT_EXTENDED_KEY_USAGE,
                &OID_X509_EXT_CRL_DISTRIBUTION_POINTS,
            ];
            if !known.contains(&oid) {
                continue;
            }
            if *oid == OID_X509_EXT_CRL_DISTRIBUTION_POINTS {
                if f.crl_distribution_points.is_none() {
                    // Read here, not by x509-parser, which misreads a
                    // nameRelativeToCRLIssuer. Unreadable points: no direct
                    // CRL can be shown to cover the certificate.
                    let issuer = name_rdns(c.issuer().as_raw()).unwrap_or_default();
                    f.crl_distribution_points =
                        Some(crl_distribution_points(ext.value, &issuer).map_or_else(
                            || vec![DistributionPoint::Indirect],
                            |points| {
                                points
                                    .into_iter()
                                    .map(|p| match (p.crl_issuer, p.names) {
                                        (true, _) => DistributionPoint::Indirect,
                                        (false, None) => DistributionPoint::Unnamed,
                                        (false, Some(n)) => DistributionPoint::Named(n),
                                    })
                                    .collect()
                            },
                        ));
                }
                continue;
            }
            // A duplicate is webpki's to reject (it does for the extensions it reads);
            // the checks use the first.
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) if f.basic_constraints.is_none() => {
                    f.basic_constraints = Some((ext.critical, bc.ca));
                }
                ParsedExtension::KeyUsage(ku) if f.key_usage.is_none() => {
                    f.key_usage = Some(KeyUsage {
                        digital_signature: ku.digital_signature(),
                        key_cert_sign: ku.key_cert_sign(),
                        crl_sign: ku.crl_sign(),
                    });
                }
                ParsedExtension::SubjectKeyIdentifier(k) if f.ski.is_none() => {
                    f.ski = Some((ext.critical, k.0.to_vec()));
                }
                ParsedExtension::AuthorityKeyIdentifier(a) if f.aki.is_none() => {
                    f.aki = Some(Aki {
                        critical: ext.critical,
                        key_id: a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                        issuer_or_serial: a.authority_cert_issuer.is_some()
                            || a.authority_cert_serial.is_some(),
                    });
                }
                ParsedExtension::NameConstraints(nc) if f.name_constraints.is_none() => {
                    let any = |t: &Option<Vec<_>>| t.as_ref().is_some_and(|v| !v.is_empty());
                    f.name_constraints =
                        Some(any(&nc.permitted_subtrees) || any(&nc.excluded_subtrees));
                }
                ParsedExtension::ExtendedKeyUsage(e) if f.eku.is_none() => {
                    let mut names: Vec<String> = [
                        (e.any, "anyExtendedKeyUsage"),
                        (e.server_auth, "serverAuth"),
                        (e.client_auth, "clientAuth"),
                        (e.code_signing, "codeSigning"),
                        (e.email_protection, "emailProtection"),
                        (e.time_stamping, "timeStamping"),
                        (e.ocsp_signing, "OCSPSigning"),
                    ]
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| (*n).to_owned())
                    .collect();
                    names.extend(e.other.iter().map(|o| o.to_id_string()));
                    f.eku = Some(names);
                }
                ParsedExtension::BasicConstraints(_)
                | ParsedExtension::KeyUsage(_)
                | ParsedExtension::SubjectKeyIdentifier(_)
                | ParsedExtension::AuthorityKeyIdentifier(_)
                | ParsedExtension::NameConstraints(_)
                | ParsedExtension::ExtendedKeyUsage(_)
                | ParsedExtension::CRLDistributionPoints(_) => {}
                _ => f.unreadable_extension = true,
            }
        }
        Some(f)
    }

    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|(_, ca)| ca)
    }

    pub(crate) fn cert_sign(&self) -> bool {
        self.key_usage.is_none_or(|k| k.key_cert_sign)
    }

    pub(crate) fn crl_sign(&self) -> bool {
        self.key_usage.is_none_or(|k| k.crl_sign)
    }

    /// Whether its key may make signatures: with no keyUsage extension any
    /// use is allowed; with one, it must assert digitalSignature (RFC 5280
    /// 4.2.1.3).
    pub(crate) fn digital_signature(&self) -> bool {
        self.key_usage.is_none_or(|k| k.digital_signature)
    }

    /// Whether it has an extended key usage extension that lists `eku`.
    pub(crate) fn lists_eku(&self, eku: &str) -> bool {
        self.eku
            .as_ref()
            .is_some_and(|list| list.iter().any(|e| e == eku))
    }

    /// A CA as RFC 5280 4.2.1.9 and 4.2.1.3 define it, else what is missing.
    pub(crate) fn not_ca(&self) -> Option<&'static str> {
        match self.basic_constraints {
            None => Some("no basicConstraints extension"),
            Some((_, false)) => Some("basicConstraints does not assert cA"),
            Some((_, true)) if !self.cert_sign() => Some("keyUsage does not assert keyCertSign"),
            Some(_) => None,
        }
    }
}

/// Bits in a big-endian unsigned integer (leading zero bytes and bits not counted).
pub(crate) fn bit_length(be: &[u8]) -> usize {
    let significant = be
        .iter()
        .position(|b| *b != 0)
        .map_or(&[][..], |i| be.get(i..).unwrap_or_default());
    significant.first().map_or(0, |first| {
        significant
            .len()
            .saturating_mul(8)
            .saturating_sub(first.leading_zeros() as usize)
    })
}

/// A serial number (INTEGER contents) in its minimal two's-complement form,
/// so that encodings of one number compare equal and those of different
/// numbers (255 and -1) do not.
pub(crate) fn serial_key(serial: &[u8]) -> &[u8] {
    let mut s = serial;
    while let [first, second, ..] = s {
        let redundant =
            (*first == 0x00 && second & 0x80 == 0) || (*first == 0xff && second & 0x80 != 0);
        if !redundant {
            break;
        }
        s = s.get(1..).unwrap_or_default();
    }
    s
}
