//! The example signer: builds a signed format-1 package from a directory, as a
//! vendor's release pipeline would.
//!
//! ```text
//! sign --name PKGNAME --version VERSION --key KEY.pem --cert CHAIN.pem
//!      [--key K2 --cert C2]... [--signature-name NAME]... [--rsa-pss]
//!      [--metadata FILE.json] [--created RFC3339] [--stored] --out OUT.zip DIR
//! ```
//!
//! - Each `--key` (PKCS#8 PEM: ECDSA P-256/P-384, Ed25519 or RSA) pairs with
//!   the `--cert` at the same position: a PEM chain, signer certificate first,
//!   then its intermediates. Each key must match its chain's first certificate
//!   (checked by signing a test message and verifying it against the
//!   certificate), and a chain file may hold nothing but certificates.
//! - `--signature-name` values pair with the keys the same way (give none or
//!   one per key); by default a signature is named after its key file's stem,
//!   reduced to `[A-Za-z0-9._-]{1,64}`. Names must differ, also in case.
//! - Everything the verifier would refuse (names, case and Unicode
//!   collisions, layout, modes, limits) is refused before anything is
//!   written, by the library's own rules (`PackageBuilder::manifest`).
//! - `--rsa-pss` makes RSA keys sign with PSS instead of PKCS#1 v1.5.
//! - Every regular file under DIR (walked recursively, in sorted order) becomes
//!   a payload entry with its `/`-separated path relative to DIR and its unix
//!   permission bits. Symbolic links and special files are refused, never
//!   shipped by accident; empty directories are not recorded; paths a package
//!   may not hold (`manifest.json`, `signatures/...`, names with `:`, `\` or
//!   control characters, names equal but for case) are refused. Folder
//!   litter is left out, with a line on stderr: `.DS_Store`, `__MACOSX`,
//!   `Thumbs.db` and `.git`.
//! - The signer's certificate must be one the verifier accepts as a signer
//!   (code-signing EKU, a key allowed to sign, not a CA, valid now): the
//!   verifier's own rules decide, before anything is written.
//! - `--metadata FILE.json`: a JSON object (no duplicate keys) whose keys become
//!   top-level manifest metadata (`requires`, `reboot`, ...); `format`,
//!   `package` and `files` are refused.
//! - `--created`: `package.created`, RFC 3339. `--stored`: no compression.
//! - `--timestamp-command CMD`: timestamps each signature with an RFC 3161
//!   TSA. `sh -c CMD` gets the signature's bytes on stdin and prints the DER
//!   TimeStampToken on stdout, e.g. with an offline `openssl ts` TSA:
//!   `openssl ts -query -data /dev/stdin -sha256 -cert | openssl ts -reply
//!   -queryfile /dev/stdin -config tsa.cnf -token_out -out /dev/stdout`, or
//!   with `curl --data-binary @- -H 'Content-Type: application/timestamp-query'`
//!   to a TSA's URL and `openssl ts -reply -in /dev/stdin -token_out`.
//!
//! The package is written to a temporary file next to OUT, read back and
//! checked against the manifest, and only then renamed to OUT: a failure never
//! leaves a partial OUT, and an existing OUT stays as it was.
//!
//! Exit status: 0 with a one-line summary on stdout; 2 with `sign: MESSAGE`
//! on stderr for any error.
//!
//! Example, with the committed test PKI:
//!
//! ```text
//! cargo run --example sign -- --name demo --version 1.0 \
//!     --key testdata/pki/signer-p256.key --cert testdata/pki/signer-p256-chain.pem \
//!     --metadata testdata/demo-metadata.json --out /tmp/demo.zip some-dir
//! cargo run --example verify -- --root testdata/pki/root-g2.pem /tmp/demo.zip
//! ```

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use pkgverify::{
    Algorithm, BuildError, CertInfo, ChainError, ChainOptions, Compression, Limits, Manifest,
    PackageBuilder, SigningKey, TrustStore, UnixTime,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

#[derive(Parser, Debug)]
#[command(
    name = "sign",
    about = "Build a signed upgrade package from a directory"
)]
struct Args {
    /// Package name (`package.name`).
    #[arg(long, value_name = "PKGNAME")]
    name: String,
    /// Package version (`package.version`).
    #[arg(long, value_name = "VERSION")]
    version: String,
    /// PKCS#8 PEM private key; repeatable, paired by position with --cert.
    #[arg(long = "key", value_name = "KEY.pem", required = true)]
    keys: Vec<PathBuf>,
    /// PEM certificate chain for the key at the same position, signer first.
    #[arg(long = "cert", value_name = "CHAIN.pem", required = true)]
    certs: Vec<PathBuf>,
    /// Signature name for the key at the same position (default: the key file's stem).
    #[arg(long = "signature-name", value_name = "NAME")]
    signature_names: Vec<String>,
    /// Sign with RSA-PSS (SHA-256) instead of PKCS#1 v1.5 for RSA keys.
    #[arg(long)]
    rsa_pss: bool,
    /// JSON object whose keys become top-level manifest metadata.
    #[arg(long, value_name = "FILE.json")]
    metadata: Option<PathBuf>,
    /// Creation time, RFC 3339 (`package.created`).
    #[arg(long, value_name = "RFC3339")]
    created: Option<String>,
    /// Store payload files uncompressed.
    #[arg(long)]
    stored: bool,
    /// Timestamp each signature: run `sh -c CMD` with the signature's bytes
    /// on stdin; it must print a DER RFC 3161 TimeStampToken over them on
    /// stdout (written as signatures/NAME.tst).
    #[arg(long = "timestamp-command", value_name = "CMD")]
    timestamp_command: Option<String>,
    /// Where to write the package.
    #[arg(long, value_name = "OUT.zip")]
    out: PathBuf,
    /// The directory whose files become the payload.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Any error: printed as `sign: MESSAGE`, exit status 2.
struct Failure(String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        Self(message)
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(message.into()))
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        // --help and --version: clap prints them and exits 0.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text).trim_end();
            return report(Failure(text.to_owned()));
        }
    };
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(f) => report(f),
    }
}

