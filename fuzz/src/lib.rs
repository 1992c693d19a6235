//! Shared pieces of the pkgverify fuzz targets: the fixed trust store and
//! time the tests use, valid signed packages to mutate, an edit-script
//! decoder, and the "one reading" oracle every accepted input must pass.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::OnceLock;

use pkgverify::{
    Compression, Manifest, PackageBuilder, Rejection, SigningKey, TrustStore, VerifiedPackage,
    Verifier,
};
use sha2::{Digest, Sha256};

/// The verification time every test uses.
pub const AT: &str = "2027-06-01T00:00:00Z";

const ROOT_G2: &[u8] = include_bytes!("../../testdata/pki/root-g2.pem");
const CRL_G2: &[u8] = include_bytes!("../../testdata/pki/signing-ca-g2.crl");
const P256_KEY: &[u8] = include_bytes!("../../testdata/pki/signer-p256.key");
const P256_CHAIN: &[u8] = include_bytes!("../../testdata/pki/signer-p256-chain.pem");
const ED25519_KEY: &[u8] = include_bytes!("../../testdata/pki/signer-ed25519.key");
const ED25519_CHAIN: &[u8] = include_bytes!("../../testdata/pki/signer-ed25519-chain.pem");

fn at() -> pkgverify::UnixTime {
    pkgverify::parse_rfc3339(AT).expect("fixed time")
}

/// A verifier with an empty trust store: only the structure, layout and
/// signature-syntax checks can be reached, and nothing can verify.
pub fn empty_verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| Verifier::new(TrustStore::new(), at()))
}

/// The tests' trust store: Root G2 as the anchor and Signing CA G2's CRL, at [`AT`].
pub fn trusted_verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let mut t = TrustStore::new();
        t.add_anchors(ROOT_G2, "root-g2.pem").expect("anchor");
        t.add_crls(CRL_G2, "signing-ca-g2.crl").expect("crl");
        Verifier::new(t, at())
    })
}

/// The payload of every fixture package: a little of everything the
/// content checks look at (executable mode, empty file, nested path, a
/// compressible file).
fn payload(b: PackageBuilder) -> PackageBuilder {
    b.created("2026-09-01T00:00:00Z")
        .file("bin/tool", b"\x7fELF fuzz tool binary\n".to_vec(), 0o755)
        .file("etc/empty", Vec::new(), 0o644)
        .file(
            "share/doc/readme.txt",
            b"hello hello hello hello hello\n".repeat(8),
            0o644,
        )
}

fn build(b: PackageBuilder) -> Vec<u8> {
    b.write(Cursor::new(Vec::new()))
        .expect("package builds")
        .into_inner()
}

/// Valid packages signed by signer-p256 (deflated, then stored), built once
/// per process with [`PackageBuilder`].
///
/// ECDSA signatures are randomized and their DER length varies (70 to 72
/// bytes), which would move every later offset from one run to the next and
/// make edit scripts irreproducible: each package is rebuilt until its
/// signature is 71 bytes long, so the layout (all offsets) is the same in
/// every run; only the signature's bytes and CRC differ.
pub fn p256_packages() -> &'static [Vec<u8>; 2] {
    static P: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    P.get_or_init(|| {
        let make = |compression| loop {
            let key = SigningKey::from_pkcs8_pem(P256_KEY).expect("p256 key");
            let b = payload(PackageBuilder::new("fuzz", "1.0.0"))
                .compression(compression)
                .signer("vendor", key, P256_CHAIN.to_vec());
            let bytes = build(b);
            let sig_len = zip::ZipArchive::new(Cursor::new(&bytes))
                .expect("own package opens")
                .by_name("signatures/vendor.sig")
                .expect("signature entry")
                .size();
            if sig_len == 71 {
                trusted_verifier()
                    .verify_bytes(&bytes)
                    .expect("the fixture package verifies");
                return bytes;
            }
        };
        [make(Compression::Deflated), make(Compression::Stored)]
    })
}

/// A package whose `manifest.json` is exactly `manifest`, signed by
/// signer-ed25519 (deterministic signatures, so the output depends only on
/// the input), with the fixture payload.
pub fn ed25519_package(manifest: &[u8], compression: Compression) -> Vec<u8> {
    let key = SigningKey::from_pkcs8_pem(ED25519_KEY).expect("ed25519 key");
    payload(PackageBuilder::new("fuzz", "1.0.0"))
        .compression(compression)
        .signer("vendor", key, ED25519_CHAIN.to_vec())
        .fuzz_write_raw(Cursor::new(Vec::new()), manifest)
        .expect("package builds")
        .into_inner()
}

/// The manifest [`ed25519_package`] would write for the fixture payload.
pub fn fixture_manifest() -> Vec<u8> {
    payload(PackageBuilder::new("fuzz", "1.0.0"))
        .manifest()
        .expect("manifest")
        .to_json()
}

