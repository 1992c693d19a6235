//! Shared test helpers: the committed test PKI (testdata/pki, written by
//! examples/gen_testdata.rs), a fixed verification time, and a raw ZIP
//! writer for building archives no well-behaved writer would produce.
#![allow(dead_code)]

pub mod cases;
pub mod cli;
pub mod der_tree;
pub mod tsa;

use std::path::{Path, PathBuf};

use pkgverify::{
    Compression, PackageBuilder, Rejection, SigningKey, TrustStore, UnixTime, VerifiedPackage,
    Verifier,
};

/// All tests judge certificates at this time, never the wall clock.
pub const AT: &str = "2027-06-01T00:00:00Z";

pub fn at() -> UnixTime {
    pkgverify::parse_rfc3339(AT).unwrap()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a file in testdata/pki.
pub fn pki(name: &str) -> PathBuf {
    repo().join("testdata/pki").join(name)
}

pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// A trust store with the given anchors (file stems in testdata/pki), intermediates and CRLs.
pub fn store(anchors: &[&str], intermediates: &[&str], crls: &[&str]) -> TrustStore {
    let mut t = TrustStore::new();
    for a in anchors {
        t.load_anchors(pki(&format!("{a}.pem"))).unwrap();
    }
    for i in intermediates {
        t.load_intermediates(pki(&format!("{i}.pem"))).unwrap();
    }
    for c in crls {
        t.load_crls(pki(c)).unwrap();
    }
    t
}

/// The operator after the rotation: trusts Root G2 directly.
pub fn trust_g2() -> TrustStore {
    store(&["root-g2"], &[], &[])
}

pub fn verifier(trust: TrustStore) -> Verifier {
    Verifier::new(trust, at())
}

/// The key and the chain file (leaf + issuing CA) of a leaf in testdata/pki.
pub fn signer(leaf: &str) -> (SigningKey, Vec<u8>) {
    let key = SigningKey::from_pkcs8_pem(&read(pki(&format!("{leaf}.key")))).unwrap();
    (key, read(pki(&format!("{leaf}-chain.pem"))))
}

/// A small package with two files, signed by `leaves` (signature name = leaf name).
pub fn builder(leaves: &[&str]) -> PackageBuilder {
    let mut b = PackageBuilder::new("demo", "1.0.0")
        .created("2026-09-01T00:00:00Z")
        .file("bin/tool", b"\x7fELF tool binary".to_vec(), 0o755)
        .file(
            "scripts/post-install.sh",
            b"#!/bin/sh\necho done\n".to_vec(),
            0o755,
        )
        .file("config/defaults.json", b"{\"a\":1}\n".to_vec(), 0o644);
    for leaf in leaves {
        let (key, chain) = signer(leaf);
        b = b.signer(leaf, key, chain);
    }
    b
}

pub fn build(b: PackageBuilder) -> Vec<u8> {
    b.write(std::io::Cursor::new(Vec::new()))
        .unwrap()
        .into_inner()
}

/// A valid package signed by signer-p256 under G2, deflated.
pub fn good_package() -> Vec<u8> {
    build(builder(&["signer-p256"]))
}

pub fn stored_package() -> Vec<u8> {
    build(builder(&["signer-p256"]).compression(Compression::Stored))
}

pub fn verify_g2(bytes: &[u8]) -> Result<VerifiedPackage, Rejection> {
    verifier(trust_g2()).verify_both(bytes)
}

/// The typed cause of a rejected signer (`Error::Untrusted`).
#[track_caller]
#[allow(dead_code)]
pub fn cause(r: &Rejection) -> &pkgverify::ChainError {
    match r.error() {
        pkgverify::Error::Untrusted { cause, .. } => cause,
        e => panic!("not an untrusted signer: {e:?}"),
    }
}

/// Where the path built by name ended, for a signer with no path to an anchor.
#[track_caller]
#[allow(dead_code)]
pub fn path_end(r: &Rejection) -> &pkgverify::PathEnd {
    match cause(r) {
        pkgverify::ChainError::NoPath(n) => &n.end,
        c => panic!("not a missing path: {c:?}"),
    }
}

/// The issuer path building did not find.
#[track_caller]
#[allow(dead_code)]
pub fn issuer_missing(r: &Rejection) -> &pkgverify::IssuerMissing {
    match path_end(r) {
        pkgverify::PathEnd::IssuerMissing(m) => m,
        e => panic!("not a missing issuer: {e:?}"),
    }
}

/// Asserts the result is a rejection of `kind`; returns it.
#[track_caller]
pub fn assert_kind(result: Result<VerifiedPackage, Rejection>, kind: &str) -> Rejection {
    match result {
        Ok(p) => panic!(
            "expected {kind}, but the package verified ({} files)",
            p.manifest().files().len()
        ),
        Err(r) => {
            assert_eq!(r.kind(), kind, "wrong kind; message: {r}");
            r
        }
    }
}

/// Asserts the result verified.
#[track_caller]
pub fn assert_ok(result: Result<VerifiedPackage, Rejection>) -> VerifiedPackage {
    match result {
        Ok(p) => p,
        Err(r) => panic!("expected success, got {}: {r}", r.kind()),
    }
}

/// A CA of testdata/pki (file stem) that tests can issue certificates and CRLs with.
pub fn issuer(ca: &str) -> rcgen::Issuer<'static, rcgen::KeyPair> {
    let pem = |ext: &str| String::from_utf8(read(pki(&format!("{ca}.{ext}")))).unwrap();
    let key = rcgen::KeyPair::from_pem(&pem("key")).unwrap();
    rcgen::Issuer::from_ca_cert_pem(&pem("pem"), key).unwrap()
}

