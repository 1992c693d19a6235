//! The few DER structures pkgverify splits itself, and the one way it checks
//! a signature on a certificate or a CRL.
//!
//! A certificate and a CRL are both X.509 signed data (to-be-signed bytes, a
//! signature algorithm, a signature). pkgverify verifies them with the same
//! algorithm objects rustls-webpki uses ([`SIGNATURE_ALGORITHMS`]), matched
//! by the same DER `AlgorithmIdentifier`s, so that a signature check of its
//! own (pruning candidate issuers, authenticating a CRL) never accepts what
//! webpki would refuse.

use rustls_pki_types::SignatureVerificationAlgorithm;

/// Signature algorithms accepted on certificates and CRLs.
pub(crate) static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// One DER element: its tag byte, its contents, and the whole element.
struct Tlv<'a> {
    tag: u8,
    contents: &'a [u8],
    whole: &'a [u8],
}

/// Reads one DER element from the front of `input`; returns it and the rest.
/// Only single-byte tags and definite lengths of up to four bytes, which is
/// all the structures read here use.
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2usize)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let contents = input.get(header..end)?;
    let whole = input.get(..end)?;
    let rest = input.get(end..)?;
    Some((
        Tlv {
            tag,
            contents,
            whole,
        },
        rest,
    ))
}

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;
const SET: u8 = 0x31;

/// The contents of a DER element (its value without tag and length).
pub(crate) fn contents(der: &[u8]) -> Option<&[u8]> {
    let (t, rest) = tlv(der)?;
    rest.is_empty().then_some(t.contents)
}

/// X.509 signed data, split: `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }`.
pub(crate) struct Signed<'a> {
    /// The signed bytes (the whole to-be-signed element).
    tbs: &'a [u8],
    /// The contents of the signature AlgorithmIdentifier.
    algorithm: &'a [u8],
    /// The signature (the BIT STRING's bits, no unused bits allowed).
    signature: &'a [u8],
}

impl<'a> Signed<'a> {
    /// Splits a DER certificate or CRL; `None` if it is not signed data.
    pub(crate) fn split(der: &'a [u8]) -> Option<Self> {
        let (outer, rest) = tlv(der)?;
        if outer.tag != SEQUENCE || !rest.is_empty() {
            return None;
        }
        let (tbs, rest) = tlv(outer.contents)?;
        let (alg, rest) = tlv(rest)?;
        let (sig, rest) = tlv(rest)?;
        if tbs.tag != SEQUENCE || alg.tag != SEQUENCE || sig.tag != BIT_STRING || !rest.is_empty() {
            return None;
        }
        let (&unused, signature) = sig.contents.split_first()?;
        (unused == 0).then_some(Self {
            tbs: tbs.whole,
            algorithm: alg.contents,
            signature,
        })
    }

    /// Whether the signature verifies with the key in `spki` (a DER
    /// SubjectPublicKeyInfo, whole), in one of [`SIGNATURE_ALGORITHMS`].
    pub(crate) fn verifies_with(&self, spki: &[u8]) -> Verdict {
        let Some((key_alg, key)) = spki_parts(spki) else {
            return Verdict::UnsupportedAlgorithm;
        };
        let mut supported = false;
        for alg in SIGNATURE_ALGORITHMS {
            if alg.signature_alg_id().as_ref() != self.algorithm {
                continue;
            }
            supported = true;
            if alg.public_key_alg_id().as_ref() != key_alg {
                continue;
            }
            if alg.verify_signature(key, self.tbs, self.signature).is_ok() {
                return Verdict::Valid;
            }
        }
        if supported {
            Verdict::Invalid
        } else {
            Verdict::UnsupportedAlgorithm
        }
    }
}

/// The outcome of one signature check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It verifies.
    Valid,
    /// It does not verify with that key (or the key does not fit the algorithm).
    Invalid,
    /// The signature algorithm, or the key, is not one pkgverify supports.
    UnsupportedAlgorithm,
}

