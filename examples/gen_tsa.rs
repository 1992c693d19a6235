//! Generates the time-stamping test data under `testdata/`: a test
//! time-stamping authority and the rotation demo's timestamped packages.
//!
//! ```text
//! cargo run --example gen_tsa -- testdata
//! ```
//!
//! Needs `openssl` (RSA keys, and `openssl ts -reply` as the TSA) and
//! `faketime` (to make tokens at chosen times) on `PATH`. Reads the committed
//! `pki/signer-p256.key` and `pki/signer-p256-chain.pem` (written by
//! `gen_testdata`), and writes:
//!
//! * `pki/tsa-root.pem`: "Example TSA Root" (self-signed, RSA 2048, CA),
//!   2025-01-01 to 2095-01-01, the TSA trust anchor; `pki/tsa-root.key`.
//! * `pki/tsa.pem`, `pki/tsa.key`: "Example TSA 2026" (RSA 2048, issued by
//!   the root, 2025-01-01 to 2095-01-01), with a critical extended key usage
//!   of exactly timeStamping, as RFC 3161 requires. It signs with
//!   rsaEncryption and SHA-256, as most RSA TSAs do.
//! * `Full-upgrade-package-dten-timestamped.zip`: the demo package
//!   (`dten-full-upgrade` 4.2.0, the demo's files and metadata, signed as
//!   `dten-2026` by `signer-p256`), with `signatures/dten-2026.tst`, a token
//!   from that TSA made at 2026-10-01T00:00:00Z (accuracy 1 s), before the
//!   rotation deadline of `policy/rotation.toml` (2027-03-31).
//! * `Full-upgrade-package-dten-timestamped-late.zip`: the same, timestamped
//!   at 2027-05-01T00:00:00Z, after the deadline.
//!
//! Test-only keys: published and worthless. Regenerating replaces every key
//! and signature; tests depend only on the structure described here.

#[path = "../tests/common/tsa.rs"]
mod tsa;

use std::error::Error;
use std::fs;
use std::io::Cursor;
use std::path::PathBuf;

use pkgverify::{Compression, PackageBuilder, SigningKey};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "testdata".into()));
    let pki = out.join("pki");
    let root = tsa::tsa_root("Example TSA Root", 0x7001, tsa::rsa_key(2048));
    let leaf = tsa::tsa_cert(
        "Example TSA 2026",
        0x7002,
        tsa::rsa_key(2048),
        &root.issuer(),
        tsa::TsaEku::Exact,
        (2025, 2095),
        false,
    );
    fs::write(pki.join("tsa-root.pem"), &root.cert_pem)?;
    fs::write(pki.join("tsa-root.key"), &root.key_pem)?;
    fs::write(pki.join("tsa.pem"), &leaf.cert_pem)?;
    fs::write(pki.join("tsa.key"), &leaf.key_pem)?;

    let work = std::env::temp_dir().join(format!("gen-tsa-{}", std::process::id()));
    let authority = tsa::Tsa::new(&work, &leaf.cert_pem, &leaf.key_pem);
    for (file, at) in [
        (
            "Full-upgrade-package-dten-timestamped.zip",
            "2026-10-01 00:00:00",
        ),
        (
            "Full-upgrade-package-dten-timestamped-late.zip",
            "2027-05-01 00:00:00",
        ),
    ] {
        let key = SigningKey::from_pkcs8_pem(&fs::read(pki.join("signer-p256.key"))?)?;
        let chain = fs::read(pki.join("signer-p256-chain.pem"))?;
        let demo: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("demo-metadata.json"))?)?;
        let mut b = PackageBuilder::new("dten-full-upgrade", "4.2.0")
            .created("2026-09-01T00:00:00Z")
            .compression(Compression::Deflated);
        for (k, v) in demo.as_object().ok_or("demo-metadata.json is an object")? {
            b = b.metadata(k, v.clone());
        }
        // The demo's payload, read back from the committed demo package.
        let mut zip =
            zip::ZipArchive::new(fs::File::open(out.join("Full-upgrade-package-dten.zip"))?)?;
        let manifest: serde_json::Value = {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut zip.by_name("manifest.json")?, &mut text)?;
            serde_json::from_str(&text)?
        };
        for f in manifest["files"].as_array().ok_or("files")? {
            let path = f["path"].as_str().ok_or("path")?;
            let mode = f["mode"].as_u64().ok_or("mode")? as u32;
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(path)?, &mut data)?;
            b = b.file(path, data, mode);
        }
        let request = tsa::Request {
            at,
            ..tsa::Request::default()
        };
        let authority = authority.clone();
        let bytes = b
            .signer("dten-2026", key, chain)
            .timestamper(move |_, sig| Ok(authority.token(sig, &request)))
            .write(Cursor::new(Vec::new()))?
            .into_inner();
        fs::write(out.join(file), &bytes)?;
        println!(
            "wrote {} ({} bytes, timestamped {at} UTC)",
            out.join(file).display(),
            bytes.len()
        );
    }
    let _ = fs::remove_dir_all(&work);
    Ok(())
}
