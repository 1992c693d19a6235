//! Directory-relative file operations that never follow a symbolic link:
//! every path is walked one component at a time from a directory descriptor
//! with `O_NOFOLLOW | O_DIRECTORY`, so nothing a package or the file system
//! holds can redirect a read or a write outside the tree it starts from.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{openat, statat, unlinkat, AtFlags, Dir, FileType, Mode, OFlags};

/// Opens directory `rel` (a `/`-separated relative path, `""` for `root`
/// itself) below `root`, refusing a symbolic link anywhere on the way.
pub(crate) fn open_dir(root: BorrowedFd<'_>, rel: &str) -> io::Result<OwnedFd> {
    open_bytes(root, rel.as_bytes())
}

/// Opens directory `name` in `dir` without following a symbolic link.
pub(crate) fn dir_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    Ok(openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens regular file `name` in `dir` for reading without following a
/// symbolic link (`ELOOP` if it is one).
pub(crate) fn file_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<std::fs::File> {
    let fd = openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    Ok(std::fs::File::from(fd))
}

/// What a directory entry is, without following a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Directory,
    /// A symbolic link, device, socket or FIFO.
    Other,
}

/// The entries of directory `dir` (without `.` and `..`), each with its kind.
pub(crate) fn list(dir: BorrowedFd<'_>) -> io::Result<Vec<(Vec<u8>, Kind)>> {
    let mut out = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Directory,
            FileType::Unknown => {
                // Some file systems leave the type out: ask without following.
                let st = statat(dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)?;
                match FileType::from_raw_mode(st.st_mode) {
                    FileType::RegularFile => Kind::File,
                    FileType::Directory => Kind::Directory,
                    _ => Kind::Other,
                }
            }
            _ => Kind::Other,
        };
        out.push((name.to_vec(), kind));
    }
    Ok(out)
}

/// Removes directory `name` in `parent` and everything in it, following no
/// symbolic link (a link is removed, not its target). Depth-first by path
/// from `parent`, so at most a few descriptors are open at any depth.
pub(crate) fn remove_tree(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let top = dir_at(parent, name)?;
    // Relative paths (below `top`) of the directories being emptied.
    let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(rel) = stack.last().cloned() {
        let dir = open_bytes(top.as_fd(), &rel)?;
        let mut descended = false;
        for (entry, kind) in list(dir.as_fd())? {
            if kind == Kind::Directory {
                let mut child = rel.clone();
                if !child.is_empty() {
                    child.push(b'/');
                }
                child.extend_from_slice(&entry);
                stack.push(child);
                descended = true;
                break;
            }
            unlinkat(dir.as_fd(), OsStr::from_bytes(&entry), AtFlags::empty())?;
        }
        if descended {
            continue;
        }
        stack.pop();
        if rel.is_empty() {
            break;
        }
        let (up, last) = match rel.iter().rposition(|b| *b == b'/') {
            Some(at) => (
                rel.get(..at).unwrap_or_default(),
                rel.get(at + 1..).unwrap_or_default(),
            ),
            None => (&[][..], &rel[..]),
        };
        let up = open_bytes(top.as_fd(), up)?;
        unlinkat(up.as_fd(), OsStr::from_bytes(last), AtFlags::REMOVEDIR)?;
    }
    drop(top);
    unlinkat(parent, name, AtFlags::REMOVEDIR)?;
    Ok(())
}

/// [`open_dir`] for a path of raw bytes (names a killed run left behind
/// need not be UTF-8).
pub(crate) fn open_bytes(root: BorrowedFd<'_>, rel: &[u8]) -> io::Result<OwnedFd> {
    let mut current = dir_at(root, OsStr::new("."))?;
    for component in rel.split(|b| *b == b'/').filter(|c| !c.is_empty()) {
        current = dir_at(current.as_fd(), OsStr::from_bytes(component))?;
    }
    Ok(current)
}
