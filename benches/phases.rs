//! In-process throughput of each verification phase (criterion):
//! archive structure, manifest parsing, signature and chain, hashing.
//! Whole-process comparisons with openssl, unzip and jarsigner are in
//! bench/compare.py.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pkgverify::{
    Compression, Manifest, PackageBuilder, SigningKey, TrustStore, UnixTime, Verifier,
};

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

    let mut b = PackageBuilder::new("bench", "1");
    for i in 0..10_000 {
        b = b.file(&format!("dir{}/file-{i}.bin", i % 100), Vec::new(), 0o644);
    }
    let manifest = b.manifest().expect("manifest").to_json();
    let mut g = c.benchmark_group("manifest parse");
    g.throughput(Throughput::Bytes(manifest.len() as u64));
    g.bench_function("10k files", |b| {
        b.iter(|| black_box(Manifest::parse(&manifest).expect("parse").files().len()))
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

criterion_group!(benches, phases);
criterion_main!(benches);
