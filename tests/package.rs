//! Archive structure, package layout and content checks, as a table of
//! hand-built archives, each named after what it tries, with its expected kind.

mod common;

use common::*;
use pkgverify::{Limits, PackageBuilder};

const TOOL: &[u8] = b"#!/bin/sh\necho tool\n";
const CONF: &[u8] = b"key=value\n";

/// The files the manifest lists in most cases.
fn listed() -> Vec<(&'static str, &'static [u8], u32)> {
    vec![("bin/tool", TOOL, 0o755), ("etc/conf", CONF, 0o644)]
}

/// The matching payload entries.
fn payload() -> Vec<RawEntry> {
    vec![
        RawEntry::file("bin/tool", TOOL).mode(0o100755),
        RawEntry::file("etc/conf", CONF).mode(0o100644),
    ]
}

/// A valid raw package, to be changed by `f`.
fn with(f: impl FnOnce(&mut RawZip)) -> Vec<u8> {
    let mut z = RawZip::new(raw_package(&listed(), payload()));
    f(&mut z);
    z.build()
}

/// Index of an entry by name.
fn idx(z: &RawZip, name: &str) -> usize {
    z.entries
        .iter()
        .position(|e| e.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"))
}

fn entry<'a>(z: &'a mut RawZip, name: &str) -> &'a mut RawEntry {
    let i = idx(z, name);
    &mut z.entries[i]
}

/// A package whose manifest lists `files` and whose archive holds `payload`.
fn listing(files: &[(&str, &[u8], u32)], payload: Vec<RawEntry>) -> Vec<u8> {
    RawZip::new(raw_package(files, payload)).build()
}

/// A package whose manifest is exactly `manifest` (signed), with the usual payload.
fn manifest_bytes(manifest: &[u8]) -> Vec<u8> {
    RawZip::new(raw_signed(manifest, payload())).build()
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    /// Expected kind, or "" for success.
    kind: &'static str,
}

fn case(name: &'static str, kind: &'static str, bytes: Vec<u8>) -> Case {
    Case { name, bytes, kind }
}

