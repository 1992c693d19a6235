//! Generates the test PKI and the demo package under `testdata/`.
//!
//! Run from the crate root (debug build is enough):
//!
//! ```text
//! cargo run --example gen_testdata -- testdata
//! ```
//!
//! The argument is the output directory (default `testdata`). The generator
//! deletes and recreates `<out>/pki/` (staged in `<out>/.pki.tmp` and renamed
//! into place) and replaces `<out>/Full-upgrade-package-dten.zip` and
//! `<out>/demo-metadata.json` by writing a temporary file and renaming it, so
//! reruns are clean. RSA and Ed25519 keys come from `openssl genpkey`
//! (rcgen's ring backend cannot generate RSA, and writes Ed25519 keys as
//! PKCS#8 v2, which OpenSSL 3.0 cannot read), so `openssl` must be on `PATH`.
//!
//! # The scenario
//!
//! A vendor, `O=DTEN Test Vendor (example)`, rotated its CA: the old hierarchy
//! is G1 (Root G1 -> Signing CA G1), the new one G2 (Root G2 -> Signing CA G2).
//! The operator trusts only Root G1. The demo package is signed under G2, so it
//! verifies only when the operator also supplies the vendor's *advisory
//! chain*: Root G2 cross-signed by Root G1 (`pki/advisory-chain.pem`, the same
//! certificate as `pki/root-g2-cross-g1.pem`).
//!
//! # What is written
//!
//! `pki/NAME.pem` (certificate) and `pki/NAME.key` (PKCS#8 PEM private key) for:
//!
//! * CAs: `root-g1`, `root-g2` (self-signed, ECDSA P-384), `root-g2-cross-g1`
//!   (Root G2's subject and key, issued by Root G1; no `.key` of its own, it
//!   uses `root-g2.key`), `signing-ca-g1`, `signing-ca-g2` (ECDSA P-256).
//! * Good code-signing leaves issued by Signing CA G2: `signer-p256`,
//!   `signer-p384`, `signer-ed25519`, `signer-rsa2048`, `signer-rsa3072`;
//!   and `signer-g1` (P-256, issued by Signing CA G1, for dual signatures).
//! * Bad leaves (P-256, Signing CA G2 unless said): `bad-serverauth` (EKU
//!   serverAuth only), `bad-noeku` (no EKU extension), `bad-expired`
//!   (2020-01-01..2021-01-01), `bad-notyet` (2090-01-01..2095-01-01),
//!   `bad-revoked` (listed in the CRL), `bad-nonca-issuer` (issued by
//!   `signer-p256`, which is not a CA).
//! * `pki/L-chain.pem` for every leaf `L`: the leaf then its issuer (for
//!   `bad-nonca-issuer`: leaf, `signer-p256`, Signing CA G2).
//! * `pki/signing-ca-g2.crl`: PEM CRL by Signing CA G2 revoking `bad-revoked`.
//!
//! Validity is 2025-01-01T00:00:00Z to 2095-01-01T00:00:00Z unless stated.
//! Every certificate has an explicit serial number (distinct across the PKI)
//! and an authority key identifier; CAs have basicConstraints CA:true, key
//! usage keyCertSign + cRLSign + digitalSignature and a subject key
//! identifier; leaves have CA:false, key usage digitalSignature and (unless
//! said) EKU codeSigning only.
//!
//! Plus `Full-upgrade-package-dten.zip` (package `dten-full-upgrade` 4.2.0,
//! signed once as `dten-2026` by `signer-p256` with `signer-p256-chain.pem`)
//! and `demo-metadata.json` (its metadata object).
//!
//! # These keys are for tests only
//!
//! Every private key here is published and worthless; never trust any of
//! these certificates outside tests. The outputs are committed to the
//! repository. Regenerating replaces every key, certificate, serial-bound
//! signature and the package's signature, so tests must not depend on
//! specific key, certificate or signature bytes, only on the structure
//! described above.

use std::error::Error;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use pkgverify::{Compression, PackageBuilder, SigningKey};
use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams,
    CertificateRevocationListParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams,
    SerialNumber,
};
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// O= in every subject.
const ORG: &str = "DTEN Test Vendor (example)";

/// Key types the PKI uses.
#[derive(Clone, Copy)]
enum KeyType {
    P256,
    P384,
    Ed25519,
    Rsa(u32),
}

/// A certificate with the parameters and key it was made from, so it can
/// issue further certificates.
struct Cert {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

impl Cert {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }
}

/// File name, CN, key type, serial, kind, and (from, to) years if not 2025..2095.
type LeafSpec = (
    &'static str,
    &'static str,
    KeyType,
    u64,
    LeafKind,
    Option<(i32, i32)>,
);

