//! Verified extraction: the package is read once, and each payload entry is
//! written into a staging directory as it is hashed (the pipeline's content
//! sink), in both reading modes; the staging directory becomes the target
//! directory only once the whole package has verified (`staging`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use crate::error::Error;
use crate::manifest::FileEntry;
use crate::outcome::{Rejection, VerifiedPackage};
use crate::sink::{EntrySink, Sink};
use crate::verify::Verifier;

use super::error::ExtractError;
use super::staging::{finish_file, Staging};
use super::InstallOptions;

impl Verifier {
    /// Verifies the package at `package` and extracts its payload into `dir`,
    /// a directory that must not exist (its parent must). On success `dir`
    /// holds exactly the manifest's files, with the bytes that were hashed
    /// and the modes of [`InstallOptions`], and the directories they need;
    /// nothing else (no manifest, no signatures). On any failure nothing is
    /// left and an existing `dir` is untouched. Unix only.
    ///
    /// # Errors
    /// [`ExtractError::Rejected`] with the package's rejection (as from
    /// [`Verifier::verify_path`]); [`ExtractError::Target`] if `dir` exists,
    /// its parent does not, or it appeared meanwhile;
    /// [`ExtractError::Write`] if writing failed.
    pub fn extract_path(
        &self,
        package: impl AsRef<Path>,
        dir: impl AsRef<Path>,
        options: InstallOptions,
    ) -> Result<VerifiedPackage, ExtractError> {
        let package = package.as_ref();
        let file = File::open(package).map_err(|e| {
            ExtractError::Rejected(Error::io(package.display().to_string(), e).into())
        })?;
        self.extract_file(&file, dir, options)
    }

    /// As [`Verifier::extract_path`], from an open package file (hashed and
    /// written on many threads, as [`Verifier::verify_file`] hashes).
    ///
    /// # Errors
    /// As [`Verifier::extract_path`].
    pub fn extract_file(
        &self,
        file: &File,
        dir: impl AsRef<Path>,
        options: InstallOptions,
    ) -> Result<VerifiedPackage, ExtractError> {
        extract(dir.as_ref(), options, |sink| {
            self.verify_file_into(file, sink)
        })
    }

    /// As [`Verifier::extract_path`], from a stream read once (standard
    /// input): each entry is written as it streams past, never spooled.
    ///
    /// # Errors
    /// As [`Verifier::extract_path`].
    pub fn extract_reader<R: Read>(
        &self,
        reader: R,
        dir: impl AsRef<Path>,
        options: InstallOptions,
    ) -> Result<VerifiedPackage, ExtractError> {
        extract(dir.as_ref(), options, |sink| {
            self.verify_reader_into(reader, sink)
        })
    }
}

/// Runs one verification with a writer as its sink; commits or discards.
fn extract(
    dir: &Path,
    options: InstallOptions,
    verify: impl FnOnce(&dyn Sink) -> Result<VerifiedPackage, Rejection>,
) -> Result<VerifiedPackage, ExtractError> {
    let staging = Staging::new(dir)?;
    let writer = Writer {
        staging: &staging,
        options,
        failure: Mutex::new(None),
    };
    let result = verify(&writer);
    let failure = writer
        .failure
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let error = match (result, failure) {
        // A write failed: that, not the read it stopped, is the reason.
        (_, Some((path, source))) => ExtractError::Write {
            path: staging.shown(&path),
            source,
        },
        (Err(r), None) => ExtractError::Rejected(r),
        // Authentic, but not safe to install here: nothing is extracted.
        (Ok(package), None) if package.preflight().is_some_and(|p| !p.passed()) => {
            ExtractError::Preflight(Box::new(package))
        }
        (Ok(package), None) => {
            staging.commit(options.sync)?;
            return Ok(package);
        }
    };
    let left = staging.staging_path();
    match staging.discard() {
        Ok(()) => Err(error),
        Err(source) => Err(ExtractError::Leftover {
            staging: left,
            source,
            cause: Box::new(error),
        }),
    }
}

/// The sink that writes payload entries into the staging directory.
struct Writer<'a> {
    staging: &'a Staging,
    options: InstallOptions,
    /// The first write that failed: the manifest path and the reason.
    failure: Mutex<Option<(String, io::Error)>>,
}

impl Writer<'_> {
    /// Keeps the first failure; the pipeline gets an error of the same kind
    /// that stops the reading.
    fn fail(&self, path: &str, e: io::Error) -> io::Error {
        let stop = io::Error::new(e.kind(), "extraction stopped");
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if failure.is_none() {
            *failure = Some((path.to_owned(), e));
        }
        stop
    }
}

impl Sink for Writer<'_> {
    fn entry<'s>(&'s self, file: &FileEntry) -> io::Result<Box<dyn EntrySink + 's>> {
        let out = self
            .staging
            .create_file(&file.path)
            .map_err(|e| self.fail(&file.path, e))?;
        Ok(Box::new(EntryWriter {
            writer: self,
            out,
            path: file.path.clone(),
            mode: self.options.mode_of(file),
        }))
    }
}

/// One payload file being written.
struct EntryWriter<'a> {
    writer: &'a Writer<'a>,
    out: File,
    path: String,
    mode: u32,
}

impl EntrySink for EntryWriter<'_> {
    fn chunk(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| self.writer.fail(&self.path, e))
    }

    fn end(self: Box<Self>, verified: bool) -> io::Result<()> {
        if !verified {
            // Discarded with the staging directory.
            return Ok(());
        }
        finish_file(&self.out, self.mode, self.writer.options.sync)
            .map_err(|e| self.writer.fail(&self.path, e))
    }
}
