//! In-process throughput of each verification phase (criterion):
//! archive structure, manifest and listing, signature and chain, hashing.
//! Whole-process comparisons with openssl, unzip and jarsigner are in
//! bench/compare.py.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pkgverify::{Compression, PackageBuilder, SigningKey, TrustStore, UnixTime, Verifier};

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{PKI}{name}")).expect("test PKI")
}

fn verifier() -> Verifier {
    let mut trust = TrustStore::new();
    trust
        .add_anchors(&read("root-g2.pem"), "root-g2.pem")
        .expect("anchor");
    let at = pkgverify::parse_rfc3339("2027-06-01T00:00:00Z").expect("time");
    Verifier::new(trust, at)
}

fn package(files: usize, size: usize, compression: Compression) -> Vec<u8> {
    let key = SigningKey::from_pkcs8_pem(&read("signer-p256.key")).expect("key");
    let mut b = PackageBuilder::new("bench", "1").compression(compression);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..files {
        let data: Vec<u8> = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect();
        b = b.file(&format!("d{}/f{i}", i % 50), data, 0o644);
    }
    b = b.signer("s", key, read("signer-p256-chain.pem"));
    b.write(Cursor::new(Vec::new()))
        .expect("write")
        .into_inner()
}

fn phases(c: &mut Criterion) {
    let v = verifier();

    // Structure and layout only: an empty trust store stops right after them.
    let many = package(10_000, 16, Compression::Stored);
    let untrusting = Verifier::new(
        TrustStore::new(),
        UnixTime::since_unix_epoch(Default::default()),
    );
    let mut g = c.benchmark_group("archive index");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("10k entries", |b| {
        b.iter(|| black_box(untrusting.verify_bytes(&many).is_err()))
    });
    g.finish();

    // The manifest's parse (not public: measured through verification) with
    // the listing of 10,000 empty files.
    let mut b = PackageBuilder::new("bench", "1");
    for i in 0..10_000 {
        b = b.file(&format!("dir{}/file-{i}.bin", i % 100), Vec::new(), 0o644);
    }
    let key = SigningKey::from_pkcs8_pem(&read("signer-p256.key")).expect("key");
    let listed = b
        .signer("s", key, read("signer-p256-chain.pem"))
        .write(Cursor::new(Vec::new()))
        .expect("write")
        .into_inner();
    let mut g = c.benchmark_group("manifest and listing");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("10k files", |b| {
        b.iter(|| black_box(v.verify_bytes(&listed).is_ok()))
    });
    g.finish();

    let small = package(1, 16, Compression::Stored);
    c.bench_function("signature and chain (1 small file, ECDSA P-256)", |b| {
        b.iter(|| black_box(v.verify_bytes(&small).is_ok()))
    });

    for (name, compression) in [
        ("stored", Compression::Stored),
        ("deflated", Compression::Deflated),
    ] {
        let big = package(16, 4 << 20, compression);
        let mut g = c.benchmark_group(format!("hashing {name}"));
        g.throughput(Throughput::Bytes(64 << 20));
        g.sample_size(10);
        g.bench_function("64 MiB in 16 files, from memory", |b| {
            b.iter(|| black_box(v.verify_bytes(&big).is_ok()))
        });
        g.bench_function("64 MiB in 16 files, streamed", |b| {
            b.iter(|| black_box(v.verify_reader(&big[..]).is_ok()))
        });
        g.finish();
    }
}

/// The worst path-building work a package can ask for (docs/SECURITY.md):
/// the vendor's genuine pair, then 15 attacker pairs, each a P-384 leaf and 7
/// CA certificates that share one P-384 key and the anchor's own name, so
/// that every issuer link between them verifies (49 per pair) and each is
/// also checked against the anchor. Every pair has its own key, so nothing
/// is shared between pairs.
fn worst_case_package() -> Vec<u8> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SerialNumber, PKCS_ECDSA_P384_SHA384,
    };
    let name = |cn: &str, serial: u64, ca: bool| {
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(DnType::OrganizationName, "DTEN Test Vendor (example)");
        p.distinguished_name.push(DnType::CommonName, cn);
        p.serial_number = Some(SerialNumber::from(serial));
        p.not_before = rcgen::date_time_ymd(2025, 1, 1);
        p.not_after = rcgen::date_time_ymd(2035, 1, 1);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        } else {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        }
        p
    };
    let key = SigningKey::from_pkcs8_pem(&read("signer-p256.key")).expect("key");
    let mut b = PackageBuilder::new("bench", "1")
        .file("f", b"x".to_vec(), 0o644)
        .signer("vendor", key, read("signer-p256-chain.pem"));
    for pair in 0..15u64 {
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("P-384");
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("P-384");
        let ca = |i: u64| name("DTEN Test Root G2", 1000 * pair + i, true);
        let first = ca(0);
        let issuer = Issuer::from_params(&first, &ca_key);
        let mut pem = name("Attacker", 1000 * pair + 99, false)
            .signed_by(&leaf_key, &issuer)
            .expect("leaf")
            .pem();
        for i in 0..7 {
            pem += &ca(i).signed_by(&ca_key, &issuer).expect("CA").pem();
        }
        let signing = SigningKey::from_pkcs8_pem(leaf_key.serialize_pem().as_bytes()).expect("key");
        b = b.signer(&format!("maze{pair}"), signing, pem.into_bytes());
    }
    b.write(Cursor::new(Vec::new()))
        .expect("write")
        .into_inner()
}

fn path_building(c: &mut Criterion) {
    let v = verifier();
    let worst = worst_case_package();
    assert!(
        v.verify_bytes(&worst).is_ok(),
        "the genuine pair still verifies"
    );
    let mut g = c.benchmark_group("path building");
    g.sample_size(10);
    g.bench_function("worst case: genuine pair + 15 same-name P-384 mazes", |b| {
        b.iter(|| black_box(v.verify_bytes(&worst).is_ok()))
    });
    g.finish();
}

criterion_group!(benches, phases, path_building);
criterion_main!(benches);