/// A SubjectPublicKeyInfo's algorithm (AlgorithmIdentifier contents) and key
/// (the BIT STRING's bits).
fn spki_parts(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let inner = contents(spki)?;
    let (alg, rest) = tlv(inner)?;
    let (key, rest) = tlv(rest)?;
    if alg.tag != SEQUENCE || key.tag != BIT_STRING || !rest.is_empty() {
        return None;
    }
    let (&unused, bits) = key.contents.split_first()?;
    (unused == 0).then_some((alg.contents, bits))
}

/// A GeneralName in a form that compares as RFC 5280 6.3.3 (b)(2)(i) needs:
/// a directory name as its RDNs (each RDN's SET contents), every other form
/// by its tag and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameKey {
    Directory(Vec<Vec<u8>>),
    Other(u8, Vec<u8>),
}

/// The RDNs of a Name (a whole DER element): each RDN's SET contents.
pub(crate) fn name_rdns(name: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (seq, rest) = tlv(name)?;
    if seq.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut rdns = Vec::new();
    let mut input = seq.contents;
    while !input.is_empty() {
        let (rdn, rest) = tlv(input)?;
        if rdn.tag != SET {
            return None;
        }
        rdns.push(rdn.contents.to_vec());
        input = rest;
    }
    Some(rdns)
}

/// The GeneralNames in `input` (the contents of a GeneralNames SEQUENCE or
/// of an implicitly tagged one).
fn general_names(mut input: &[u8]) -> Option<Vec<NameKey>> {
    let mut names = Vec::new();
    while !input.is_empty() {
        let (name, rest) = tlv(input)?;
        names.push(if name.tag == 0xa4 {
            // directoryName [4] EXPLICIT Name
            NameKey::Directory(name_rdns(name.contents)?)
        } else {
            NameKey::Other(name.tag, name.contents.to_vec())
        });
        input = rest;
    }
    (!names.is_empty()).then_some(names)
}

/// A DistributionPointName, with a nameRelativeToCRLIssuer made full by
/// appending it to `issuer` (the RDNs of the CRL issuer's name, RFC 5280
/// 4.2.1.13).
fn distribution_point_name(element: &[u8], issuer: &[Vec<u8>]) -> Option<Vec<NameKey>> {
    let (choice, rest) = tlv(element)?;
    if !rest.is_empty() {
        return None;
    }
    match choice.tag {
        // fullName [0] IMPLICIT GeneralNames
        0xa0 => general_names(choice.contents),
        // nameRelativeToCRLIssuer [1] IMPLICIT RelativeDistinguishedName
        0xa1 => {
            let mut full = issuer.to_vec();
            full.push(choice.contents.to_vec());
            Some(vec![NameKey::Directory(full)])
        }
        _ => None,
    }
}

/// ReasonFlags (a BIT STRING's contents) as a mask: bit n for reason n.
fn reason_flags(contents: &[u8]) -> Option<u16> {
    let (&unused, bits) = contents.split_first()?;
    if unused > 7 || bits.len() > 2 {
        return None;
    }
    let mut mask = 0u16;
    for n in 0..16u16 {
        let byte = bits.get(usize::from(n / 8)).copied().unwrap_or(0);
        if byte & (0x80 >> (n % 8)) != 0 {
            mask |= 1 << n;
        }
    }
    Some(mask)
}

/// The context-tagged fields of a SEQUENCE's contents, as (tag byte,
/// contents): in increasing tag number, each at most once, as DER requires.
fn context_fields(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut fields = Vec::new();
    let mut last = None;
    while !input.is_empty() {
        let (field, rest) = tlv(input)?;
        let number = field.tag & 0x1f;
        if field.tag & 0xc0 != 0x80 || last.is_some_and(|l| number <= l) {
            return None;
        }
        last = Some(number);
        fields.push((field.tag, field.contents));
        input = rest;
    }
    Some(fields)
}

fn boolean(contents: &[u8]) -> Option<bool> {
    match contents {
        [0x00] => Some(false),
        [0xff] => Some(true),
        _ => None,
    }
}