/// How a leaf differs from a good code-signing leaf.
enum LeafKind {
    CodeSigning,
    ServerAuth,
    NoEku,
}

/// Files of `testdata/pki`, collected in memory then written together.
struct Outputs(Vec<(String, String)>);

impl Outputs {
    fn add(&mut self, name: &str, contents: String) {
        self.0.push((name.to_owned(), contents));
    }

    /// `NAME.pem` and `NAME.key`.
    fn add_cert(&mut self, name: &str, c: &Cert) {
        self.add(&format!("{name}.pem"), c.pem());
        self.add(&format!("{name}.key"), c.key.serialize_pem());
    }
}

fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "testdata".into()));
    fs::create_dir_all(&out)?;

    let mut files = Outputs(Vec::new());
    let not_before = date_time_ymd(2025, 1, 1);
    let not_after = date_time_ymd(2095, 1, 1);

    // --- Roots and the cross certificate -------------------------------
    let root_g1 = self_signed_ca("DTEN Test Root G1", 0x1001, KeyType::P384)?;
    let root_g2 = self_signed_ca("DTEN Test Root G2", 0x2001, KeyType::P384)?;

    // Root G2's subject and key (so the same SKI), issued by Root G1.
    let cross_params = ca_params("DTEN Test Root G2", 0x1002);
    let cross = cross_params.signed_by(&root_g2.key, &root_g1.issuer())?;

    // --- Signing CAs ----------------------------------------------------
    let signing_g1 = issued_ca("DTEN Test Signing CA G1", 0x1003, KeyType::P256, &root_g1)?;
    let signing_g2 = issued_ca("DTEN Test Signing CA G2", 0x2002, KeyType::P256, &root_g2)?;

    files.add_cert("root-g1", &root_g1);
    files.add_cert("root-g2", &root_g2);
    files.add("root-g2-cross-g1.pem", cross.pem());
    files.add("advisory-chain.pem", cross.pem());
    files.add_cert("signing-ca-g1", &signing_g1);
    files.add_cert("signing-ca-g2", &signing_g2);

    // --- Leaves ----------------------------------------------------------
    // (name, CN, key type, serial, kind, validity)
    let standard: [LeafSpec; 10] = [
        (
            "signer-p256",
            "DTEN Test Code Signing ECDSA P-256",
            KeyType::P256,
            0x2101,
            LeafKind::CodeSigning,
            None,
        ),
        (
            "signer-p384",
            "DTEN Test Code Signing ECDSA P-384",
            KeyType::P384,
            0x2102,
            LeafKind::CodeSigning,
            None,
        ),
        (
            "signer-ed25519",
            "DTEN Test Code Signing Ed25519",
            KeyType::Ed25519,
            0x2103,
            LeafKind::CodeSigning,
            None,
        ),
        (
            "signer-rsa2048",
            "DTEN Test Code Signing RSA 2048",
            KeyType::Rsa(2048),
            0x2104,
            LeafKind::CodeSigning,
            None,
        ),
        (
            "signer-rsa3072",
            "DTEN Test Code Signing RSA 3072",
            KeyType::Rsa(3072),
            0x2105,
            LeafKind::CodeSigning,
            None,
        ),
        (
            "bad-serverauth",
            "DTEN Test Bad serverAuth EKU",
            KeyType::P256,
            0x2201,
            LeafKind::ServerAuth,
            None,
        ),
        (
            "bad-noeku",
            "DTEN Test Bad No EKU",
            KeyType::P256,
            0x2202,
            LeafKind::NoEku,
            None,
        ),
        (
            "bad-expired",
            "DTEN Test Bad Expired",
            KeyType::P256,
            0x2203,
            LeafKind::CodeSigning,
            Some((2020, 2021)),
        ),
        (
            "bad-notyet",
            "DTEN Test Bad Not Yet Valid",
            KeyType::P256,
            0x2204,
            LeafKind::CodeSigning,
            Some((2090, 2095)),
        ),
        (
            "bad-revoked",
            "DTEN Test Bad Revoked",
            KeyType::P256,
            0x2205,
            LeafKind::CodeSigning,
            None,
        ),
    ];
    let mut signer_p256 = None;
    let mut revoked_serial = None;
    for (name, cn, key_type, serial, kind, years) in standard {
        let mut params = leaf_params(cn, serial, kind);
        if let Some((from, to)) = years {
            params.not_before = date_time_ymd(from, 1, 1);
            params.not_after = date_time_ymd(to, 1, 1);
        }
        let leaf = issue(params, key_type, &signing_g2)?;
        files.add_cert(name, &leaf);
        files.add(&format!("{name}-chain.pem"), leaf.pem() + &signing_g2.pem());
        match name {
            "signer-p256" => signer_p256 = Some(leaf),
            "bad-revoked" => revoked_serial = leaf.params.serial_number.clone(),
            _ => {}
        }
    }
    let signer_p256 = signer_p256.ok_or("signer-p256 not generated")?;
    let revoked_serial = revoked_serial.ok_or("bad-revoked not generated")?;

    // Old hierarchy leaf, for dual signatures.
    let signer_g1 = issue(
        leaf_params(
            "DTEN Test Code Signing G1 ECDSA P-256",
            0x1101,
            LeafKind::CodeSigning,
        ),
        KeyType::P256,
        &signing_g1,
    )?;
    files.add_cert("signer-g1", &signer_g1);
    files.add("signer-g1-chain.pem", signer_g1.pem() + &signing_g1.pem());

    // A code-signing leaf whose issuer (signer-p256) is not a CA.
    let nonca = issue(
        leaf_params("DTEN Test Bad Non-CA Issuer", 0x2206, LeafKind::CodeSigning),
        KeyType::P256,
        &signer_p256,
    )?;
    files.add_cert("bad-nonca-issuer", &nonca);
    files.add(
        "bad-nonca-issuer-chain.pem",
        nonca.pem() + &signer_p256.pem() + &signing_g2.pem(),
    );

    // --- CRL ---------------------------------------------------------------
    let crl = CertificateRevocationListParams {
        this_update: not_before,
        next_update: not_after,
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: revoked_serial,
            revocation_time: date_time_ymd(2025, 6, 1),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&signing_g2.issuer())?;
    files.add("signing-ca-g2.crl", crl.pem()?);

    // Every key must load as the crate's SigningKey (the signer examples and
    // tests use them that way).
    for (name, contents) in &files.0 {
        if name.ends_with(".key") {
            SigningKey::from_pkcs8_pem(contents.as_bytes())
                .map_err(|e| format!("{name} does not load as a SigningKey: {e}"))?;
        }
    }
    write_pki(&out, &files)?;

    // --- Demo package ------------------------------------------------------
    let metadata = demo_metadata();
    let chain = signer_p256.pem() + &signing_g2.pem();
    let key = SigningKey::from_pkcs8_pem(signer_p256.key.serialize_pem().as_bytes())?;
    let mut builder = PackageBuilder::new("dten-full-upgrade", "4.2.0")
        .created("2026-09-01T00:00:00Z")
        .compression(Compression::Deflated);
    for (k, v) in metadata.as_object().ok_or("metadata is an object")? {
        builder = builder.metadata(k, v.clone());
    }
    let package = builder
        .file("bin/dten-agent", elf_like(0xA6E7, 6 * 1024), 0o755)
        .file("bin/dten-updater", elf_like(0x0BDA, 3 * 1024), 0o755)
        .file(
            "scripts/pre-install.sh",
            PRE_INSTALL.as_bytes().to_vec(),
            0o755,
        )
        .file(
            "scripts/post-install.sh",
            POST_INSTALL.as_bytes().to_vec(),
            0o755,
        )
        .file("config/defaults.json", defaults_json(), 0o644)
        .file(
            "firmware/dten-fw.bin",
            pseudo_random(0xF1F7, 32 * 1024),
            0o644,
        )
        .directory("bin/")
        .directory("scripts/")
        .directory("config/")
        .directory("firmware/")
        .signer("dten-2026", key, chain.into_bytes())
        .write(Cursor::new(Vec::new()))?
        .into_inner();
    write_atomic(&out.join("Full-upgrade-package-dten.zip"), &package)?;

    let mut meta_json = serde_json::to_vec_pretty(&metadata)?;
    meta_json.push(b'\n');
    write_atomic(&out.join("demo-metadata.json"), &meta_json)?;

    println!(
        "wrote {} files to {}, Full-upgrade-package-dten.zip ({} bytes) and demo-metadata.json to {}",
        files.0.len(),
        out.join("pki").display(),
        package.len(),
        out.display()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Certificates

fn subject(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, ORG);
    dn.push(DnType::CommonName, cn);
    dn
}

