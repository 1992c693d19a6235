//! The command line: options, and the caller's mistakes.

use clap::Parser;
use pkgverify::{ExtractError, InventoryError, LoadError};

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    version,
    about = "Verify a signed upgrade package before anything in it runs",
    after_help = AFTER_HELP
)]
pub(crate) struct Args {
    /// Trust policy file (TOML): anchors with trust windows, intermediates,
    /// CRLs, signer rules, distrust list, threshold.
    #[arg(long = "trust", value_name = "POLICY")]
    pub(crate) trust: Option<String>,
    /// Trust anchor certificates (PEM or DER); repeatable; at least one
    /// unless --trust gives anchors.
    #[arg(long = "root", value_name = "FILE")]
    pub(crate) roots: Vec<String>,
    /// Vendor intermediates for path building, e.g. an advisory or cross-signed chain; repeatable.
    #[arg(long = "intermediates", value_name = "FILE")]
    pub(crate) intermediates: Vec<String>,
    /// Certificate revocation lists (PEM or DER); repeatable.
    #[arg(long = "crl", value_name = "FILE")]
    pub(crate) crls: Vec<String>,
    /// Time-stamping authority anchors (PEM or DER), a trust store of their
    /// own: a signature timestamped by one is judged at its time; repeatable.
    #[arg(long = "tsa-root", value_name = "FILE")]
    pub(crate) tsa_roots: Vec<String>,
    /// Intermediates for the time-stamping authorities' chains; repeatable.
    #[arg(long = "tsa-intermediates", value_name = "FILE")]
    pub(crate) tsa_intermediates: Vec<String>,
    /// Verification time: RFC 3339 (2027-06-01T12:00:00Z) or a date
    /// (2027-06-01, its 00:00:00Z); default: now, from the system clock.
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// Print exactly one JSON object on stdout, in every case (wins over --quiet).
    #[arg(long)]
    pub(crate) json: bool,
    /// Print no verdict; only the exit status tells (a caller's mistake
    /// still gets one line on stderr).
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Add every payload file (path, size, sha256, mode) to the report.
    #[arg(long)]
    pub(crate) list: bool,
    /// Refuse a package with another name (the manifest's package.name).
    #[arg(long = "expect-name", value_name = "NAME")]
    pub(crate) expect_name: Option<String>,
    /// Refuse a package older than VERSION (SemVer 2.0): the anti-rollback floor.
    #[arg(long = "min-version", value_name = "VERSION")]
    pub(crate) min_version: Option<String>,
    /// Extract the verified payload into DIR (which must not exist; its parent must).
    #[arg(long, value_name = "DIR", conflicts_with = "check_tree")]
    pub(crate) extract: Option<String>,
    /// Compare the installed tree DIR with the verified package's manifest.
    #[arg(long = "check-tree", value_name = "DIR")]
    pub(crate) check_tree: Option<String>,
    /// Keep the setuid, setgid and sticky bits a manifest asks for (dropped by default).
    #[arg(long = "keep-special-bits")]
    pub(crate) keep_special_bits: bool,
    /// With --extract: do not flush files to disk before the final rename
    /// (faster; a crash soon after may leave partial files).
    #[arg(long = "no-sync", requires = "extract")]
    pub(crate) no_sync: bool,
    /// Warnings (an anchor that is not a CA, revocation not checked, a
    /// deadline or expiry within --warn-days, ...) reject the package
    /// (exit 1, kind warnings_denied).
    #[arg(long = "deny-warnings")]
    pub(crate) deny_warnings: bool,
    /// How many days ahead an expiring certificate or anchor window is
    /// warned about.
    #[arg(long = "warn-days", value_name = "DAYS", default_value_t = 30)]
    pub(crate) warn_days: u32,
    /// Operator preflight against this inventory (TOML, docs/PREFLIGHT.md):
    /// what the verified package will do to that system, from the same
    /// read. An error finding is exit 3 (and nothing is extracted).
    #[arg(long, value_name = "INVENTORY")]
    pub(crate) preflight: Option<String>,
    /// The package file, or - for standard input. A FIFO or device (as
    /// `<(...)` gives) is read as a stream.
    #[arg(value_name = "PACKAGE")]
    pub(crate) package: String,
}

const AFTER_HELP: &str = "\
Exit status:
  0  verified (and extracted, or the installed tree matches)
  1  rejected: the package, or the tree (error.kind in --json says why)
  2  the caller's or the environment's problem: bad arguments, an unreadable
     file, an unusable trust input, policy or inventory, a failed write (also
     of this report: a closed pipe, a full disk)
  3  verified, but --preflight found an error for this system: the package
     is authentic, it is not safe to install here (nothing was extracted)

Examples:
  verify --root root-g1.pem --intermediates advisory-chain.pem package.zip
  curl -sSf https://vendor.example/pkg.zip | verify --trust policy.toml --json -

Documentation: docs/REPORT.md (report, kinds), docs/POLICY.md (trust policy),
docs/PREFLIGHT.md (inventory, findings),
docs/FORMAT.md (package format).";

/// Not the package's fault: the caller's mistake or the environment's;
/// exit 2, with the kind of the error's type (except an extraction whose
/// staging directory could not be removed after a rejection: exit 1).
pub(crate) enum Usage {
    /// Bad arguments, an unreadable package path (kind `usage`).
    Arguments(String),
    /// A trust input or policy that cannot be loaded (its own kind), and
    /// the option it came from.
    Load(&'static str, LoadError),
    /// An unusable target directory (`usage`), a failed write (`io`).
    Extract(ExtractError),
    /// An inventory that cannot be loaded (`inventory_invalid`).
    Inventory(InventoryError),
}

impl Usage {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Arguments(_) => "usage",
            Self::Load(_, e) => e.kind(),
            Self::Extract(e) => e.kind(),
            Self::Inventory(e) => e.kind(),
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Self::Arguments(m) => m.clone(),
            Self::Load(option, e) => format!("{option}: {e}"),
            Self::Extract(e) => e.to_string(),
            Self::Inventory(e) => format!("--preflight: {e}"),
        }
    }

    pub(crate) fn status(&self) -> u8 {
        match self {
            Self::Extract(e) if e.rejection().is_some() => 1,
            _ => 2,
        }
    }
}