/// The oracle for every accepted input: a package pkgverify verified must
/// read the same in an independent reader (the zip crate). Every payload
/// file the signed manifest lists is there once with the listed size and
/// SHA-256, nothing else is there but the manifest, the signatures and
/// directories, and the manifest the zip crate extracts parses to the one
/// pkgverify verified.
///
/// # Panics
/// When the readings differ: that is a finding.
pub fn assert_one_reading(bytes: &[u8], package: &VerifiedPackage) {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes))
        .expect("pkgverify accepted an archive the zip crate cannot open");
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..z.len() {
        let mut f = z
            .by_index(i)
            .expect("pkgverify accepted an entry the zip crate cannot open");
        let name = f
            .name()
            .expect("pkgverify accepted a name the zip crate cannot decode")
            .into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data)
            .expect("pkgverify accepted an entry the zip crate cannot read");
        if f.is_dir() {
            assert!(data.is_empty(), "directory {name:?} has content");
            continue;
        }
        assert!(
            files.insert(name.clone(), data).is_none(),
            "the zip crate sees {name:?} twice"
        );
    }
    let manifest = files
        .remove("manifest.json")
        .expect("the zip crate sees no manifest.json");
    assert_eq!(
        &Manifest::fuzz_parse(&manifest).expect("the zip crate's manifest parses"),
        package.manifest(),
        "the zip crate reads another manifest"
    );
    for f in package.manifest().files() {
        let data = files
            .remove(&f.path)
            .unwrap_or_else(|| panic!("the zip crate does not see {:?}", f.path));
        assert_eq!(data.len() as u64, f.size, "{:?}: size", f.path);
        let digest: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(
            digest, f.sha256,
            "{:?}: the zip crate reads other bytes",
            f.path
        );
    }
    for name in files.keys() {
        assert!(
            name.starts_with("signatures/"),
            "the zip crate sees an unlisted file {name:?}"
        );
    }
}

/// The differential oracle between one-pass verification of a stream
/// (`verify_reader`) and seekable verification (`verify_bytes`) of the same
/// bytes: both accept the same manifest, or both reject with the same error
/// (kind and message). Whatever is accepted must read the same in the zip crate.
///
/// # Panics
/// When the verdicts differ: that is a finding.
pub fn assert_same_verdict(
    bytes: &[u8],
    stream: &Result<VerifiedPackage, Rejection>,
    seekable: &Result<VerifiedPackage, Rejection>,
) {
    match (stream, seekable) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.manifest(),
                b.manifest(),
                "the stream verified another manifest"
            );
            assert_one_reading(bytes, a);
        }
        (Ok(_), Err(r)) => panic!(
            "the stream accepts what seekable verification rejects: {}: {r}",
            r.kind()
        ),
        (Err(r), Ok(_)) => panic!(
            "seekable verification accepts what the stream rejects: {}: {r}",
            r.kind()
        ),
        (Err(a), Err(b)) => assert_eq!(
            (a.kind(), a.to_string()),
            (b.kind(), b.to_string()),
            "the stream and seekable verification reject for different reasons"
        ),
    }
}

/// Offsets and widths of every header field of a well-formed ZIP archive
/// without an archive comment (local headers, central records, end record),
/// for edits that hit fields rather than random bytes.
pub fn header_fields(bytes: &[u8]) -> Vec<(usize, usize)> {
    let le16 = |o: usize| usize::from(u16::from_le_bytes([bytes[o], bytes[o + 1]]));
    let le32 = |o: usize| {
        u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
    };
    const LOCAL: [(usize, usize); 11] = [
        (0, 4),
        (4, 2),
        (6, 2),
        (8, 2),
        (10, 2),
        (12, 2),
        (14, 4),
        (18, 4),
        (22, 4),
        (26, 2),
        (28, 2),
    ];
    const CENTRAL: [(usize, usize); 17] = [
        (0, 4),
        (4, 2),
        (6, 2),
        (8, 2),
        (10, 2),
        (12, 2),
        (14, 2),
        (16, 4),
        (20, 4),
        (24, 4),
        (28, 2),
        (30, 2),
        (32, 2),
        (34, 2),
        (36, 2),
        (38, 4),
        (42, 4),
    ];
    const END: [(usize, usize); 8] = [
        (0, 4),
        (4, 2),
        (6, 2),
        (8, 2),
        (10, 2),
        (12, 4),
        (16, 4),
        (20, 2),
    ];
    let mut out = Vec::new();
    let end = bytes.len() - 22;
    out.extend(END.iter().map(|&(o, w)| (end + o, w)));
    let mut c = le32(end + 16);
    for _ in 0..le16(end + 10) {
        out.extend(CENTRAL.iter().map(|&(o, w)| (c + o, w)));
        let local = le32(c + 42);
        out.extend(LOCAL.iter().map(|&(o, w)| (local + o, w)));
        c += 46 + le16(c + 28) + le16(c + 30) + le16(c + 32);
    }
    out
}

