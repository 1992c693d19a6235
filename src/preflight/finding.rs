//! What preflight reports: findings with a stable code and a severity, and
//! the result of one preflight run.

use std::fmt;

/// How much a finding matters for installing the package on this system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Installing as things stand would break something: preflight fails.
    Error,
    /// Worth a look before installing; preflight still passes.
    Warning,
    /// For the record (a scheduled task the package adds, for instance).
    Info,
}

impl Severity {
    /// A stable lowercase name: `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about; each code has one severity rule, documented in
/// `docs/PREFLIGHT.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// A required package is missing or outside its constraint (error).
    RequiresUnsatisfied,
    /// A required package's constraint has no upper bound (warning).
    LooseConstraint,
    /// The installed product's version is not one this package upgrades
    /// from, or is newer than the package (error).
    UpgradePath,
    /// The operator still sets a configuration key the package removes (error).
    ConfigRemoved,
    /// The operator sets a configuration key the package deprecates (warning).
    ConfigDeprecated,
    /// A configuration key the package requires is missing or different (error).
    ConfigRequired,
    /// A scheduled task the package declares or carries (info; warning when
    /// the payload carries one the manifest does not declare).
    ScheduledTask,
    /// A script or scheduled task connects to a host not listed as reachable (error).
    EndpointUnreachable,
    /// Scripts or configuration name a host not listed as reachable (warning).
    ExternalEndpoint,
    /// A literal password, secret, token or private key in the payload (error).
    HardcodedCredential,
    /// A script uses `sudo` or `su` (error when the inventory forbids it).
    PrivilegeAssumption,
    /// A unit the package starts, stops or restarts is not on the system (error).
    UnitMissing,
    /// A schema change without a lock or lock timeout (warning).
    MigrationWithoutLock,
    /// The package asks for or recommends a reboot (warning).
    Reboot,
    /// A manifest metadata key has the wrong shape: the vendor's mistake (error).
    MetadataInvalid,
}

impl FindingCode {
    /// A stable snake_case name for reports and pipelines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequiresUnsatisfied => "requires_unsatisfied",
            Self::LooseConstraint => "loose_constraint",
            Self::UpgradePath => "upgrade_path",
            Self::ConfigRemoved => "config_removed",
            Self::ConfigDeprecated => "config_deprecated",
            Self::ConfigRequired => "config_required",
            Self::ScheduledTask => "scheduled_task",
            Self::EndpointUnreachable => "endpoint_unreachable",
            Self::ExternalEndpoint => "external_endpoint",
            Self::HardcodedCredential => "hardcoded_credential",
            Self::PrivilegeAssumption => "privilege_assumption",
            Self::UnitMissing => "unit_missing",
            Self::MigrationWithoutLock => "migration_without_lock",
            Self::Reboot => "reboot",
            Self::MetadataInvalid => "metadata_invalid",
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing preflight found: what, how much it matters, where in the
/// payload (when it comes from payload content) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What it is about.
    pub code: FindingCode,
    /// How much it matters.
    pub severity: Severity,
    /// A sentence naming both sides (the package's and the inventory's) and
    /// what to do. Strings from the package appear as they are: show them
    /// through [`Escaped`](crate::Escaped).
    pub message: String,
    /// The payload entry it comes from, if it comes from payload content.
    pub path: Option<String>,
    /// The 1-based line in that entry.
    pub line: Option<u64>,
}

impl Finding {
    /// A finding about the manifest or the inventory (no payload location).
    pub(crate) fn new(code: FindingCode, severity: Severity, message: String) -> Self {
        Self {
            code,
            severity,
            message,
            path: None,
            line: None,
        }
    }

    /// A finding at a line of a payload entry.
    pub(crate) fn at(
        code: FindingCode,
        severity: Severity,
        message: String,
        path: &str,
        line: u64,
    ) -> Self {
        Self {
            code,
            severity,
            message,
            path: Some(path.to_owned()),
            line: Some(line),
        }
    }

    /// The order findings are listed in: severity, location (manifest and
    /// inventory first), code, message.
    fn key(&self) -> (Severity, Option<&str>, Option<u64>, FindingCode, &str) {
        (
            self.severity,
            self.path.as_deref(),
            self.line,
            self.code,
            &self.message,
        )
    }
}

/// Most findings listed per code; the rest are counted in one more finding
/// of that code ("and K more").
pub const MAX_FINDINGS_PER_CODE: usize = 100;

/// The outcome of preflight for one verified package on one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    findings: Vec<Finding>,
}

impl Preflight {
    /// Sorts the findings and keeps at most [`MAX_FINDINGS_PER_CODE`] per
    /// code (plus one that counts the rest); `unlisted` adds, per code,
    /// occurrences the scan counted but did not keep.
    pub(crate) fn new(
        mut findings: Vec<Finding>,
        unlisted: &[(FindingCode, Severity, u64)],
    ) -> Self {
        findings.sort_by(|a, b| a.key().cmp(&b.key()));
        findings.dedup();
        let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
        let mut counts: std::collections::BTreeMap<FindingCode, (Severity, usize, u64)> =
            std::collections::BTreeMap::new();
        for f in findings {
            let c = counts.entry(f.code).or_insert((f.severity, 0, 0));
            if c.1 < MAX_FINDINGS_PER_CODE {
                c.1 += 1;
                kept.push(f);
            } else {
                c.2 += 1;
            }
        }
        for (code, severity, n) in unlisted {
            let c = counts.entry(*code).or_insert((*severity, 0, 0));
            c.2 = c.2.saturating_add(*n);
        }
        for (code, (severity, _, more)) in counts {
            if more > 0 {
                kept.push(Finding::new(
                    code,
                    severity,
                    format!(
                        "and {more} more {code} finding(s) not listed: preflight lists at most {MAX_FINDINGS_PER_CODE} per code and the scan keeps as many per entry; look through the payload for the rest"
                    ),
                ));
            }
        }
        kept.sort_by(|a, b| a.key().cmp(&b.key()));
        Self { findings: kept }
    }

    /// Fuzzing only: scans `entries` (path, bytes) in chunks of `chunk`
    /// bytes as verified payload and runs the checks for `manifest` against
    /// `inventory`.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn fuzz_run(
        manifest: &crate::Manifest,
        inventory: &crate::Inventory,
        entries: &[(&str, &[u8])],
        chunk: usize,
    ) -> Self {
        use crate::sink::Sink;
        let scan = super::Scan::new();
        for (path, bytes) in entries {
            let file = crate::FileEntry {
                path: (*path).to_owned(),
                size: bytes.len() as u64,
                sha256: [0; 32],
                mode: None,
            };
            if let Ok(mut e) = scan.entry(&file) {
                for c in bytes.chunks(chunk.max(1)) {
                    let _ = e.chunk(c);
                }
                let _ = e.end(true);
            }
        }
        super::check(manifest, inventory, &scan.finish())
    }

    /// Whether no finding is an error: the package may be installed here.
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Every finding, errors first, then warnings, then infos; within a
    /// severity by entry path and line, then code.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }
}
