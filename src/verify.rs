//! Verification: structure, then the manifest's signatures and chains, then content.
//!
//! Nothing from the payload is read until the manifest is authenticated, and
//! the manifest's JSON is parsed only after a trusted signature covers its bytes.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use rustls_pki_types::UnixTime;
use sha2::{Digest, Sha256};

use crate::archive::{self, Entry, FileSource, Source};
use crate::error::Error;
use crate::limits::Limits;
use crate::manifest::{Manifest, PackageInfo};
use crate::report::{Problem, SignatureReport, SignatureStatus};
use crate::signature;
use crate::trust::{self, CertInfo, TrustStore};

/// Verifies packages against one trust store at one time.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust: TrustStore,
    time: UnixTime,
    limits: Limits,
}

/// A package that passed every check. The only way to reach its manifest.
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    manifest: Manifest,
    signatures: Vec<SignatureReport>,
    bytes: u64,
}

impl VerifiedPackage {
    /// The authenticated manifest: package identity, files and metadata.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every signature's outcome (at least one is trusted).
    pub fn signatures(&self) -> &[SignatureReport] {
        &self.signatures
    }

    /// Total payload bytes hashed.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Why a package was refused, with what was learned before the refusal.
#[derive(Debug)]
pub struct Rejection(Box<RejectionInner>);

#[derive(Debug)]
struct RejectionInner {
    error: Error,
    signatures: Vec<SignatureReport>,
    package: Option<PackageInfo>,
    files: u64,
    bytes: u64,
}

impl Rejection {
    /// The first failure.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The first failure, by value.
    pub fn into_error(self) -> Error {
        self.0.error
    }

    /// The failure's stable kind string (see [`Error::kind`]).
    pub fn kind(&self) -> &'static str {
        self.0.error.kind()
    }

    /// Each signature's outcome, if the signatures were reached.
    pub fn signatures(&self) -> &[SignatureReport] {
        &self.0.signatures
    }

    /// The package's identity, known only if a trusted signature covered the
    /// manifest before the failure.
    pub fn package(&self) -> Option<&PackageInfo> {
        self.0.package.as_ref()
    }

    /// Payload files and bytes that verified before the failure.
    pub fn progress(&self) -> (u64, u64) {
        (self.0.files, self.0.bytes)
    }
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Self {
        Self(Box::new(RejectionInner {
            error,
            signatures: Vec::new(),
            package: None,
            files: 0,
            bytes: 0,
        }))
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.error.fmt(f)
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0.error)
    }
}

/// Where format 1 puts things in the archive.
struct Layout {
    manifest: usize,
    /// Signature name, `.sig` entry, `.pem` entry; in order of first appearance.
    signatures: Vec<(String, usize, usize)>,
    payload: Vec<usize>,
}

impl Verifier {
    /// A verifier that trusts `trust` and judges certificate validity at `time`
    /// (pass `UnixTime::now()` for the present; the library never reads the clock itself).
    pub fn new(trust: TrustStore, time: UnixTime) -> Self {
        Self {
            trust,
            time,
            limits: Limits::default(),
        }
    }

