//! The table of hand-built archives shared by the library tests (tests/package.rs)
//! and the example-binary tests (tests/cli.rs): each case is named after what it
//! tries and states the error kind it must produce ("" for success).

use super::*;
use pkgverify::PackageBuilder;

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
pub fn with(f: impl FnOnce(&mut RawZip)) -> Vec<u8> {
    let mut z = RawZip::new(raw_package(&listed(), payload()));
    f(&mut z);
    z.build()
}

/// Index of an entry by name.
pub fn idx(z: &RawZip, name: &str) -> usize {
    z.entries
        .iter()
        .position(|e| e.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"))
}

pub fn entry<'a>(z: &'a mut RawZip, name: &str) -> &'a mut RawEntry {
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

pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    /// Expected kind, or "" for success.
    pub kind: &'static str,
    /// Whether the trust store must hold the Signing CA G2 CRL.
    pub crl: bool,
}

fn case(name: &'static str, kind: &'static str, bytes: Vec<u8>) -> Case {
    Case {
        name,
        bytes,
        kind,
        crl: false,
    }
}

/// A package signed only by `leaf`, checked against Root G2 (and the CRL if `crl`).
fn signed_by(name: &'static str, kind: &'static str, leaf: &str, crl: bool) -> Case {
    Case {
        name,
        bytes: build(builder(&[leaf])),
        kind,
        crl,
    }
}

