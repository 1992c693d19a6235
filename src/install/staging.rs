//! The staging directory an extraction writes into, and the one rename that
//! makes it the target directory.
//!
//! `DIR`'s parent gets a fresh directory `.pkgverify-NAME-RANDOM` (mode 0700,
//! owned by the running user, locked with `flock` while in use). Every
//! directory and file is created inside it relative to its descriptor,
//! exclusively (`mkdirat`, `O_CREAT | O_EXCL`) and without following a
//! symbolic link, so nothing the file system or a package holds can send a
//! write elsewhere. Once the whole package has verified, directories get
//! mode 0755, everything is flushed, and the staging directory becomes `DIR`
//! by `renameat2(RENAME_NOREPLACE)`, which never replaces anything created
//! meanwhile. Otherwise it is removed.
//!
//! A run killed outright (SIGKILL, power loss) leaves its staging directory;
//! `DIR` does not appear. The next extraction into the same `DIR` removes
//! every staging directory of that name whose process is gone and whose
//! lock nobody holds (the name carries the process ID).

use std::collections::{BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustix::fs::{
    fchmod, flock, fstat, fsync, mkdirat, open, openat, renameat_with, statat, AtFlags,
    FlockOperation, Mode, OFlags, RenameFlags,
};
use rustix::io::Errno;

use super::error::{ExtractError, TargetProblem};
use super::fs::{dir_at, list, open_dir, remove_tree, Kind};

/// Directory descriptors kept open for creating files, at most; beyond it
/// the cache starts over (a package may need many thousands of directories).
const OPEN_DIRS: usize = 256;

/// The mode of an extracted directory.
pub(crate) const DIR_MODE: u32 = 0o755;

/// An extraction in progress.
pub(crate) struct Staging {
    /// `DIR` as given, for messages.
    dir: PathBuf,
    parent: OwnedFd,
    /// `DIR`'s name in its parent.
    target: OsString,
    /// The staging directory's name in the parent.
    name: OsString,
    root: Arc<OwnedFd>,
    dirs: Mutex<Dirs>,
    /// Renamed into place, or removed: nothing left to undo.
    done: bool,
}

#[derive(Default)]
struct Dirs {
    /// Every directory created, relative to the root.
    created: BTreeSet<String>,
    /// Open descriptors of some of them.
    open: HashMap<String, Arc<OwnedFd>>,
}

impl Staging {
    /// Checks `dir` (it must not exist; its parent must), removes stale
    /// staging directories of the same name, and creates a fresh one.
    pub(crate) fn new(dir: &Path) -> Result<Self, ExtractError> {
        let target_err = |problem| ExtractError::Target {
            dir: dir.display().to_string(),
            problem,
        };
        let target = match dir.file_name() {
            Some(name) if !dir.as_os_str().as_bytes().ends_with(b"/.") => name.to_owned(),
            _ => return Err(target_err(TargetProblem::NotAName)),
        };
        let parent_path = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let parent = open(
            parent_path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| target_err(TargetProblem::Parent(e.into())))?;
        match statat(&parent, &target, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => return Err(target_err(TargetProblem::Exists)),
            Err(Errno::NOENT) => {}
            Err(e) => return Err(write_error(dir, e.into())),
        }
        let prefix = staging_prefix(&target);
        remove_stale(&parent, &prefix);

        let mut name = prefix;
        name.extend_from_slice(format!("{}-{}", std::process::id(), random_hex()).as_bytes());
        let name = OsString::from_vec(name);
        let shown = parent_path.join(&name);
        let created = mkdirat(&parent, &name, Mode::from_raw_mode(0o700));
        created.map_err(|e| write_error(&shown, e.into()))?;
        let root = dir_at(parent.as_fd(), &name).map_err(|e| write_error(&shown, e))?;
        let staging = Self {
            dir: dir.to_owned(),
            parent,
            target,
            name,
            root: Arc::new(root),
            dirs: Mutex::new(Dirs::default()),
            done: false,
        };
        // Ours, exclusively: owned by us (not a directory someone swapped in),
        // locked against the stale-directory sweep of another run, 0700
        // whatever the umask.
        let root = &*staging.root;
        let own = fstat(root).map_err(|e| write_error(&shown, e.into()))?;
        if own.st_uid != rustix::process::geteuid().as_raw() {
            return Err(write_error(
                &shown,
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "the staging directory was replaced by another user's",
                ),
            ));
        }
        flock(root, FlockOperation::NonBlockingLockExclusive)
            .map_err(|e| write_error(&shown, e.into()))?;
        fchmod(root, Mode::from_raw_mode(0o700)).map_err(|e| write_error(&shown, e.into()))?;
        Ok(staging)
    }

    /// `rel` (a manifest path) as it will be named once extracted.
    pub(crate) fn shown(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
    }

    /// Creates file `rel` (a manifest path: relative, `/`-separated, no
    /// `.` or `..`), with the directories it needs, exclusively and without
    /// following a symbolic link; mode 0600 until [`finish_file`].
    pub(crate) fn create_file(&self, rel: &str) -> io::Result<File> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let dir = self.dir_fd(dir)?;
        let fd = openat(
            &*dir,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        Ok(File::from(fd))
    }

    /// Directory `rel`, created (with its parents) if it is not yet.
    fn dir_fd(&self, rel: &str) -> io::Result<Arc<OwnedFd>> {
        if rel.is_empty() {
            return Ok(Arc::clone(&self.root));
        }
        let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(fd) = dirs.open.get(rel) {
            return Ok(Arc::clone(fd));
        }
        // Create each missing directory on the way, from the top.
        let mut at = 0;
        while at < rel.len() {
            let end = rel
                .get(at..)
                .and_then(|rest| rest.find('/'))
                .map_or(rel.len(), |i| at + i);
            let path = rel.get(..end).unwrap_or(rel);
            if !dirs.created.contains(path) {
                let (up, last) = path.rsplit_once('/').unwrap_or(("", path));
                let up = open_dir(self.root.as_fd(), up)?;
                mkdirat(&up, last, Mode::from_raw_mode(0o700))?;
                dirs.created.insert(path.to_owned());
            }
            at = end + 1;
        }
        let fd = Arc::new(open_dir(self.root.as_fd(), rel)?);
        if dirs.open.len() >= OPEN_DIRS {
            dirs.open.clear();
        }
        dirs.open.insert(rel.to_owned(), Arc::clone(&fd));
        Ok(fd)
    }

    /// Gives every directory its mode, flushes (when `sync`), and renames the
    /// staging directory to `DIR` without replacing anything.
    pub(crate) fn commit(mut self, sync: bool) -> Result<(), ExtractError> {
        let dirs = std::mem::take(&mut *self.dirs.lock().unwrap_or_else(PoisonError::into_inner));
        drop(dirs.open);
        for rel in &dirs.created {
            let fd = open_dir(self.root.as_fd(), rel).map_err(|e| self.error(rel, e))?;
            fchmod(&fd, Mode::from_raw_mode(DIR_MODE)).map_err(|e| self.error(rel, e.into()))?;
            if sync {
                fsync(&fd).map_err(|e| self.error(rel, e.into()))?;
            }
        }
        let root = &*self.root;
        fchmod(root, Mode::from_raw_mode(DIR_MODE)).map_err(|e| self.error("", e.into()))?;
        if sync {
            fsync(root).map_err(|e| self.error("", e.into()))?;
        }
        match renameat_with(
            &self.parent,
            &self.name,
            &self.parent,
            &self.target,
            RenameFlags::NOREPLACE,
        ) {
            Ok(()) => {}
            Err(Errno::EXIST | Errno::NOTEMPTY) => {
                return Err(self.target_error(TargetProblem::CreatedMeanwhile))
            }
            Err(e @ (Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP)) => {
                return Err(self.target_error(TargetProblem::RenameUnsupported(e.into())))
            }
            Err(e) => return Err(self.error("", e.into())),
        }
        // Renamed: from here on the tree is DIR.
        std::mem::swap(&mut self.name, &mut self.target);
        if sync {
            if let Err(e) = fsync(&self.parent) {
                // Not durable: take it back rather than leave a tree that a
                // crash could half keep.
                return Err(self.error("", e.into()));
            }
        }
        self.done = true;
        Ok(())
    }

    /// Removes the staging directory and everything in it.
    pub(crate) fn discard(mut self) -> io::Result<()> {
        self.done = true;
        remove_tree(self.parent.as_fd(), &self.name)
    }

    /// Where the staging directory is, for a message about it.
    pub(crate) fn staging_path(&self) -> String {
        let parent = self.dir.parent().unwrap_or(Path::new(""));
        parent.join(&self.name).display().to_string()
    }

    fn error(&self, rel: &str, source: io::Error) -> ExtractError {
        write_error(&self.dir.join(rel), source)
    }

    fn target_error(&self, problem: TargetProblem) -> ExtractError {
        ExtractError::Target {
            dir: self.dir.display().to_string(),
            problem,
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = remove_tree(self.parent.as_fd(), &self.name);
        }
    }
}

