//! The checks: the manifest's operator metadata and what the scan observed
//! in the payload, compared with the operator's inventory. Each rule is
//! documented with its code in `docs/PREFLIGHT.md`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::manifest::Manifest;

use super::finding::{Finding, FindingCode as Code, Preflight, Severity};
use super::hosts;
use super::inventory::{normalize_unit, unit_is, ConfigValue, Inventory, Sudo};
use super::metadata::{self, DeclaredTask, Metadata, Reboot};
use super::observe::{Observation, Observations, Seen, Via};
use super::version;

/// Runs every check for a verified package's manifest and the scan of its
/// payload against the inventory.
pub(crate) fn check(
    manifest: &Manifest,
    inventory: &Inventory,
    observations: &Observations,
) -> Preflight {
    let (meta, mut findings) = metadata::parse(manifest.metadata());
    requires(&meta, inventory, &mut findings);
    upgrade_path(manifest, &meta, inventory, &mut findings);
    config(&meta, inventory, &mut findings);
    tasks(&meta, inventory, observations, &mut findings);
    payload(manifest, inventory, observations, &mut findings);
    let shipped = shipped_units(manifest);
    for service in &meta.services {
        match normalize_unit(service) {
            Some(unit) if unit_present(inventory, &shipped, &unit) => {}
            Some(unit) => findings.push(Finding::new(
                Code::UnitMissing,
                Severity::Error,
                format!(
                    "the manifest's services names {unit}, which the package starts, stops or restarts, but the inventory's [system] units does not list it (and the package does not ship it): was it renamed or removed on this system? Install or rename the unit before upgrading, or add it to [system] units if it exists"
                ),
            )),
            None => findings.push(Finding::new(
                Code::MetadataInvalid,
                Severity::Error,
                format!("manifest key `services` holds \"{service}\", which is not a unit name: the package is authentic (its signature verified), but its vendor wrote this key wrongly; ask the vendor for a corrected package"),
            )),
        }
    }
    match meta.reboot {
        Reboot::No => {}
        Reboot::Required => findings.push(Finding::new(
            Code::Reboot,
            Severity::Warning,
            "the package requires a reboot (manifest reboot = true): plan the downtime before installing".into(),
        )),
        Reboot::Recommended => findings.push(Finding::new(
            Code::Reboot,
            Severity::Warning,
            "the package recommends a reboot (manifest reboot = \"recommended\"): until the system is rebooted, parts of the upgrade may not be in effect; plan one".into(),
        )),
    }
    let unlisted: Vec<(Code, Severity, u64)> = [
        (0, Code::EndpointUnreachable, Severity::Error),
        (6, Code::ExternalEndpoint, Severity::Warning),
        (1, Code::HardcodedCredential, Severity::Error),
        (
            2,
            Code::PrivilegeAssumption,
            privilege_severity(inventory.sudo()),
        ),
        (3, Code::UnitMissing, Severity::Error),
        (4, Code::MigrationWithoutLock, Severity::Warning),
        // Tasks not listed were not compared with the manifest's: unreviewed.
        (5, Code::ScheduledTask, Severity::Warning),
    ]
    .into_iter()
    .map(|(kind, code, severity)| (code, severity, observations.dropped(kind)))
    .filter(|(_, _, n)| *n > 0)
    .collect();
    Preflight::new(findings, &unlisted)
}

