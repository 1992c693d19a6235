//! Packages made by independent tools (Info-ZIP zip, OpenSSL, Python's
//! zipfile) verify, and tampering with them afterwards does not.
//!
//! Every test builds its package in a temporary directory by running the real
//! tools, with a manifest written here (not by the library's writer), and
//! verifies it with the committed test PKI at the fixed time `common::AT`.
//! A missing tool fails the test, naming the tool.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{assert_kind, assert_ok, command, need, run_tool as run, store, verifier};
use pkgverify::{Rejection, VerifiedPackage};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The payload of most cases: path, content, permission bits.
const PAYLOAD: &[(&str, &[u8], u32)] = &[
    (
        "bin/tool",
        b"\x7fELF\x02\x01\x01\0 pretend tool binary\n",
        0o755,
    ),
    (
        "scripts/run.sh",
        b"#!/bin/sh\nexec /opt/peer-demo/bin/tool \"$@\"\n",
        0o644,
    ),
];

/// The vendor recipe's ECDSA P-256 signature.
const SIGN_P256: &[&str] = &[
    "dgst",
    "-sha256",
    "-sign",
    KEY,
    "-out",
    SIG,
    "manifest.json",
];
/// Stands for the signer's key in a signing command.
const KEY: &str = "{key}";
/// Where every case puts its one signature.
const SIG: &str = "signatures/v.sig";

// ---- 1. by hand with zip and openssl ----------------------------------------

#[test]
fn zip_and_openssl_by_hand_with_modes() {
    let (_dir, zip) = hand_made(PAYLOAD, true, "signer-p256", SIGN_P256);
    let bytes = common::read(&zip);
    // zip stored the file-system modes that the manifest lists.
    for (path, _, mode) in PAYLOAD {
        let e = central_entry(&bytes, path);
        assert_eq!(e.host, 3, "{path}: zip should record a Unix host");
        assert_eq!(e.external >> 16, 0o100_000 | mode, "{path}: stored mode");
    }
    let package = assert_ok(verify(&zip));
    assert_eq!(package.manifest().package().name, "peer-demo");
    let modes: Vec<_> = package.manifest().files().iter().map(|f| f.mode).collect();
    assert_eq!(modes, [Some(0o755), Some(0o644)]);
    assert_eq!(package.signatures().len(), 1);
    assert_eq!(
        package.signatures()[0].algorithm.map(|a| a.name()),
        Some("ecdsa-p256-sha256")
    );
}

#[test]
fn zip_and_openssl_by_hand_without_modes() {
    let (_dir, zip) = hand_made(PAYLOAD, false, "signer-p256", SIGN_P256);
    let package = assert_ok(verify(&zip));
    assert!(package.manifest().files().iter().all(|f| f.mode.is_none()));
}

#[test]
fn zip_and_openssl_by_hand_modes_are_compared() {
    // The manifest says 0755 for scripts/run.sh, the file system (and so zip) says 0644.
    let files = [PAYLOAD[0], ("scripts/run.sh", PAYLOAD[1].1, 0o755)];
    let dir = stage(&files, true, "signer-p256", SIGN_P256);
    fs::set_permissions(
        dir.path().join("scripts/run.sh"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let zip = zip_explicit(dir.path(), &files);
    assert_kind(verify(&zip), "mode_mismatch");
}

// ---- 2. zip -r, with directory entries ---------------------------------------

#[test]
fn zip_recursive_with_directory_entries() {
    let (_dir, zip) = zip_recursive();
    let bytes = common::read(&zip);
    let names: Vec<String> = central(&bytes).into_iter().map(|e| e.name).collect();
    assert_eq!(names[0], "manifest.json");
    // The case this test is for: directory entries, one of them before the signature pair.
    let dir_at = |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("no {n} in {names:?}"))
    };
    assert!(
        dir_at("signatures/") < dir_at("signatures/v.sig"),
        "{names:?}"
    );
    assert!(
        dir_at("signatures/") < dir_at("signatures/v.pem"),
        "{names:?}"
    );
    dir_at("bin/");
    dir_at("scripts/");
    let package = assert_ok(verify(&zip));
    assert_eq!(package.manifest().files().len(), 2);
}