/// A PEM CRL from Signing CA G2 revoking nothing, issued `this_update`, stale
/// after `next_update` (dates as year, month, day).
pub fn signing_ca_g2_crl(
    this_update: (i32, u8, u8),
    next_update: (i32, u8, u8),
    number: u64,
) -> String {
    crl_of("signing-ca-g2", this_update, next_update, number)
}

/// An empty CRL signed by the test PKI's CA `ca` (`root-g2`, `signing-ca-g2`, ...).
pub fn crl_of(
    ca: &str,
    this_update: (i32, u8, u8),
    next_update: (i32, u8, u8),
    number: u64,
) -> String {
    use rcgen::{date_time_ymd, CertificateRevocationListParams, KeyIdMethod, SerialNumber};
    let ca = issuer(ca);
    CertificateRevocationListParams {
        this_update: date_time_ymd(this_update.0, this_update.1, this_update.2),
        next_update: date_time_ymd(next_update.0, next_update.1, next_update.2),
        crl_number: SerialNumber::from(number),
        issuing_distribution_point: None,
        revoked_certs: Vec::new(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&ca)
    .unwrap()
    .pem()
    .unwrap()
}

// ---- a raw ZIP writer ------------------------------------------------------

/// One entry for [`RawZip`], every header field under the test's control.
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub name: Vec<u8>,
    /// Central-directory name, if it should differ from the local one.
    pub central_name: Option<Vec<u8>>,
    /// Uncompressed content.
    pub data: Vec<u8>,
    /// 0 stored, 8 deflate (data is deflated here), anything else: stored bytes with that method id.
    pub method: u16,
    pub flags: u16,
    /// Central flags, if they should differ.
    pub central_flags: Option<u16>,
    /// Unix mode including the file type (e.g. 0o100644), put in the external attributes.
    pub unix_mode: Option<u32>,
    /// Overrides of CRC / compressed size / size written in the local header.
    pub local_crc: Option<u32>,
    pub local_size: Option<u32>,
    /// Override of the CRC written in the central directory.
    pub central_crc: Option<u32>,
    pub central_size: Option<u32>,
    /// Write a data descriptor (with signature) after the data; local CRC/sizes become 0.
    pub descriptor: bool,
    /// Override of the descriptor's CRC.
    pub descriptor_crc: Option<u32>,
    pub local_extra: Vec<u8>,
    pub central_extra: Vec<u8>,
    /// Bytes to put between this entry's data and the next header.
    pub gap_after: Vec<u8>,
    /// Bytes appended to the compressed data and counted in its compressed size.
    pub compressed_suffix: Vec<u8>,
    /// "Version made by" (host system in the high byte); default: unix if `unix_mode` is set.
    pub made_by: Option<u16>,
    /// The entry's comment in the central directory.
    pub comment: Vec<u8>,
    /// The stored body as is, instead of `data` (deflated if method 8); CRC and size still describe `data`.
    pub body: Option<Vec<u8>>,
}