/// An issuingDistributionPoint extension (RFC 5280 5.2.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IssuingDistributionPoint {
    pub(crate) names: Option<Vec<NameKey>>,
    pub(crate) only_user: bool,
    pub(crate) only_ca: bool,
    pub(crate) only_some_reasons: Option<u16>,
    pub(crate) indirect: bool,
    pub(crate) only_attribute: bool,
}

impl IssuingDistributionPoint {
    /// Reads the extension's value; `issuer` is the RDNs of the CRL's issuer.
    /// `None` if it is not well formed.
    pub(crate) fn parse(value: &[u8], issuer: &[Vec<u8>]) -> Option<Self> {
        let (seq, rest) = tlv(value)?;
        if seq.tag != SEQUENCE || !rest.is_empty() {
            return None;
        }
        let mut idp = Self::default();
        for (tag, contents) in context_fields(seq.contents)? {
            match tag {
                0xa0 => idp.names = Some(distribution_point_name(contents, issuer)?),
                0x81 => idp.only_user = boolean(contents)?,
                0x82 => idp.only_ca = boolean(contents)?,
                0x83 => idp.only_some_reasons = Some(reason_flags(contents)?),
                0x84 => idp.indirect = boolean(contents)?,
                0x85 => idp.only_attribute = boolean(contents)?,
                _ => return None,
            }
        }
        Some(idp)
    }
}

/// One point of a cRLDistributionPoints extension (RFC 5280 4.2.1.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistributionPoint {
    pub(crate) names: Option<Vec<NameKey>>,
    pub(crate) reasons: Option<u16>,
    pub(crate) crl_issuer: bool,
}

/// Reads a cRLDistributionPoints extension's value; `issuer` is the RDNs of
/// the certificate's issuer. `None` if it is not well formed.
pub(crate) fn crl_distribution_points(
    value: &[u8],
    issuer: &[Vec<u8>],
) -> Option<Vec<DistributionPoint>> {
    let (seq, rest) = tlv(value)?;
    if seq.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut points = Vec::new();
    let mut input = seq.contents;
    while !input.is_empty() {
        let (point, rest) = tlv(input)?;
        if point.tag != SEQUENCE {
            return None;
        }
        let mut dp = DistributionPoint {
            names: None,
            reasons: None,
            crl_issuer: false,
        };
        for (tag, contents) in context_fields(point.contents)? {
            match tag {
                0xa0 => dp.names = Some(distribution_point_name(contents, issuer)?),
                0x81 => dp.reasons = Some(reason_flags(contents)?),
                0xa2 => {
                    general_names(contents)?;
                    dp.crl_issuer = true;
                }
                _ => return None,
            }
        }
        points.push(dp);
        input = rest;
    }
    (!points.is_empty()).then_some(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_der_never_splits_wrongly_or_panics() {
        assert!(Signed::split(b"").is_none());
        assert!(Signed::split(b"\x30\x00").is_none());
        assert!(Signed::split(b"\x30\x80\x00\x00").is_none());
        assert!(Signed::split(b"\x30\x85\xff\xff\xff\xff\xff").is_none());
        // A well-formed shape with a non-zero unused-bits count is refused.
        let shape = b"\x30\x0a\x30\x00\x30\x02\x05\x00\x03\x02\x01\xaa";
        assert!(Signed::split(shape).is_none());
        let ok = b"\x30\x0a\x30\x00\x30\x02\x05\x00\x03\x02\x00\xaa";
        let s = Signed::split(ok).unwrap();
        assert_eq!(s.tbs, b"\x30\x00");
        assert_eq!(s.algorithm, b"\x05\x00");
        assert_eq!(s.signature, b"\xaa");
        // Trailing bytes after the signed data are refused.
        let mut trailing = ok.to_vec();
        trailing.push(0);
        assert!(Signed::split(&trailing).is_none());
        assert_eq!(s.verifies_with(b"junk"), Verdict::UnsupportedAlgorithm);
        assert_eq!(contents(b"\x04\x01\x07"), Some(&b"\x07"[..]));
        assert_eq!(contents(b"\x04\x02\x07"), None);
    }
}
