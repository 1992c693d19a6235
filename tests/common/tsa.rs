//! An offline RFC 3161 time-stamping authority for tests and for the test
//! data generator (`examples/gen_tsa.rs` includes this file): TSA
//! certificates made with rcgen, tokens made by `openssl ts -reply` under
//! `faketime` at a chosen time, and `openssl ts -verify` as the oracle.
//!
//! Self-contained (no `super::`), so that an example can `#[path]` it in.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber,
};

/// id-kp-timeStamping and id-kp-codeSigning, DER OID contents.
const TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// How a TSA certificate's extended key usage is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsaEku {
    /// Critical, exactly timeStamping (RFC 3161 2.3).
    Exact,
    /// timeStamping, not critical.
    NonCritical,
    /// Critical, timeStamping and codeSigning.
    Extra,
    /// No extended key usage extension.
    Missing,
}

/// A certificate with its key, PEM.
pub struct Made {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
    pub params: CertificateParams,
    pub key: KeyPair,
}

impl Made {
    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn subject(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Example Time Authority (test)");
    dn.push(DnType::CommonName, cn);
    dn
}

fn params(cn: &str, serial: u64, years: (i32, i32)) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = subject(cn);
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(years.0, 1, 1);
    p.not_after = date_time_ymd(years.1, 1, 1);
    p.use_authority_key_identifier_extension = true;
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

/// An RSA key from `openssl genpkey` (ring cannot generate RSA).
pub fn rsa_key(bits: u32) -> KeyPair {
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
        .arg(format!("rsa_keygen_bits:{bits}"))
        .output()
        .expect("openssl is needed for the TSA test keys (the CI installs it)");
    assert!(out.status.success(), "openssl genpkey failed");
    KeyPair::from_pkcs8_pem_and_sign_algo(
        std::str::from_utf8(&out.stdout).unwrap(),
        &rcgen::PKCS_RSA_SHA256,
    )
    .unwrap()
}

/// A self-signed TSA root CA, valid `years`.
pub fn tsa_root(cn: &str, serial: u64, key: KeyPair) -> Made {
    let mut p = params(cn, serial, (2025, 2095));
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = p.self_signed(&key).unwrap();
    Made {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().to_vec(),
        params: p,
        key,
    }
}

/// A TSA certificate issued by `issuer`, valid `years`, with `eku`; a CA if `ca`.
pub fn tsa_cert(
    cn: &str,
    serial: u64,
    key: KeyPair,
    issuer: &Issuer<'_, impl rcgen::SigningKey>,
    eku: TsaEku,
    years: (i32, i32),
    ca: bool,
) -> Made {
    let mut p = params(cn, serial, years);
    p.is_ca = if ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    p.key_usages = if ca {
        vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ]
    } else {
        vec![KeyUsagePurpose::DigitalSignature]
    };
    let oids: &[&[u8]] = match eku {
        TsaEku::Exact | TsaEku::NonCritical => &[TIME_STAMPING],
        TsaEku::Extra => &[TIME_STAMPING, CODE_SIGNING],
        TsaEku::Missing => &[],
    };
    if !oids.is_empty() {
        // rcgen writes its own EKU non-critical: this one is written by hand.
        let mut inner = Vec::new();
        for oid in oids {
            inner.extend_from_slice(&[0x06, oid.len() as u8]);
            inner.extend_from_slice(oid);
        }
        let mut content = vec![0x30, inner.len() as u8];
        content.extend_from_slice(&inner);
        let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 37], content);
        ext.set_criticality(eku != TsaEku::NonCritical);
        p.custom_extensions.push(ext);
    }
    let cert = p.signed_by(&key, issuer).unwrap();
    Made {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().to_vec(),
        params: p,
        key,
    }
}

/// A token request: what `openssl ts` is asked for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The TSA's time, UTC, `YYYY-MM-DD HH:MM:SS` (through faketime).
    pub at: &'a str,
    /// The imprint's digest: `sha256`, `sha384`, `sha512`, `sha1`.
    pub digest: &'a str,
    /// The signature's digest (the TSA's `signer_digest`).
    pub signer_digest: &'a str,
    /// The ESS certificate identifier's digest (`sha1`: signingCertificate v1).
    pub ess_digest: &'a str,
    /// The accuracy, openssl's `secs:N, millisecs:N, microsecs:N` (empty: none).
    pub accuracy: &'a str,
    /// Ask for the TSA's certificate in the token (`-cert`).
    pub with_cert: bool,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Self {
            at: "2026-10-01 00:00:00",
            digest: "sha256",
            signer_digest: "sha256",
            ess_digest: "sha256",
            accuracy: "secs:1",
            with_cert: true,
        }
    }
}

