//! The authenticated manifest against the archive's payload entries: each
//! entry listed, of the listed size and mode, each listed file present once.

use crate::error::Error;
use crate::manifest::Manifest;

/// Matches payload entries against the manifest's list, each path once.
/// Holds indices into the manifest, not its strings.
pub(crate) struct Listing {
    /// Indices of the manifest's files, sorted by path.
    order: Vec<usize>,
    present: Vec<bool>,
}

impl Listing {
    pub(crate) fn new(m: &Manifest) -> Self {
        let files = m.files();
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let path = |i: usize| files.get(i).map_or("", |f| f.path.as_str());
            path(a).cmp(path(b))
        });
        Self {
            order,
            present: vec![false; files.len()],
        }
    }

    fn find(&self, m: &Manifest, name: &str) -> Option<usize> {
        let files = m.files();
        let path = |i: usize| files.get(i).map_or("", |f| f.path.as_str());
        let at = self.order.binary_search_by(|&i| path(i).cmp(name)).ok()?;
        self.order.get(at).copied()
    }

    /// The manifest's index for a payload entry: listed (`unlisted_entry`), of
    /// the listed size where the archive records one before its data
    /// (`size_mismatch`) and of the listed mode where the mode is known
    /// (`mode_mismatch`).
    pub(crate) fn claim(
        &mut self,
        m: &Manifest,
        name: &str,
        size: Option<u64>,
        unix_mode: Option<Option<u32>>,
    ) -> Result<usize, Error> {
        let Some((j, f)) = self
            .find(m, name)
            .and_then(|j| m.files().get(j).map(|f| (j, f)))
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
            check_mode(name, mode, f.mode)?;
        }
        Ok(j)
    }

    /// The mode of an entry claimed earlier, once it is known (a stream meets
    /// modes only in the central directory).
    pub(crate) fn mode(
        &self,
        m: &Manifest,
        name: &str,
        unix_mode: Option<u32>,
    ) -> Result<(), Error> {
        match self.find(m, name).and_then(|j| m.files().get(j)) {
            Some(f) => check_mode(name, unix_mode, f.mode),
            None => Err(Error::UnlistedEntry { path: name.into() }),
        }
    }

    /// The first listed file not claimed (`missing_entry`).
    pub(crate) fn missing(&self, m: &Manifest) -> Result<(), Error> {
        match m.files().iter().zip(&self.present).find(|(_, p)| !**p) {
            Some((f, _)) => Err(Error::MissingEntry {
                path: f.path.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// An entry's unix mode (if it has one) against the manifest's (if it gives
/// one): equal; or, unless the signed manifest says so, no setuid, setgid or
/// sticky bit and nothing world-writable (a root-run script anyone could
/// replace). Entries the manifest cannot list (itself, signatures,
/// directories) are held to the second rule.
pub(crate) fn check_mode(
    name: &str,
    actual: Option<u32>,
    listed: Option<u32>,
) -> Result<(), Error> {
    let ok = match (listed, actual) {
        (Some(m), Some(a)) => m == a,
        (Some(_), None) => false,
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