fn report(Failure(message): Failure) -> ExitCode {
    eprintln!("sign: {message}");
    ExitCode::from(2)
}

/// One signer, ready to sign.
struct Signer {
    name: String,
    key: SigningKey,
    chain_pem: Vec<u8>,
}

/// One payload file found under DIR.
struct Payload {
    /// Path inside the package.
    path: String,
    /// Where it is on disk.
    source: PathBuf,
    mode: u32,
}

fn run(args: &Args) -> Result<String, Failure> {
    check_text("--name", &args.name)?;
    check_text("--version", &args.version)?;
    if let Some(created) = &args.created {
        if pkgverify::parse_rfc3339(created).is_none() {
            return fail(format!(
                "--created {created:?} is not an RFC 3339 time (e.g. 2026-09-01T00:00:00Z)"
            ));
        }
    }
    let metadata = match &args.metadata {
        Some(path) => Some(read_file(path, "metadata")?),
        None => None,
    };
    let signers = load_signers(args)?;
    let payload = collect_payload(&args.dir)?;
    let out_dir = check_out(&args.out, &args.dir)?;

    let mut builder = PackageBuilder::new(&args.name, &args.version);
    if let Some(created) = &args.created {
        builder = builder.created(created);
    }
    if let Some(json) = metadata {
        builder = builder.metadata_json(&json).map_err(|e| {
            Failure(format!(
                "metadata {}: {e}",
                show(args.metadata.as_deref().unwrap_or(Path::new("")))
            ))
        })?;
    }
    for p in &payload {
        builder = builder.file_from_disk(&p.path, p.source.clone(), p.mode);
    }
    if args.stored {
        builder = builder.compression(Compression::Stored);
    }
    if let Some(command) = &args.timestamp_command {
        let command = command.clone();
        builder = builder.timestamper(move |_, signature| run_timestamper(&command, signature));
    }
    let names: Vec<String> = signers.iter().map(|s| s.name.clone()).collect();
    for s in signers {
        builder = builder.signer(&s.name, s.key, s.chain_pem);
    }

    // The manifest as it will be signed (the builder checks it with the
    // verifier's own rules).
    let manifest = builder.manifest().map_err(explain)?;

    let mut temp = {
        let mut b = tempfile::Builder::new();
        b.prefix(".sign-").suffix(".zip.tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(fs::Permissions::from_mode(0o644));
        }
        b.tempfile_in(&out_dir).map_err(|e| {
            Failure(format!(
                "cannot create a temporary file in {:?}: {e}",
                out_dir.display().to_string()
            ))
        })?
    };
    builder.write_manifest(temp.as_file_mut(), &manifest)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| Failure(format!("cannot write the package: {e}")))?;
    let files_per_signature = if args.timestamp_command.is_some() {
        3
    } else {
        2
    };
    check_written(temp.path(), &manifest, files_per_signature * names.len())?;
    temp.persist(&args.out).map_err(|e| {
        Failure(format!(
            "cannot write {:?}: {}",
            args.out.display().to_string(),
            e.error
        ))
    })?;

    let bytes: u64 = manifest.files().iter().map(|f| f.size).sum();
    Ok(format!(
        "wrote {}: {} {}, {} file{}, {} bytes, {} signature{} ({})",
        args.out.display(),
        args.name,
        args.version,
        manifest.files().len(),
        plural(manifest.files().len()),
        bytes,
        names.len(),
        plural(names.len()),
        names.join(", ")
    ))
}

