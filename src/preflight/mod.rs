//! Operator preflight: what a verified package will do to this system,
//! checked in the same pass as the signature (`docs/PREFLIGHT.md`).
//!
//! The manifest's operator metadata (`metadata`) and what the scan
//! (`scan`, a content sink of the verification pipeline) observes in the
//! payload's text (`observe`: hosts, credentials, privilege, units,
//! migrations, scheduled tasks) are compared with the operator's
//! [`Inventory`] (`checks`), giving [`Finding`]s with a stable
//! [`FindingCode`] and a [`Severity`], gathered in a [`Preflight`]. The
//! version rule (`version`) compares installed versions that need not be
//! SemVer with the manifest's SemVer requirements.
//!
//! Findings exist only for a package that verified: the scan keeps what it
//! saw of an entry only once the entry's bytes verified, and the caller
//! runs the checks only on a verified package.

mod checks;
mod finding;
mod hosts;
mod inventory;
mod metadata;
mod observe;
mod scan;
mod schedule;
mod secrets;
mod shell;
mod sql;
mod version;

#[cfg(test)]
mod tests;

pub(crate) use checks::check;
pub use finding::{Finding, FindingCode, Preflight, Severity, MAX_FINDINGS_PER_CODE};
pub use inventory::{Inventory, InventoryError};

pub(crate) use scan::Scan;