// ---- 3-6. signature algorithms, signed by openssl ------------------------------

#[test]
fn openssl_ecdsa_p384() {
    let sign = &[
        "dgst",
        "-sha384",
        "-sign",
        KEY,
        "-out",
        SIG,
        "manifest.json",
    ];
    let (_dir, zip) = hand_made(PAYLOAD, true, "signer-p384", sign);
    let package = assert_ok(verify(&zip));
    assert_eq!(
        package.signatures()[0].algorithm.map(|a| a.name()),
        Some("ecdsa-p384-sha384")
    );
}

#[test]
fn openssl_ed25519() {
    let sign = &[
        "pkeyutl",
        "-sign",
        "-rawin",
        "-inkey",
        KEY,
        "-in",
        "manifest.json",
        "-out",
        SIG,
    ];
    let (_dir, zip) = hand_made(PAYLOAD, true, "signer-ed25519", sign);
    let package = assert_ok(verify(&zip));
    assert_eq!(
        package.signatures()[0].algorithm.map(|a| a.name()),
        Some("ed25519")
    );
}

#[test]
fn openssl_rsa_pkcs1() {
    let sign = &[
        "dgst",
        "-sha256",
        "-sign",
        KEY,
        "-out",
        SIG,
        "manifest.json",
    ];
    let (_dir, zip) = hand_made(PAYLOAD, true, "signer-rsa2048", sign);
    let package = assert_ok(verify(&zip));
    assert_eq!(
        package.signatures()[0].algorithm.map(|a| a.name()),
        Some("rsa-pkcs1-sha256")
    );
}

#[test]
fn openssl_rsa_pss_as_documented() {
    let sign = &[
        "dgst",
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:digest",
        "-sign",
        KEY,
        "-out",
        SIG,
        "manifest.json",
    ];
    let (_dir, zip) = hand_made(PAYLOAD, true, "signer-rsa3072", sign);
    let package = assert_ok(verify(&zip));
    assert_eq!(
        package.signatures()[0].algorithm.map(|a| a.name()),
        Some("rsa-pss-sha256")
    );
}

#[test]
fn openssl_rsa_pss_with_maximal_salt_is_rejected() {
    let sign = &[
        "dgst",
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:max",
        "-sign",
        KEY,
        "-out",
        SIG,
        "manifest.json",
    ];
    let (dir, zip) = hand_made(PAYLOAD, true, "signer-rsa3072", sign);
    // The signature itself is good PSS: openssl accepts it (salt length recovered from the data).
    run(
        dir.path(),
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:auto",
            "-verify",
            &pubkey(dir.path(), "signer-rsa3072"),
            "-signature",
            SIG,
            "manifest.json",
        ],
    );
    assert_kind(verify(&zip), "signature_invalid");
}

// ---- 7. data descriptors ---------------------------------------------------------

#[test]
fn python_zipfile_streaming_with_data_descriptors() {
    let (_dir, zip) = python_streamed();
    let bytes = common::read(&zip);
    assert_descriptors(&bytes);
    assert!(
        central(&bytes).iter().all(|e| e.method == 8),
        "python should have deflated every entry"
    );
    assert_ok(verify(&zip));
}

#[test]
fn zip_to_a_pipe_with_data_descriptors() {
    let (_dir, zip) = zip_streamed();
    assert_descriptors(&common::read(&zip));
    assert_ok(verify(&zip));
}

