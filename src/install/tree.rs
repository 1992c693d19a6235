//! Checking an installed tree against a verified package later, as
//! `debsums` or `rpm -V` do: every listed file present as a regular file with
//! its size, SHA-256 and installed mode, and nothing else. The tree is read
//! relative to directory descriptors; no symbolic link is followed.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::outcome::VerifiedPackage;

use super::error::{Modification, TreeDifference, TreeError, TreeMismatch};
use super::fs::{file_at, list, open_bytes, open_dir, Kind};
use super::InstallOptions;

impl VerifiedPackage {
    /// Compares directory `dir` with this package's signed manifest: each
    /// listed file must be there as a regular file with its size, SHA-256
    /// and the mode [`InstallOptions::mode_of`] gives it, and nothing else
    /// may be (no other file, no directory that no listed file needs, no
    /// symbolic link). `dir` itself may be a symbolic link; nothing below it
    /// is followed. Unix only.
    ///
    /// # Errors
    /// [`TreeError::Mismatch`] listing every difference by path;
    /// [`TreeError::Read`] if the tree cannot be read.
    pub fn check_tree(
        &self,
        dir: impl AsRef<Path>,
        options: InstallOptions,
    ) -> Result<(), TreeError> {
        let dir = dir.as_ref();
        let read_error = |rel: &str, source: io::Error| TreeError::Read {
            path: dir.join(rel).display().to_string(),
            source,
        };
        let root = rustix::fs::open(
            dir,
            rustix::fs::OFlags::RDONLY
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| read_error("", e.into()))?;
        let found = walk(&root).map_err(|(rel, e)| read_error(&rel, e))?;

        let mut differences = Vec::new();
        let mut needed: BTreeSet<&str> = BTreeSet::new();
        for file in self.manifest().files() {
            let mut at = file.path.as_str();
            while let Some((up, _)) = at.rsplit_once('/') {
                needed.insert(up);
                at = up;
            }
            let path = file.path.clone();
            match found.get(file.path.as_bytes()) {
                None => differences.push(TreeDifference::Missing { path }),
                Some(Kind::Directory | Kind::Other) => differences.push(TreeDifference::Modified {
                    path,
                    change: Modification::NotAFile,
                }),
                Some(Kind::File) => {
                    let (up, name) = file.path.rsplit_once('/').unwrap_or(("", &file.path));
                    let checked = open_dir(root.as_fd(), up)
                        .and_then(|d| check_file(&d, name, file.size, &file.sha256))
                        .map_err(|e| read_error(&file.path, e))?;
                    match checked {
                        Checked::Modified(change) => {
                            differences.push(TreeDifference::Modified { path, change });
                        }
                        Checked::Same { mode } => {
                            let expected = options.mode_of(file);
                            if mode != expected {
                                differences.push(TreeDifference::ModeChanged {
                                    path,
                                    expected,
                                    actual: mode,
                                });
                            }
                        }
                    }
                }
            }
        }
        let listed: BTreeSet<&[u8]> = self
            .manifest()
            .files()
            .iter()
            .map(|f| f.path.as_bytes())
            .collect();
        for (rel, kind) in &found {
            let wanted = match kind {
                Kind::File => listed.contains(rel.as_slice()),
                Kind::Directory => std::str::from_utf8(rel).is_ok_and(|r| needed.contains(r)),
                Kind::Other => false,
            };
            if !wanted && !listed.contains(rel.as_slice()) {
                differences.push(TreeDifference::Extra {
                    path: String::from_utf8_lossy(rel).into_owned(),
                    what: match kind {
                        Kind::File => "file",
                        Kind::Directory => "directory",
                        Kind::Other => "other",
                    },
                });
            }
        }
        if differences.is_empty() {
            return Ok(());
        }
        differences.sort_by(|a, b| a.path().cmp(b.path()));
        Err(TreeError::Mismatch(TreeMismatch { differences }))
    }
}

/// Every entry below `root` by relative path, directories walked without
/// following symbolic links. On failure, the path that could not be read.
fn walk(root: &OwnedFd) -> Result<BTreeMap<Vec<u8>, Kind>, (String, io::Error)> {
    let mut found = BTreeMap::new();
    let mut pending: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(rel) = pending.pop() {
        let shown = || String::from_utf8_lossy(&rel).into_owned();
        let dir = open_bytes(root.as_fd(), &rel).map_err(|e| (shown(), e))?;
        for (name, kind) in list(dir.as_fd()).map_err(|e| (shown(), e))? {
            let mut path = rel.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(&name);
            if kind == Kind::Directory {
                pending.push(path.clone());
            }
            found.insert(path, kind);
        }
    }
    Ok(found)
}

/// What reading one listed file found.
enum Checked {
    Same { mode: u32 },
    Modified(Modification),
}

/// Compares file `name` in `dir` with its listed size and digest, reading
/// at most the listed size plus one byte.
fn check_file(dir: &OwnedFd, name: &str, size: u64, sha256: &[u8; 32]) -> io::Result<Checked> {
    let file = match file_at(dir.as_fd(), OsStr::new(name)) {
        Ok(f) => f,
        // Replaced by a link since the walk.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Checked::Modified(Modification::NotAFile))
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Checked::Modified(Modification::NotAFile));
    }
    if meta.len() != size {
        return Ok(Checked::Modified(Modification::Size {
            expected: size,
            actual: meta.len(),
        }));
    }
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    let mut limited = (&file).take(size.saturating_add(1));
    loop {
        let n = limited.read(&mut buf)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    if read != size {
        return Ok(Checked::Modified(Modification::Size {
            expected: size,
            actual: read,
        }));
    }
    let actual: [u8; 32] = hasher.finalize().into();
    if &actual != sha256 {
        return Ok(Checked::Modified(Modification::Digest {
            expected: crate::hex(sha256),
            actual: crate::hex(&actual),
        }));
    }
    Ok(Checked::Same {
        mode: meta.permissions().mode() & 0o7777,
    })
}
