//! `PackageBuilder` refuses exactly what the verifier would refuse, by the
//! verifier's own rules: what it refuses, it refuses with the verifier's
//! kind before writing anything; what it writes, the verifier accepts.

mod common;

use common::*;
use pkgverify::{BuildError, PackageBuilder};

/// A change to a builder that already has one file and one signer.
type Change = fn(PackageBuilder) -> PackageBuilder;

fn base(signer_name: &str) -> PackageBuilder {
    let (key, chain) = signer("signer-p256");
    PackageBuilder::new("demo", "1.0.0").signer(signer_name, key, chain)
}

fn file(b: PackageBuilder, path: &str) -> PackageBuilder {
    b.file(path, path.as_bytes().to_vec(), 0o644)
}

fn another_signer(b: PackageBuilder, name: &str) -> PackageBuilder {
    let (key, chain) = signer("signer-p384");
    b.signer(name, key, chain)
}

#[test]
fn refuses_what_the_verifier_refuses_and_writes_what_it_accepts() {
    // (what, change, kind the builder refuses with, or "" for a package the verifier accepts)
    let cases: Vec<(&str, Change, &str)> = vec![
        ("a plain file", |b| file(b, "bin/tool"), ""),
        (
            "a parent directory segment",
            |b| file(b, "../evil"),
            "manifest_invalid",
        ),
        (
            "an absolute path",
            |b| file(b, "/etc/passwd"),
            "manifest_invalid",
        ),
        ("a colon", |b| file(b, "c:evil"), "manifest_invalid"),
        (
            "a Windows device",
            |b| file(b, "bin/CON.txt"),
            "manifest_invalid",
        ),
        ("a backslash", |b| file(b, "bin\\tool"), "manifest_invalid"),
        ("a trailing dot", |b| file(b, "tool."), "manifest_invalid"),
        (
            "a control character",
            |b| file(b, "to\u{1b}ol"),
            "manifest_invalid",
        ),
        (
            "names equal but for case",
            |b| file(file(b, "README.txt"), "readme.TXT"),
            "manifest_invalid",
        ),
        (
            "names equal but for Unicode form",
            |b| file(file(b, "caf\u{e9}"), "cafe\u{301}"),
            "manifest_invalid",
        ),
        (
            "names equal once case-folded (sharp s)",
            |b| file(file(b, "stra\u{df}e"), "STRASSE"),
            "manifest_invalid",
        ),
        ("one sharp s alone", |b| file(b, "stra\u{df}e"), ""),
        (
            "a file where another needs a directory",
            |b| file(file(b, "bin"), "bin/tool"),
            "archive_ambiguous",
        ),
        (
            "the same, differing in case",
            |b| file(file(b, "Bin"), "bin/tool"),
            "archive_ambiguous",
        ),
        (
            "a directory entry named like a file",
            |b| file(b, "tool").directory("TOOL/"),
            "archive_ambiguous",
        ),
        (
            "two files in one directory",
            |b| file(file(b, "a/b"), "a/c"),
            "",
        ),
        ("a directory entry", |b| file(b, "a/b").directory("a/"), ""),
        (
            "the manifest's name",
            |b| file(b, "Manifest.json"),
            "manifest_invalid",
        ),
        (
            "under signatures/",
            |b| file(b, "signatures/x"),
            "manifest_invalid",
        ),
        (
            "a directory under signatures/",
            |b| file(b, "x").directory("signatures/sub/"),
            "misplaced_entry",
        ),
        (
            "a signature name with a slash",
            |b| another_signer(file(b, "x"), "a/b"),
            "misplaced_entry",
        ),
        (
            "an empty signature name",
            |b| another_signer(file(b, "x"), ""),
            "misplaced_entry",
        ),
        (
            "a 65-character signature name",
            |b| another_signer(file(b, "x"), &"n".repeat(65)),
            "misplaced_entry",
        ),
        (
            "a 64-character signature name",
            |b| another_signer(file(b, "x"), &"n".repeat(64)),
            "",
        ),
        (
            "signature names equal but for case",
            |b| another_signer(file(b, "x"), "Vendor"),
            "archive_ambiguous",
        ),
        (
            "a mode beyond the permission bits",
            |b| b.file("x", vec![1], 0o10644),
            "manifest_invalid",
        ),
        (
            "a setuid bit the manifest does not state",
            |b| b.file("x", vec![1], 0o4755).without_manifest_mode(),
            "mode_mismatch",
        ),
        (
            "a world-writable file the manifest does not state",
            |b| b.file("x", vec![1], 0o666).without_manifest_mode(),
            "mode_mismatch",
        ),
        (
            "a setuid bit the manifest states",
            |b| b.file("x", vec![1], 0o4755),
            "",
        ),
        (
            "an unlisted ordinary mode",
            |b| b.file("x", vec![1], 0o640).without_manifest_mode(),
            "",
        ),
        (
            "more signatures than the verifier reads",
            |mut b| {
                b = file(b, "x");
                for i in 0..16 {
                    b = another_signer(b, &format!("s{i}"));
                }
                b
            },
            "limit_exceeded",
        ),
    ];
    let v = verifier(trust_g2());
    for (what, change, kind) in cases {
        let builder = change(base("vendor"));
        let written = builder.write(std::io::Cursor::new(Vec::new()));
        match (written, kind) {
            (Ok(out), "") => {
                let bytes = out.into_inner();
                if let Err(r) = v.verify_both(&bytes) {
                    panic!("{what}: written, but the verifier rejects it: {r}");
                }
            }
            (Err(e), kind) if e.kind() == kind => {
                assert!(matches!(e, BuildError::WouldReject(_)), "{what}: {e:?}");
            }
            (Ok(_), kind) => panic!("{what}: written, expected {kind}"),
            (Err(e), kind) => panic!("{what}: {} ({e}), expected {kind:?}", e.kind()),
        }
    }
}

#[test]
fn a_package_without_a_signer_is_refused() {
    let b = PackageBuilder::new("demo", "1.0.0").file("x", vec![1], 0o644);
    match b.write(std::io::Cursor::new(Vec::new())) {
        Err(e) => assert_eq!(e.kind(), "signature_missing", "{e}"),
        Ok(_) => panic!("written without a signature"),
    }
}

#[test]
fn an_oversized_chain_file_is_refused() {
    let (key, chain) = signer("signer-p256");
    let mut big = chain.clone();
    while big.len() <= 256 << 10 {
        big.extend_from_slice(&chain);
    }
    let b = PackageBuilder::new("demo", "1.0.0")
        .file("x", vec![1], 0o644)
        .signer("vendor", key, big);
    match b.write(std::io::Cursor::new(Vec::new())) {
        Err(e) => assert_eq!(e.kind(), "limit_exceeded", "{e}"),
        Ok(_) => panic!("written"),
    }
}

/// Names are checked before any file is read: a colliding name is refused
/// even when a file given by path does not exist.
#[test]
fn names_are_checked_before_files_are_read() {
    let b = base("vendor")
        .file_from_disk("A", "/nonexistent/file".into(), 0o644)
        .file_from_disk("a", "/nonexistent/file".into(), 0o644);
    match b.manifest() {
        Err(e) => assert_eq!(e.kind(), "manifest_invalid", "{e}"),
        Ok(_) => panic!("accepted"),
    }
}