/// Runs the timestamp command with `signature` on stdin; its stdout is the token.
fn run_timestamper(command: &str, signature: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run --timestamp-command: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(signature)
            .map_err(|e| format!("--timestamp-command did not read the signature: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("--timestamp-command: {e}"))?;
    if !out.status.success() || out.stdout.is_empty() {
        return Err(format!(
            "--timestamp-command failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// A builder error, with a hint where the fix is a flag of this program.
fn explain(e: BuildError) -> Failure {
    let hint = match &e {
        BuildError::WouldReject(err)
            if err.path().is_some_and(|p| p.starts_with("signatures/")) =>
        {
            " (give each signature its own name with --signature-name)"
        }
        _ => "",
    };
    Failure(format!("{e}{hint}"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `package.name` and `package.version`: what the verifier accepts.
fn check_text(flag: &str, value: &str) -> Result<(), Failure> {
    if value.is_empty() {
        return fail(format!("{flag} is empty"));
    }
    if value.chars().any(char::is_control) {
        return fail(format!("{flag} {value:?} contains a control character"));
    }
    Ok(())
}

fn show(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure(format!("cannot read {what} {}: {e}", show(path))))
}

// ---- signers ---------------------------------------------------------------

fn load_signers(args: &Args) -> Result<Vec<Signer>, Failure> {
    if args.keys.len() != args.certs.len() {
        return fail(format!(
            "{} --key but {} --cert: each key needs the certificate chain at the same position",
            args.keys.len(),
            args.certs.len()
        ));
    }
    if !args.signature_names.is_empty() && args.signature_names.len() != args.keys.len() {
        return fail(format!(
            "{} --signature-name for {} --key: give none or one per key",
            args.signature_names.len(),
            args.keys.len()
        ));
    }
    let limits = Limits::default();
    if args.keys.len() > limits.max_signatures {
        return fail(format!(
            "{} signers, but a package may carry at most {}",
            args.keys.len(),
            limits.max_signatures
        ));
    }
    let mut signers: Vec<Signer> = Vec::with_capacity(args.keys.len());
    let mut any_rsa = false;
    for (i, (key_path, cert_path)) in args.keys.iter().zip(&args.certs).enumerate() {
        // Names are checked with everything else the verifier checks, by
        // the builder (PackageBuilder::manifest).
        let name = match args.signature_names.get(i) {
            Some(n) => n.clone(),
            None => default_signature_name(key_path),
        };

        let mut key = SigningKey::from_pkcs8_pem(&read_file(key_path, "key")?)
            .map_err(|e| Failure(format!("key {}: {e}", show(key_path))))?;
        if matches!(
            key.algorithm(),
            Algorithm::RsaPkcs1Sha256 | Algorithm::RsaPssSha256
        ) {
            any_rsa = true;
            if args.rsa_pss {
                key = key.rsa_pss();
            }
        }
        let chain_pem = read_file(cert_path, "certificate chain")?;
        let chain = parse_chain(cert_path, &chain_pem, &limits)?;
        check_key_matches(&key, key_path, cert_path, &chain)?;
        check_fit_to_sign(cert_path, &chain)?;
        signers.push(Signer {
            name,
            key,
            chain_pem,
        });
    }
    if args.rsa_pss && !any_rsa {
        return fail("--rsa-pss given, but no --key is an RSA key");
    }
    Ok(signers)
}

/// The key file's stem, with every other character replaced by `_`, at most 64 long.
fn default_signature_name(key_path: &Path) -> String {
    let stem = key_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "signature".into()
    } else {
        name
    }
}

/// The chain file's certificates; it must be PEM holding certificates only
/// (it is shipped in the package as it is, so a private key in it would be too).
fn parse_chain(
    path: &Path,
    pem: &[u8],
    limits: &Limits,
) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let text = String::from_utf8_lossy(pem);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN ") && line != "-----BEGIN CERTIFICATE-----" {
            return fail(format!(
                "certificate chain {} contains {line:?}: a chain file is shipped in the package and may hold only certificates",
                show(path)
            ));
        }
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| Failure(format!("certificate chain {}: bad PEM: {e}", show(path))))?;
    if certs.is_empty() {
        return fail(format!(
            "certificate chain {} holds no PEM certificate",
            show(path)
        ));
    }
    for (i, c) in certs.iter().enumerate() {
        if CertInfo::from_der(c).is_none() {
            return fail(format!(
                "certificate chain {}: certificate {} cannot be parsed",
                show(path),
                i + 1
            ));
        }
    }
    if certs.len() > limits.max_bundled_certificates {
        return fail(format!(
            "certificate chain {} holds {} certificates, a package signature may bundle at most {}",
            show(path),
            certs.len(),
            limits.max_bundled_certificates
        ));
    }
    if pem.len() as u64 > limits.max_signature_file_bytes {
        return fail(format!(
            "certificate chain {} is {} bytes, a package signature file may be at most {}",
            show(path),
            pem.len(),
            limits.max_signature_file_bytes
        ));
    }
    Ok(certs)
}

/// Signs a test message with `key` and verifies it against the chain's first
/// certificate, the way the verifier checks a manifest signature.
fn check_key_matches(
    key: &SigningKey,
    key_path: &Path,
    cert_path: &Path,
    chain: &[CertificateDer<'static>],
) -> Result<(), Failure> {
    let Some(leaf) = chain.first() else {
        return fail(format!(
            "certificate chain {} holds no certificate",
            show(cert_path)
        ));
    };
    let subject = CertInfo::from_der(leaf)
        .map(|c| c.subject)
        .unwrap_or_default();
    let mismatch = |why: &str| {
        Failure(format!(
            "key {} does not match the first certificate in {} ({subject:?}): {why}",
            show(key_path),
            show(cert_path)
        ))
    };
    let alg: &dyn rustls_pki_types::SignatureVerificationAlgorithm = match key.algorithm() {
        Algorithm::EcdsaP256Sha256 => webpki::ring::ECDSA_P256_SHA256,
        Algorithm::EcdsaP384Sha384 => webpki::ring::ECDSA_P384_SHA384,
        Algorithm::Ed25519 => webpki::ring::ED25519,
        Algorithm::RsaPkcs1Sha256 => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RsaPssSha256 => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        other => {
            return fail(format!(
                "key {}: algorithm {} is not known to this signer",
                show(key_path),
                other.name()
            ))
        }
    };
    let cert = webpki::EndEntityCert::try_from(leaf).map_err(|e| {
        Failure(format!(
            "certificate chain {}: the first certificate is not usable: {e}",
            show(cert_path)
        ))
    })?;
    let message = b"pkgverify sign: key and certificate match check";
    let signature = key.sign(message).map_err(|e| mismatch(&e.to_string()))?;
    match cert.verify_signature(alg, message, &signature) {
        Ok(()) => Ok(()),
        Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => {
            Err(mismatch(&format!(
                "the certificate's key is not a {} key",
                key.algorithm().name()
            )))
        }
        Err(_) => Err(mismatch("the public keys differ")),
    }
}

/// Refuses a signer certificate the verifier would refuse whatever the
/// operator trusts: no code-signing EKU, a key not allowed to sign, a CA
/// certificate, or outside its validity now. The verifier's own rules
/// decide (`TrustStore::validate_chain` with the code-signing usage, the
/// chain's last certificate standing in for the operator's anchor); only
/// whether a path reaches the operator's root is left to the operator.
fn check_fit_to_sign(cert_path: &Path, chain: &[CertificateDer<'static>]) -> Result<(), Failure> {
    let Some((leaf, rest)) = chain.split_first() else {
        return Ok(());
    };
    let mut trust = TrustStore::new();
    if let Some(top) = rest.last() {
        // A certificate the anchor reader refuses only loses the stand-in.
        let _ = trust.add_anchors(top, "the chain's last certificate");
    }
    let result = trust.validate_chain(leaf, rest, UnixTime::now(), &ChainOptions::code_signing());
    match result {
        Err(
            e @ (ChainError::UsageMissing { .. }
            | ChainError::SigningNotAllowed { .. }
            | ChainError::CaAsEndEntity { .. }
            | ChainError::Expired { .. }
            | ChainError::NotYetValid { .. }),
        ) => fail(format!(
            "certificate chain {}: the verifier would refuse this signer: {e} (issue the signer a code-signing certificate: docs/FORMAT.md, \"Vendor side with openssl\")",
            show(cert_path)
        )),
        _ => Ok(()),
    }
}

// ---- metadata --------------------------------------------------------------

// ---- payload ---------------------------------------------------------------

fn collect_payload(dir: &Path) -> Result<Vec<Payload>, Failure> {
    let meta = fs::metadata(dir)
        .map_err(|e| Failure(format!("cannot read directory {}: {e}", show(dir))))?;
    if !meta.is_dir() {
        return fail(format!("{} is not a directory", show(dir)));
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files)?;
    if files.is_empty() {
        return fail(format!("{} holds no files", show(dir)));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // The paths a package may hold are the verifier's rules, which the
    // builder applies (PackageBuilder::manifest).
    Ok(files)
}

/// What a folder holds that is not the vendor's payload: left out, with a
/// line on stderr.
const SKIPPED: &[(&str, &str)] = &[
    (".DS_Store", "macOS Finder metadata"),
    ("__MACOSX", "macOS archive metadata"),
    ("Thumbs.db", "Windows thumbnail cache"),
    (".git", "a Git repository"),
];

fn walk(dir: &Path, prefix: &str, out: &mut Vec<Payload>) -> Result<(), Failure> {
    let cannot = |e: io::Error| Failure(format!("cannot read directory {}: {e}", show(dir)));
    let mut entries = fs::read_dir(dir)
        .map_err(cannot)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(cannot)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let source = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            return fail(format!("{}: the file name is not UTF-8", show(&source)));
        };
        if let Some(c) = name
            .chars()
            .find(|c| matches!(c, ':' | '\\') || c.is_control())
        {
            return fail(format!(
                "{}: a package path may not contain {c:?}",
                show(&source)
            ));
        }
        if let Some((_, what)) = SKIPPED.iter().find(|(n, _)| *n == name) {
            eprintln!("sign: skipped {} ({what})", show(&source));
            continue;
        }
        let path = format!("{prefix}{name}");
        // Not followed: a link is refused, never shipped as what it points to.
        let meta = fs::symlink_metadata(&source)
            .map_err(|e| Failure(format!("cannot read {}: {e}", show(&source))))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            return fail(format!(
                "{} is a symbolic link; a package holds regular files only",
                show(&source)
            ));
        } else if kind.is_dir() {
            walk(&source, &format!("{path}/"), out)?;
        } else if kind.is_file() {
            out.push(Payload {
                path,
                mode: mode_of(&meta),
                source,
            });
        } else {
            return fail(format!(
                "{} is a special file (device, FIFO or socket); a package holds regular files only",
                show(&source)
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

// ---- output ----------------------------------------------------------------

/// OUT's directory; refuses an OUT that is a directory or lies inside DIR.
fn check_out(out: &Path, dir: &Path) -> Result<PathBuf, Failure> {
    if out.is_dir() {
        return fail(format!("--out {} is a directory", show(out)));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent_real = fs::canonicalize(&parent).map_err(|e| {
        Failure(format!(
            "--out {}: cannot use its directory: {e}",
            show(out)
        ))
    })?;
    if let Ok(dir_real) = fs::canonicalize(dir) {
        if parent_real.starts_with(&dir_real) {
            return fail(format!(
                "--out {} is inside DIR {}; it would be packaged by the next run",
                show(out),
                show(dir)
            ));
        }
    }
    Ok(parent)
}

/// Reads the written package back: every payload entry must hold what the
/// manifest says (a file changed while it was packaged would not).
fn check_written(path: &Path, manifest: &Manifest, signature_files: usize) -> Result<(), Failure> {
    let broken = |e: &dyn fmt::Display| Failure(format!("the written package is unreadable: {e}"));
    let file = File::open(path).map_err(|e| broken(&e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| broken(&e))?;
    let expected = 1 + signature_files + manifest.files().len();
    if zip.len() != expected {
        return fail(format!(
            "the written package has {} entries, expected {expected}",
            zip.len()
        ));
    }
    for f in manifest.files() {
        let mut entry = zip.by_name(&f.path).map_err(|e| broken(&e))?;
        let mode = entry.unix_mode().map(|m| m & 0o7777);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(|e| broken(&e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(buf.get(..n).unwrap_or_default());
        }
        let digest: [u8; 32] = hasher.finalize().into();
        if size != f.size || digest != f.sha256 || mode != f.mode {
            return fail(format!(
                "{:?} changed while it was being packaged; nothing was written",
                f.path
            ));
        }
    }
    Ok(())
}