impl RawEntry {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            central_name: None,
            data: data.to_vec(),
            method: 0,
            flags: 0x0800,
            central_flags: None,
            unix_mode: Some(0o100644),
            local_crc: None,
            local_size: None,
            central_crc: None,
            central_size: None,
            descriptor: false,
            descriptor_crc: None,
            local_extra: Vec::new(),
            central_extra: Vec::new(),
            gap_after: Vec::new(),
            compressed_suffix: Vec::new(),
            body: None,
            comment: Vec::new(),
            made_by: None,
        }
    }

    pub fn dir(name: &str) -> Self {
        Self {
            unix_mode: Some(0o040755),
            ..Self::file(name, b"")
        }
    }

    pub fn mode(mut self, mode: u32) -> Self {
        self.unix_mode = Some(mode);
        self
    }

    pub fn deflated(mut self) -> Self {
        self.method = 8;
        self
    }
}

/// Writes archives entry by entry, with optional prefix, trailing bytes and comment.
#[derive(Clone, Debug, Default)]
pub struct RawZip {
    pub entries: Vec<RawEntry>,
    pub prefix: Vec<u8>,
    pub comment: Vec<u8>,
    pub trailing: Vec<u8>,
    /// Override of the entry count in the end record.
    pub count: Option<u16>,
    /// Duplicate this central record index (two records, one local header).
    pub duplicate_central: Option<usize>,
    /// Adjust offsets as if the prefix were not there (a Janus-style archive keeps offsets valid).
    pub offsets_include_prefix: bool,
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

impl RawZip {
    pub fn new(entries: Vec<RawEntry>) -> Self {
        Self {
            entries,
            offsets_include_prefix: true,
            ..Self::default()
        }
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let base = if self.offsets_include_prefix {
            0
        } else {
            self.prefix.len() as u32
        };
        let mut central = Vec::new();
        let mut records = Vec::new();
        for e in &self.entries {
            let offset = out.len() as u32 - base;
            let crc = crc32fast::hash(&e.data);
            let mut body = match (&e.body, e.method) {
                (Some(b), _) => b.clone(),
                (None, 8) => deflate(&e.data),
                (None, _) => e.data.clone(),
            };
            body.extend_from_slice(&e.compressed_suffix);
            let (lcrc, lcsize, lsize) = if e.descriptor {
                (0, 0, 0)
            } else {
                (crc, body.len() as u32, e.data.len() as u32)
            };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&(e.flags | if e.descriptor { 8 } else { 0 }).to_le_bytes());
            out.extend_from_slice(&e.method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&e.local_crc.unwrap_or(lcrc).to_le_bytes());
            out.extend_from_slice(&lcsize.to_le_bytes());
            out.extend_from_slice(&e.local_size.unwrap_or(lsize).to_le_bytes());
            out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(e.local_extra.len() as u16).to_le_bytes());
            out.extend_from_slice(&e.name);
            out.extend_from_slice(&e.local_extra);
            out.extend_from_slice(&body);
            if e.descriptor {
                out.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
                out.extend_from_slice(&e.descriptor_crc.unwrap_or(crc).to_le_bytes());
                out.extend_from_slice(&(body.len() as u32).to_le_bytes());
                out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            }
            out.extend_from_slice(&e.gap_after);