fn requires(meta: &Metadata, inventory: &Inventory, findings: &mut Vec<Finding>) {
    for (name, r) in &meta.packages {
        let installed = inventory.installed(name);
        match installed {
            None => findings.push(Finding::new(
                Code::RequiresUnsatisfied,
                Severity::Error,
                format!(
                    "the package requires {name} {}, and the inventory's [installed] does not list {name}: install it first, or add its version to [installed] if it is there",
                    r.text
                ),
            )),
            Some(v) if !version::is_comparable(v) => findings.push(Finding::new(
                Code::RequiresUnsatisfied,
                Severity::Error,
                format!(
                    "the package requires {name} {}, and the inventory's [installed] gives {name} as \"{v}\", which does not start with a version number, so it cannot be compared: write the version as the package manager shows it (e.g. 3.0.11-1~deb12u2)",
                    r.text
                ),
            )),
            Some(v) if !version::satisfies(&r.req, v) => findings.push(Finding::new(
                Code::RequiresUnsatisfied,
                Severity::Error,
                format!(
                    "the package requires {name} {}, and the inventory says {name} {v} is installed, which does not satisfy it: bring {name} within the constraint before upgrading",
                    r.text
                ),
            )),
            Some(_) => {}
        }
        if version::is_loose(&r.req) {
            let now = installed.map_or_else(
                || "it is not installed".to_owned(),
                |v| format!("the installed {v} satisfies it today"),
            );
            findings.push(Finding::new(
                Code::LooseConstraint,
                Severity::Warning,
                format!(
                    "the package requires {name} {} with no upper bound ({now}): any future {name} release passes, including major versions the vendor never tested; ask the vendor for the tested range, or check {name}'s release notes before upgrading it",
                    r.text
                ),
            ));
        }
    }
}

fn upgrade_path(
    manifest: &Manifest,
    meta: &Metadata,
    inventory: &Inventory,
    findings: &mut Vec<Finding>,
) {
    let product = &manifest.package().name;
    let package_version = &manifest.package().version;
    let Some(installed) = inventory.installed(product) else {
        if meta.upgrade_from.is_empty() && meta.min_version.is_none() {
            findings.push(Finding::new(
                Code::UpgradePath,
                Severity::Info,
                format!("the inventory's [installed] does not list {product}: the package ({package_version}) is treated as a new installation"),
            ));
        } else {
            findings.push(Finding::new(
                Code::UpgradePath,
                Severity::Error,
                format!(
                    "the package upgrades {product} (from {}), and the inventory's [installed] does not list {product}: add the installed version to [installed], or, for a new installation, use the vendor's installation package",
                    describe_path(meta)
                ),
            ));
        }
        return;
    };
    if !version::is_comparable(installed) {
        findings.push(Finding::new(
            Code::UpgradePath,
            Severity::Error,
            format!(
                "the inventory's [installed] gives {product} as \"{installed}\", which does not start with a version number, so the upgrade path to {package_version} cannot be checked: write the installed version as the system shows it"
            ),
        ));
        return;
    }
    if version::compare_product(package_version, installed) == Ordering::Less {
        findings.push(Finding::new(
            Code::UpgradePath,
            Severity::Error,
            format!(
                "the package is {product} {package_version}, older than the installed {installed} (inventory [installed]): installing it is a downgrade; use a package of {installed} or later"
            ),
        ));
    }
    if !meta.upgrade_from.is_empty()
        && !meta
            .upgrade_from
            .iter()
            .any(|r| version::satisfies(&r.req, installed))
    {
        findings.push(Finding::new(
            Code::UpgradePath,
            Severity::Error,
            format!(
                "the package upgrades {product} only from {}, and the inventory says {installed} is installed: upgrade to a version it upgrades from first, or ask the vendor for the package for {installed}",
                meta.upgrade_from.iter().map(|r| format!("\"{}\"", r.text)).collect::<Vec<_>>().join(" or ")
            ),
        ));
    }
    if let Some(min) = &meta.min_version {
        if version::compare_product(installed, min) == Ordering::Less {
            findings.push(Finding::new(
                Code::UpgradePath,
                Severity::Error,
                format!(
                    "the package needs {product} {min} or later installed (requires.min_version), and the inventory says {installed} is installed: upgrade to {min} first"
                ),
            ));
        }
    }
}

fn describe_path(meta: &Metadata) -> String {
    let mut parts: Vec<String> = meta
        .upgrade_from
        .iter()
        .map(|r| format!("\"{}\"", r.text))
        .collect();
    if let Some(min) = &meta.min_version {
        parts.push(format!("at least {min}"));
    }
    parts.join(", ")
}

