//! Reading an RFC 3161 TimeStampToken: the subset of CMS SignedData (RFC
//! 5652) a token uses, and its TSTInfo, read strictly from DER with
//! asn1-rs. Nothing here is trusted yet: `super` checks what this reads.

use std::borrow::Cow;

use asn1_rs::{Any, Class, FromDer, Oid, Tag};

use crate::error::TokenProblem;

/// id-signedData.
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// id-ct-TSTInfo.
pub(crate) const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
/// id-contentType, id-messageDigest.
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
/// id-aa-signingCertificate (ESS, SHA-1) and id-aa-signingCertificateV2.
const SIGNING_CERTIFICATE: &str = "1.2.840.113549.1.9.16.2.12";
const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";

/// A digest algorithm a token may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    /// Only to identify a certificate in an ESS signingCertificate (v1),
    /// which RFC 2634 fixes to SHA-1; never for an imprint or a signature.
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            "1.3.14.3.2.26" => Some(Self::Sha1),
            "2.16.840.1.101.3.4.2.1" => Some(Self::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(Self::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    pub(crate) fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    pub(crate) fn digest(self, bytes: &[u8]) -> Vec<u8> {
        let alg = match self {
            Self::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, bytes).as_ref().to_vec()
    }
}

/// How the SignerInfo names its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignerId<'a> {
    /// The issuer's Name (whole DER element) and the serial number's contents.
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// The subjectKeyIdentifier.
    KeyId(&'a [u8]),
}

/// The ESS certificate identifier of the signing certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EssCertId<'a> {
    pub(crate) digest: Digest,
    pub(crate) hash: &'a [u8],
    /// The issuer's directoryName (whole Name element) and the serial
    /// number's contents, when given.
    pub(crate) issuer_serial: Option<(Option<&'a [u8]>, &'a [u8])>,
}

/// A token, read.
#[derive(Debug)]
pub(crate) struct Token<'a> {
    /// Every certificate the token carries (whole DER elements).
    pub(crate) certificates: Vec<&'a [u8]>,
    pub(crate) signer: SignerId<'a>,
    /// The SignerInfo's digest algorithm.
    pub(crate) digest: Digest,
    /// The signed attributes as signed: their DER with the SET OF tag.
    pub(crate) signed_attributes: Vec<u8>,
    pub(crate) message_digest: &'a [u8],
    pub(crate) ess: EssCertId<'a>,
    /// The SignerInfo's signature algorithm (dotted OID).
    pub(crate) signature_algorithm: String,
    pub(crate) signature: &'a [u8],
    /// The TSTInfo's DER (the eContent), which messageDigest covers.
    pub(crate) content: &'a [u8],
    pub(crate) info: TstInfo<'a>,
}

/// The TSTInfo: what the TSA asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TstInfo<'a> {
    pub(crate) imprint_digest: Digest,
    pub(crate) imprint: &'a [u8],
    /// genTime: seconds since the epoch, and microseconds past them.
    pub(crate) seconds: u64,
    pub(crate) micros: u32,
    /// The accuracy, in microseconds (0 when absent).
    pub(crate) accuracy_micros: u64,
    /// The serial number's contents.
    pub(crate) serial: &'a [u8],
}

