//! The verification steps after the structure (step 1, `crate::zip`),
//! numbered as in docs/FORMAT.md, "When a package is verified": 2 layout,
//! 3 the manifest and signature files, 4 authentication, 5 the listing,
//! 6 the content of each payload entry, 7 modes, 8 missing files. Both
//! drivers go through the same [`Pipeline`]; they differ only in how bytes
//! arrive (and so in when each step can run).

use std::io;

use crate::error::Error;
use crate::manifest::{FileEntry, Manifest};
use crate::outcome::{Rejection, VerifiedPackage};
use crate::zip::content::{self, Content, Delimit, Recorded, Signed, Spec};

use super::authenticate::{Authenticated, SignatureFiles};
use super::layout::{LayoutBuilder, Role};
use super::listing::Listing;
use super::Verifier;
use crate::sink::{EntrySink, Sink};

/// One package's verification state.
pub(crate) struct Pipeline<'v> {
    v: &'v Verifier,
    layout: LayoutBuilder,
    /// The manifest's bytes, until authentication.
    manifest: Option<Vec<u8>>,
    /// Signature files by archive index, until authentication.
    small: Vec<(usize, Vec<u8>)>,
    /// Whether authentication was tried (it is tried once).
    attempted: bool,
    auth: Option<(Authenticated, Listing)>,
    files: u64,
    bytes: u64,
}

impl<'v> Pipeline<'v> {
    pub(crate) fn new(v: &'v Verifier) -> Self {
        Self {
            v,
            layout: LayoutBuilder::default(),
            manifest: None,
            small: Vec::new(),
            attempted: false,
            auth: None,
            files: 0,
            bytes: 0,
        }
    }

    pub(crate) fn verifier(&self) -> &'v Verifier {
        self.v
    }

    /// Step 2, layout: what entry `index` is, by its name and place.
    pub(crate) fn role(&mut self, index: usize, name: &str, is_dir: bool) -> Result<Role, Error> {
        self.layout.push(index, name, is_dir, self.v.limits())
    }

    /// Step 3, the manifest, signature files and directories: how to read
    /// one, given the size on record when it is known before the data.
    pub(crate) fn small_spec(
        &self,
        role: Role,
        name: &str,
        method: u16,
        delimit: Delimit,
        known_size: Option<u64>,
    ) -> Result<Spec, Error> {
        let limit = self.small_limit(role, name);
        let expected = match known_size {
            Some(size) if size > limit.max => return Err(limit.error(size)),
            Some(size) => size,
            None => limit.max,
        };
        Ok(Spec {
            method,
            delimit,
            expected,
            sha256: false,
            scan_descriptors: false,
        })
    }

    /// A small entry read past what was expected when its size was not known
    /// before its data (a stream, with a data descriptor): over its limit.
    pub(crate) fn small_over(&self, role: Role, name: &str) -> Error {
        let limit = self.small_limit(role, name);
        let actual = limit.max.saturating_add(1);
        limit.error(actual)
    }

    fn small_limit(&self, role: Role, name: &str) -> SmallLimit {
        let limits = self.v.limits();
        let (max, what) = match role {
            Role::Manifest => (limits.max_manifest_bytes, "manifest size"),
            Role::Signature => (limits.max_signature_file_bytes, "signature file size"),
            Role::Directory | Role::Payload => (0, ""),
        };
        SmallLimit {
            name: name.to_owned(),
            max,
            what,
        }
    }

    /// Keeps a small entry's verified bytes for authentication.
    pub(crate) fn keep(&mut self, role: Role, index: usize, bytes: Vec<u8>) {
        match role {
            Role::Manifest => self.manifest = Some(bytes),
            Role::Signature => self.small.push((index, bytes)),
            Role::Directory | Role::Payload => {}
        }
    }

    /// Whether authentication is still to be tried.
    pub(crate) fn before_authentication(&self) -> bool {
        !self.attempted
    }

    /// Step 4, authentication, once the signature files are all read: every
    /// signature and chain, then the manifest is parsed.
    pub(crate) fn authenticate(&mut self) -> Result<(), Rejection> {
        self.attempted = true;
        let pairs = self.layout.signatures()?;
        let manifest = self
            .manifest
            .take()
            .ok_or(Error::ManifestMissing { first: None })?;
        let mut contents = Vec::with_capacity(pairs.len());
        for (name, sig, pem, tst) in pairs {
            let mut file = |index: usize| {
                self.small
                    .iter()
                    .position(|(i, _)| *i == index)
                    .map(|at| self.small.swap_remove(at).1)
                    .ok_or(Error::SignatureMissing { signature: None })
            };
            let (sig, pem) = (file(sig)?, file(pem)?);
            let tst = tst.map(&mut file).transpose()?;
            contents.push(SignatureFiles {
                name,
                sig,
                pem,
                tst,
            });
        }
        self.small.clear();
        let auth = self.v.authenticate(&manifest, &contents)?;
        let listing = Listing::new(&auth.manifest);
        self.auth = Some((auth, listing));
        Ok(())
    }

    /// The authenticated manifest, once authenticated.
    pub(crate) fn manifest(&self) -> Option<&Manifest> {
        self.auth.as_ref().map(|(a, _)| &a.manifest)
    }

    /// Step 5, the listing: the manifest's index of payload entry `name`,
    /// checked against the size and mode where they are known.
    pub(crate) fn claim(
        &mut self,
        name: &str,
        size: Option<u64>,
        unix_mode: Option<Option<u32>>,
    ) -> Result<usize, Error> {
        let Some((auth, listing)) = self.auth.as_mut() else {
            return Err(Error::ManifestMissing { first: None });
        };
        listing.claim(&auth.manifest, name, size, unix_mode)
    }

    /// Step 7, the mode of a payload entry claimed earlier (from the central directory).
    pub(crate) fn claimed_mode(&self, name: &str, unix_mode: Option<u32>) -> Result<(), Error> {
        match self.auth.as_ref() {
            Some((auth, listing)) => listing.mode(&auth.manifest, name, unix_mode),
            None => Err(Error::ManifestMissing { first: None }),
        }
    }

    /// Step 8, missing files: every listed file claimed.
    pub(crate) fn missing(&self) -> Result<(), Error> {
        match self.auth.as_ref() {
            Some((auth, listing)) => listing.missing(&auth.manifest),
            None => Err(Error::ManifestMissing { first: None }),
        }
    }

    /// Counts verified payload files and their bytes.
    pub(crate) fn count(&mut self, files: u64, bytes: u64) {
        self.files += files;
        self.bytes += bytes;
    }

    /// A rejection with what was learned before it.
    pub(crate) fn reject(&self, error: Error) -> Rejection {
        match self.auth.as_ref() {
            Some((auth, _)) => auth.reject(error, self.files, self.bytes),
            None => Rejection::from(error),
        }
    }

    /// The verified package, when every step passed.
    pub(crate) fn into_verified(self) -> Result<VerifiedPackage, Rejection> {
        let bytes = self.bytes;
        match self.auth {
            Some((auth, _)) => Ok(auth.into_verified(bytes)),
            None => Err(Error::ManifestMissing { first: None }.into()),
        }
    }
}