/// Whether a manifest value and an operator's value are the same setting:
/// same type and value, numbers numerically, or a string whose text is the
/// other's (`"true"` and `true`, `"30"` and `30`).
fn same_value(expected: &Value, actual: &ConfigValue) -> bool {
    match (expected, actual) {
        (Value::Bool(a), ConfigValue::Bool(b)) => a == b,
        (Value::String(a), ConfigValue::Text(b)) => a == b,
        (Value::Number(a), ConfigValue::Integer(b)) => {
            a.as_i64() == Some(*b) || (a.as_i64().is_none() && a.as_f64() == Some(*b as f64))
        }
        (Value::Number(a), ConfigValue::Float(b)) => a.as_f64() == Some(*b),
        (Value::String(a), other) => a.trim().eq_ignore_ascii_case(&plain(other)),
        (Value::Bool(_) | Value::Number(_), ConfigValue::Text(b)) => {
            b.trim().eq_ignore_ascii_case(&expected.to_string())
        }
        _ => false,
    }
}

/// An operator value as plain text (no quotes).
fn plain(v: &ConfigValue) -> String {
    match v {
        ConfigValue::Text(s) => s.clone(),
        other => other.to_string(),
    }
}

fn config(meta: &Metadata, inventory: &Inventory, findings: &mut Vec<Finding>) {
    for key in &meta.removed {
        if let Some(v) = inventory.config(key) {
            findings.push(Finding::new(
                Code::ConfigRemoved,
                Severity::Error,
                format!(
                    "the package removes configuration key `{key}` (config.removed), and the inventory's [config] still sets it ({key} = {v}): whatever relies on it stops working; migrate away from it and remove it before upgrading"
                ),
            ));
        }
    }
    for (old, new) in &meta.deprecated {
        if let Some(v) = inventory.config(old) {
            let also = match inventory.config(new) {
                Some(n) => format!(" (it also sets {new} = {n})"),
                None => String::new(),
            };
            findings.push(Finding::new(
                Code::ConfigDeprecated,
                Severity::Warning,
                format!(
                    "the package deprecates configuration key `{old}` in favour of `{new}` (config.deprecated), and the inventory's [config] sets {old} = {v}{also}: move the setting to `{new}`"
                ),
            ));
        }
    }
    for (key, expected) in &meta.required {
        match inventory.config(key) {
            None => findings.push(Finding::new(
                Code::ConfigRequired,
                Severity::Error,
                format!(
                    "the package requires configuration key `{key}` = {expected} (config.required), and the inventory's [config] does not set it: set {key} = {expected} before upgrading"
                ),
            )),
            Some(v) if !same_value(expected, v) => findings.push(Finding::new(
                Code::ConfigRequired,
                Severity::Error,
                format!(
                    "the package requires configuration key `{key}` = {expected} (config.required), and the inventory's [config] has {key} = {v}: set it to {expected} before upgrading"
                ),
            )),
            Some(_) => {}
        }
    }
}

/// The host a `reaches` entry names: a URL's host or a bare host.
fn reached_host(entry: &str) -> Option<String> {
    if entry.contains("://") {
        hosts::urls(entry).into_iter().find_map(|u| u.host)
    } else {
        let e = entry.rsplit_once('@').map_or(entry, |(_, h)| h);
        hosts::host_port(e.split('/').next().unwrap_or(e), false)
    }
}

/// Whether a payload task runs what a declared task says it runs.
fn matches(declared: &DeclaredTask, command: &str) -> bool {
    let d = declared.command.trim();
    !d.is_empty() && (command.contains(d) || d.contains(command.trim_start_matches("starts ")))
}

