//! Verification: one pipeline of steps (`pipeline`) over the archive's
//! entries, driven by the linear reading (`linear`: a stream, or a file read
//! front to back) or, for a file, by the seekable fast path (`seekable`),
//! which hashes on many threads and lets the linear reading name the reason
//! whenever it rejects.
//!
//! Nothing from the payload is read until the manifest is authenticated, and
//! the manifest's JSON is parsed only after a trusted signature covers its bytes.

mod authenticate;
mod layout;
mod linear;
mod listing;
mod pipeline;
mod seekable;
mod verdict;
mod warnings;

pub(crate) use layout::LayoutBuilder;
pub(crate) use listing::check_mode;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::UnixTime;

use crate::error::Error;
use crate::limits::Limits;
use crate::outcome::{Rejection, VerifiedPackage};
use crate::policy::Policy;
use crate::preflight::{self, Inventory, Scan};
use crate::sink::{Sink, Tee};
use crate::trust::TrustStore;
use crate::zip::index::FileSource;
use crate::zip::linear::Plain;

/// Verifies packages against one trust store at one time.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust: TrustStore,
    policy: Policy,
    time: UnixTime,
    limits: Limits,
    progress: Option<ProgressFn>,
    /// Days ahead that an expiry or an anchor window's end is warned about.
    warn_days: u32,
    /// Whether any warning rejects the package.
    deny_warnings: bool,
    /// The operator's system, when preflight is asked for.
    inventory: Option<Arc<Inventory>>,
}

/// A progress callback (see [`Verifier::with_progress`]).
#[derive(Clone)]
struct ProgressFn(Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn")
    }
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
            warn_days: 30,
            deny_warnings: false,
            inventory: None,
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

    /// Warns about a certificate on the path, or the trust window of the
    /// anchor it ends at, that ends within `days` of the verification time
    /// (default 30).
    #[must_use]
    pub fn warn_within_days(mut self, days: u32) -> Self {
        self.warn_days = days;
        self
    }

    /// Makes any [`Warning`](crate::Warning) reject the package
    /// (`warnings_denied`), before any payload is read or written.
    #[must_use]
    pub fn deny_warnings(mut self, deny: bool) -> Self {
        self.deny_warnings = deny;
        self
    }

    /// Also runs operator preflight against `inventory` (what is installed
    /// on the target system, and how it is set up), in the same reading as
    /// the verification: the payload's text is scanned as it is hashed, and
    /// once the package verified, [`VerifiedPackage::preflight`] says what
    /// it will do to that system (`docs/PREFLIGHT.md`).
    pub fn with_preflight(mut self, inventory: Inventory) -> Self {
        self.inventory = Some(Arc::new(inventory));
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

    pub(crate) fn progress(&self) -> Option<&(dyn Fn(u64, u64) + Send + Sync)> {
        self.progress.as_ref().map(|p| &*p.0)
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
    /// A [`Rejection`] whose [`Error`] is the first failure (see
    /// `docs/FORMAT.md`, "When a package is verified"): a defect of the
    /// archive's structure, else the earliest problem in the archive's order
    /// (layout, signatures and chains, listing, content), then modes and
    /// missing files. An unreadable file is [`Error::Io`].
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
        self.read(None, |sink| {
            seekable::verify(self, &FileSource { file, len }, sink)
        })
    }

    /// Verifies a package held in memory.
    ///
    /// # Errors
    /// As [`Verifier::verify_path`].
    pub fn verify_bytes(&self, bytes: &[u8]) -> Result<VerifiedPackage, Rejection> {
        self.read(None, |sink| seekable::verify(self, bytes, sink))
    }

    /// Verifies a package read from a stream in one pass, without spooling it
    /// anywhere: the manifest and signatures come first, so they are
    /// authenticated before any payload byte, and each payload entry is hashed
    /// as it streams past. The reader is read to its end (or, once the package
    /// is certain to be rejected, until reading on could not change the reason).
    ///
    /// # Errors
    /// As [`Verifier::verify_path`], with the same error for the same bytes
    /// (a stream of a rejected package may stop reading once the reason can
    /// no longer change; see `docs/FORMAT.md`).
    pub fn verify_reader<R: std::io::Read>(&self, reader: R) -> Result<VerifiedPackage, Rejection> {
        self.read(None, |sink| linear::verify(self, Plain(reader), sink))
    }

    /// [`Verifier::verify_file`], handing each payload entry's bytes to
    /// `sink` as they are read and hashed.
    pub(crate) fn verify_file_into(
        &self,
        file: &File,
        sink: &dyn Sink,
    ) -> Result<VerifiedPackage, Rejection> {
        let len = file.metadata().map_err(|e| Error::io("package", e))?.len();
        self.read(Some(sink), |sink| {
            seekable::verify(self, &FileSource { file, len }, sink)
        })
    }

    /// [`Verifier::verify_reader`], handing each payload entry's bytes to
    /// `sink` as they stream past.
    pub(crate) fn verify_reader_into<R: std::io::Read>(
        &self,
        reader: R,
        sink: &dyn Sink,
    ) -> Result<VerifiedPackage, Rejection> {
        self.read(Some(sink), |sink| linear::verify(self, Plain(reader), sink))
    }

    /// Runs one reading of the package with `sink` and, when preflight is
    /// asked for, the preflight scan beside it on the same bytes; the
    /// checks run only once the package verified, so a rejected package
    /// never yields findings.
    fn read(
        &self,
        sink: Option<&dyn Sink>,
        reading: impl FnOnce(Option<&dyn Sink>) -> Result<VerifiedPackage, Rejection>,
    ) -> Result<VerifiedPackage, Rejection> {
        let Some(inventory) = &self.inventory else {
            return reading(sink);
        };
        let scan = Scan::for_inventory(Arc::clone(inventory));
        let tee;
        let both: &dyn Sink = match sink {
            Some(s) => {
                tee = Tee(s, &scan);
                &tee
            }
            None => &scan,
        };
        let package = reading(Some(both))?;
        let found = preflight::check(package.manifest(), inventory, &scan.finish());
        Ok(package.with_preflight(found))
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