/// An offline TSA: its certificate and key in a directory, with openssl's
/// configuration.
#[derive(Clone)]
pub struct Tsa {
    pub dir: PathBuf,
    pub cert_pem: String,
}

impl Tsa {
    /// A TSA signing with `cert` (PEM) and `key` (PKCS#8 PEM), files in `dir`.
    pub fn new(dir: &Path, cert_pem: &str, key_pem: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("tsa.pem"), cert_pem).unwrap();
        std::fs::write(dir.join("tsa.key"), key_pem).unwrap();
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        Self {
            dir: dir.to_path_buf(),
            cert_pem: cert_pem.to_owned(),
        }
    }

    pub fn config(&self, r: &Request<'_>) -> PathBuf {
        let accuracy = if r.accuracy.is_empty() {
            String::new()
        } else {
            format!("accuracy = {}\n", r.accuracy)
        };
        let text = format!(
            "[ tsa ]\ndefault_tsa = tsa_config1\n[ tsa_config1 ]\ndir = {dir}\nserial = $dir/serial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n\
             signer_digest = {sd}\ndefault_policy = 1.3.6.1.4.1.99999.1\nother_policies = 1.3.6.1.4.1.99999.2\n\
             digests = sha1, sha256, sha384, sha512\n{accuracy}ordering = no\ntsa_name = no\n\
             ess_cert_id_chain = no\ness_cert_id_alg = {ess}\n",
            dir = self.dir.display(),
            sd = r.signer_digest,
            ess = r.ess_digest,
        );
        let path = self.dir.join("tsa.cnf");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A DER TimeStampToken over `data`, made at `r.at`.
    pub fn token(&self, data: &[u8], r: &Request<'_>) -> Vec<u8> {
        let data_path = self.dir.join("data.bin");
        let query = self.dir.join("query.tsq");
        let token = self.dir.join("token.der");
        std::fs::write(&data_path, data).unwrap();
        let mut q = Command::new("openssl");
        q.args(["ts", "-query", "-data"])
            .arg(&data_path)
            .arg(format!("-{}", r.digest))
            .arg("-out")
            .arg(&query);
        if r.with_cert {
            q.arg("-cert");
        }
        run(q, "openssl ts -query");
        let config = self.config(r);
        let mut reply = Command::new("faketime");
        reply
            .env("TZ", "UTC")
            .arg(r.at)
            .args(["openssl", "ts", "-reply", "-config"])
            .arg(&config)
            .arg("-queryfile")
            .arg(&query)
            .args(["-token_out", "-out"])
            .arg(&token);
        run(
            reply,
            "faketime openssl ts -reply (faketime is needed: the CI installs it)",
        );
        std::fs::read(&token).unwrap()
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run ({e}): install it (the CI does)"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `openssl ts -verify` as the oracle: whether `token` is valid over `data`
/// with `ca` (PEM file) as the TSA's trust anchor at `attime` (seconds since
/// the epoch), `untrusted` (PEM file) offered as its certificate.
pub fn openssl_verifies(
    dir: &Path,
    token: &[u8],
    data: &[u8],
    ca: &Path,
    untrusted: Option<&Path>,
    attime: u64,
) -> bool {
    let token_path = dir.join("verify-token.der");
    let data_path = dir.join("verify-data.bin");
    std::fs::write(&token_path, token).unwrap();
    std::fs::write(&data_path, data).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.args(["ts", "-verify", "-token_in", "-in"])
        .arg(&token_path)
        .arg("-data")
        .arg(&data_path)
        .arg("-CAfile")
        .arg(ca)
        .arg("-attime")
        .arg(attime.to_string());
    if let Some(u) = untrusted {
        cmd.arg("-untrusted").arg(u);
    }
    let out = cmd
        .output()
        .expect("openssl is needed (the CI installs it)");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verification: OK")
}