fn tasks(
    meta: &Metadata,
    inventory: &Inventory,
    observations: &Observations,
    findings: &mut Vec<Finding>,
) {
    let payload: Vec<&Observation> = observations
        .iter()
        .filter(|o| matches!(o.seen, Seen::Task { .. }))
        .collect();
    let mut matched = BTreeSet::new();
    for (i, t) in meta.tasks.iter().enumerate() {
        let name = t
            .name
            .as_deref()
            .map_or_else(|| format!("scheduled_tasks[{i}]"), |n| format!("`{n}`"));
        let found = payload
            .iter()
            .enumerate()
            .find(|(_, o)| matches!(&o.seen, Seen::Task { command, .. } if matches(t, command)));
        let message = |where_: String| {
            format!(
                "the package declares scheduled task {name}: `{}` on schedule `{}`{where_}; check that the system can afford it then (load, disk, the hosts it reaches)",
                t.command, t.schedule
            )
        };
        match found {
            Some((j, o)) => {
                matched.insert(j);
                let Seen::Task {
                    schedule, origin, ..
                } = &o.seen
                else {
                    continue;
                };
                let differs = if schedule == &t.schedule {
                    String::new()
                } else {
                    format!(" (there on schedule `{schedule}`)")
                };
                findings.push(Finding::at(
                    Code::ScheduledTask,
                    Severity::Info,
                    message(format!(", installed by {origin}{differs}")),
                    &o.path,
                    o.line,
                ));
            }
            None => findings.push(Finding::new(
                Code::ScheduledTask,
                Severity::Info,
                message(String::new()),
            )),
        }
        for (k, entry) in t.reaches.iter().enumerate() {
            match reached_host(entry) {
                Some(host) if inventory.reaches(&host) => {}
                Some(host) => findings.push(Finding::new(
                    Code::EndpointUnreachable,
                    Severity::Error,
                    format!(
                        "scheduled task {name} reaches {host} (\"{entry}\" in the manifest), which the inventory's [network] reachable does not list: every run will fail here (and may fill logs or disks with errors); disable the task or have the vendor retarget it, or add the host to [network] reachable if the system can reach it"
                    ),
                )),
                None => findings.push(Finding::new(
                    Code::MetadataInvalid,
                    Severity::Error,
                    format!(
                        "manifest key `scheduled_tasks[{i}].reaches[{k}]` holds \"{entry}\", which is neither a URL nor a host name: the package is authentic (its signature verified), but its vendor wrote this key wrongly; ask the vendor for a corrected package"
                    ),
                )),
            }
        }
    }
    for (j, o) in payload.iter().enumerate() {
        if matched.contains(&j) {
            continue;
        }
        let Seen::Task {
            schedule,
            command,
            origin,
        } = &o.seen
        else {
            continue;
        };
        let note = if meta.tasks.is_empty() {
            "the manifest declares no scheduled_tasks"
        } else {
            "the manifest's scheduled_tasks does not declare it"
        };
        findings.push(Finding::at(
            Code::ScheduledTask,
            Severity::Warning,
            format!(
                "the payload installs a scheduled task ({origin}): `{command}` on schedule `{schedule}`, and {note}: check what it runs, when, and what it reaches before installing"
            ),
            &o.path,
            o.line,
        ));
    }
}

/// Units the payload itself ships: unit files, and SysV init scripts
/// (`init.d/NAME` is `NAME.service` to systemd).
fn shipped_units(manifest: &Manifest) -> BTreeSet<String> {
    let mut shipped = BTreeSet::new();
    for f in manifest.files() {
        let mut parts = f.path.rsplit('/');
        let name = parts.next().unwrap_or(&f.path);
        shipped.insert(name.to_owned());
        if parts.next() == Some("init.d") {
            shipped.insert(format!("{name}.service"));
        }
    }
    shipped
}

/// Whether `unit` is on this system or comes with the package (the one
/// rule for the manifest's `services` and the payload's unit commands).
fn unit_present(inventory: &Inventory, shipped: &BTreeSet<String>, unit: &str) -> bool {
    inventory.has_unit(unit) || shipped.iter().any(|s| unit_is(s, unit))
}