fn base_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = subject(cn);
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2095, 1, 1);
    p.use_authority_key_identifier_extension = true;
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

/// CA:true, keyCertSign + cRLSign + digitalSignature. rcgen adds the subject
/// key identifier whenever `is_ca` is not `NoCa`.
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

/// CA:false (explicit, which also gives a subject key identifier),
/// digitalSignature, and the EKU `kind` asks for.
fn leaf_params(cn: &str, serial: u64, kind: LeafKind) -> CertificateParams {
    let mut p = base_params(cn, serial);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = match kind {
        LeafKind::CodeSigning => vec![ExtendedKeyUsagePurpose::CodeSigning],
        LeafKind::ServerAuth => vec![ExtendedKeyUsagePurpose::ServerAuth],
        LeafKind::NoEku => Vec::new(),
    };
    p
}

fn self_signed_ca(cn: &str, serial: u64, key_type: KeyType) -> Result<Cert> {
    let params = ca_params(cn, serial);
    let key = new_key(key_type)?;
    let cert = params.self_signed(&key)?;
    Ok(Cert { params, key, cert })
}

fn issued_ca(cn: &str, serial: u64, key_type: KeyType, issuer: &Cert) -> Result<Cert> {
    issue(ca_params(cn, serial), key_type, issuer)
}