            let mut c = Vec::new();
            let name = e.central_name.as_ref().unwrap_or(&e.name);
            c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            let made_by: u16 = if e.unix_mode.is_some() {
                0x031e
            } else {
                0x001e
            };
            c.extend_from_slice(&made_by.to_le_bytes());
            c.extend_from_slice(&20u16.to_le_bytes());
            let cflags = e
                .central_flags
                .unwrap_or(e.flags | if e.descriptor { 8 } else { 0 });
            c.extend_from_slice(&cflags.to_le_bytes());
            c.extend_from_slice(&e.method.to_le_bytes());
            c.extend_from_slice(&[0, 0, 0x21, 0]);
            c.extend_from_slice(&e.central_crc.unwrap_or(crc).to_le_bytes());
            c.extend_from_slice(&(body.len() as u32).to_le_bytes());
            c.extend_from_slice(&e.central_size.unwrap_or(e.data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(name.len() as u16).to_le_bytes());
            c.extend_from_slice(&(e.central_extra.len() as u16).to_le_bytes());
            c.extend_from_slice(&(e.comment.len() as u16).to_le_bytes());
            c.extend_from_slice(&0u16.to_le_bytes()); // disk
            c.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
            c.extend_from_slice(&(e.unix_mode.unwrap_or(0) << 16).to_le_bytes());
            c.extend_from_slice(&offset.to_le_bytes());
            c.extend_from_slice(name);
            c.extend_from_slice(&e.central_extra);
            c.extend_from_slice(&e.comment);
            records.push(c);
        }
        if let Some(i) = self.duplicate_central {
            let r = records[i].clone();
            records.push(r);
        }
        let cd_offset = out.len() as u32 - base;
        for r in &records {
            central.extend_from_slice(r);
        }
        out.extend_from_slice(&central);
        let count = self.count.unwrap_or(records.len() as u16);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&(self.comment.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.comment);
        out.extend_from_slice(&self.trailing);
        out
    }
}

/// A signed package as raw entries: manifest (listing `files`), one signature
/// by signer-p256, then `payload`. Tests mutate the result before building.
pub fn raw_package(files: &[(&str, &[u8], u32)], payload: Vec<RawEntry>) -> Vec<RawEntry> {
    let mut b = PackageBuilder::new("raw", "1");
    for (path, data, mode) in files {
        b = b.file(path, data.to_vec(), *mode);
    }
    let manifest = b.manifest().unwrap().to_json();
    raw_signed(&manifest, payload)
}

/// Raw entries for a package whose manifest bytes are exactly `manifest`.
pub fn raw_signed(manifest: &[u8], payload: Vec<RawEntry>) -> Vec<RawEntry> {
    let (key, chain) = signer("signer-p256");
    let sig = key.sign(manifest).unwrap();
    let mut entries = vec![
        RawEntry::file("manifest.json", manifest),
        RawEntry::file("signatures/s.sig", &sig),
        RawEntry::file("signatures/s.pem", &chain),
    ];
    entries.extend(payload);
    entries
}

/// Test support, not API: writes a package whose `manifest.json` is exactly
/// `manifest`, signed by `key` (signature `s`, `chain` as its `.pem`), then
/// each payload file (deflated, mode 0644) from memory or from disk, so
/// that a test can make the manifest lie about what follows.
#[allow(dead_code)]
pub fn write_signed_raw<W: std::io::Write + std::io::Seek>(
    out: W,
    manifest: &[u8],
    key: &SigningKey,
    chain: &[u8],
    payload: &[(&str, RawSource)],
) -> W {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(out);
    let base = SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .system(zip::System::Unix)
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    zip.start_file("manifest.json", base).unwrap();
    zip.write_all(manifest).unwrap();
    zip.start_file("signatures/s.sig", base).unwrap();
    zip.write_all(&key.sign(manifest).unwrap()).unwrap();
    zip.start_file("signatures/s.pem", base).unwrap();
    zip.write_all(chain).unwrap();
    for (name, source) in payload {
        match source {
            RawSource::Bytes(b) => {
                zip.start_file(*name, base).unwrap();
                zip.write_all(b).unwrap();
            }
            RawSource::File(path) => {
                let size = std::fs::metadata(path).unwrap().len();
                zip.start_file(*name, base.large_file(size >= u64::from(u32::MAX)))
                    .unwrap();
                std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut zip).unwrap();
            }
        }
    }
    zip.finish().unwrap()
}