/// Python's zipfile with zip64 extra fields on every entry, written to a file
/// (saturated local sizes) and to a pipe (64-bit data descriptors).
#[test]
fn python_zipfile_zip64_entries() {
    for pipe in [false, true] {
        let (_dir, zip) = python_zip64(pipe, 0);
        let bytes = common::read(&zip);
        assert!(
            bytes.windows(4).any(|w| w == [0x01, 0x00, 0x10, 0x00]),
            "expected a 16-byte zip64 extra field"
        );
        assert_ok(verify(&zip));
    }
}

/// More than 65,535 entries: Python writes a zip64 end record and locator.
#[test]
fn python_zipfile_zip64_end_record() {
    let (_dir, zip) = python_zip64(false, 65_600);
    let bytes = common::read(&zip);
    assert!(
        bytes.windows(4).any(|w| w == b"PK\x06\x06"),
        "no zip64 end record"
    );
    let package = assert_ok(verify(&zip));
    assert_eq!(package.manifest().files().len(), PAYLOAD.len() + 65_600);
}

// ---- 8. tampering after signing ----------------------------------------------------

#[test]
fn tampering_after_signing_is_rejected() {
    type Tamper = fn(&Path);
    let cases: [(&str, bool, Tamper, &str); 5] = [
        (
            "same-size change to bin/tool, re-zipped",
            true,
            |d| {
                let path = d.join("bin/tool");
                let mut data = fs::read(&path).unwrap();
                data[5] ^= 0x01;
                fs::write(&path, data).unwrap();
                run(d, "zip", &["-X", "pkg.zip", "bin/tool"]);
            },
            "digest_mismatch",
        ),
        (
            "one byte of manifest.json changed, re-zipped",
            true,
            |d| {
                let path = d.join("manifest.json");
                let text = fs::read_to_string(&path).unwrap();
                let edited = text.replacen("\"1.0.0\"", "\"1.0.1\"", 1);
                assert_ne!(text, edited);
                fs::write(&path, edited).unwrap();
                run(d, "zip", &["-X", "pkg.zip", "manifest.json"]);
            },
            "signature_invalid",
        ),
        (
            "extra file added",
            true,
            |d| {
                fs::write(d.join("extra.txt"), "not in the manifest\n").unwrap();
                run(d, "zip", &["-X", "pkg.zip", "extra.txt"]);
            },
            "unlisted_entry",
        ),
        (
            "payload file deleted",
            true,
            |d| {
                run(d, "zip", &["-d", "pkg.zip", "scripts/run.sh"]);
            },
            "missing_entry",
        ),
        (
            "bin/tool made setuid, manifest without mode",
            false,
            |d| {
                let path = d.join("bin/tool");
                fs::set_permissions(&path, fs::Permissions::from_mode(0o4755)).unwrap();
                assert_eq!(
                    fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
                    0o4755
                );
                run(d, "zip", &["-X", "pkg.zip", "bin/tool"]);
            },
            "mode_mismatch",
        ),
    ];
    for (what, modes, tamper, kind) in cases {
        let (dir, zip) = hand_made(PAYLOAD, modes, "signer-p256", SIGN_P256);
        assert_ok(verify(&zip));
        tamper(dir.path());
        let r = verify(&zip);
        match &r {
            Err(e) if e.kind() == kind => {}
            _ => panic!("{what}: expected {kind}, got {:?}", r.map(|_| "success")),
        }
    }
}

// ---- 9. unzip reads what we accepted ------------------------------------------------