fn issue(params: CertificateParams, key_type: KeyType, issuer: &Cert) -> Result<Cert> {
    let key = new_key(key_type)?;
    let cert = params.signed_by(&key, &issuer.issuer())?;
    Ok(Cert { params, key, cert })
}

fn new_key(key_type: KeyType) -> Result<KeyPair> {
    Ok(match key_type {
        KeyType::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?,
        KeyType::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?,
        // ring writes Ed25519 keys as PKCS#8 v2, which OpenSSL 3.0 cannot read;
        // openssl's v1 keys load in both.
        KeyType::Ed25519 => KeyPair::from_pkcs8_pem_and_sign_algo(
            &openssl_genpkey(&["-algorithm", "ED25519"])?,
            &rcgen::PKCS_ED25519,
        )?,
        // ring cannot generate RSA keys.
        KeyType::Rsa(bits) => KeyPair::from_pkcs8_pem_and_sign_algo(
            &openssl_genpkey(&[
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
            ])?,
            &rcgen::PKCS_RSA_SHA256,
        )?,
    })
}

/// Runs `openssl genpkey ARGS`, which writes a PKCS#8 PEM key to stdout.
fn openssl_genpkey(args: &[&str]) -> Result<String> {
    let output = Command::new("openssl")
        .arg("genpkey")
        .args(args)
        .output()
        .map_err(|e| format!("running openssl genpkey (is openssl on PATH?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "openssl genpkey {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

// ---------------------------------------------------------------------------
// Output

/// Writes every file into a fresh staging directory, then swaps it in as `pki/`.
fn write_pki(out: &Path, files: &Outputs) -> Result<()> {
    let staging = out.join(".pki.tmp");
    let pki = out.join("pki");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)?;
    for (name, contents) in &files.0 {
        fs::write(staging.join(name), contents)?;
    }
    if pki.exists() {
        fs::remove_dir_all(&pki)?;
    }
    fs::rename(&staging, &pki)?;
    Ok(())
}

fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let file_name = path.file_name().ok_or("output path has no file name")?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Demo package contents (deterministic)

fn demo_metadata() -> Value {
    json!({
        "requires": { "min_version": "4.0.0", "platform": "dten-d7" },
        "reboot": true,
        "scheduled_tasks": [ { "name": "post-install", "run": "scripts/post-install.sh" } ],
    })
}

/// SplitMix64 stream: deterministic, dependency-free filler bytes.
fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A 64-bit little-endian x86-64 ELF identification and header start,
/// followed by filler. Not a runnable program.
fn elf_like(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, // e_ident
        3, 0, // e_type: ET_DYN
        0x3e, 0, // e_machine: x86-64
        1, 0, 0, 0, // e_version
    ];
    bytes.extend(pseudo_random(seed, len - bytes.len()));
    bytes
}

fn defaults_json() -> Vec<u8> {
    let config = json!({
        "agent": {
            "log_level": "info",
            "heartbeat_seconds": 60,
            "update_channel": "stable"
        },
        "display": { "brightness": 80, "sleep_after_minutes": 30 },
        "network": { "proxy": null, "ntp_servers": ["0.pool.ntp.org", "1.pool.ntp.org"] }
    });
    let mut bytes = serde_json::to_vec_pretty(&config).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

const PRE_INSTALL: &str = r#"#!/bin/sh
# Stop the agent before its files are replaced.
set -eu
if command -v systemctl >/dev/null 2>&1; then
    systemctl stop dten-agent.service || true
fi
mkdir -p /var/lib/dten/backup
cp -p /opt/dten/bin/dten-agent /var/lib/dten/backup/ 2>/dev/null || true
"#;

const POST_INSTALL: &str = r#"#!/bin/sh
# Restart the agent and record the installed version.
set -eu
echo "4.2.0" > /var/lib/dten/version
if command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload
    systemctl start dten-agent.service
fi
"#;