/// Where [`write_signed_raw`] takes a payload file's content from.
#[allow(dead_code)]
pub enum RawSource {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Verification in both modes: from memory (seekable) and as a one-pass stream.
pub trait BothModes {
    /// Verifies `bytes` both ways, asserts the same verdict and the same error,
    /// returns the file's.
    fn verify_both(&self, bytes: &[u8]) -> Result<VerifiedPackage, Rejection>;
}

impl BothModes for Verifier {
    #[track_caller]
    fn verify_both(&self, bytes: &[u8]) -> Result<VerifiedPackage, Rejection> {
        let file = self.verify_bytes(bytes);
        let stream = self.verify_reader(bytes);
        let kind = |r: &Result<VerifiedPackage, Rejection>| {
            r.as_ref().err().map(|e| (e.kind(), e.to_string()))
        };
        assert_eq!(kind(&file), kind(&stream), "file and stream disagree");
        if let (Ok(a), Ok(b)) = (&file, &stream) {
            assert_eq!(a.manifest(), b.manifest());
            assert_eq!(a.bytes(), b.bytes());
        }
        file
    }
}

// ---- raw signature pairs and hand-edited certificates ----------------------

/// The manifest [`package_with_pairs`] signs: one file, `bin/tool`.
pub const PAIRS_FILE: &[u8] = b"\x7fELF tool binary";

/// A package whose manifest lists `bin/tool`, with the signature pairs
/// `pairs` makes over the manifest's exact bytes: `(name, .sig, .pem)`, in
/// that order. For signatures `SigningKey` cannot make.
pub fn package_with_pairs(pairs: impl Fn(&[u8]) -> Vec<(String, Vec<u8>, Vec<u8>)>) -> Vec<u8> {
    let manifest = PackageBuilder::new("pairs", "1.0.0")
        .file("bin/tool", PAIRS_FILE.to_vec(), 0o755)
        .manifest()
        .unwrap()
        .to_json();
    let mut entries = vec![RawEntry::file("manifest.json", &manifest)];
    for (name, sig, pem) in pairs(&manifest) {
        entries.push(RawEntry::file(&format!("signatures/{name}.sig"), &sig));
        entries.push(RawEntry::file(&format!("signatures/{name}.pem"), &pem));
    }
    entries.push(RawEntry::file("bin/tool", PAIRS_FILE).mode(0o100755));
    RawZip::new(entries).build()
}

/// The signature pair `(name, .sig, .pem)` of a testdata leaf over `message`.
pub fn pair(leaf: &str, message: &[u8]) -> (String, Vec<u8>, Vec<u8>) {
    let (key, chain) = signer(leaf);
    (leaf.to_owned(), key.sign(message).unwrap(), chain)
}

/// signer-rsa2048's signature over `message` with `encoding` (ring's RSA
/// encodings: PKCS#1 v1.5 or PSS with SHA-256, SHA-384 or SHA-512).
pub fn rsa2048_signature(
    message: &[u8],
    encoding: &'static dyn ring::signature::RsaEncoding,
) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    let der =
        rustls_pki_types::PrivatePkcs8KeyDer::from_pem_file(pki("signer-rsa2048.key")).unwrap();
    let key = ring::signature::RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).unwrap();
    let mut out = vec![0; key.public().modulus_len()];
    key.sign(
        encoding,
        &ring::rand::SystemRandom::new(),
        message,
        &mut out,
    )
    .unwrap();
    out
}

/// Minimal DER, for certificates no generator writes.
pub mod der {
    /// The first TLV of `bytes`: (tag, content, the whole TLV, the rest).
    pub fn split(bytes: &[u8]) -> (u8, &[u8], &[u8], &[u8]) {
        let tag = bytes[0];
        let (len, header) = match bytes[1] {
            n if n < 0x80 => (usize::from(n), 2),
            n => {
                let k = usize::from(n & 0x7f);
                let len = bytes[2..2 + k]
                    .iter()
                    .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
                (len, 2 + k)
            }
        };
        let end = header + len;
        (tag, &bytes[header..end], &bytes[..end], &bytes[end..])
    }