#[test]
fn unzip_agrees_with_accepted_packages() {
    need("unzip");
    let packages = [
        (
            "by hand",
            hand_made(PAYLOAD, true, "signer-p256", SIGN_P256),
        ),
        ("zip -r", zip_recursive()),
        ("python zipfile streamed", python_streamed()),
        ("zip to a pipe", zip_streamed()),
    ];
    for (what, (dir, zip)) in &packages {
        assert_ok(verify(zip));
        let out = command(dir.path(), "unzip", &["-tq", "pkg.zip"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run `unzip`: {e}"));
        assert!(
            out.status.success(),
            "{what}: `unzip -tq pkg.zip` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---- helpers ----------------------------------------------------------------------------

/// Verifies from the file and, in one pass, as a stream; both must give the same
/// verdict.
fn verify(zip: &Path) -> Result<VerifiedPackage, Rejection> {
    let v = verifier(store(&["root-g2"], &[], &[]));
    let file = v.verify_path(zip);
    let streamed = v.verify_reader(fs::File::open(zip).unwrap());
    let kind = |r: &Result<VerifiedPackage, Rejection>| r.as_ref().err().map(|e| e.kind());
    assert_eq!(
        kind(&file),
        kind(&streamed),
        "file and stream disagree on {zip:?}"
    );
    file
}

/// Manifest JSON (written here, not by the library) listing `files`, with their modes if `modes`.
fn manifest(files: &[(&str, &[u8], u32)], modes: bool) -> Vec<u8> {
    let entries: Vec<String> = files
        .iter()
        .map(|(path, data, mode)| {
            let digest: String = Sha256::digest(data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let mode = if modes {
                format!(", \"mode\": {mode}")
            } else {
                String::new()
            };
            format!(
                "    {{\"path\": \"{path}\", \"size\": {}, \"sha256\": \"{digest}\"{mode}}}",
                data.len()
            )
        })
        .collect();
    format!(
        "{{\n  \"format\": 1,\n  \"package\": {{\"name\": \"peer-demo\", \"version\": \"1.0.0\", \"created\": \"2026-09-01T00:00:00Z\"}},\n  \"files\": [\n{}\n  ],\n  \"reboot\": false,\n  \"requires\": {{\"firmware\": \">=2.1\"}}\n}}\n",
        entries.join(",\n")
    )
    .into_bytes()
}

fn write_file(path: &Path, data: &[u8], mode: u32) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
        fs::set_permissions(parent, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::write(path, data).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A temporary directory holding the payload, manifest.json and the signature
/// pair signatures/v.sig (made by `openssl sign...`, with `{key}` standing for
/// `leaf`'s key) and signatures/v.pem (`leaf`'s chain).
fn stage(files: &[(&str, &[u8], u32)], modes: bool, leaf: &str, sign: &[&str]) -> TempDir {
    need("openssl");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (path, data, mode) in files {
        write_file(&d.join(path), data, *mode);
    }
    write_file(&d.join("manifest.json"), &manifest(files, modes), 0o644);
    fs::create_dir_all(d.join("signatures")).unwrap();
    let key = common::pki(&format!("{leaf}.key"));
    let key = key.to_str().unwrap();
    let args: Vec<&str> = sign
        .iter()
        .map(|a| if *a == KEY { key } else { a })
        .collect();
    run(d, "openssl", &args);
    fs::set_permissions(d.join(SIG), fs::Permissions::from_mode(0o644)).unwrap();
    write_file(
        &d.join("signatures/v.pem"),
        &common::read(common::pki(&format!("{leaf}-chain.pem"))),
        0o644,
    );
    dir
}

/// `zip -X pkg.zip manifest.json signatures/v.sig signatures/v.pem FILES...`
fn zip_explicit(dir: &Path, files: &[(&str, &[u8], u32)]) -> PathBuf {
    need("zip");
    let mut args = vec![
        "-X",
        "pkg.zip",
        "manifest.json",
        "signatures/v.sig",
        "signatures/v.pem",
    ];
    args.extend(files.iter().map(|f| f.0));
    run(dir, "zip", &args);
    dir.join("pkg.zip")
}

/// Case 1: the vendor recipe.
fn hand_made(
    files: &[(&str, &[u8], u32)],
    modes: bool,
    leaf: &str,
    sign: &[&str],
) -> (TempDir, PathBuf) {
    let dir = stage(files, modes, leaf, sign);
    let zip = zip_explicit(dir.path(), files);
    (dir, zip)
}

/// Case 2: `zip -r -X pkg.zip manifest.json signatures bin scripts`.
fn zip_recursive() -> (TempDir, PathBuf) {
    need("zip");
    let dir = stage(PAYLOAD, true, "signer-p256", SIGN_P256);
    run(
        dir.path(),
        "zip",
        &[
            "-r",
            "-X",
            "pkg.zip",
            "manifest.json",
            "signatures",
            "bin",
            "scripts",
        ],
    );
    let zip = dir.path().join("pkg.zip");
    (dir, zip)
}

/// Case 7a: Python's zipfile writing deflated entries to a pipe (stdout), so
/// it cannot seek back and writes data descriptors.
fn python_streamed() -> (TempDir, PathBuf) {
    need("python3");
    const SCRIPT: &str = r#"
import sys, zipfile
with zipfile.ZipFile(sys.stdout.buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
    for arg in sys.argv[1:]:
        name, mode = arg.rsplit(":", 1)
        info = zipfile.ZipInfo(name, date_time=(2026, 9, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = (0o100000 | int(mode, 8)) << 16
        with open(name, "rb") as f:
            z.writestr(info, f.read())
"#;
    let dir = stage(PAYLOAD, true, "signer-p256", SIGN_P256);
    let mut args = vec![
        "-I".to_owned(),
        "-c".to_owned(),
        SCRIPT.to_owned(),
        "manifest.json:644".to_owned(),
        "signatures/v.sig:644".to_owned(),
        "signatures/v.pem:644".to_owned(),
    ];
    args.extend(PAYLOAD.iter().map(|(p, _, m)| format!("{p}:{m:o}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Output captured through a pipe: `python3 script.py | cat > pkg.zip`.
    let bytes = run(dir.path(), "python3", &args);
    let zip = dir.path().join("pkg.zip");
    fs::write(&zip, bytes).unwrap();
    (dir, zip)
}

/// A package written by Python's zipfile with `force_zip64` on every entry,
/// plus `extra` generated one-byte files; to a pipe if `pipe`.
fn python_zip64(pipe: bool, extra: usize) -> (TempDir, PathBuf) {
    need("python3");
    const SCRIPT: &str = r#"
import io, os, sys, zipfile
pipe, extra = sys.argv[1] == "pipe", int(sys.argv[2])
out = sys.stdout.buffer if pipe else open("pkg.zip", "wb")
with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
    def add(name, data, mode):
        info = zipfile.ZipInfo(name, date_time=(2026, 9, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = (0o100000 | mode) << 16
        with z.open(info, "w", force_zip64=True) as f:
            f.write(data)
    for arg in sys.argv[3:]:
        name, mode = arg.rsplit(":", 1)
        with open(name, "rb") as f:
            add(name, f.read(), int(mode, 8))
    for i in range(extra):
        add("many/%06d" % i, b"x", 0o644)
"#;
    let many: Vec<(String, Vec<u8>, u32)> = (0..extra)
        .map(|i| (format!("many/{i:06}"), b"x".to_vec(), 0o644))
        .collect();
    let mut files: Vec<(&str, &[u8], u32)> = PAYLOAD.to_vec();
    files.extend(many.iter().map(|(p, d, m)| (p.as_str(), d.as_slice(), *m)));
    // The manifest lists the generated files too (stage also writes them to disk,
    // though the script makes its own).
    let dir = stage(&files, true, "signer-p256", SIGN_P256);
    let mut args = vec![
        "-I".to_owned(),
        "-c".to_owned(),
        SCRIPT.to_owned(),
        if pipe { "pipe" } else { "file" }.to_owned(),
        extra.to_string(),
        "manifest.json:644".to_owned(),
        "signatures/v.sig:644".to_owned(),
        "signatures/v.pem:644".to_owned(),
    ];
    args.extend(PAYLOAD.iter().map(|(p, _, m)| format!("{p}:{m:o}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let bytes = run(dir.path(), "python3", &args);
    let zip = dir.path().join("pkg.zip");
    if pipe {
        fs::write(&zip, bytes).unwrap();
    }
    (dir, zip)
}

/// Case 7b: `zip -X - manifest.json signatures/v.sig signatures/v.pem bin/tool | cat > pkg.zip`.
fn zip_streamed() -> (TempDir, PathBuf) {
    need("zip");
    let files = &PAYLOAD[..1];
    let dir = stage(files, true, "signer-p256", SIGN_P256);
    let bytes = run(
        dir.path(),
        "zip",
        &[
            "-X",
            "-",
            "manifest.json",
            "signatures/v.sig",
            "signatures/v.pem",
            "bin/tool",
        ],
    );
    let zip = dir.path().join("pkg.zip");
    fs::write(&zip, bytes).unwrap();
    (dir, zip)
}

/// Writes `leaf`'s public key (from its certificate) to the directory; returns its path.
fn pubkey(dir: &Path, leaf: &str) -> String {
    let cert = common::pki(&format!("{leaf}.pem"));
    let out = run(
        dir,
        "openssl",
        &["x509", "-noout", "-pubkey", "-in", cert.to_str().unwrap()],
    );
    let path = dir.join(format!("{leaf}.pub.pem"));
    fs::write(&path, out).unwrap();
    path.to_str().unwrap().to_owned()
}

/// One central-directory record, with the flags of its local header.
#[derive(Debug)]
struct Central {
    name: String,
    host: u8,
    flags: u16,
    local_flags: u16,
    method: u16,
    external: u32,
    /// Whether a signed data descriptor (`PK\x07\x08`) follows the entry's data.
    descriptor: bool,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The central directory of a small (non-zip64) archive.
fn central(zip: &[u8]) -> Vec<Central> {
    let end = zip
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("no end of central directory record");
    let count = u16_at(zip, end + 10);
    let mut at = u32_at(zip, end + 16) as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02", "central record at {at}");
        let name_len = u16_at(zip, at + 28) as usize;
        let extra_len = u16_at(zip, at + 30) as usize;
        let comment_len = u16_at(zip, at + 32) as usize;
        let compressed = u32_at(zip, at + 20) as usize;
        let local = u32_at(zip, at + 42) as usize;
        assert_eq!(
            &zip[local..local + 4],
            b"PK\x03\x04",
            "local header at {local}"
        );
        let data = local + 30 + u16_at(zip, local + 26) as usize + u16_at(zip, local + 28) as usize;
        out.push(Central {
            name: String::from_utf8_lossy(&zip[at + 46..at + 46 + name_len]).into_owned(),
            host: (u16_at(zip, at + 4) >> 8) as u8,
            flags: u16_at(zip, at + 8),
            local_flags: u16_at(zip, local + 6),
            method: u16_at(zip, at + 10),
            external: u32_at(zip, at + 38),
            descriptor: zip.get(data + compressed..data + compressed + 4) == Some(b"PK\x07\x08"),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

fn central_entry(zip: &[u8], name: &str) -> Central {
    central(zip)
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// Asserts that entries really use data descriptors (flag bit 3 in both
/// headers, and a descriptor after the data), so the test tests what it says.
#[track_caller]
fn assert_descriptors(zip: &[u8]) {
    let entries = central(zip);
    assert!(
        entries
            .iter()
            .any(|e| e.flags & 8 != 0 && e.local_flags & 8 != 0 && e.descriptor),
        "no entry has a data descriptor: {entries:#?}"
    );
    for e in &entries {
        assert_eq!(
            e.flags & 8,
            e.local_flags & 8,
            "{}: flag bit 3 differs",
            e.name
        );
    }
}

// ---- the vendor's certificates, from FORMAT.md's openssl recipe --------------

/// The shell script between `<!-- recipe: NAME -->` and `<!-- end recipe -->`
/// in docs/FORMAT.md, without its fence: the text a vendor copies.
fn format_recipe(name: &str) -> String {
    let doc = fs::read_to_string(common::repo().join("docs/FORMAT.md")).unwrap();
    let start = format!("<!-- recipe: {name} -->");
    let body = doc
        .split_once(&start)
        .and_then(|(_, rest)| rest.split_once("<!-- end recipe -->"))
        .unwrap_or_else(|| panic!("docs/FORMAT.md has no recipe {name}"))
        .0;
    body.trim()
        .strip_prefix("```sh")
        .and_then(|b| b.strip_suffix("```"))
        .unwrap_or_else(|| panic!("recipe {name} is not one ```sh block"))
        .to_owned()
}

/// FORMAT.md's vendor PKI recipe, run as written: its leaf signs a package
/// that verifies under its root with its CRL (no revocation warning for
/// the leaf); after the rotation, a G2 leaf verifies under G1 only with the
/// advisory chain; a revocation written with `openssl ca -revoke` rejects.
#[test]
fn the_vendor_pki_recipe_makes_certificates_the_verifier_accepts() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    run(d, "bash", &["-euc", &format_recipe("vendor-pki")]);
    let read = |name: &str| fs::read(d.join(name)).unwrap();
    let package = |key: &str, chain: &str| {
        let key = pkgverify::SigningKey::from_pkcs8_pem(&read(key)).unwrap();
        common::build(
            pkgverify::PackageBuilder::new("recipe", "1.0.0")
                .file("bin/tool", b"tool".to_vec(), 0o755)
                .signer("vendor", key, read(chain)),
        )
    };
    let store = |anchors: &[&str], intermediates: &[&str], crls: &[&str]| {
        let mut t = pkgverify::TrustStore::new();
        for a in anchors {
            t.add_anchors(&read(a), a).unwrap();
        }
        for i in intermediates {
            t.add_intermediates(&read(i), i).unwrap();
        }
        for c in crls {
            t.add_crls(&read(c), c).unwrap();
        }
        t
    };
    let now = pkgverify::UnixTime::now();
    let verify = |t: pkgverify::TrustStore, bytes: &[u8]| {
        pkgverify::Verifier::new(t, now).verify_bytes(bytes)
    };

    let g1 = package("vendor.key", "vendor-chain.pem");
    let ok = assert_ok(verify(
        store(&["root-g1.pem"], &[], &["signing-ca.crl"]),
        &g1,
    ));
    let unchecked: Vec<String> = ok
        .warnings()
        .iter()
        .filter(|w| w.code() == "revocation_unchecked")
        .map(ToString::to_string)
        .collect();
    assert_eq!(unchecked.len(), 1, "{unchecked:?}");
    assert!(
        !unchecked[0].contains("Code Signing\"") && unchecked[0].contains("Signing CA\""),
        "the leaf's revocation was checked, its CA's (no root CRL) not: {unchecked:?}"
    );

    let g2 = package("vendor-g2.key", "vendor-g2-chain.pem");
    let r = assert_kind(
        verify(store(&["root-g1.pem"], &[], &[]), &g2),
        "untrusted_signer",
    );
    assert!(r.to_string().contains("supply its advisory chain"), "{r}");
    assert_ok(verify(
        store(&["root-g1.pem"], &["advisory-chain.pem"], &[]),
        &g2,
    ));
    assert_ok(verify(store(&["root-g2.pem"], &[], &[]), &g2));

    let ca = |args: &[&str]| {
        let base = [
            "ca",
            "-config",
            "ca.cnf",
            "-keyfile",
            "signing-ca.key",
            "-cert",
            "signing-ca.pem",
        ];
        run(d, "openssl", &[&base[..], args].concat());
    };
    ca(&["-revoke", "vendor.pem"]);
    ca(&["-gencrl", "-out", "revoked.crl"]);
    assert_kind(
        verify(store(&["root-g1.pem"], &[], &["revoked.crl"]), &g1),
        "certificate_revoked",
    );
}
