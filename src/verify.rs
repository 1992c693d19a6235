//! Verification: structure, then the manifest's signatures and chains, then content.
//!
//! Nothing from the payload is read until the manifest is authenticated, and
//! the manifest's JSON is parsed only after a trusted signature covers its bytes.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustls_pki_types::UnixTime;
use sha2::{Digest, Sha256};

use crate::archive::{self, Entry, FileSource, Source};
use crate::error::Error;
use crate::limits::Limits;
use crate::manifest::{FileEntry, Manifest};
use crate::outcome::{Problem, Rejection, SignatureReport, SignatureStatus, VerifiedPackage};
use crate::policy::Policy;
use crate::signature::{self, Checked, Unlisted};
use crate::trust::{self, CertInfo, TrustStore};

/// Verifies packages against one trust store at one time.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust: TrustStore,
    policy: Policy,
    time: UnixTime,
    limits: Limits,
    progress: Option<ProgressFn>,
}

/// A progress callback (see [`Verifier::with_progress`]).
#[derive(Clone)]
struct ProgressFn(Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn")
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
            policy: Policy::default(),
            time,
            limits: Limits::default(),
            progress: None,
        }
    }

    /// Calls `progress(hashed, total)` as payload bytes are hashed, `total`
    /// being the payload size the authenticated manifest lists, from the
    /// hashing threads (so it must be cheap and thread-safe; a caller drawing
    /// a progress bar throttles itself). Called by [`Verifier::verify_path`],
    /// [`Verifier::verify_file`] and [`Verifier::verify_bytes`]; not by
    /// [`Verifier::verify_reader`], whose hashing follows the stream.
    #[must_use]
    pub fn with_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressFn(Arc::new(progress)));
        self
    }

    /// Applies a trust policy (see [`Policy`]) on top of the trust store.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
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
        // Entries the manifest cannot list (itself, signatures, directories) get no
        // special or world-writable bits either.
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
        self.check_small(manifest_entry, true)?;
        let manifest_bytes = archive::read_small(src, manifest_entry)?;
        let mut pairs = Vec::with_capacity(layout.signatures.len());
        for (name, sig_index, pem_index) in &layout.signatures {
            let (sig_entry, pem_entry) =
                (entry(&entries, *sig_index)?, entry(&entries, *pem_index)?);
            self.check_small(sig_entry, false)?;
            self.check_small(pem_entry, false)?;
            let sig = archive::read_small(src, sig_entry)?;
            let pem = archive::read_small(src, pem_entry)?;
            pairs.push((name.clone(), sig, pem));
        }
        let auth = self.authenticate(&manifest_bytes, &pairs)?;
        drop((manifest_bytes, pairs));

        // The manifest is authentic: match it against the archive, then hash.
        let mut listing = Listing::new(&auth.manifest);
        let mut work = Vec::with_capacity(layout.payload.len());
        for &i in &layout.payload {
            let e = entry(&entries, i).map_err(|e| auth.reject(e, 0, 0))?;
            let f = listing
                .claim(&e.name, Some(e.size), Some(e.unix_mode))
                .map_err(|err| auth.reject(err, 0, 0))?;
            work.push((i, e, f));
        }
        listing.missing().map_err(|e| auth.reject(e, 0, 0))?;
        let bytes = self
            .hash_all(src, &mut work)
            .map_err(|(e, files, bytes)| auth.reject(e, files, bytes))?;
        Ok(auth.into_verified(bytes))
    }

    /// Rejects a manifest or signature entry over its size limit before reading it.
    pub(crate) fn check_small(&self, e: &Entry, manifest: bool) -> Result<(), Error> {
        let (what, max) = if manifest {
            ("manifest size", self.limits.max_manifest_bytes)
        } else {
            ("signature file size", self.limits.max_signature_file_bytes)
        };
        if e.size > max {
            return Err(limit(e, what, max));
        }
        Ok(())
    }

    /// Hashes payload entries on up to [`Limits::threads`] threads, largest
    /// first, each reading the file at its own offsets; the first failure stops
    /// every worker. Returns the payload bytes, or the failure of the earliest
    /// entry (in archive order) among those that failed before the stop, with the
    /// files and bytes verified by then.
    fn hash_all<S: Source + ?Sized>(
        &self,
        src: &S,
        work: &mut [(usize, &Entry, &FileEntry)],
    ) -> Result<u64, (Error, u64, u64)> {
        work.sort_by_key(|(i, _, f)| (std::cmp::Reverse(f.size), *i));
        // Automatic: all cores, but one below a few MiB, where starting threads
        // costs more than it saves.
        let total: u64 = work.iter().map(|(_, _, f)| f.size).sum();
        let threads = match self.limits.threads {
            0 if total < 8 << 20 => 1,
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
        .min(work.len())
        .max(1);
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let done = AtomicU64::new(0);
        let done_bytes = AtomicU64::new(0);
        let hashed = AtomicU64::new(0);
        let progress = self
            .progress
            .as_ref()
            .map(|p| (&hashed, &*p.0 as &(dyn Fn(u64, u64) + Send + Sync), total));
        let failures: Mutex<Vec<(usize, Error)>> = Mutex::new(Vec::new());
        let worker = || loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let Some(&(index, e, f)) = work.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            match hash_entry(src, e, f, &stop, progress) {
                Ok(true) => {
                    done.fetch_add(1, Ordering::Relaxed);
                    done_bytes.fetch_add(f.size, Ordering::Relaxed);
                }
                Ok(false) => break,
                Err(err) => {
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut list) = failures.lock() {
                        list.push((index, err));
                    }
                    break;
                }
            }
        };
        if threads == 1 {
            worker();
        } else {
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(worker);
                }
            });
        }
        let first = failures
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .min_by_key(|(index, _)| *index);
        let (files, bytes) = (done.into_inner(), done_bytes.into_inner());
        match first {
            Some((_, err)) => Err((err, files, bytes)),
            None => Ok(bytes),
        }
    }

    /// Checks every signature over `manifest` and decides: at least one trusted,
    /// none invalid. On success the manifest is parsed (only now).
    pub(crate) fn authenticate(
        &self,
        manifest: &[u8],
        pairs: &[(String, Vec<u8>, Vec<u8>)],
    ) -> Result<Authenticated, Rejection> {
        // One budget for the package's certificate work (crate::work).
        let work = crate::work::Work::new();
        let outcomes: Vec<(SignatureReport, Option<Error>)> = pairs
            .iter()
            .map(|(name, sig, pem)| self.check_signature(&work, name, manifest, sig, pem))
            .collect();
        let signatures: Vec<SignatureReport> = outcomes.iter().map(|(r, _)| r.clone()).collect();
        let reject = |error: Error| Rejection::new(error, signatures.clone(), None, 0, 0);
        let mut invalid = None;
        let mut best_untrusted: Option<Error> = None;
        let mut trusted = false;
        // Distinct trusted signer keys, for the policy's threshold.
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for (report, _) in &outcomes {
            if report.status == SignatureStatus::Trusted {
                let key = report
                    .signer
                    .as_ref()
                    .map_or(report.name.as_str(), |s| s.public_key_sha256.as_str());
                if !keys.iter().any(|(k, _)| *k == key) {
                    keys.push((key, &report.name));
                }
            }
        }
        let threshold = (keys.len() < self.policy.required_signers()).then(|| {
            let mut detail: Vec<String> = keys
                .iter()
                .map(|(_, name)| format!("signature \"{name}\" trusted"))
                .collect();
            for (r, _) in &outcomes {
                match (&r.status, &r.problem) {
                    (SignatureStatus::Trusted, _) if !keys.iter().any(|(_, n)| *n == r.name) => {
                        detail.push(format!(
                            "signature \"{}\" trusted, but by the same key as another",
                            r.name
                        ))
                    }
                    (_, Some(p)) => detail.push(format!(
                        "signature \"{}\" does not count: [{}] {}",
                        r.name, p.kind, p.message
                    )),
                    _ => {}
                }
            }
            Error::ThresholdNotMet {
                required: self.policy.required_signers(),
                trusted: keys.len(),
                detail: if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", detail.join("; "))
                },
            }
        });
        let mut unsupported = Vec::new();
        for (report, error) in outcomes {
            match (report.status, error) {
                (SignatureStatus::Trusted, _) => trusted = true,
                (SignatureStatus::Invalid, Some(e)) => {
                    // A leaked signing key outranks every other fatal problem.
                    let leak = |e: &Error| matches!(e, Error::PrivateKeyInPackage { .. });
                    if invalid.as_ref().is_none_or(|i| leak(&e) && !leak(i)) {
                        invalid = Some(e);
                    }
                }
                // Never counts, never fatal; only when nothing else is left does it say why.
                (SignatureStatus::Unsupported, Some(e)) => {
                    if let Error::SignatureUnsupported { algorithm, .. } = e {
                        unsupported.push((report.name, algorithm));
                    }
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
            return Err(reject(e));
        }
        if !trusted {
            return Err(reject(match best_untrusted {
                Some(e) => e,
                None if !unsupported.is_empty() => Error::NoSupportedSignature {
                    signatures: unsupported,
                },
                None => Error::SignatureMissing { signature: None },
            }));
        }
        if let Some(e) = threshold {
            return Err(reject(e));
        }
        let manifest = Manifest::parse(manifest).map_err(reject)?;
        Ok(Authenticated {
            manifest,
            signatures,
        })
    }

    /// Checks one signature pair; returns its report and, unless trusted, why not.
    fn check_signature(
        &self,
        work: &crate::work::Work,
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
            // A signing key shipped with the package: refuse before anything
            // else is read from it, and never show its material.
            // (A .sig is random-looking bytes: only a PEM block counts there.)
            let found = [
                (".pem", signature::private_key_in(pem)),
                (".sig", signature::pem_private_key(sig)),
            ];
            for (entry, found) in found {
                if let Some(found) = found {
                    return Err(Error::PrivateKeyInPackage {
                        signature: name.to_owned(),
                        entry: format!("signatures/{name}{entry}"),
                        found: found.to_string(),
                    });
                }
            }
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
            for cert in &certs {
                let too_big = |what, limit: usize, actual: usize| Error::LimitExceeded {
                    entry: Some(format!("signatures/{name}.pem")),
                    what,
                    limit: limit as u64,
                    actual: actual as u64,
                };
                if cert.len() > self.limits.max_certificate_bytes {
                    return Err(too_big(
                        "bytes in one certificate",
                        self.limits.max_certificate_bytes,
                        cert.len(),
                    ));
                }
                let extensions = work.cert(cert).map_or(0, |c| c.extensions);
                if extensions > self.limits.max_certificate_extensions {
                    return Err(too_big(
                        "extensions in one certificate",
                        self.limits.max_certificate_extensions,
                        extensions,
                    ));
                }
            }
            let (signer, bundled) = certs
                .split_first()
                .ok_or_else(|| invalid("no certificate".into()))?;
            report.signer = CertInfo::from_der(signer);
            let ee = webpki::EndEntityCert::try_from(signer)
                .map_err(|e| invalid(format!("the signer certificate cannot be parsed ({e})")))?;
            let alg = match signature::verify(&ee, signer, manifest, sig) {
                Checked::Verified(alg) => alg,
                Checked::Invalid(problem) => return Err(invalid(problem.into())),
                // Not checked further: it cannot count, so its chain is not built.
                Checked::Unsupported(how) => {
                    report.status = SignatureStatus::Unsupported;
                    let (algorithm, problem) = match how {
                        Unlisted::Key(k) => (
                            k,
                            "the signer's key is of a type format 1 does not list, so the signature cannot be checked",
                        ),
                        Unlisted::Verified(a) => (
                            a,
                            "the bytes verify with this algorithm over the signer's key, but format 1 does not list it",
                        ),
                    };
                    return Err(Error::SignatureUnsupported {
                        signature: name.to_owned(),
                        algorithm: algorithm.into(),
                        problem: problem.into(),
                    });
                }
            };
            report.algorithm = Some(alg.name());
            report.status = SignatureStatus::Untrusted;
            let (offered, withheld) = if self.policy.uses_package_intermediates() {
                (bundled, 0)
            } else {
                (&[][..], bundled.len())
            };
            let options = self
                .policy
                .distrusted()
                .iter()
                .fold(crate::ChainOptions::code_signing(), |o, f| o.distrust(f.0));
            let options = self
                .policy
                .allowed_issuers()
                .iter()
                .fold(options, |o, f| o.allow_issuer(f.0))
                .usage(self.policy.required_usage());
            let chain = self
                .trust
                .validate_with(work, name, signer, offered, withheld, self.time, &options)?;
            self.policy.judge(name, alg, &chain)?;
            report.status = SignatureStatus::Trusted;
            report.chain = chain.subjects().to_vec();
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

/// What authentication established: the parsed manifest and every signature's outcome.
pub(crate) struct Authenticated {
    pub(crate) manifest: Manifest,
    signatures: Vec<SignatureReport>,
}

impl Authenticated {
    /// A rejection after authentication: the package identity is known.
    pub(crate) fn reject(&self, error: Error, files: u64, bytes: u64) -> Rejection {
        Rejection::new(
            error,
            self.signatures.clone(),
            Some(self.manifest.package().clone()),
            files,
            bytes,
        )
    }

    pub(crate) fn into_verified(self, bytes: u64) -> VerifiedPackage {
        VerifiedPackage::new(self.manifest, self.signatures, bytes)
    }
}

/// Matches payload entries against the manifest's list, each path once.
pub(crate) struct Listing<'m> {
    files: &'m [FileEntry],
    index: HashMap<&'m str, usize>,
    present: Vec<bool>,
}

impl<'m> Listing<'m> {
    pub(crate) fn new(manifest: &'m Manifest) -> Self {
        let files = manifest.files();
        Self {
            files,
            index: files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.as_str(), i))
                .collect(),
            present: vec![false; files.len()],
        }
    }

    /// The manifest's entry for a payload entry: listed (`unlisted_entry`), of the
    /// listed size where the archive records one (`size_mismatch`) and of the listed
    /// mode where the mode is known (`mode_mismatch`).
    pub(crate) fn claim(
        &mut self,
        name: &str,
        size: Option<u64>,
        unix_mode: Option<Option<u32>>,
    ) -> Result<&'m FileEntry, Error> {
        let files = self.files;
        let Some((j, f)) = self
            .index
            .get(name)
            .and_then(|&j| files.get(j).map(|f| (j, f)))
        else {
            return Err(Error::UnlistedEntry { path: name.into() });
        };
        if let Some(p) = self.present.get_mut(j) {
            *p = true;
        }
        if let Some(size) = size.filter(|s| *s != f.size) {
            return Err(Error::SizeMismatch {
                path: name.into(),
                expected: f.size,
                actual: size,
            });
        }
        if let Some(mode) = unix_mode {
            check_mode_of(name, mode, f.mode)?;
        }
        Ok(f)
    }

    /// The first listed file not claimed (`missing_entry`).
    pub(crate) fn missing(&self) -> Result<(), Error> {
        match self.files.iter().zip(&self.present).find(|(_, p)| !**p) {
            Some((f, _)) => Err(Error::MissingEntry {
                path: f.path.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// Bytes hashed so far (shared by the workers), the callback, and the total.
type Progress<'a> = (&'a AtomicU64, &'a (dyn Fn(u64, u64) + Send + Sync), u64);

/// Hashes one payload entry against its listing: size, SHA-256, then CRC.
/// `Ok(false)` if `stop` was raised meanwhile.
fn hash_entry<S: Source + ?Sized>(
    src: &S,
    e: &Entry,
    f: &FileEntry,
    stop: &AtomicBool,
    progress: Option<Progress<'_>>,
) -> Result<bool, Error> {
    let mut hasher = Sha256::new();
    let crc = archive::read_entry(src, e, Some(f.size), |chunk| {
        hasher.update(chunk);
        if let Some((hashed, report, total)) = progress {
            let len = chunk.len() as u64;
            report(hashed.fetch_add(len, Ordering::Relaxed) + len, total);
        }
        !stop.load(Ordering::Relaxed)
    })?;
    let Some(crc) = crc else {
        return Ok(false);
    };
    let actual: [u8; 32] = hasher.finalize().into();
    if actual != f.sha256 {
        return Err(Error::DigestMismatch {
            path: e.name.clone(),
            expected: crate::hex(&f.sha256),
            actual: crate::hex(&actual),
        });
    }
    // Content as signed but a wrong CRC: installers that check CRCs would refuse it.
    archive::check_crc(e, crc)?;
    Ok(true)
}

/// How specific a chain failure is: the package's error is the most specific among its signatures.
fn rank(e: &Error) -> u8 {
    match e {
        Error::CertificateDistrusted { .. } => 7,
        Error::SignerNotAllowed { .. } => 6,
        Error::CertificateRevoked { .. } => 5,
        Error::CertificateExpired { .. } => 4,
        Error::CertificateNotYetValid { .. } => 3,
        Error::WrongKeyUsage { .. } => 2,
        _ => 1,
    }
}

fn layout(entries: &[Entry], limits: &Limits) -> Result<Layout, Error> {
    let mut builder = LayoutBuilder::default();
    for (i, e) in entries.iter().enumerate() {
        if let Err(err) = builder.push(i, &e.name, e.is_dir, limits) {
            // The manifest is not first: say whether it is elsewhere.
            return Err(match err {
                Error::ManifestMissing if entries.iter().any(|e| e.name == "manifest.json") => {
                    misplaced_manifest()
                }
                other => other,
            });
        }
    }
    builder.finish()
}

fn misplaced_manifest() -> Error {
    Error::MisplacedEntry {
        entry: "manifest.json".into(),
        problem: "the manifest must be the first entry",
    }
}

/// What an entry is, by its name and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Manifest,
    /// Half of a signature pair.
    Signature,
    Directory,
    Payload,
}

/// Classifies entries one at a time, in archive order, by format 1's layout rules.
#[derive(Default)]
pub(crate) struct LayoutBuilder {
    count: usize,
    /// Signature name, `.sig` entry, `.pem` entry; in order of first appearance.
    pairs: Vec<(String, Option<usize>, Option<usize>)>,
    payload: Vec<usize>,
}

impl LayoutBuilder {
    /// Classifies entry `index`. The first must be `manifest.json` (else
    /// `manifest_missing`; the caller may know it is elsewhere), signatures come
    /// before payload, and `signatures/` holds nothing but pairs.
    pub(crate) fn push(
        &mut self,
        index: usize,
        name: &str,
        is_dir: bool,
        limits: &Limits,
    ) -> Result<Role, Error> {
        self.count += 1;
        if self.count == 1 {
            return if name == "manifest.json" {
                Ok(Role::Manifest)
            } else {
                Err(Error::ManifestMissing)
            };
        }
        if is_dir {
            if name.starts_with("signatures/") && name != "signatures/" {
                return Err(Error::MisplacedEntry {
                    entry: name.into(),
                    problem: "signatures/ may hold no subdirectory",
                });
            }
            return Ok(Role::Directory);
        }
        let Some(rest) = name.strip_prefix("signatures/") else {
            self.payload.push(index);
            return Ok(Role::Payload);
        };
        if !self.payload.is_empty() {
            return Err(Error::MisplacedEntry {
                entry: name.into(),
                problem: "signatures must come before every payload file",
            });
        }
        let parsed = rest
            .strip_suffix(".sig")
            .map(|n| (n, true))
            .or_else(|| rest.strip_suffix(".pem").map(|n| (n, false)))
            .filter(|(n, _)| valid_signature_name(n));
        let Some((signature, is_sig)) = parsed else {
            return Err(Error::MisplacedEntry {
                entry: name.into(),
                problem: "only signatures/NAME.sig and signatures/NAME.pem (NAME: [A-Za-z0-9._-]{1,64}) may be in signatures/",
            });
        };
        let slot = match self.pairs.iter().position(|(n, _, _)| n == signature) {
            Some(p) => p,
            None => {
                if self.pairs.len() >= limits.max_signatures {
                    return Err(Error::LimitExceeded {
                        entry: Some(name.into()),
                        what: "number of signatures",
                        limit: limits.max_signatures as u64,
                        actual: self.pairs.len() as u64 + 1,
                    });
                }
                self.pairs.push((signature.to_owned(), None, None));
                self.pairs.len() - 1
            }
        };
        if let Some(pair) = self.pairs.get_mut(slot) {
            if is_sig {
                pair.1 = Some(index);
            } else {
                pair.2 = Some(index);
            }
        }
        Ok(Role::Signature)
    }

    /// The complete signature pairs: every pair has both halves, and there is one.
    pub(crate) fn signatures(&self) -> Result<Vec<(String, usize, usize)>, Error> {
        if self.count == 0 {
            return Err(Error::ManifestMissing);
        }
        let mut signatures = Vec::with_capacity(self.pairs.len());
        for (name, sig, pem) in &self.pairs {
            match (sig, pem) {
                (Some(s), Some(p)) => signatures.push((name.clone(), *s, *p)),
                _ => {
                    return Err(Error::SignatureMissing {
                        signature: Some(name.clone()),
                    })
                }
            }
        }
        if signatures.is_empty() {
            return Err(Error::SignatureMissing { signature: None });
        }
        Ok(signatures)
    }

    fn finish(self) -> Result<Layout, Error> {
        Ok(Layout {
            manifest: 0,
            signatures: self.signatures()?,
            payload: self.payload,
        })
    }
}

fn valid_signature_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn check_mode(e: &Entry, listed: Option<u32>) -> Result<(), Error> {
    check_mode_of(&e.name, e.unix_mode, listed)
}

/// An entry's unix mode (if it has one) against the manifest's (if it gives one).
pub(crate) fn check_mode_of(
    name: &str,
    actual: Option<u32>,
    listed: Option<u32>,
) -> Result<(), Error> {
    let ok = match (listed, actual) {
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
            path: name.into(),
            expected: listed,
            actual,
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use crate::{Limits, PackageBuilder, SigningKey, TrustStore, Verifier};

    fn pki(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/pki")
            .join(name)
    }

    #[test]
    fn progress_counts_every_payload_byte_on_every_thread() {
        let key =
            SigningKey::from_pkcs8_pem(&std::fs::read(pki("signer-p256.key")).unwrap()).unwrap();
        let chain = std::fs::read(pki("signer-p256-chain.pem")).unwrap();
        let mut b = PackageBuilder::new("p", "1").signer("s", key, chain);
        let mut total = 0u64;
        for i in 0..8u8 {
            let len = 100_000 + usize::from(i) * 7_000;
            total += len as u64;
            b = b.file(&format!("f{i}"), vec![i; len], 0o644);
        }
        let bytes = b
            .write(std::io::Cursor::new(Vec::new()))
            .unwrap()
            .into_inner();
        let mut trust = TrustStore::new();
        trust.load_anchors(pki("root-g2.pem")).unwrap();
        let at = crate::parse_rfc3339("2027-06-01T00:00:00Z").unwrap();
        for threads in [1, 4] {
            let seen = Arc::new(AtomicU64::new(0));
            let calls = Arc::new(AtomicU64::new(0));
            let (s, c) = (Arc::clone(&seen), Arc::clone(&calls));
            let v = Verifier::new(trust.clone(), at)
                .with_limits(Limits {
                    threads,
                    ..Limits::default()
                })
                .with_progress(move |done, all| {
                    assert_eq!(all, total);
                    assert!(done <= all);
                    s.fetch_max(done, Ordering::Relaxed);
                    c.fetch_add(1, Ordering::Relaxed);
                });
            v.verify_bytes(&bytes).unwrap();
            assert_eq!(seen.load(Ordering::Relaxed), total, "{threads} threads");
            assert!(calls.load(Ordering::Relaxed) >= 8, "{threads} threads");
        }
    }
}