    /// The TLVs in a constructed value's content, each whole.
    pub fn children(mut content: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        while !content.is_empty() {
            let (_, _, whole, rest) = split(content);
            out.push(whole);
            content = rest;
        }
        out
    }

    /// A TLV.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// A SEQUENCE of the given TLVs.
    pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &items.concat())
    }

    /// The attribute type OIDs signer rules look at (content bytes).
    pub const O: &[u8] = &[0x55, 0x04, 0x0a];
    pub const CN: &[u8] = &[0x55, 0x04, 0x03];
    /// String tags.
    pub const UTF8: u8 = 0x0c;
    pub const T61: u8 = 0x14;
    pub const BMP: u8 = 0x1e;

    /// One attribute of a Name: (attribute OID, string tag, value bytes).
    pub type Attr<'a> = (&'a [u8], u8, &'a [u8]);

    /// A Name: RDNs, each a set of attributes.
    pub fn name(rdns: &[&[Attr<'_>]]) -> Vec<u8> {
        seq(&rdns
            .iter()
            .map(|rdn| {
                let attrs: Vec<Vec<u8>> = rdn
                    .iter()
                    .map(|(oid, tag, value)| seq(&[tlv(0x06, oid), tlv(*tag, value)]))
                    .collect();
                tlv(0x31, &attrs.concat())
            })
            .collect::<Vec<_>>())
    }
}

/// Index of the subject Name among a (v3) TBSCertificate's fields.
pub const TBS_SUBJECT: usize = 5;
/// Index of the SubjectPublicKeyInfo among a (v3) TBSCertificate's fields.
pub const TBS_SPKI: usize = 6;

/// `cert` (DER, issued by the testdata CA `ca`, whose key is ECDSA P-256)
/// with TBSCertificate field `index` replaced by `field`, signed again by
/// `ca`: a subject or key no generator writes, on a certificate that still
/// chains.
pub fn reissue(cert: &[u8], index: usize, field: Vec<u8>, ca: &str) -> Vec<u8> {
    let (_, content, _, _) = der::split(cert);
    let parts = der::children(content);
    let (_, tbs_content, _, _) = der::split(parts[0]);
    let mut fields: Vec<Vec<u8>> = der::children(tbs_content)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    fields[index] = field;
    let tbs = der::seq(&fields);
    let key = SigningKey::from_pkcs8_pem(&read(pki(&format!("{ca}.key")))).unwrap();
    assert_eq!(key.algorithm(), pkgverify::Algorithm::EcdsaP256Sha256);
    let signature = key.sign(&tbs).unwrap();
    let mut bits = vec![0u8];
    bits.extend(signature);
    der::seq(&[tbs, parts[1].to_vec(), der::tlv(0x03, &bits)])
}

/// PEM of a DER certificate.
pub fn cert_pem(der: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .chain(std::iter::repeat(&0))
            .take(3)
            .fold(0u32, |acc, b| acc << 8 | u32::from(*b));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

// ---- extraction ------------------------------------------------------------------

/// One node of an extracted tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File {
        mode: u32,
        content: Vec<u8>,
    },
    Dir {
        mode: u32,
    },
    /// A symbolic link (its target) or anything else.
    Other(String),
}

/// Everything below `dir`, by relative path, without following links.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Node> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            let node = if meta.file_type().is_symlink() {
                Node::Other(format!(
                    "-> {}",
                    std::fs::read_link(&path).unwrap().display()
                ))
            } else if meta.is_dir() {
                pending.push(path.clone());
                Node::Dir { mode }
            } else if meta.is_file() {
                Node::File {
                    mode,
                    content: std::fs::read(&path).unwrap(),
                }
            } else {
                Node::Other("special".into())
            };
            out.insert(rel, node);
        }
    }
    out
}