    /// Replaces the resource limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Verifies the package at `path`. The file is only read.
    ///
    /// # Errors
    /// A [`Rejection`] whose [`Error`] is the first failure: archive structure,
    /// paths, layout, signatures and chains, then content. An unreadable file
    /// is [`Error::Io`].
    pub fn verify_path(&self, path: impl AsRef<Path>) -> Result<VerifiedPackage, Rejection> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        self.verify_file(&file)
    }

    /// Verifies an open package file (read with positioned reads; its cursor is not used).
    ///
    /// # Errors
    /// As [`Verifier::verify_path`].
    pub fn verify_file(&self, file: &File) -> Result<VerifiedPackage, Rejection> {
        let len = file.metadata().map_err(|e| Error::io("package", e))?.len();
        self.run(&FileSource { file, len })
    }

    /// Verifies a package held in memory.
    ///
    /// # Errors
    /// As [`Verifier::verify_path`].
    pub fn verify_bytes(&self, bytes: &[u8]) -> Result<VerifiedPackage, Rejection> {
        self.run(bytes)
    }

    fn run<S: Source + ?Sized>(&self, src: &S) -> Result<VerifiedPackage, Rejection> {
        let entries = archive::index(src, &self.limits)?;
        let layout = layout(&entries, &self.limits)?;
        // Entries the manifest cannot list (itself, signatures, directories) may not
        // carry setuid, setgid or sticky bits either.
        let mut is_payload = vec![false; entries.len()];
        for &i in &layout.payload {
            if let Some(p) = is_payload.get_mut(i) {
                *p = true;
            }
        }
        for (e, _) in entries.iter().zip(&is_payload).filter(|(_, p)| !**p) {
            check_mode(e, None)?;
        }

        // Authenticate: the manifest's bytes, then every signature over them.
        let manifest_entry = entry(&entries, layout.manifest)?;
        if manifest_entry.size > self.limits.max_manifest_bytes {
            return Err(limit(
                manifest_entry,
                "manifest size",
                self.limits.max_manifest_bytes,
            )
            .into());
        }
        let manifest_bytes = archive::read_small(src, manifest_entry)?;
        let mut outcomes = Vec::with_capacity(layout.signatures.len());
        for (name, sig_index, pem_index) in &layout.signatures {
            let (sig_entry, pem_entry) =
                (entry(&entries, *sig_index)?, entry(&entries, *pem_index)?);
            for e in [sig_entry, pem_entry] {
                if e.size > self.limits.max_signature_file_bytes {
                    return Err(limit(
                        e,
                        "signature file size",
                        self.limits.max_signature_file_bytes,
                    )
                    .into());
                }
            }
            let sig = archive::read_small(src, sig_entry)?;
            let pem = archive::read_small(src, pem_entry)?;
            outcomes.push(self.check_signature(name, &manifest_bytes, &sig, &pem));
        }
        let signatures: Vec<SignatureReport> = outcomes.iter().map(|(r, _)| r.clone()).collect();
        let reject = |error: Error, package: Option<PackageInfo>, files: u64, bytes: u64| {
            Rejection(Box::new(RejectionInner {
                error,
                signatures: signatures.clone(),
                package,
                files,
                bytes,
            }))
        };
        let mut invalid = None;
        let mut best_untrusted: Option<Error> = None;
        let mut trusted = false;
        for (report, error) in outcomes {
            match (report.status, error) {
                (SignatureStatus::Trusted, _) => trusted = true,
                (SignatureStatus::Invalid, Some(e)) => {
                    invalid.get_or_insert(e);
                }
                (_, Some(e)) => {
                    if best_untrusted.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
                        best_untrusted = Some(e);
                    }
                }
                (_, None) => {}
            }
        }
        if let Some(e) = invalid {
            return Err(reject(e, None, 0, 0));
        }
        if !trusted {
            let e = best_untrusted.unwrap_or(Error::SignatureMissing { signature: None });
            return Err(reject(e, None, 0, 0));
        }

        // The manifest is authentic: parse it, and match it against the archive.
        let manifest = Manifest::parse(&manifest_bytes).map_err(|e| reject(e, None, 0, 0))?;
        let package = Some(manifest.package().clone());
        let listed: HashMap<&str, usize> = manifest
            .files()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.as_str(), i))
            .collect();
        let mut present = vec![false; manifest.files().len()];
        let mut work = Vec::with_capacity(layout.payload.len());
        for &i in &layout.payload {
            let e = entry(&entries, i).map_err(|e| reject(e, package.clone(), 0, 0))?;
            let Some((&j, f)) = listed
                .get(e.name.as_str())
                .and_then(|j| manifest.files().get(*j).map(|f| (j, f)))
            else {
                return Err(reject(
                    Error::UnlistedEntry {
                        path: e.name.clone(),
                    },
                    package,
                    0,
                    0,
                ));
            };
            if let Some(p) = present.get_mut(j) {
                *p = true;
            }
            if e.size != f.size {
                return Err(reject(
                    Error::SizeMismatch {
                        path: e.name.clone(),
                        expected: f.size,
                        actual: e.size,
                    },
                    package,
                    0,
                    0,
                ));
            }
            check_mode(e, f.mode).map_err(|err| reject(err, package.clone(), 0, 0))?;
            work.push((e, f));
        }
        if let Some(f) = manifest
            .files()
            .iter()
            .zip(&present)
            .find(|(_, p)| !**p)
            .map(|(f, _)| f)
        {
            return Err(reject(
                Error::MissingEntry {
                    path: f.path.clone(),
                },
                package,
                0,
                0,
            ));
        }

        // Content: hash each payload entry, reading at most its signed size plus one byte.
        let (mut files, mut bytes) = (0u64, 0u64);
        for (e, f) in work {
            let mut hasher = Sha256::new();
            let crc = archive::read_entry(src, e, Some(f.size), |chunk| hasher.update(chunk))
                .map_err(|err| reject(err, package.clone(), files, bytes))?;
            let actual: [u8; 32] = hasher.finalize().into();
            if actual != f.sha256 {
                return Err(reject(
                    Error::DigestMismatch {
                        path: e.name.clone(),
                        expected: crate::hex(&f.sha256),
                        actual: crate::hex(&actual),
                    },
                    package,
                    files,
                    bytes,
                ));
            }
            // Content as signed but a wrong CRC: installers that check CRCs would refuse it.
            archive::check_crc(e, crc).map_err(|err| reject(err, package.clone(), files, bytes))?;
            files += 1;
            bytes += f.size;
        }
        Ok(VerifiedPackage {
            manifest,
            signatures,
            bytes,
        })
    }

    /// Checks one signature pair; returns its report and, unless trusted, why not.
    fn check_signature(
        &self,
        name: &str,
        manifest: &[u8],
        sig: &[u8],
        pem: &[u8],
    ) -> (SignatureReport, Option<Error>) {
        let mut report = SignatureReport {
            name: name.to_owned(),
            status: SignatureStatus::Invalid,
            algorithm: None,
            signer: None,
            chain: Vec::new(),
            problem: None,
        };
        let invalid = |problem: String| Error::SignatureInvalid {
            signature: name.to_owned(),
            problem,
        };
        let result = (|| {
            let certs = trust::parse_certs(pem, &format!("signatures/{name}.pem"))
                .map_err(|e| invalid(e.to_string()))?;
            if certs.len() > self.limits.max_bundled_certificates {
                return Err(Error::LimitExceeded {
                    entry: Some(format!("signatures/{name}.pem")),
                    what: "certificates in one chain file",
                    limit: self.limits.max_bundled_certificates as u64,
                    actual: certs.len() as u64,
                });
            }
            let (signer, bundled) = certs
                .split_first()
                .ok_or_else(|| invalid("no certificate".into()))?;
            report.signer = CertInfo::from_der(signer);
            let ee = webpki::EndEntityCert::try_from(signer)
                .map_err(|e| invalid(format!("the signer certificate cannot be parsed ({e})")))?;
            let alg = signature::verify(&ee, manifest, sig).map_err(|p| invalid(p.into()))?;
            report.algorithm = Some(alg.name());
            report.status = SignatureStatus::Untrusted;
            let chain = self.trust.validate(name, signer, bundled, self.time)?;
            report.status = SignatureStatus::Trusted;
            report.chain = chain.subjects;
            Ok(())
        })();
        match result {
            Ok(()) => (report, None),
            Err(e) => {
                report.problem = Some(Problem::from(&e));
                (report, Some(e))
            }
        }
    }
}