/// Reads `der` as a TimeStampToken.
pub(crate) fn read(der: &[u8]) -> Result<Token<'_>, TokenProblem> {
    let mut top = Reader::new(der);
    let content_info = top.sequence("ContentInfo")?;
    top.end("ContentInfo")?;
    let mut ci = Reader::new(content_info.data);
    if ci.oid("ContentInfo.contentType")? != SIGNED_DATA {
        return Err(TokenProblem::NotSignedData);
    }
    let explicit = ci.context(0, "ContentInfo.content")?;
    ci.end("ContentInfo")?;
    let mut wrapper = Reader::new(explicit.data);
    let signed_data = wrapper.sequence("SignedData")?;
    wrapper.end("ContentInfo.content")?;

    let mut sd = Reader::new(signed_data.data);
    let version = sd.small_integer("SignedData.version")?;
    if !matches!(version, 1 | 3) {
        return Err(TokenProblem::Malformed("SignedData.version"));
    }
    sd.set("SignedData.digestAlgorithms")?;
    let encap = sd.sequence("SignedData.encapContentInfo")?;
    let mut ec = Reader::new(encap.data);
    if ec.oid("encapContentInfo.eContentType")? != TST_INFO {
        return Err(TokenProblem::NotTstInfo);
    }
    let econtent = ec.context(0, "encapContentInfo.eContent")?;
    ec.end("encapContentInfo")?;
    let mut octets = Reader::new(econtent.data);
    let content = octets.universal(Tag::OctetString, "eContent")?.data;
    octets.end("eContent")?;

    let mut certificates = Vec::new();
    if sd.next_is(Class::ContextSpecific, 0) {
        let certs = sd.context(0, "SignedData.certificates")?;
        let mut each = Reader::new(certs.data);
        while !each.is_empty() {
            // Only plain X.509 certificates; the other CertificateChoices
            // (attribute certificates, other formats) are refused.
            let (cert, raw) = each.element("SignedData.certificates")?;
            if cert.header.class() != Class::Universal || cert.header.tag() != Tag::Sequence {
                return Err(TokenProblem::Malformed("SignedData.certificates"));
            }
            certificates.push(raw);
        }
    }
    if sd.next_is(Class::ContextSpecific, 1) {
        // CRLs carried in the token: not used (revocation comes from the
        // trust store).
        sd.context(1, "SignedData.crls")?;
    }
    let signer_infos = sd.set("SignedData.signerInfos")?;
    sd.end("SignedData")?;
    let mut infos = Reader::new(signer_infos.data);
    let info = infos.sequence("SignerInfo")?;
    if !infos.is_empty() {
        return Err(TokenProblem::SignerInfos);
    }

    let mut si = Reader::new(info.data);
    let si_version = si.small_integer("SignerInfo.version")?;
    let signer = if si.next_is(Class::ContextSpecific, 0) {
        let ski = si.context(0, "SignerInfo.sid")?;
        if si_version != 3 || ski.header.is_constructed() {
            return Err(TokenProblem::Malformed("SignerInfo.sid"));
        }
        SignerId::KeyId(ski.data)
    } else {
        let ias = si.sequence("SignerInfo.sid")?;
        if si_version != 1 {
            return Err(TokenProblem::Malformed("SignerInfo.version"));
        }
        let mut r = Reader::new(ias.data);
        let (_, issuer) = r.element("IssuerAndSerialNumber.issuer")?;
        let serial = r.universal(Tag::Integer, "IssuerAndSerialNumber.serialNumber")?;
        r.end("IssuerAndSerialNumber")?;
        SignerId::IssuerSerial {
            issuer,
            serial: serial.data,
        }
    };
    let (digest_oid, _) = si.algorithm("SignerInfo.digestAlgorithm")?;
    let digest = match Digest::from_oid(&digest_oid) {
        Some(Digest::Sha1) => return Err(TokenProblem::WeakDigest("SignerInfo.digestAlgorithm")),
        Some(d) => d,
        None => return Err(TokenProblem::UnknownDigest(digest_oid)),
    };
    if !si.next_is(Class::ContextSpecific, 0) {
        return Err(TokenProblem::NoSignedAttributes);
    }
    let (attrs, attrs_raw) = si.element("SignerInfo.signedAttrs")?;
    if !attrs.header.is_constructed() {
        return Err(TokenProblem::Malformed("SignerInfo.signedAttrs"));
    }
    // The signature covers the attributes' DER with the SET OF tag (RFC 5652 5.4).
    let mut signed_attributes = attrs_raw.to_vec();
    if let Some(first) = signed_attributes.first_mut() {
        *first = 0x31;
    }
    let (signature_algorithm, _) = si.algorithm("SignerInfo.signatureAlgorithm")?;
    let signature = si.universal(Tag::OctetString, "SignerInfo.signature")?.data;
    if si.next_is(Class::ContextSpecific, 1) {
        si.context(1, "SignerInfo.unsignedAttrs")?;
    }
    si.end("SignerInfo")?;

    let mut content_type = None;
    let mut message_digest = None;
    let mut ess = None;
    let mut each = Reader::new(attrs.data);
    while !each.is_empty() {
        let attr = each.sequence("Attribute")?;
        let mut a = Reader::new(attr.data);
        let kind = a.oid("Attribute.attrType")?;
        let values = a.set("Attribute.attrValues")?;
        a.end("Attribute")?;
        let mut v = Reader::new(values.data);
        let (value, _) = v.element("Attribute.attrValues")?;
        let single = v.is_empty();
        let slot_taken = match kind.as_str() {
            CONTENT_TYPE => content_type.replace((value, single)).is_some(),
            MESSAGE_DIGEST => message_digest.replace((value, single)).is_some(),
            SIGNING_CERTIFICATE => ess.replace((value, single, false)).is_some(),
            SIGNING_CERTIFICATE_V2 => ess.replace((value, single, true)).is_some(),
            _ => false,
        };
        // One of each, with one value (RFC 5652 11, RFC 5035).
        if slot_taken || !single {
            return Err(TokenProblem::Malformed("signed attribute given twice"));
        }
    }
    match content_type {
        Some((v, _)) if v.header.tag() == Tag::Oid && oid_string(&v) == TST_INFO => {}
        _ => return Err(TokenProblem::ContentType),
    }
    let message_digest = match message_digest {
        Some((v, _)) if v.header.tag() == Tag::OctetString => v.data,
        _ => return Err(TokenProblem::MessageDigestMissing),
    };
    let ess = match ess {
        Some((v, _, v2)) => read_ess(&v, v2)?,
        None => return Err(TokenProblem::SigningCertificateMissing),
    };
    let info = read_tst_info(content)?;
    Ok(Token {
        certificates,
        signer,
        digest,
        signed_attributes,
        message_digest,
        ess,
        signature_algorithm,
        signature,
        content,
        info,
    })
}

