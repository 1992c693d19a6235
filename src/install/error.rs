//! Why a package could not be extracted, or an installed tree does not
//! match: one error type per operation, as in `crate::error`.

use std::io;

use crate::outcome::{Rejection, VerifiedPackage};

/// Why a package could not be extracted. Whatever the reason, nothing
/// pkgverify created is left behind (unless [`ExtractError::Leftover`] says
/// otherwise), and an existing directory is never touched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The package was rejected, or could not be read (its kind).
    #[error("{0}")]
    Rejected(Rejection),
    /// The directory to extract into cannot be used (kind `usage`).
    #[error("cannot extract into \"{dir}\": {problem}")]
    Target {
        /// The directory, as given.
        dir: String,
        /// Why not.
        problem: TargetProblem,
    },
    /// Writing the extracted files failed (kind `io`).
    #[error("cannot write \"{path}\": {source}; nothing was extracted")]
    Write {
        /// The file or directory being written, as it would be named once extracted.
        path: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The package verified, but preflight found an error for this system
    /// (kind `preflight_failed`): the package is authentic, it is not safe
    /// to install here, so nothing was extracted. The verified package
    /// carries the findings ([`VerifiedPackage::preflight`]).
    #[error("the package verified, but preflight found {} error(s) for this system, so nothing was extracted: {}", errors(.0), first_error(.0))]
    Preflight(Box<VerifiedPackage>),
    /// Extraction failed, and removing the staging directory failed too:
    /// it is left, named here, and may be removed (the next extraction into
    /// the same directory removes it).
    #[error(
        "{cause}; the staging directory \"{staging}\" could not be removed ({source}): remove it"
    )]
    Leftover {
        /// The staging directory left behind.
        staging: String,
        /// Why it could not be removed.
        source: io::Error,
        /// Why extraction failed.
        cause: Box<ExtractError>,
    },
}

impl ExtractError {
    /// A stable snake_case name for the kind of error: the rejection's kind,
    /// `usage` for an unusable target directory, `io` for a write failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Rejected(r) => r.kind(),
            Self::Target { .. } => "usage",
            Self::Write { .. } => "io",
            Self::Preflight(_) => "preflight_failed",
            Self::Leftover { cause, .. } => cause.kind(),
        }
    }

    /// The verified package, when it verified but preflight stopped the
    /// extraction.
    pub fn verified(&self) -> Option<&VerifiedPackage> {
        match self {
            Self::Preflight(p) => Some(p),
            Self::Leftover { cause, .. } => cause.verified(),
            _ => None,
        }
    }

    /// The rejection, when the package itself was refused.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Rejected(r) => Some(r),
            Self::Leftover { cause, .. } => cause.rejection(),
            _ => None,
        }
    }
}

/// Why a directory cannot be extracted into.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetProblem {
    /// It exists (as anything, a symbolic link included): extraction
    /// creates a new directory and never merges into or replaces one.
    #[error("it exists; extraction creates a new directory and never writes into an existing one: choose a path that does not exist")]
    Exists,
    /// Its parent directory cannot be opened.
    #[error("its parent directory cannot be opened ({0}): create it first")]
    Parent(io::Error),
    /// The path does not end in a name (`/`, `.`, `..`).
    #[error("the path does not end in a new directory's name")]
    NotAName,
    /// Something created it while the package was being verified; it was
    /// left as it is and the extraction discarded.
    #[error("it was created by someone else while the package was verified; it was left untouched and nothing was extracted")]
    CreatedMeanwhile,
    /// The file system cannot rename without replacing (`RENAME_NOREPLACE`),
    /// so the extraction could not be made atomic.
    #[error("its file system cannot rename a directory without replacing ({0}), so extraction cannot be made atomic there: extract onto another file system")]
    RenameUnsupported(io::Error),
}

/// Why an installed tree could not be compared with a verified package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The tree differs from the signed manifest (kind `tree_mismatch`).
    #[error("{0}")]
    Mismatch(TreeMismatch),
    /// The tree could not be read (kind `io`).
    #[error("cannot read \"{path}\": {source}")]
    Read {
        /// The file or directory.
        path: String,
        /// The operating system's reason.
        source: io::Error,
    },
}

impl TreeError {
    /// A stable snake_case name: `tree_mismatch` or `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Mismatch(_) => "tree_mismatch",
            Self::Read { .. } => "io",
        }
    }
}

/// Every way an installed tree differs from the package's signed manifest,
/// by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeMismatch {
    /// The differences, sorted by path.
    pub differences: Vec<TreeDifference>,
}

impl std::fmt::Display for TreeMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.differences.len();
        write!(
            f,
            "the tree differs from the signed manifest in {n} place{}: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, d) in self.differences.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// One way an installed tree differs from the signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TreeDifference {
    /// A listed file is not there (or a directory on its path is not a directory).
    #[error("\"{path}\" is missing")]
    Missing {
        /// The manifest path.
        path: String,
    },
    /// A listed file's content or type differs.
    #[error("\"{path}\" is modified: {change}")]
    Modified {
        /// The manifest path.
        path: String,
        /// How.
        change: Modification,
    },
    /// A listed file's permission bits differ from what extraction sets.
    #[error("\"{path}\" has mode {actual:04o}, extraction sets {expected:04o}")]
    ModeChanged {
        /// The manifest path.
        path: String,
        /// The mode extraction sets.
        expected: u32,
        /// The mode found.
        actual: u32,
    },
    /// Something the manifest does not list (a file, a directory no listed
    /// file needs, a symbolic link, a device).
    #[error("\"{path}\" is not in the package ({what})")]
    Extra {
        /// Its path in the tree (lossily decoded if not UTF-8).
        path: String,
        /// `file`, `directory` or `other` (symbolic link, device, socket, FIFO).
        what: &'static str,
    },
}

impl TreeDifference {
    /// The path concerned.
    pub fn path(&self) -> &str {
        match self {
            Self::Missing { path }
            | Self::Modified { path, .. }
            | Self::ModeChanged { path, .. }
            | Self::Extra { path, .. } => path,
        }
    }

    /// `missing`, `modified`, `mode_changed` or `extra`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "missing",
            Self::Modified { .. } => "modified",
            Self::ModeChanged { .. } => "mode_changed",
            Self::Extra { .. } => "extra",
        }
    }
}

/// How a listed file's content or type differs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Modification {
    /// It is not a regular file (a directory, a symbolic link, a device).
    #[error("not a regular file")]
    NotAFile,
    /// Its size differs.
    #[error("{actual} bytes, the manifest says {expected}")]
    Size {
        /// The manifest's size.
        expected: u64,
        /// The size found.
        actual: u64,
    },
    /// Its SHA-256 differs.
    #[error("SHA-256 is {actual}, the manifest says {expected}")]
    Digest {
        /// The manifest's digest, hex.
        expected: String,
        /// The digest found, hex.
        actual: String,
    },
}

/// How many error findings preflight has for `package`.
fn errors(package: &VerifiedPackage) -> usize {
    package.preflight().map_or(0, |p| {
        p.findings()
            .iter()
            .filter(|f| f.severity == crate::Severity::Error)
            .count()
    })
}

/// The first error finding's message, for the one-line reason.
fn first_error(package: &VerifiedPackage) -> String {
    package
        .preflight()
        .and_then(|p| {
            p.findings()
                .iter()
                .find(|f| f.severity == crate::Severity::Error)
        })
        .map_or_else(String::new, |f| format!("[{}] {}", f.code, f.message))
}