/// How specific a chain failure is: the package's error is the most specific among its signatures.
fn rank(e: &Error) -> u8 {
    match e {
        Error::CertificateRevoked { .. } => 5,
        Error::CertificateExpired { .. } => 4,
        Error::CertificateNotYetValid { .. } => 3,
        Error::WrongKeyUsage { .. } => 2,
        _ => 1,
    }
}

fn layout(entries: &[Entry], limits: &Limits) -> Result<Layout, Error> {
    let first = entries.first().filter(|e| e.name == "manifest.json");
    if first.is_none() {
        return Err(match entries.iter().any(|e| e.name == "manifest.json") {
            true => Error::MisplacedEntry {
                entry: "manifest.json".into(),
                problem: "the manifest must be the first entry",
            },
            false => Error::ManifestMissing,
        });
    }
    let mut pairs: Vec<(String, Option<usize>, Option<usize>)> = Vec::new();
    let mut payload = Vec::new();
    for (i, e) in entries.iter().enumerate().skip(1) {
        if e.is_dir {
            if e.name.starts_with("signatures/") && e.name != "signatures/" {
                return Err(Error::MisplacedEntry {
                    entry: e.name.clone(),
                    problem: "signatures/ may hold no subdirectory",
                });
            }
            continue;
        }
        let Some(rest) = e.name.strip_prefix("signatures/") else {
            payload.push(i);
            continue;
        };
        if !payload.is_empty() {
            return Err(Error::MisplacedEntry {
                entry: e.name.clone(),
                problem: "signatures must come before every payload file",
            });
        }
        let parsed = rest
            .strip_suffix(".sig")
            .map(|n| (n, true))
            .or_else(|| rest.strip_suffix(".pem").map(|n| (n, false)))
            .filter(|(n, _)| valid_signature_name(n));
        let Some((name, is_sig)) = parsed else {
            return Err(Error::MisplacedEntry {
                entry: e.name.clone(),
                problem: "only signatures/NAME.sig and signatures/NAME.pem (NAME: [A-Za-z0-9._-]{1,64}) may be in signatures/",
            });
        };
        let slot = match pairs.iter().position(|(n, _, _)| n == name) {
            Some(p) => p,
            None => {
                if pairs.len() >= limits.max_signatures {
                    return Err(Error::LimitExceeded {
                        entry: Some(e.name.clone()),
                        what: "number of signatures",
                        limit: limits.max_signatures as u64,
                        actual: pairs.len() as u64 + 1,
                    });
                }
                pairs.push((name.to_owned(), None, None));
                pairs.len() - 1
            }
        };
        if let Some(pair) = pairs.get_mut(slot) {
            if is_sig {
                pair.1 = Some(i);
            } else {
                pair.2 = Some(i);
            }
        }
    }
    let mut signatures = Vec::with_capacity(pairs.len());
    for (name, sig, pem) in pairs {
        match (sig, pem) {
            (Some(s), Some(p)) => signatures.push((name, s, p)),
            _ => {
                return Err(Error::SignatureMissing {
                    signature: Some(name),
                })
            }
        }
    }
    if signatures.is_empty() {
        return Err(Error::SignatureMissing { signature: None });
    }
    Ok(Layout {
        manifest: 0,
        signatures,
        payload,
    })
}

fn valid_signature_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn check_mode(e: &Entry, listed: Option<u32>) -> Result<(), Error> {
    let ok = match (listed, e.unix_mode) {
        (Some(m), Some(a)) => m == a,
        (Some(_), None) => false,
        // Unless the signed manifest says so: no setuid, setgid or sticky bit, and
        // nothing world-writable (a root-run script anyone could replace).
        (None, Some(a)) => a & 0o7002 == 0,
        (None, None) => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::ModeMismatch {
            path: e.name.clone(),
            expected: listed,
            actual: e.unix_mode,
        })
    }
}

fn entry(entries: &[Entry], i: usize) -> Result<&Entry, Error> {
    entries.get(i).ok_or(Error::ManifestMissing)
}

fn limit(e: &Entry, what: &'static str, limit: u64) -> Error {
    Error::LimitExceeded {
        entry: Some(e.name.clone()),
        what,
        limit,
        actual: e.size,
    }
}