/// Values that mean something in ZIP headers.
const INTERESTING: [u32; 20] = [
    0,
    1,
    2,
    8,
    0x7f,
    0x80,
    0xff,
    0x800,
    0x808,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    0x0403_4b50,
    0x0201_4b50,
    0x0605_4b50,
    0x0807_4b50,
    0xa1ed_0000,
];

/// Reads little-endian integers from the fuzz input, yielding zero past its end.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps the fuzz input.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether anything is left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next `n` bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.data.split_at(n.min(self.data.len()));
        self.data = tail;
        head
    }

    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    /// The next little-endian u16.
    pub fn u16(&mut self) -> u16 {
        let b = self.bytes(2);
        u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])
    }

    /// The next little-endian u32.
    pub fn u32(&mut self) -> u32 {
        let lo = u32::from(self.u16());
        lo | u32::from(self.u16()) << 16
    }
}

/// Applies an edit script from `input` to `bytes`: at most 16 operations,
/// each an opcode byte and its operands. Offsets wrap around the current
/// length; the result never grows past 1 MiB.
pub fn apply_edits(bytes: &mut Vec<u8>, fields: &[(usize, usize)], input: &mut Input<'_>) {
    for _ in 0..16 {
        if input.is_empty() {
            break;
        }
        let op = input.u8();
        let len = bytes.len();
        let at = |v: u32| (v as usize) % (len + 1);
        match op % 12 {
            // Flip one bit.
            0 => {
                let (o, bit) = (input.u32(), input.u8());
                if let Some(b) = bytes.get_mut(at(o)) {
                    *b ^= 1 << (bit % 8);
                }
            }
            // Overwrite one byte.
            1 => {
                let (o, v) = (input.u32(), input.u8());
                if let Some(b) = bytes.get_mut(at(o)) {
                    *b = v;
                }
            }
            // Insert bytes.
            2 => {
                let o = at(input.u32());
                let n = usize::from(input.u8());
                let ins = input.bytes(n).to_vec();
                bytes.splice(o..o, ins);
            }
            // Delete a range.
            3 => {
                let o = at(input.u32());
                let n = usize::from(input.u16()).min(len - o.min(len));
                bytes.drain(o..o + n);
            }
            // Overwrite a range with bytes from the input.
            4 => {
                let o = at(input.u32());
                let n = usize::from(input.u8());
                for (i, v) in input.bytes(n).iter().enumerate() {
                    if let Some(b) = bytes.get_mut(o + i) {
                        *b = *v;
                    }
                }
            }
            // Copy a range over another place (e.g. a record over another).
            5 => {
                let (s, d) = (at(input.u32()), at(input.u32()));
                let n = usize::from(input.u16()).min(len - s.min(len));
                let chunk = bytes[s..s + n].to_vec();
                for (i, v) in chunk.into_iter().enumerate() {
                    if let Some(b) = bytes.get_mut(d + i) {
                        *b = v;
                    }
                }
            }
            // Duplicate a range (insert a copy elsewhere).
            6 => {
                let (s, d) = (at(input.u32()), at(input.u32()));
                let n = usize::from(input.u16()).min(len - s.min(len));
                let chunk = bytes[s..s + n].to_vec();
                bytes.splice(d..d, chunk);
            }
            // Truncate.
            7 => {
                let o = at(input.u32());
                bytes.truncate(o);
            }
            // Set a header field to a value from the input.
            8 => {
                let (f, v) = (input.u16(), input.u32());
                set_field(bytes, fields, f, |_| v);
            }
            // Set a header field to an interesting value.
            9 => {
                let (f, i) = (input.u16(), input.u8());
                let v = INTERESTING[usize::from(i) % INTERESTING.len()];
                set_field(bytes, fields, f, |_| v);
            }
            // Add a small signed delta to a header field.
            10 => {
                let (f, d) = (input.u16(), input.u8() as i8);
                set_field(bytes, fields, f, |old| old.wrapping_add(d as u32));
            }
            // Append bytes.
            _ => {
                let n = usize::from(input.u8());
                let tail = input.bytes(n).to_vec();
                bytes.extend_from_slice(&tail);
            }
        }
        bytes.truncate(1 << 20);
    }
}

fn set_field(bytes: &mut [u8], fields: &[(usize, usize)], which: u16, f: impl Fn(u32) -> u32) {
    if fields.is_empty() {
        return;
    }
    let (o, w) = fields[usize::from(which) % fields.len()];
    let Some(slot) = bytes.get_mut(o..o + w) else {
        return;
    };
    let mut old = [0u8; 4];
    old[..w].copy_from_slice(slot);
    let new = f(u32::from_le_bytes(old)).to_le_bytes();
    slot.copy_from_slice(&new[..w]);
}
