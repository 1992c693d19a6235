//! What the scan observed in the payload: hosts, credentials, privilege,
//! units, schema changes and scheduled tasks, each at an entry path and a
//! 1-based line. Bounded: at most [`MAX_KEPT`] of each kind are kept, the
//! ones first by path and line whatever order the entries were scanned in;
//! the rest are counted. What the inventory already answers (a host it
//! lists as reachable, a unit it has) is dropped before the bound, so that
//! harmless observations can never crowd out one that is a finding.

use std::sync::Arc;

use super::inventory::Inventory;

/// Most observations of one kind kept per entry and for the whole payload.
pub(crate) const MAX_KEPT: usize = 100;

/// How a host came up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Via {
    /// A command connects to it (sftp, scp, ssh, rsync, curl, wget, nc,
    /// ftp, a database client, git).
    Command(String),
    /// A URL names it.
    Url,
    /// The value of a configuration key or variable that names a host.
    Key(String),
}

impl Via {
    /// Whether the payload connects to the host, rather than naming it.
    pub(crate) fn connects(&self) -> bool {
        matches!(self, Self::Command(_))
    }
}

/// One kind of thing seen, with its details (never a secret's value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Seen {
    /// A host, lowercase.
    Host { host: String, via: Via },
    /// A credential: what holds it (a key name, "a PEM private key block",
    /// "an AWS access key ID") and a length, never the value.
    Credential { what: String },
    /// `sudo`, `su` or `doas` used as a command.
    Privilege { command: String },
    /// A unit a command starts, stops, restarts, reloads, enables or disables.
    Unit { unit: String, action: String },
    /// The first schema change of an entry that takes no lock.
    UnlockedMigration { statement: String },
    /// A scheduled task the payload installs.
    Task {
        schedule: String,
        command: String,
        origin: &'static str,
    },
}

/// Number of kinds of [`Seen`] (a host connected to and a host only named
/// are two kinds: their findings differ in severity).
pub(crate) const KINDS: usize = 7;

/// Longest text kept in an observation (a task's command, a unit name);
/// longer text is cut and ends with "...".
pub(crate) const MAX_TEXT: usize = 256;

fn clip(s: &mut String) {
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
}

impl Seen {
    /// Cuts its texts to [`MAX_TEXT`] bytes.
    fn clipped(mut self) -> Self {
        match &mut self {
            Self::Host { host, via } => {
                clip(host);
                if let Via::Command(t) | Via::Key(t) = via {
                    clip(t);
                }
            }
            Self::Credential { what: t }
            | Self::Privilege { command: t }
            | Self::UnlockedMigration { statement: t } => clip(t),
            Self::Unit { unit, action } => {
                clip(unit);
                clip(action);
            }
            Self::Task {
                schedule, command, ..
            } => {
                clip(schedule);
                clip(command);
            }
        }
        self
    }

    /// Index of its kind, for the caps.
    pub(crate) fn kind(&self) -> usize {
        match self {
            Self::Host { via, .. } if via.connects() => 0,
            Self::Host { .. } => 6,
            Self::Credential { .. } => 1,
            Self::Privilege { .. } => 2,
            Self::Unit { .. } => 3,
            Self::UnlockedMigration { .. } => 4,
            Self::Task { .. } => 5,
        }
    }
}

/// One observation at an entry path and a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Observation {
    /// The payload entry.
    pub(crate) path: String,
    /// The 1-based line.
    pub(crate) line: u64,
    /// What was seen.
    pub(crate) seen: Seen,
}

/// The observations of one entry as it is scanned: the first [`MAX_KEPT`]
/// of each kind (lines arrive in order), the rest counted; a host is kept
/// once per way of use (connecting or naming).
#[derive(Debug, Default)]
pub(crate) struct Found {
    kinds: [Vec<Observation>; KINDS],
    dropped: [u64; KINDS],
    /// The system the findings are for, when known while scanning.
    inventory: Option<Arc<Inventory>>,
}

impl Found {
    /// Observations of an entry scanned for the system `inventory`
    /// describes (`None`: keep everything).
    pub(crate) fn new(inventory: Option<Arc<Inventory>>) -> Self {
        Self {
            inventory,
            ..Self::default()
        }
    }

    /// Whether the inventory already answers `seen`: it can never be a
    /// finding on this system (the same rules as the checks').
    fn answered(&self, seen: &Seen) -> bool {
        let Some(inventory) = &self.inventory else {
            return false;
        };
        match seen {
            Seen::Host { host, .. } => inventory.reaches(host),
            Seen::Unit { unit, .. } => inventory.has_unit(unit),
            _ => false,
        }
    }

    /// Records `seen` at `line` of `path`.
    pub(crate) fn push(&mut self, path: &str, line: u64, seen: Seen) {
        if self.answered(&seen) {
            return;
        }
        let k = seen.kind();
        let (Some(list), Some(dropped)) = (self.kinds.get_mut(k), self.dropped.get_mut(k)) else {
            return;
        };
        if let Seen::Host { host, via } = &seen {
            if list.iter().any(|o| {
                matches!(&o.seen, Seen::Host { host: h, via: v } if h == host && v.connects() == via.connects())
            }) {
                return;
            }
        }
        if list.len() < MAX_KEPT {
            list.push(Observation {
                path: path.to_owned(),
                line,
                seen: seen.clipped(),
            });
        } else {
            *dropped = dropped.saturating_add(1);
        }
    }
}

/// Everything the scan kept from verified entries, in a deterministic
/// order (path, then line), and how many of each kind it did not keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Observations {
    kinds: [Vec<Observation>; KINDS],
    dropped: [u64; KINDS],
}

impl Observations {
    /// Adds one entry's observations, keeping the first [`MAX_KEPT`] of
    /// each kind by (path, line): the same set whatever the order of entries.
    pub(crate) fn merge(&mut self, found: Found) {
        for (k, (mut items, dropped)) in found.kinds.into_iter().zip(found.dropped).enumerate() {
            let (Some(list), Some(d)) = (self.kinds.get_mut(k), self.dropped.get_mut(k)) else {
                continue;
            };
            if items.is_empty() && dropped == 0 {
                continue;
            }
            // Two sorted runs: the sort merges them in linear time.
            list.append(&mut items);
            list.sort();
            *d = d.saturating_add(dropped);
            if list.len() > MAX_KEPT {
                let extra = list.len() - MAX_KEPT;
                list.truncate(MAX_KEPT);
                *d = d.saturating_add(u64::try_from(extra).unwrap_or(u64::MAX));
            }
        }
    }

    /// Every kept observation, by kind, then path and line.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Observation> {
        self.kinds.iter().flatten()
    }

    /// How many observations of the kind of `seen` were not kept.
    pub(crate) fn dropped(&self, kind: usize) -> u64 {
        self.dropped.get(kind).copied().unwrap_or(0)
    }
}