/// Flushes a written file and gives it its mode (whatever the umask).
pub(crate) fn finish_file(file: &File, mode: u32, sync: bool) -> io::Result<()> {
    fchmod(file, Mode::from_raw_mode(mode))?;
    if sync {
        file.sync_all()?;
    }
    Ok(())
}

fn write_error(path: &Path, source: io::Error) -> ExtractError {
    ExtractError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// `.pkgverify-NAME-` (NAME cut to 64 bytes, so any name leaves room).
fn staging_prefix(target: &OsStr) -> Vec<u8> {
    let name = target.as_bytes();
    let mut prefix = b".pkgverify-".to_vec();
    prefix.extend_from_slice(name.get(..64).unwrap_or(name));
    prefix.push(b'-');
    prefix
}

/// 16 random hex digits.
fn random_hex() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No randomness: the time and process still make a fresh name, and
        // mkdirat refuses an existing one.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = (nanos ^ u64::from(std::process::id()).rotate_left(40)).to_be_bytes();
    }
    crate::hex(&bytes)
}

/// Removes the staging directories `prefix` + `PID-` + 16 hex digits in
/// `parent` that a killed run left: its process is gone, and no one holds
/// its lock. (A live process's directory is never taken, even in the moment
/// between its creation and its lock.) Best effort: one that cannot be
/// removed stays, and does not stop this extraction.
fn remove_stale(parent: &OwnedFd, prefix: &[u8]) {
    let Ok(entries) = list(parent.as_fd()) else {
        return;
    };
    for (name, kind) in entries {
        let Some(pid) = name
            .strip_prefix(prefix)
            .filter(|_| kind == Kind::Directory)
            .and_then(staging_pid)
        else {
            continue;
        };
        let alive = rustix::process::Pid::from_raw(pid)
            .is_none_or(|pid| !matches!(rustix::process::test_kill_process(pid), Err(Errno::SRCH)));
        if alive {
            continue;
        }
        let name = OsStr::from_bytes(&name);
        let Ok(fd) = dir_at(parent.as_fd(), name) else {
            continue;
        };
        let ours = fstat(&fd).is_ok_and(|st| st.st_uid == rustix::process::geteuid().as_raw());
        if ours && flock(&fd, FlockOperation::NonBlockingLockExclusive).is_ok() {
            let _ = remove_tree(parent.as_fd(), name);
        }
    }
}

/// The process ID in a staging name's `PID-` + 16 hex digits, if it is one.
fn staging_pid(rest: &[u8]) -> Option<i32> {
    let (pid, random) = std::str::from_utf8(rest).ok()?.split_once('-')?;
    let hex = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (hex && digits).then(|| pid.parse().ok()).flatten()
}