pub fn cases() -> Vec<Case> {
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
        case("empty file", "package_empty", Vec::new()),
        case("prepended bytes, offsets absolute", "archive_ambiguous", with(|z| z.prefix = b"MZ\x90\x00 janus".to_vec())),
        case("prepended bytes, offsets relative (Janus)", "archive_ambiguous", with(|z| {
            z.prefix = b"dex\n035\0 janus".to_vec();
            z.offsets_include_prefix = false;
        })),
        case("trailing bytes", "archive_ambiguous", with(|z| z.trailing = b"junk".to_vec())),
        case("end record signature in the comment", "archive_ambiguous", with(|z| {
            z.comment = b"PK\x05\x06 second end".to_vec()
        })),
        case("local header hidden in the archive comment", "archive_ambiguous", with(|z| {
            z.comment = b"PK\x03\x04 hidden entry".to_vec()
        })),
        case("records hidden in an entry comment", "archive_ambiguous", with(|z| {
            entry(z, "bin/tool").comment = b"PK\x06\x06 zip64 end".to_vec()
        })),
        case("entry comment", "", with(|z| entry(z, "bin/tool").comment = b"release build".to_vec())),
        case("unix owner extra field (bsdtar would chown)", "unsupported_entry", with(|z| {
            entry(z, "bin/tool").local_extra = [&[0x75, 0x78, 11, 0][..], &[1, 4, 0xe8, 3, 0, 0, 4, 0xe8, 3, 0, 0]].concat()
        })),
        case("libarchive attributes extra field", "unsupported_entry", with(|z| {
            entry(z, "bin/tool").central_extra = [&[0x78, 0x6c, 4, 0][..], &(0o104777u32 << 16).to_le_bytes()].concat()
        })),
        case("unknown extra field hiding a local header", "archive_ambiguous", with(|z| {
            entry(z, "bin/tool").local_extra = [&[0xfe, 0xca, 8, 0][..], b"PK\x03\x04evil"].concat()
        })),
        case("extended timestamp extra field", "", with(|z| {
            entry(z, "bin/tool").local_extra = [&[0x55, 0x54, 5, 0][..], &[1, 0, 0, 0, 0x60]].concat()
        })),
        case("the same extra field twice", "archive_ambiguous", with(|z| {
            entry(z, "bin/tool").local_extra = [&[0x55, 0x54, 5, 0][..], &[1, 0, 0, 0, 0x60], &[0x55, 0x54, 5, 0], &[1, 0, 0, 0, 0x61]].concat()
        })),
        case("local zip64 extra field with unsaturated sizes", "archive_ambiguous", with(|z| {
            let size = TOOL.len() as u64;
            entry(z, "bin/tool").local_extra = [&[1, 0, 16, 0][..], &size.to_le_bytes(), &size.to_le_bytes()].concat()
        })),
        case("central zip64 values repeating unsaturated fields (Go's writer)", "", with(|z| {
            // Readers taking values for saturated fields only and readers taking them by position agree.
            let size = TOOL.len() as u64;
            entry(z, "bin/tool").central_extra = [&[1, 0, 16, 0][..], &size.to_le_bytes(), &size.to_le_bytes()].concat()
        })),
        case("central zip64 value disagreeing with an unsaturated field", "archive_ambiguous", with(|z| {
            let size = TOOL.len() as u64 + 1;
            entry(z, "bin/tool").central_extra = [&[1, 0, 8, 0][..], &size.to_le_bytes()].concat()
        })),
        case("central zip64 field with a disk number", "archive_ambiguous", with(|z| {
            let size = TOOL.len() as u64;
            entry(z, "bin/tool").central_extra = [&[1, 0, 28, 0][..], &size.to_le_bytes(), &size.to_le_bytes(), &0u64.to_le_bytes(), &[0; 4]].concat()
        })),
        case("64-bit descriptor without a local zip64 extra field", "archive_ambiguous", with(|z| {
            let e = entry(z, "bin/tool");
            e.descriptor = true;
            e.gap_after = vec![0; 8];
        })),
        case("end signature starting in the end record's comment length", "archive_ambiguous", with(|z| {
            let mut comment = vec![0u8; 0x4b50];
            comment[..2].copy_from_slice(b"\x05\x06");
            z.comment = comment;
        })),
        case("symlink under a non-unix host byte", "unsupported_entry", with(|z| {
            // Info-ZIP's unzip makes symlinks for Atari (5), VMS, BeOS and other hosts too.
            let e = entry(z, "etc/conf");
            e.unix_mode = Some(0o120777);
            e.made_by = Some(0x0514);
        })),
        case("world-writable directory", "mode_mismatch", with(|z| z.entries.push(RawEntry::dir("bin/").mode(0o040777)))),
        case("world-writable payload without a manifest mode", "mode_mismatch", {
            let mut b = PackageBuilder::new("raw", "1");
            b = b.file("bin/tool", TOOL.to_vec(), 0).without_manifest_mode();
            let m = b.manifest().unwrap().to_json();
            RawZip::new(raw_signed(&m, vec![RawEntry::file("bin/tool", TOOL).mode(0o100777)])).build()
        }),
        case("world-writable payload when the manifest says so", "", listing(
            &[("bin/tool", TOOL, 0o777)],
            vec![RawEntry::file("bin/tool", TOOL).mode(0o100777)],
        )),
        case("subdirectory in signatures/", "misplaced_entry", with(|z| z.entries.insert(3, RawEntry::dir("signatures/old/")))),
        case("names equal under case folding (long s)", "archive_ambiguous", with(|z| {
            z.entries.push(RawEntry::file("etc/\u{17f}", b""));
            z.entries.push(RawEntry::file("etc/S", b""));
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
        case("stored data hiding a descriptor for its own prefix", "archive_ambiguous", {
            let mut data = b"echo EVIL\n".to_vec();
            let crc = crc32fast::hash(&data);
            let n = data.len() as u32;
            data.extend_from_slice(b"PK\x07\x08");
            data.extend_from_slice(&crc.to_le_bytes());
            data.extend_from_slice(&n.to_le_bytes());
            data.extend_from_slice(&n.to_le_bytes());
            data.extend_from_slice(b"echo good\n");
            let mut e = RawEntry::file("bin/tool", &data).mode(0o100755);
            e.descriptor = true;
            listing(&[("bin/tool", &data, 0o755)], vec![e])
        }),
        case("stored data with a descriptor signature that matches nothing", "", {
            let data = b"zip inside: PK\x07\x08 0123456789abcdef and more".to_vec();
            let mut e = RawEntry::file("bin/tool", &data).mode(0o100755);
            e.descriptor = true;
            listing(&[("bin/tool", &data, 0o755)], vec![e])
        }),
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
        case("empty file whose deflate stream holds content (ZipDiff a2)", "archive_ambiguous", {
            let mut e = RawEntry::file("etc/empty", b"").mode(0o100644);
            e.method = 8;
            e.body = Some(deflate(b"12345678"));
            let mut files = listed();
            files.push(("etc/empty", b"", 0o644));
            let mut payload = payload();
            payload.push(e);
            listing(&files, payload)
        }),
        case("name with a character Windows cannot store", "unsafe_path", with(|z| z.entries.push(RawEntry::file("bin/what?", b"")))),
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
        case("all-dots segment", "unsafe_path", with(|z| z.entries.push(RawEntry::file(".../a", b"")))),
        case("trailing dot (Windows strips it)", "unsafe_path", with(|z| z.entries.push(RawEntry::file("bin/tool.", b"")))),
        case("Windows device name", "unsafe_path", with(|z| z.entries.push(RawEntry::file("scripts/NUL.sh", b"")))),
        case("Windows device name as a directory", "unsafe_path", with(|z| z.entries.push(RawEntry::dir("con/")))),
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
        // ---- signers -----------------------------------------------------
        signed_by("ECDSA P-384 signer", "", "signer-p384", false),
        signed_by("Ed25519 signer", "", "signer-ed25519", false),
        signed_by("RSA signer", "", "signer-rsa2048", false),
        signed_by("signer from the old hierarchy only", "untrusted_signer", "signer-g1", false),
        signed_by("signer issued by a non-CA", "untrusted_signer", "bad-nonca-issuer", false),
        signed_by("server-auth-only signer", "wrong_key_usage", "bad-serverauth", false),
        signed_by("signer without EKU", "wrong_key_usage", "bad-noeku", false),
        signed_by("expired signer", "certificate_expired", "bad-expired", false),
        signed_by("not yet valid signer", "certificate_not_yet_valid", "bad-notyet", false),
        signed_by("revoked signer", "certificate_revoked", "bad-revoked", true),
        case("signature by another key", "signature_invalid", {
            let (key, _) = signer("signer-p384");
            let (_, chain) = signer("signer-p256");
            build(builder(&[]).signer("forged", key, chain))
        }),
        case("no signature", "signature_missing", with(|z| {
            z.entries.drain(1..3);
        })),
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
        case("payload byte changed, CRC left as recorded", "digest_mismatch", with(|z| {
            let e = entry(z, "bin/tool");
            e.central_crc = Some(crc32fast::hash(TOOL));
            e.local_crc = Some(crc32fast::hash(TOOL));
            e.data[0] ^= 0x20;
        })),
        case("mode differs from the manifest", "mode_mismatch", with(|z| entry(z, "bin/tool").unix_mode = Some(0o100644))),
        case("setuid not in the manifest", "mode_mismatch", with(|z| entry(z, "bin/tool").unix_mode = Some(0o104755))),
        case("manifest mode but no unix mode in the archive", "mode_mismatch", with(|z| entry(z, "bin/tool").unix_mode = None)),
    ]
}