/// The first ESSCertID(v2) of a SigningCertificate(V2): the signing certificate's.
fn read_ess<'a>(value: &Any<'a>, v2: bool) -> Result<EssCertId<'a>, TokenProblem> {
    let what = "signingCertificate";
    if value.header.tag() != Tag::Sequence {
        return Err(TokenProblem::Malformed(what));
    }
    let mut sc = Reader::new(value.data);
    let certs = sc.sequence(what)?;
    let mut ids = Reader::new(certs.data);
    let first = ids.sequence(what)?;
    let mut id = Reader::new(first.data);
    let digest = if v2 && id.next_is(Class::Universal, Tag::Sequence.0) {
        let (oid, _) = id.algorithm(what)?;
        match Digest::from_oid(&oid) {
            Some(Digest::Sha1) => return Err(TokenProblem::WeakDigest(what)),
            Some(d) => d,
            None => return Err(TokenProblem::UnknownDigest(oid)),
        }
    } else if v2 {
        Digest::Sha256
    } else {
        Digest::Sha1
    };
    let hash = id.universal(Tag::OctetString, what)?.data;
    let issuer_serial = if id.is_empty() {
        None
    } else {
        let is = id.sequence(what)?;
        let mut r = Reader::new(is.data);
        let names = r.sequence(what)?;
        let serial = r.universal(Tag::Integer, what)?.data;
        r.end(what)?;
        // GeneralNames: the directoryName [4], if there is one.
        let mut gn = Reader::new(names.data);
        let mut directory = None;
        while !gn.is_empty() {
            let (name, _) = gn.element(what)?;
            if name.header.class() == Class::ContextSpecific && name.header.tag().0 == 4 {
                let mut inner = Reader::new(name.data);
                directory = Some(inner.element(what)?.1);
            }
        }
        Some((directory, serial))
    };
    id.end(what)?;
    Ok(EssCertId {
        digest,
        hash,
        issuer_serial,
    })
}

/// The largest accuracy taken (one day): a wider one says nothing useful.
const MAX_ACCURACY_MICROS: u64 = 86_400_000_000;