/// The tree a verified package's extraction must produce: its files with
/// their installed modes, the directories they need (0755), nothing else.
pub fn expected_tree(
    files: &[(&str, &[u8], Option<u32>)],
    options: pkgverify::InstallOptions,
) -> std::collections::BTreeMap<String, Node> {
    let mut out = std::collections::BTreeMap::new();
    for (path, content, mode) in files {
        let entry = pkgverify::FileEntry {
            path: path.to_string(),
            size: content.len() as u64,
            sha256: [0; 32],
            mode: *mode,
        };
        out.insert(
            path.to_string(),
            Node::File {
                mode: options.mode_of(&entry),
                content: content.to_vec(),
            },
        );
        let mut at = *path;
        while let Some((up, _)) = at.rsplit_once('/') {
            out.insert(up.to_string(), Node::Dir { mode: 0o755 });
            at = up;
        }
    }
    out
}

/// The outcome of one extraction: the tree, or the error's kind and message.
pub type Extracted = Result<std::collections::BTreeMap<String, Node>, (String, String)>;

/// Extracts `bytes` with `v` from a file and from a stream, each into a new
/// directory of an empty parent; asserts both agree, and that a failure
/// leaves the parent empty (no directory, no staging directory).
#[track_caller]
pub fn extract_both(v: &Verifier, bytes: &[u8], options: pkgverify::InstallOptions) -> Extracted {
    let parent = tempfile::tempdir().unwrap();
    let package = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(package.path(), bytes).unwrap();
    let outcome = |r: Result<VerifiedPackage, pkgverify::ExtractError>, dir: &Path| match r {
        Ok(_) => {
            let tree = snapshot(dir);
            std::fs::remove_dir_all(dir).unwrap();
            Ok(tree)
        }
        Err(e) => Err((e.kind().to_string(), e.to_string())),
    };
    let dir = parent.path().join("out");
    let file = outcome(v.extract_path(package.path(), &dir, options), &dir);
    assert_eq!(
        left_in(parent.path()),
        Vec::<String>::new(),
        "file: {file:?}"
    );
    let stream = outcome(v.extract_reader(bytes, &dir, options), &dir);
    assert_eq!(
        left_in(parent.path()),
        Vec::<String>::new(),
        "stream: {stream:?}"
    );
    assert_eq!(file, stream, "file and stream extractions disagree");
    file
}

/// The names in `dir`.
pub fn left_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---- running peer tools --------------------------------------------------

/// A command for `tool` in `dir`, free of the tools' option environment variables.
pub fn command(dir: &Path, tool: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(tool);
    cmd.args(args).current_dir(dir).env("LC_ALL", "C");
    for var in [
        "ZIP",
        "ZIPOPT",
        "UNZIP",
        "UNZIPOPT",
        "ZIPINFO",
        "ZIPINFOOPT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Fails the test, naming `tool`, unless it can be run.
#[track_caller]
pub fn need(tool: &str) {
    let probe: &[&str] = match tool {
        "openssl" => &["version"],
        "python3" => &["--version"],
        _ => &["-v"],
    };
    match std::process::Command::new(tool).args(probe).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "required tool `{tool}` does not work (`{tool} {}` exited with {})",
            probe.join(" "),
            out.status
        ),
        Err(e) => panic!(
            "required tool `{tool}` is missing (cannot run it: {e}); install it to run these tests"
        ),
    }
}

/// Runs `tool args` in `dir`; returns its stdout (a pipe); panics with stderr if it fails.
#[track_caller]
pub fn run_tool(dir: &Path, tool: &str, args: &[&str]) -> Vec<u8> {
    let out = command(dir, tool, args)
        .output()
        .unwrap_or_else(|e| panic!("required tool `{tool}` cannot be run: {e}"));
    if !out.status.success() {
        let shown: Vec<&str> = args
            .iter()
            .map(|a| if a.contains('\n') { "SCRIPT" } else { a })
            .collect();
        panic!(
            "`{tool} {}` failed ({}):\n{}",
            shown.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.stdout
}
