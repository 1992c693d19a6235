//! Archive structure, package layout, signer and content checks through the
//! library: the shared table of cases (tests/common/cases.rs), limits, file
//! and stream agreement. Every bit flip, truncation and inserted byte: tests/tamper.rs.

mod common;

use common::cases::{cases, entry, with};
use common::*;
use pkgverify::Limits;

#[test]
fn table() {
    let plain = verifier(trust_g2());
    let with_crl = verifier(store(&["root-g2"], &[], &["signing-ca-g2.crl"]));
    let mut failures = Vec::new();
    for c in cases() {
        let v = if c.crl { &with_crl } else { &plain };
        let got = match v.verify_bytes(&c.bytes) {
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

    // The message quotes the name as it is; shown through Escaped (as the
    // example verifier shows every message), the escape sequence is visible.
    let bytes = with(|z| z.entries.push(RawEntry::file("bin/\x1b[2Jx", b"")));
    let r = v.verify_bytes(&bytes).unwrap_err();
    assert!(
        r.to_string().contains("\"bin/\x1b[2Jx\""),
        "{:?}",
        r.to_string()
    );
    let shown = pkgverify::Escaped(&r).to_string();
    assert!(
        !shown.contains('\x1b') && shown.contains(r#""bin/\u{1b}[2Jx""#),
        "control characters are escaped: {shown:?}"
    );
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

#[test]
fn streaming_agrees_with_file_verification() {
    // Every case of the table through verify_reader (one pass, no seeking) and
    // verify_bytes: the same verdict and the same error.
    let plain = verifier(trust_g2());
    let with_crl = verifier(store(&["root-g2"], &[], &["signing-ca-g2.crl"]));
    let mut failures = Vec::new();
    for c in cases() {
        let v = if c.crl { &with_crl } else { &plain };
        let kind = |r: &Result<pkgverify::VerifiedPackage, pkgverify::Rejection>| match r {
            Ok(_) => "".to_string(),
            Err(r) => r.kind().to_string(),
        };
        let streamed = v.verify_reader(&c.bytes[..]);
        let (file, stream) = (kind(&v.verify_bytes(&c.bytes)), kind(&streamed));
        if file != stream {
            failures.push(format!("{}: file {file:?}, stream {stream:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn parallel_hashing_gives_the_same_verdicts() {
    // Four workers on packages of many entries: success, and a failure in one
    // entry reported as such whatever the workers' timing.
    let mut limits = Limits::default();
    limits.threads = 4;
    let v = verifier(trust_g2()).with_limits(limits);
    let files: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("data/f{i:02}"), vec![i as u8; 1000 + i * 997]))
        .collect();
    let mut b = pkgverify::PackageBuilder::new("p", "1");
    for (path, data) in &files {
        b = b.file(path, data.clone(), 0o644);
    }
    let (key, chain) = signer("signer-p256");
    let good = build(
        b.compression(pkgverify::Compression::Stored)
            .signer("s", key, chain),
    );
    let p = v.verify_bytes(&good).unwrap();
    assert_eq!(
        p.bytes(),
        files.iter().map(|(_, d)| d.len() as u64).sum::<u64>()
    );
    // Flip one byte inside the content of data/f17 (stored, so findable).
    let needle = vec![17u8; 1000 + 17 * 997];
    let at = good
        .windows(needle.len())
        .position(|w| w == &needle[..])
        .unwrap();
    for _ in 0..20 {
        let mut bad = good.clone();
        bad[at + 500] ^= 1;
        let r = v.verify_bytes(&bad).unwrap_err();
        assert_eq!(r.kind(), "digest_mismatch");
        assert_eq!(r.error().path(), Some("data/f17"));
    }
}
