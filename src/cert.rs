//! A certificate as pkgverify reads it: parsed once per verification
//! (through [`crate::work::Work`]) with x509-parser, into the one view that
//! the path checks, the issuer pruning, the revocation decision, the policy's
//! rules, the explanations and the report all use. No other module parses a
//! certificate.

use rustls_pki_types::UnixTime;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    Oid, OID_X509_COMMON_NAME, OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
    OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_CRL_DISTRIBUTION_POINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER, OID_X509_ORGANIZATION_NAME,
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
    /// Whether the extended key usage extension is marked critical.
    pub(crate) eku_critical: bool,
    pub(crate) rsa_bits: Option<usize>,
    /// The CRL distribution points a CRL issued directly by this
    /// certificate's issuer can be for (RFC 5280 4.2.1.13); `None` without
    /// the extension.
    pub(crate) crl_distribution_points: Option<Vec<DistributionPoint>>,
    /// Number of extensions.
    pub(crate) extensions: usize,
    /// An extension the checks read that x509-parser could not parse.
    pub(crate) unreadable_extension: bool,
    /// The subject's organization and common name, as signer rules compare them.
    pub(crate) organization: Attribute,
    pub(crate) common_name: Attribute,
}

/// A certificate as reports and callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity.
    pub not_after: UnixTime,
    /// The certificate's fingerprint.
    pub sha256: Fingerprint,
    /// Its key's fingerprint (what a policy pins as a key, and what a
    /// threshold counts).
    pub public_key_sha256: Fingerprint,
}

impl CertInfo {
    /// Describes a DER certificate; `None` if it cannot be read.
    pub fn from_der(der: &[u8]) -> Option<Self> {
        Cert::read(der).map(|c| Self::from(&c))
    }
}

impl From<&Cert> for CertInfo {
    fn from(c: &Cert) -> Self {
        Self {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            serial: crate::hex(&c.serial),
            not_before: c.not_before_time(),
            not_after: c.not_after_time(),
            sha256: c.fingerprint(),
            public_key_sha256: c.key_fingerprint(),
        }
    }
}

/// Which of a certificate's two fingerprints matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fingerprinted {
    /// The certificate's own (SHA-256 of its DER).
    Certificate,
    /// Its key's (SHA-256 of its DER SubjectPublicKeyInfo).
    Key,
}

impl std::fmt::Display for Fingerprinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Certificate => "certificate",
            Self::Key => "key",
        })
    }
}

/// A SHA-256 fingerprint of a certificate (its DER) or of its public key
/// (its DER SubjectPublicKeyInfo). A listed fingerprint matches either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Parses 64 hex digits, optionally prefixed `sha256:` and optionally
    /// separated by `:` (as `openssl x509 -fingerprint -sha256` prints them).
    pub fn parse(text: &str) -> Option<Self> {
        let hex: String = text
            .strip_prefix("sha256:")
            .unwrap_or(text)
            .chars()
            .filter(|c| *c != ':')
            .collect();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }

    /// The certificate's own fingerprint (SHA-256 of its DER).
    pub fn of_certificate(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// The fingerprint of the certificate's public key (SHA-256 of its DER
    /// SubjectPublicKeyInfo); `None` if the certificate cannot be read.
    pub fn of_public_key(der: &[u8]) -> Option<Self> {
        Cert::read(der).map(|c| c.key_fingerprint())
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", crate::hex(&self.0))
    }
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
            organization: Attribute::read(c.subject(), &OID_X509_ORGANIZATION_NAME),
            common_name: Attribute::read(c.subject(), &OID_X509_COMMON_NAME),
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
                    f.eku_critical = ext.critical;
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

    /// The certificate's fingerprint (SHA-256 of its DER).
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        Fingerprint(self.sha256)
    }

    /// Its key's fingerprint (SHA-256 of its DER SubjectPublicKeyInfo).
    pub(crate) fn key_fingerprint(&self) -> Fingerprint {
        Fingerprint(self.spki_sha256)
    }

    /// Whether `f` is its certificate's or its key's fingerprint, and which.
    pub(crate) fn matches(&self, f: Fingerprint) -> Option<Fingerprinted> {
        if f == self.fingerprint() {
            Some(Fingerprinted::Certificate)
        } else if f == self.key_fingerprint() {
            Some(Fingerprinted::Key)
        } else {
            None
        }
    }

    /// Start of validity.
    pub(crate) fn not_before_time(&self) -> UnixTime {
        crate::time::unix(self.not_before)
    }

    /// End of validity.
    pub(crate) fn not_after_time(&self) -> UnixTime {
        crate::time::unix(self.not_after)
    }

    pub(crate) fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|(_, ca)| ca)
    }

    /// Why this certificate is not the shape of a root (a self-signed CA
    /// certificate), or `None` when it is: the one rule behind the
    /// `anchor_not_root` warning and the untrusted-signer hint.
    pub(crate) fn not_a_root(&self) -> Option<&'static str> {
        match (self.is_ca(), self.self_issued) {
            (true, true) => None,
            (false, true) => Some("not a CA certificate"),
            (true, false) => {
                Some("not self-signed (a cross-signed or intermediate CA certificate)")
            }
            (false, false) => Some("neither a CA certificate nor self-signed"),
        }
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

