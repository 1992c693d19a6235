//! From verified to installed: extracting exactly the bytes that were
//! verified (`extract`), and checking an installed tree against a verified
//! package later (`tree`). Both use one rule for the mode a file gets
//! ([`InstallOptions`]). Unix only: both work relative to directory
//! descriptors and never follow a symbolic link (`fs`).

mod error;
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod extract;
#[cfg(unix)]
mod fs;
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod staging;
#[cfg(unix)]
mod tree;

pub use error::{
    ExtractError, Modification, TargetProblem, TreeDifference, TreeError, TreeMismatch,
};

use crate::manifest::FileEntry;

/// The mode a file gets when the manifest gives none.
pub const DEFAULT_FILE_MODE: u32 = 0o644;

/// How verified files are installed: the modes they get and whether they
/// are flushed to disk.
///
/// A file gets exactly the manifest's `mode` (0644 where it gives none),
/// whatever the process umask, except the setuid, setgid and sticky bits:
/// like `unzip` (without `-K`) and `tar` for a user other than root, they are
/// dropped unless [`InstallOptions::keep_special_bits`] asks for them, so a
/// package cannot make a setuid program appear in an operator's tree by
/// being extracted. Directories get 0755. Files belong to the running user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallOptions {
    keep_special_bits: bool,
    sync: bool,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            keep_special_bits: false,
            sync: true,
        }
    }
}

impl InstallOptions {
    /// The defaults: special bits dropped, everything flushed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the setuid, setgid and sticky bits a signed manifest asks for.
    #[must_use]
    pub fn keep_special_bits(mut self, keep: bool) -> Self {
        self.keep_special_bits = keep;
        self
    }

    /// Whether files and directories are flushed (`fsync`) before the
    /// extraction is renamed into place (the default, as dpkg does). Without
    /// it a crash soon after can leave the directory with empty or partial
    /// files.
    #[must_use]
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// The mode `file` gets when installed: the one rule, for extraction and
    /// for checking an installed tree.
    pub fn mode_of(&self, file: &FileEntry) -> u32 {
        let mode = file.mode.unwrap_or(DEFAULT_FILE_MODE);
        if self.keep_special_bits {
            mode & 0o7777
        } else {
            mode & 0o777
        }
    }

    /// Whether the special bits of `file`'s mode are dropped when installed.
    pub fn drops_special_bits(&self, file: &FileEntry) -> bool {
        !self.keep_special_bits && file.mode.unwrap_or(0) & 0o7000 != 0
    }
}
