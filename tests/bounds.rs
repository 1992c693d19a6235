//! Resource bounds (docs/SECURITY.md, "Resource bounds"): the peak memory of
//! verifying each input the bounds name, from a file and as a stream.
//!
//! Each verification runs in a child process (this test binary, re-run for
//! the ignored `child` test), which reports its own peak resident set
//! (Linux's `VmHWM`) after verifying: nothing the parent allocated to build
//! the input counts, and no allocator cache from earlier work hides growth.
//! The figures include the test harness itself (a few MiB); the bounds are
//! the ones SECURITY.md states. Timing is printed, never asserted.
//!
//! `cargo test --test bounds -- --nocapture` prints the table.
//!
//! Time is bounded by what is read: the last two tests feed endless streams
//! through a reader that fails at 1 GiB, and require a verdict well before.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::*;
use pkgverify::{Compression, PackageBuilder, SigningKey};

const MIB: u64 = 1 << 20;
const CHILD: &str = "PKGVERIFY_BOUNDS_CHILD";

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Counts the bytes a stream verification pulls from its reader.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Runs in the child: verifies the package named in the environment, then
/// prints the outcome, the bytes read and the peak resident set.
#[test]
#[ignore = "run by resource_bounds in a child process"]
fn child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (mode, path) = spec.split_once(':').unwrap();
    let v = verifier(trust_g2());
    // Forget the peak so far: only verification counts (Linux >= 4.0).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let start = std::time::Instant::now();
    let file = std::fs::File::open(path).unwrap();
    let (result, read) = if mode == "stream" {
        let mut r = Counting {
            inner: file,
            read: 0,
        };
        let result = v.verify_reader(&mut r);
        (result, r.read.to_string())
    } else {
        // Positioned reads: what was read is not counted here.
        (v.verify_file(&file), "-".to_string())
    };
    let outcome = match &result {
        Ok(p) => format!("verified:{}", p.bytes()),
        Err(r) => r.kind().to_string(),
    };
    println!(
        "BOUNDS {outcome} {read} {} {}",
        status_kib("VmHWM:"),
        start.elapsed().as_millis()
    );
}

/// One measurement: outcome, bytes a stream read, peak RSS in bytes, milliseconds.
struct Measured {
    outcome: String,
    read: Option<u64>,
    peak: u64,
    millis: u64,
}

fn measure(mode: &str, path: &Path) -> Measured {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD, format!("{mode}:{}", path.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("BOUNDS ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "the child printed no result:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let f: Vec<&str> = line.split(' ').collect();
    Measured {
        outcome: f[0].to_string(),
        read: f[1].parse().ok(),
        peak: f[2].parse::<u64>().unwrap() * 1024,
        millis: f[3].parse().unwrap(),
    }
}

/// The signer every package here is signed by (chains to Root G2).
fn ed25519() -> (SigningKey, Vec<u8>) {
    signer("signer-ed25519")
}

fn write(b: PackageBuilder, path: &Path) {
    b.write(std::fs::File::create(path).unwrap()).unwrap();
}

/// A chain of `n` CA certificates (Ed25519, CN C0..), each issued by the
/// next, under a fresh leaf: the leaf's key and the PEM of leaf and chain.
fn long_chain(n: usize) -> (SigningKey, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PKCS_ED25519};
    let params = |cn: &str, ca: bool| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        p
    };
    let top = params(&format!("C{}", n - 1), true);
    let top_key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let mut pems = vec![top.self_signed(&top_key).unwrap().pem()];
    let mut issuer = Issuer::new(top, top_key);
    for i in (0..n - 1).rev() {
        let p = params(&format!("C{i}"), true);
        let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
        pems.push(p.signed_by(&key, &issuer).unwrap().pem());
        issuer = Issuer::new(p, key);
    }
    let leaf_key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    pems.push(
        params("leaf", false)
            .signed_by(&leaf_key, &issuer)
            .unwrap()
            .pem(),
    );
    pems.reverse();
    let key = SigningKey::from_pkcs8_pem(leaf_key.serialize_pem().as_bytes()).unwrap();
    (key, pems.concat().into_bytes())
}