fn read_tst_info(der: &[u8]) -> Result<TstInfo<'_>, TokenProblem> {
    let mut top = Reader::new(der);
    let seq = top.sequence("TSTInfo")?;
    top.end("TSTInfo")?;
    let mut t = Reader::new(seq.data);
    if t.small_integer("TSTInfo.version")? != 1 {
        return Err(TokenProblem::Malformed("TSTInfo.version"));
    }
    t.oid("TSTInfo.policy")?;
    let imprint = t.sequence("TSTInfo.messageImprint")?;
    let mut mi = Reader::new(imprint.data);
    let (alg, _) = mi.algorithm("messageImprint.hashAlgorithm")?;
    let imprint_digest = match Digest::from_oid(&alg) {
        Some(Digest::Sha1) => return Err(TokenProblem::WeakDigest("messageImprint")),
        Some(d) => d,
        None => return Err(TokenProblem::UnknownDigest(alg)),
    };
    let hashed = mi
        .universal(Tag::OctetString, "messageImprint.hashedMessage")?
        .data;
    mi.end("messageImprint")?;
    if hashed.len() != imprint_digest.len() {
        return Err(TokenProblem::Malformed(
            "messageImprint.hashedMessage length",
        ));
    }
    let serial = t.universal(Tag::Integer, "TSTInfo.serialNumber")?.data;
    let time = t.universal(Tag::GeneralizedTime, "TSTInfo.genTime")?;
    let (seconds, micros) = generalized_time(time.data).ok_or(TokenProblem::Time)?;
    let mut accuracy_micros = 0u64;
    if t.next_is(Class::Universal, Tag::Sequence.0) {
        let acc = t.sequence("TSTInfo.accuracy")?;
        let mut a = Reader::new(acc.data);
        if a.next_is(Class::Universal, Tag::Integer.0) {
            let s = a.small_integer("accuracy.seconds")?;
            accuracy_micros = s.saturating_mul(1_000_000);
        }
        for (n, scale) in [(0u32, 1000u64), (1, 1)] {
            if a.next_is(Class::ContextSpecific, n) {
                let v = a.context(n, "accuracy")?;
                let v = unsigned(v.data).filter(|v| (1..=999).contains(v));
                let v = v.ok_or(TokenProblem::Malformed("accuracy"))?;
                accuracy_micros = accuracy_micros.saturating_add(v * scale);
            }
        }
        a.end("TSTInfo.accuracy")?;
        if accuracy_micros > MAX_ACCURACY_MICROS {
            return Err(TokenProblem::Malformed("accuracy over a day"));
        }
    }
    // ordering, nonce, tsa, extensions: read for their syntax, not used.
    if t.next_is(Class::Universal, Tag::Boolean.0) {
        t.universal(Tag::Boolean, "TSTInfo.ordering")?;
    }
    if t.next_is(Class::Universal, Tag::Integer.0) {
        t.universal(Tag::Integer, "TSTInfo.nonce")?;
    }
    if t.next_is(Class::ContextSpecific, 0) {
        t.context(0, "TSTInfo.tsa")?;
    }
    if t.next_is(Class::ContextSpecific, 1) {
        t.context(1, "TSTInfo.extensions")?;
    }
    t.end("TSTInfo")?;
    Ok(TstInfo {
        imprint_digest,
        imprint: hashed,
        seconds,
        micros,
        accuracy_micros,
        serial,
    })
}

/// A DER GeneralizedTime, `YYYYMMDDHHMMSS[.f+]Z` (RFC 3161 2.4.2): seconds
/// since the epoch and microseconds (finer digits dropped).
fn generalized_time(text: &[u8]) -> Option<(u64, u32)> {
    let text = std::str::from_utf8(text).ok()?;
    let body = text.strip_suffix('Z')?;
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => {
            // DER: no trailing zeros, at least one digit.
            if f.is_empty() || f.ends_with('0') || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (w, f)
        }
        None => (body, ""),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| whole.get(range)?.parse::<u32>().ok();
    let month = time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(n(0..4)?).ok()?,
        month,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
    )
    .ok()?;
    let seconds = u64::try_from(date.with_time(t).assume_utc().unix_timestamp()).ok()?;
    let mut digits: String = fraction.chars().take(6).collect();
    while digits.len() < 6 {
        digits.push('0');
    }
    Some((seconds, digits.parse().ok()?))
}