fn cases() -> Vec<Case> {
    let nfc = "caf\u{e9}";
    let nfd = "cafe\u{301}";
    vec![
        // ---- accepted ----------------------------------------------------
        case("baseline", "", with(|_| {})),
        case("deflated payload", "", with(|z| {
            for e in &mut z.entries[3..] {
                e.method = 8;
            }
        })),
        case("archive comment", "", with(|z| z.comment = b"built by vendor CI".to_vec())),
        case(
            "directory entries anywhere after the manifest, even between a signature pair",
            "",
            with(|z| {
                z.entries.insert(1, RawEntry::dir("signatures/"));
                z.entries.insert(3, RawEntry::dir("extra/"));
                z.entries.push(RawEntry::dir("bin/"));
            }),
        ),
        case("data descriptors (stored and deflated)", "", with(|z| {
            for e in &mut z.entries {
                e.descriptor = true;
            }
            entry(z, "etc/conf").method = 8;
        })),
        case("setuid when the manifest says so", "", listing(
            &[("bin/tool", TOOL, 0o4755)],
            vec![RawEntry::file("bin/tool", TOOL).mode(0o104755)],
        )),
        case("no mode in the manifest, plain mode in the archive", "", {
            let files = [("bin/tool", TOOL)];
            let mut b = PackageBuilder::new("raw", "1");
            for (p, d) in files {
                b = b.file(p, d.to_vec(), 0).without_manifest_mode();
            }
            let m = b.manifest().unwrap().to_json();
            RawZip::new(raw_signed(&m, vec![RawEntry::file("bin/tool", TOOL).mode(0o100700)])).build()
        }),
        case("empty payload", "", listing(&[], vec![])),
        case("unicode name flagged UTF-8", "", listing(
            &[(nfc, TOOL, 0o644)],
            vec![RawEntry::file(nfc, TOOL)],
        )),
        // ---- archive structure -------------------------------------------
        case("not a zip", "archive_malformed", b"this is not a zip file at all, just text".to_vec()),
        case("empty file", "archive_malformed", Vec::new()),
        case("prepended bytes, offsets absolute", "archive_ambiguous", with(|z| z.prefix = b"MZ\x90\x00 janus".to_vec())),
        case("prepended bytes, offsets relative (Janus)", "archive_ambiguous", with(|z| {
            z.prefix = b"dex\n035\0 janus".to_vec();
            z.offsets_include_prefix = false;
        })),
        case("trailing bytes", "archive_ambiguous", with(|z| z.trailing = b"junk".to_vec())),
        case("end record signature in the comment", "archive_ambiguous", with(|z| {
            z.comment = b"PK\x05\x06 second end".to_vec()
        })),
        case("gap between entries", "archive_ambiguous", with(|z| entry(z, "bin/tool").gap_after = vec![0; 16])),
        case("hidden bytes before the central directory", "archive_ambiguous", with(|z| {
            z.entries.last_mut().unwrap().gap_after = b"hidden".to_vec()
        })),
        case("two central records for one local header", "archive_ambiguous", with(|z| z.duplicate_central = Some(3))),
        case("entry count too high", "archive_malformed", with(|z| z.count = Some(9))),
        case("entry count too low", "archive_malformed", with(|z| z.count = Some(2))),
        case("duplicate name", "archive_ambiguous", with(|z| z.entries.push(RawEntry::file("bin/tool", b"evil")))),
        case("duplicate name differing in case", "archive_ambiguous", with(|z| z.entries.push(RawEntry::file("BIN/Tool", b"evil")))),
        case("duplicate name differing in Unicode form", "archive_ambiguous", listing(
            &[(nfc, TOOL, 0o644)],
            vec![RawEntry::file(nfc, TOOL), RawEntry::file(nfd, b"evil")],
        )),
        case("a file and a directory of the same name", "archive_ambiguous", with(|z| z.entries.push(RawEntry::dir("bin/tool/")))),
        case("a file where a directory is needed", "archive_ambiguous", with(|z| z.entries.push(RawEntry::file("etc/conf/x", b"x")))),
        case("local name differs from central", "archive_ambiguous", with(|z| {
            entry(z, "bin/tool").central_name = Some(b"bin/toom".to_vec())
        })),
        case("local CRC differs", "archive_ambiguous", with(|z| entry(z, "bin/tool").local_crc = Some(1))),
        case("local size differs", "archive_ambiguous", with(|z| entry(z, "bin/tool").local_size = Some(3))),
        case("central flags differ", "archive_ambiguous", with(|z| entry(z, "bin/tool").central_flags = Some(0))),
        case("data descriptor disagrees", "archive_ambiguous", with(|z| {
            let e = entry(z, "bin/tool");
            e.descriptor = true;
            e.descriptor_crc = Some(7);
        })),
        case("central CRC wrong (content does not match it)", "archive_malformed", with(|z| {
            let e = entry(z, "bin/tool");
            e.central_crc = Some(0x1234_5678);
            e.local_crc = Some(0x1234_5678);
        })),
        case("traditional encryption flag", "unsupported_entry", with(|z| entry(z, "bin/tool").flags |= 1)),
        case("unknown flag bit", "unsupported_entry", with(|z| entry(z, "bin/tool").flags |= 1 << 4)),
        case("bzip2 method", "unsupported_entry", with(|z| entry(z, "bin/tool").method = 12)),
        case("symlink", "unsupported_entry", with(|z| entry(z, "bin/tool").unix_mode = Some(0o120777))),
        case("fifo", "unsupported_entry", with(|z| entry(z, "bin/tool").unix_mode = Some(0o010644))),
        case("directory attributes on a file name", "archive_ambiguous", with(|z| entry(z, "bin/tool").unix_mode = Some(0o040755))),
        case("directory with content", "archive_ambiguous", with(|z| {
            let mut d = RawEntry::dir("bin/");
            d.data = b"hidden".to_vec();
            z.entries.push(d);
        })),
        case("non-ASCII name without the UTF-8 flag", "archive_ambiguous", with(|z| {
            let mut e = RawEntry::file("x", b"");
            e.name = b"caf\x82".to_vec();
            e.flags = 0;
            z.entries.push(e);
        })),
        case("invalid UTF-8 name", "unsafe_path", with(|z| {
            let mut e = RawEntry::file("x", b"");
            e.name = b"caf\xff".to_vec();
            z.entries.push(e);
        })),
        case("deflate stream inflates past the listed size", "size_mismatch", with(|z| {
            let e = entry(z, "bin/tool");
            let mut long = TOOL.to_vec();
            long.extend_from_slice(&[b'A'; 100_000]);
            e.data = long;
            e.method = 8;
            e.central_size = Some(TOOL.len() as u32);
            e.local_size = Some(TOOL.len() as u32);
            e.central_crc = Some(crc32fast::hash(TOOL));
            e.local_crc = Some(crc32fast::hash(TOOL));
        })),
        case("deflate stream ends before its compressed size", "archive_malformed", with(|z| {
            let e = entry(z, "bin/tool");
            e.method = 8;
            e.compressed_suffix = b"hidden after the stream".to_vec();
        })),
        case("corrupt deflate stream", "archive_malformed", with(|z| {
            // Block type 3 is reserved: no inflater accepts it.
            let e = entry(z, "bin/tool");
            e.method = 8;
            e.body = Some(vec![0xff; 12]);
        })),
        // ---- paths -------------------------------------------------------
        case("parent segment", "unsafe_path", with(|z| z.entries.push(RawEntry::file("../evil", b"")))),
        case("nested parent segment", "unsafe_path", with(|z| z.entries.push(RawEntry::file("bin/../../evil", b"")))),
        case("absolute path", "unsafe_path", with(|z| z.entries.push(RawEntry::file("/etc/passwd", b"")))),
        case("backslash", "unsafe_path", with(|z| z.entries.push(RawEntry::file("..\\evil", b"")))),
        case("drive letter", "unsafe_path", with(|z| z.entries.push(RawEntry::file("C:evil", b"")))),
        case("dot segment", "unsafe_path", with(|z| z.entries.push(RawEntry::file("bin/./x", b"")))),
        case("empty segment", "unsafe_path", with(|z| z.entries.push(RawEntry::file("bin//x", b"")))),
        case("control character", "unsafe_path", with(|z| z.entries.push(RawEntry::file("bin/\x1b[2Jx", b"")))),
        case("parent directory entry", "unsafe_path", with(|z| z.entries.push(RawEntry::dir("../")))),
        // ---- layout ------------------------------------------------------
        case("manifest not first", "misplaced_entry", with(|z| z.entries.swap(0, 1))),
        case("no manifest", "manifest_missing", with(|z| {
            z.entries.remove(0);
        })),
        case("manifest name in another case only", "manifest_missing", with(|z| z.entries[0].name = b"MANIFEST.json".to_vec())),
        case("signature after payload", "misplaced_entry", with(|z| {
            let sig = z.entries.remove(1);
            z.entries.push(sig);
        })),
        case("stray file in signatures/", "misplaced_entry", with(|z| z.entries.insert(3, RawEntry::file("signatures/readme.txt", b"")))),
        case("signature name with a space", "misplaced_entry", with(|z| z.entries.insert(3, RawEntry::file("signatures/a b.sig", b"")))),
        case("signature in a subfolder", "misplaced_entry", with(|z| z.entries.insert(3, RawEntry::file("signatures/x/y.sig", b"")))),
        // ---- manifest (signed, so the parser is reached) ------------------
        case("manifest is not JSON", "manifest_invalid", manifest_bytes(b"format: 1")),
        case("manifest has a duplicate key", "manifest_invalid", manifest_bytes(br#"{"format":1,"format":1,"package":{"name":"a","version":"1"},"files":[]}"#)),
        case("manifest format 2", "manifest_invalid", manifest_bytes(br#"{"format":2,"package":{"name":"a","version":"1"},"files":[]}"#)),
        case("manifest is invalid UTF-8", "manifest_invalid", manifest_bytes(b"{\"format\":1,\"x\":\"\xff\"}")),
        case("manifest with a negative size", "manifest_invalid", manifest_bytes(br#"{"format":1,"package":{"name":"a","version":"1"},"files":[{"path":"a","size":-1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#)),
        // ---- content -----------------------------------------------------
        case("unlisted entry", "unlisted_entry", with(|z| z.entries.push(RawEntry::file("bin/extra", b"extra")))),
        case("unlisted entry named like a signature, other case", "unlisted_entry", with(|z| z.entries.push(RawEntry::file("Signatures/x.sig", b"")))),
        case("missing entry", "missing_entry", with(|z| {
            let i = idx(z, "etc/conf");
            z.entries.remove(i);
        })),
        case("size differs from the manifest", "size_mismatch", listing(
            &[("bin/tool", b"short", 0o755)],
            vec![RawEntry::file("bin/tool", TOOL).mode(0o100755)],
        )),
        case("digest differs from the manifest", "digest_mismatch", with(|z| {
            let e = entry(z, "bin/tool");
            e.data = TOOL.to_vec();
            e.data[0] ^= 0x20;
        })),
        case("mode differs from the manifest", "mode_mismatch", with(|z| entry(z, "bin/tool").unix_mode = Some(0o100644))),
        case("setuid not in the manifest", "mode_mismatch", with(|z| entry(z, "bin/tool").unix_mode = Some(0o104755))),
        case("manifest mode but no unix mode in the archive", "mode_mismatch", with(|z| entry(z, "bin/tool").unix_mode = None)),
    ]
}

#[test]
fn table() {
    let verifier = verifier(trust_g2());
    let mut failures = Vec::new();
    for c in cases() {
        let got = match verifier.verify_bytes(&c.bytes) {
            Ok(_) => "",
            Err(r) => {
                // Every message names something: the entry, field or certificate.
                assert!(!r.to_string().is_empty());
                if r.kind() != c.kind {
                    failures.push(format!(
                        "{}: expected {:?}, got {} ({r})",
                        c.name,
                        c.kind,
                        r.kind()
                    ));
                }
                continue;
            }
        };
        if got != c.kind {
            failures.push(format!(
                "{}: expected {:?}, but it verified",
                c.name, c.kind
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn errors_name_the_entry() {
    let v = verifier(trust_g2());
    let bytes = with(|z| entry(z, "bin/tool").data[0] ^= 0x20);
    let r = v.verify_bytes(&bytes).unwrap_err();
    assert_eq!(r.error().path(), Some("bin/tool"));
    assert!(r.to_string().contains("\"bin/tool\""), "{r}");
    // Authenticated before the content failed: the package identity is known.
    assert_eq!(r.package().map(|p| p.name.as_str()), Some("raw"));

    let bytes = with(|z| z.entries.push(RawEntry::file("bin/\x1b[2Jx", b"")));
    let r = v.verify_bytes(&bytes).unwrap_err();
    assert!(
        !r.to_string().contains('\x1b'),
        "control characters are escaped: {r}"
    );
}

#[test]
fn every_truncation_is_rejected() {
    let v = verifier(trust_g2());
    for bytes in [good_package(), stored_package()] {
        for len in 0..bytes.len() {
            match v.verify_bytes(&bytes[..len]) {
                Ok(_) => panic!(
                    "truncated to {len} of {} bytes, still verified",
                    bytes.len()
                ),
                Err(r) => assert!(
                    matches!(r.kind(), "archive_malformed" | "archive_ambiguous"),
                    "truncated to {len}: {} ({r})",
                    r.kind()
                ),
            }
        }
        assert!(v.verify_bytes(&bytes).is_ok());
    }
}

#[test]
fn every_single_bit_flip_is_rejected_or_hits_an_uninterpreted_field() {
    // Flip the low bit of each byte of a small stored package. Either the package is
    // rejected, or the flip hit a field no reader uses to find or decode content
    // (version numbers, timestamps, DOS attributes), the payload the zip crate
    // extracts is exactly what was signed, and every entry's mode is unchanged.
    let v = verifier(trust_g2());
    let bytes = stored_package();
    let original = v.verify_bytes(&bytes).unwrap();
    let harmless = uninterpreted_offsets(&bytes);
    let mut rejected = 0;
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        match v.verify_bytes(&b) {
            Err(_) => rejected += 1,
            Ok(p) => {
                assert!(harmless.contains(&i), "flip at byte {i} accepted");
                assert_eq!(p.manifest(), original.manifest(), "byte {i}");
                assert_eq!(
                    zip_crate_contents(&b),
                    zip_crate_contents(&bytes),
                    "byte {i}"
                );
            }
        }
    }
    assert!(
        rejected > bytes.len() * 9 / 10,
        "{rejected} of {} rejected",
        bytes.len()
    );
}

/// Offsets of header fields that do not locate, size, name or decode content:
/// versions, time and date (local and central), internal attributes, the low
/// (DOS) half of the external attributes, and for the manifest and signature
/// entries the host system and the permission bits.
fn uninterpreted_offsets(bytes: &[u8]) -> std::collections::HashSet<usize> {
    let le16 = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let le32 = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as usize;
    let eocd = bytes.len() - 22;
    assert_eq!(le32(eocd), 0x0605_4b50, "test package has no comment");
    let mut out = std::collections::HashSet::new();
    let mut c = le32(eocd + 16);
    for _ in 0..le16(eocd + 10) {
        let local = le32(c + 42);
        out.extend([4, 5, 10, 11, 12, 13].map(|o| local + o));
        out.extend([4, 6, 7, 12, 13, 14, 15, 36, 37, 38, 39].map(|o| c + o));
        let name = &bytes[c + 46..c + 46 + le16(c + 28)];
        if name == b"manifest.json" || name.starts_with(b"signatures/") {
            // Not payload: its host system and permission bits are not compared with anything.
            out.extend([5, 40, 41].map(|o| c + o));
        }
        c += 46 + le16(c + 28) + le16(c + 30) + le16(c + 32);
    }
    out
}

/// What the zip crate (an independent reader) extracts: name -> content.
fn zip_crate_contents(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.push((format!("{:?}", f.name()), data));
    }
    out
}

#[test]
fn the_manifest_size_is_bounded() {
    let mut limits = Limits::default();
    limits.max_manifest_bytes = 64;
    let r = verifier(trust_g2())
        .with_limits(limits)
        .verify_bytes(&good_package())
        .unwrap_err();
    assert_eq!(r.kind(), "limit_exceeded");
    assert_eq!(r.error().path(), Some("manifest.json"));
}

#[test]
fn entry_count_is_bounded() {
    let mut limits = Limits::default();
    limits.max_entries = 3;
    let r = verifier(trust_g2())
        .with_limits(limits)
        .verify_bytes(&good_package())
        .unwrap_err();
    assert_eq!(r.kind(), "limit_exceeded");
}

#[test]
fn verify_path_and_bytes_agree_and_the_file_is_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.zip");
    let bytes = good_package();
    std::fs::write(&path, &bytes).unwrap();
    let v = verifier(trust_g2());
    let a = v.verify_path(&path).unwrap();
    let b = v.verify_bytes(&bytes).unwrap();
    assert_eq!(a.manifest(), b.manifest());
    assert_eq!(a.bytes(), b.bytes());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(
        v.verify_path(dir.path().join("missing.zip"))
            .unwrap_err()
            .kind(),
        "io"
    );
}