#[test]
fn resource_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);

    // 4 GiB of zeros, deflated (4 MiB), listed and signed as 4 GiB: every byte
    // is inflated and hashed, in fixed memory.
    let zeros = d("zeros");
    std::fs::File::create(&zeros)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    let (key, chain) = ed25519();
    let bomb = PackageBuilder::new("bomb", "1")
        .file_from_disk("zeros", zeros.clone(), 0o644)
        .signer("s", key, chain);
    // The same stream, but the signed manifest says 20 bytes of zeros.
    let (key, chain) = ed25519();
    let small = PackageBuilder::new("bomb", "1")
        .file("zeros", vec![0; 20], 0o644)
        .manifest()
        .unwrap()
        .to_json();
    write_signed_raw(
        std::fs::File::create(d("understated.zip")).unwrap(),
        &small,
        &key,
        &chain,
        &[("zeros", RawSource::File(zeros.clone()))],
    );
    write(bomb, &d("bomb.zip"));
    std::fs::remove_file(&zeros).unwrap();

    // 100,000 listed files of 8 bytes, stored: a 16 MB manifest.
    let (key, chain) = ed25519();
    let mut many = PackageBuilder::new("many", "1")
        .compression(Compression::Stored)
        .signer("s", key, chain);
    for i in 0..100_000u32 {
        many = many.file(
            &format!("data/{:03}/file-{i:06}.bin", i % 1000),
            i.to_le_bytes().repeat(2),
            0o644,
        );
    }
    write(many, &d("many.zip"));

    // A signer whose .pem holds a chain of 500 CA certificates.
    let (key, chain) = long_chain(500);
    write(
        PackageBuilder::new("chain", "1")
            .file("bin/tool", b"tool".to_vec(), 0o755)
            .signer("s", key, chain),
        &d("chain.zip"),
    );

    // (file, what, expected outcome, peak RSS bound)
    let cases: [(&str, &str, &str, u64); 4] = [
        (
            "bomb.zip",
            "4 GiB of zeros, listed as 4 GiB",
            "verified:4294967296",
            16 * MIB,
        ),
        (
            "understated.zip",
            "4 GiB of zeros, signed as 20 bytes",
            "size_mismatch",
            16 * MIB,
        ),
        (
            "many.zip",
            "100,000 listed files (16 MB manifest)",
            "verified:800000",
            96 * MIB,
        ),
        (
            "chain.zip",
            "a signer chain of 500 certificates",
            "limit_exceeded",
            16 * MIB,
        ),
    ];
    println!("| package | size | mode | outcome | stream read | peak RSS | bound | time |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut failures = Vec::new();
    for (file, what, expected, bound) in cases {
        let path = d(file);
        let size = std::fs::metadata(&path).unwrap().len();
        for mode in ["file", "stream"] {
            let m = measure(mode, &path);
            let read = m
                .read
                .map_or("-".into(), |r| format!("{:.1} MiB", r as f64 / MIB as f64));
            println!(
                "| {what} | {:.1} MiB | {mode} | {} | {read} | {:.1} MiB | {} MiB | {} ms |",
                size as f64 / MIB as f64,
                m.outcome,
                m.peak as f64 / MIB as f64,
                bound / MIB,
                m.millis
            );
            if m.outcome != expected {
                failures.push(format!(
                    "{file} ({mode}): {} instead of {expected}",
                    m.outcome
                ));
            }
            if m.peak > bound {
                failures.push(format!(
                    "{file} ({mode}): peak RSS {} bytes over the bound of {bound}",
                    m.peak
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Reads `inner` but fails once `cap` bytes are read, so a verifier that
/// would read an endless stream to its end fails the test instead of hanging.
struct Capped<R> {
    inner: R,
    read: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= self.cap {
            return Err(std::io::Error::other("the test's read cap was reached"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The most a stream reads once its verdict is known (src/stream.rs), plus
/// one buffer of read-ahead.
const AFTER_VERDICT: u64 = (64 << 20) + (256 << 10);

#[test]
fn an_endless_stream_that_is_not_an_archive_is_rejected_after_a_bounded_read() {
    let mut r = Capped {
        inner: std::io::repeat(0x41),
        read: 0,
        cap: 1 << 30,
    };
    let e = verifier(trust_g2()).verify_reader(&mut r).unwrap_err();
    assert_eq!(e.kind(), "archive_malformed", "{e}");
    assert!(r.read <= AFTER_VERDICT + 4, "read {} bytes", r.read);
}

#[test]
fn an_endless_entry_after_a_failed_signature_is_not_read() {
    // A stored package whose signature does not verify (P-256 key, P-384
    // certificate), cut at its first payload entry, whose local header then
    // claims 4 GiB, followed by an endless stream of zeros.
    let (key, _) = signer("signer-p256");
    let (_, chain) = signer("signer-p384");
    let mut bytes = Vec::new();
    PackageBuilder::new("p", "1")
        .compression(Compression::Stored)
        .file("bin/tool", b"tool".to_vec(), 0o755)
        .signer("s", key, chain)
        .write(std::io::Cursor::new(&mut bytes))
        .unwrap();
    let at = (0..bytes.len())
        .find(|&i| {
            bytes[i..].starts_with(b"PK\x03\x04") && bytes[i + 30..].starts_with(b"bin/tool")
        })
        .unwrap();
    let mut head = bytes[..at + 30 + 8].to_vec();
    head[at + 18..at + 26].copy_from_slice(&[0xfe, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff]);
    let mut r = Capped {
        inner: std::io::Read::chain(&head[..], std::io::repeat(0)),
        read: 0,
        cap: 1 << 30,
    };
    let e = verifier(trust_g2()).verify_reader(&mut r).unwrap_err();
    assert_eq!(e.kind(), "signature_invalid", "{e}");
    assert!(
        r.read <= head.len() as u64 + AFTER_VERDICT,
        "read {} bytes",
        r.read
    );
}