/// A small entry's size limit.
struct SmallLimit {
    name: String,
    max: u64,
    what: &'static str,
}

impl SmallLimit {
    fn error(self, actual: u64) -> Error {
        if self.max == 0 {
            // A directory: no content at all.
            return Error::ambiguous(
                Some(&self.name),
                crate::error::ArchiveDefect::DirectoryWithContent,
            );
        }
        Error::LimitExceeded {
            entry: Some(self.name),
            what: self.what,
            limit: self.max,
            actual,
        }
    }
}

/// Step 3, the small entries' content against its record.
pub(crate) fn judge_small(
    name: &str,
    method: u16,
    c: &Content,
    rec: &Recorded,
) -> Result<(), Error> {
    content::judge(name, method, c, rec, None)
}

/// Step 6, content: how to read payload entry `file`.
pub(crate) fn payload_spec(file: &FileEntry, method: u16, delimit: Delimit, scan: bool) -> Spec {
    Spec {
        method,
        delimit,
        expected: file.size,
        sha256: true,
        scan_descriptors: scan,
    }
}

/// Step 6, content: a payload entry's content against its record and its signed size and digest.
pub(crate) fn judge_payload(
    file: &FileEntry,
    name: &str,
    method: u16,
    c: &Content,
    rec: &Recorded,
) -> Result<(), Error> {
    let signed = Signed {
        size: file.size,
        sha256: &file.sha256,
    };
    content::judge(name, method, c, rec, Some(signed))
}

/// Reads one payload entry's content into `sink` (if any) through the one
/// content reader; `stop` is polled between chunks (false ends the read).
pub(crate) fn read_payload<R: io::BufRead>(
    input: &mut R,
    name: &str,
    spec: Spec,
    sink: Option<&mut Box<dyn EntrySink + '_>>,
    stop: &dyn Fn() -> bool,
) -> Result<Content, Error> {
    let mut failed: Option<io::Error> = None;
    let mut sink = sink;
    let c = content::read(input, name, spec, &mut |chunk| {
        if let Some(s) = sink.as_mut() {
            if let Err(e) = s.chunk(chunk) {
                failed = Some(e);
                return false;
            }
        }
        !stop()
    })?;
    if let Some(e) = failed {
        return Err(Error::io("output", e));
    }
    Ok(c)
}

/// Opens a sink's entry, if there is a sink.
pub(crate) fn open<'s>(
    sink: Option<&'s dyn Sink>,
    file: &FileEntry,
) -> Result<Option<Box<dyn EntrySink + 's>>, Error> {
    sink.map(|s| s.entry(file))
        .transpose()
        .map_err(|e| Error::io("output", e))
}

/// Ends a sink's entry, if there is one.
pub(crate) fn close(entry: Option<Box<dyn EntrySink + '_>>, verified: bool) -> Result<(), Error> {
    match entry {
        Some(e) => e.end(verified).map_err(|e| Error::io("output", e)),
        None => Ok(()),
    }
}
