//! Where payload goes as it is verified. The content step hands each payload
//! entry's bytes to a sink as they are read and hashed, never after the
//! fact: an entry begins, its content arrives in chunks, the entry ends as
//! verified or not; the package's verdict then decides for everything the
//! sink did. Nothing downstream re-reads the package or buffers an entry.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::manifest::FileEntry;

/// Receives the payload as it is read, from one or many threads.
pub(crate) trait Sink: Sync {
    /// Payload entry `file` (the manifest's entry) begins.
    fn entry<'s>(&'s self, file: &FileEntry) -> io::Result<Box<dyn EntrySink + 's>>;
}

/// One entry's content, chunk by chunk.
pub(crate) trait EntrySink: Send {
    /// The next bytes of content (not verified until [`EntrySink::end`]).
    fn chunk(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// The content ended: `verified` says whether it matched the manifest.
    fn end(self: Box<Self>, verified: bool) -> io::Result<()>;
}

/// Counts the payload bytes read and reports them with the total listed.
pub(crate) struct Progress<'a> {
    pub(crate) report: &'a (dyn Fn(u64, u64) + Send + Sync),
    pub(crate) total: u64,
    pub(crate) done: AtomicU64,
}

impl Sink for Progress<'_> {
    fn entry<'s>(&'s self, _: &FileEntry) -> io::Result<Box<dyn EntrySink + 's>> {
        Ok(Box::new(ProgressEntry(self)))
    }
}

struct ProgressEntry<'a, 'b>(&'a Progress<'b>);

impl EntrySink for ProgressEntry<'_, '_> {
    fn chunk(&mut self, bytes: &[u8]) -> io::Result<()> {
        let len = bytes.len() as u64;
        let done = self.0.done.fetch_add(len, Ordering::Relaxed) + len;
        (self.0.report)(done, self.0.total);
        Ok(())
    }

    fn end(self: Box<Self>, _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// Two sinks fed the same bytes (extraction with a progress bar).
pub(crate) struct Tee<'a>(pub(crate) &'a dyn Sink, pub(crate) &'a dyn Sink);

impl Sink for Tee<'_> {
    fn entry<'s>(&'s self, file: &FileEntry) -> io::Result<Box<dyn EntrySink + 's>> {
        Ok(Box::new(TeeEntry(self.0.entry(file)?, self.1.entry(file)?)))
    }
}

struct TeeEntry<'a>(Box<dyn EntrySink + 'a>, Box<dyn EntrySink + 'a>);

impl EntrySink for TeeEntry<'_> {
    fn chunk(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.chunk(bytes)?;
        self.1.chunk(bytes)
    }

    fn end(self: Box<Self>, verified: bool) -> io::Result<()> {
        let first = self.0.end(verified);
        let second = self.1.end(verified);
        first.and(second)
    }
}