/// A non-negative INTEGER's value, if it fits in 63 bits.
fn unsigned(contents: &[u8]) -> Option<u64> {
    if contents.is_empty() || contents.len() > 8 || contents.first().is_some_and(|b| b & 0x80 != 0)
    {
        return None;
    }
    Some(contents.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
}

fn oid_string(any: &Any<'_>) -> String {
    Oid::new(Cow::Borrowed(any.data)).to_id_string()
}

/// DER elements one after another.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn end(&self, what: &'static str) -> Result<(), TokenProblem> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(TokenProblem::Malformed(what))
        }
    }

    /// The next element, and its whole DER.
    fn element(&mut self, what: &'static str) -> Result<(Any<'a>, &'a [u8]), TokenProblem> {
        let before = self.rest;
        let (rest, any) = Any::from_der(before).map_err(|_| TokenProblem::Malformed(what))?;
        let raw = before
            .get(..before.len() - rest.len())
            .ok_or(TokenProblem::Malformed(what))?;
        self.rest = rest;
        Ok((any, raw))
    }

    /// Whether the next element has this class and tag number.
    fn next_is(&self, class: Class, tag: u32) -> bool {
        Any::from_der(self.rest)
            .map(|(_, a)| a.header.class() == class && a.header.tag().0 == tag)
            .unwrap_or(false)
    }

    fn universal(&mut self, tag: Tag, what: &'static str) -> Result<Any<'a>, TokenProblem> {
        let (any, _) = self.element(what)?;
        let constructed = matches!(tag, Tag::Sequence | Tag::Set);
        if any.header.class() != Class::Universal
            || any.header.tag() != tag
            || any.header.is_constructed() != constructed
        {
            return Err(TokenProblem::Malformed(what));
        }
        Ok(any)
    }

    fn sequence(&mut self, what: &'static str) -> Result<Any<'a>, TokenProblem> {
        self.universal(Tag::Sequence, what)
    }

    fn set(&mut self, what: &'static str) -> Result<Any<'a>, TokenProblem> {
        self.universal(Tag::Set, what)
    }

    fn context(&mut self, n: u32, what: &'static str) -> Result<Any<'a>, TokenProblem> {
        let (any, _) = self.element(what)?;
        if any.header.class() != Class::ContextSpecific || any.header.tag().0 != n {
            return Err(TokenProblem::Malformed(what));
        }
        Ok(any)
    }

    fn oid(&mut self, what: &'static str) -> Result<String, TokenProblem> {
        let any = self.universal(Tag::Oid, what)?;
        Ok(oid_string(&any))
    }

    fn small_integer(&mut self, what: &'static str) -> Result<u64, TokenProblem> {
        let any = self.universal(Tag::Integer, what)?;
        unsigned(any.data).ok_or(TokenProblem::Malformed(what))
    }

    /// An AlgorithmIdentifier: its OID, and its parameters' DER if any
    /// (an explicit NULL counts as none).
    fn algorithm(
        &mut self,
        what: &'static str,
    ) -> Result<(String, Option<&'a [u8]>), TokenProblem> {
        let seq = self.sequence(what)?;
        let mut r = Reader::new(seq.data);
        let oid = r.oid(what)?;
        let params = if r.is_empty() {
            None
        } else {
            let (any, raw) = r.element(what)?;
            (any.header.tag() != Tag::Null).then_some(raw)
        };
        r.end(what)?;
        Ok((oid, params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_times() {
        let cases: &[(&str, Option<(u64, u32)>)] = &[
            ("20261001000000Z", Some((1_790_812_800, 0))),
            ("20261001000000.5Z", Some((1_790_812_800, 500_000))),
            ("20261001000000.123456789Z", Some((1_790_812_800, 123_456))),
            ("20261001000000.50Z", None),
            ("20261001000000.Z", None),
            ("20261001000000", None),
            ("2026100100000Z", None),
            ("20261301000000Z", None),
            ("20260231000000Z", None),
            ("20261001240000Z", None),
            ("19691231235959Z", None),
        ];
        for (text, want) in cases {
            assert_eq!(generalized_time(text.as_bytes()), *want, "{text}");
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\x30",
            b"\x30\x80\x00\x00",
            b"\x30\x03\x06\x01\x00",
            b"\xff\xff",
        ] {
            assert!(read(bytes).is_err());
        }
    }
}