fn privilege_severity(sudo: Sudo) -> Severity {
    match sudo {
        Sudo::Denied => Severity::Error,
        Sudo::Unstated => Severity::Warning,
        Sudo::Allowed => Severity::Info,
    }
}

/// Findings from what the scan observed in the payload.
fn payload(
    manifest: &Manifest,
    inventory: &Inventory,
    observations: &Observations,
    findings: &mut Vec<Finding>,
) {
    let shipped = shipped_units(manifest);
    // Hosts a given entry connects to: naming them there too is no second finding.
    let mut connected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for o in observations.iter() {
        if let Seen::Host { host, via } = &o.seen {
            if via.connects() {
                connected
                    .entry(o.path.as_str())
                    .or_default()
                    .insert(host.as_str());
            }
        }
    }
    for o in observations.iter() {
        let at = |code, severity, message| Finding::at(code, severity, message, &o.path, o.line);
        match &o.seen {
            Seen::Host { host, via } => {
                if inventory.reaches(host) {
                    continue;
                }
                match via {
                    Via::Command(command) => findings.push(at(
                        Code::EndpointUnreachable,
                        Severity::Error,
                        format!(
                            "{command} connects to {host}, which the inventory's [network] reachable does not list: from this system the connection will fail; have the vendor remove or retarget it, or add the host to [network] reachable if the system can reach it"
                        ),
                    )),
                    Via::Url | Via::Key(_) => {
                        if connected.get(o.path.as_str()).is_some_and(|h| h.contains(host.as_str())) {
                            continue;
                        }
                        let how = match via {
                            Via::Key(k) => format!("as the value of `{k}`"),
                            _ => "in a URL".to_owned(),
                        };
                        findings.push(at(
                            Code::ExternalEndpoint,
                            Severity::Warning,
                            format!(
                                "names host {host} {how}, which the inventory's [network] reachable does not list: find out what uses it; add it to [network] reachable if the system can reach it"
                            ),
                        ));
                    }
                }
            }
            Seen::Credential { what } => findings.push(at(
                Code::HardcodedCredential,
                Severity::Error,
                format!(
                    "{what}: a credential shipped in a package is known to everyone who has the package; have the vendor remove it and read it from the system's own secret store, and treat this one as leaked"
                ),
            )),
            Seen::Privilege { command } => {
                let message = match inventory.sudo() {
                    Sudo::Denied => format!("runs {command}, and the inventory says scripts may not ([system] sudo = false): the script will fail or stop at a password prompt here; run it as a user with the rights it needs without {command}, or have the vendor drop it"),
                    Sudo::Unstated => format!("runs {command}, and the inventory does not say whether scripts may ([system] sudo): set sudo = true or false in [system]"),
                    Sudo::Allowed => format!("runs {command}; the inventory allows it ([system] sudo = true)"),
                };
                findings.push(at(Code::PrivilegeAssumption, privilege_severity(inventory.sudo()), message));
            }
            Seen::Unit { unit, action } => {
                if unit_present(inventory, &shipped, unit) {
                    continue;
                }
                findings.push(at(
                    Code::UnitMissing,
                    Severity::Error,
                    format!(
                        "runs `{action}` on {unit}, which the inventory's [system] units does not list (and the package does not ship): the command will fail here; was the unit renamed? Have the vendor fix the script, or add the unit to [system] units if it exists"
                    ),
                ));
            }
            Seen::UnlockedMigration { statement } => findings.push(at(
                Code::MigrationWithoutLock,
                Severity::Warning,
                format!(
                    "changes the database schema ({statement}) and takes no lock or lock timeout anywhere in this file (LOCK TABLE, an advisory lock, SET lock_timeout, flock): on a live database it can block, or be blocked by, running queries; run it in a maintenance window, or have the vendor add a lock timeout"
                ),
            )),
            Seen::Task { .. } => {}
        }
    }
}
