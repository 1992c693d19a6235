//! Which of several findings a rejection names: the one rule.
//!
//! A defect of the archive's frame, which the linear reading cannot read
//! past (no record where one must start, the input ending, a broken end
//! record, bytes after it), a resource limit and an I/O failure are
//! *fatal*: the reading stops there and names it, whatever it found before.
//! Every other finding is *held*: the reading goes on, delimiting the
//! entries that follow without verifying them, as far as it safely can, in
//! case a fatal one follows. Of the held findings the first in [`Key`]'s
//! order names the rejection: a rule of one record (a header's own rules,
//! a header against its central record, the names) in archive order; then
//! format 1's layout (an entry in the wrong place explains whatever fails
//! after it); then by the entry's place in the archive and the step within
//! the entry (authentication, listing, content); the modes from the central
//! directory after every entry, missing files last.

use crate::error::Error;
use crate::outcome::Rejection;

/// When a step runs, within an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    /// The signatures and chains, at the first payload entry (or the end).
    Authenticate,
    /// The entry against the manifest's listing (`listing`).
    Listing,
    /// The entry's content against its record and, for payload, its
    /// signed size and digest.
    Content,
}

/// Where a finding stands in the order of a linear reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    /// A rule of the record at this archive offset (a header's own rules, a
    /// local header against its central record, the names, at `u64::MAX`)
    /// that still lets the reading go on.
    Record(u64),
    /// Format 1's layout rules (`layout`) at entry `index`.
    Layout(usize),
    /// At entry `index`, in `step`.
    Entry(usize, Step),
    /// The mode of entry `index`, known once the central directory is read.
    Mode(usize),
    /// A listed file the archive does not have, known at the end.
    Missing,
}

/// Whether a finding stops the reading wherever it comes from: a resource
/// limit, an I/O failure. (The reader of records stops at its own findings.)
pub(crate) fn stops(e: &Error) -> bool {
    matches!(e, Error::LimitExceeded { .. } | Error::Io { .. })
}

/// The held finding that names the rejection so far, if any.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    held: Option<(Key, Rejection)>,
}

impl Verdict {
    /// Holds a finding at `key`; the earliest held stays.
    pub(crate) fn hold(&mut self, key: Key, r: Rejection) {
        if self.held.as_ref().is_none_or(|(k, _)| key < *k) {
            self.held = Some((key, r));
        }
    }

    /// Nothing held: the package may still verify.
    pub(crate) fn is_clear(&self) -> bool {
        self.held.is_none()
    }

    /// The held rejection's error, if any.
    pub(crate) fn error(&self) -> Option<&Error> {
        self.held.as_ref().map(|(_, r)| r.error())
    }

    /// Replaces the held rejection's error (keeping its place), for a finding
    /// that later bytes make more precise.
    pub(crate) fn refine(&mut self, error: Error) {
        if let Some((key, _)) = self.held.take() {
            self.held = Some((key, Rejection::from(error)));
        }
    }

    /// The held rejection, if any.
    pub(crate) fn into_rejection(self) -> Option<Rejection> {
        self.held.map(|(_, r)| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_held_finding_names_the_rejection() {
        let mut v = Verdict::default();
        assert!(v.is_clear());
        v.hold(Key::Mode(0), Error::ManifestMissing { first: None }.into());
        v.hold(
            Key::Entry(3, Step::Content),
            Error::UnlistedEntry { path: "b".into() }.into(),
        );
        v.hold(
            Key::Entry(3, Step::Listing),
            Error::UnlistedEntry { path: "a".into() }.into(),
        );
        v.hold(Key::Missing, Error::ManifestMissing { first: None }.into());
        assert!(matches!(v.error(), Some(Error::UnlistedEntry { path }) if path == "a"));
        v.hold(
            Key::Layout(9),
            Error::ManifestMissing { first: None }.into(),
        );
        assert!(matches!(v.error(), Some(Error::ManifestMissing { .. })));
        assert!(Key::Entry(2, Step::Content) < Key::Entry(3, Step::Authenticate));
        assert!(Key::Layout(usize::MAX) < Key::Entry(0, Step::Authenticate));
        assert!(Key::Record(u64::MAX) < Key::Layout(0));
        assert!(Key::Entry(usize::MAX, Step::Content) < Key::Mode(0));
        assert!(Key::Mode(usize::MAX) < Key::Missing);
    }
}