/// One subject attribute type (O or CN) as signer rules compare it: its one
/// decoded value, or why there is none to compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Attribute {
    /// Exactly one such attribute, alone in its RDN, decoded.
    One(String),
    /// The subject has none.
    #[default]
    Missing,
    /// The subject has this many: a rule matched by any one of them would let
    /// a CA's customer add the vendor's O beside its own.
    Several(usize),
    /// The only one shares a multi-valued RDN with other attributes.
    MultiValued,
    /// Its value cannot be decoded unambiguously (why).
    Undecodable(String),
}

impl Attribute {
    /// Reads the attributes of type `oid` in `name`.
    pub(crate) fn read(name: &x509_parser::x509::X509Name<'_>, oid: &Oid<'_>) -> Self {
        let mut found = 0usize;
        let mut multi_valued = false;
        let mut value = None;
        for rdn in name.iter() {
            let members = rdn.iter().count();
            for attr in rdn.iter().filter(|a| a.attr_type() == oid) {
                found += 1;
                multi_valued |= members > 1;
                value = Some(directory_string(attr.attr_value()));
            }
        }
        match (found, value) {
            (0, _) | (_, None) => Self::Missing,
            (1, _) if multi_valued => Self::MultiValued,
            (1, Some(Ok(v))) => Self::One(v),
            (1, Some(Err(why))) => Self::Undecodable(why),
            (n, _) => Self::Several(n),
        }
    }

    /// The value a rule compares, if there is exactly one usable.
    pub(crate) fn value(&self) -> Option<&str> {
        match self {
            Self::One(v) => Some(v),
            _ => None,
        }
    }

    /// Why no rule on this attribute (`name`: O or CN) can match, if none can.
    pub(crate) fn unusable(&self, name: &str) -> Option<String> {
        Some(match self {
            Self::One(_) => return None,
            Self::Missing => format!("its subject has no {name}"),
            Self::Several(n) => format!(
                "its subject has {n} {name} attributes, so no rule on {name} can match (a rule compares the one {name})"
            ),
            Self::MultiValued => format!(
                "its subject's {name} is in a multi-valued RDN, so no rule on {name} can match"
            ),
            Self::Undecodable(why) => format!(
                "its subject's {name} cannot be compared: {why}"
            ),
        })
    }
}

/// Decodes an X.520 DirectoryString (or IA5String) attribute value, refusing
/// any value that two readers could decode differently.
///
/// UTF8String must be UTF-8; PrintableString and IA5String ASCII (the
/// narrower PrintableString set is not enforced: CAs put `&` or `*` in it);
/// BMPString is UCS-2, big-endian, without surrogates; UniversalString is
/// UCS-4, big-endian. TeletexString (T.61) is accepted only in printable ASCII
/// without ``# $ \ ^ ` { } ~``, the characters T.61 lacks or puts elsewhere:
/// readers decode the rest of T.61 differently (as Latin-1, as T.61 with
/// combining accents), so any other byte is refused rather than guessed. Any
/// other string type, a non-universal or constructed encoding, and any
/// control character are refused.
fn directory_string(value: &x509_parser::der_parser::asn1_rs::Any<'_>) -> Result<String, String> {
    use x509_parser::der_parser::asn1_rs::{Class, Tag};
    let data = value.data;
    if value.class() != Class::Universal || value.header.is_constructed() {
        return Err("it is not a primitive universal string".into());
    }
    let text = match value.tag() {
        Tag::Utf8String => std::str::from_utf8(data)
            .map(str::to_owned)
            .map_err(|_| "a UTF8String that is not UTF-8".to_owned())?,
        Tag::PrintableString | Tag::Ia5String => {
            if !data.is_ascii() {
                return Err("a PrintableString or IA5String with bytes that are not ASCII".into());
            }
            data.iter().map(|b| char::from(*b)).collect()
        }
        Tag::T61String => {
            let shared = |b: &u8| {
                (0x20..=0x7e).contains(b)
                    && !matches!(b, b'#' | b'$' | b'\\' | b'^' | b'`' | b'{' | b'}' | b'~')
            };
            if !data.iter().all(shared) {
                return Err("a TeletexString (T.61) with characters outside printable ASCII, or ones T.61 reads differently (# $ \\ ^ ` { } ~): readers decode them differently".into());
            }
            data.iter().map(|b| char::from(*b)).collect()
        }
        Tag::BmpString => {
            if data.len() % 2 != 0 {
                return Err("a BMPString of odd length".into());
            }
            data.chunks_exact(2)
                .map(|c| {
                    c.first()
                        .zip(c.get(1))
                        .and_then(|(hi, lo)| char::from_u32(u32::from(*hi) << 8 | u32::from(*lo)))
                })
                .collect::<Option<String>>()
                .ok_or("a BMPString with a surrogate code unit (UCS-2 has none)")?
        }
        Tag::UniversalString => {
            if data.len() % 4 != 0 {
                return Err("a UniversalString whose length is not a multiple of 4".into());
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(c.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b))))
                .collect::<Option<String>>()
                .ok_or("a UniversalString with a value that is not a Unicode character")?
        }
        other => {
            return Err(format!(
                "it is encoded as ASN.1 tag {}, not one of the DirectoryString types",
                other.0
            ))
        }
    };
    if text.chars().any(char::is_control) {
        return Err("it holds control characters".into());
    }
    Ok(text)
}
