//! Operator preflight end to end (issue 17): the committed story and clean
//! packages through the example verifier and the library, from a file and
//! from a stream; exit status 3; nothing extracted on a preflight error;
//! no findings for a rejected package; inventory errors are the caller's.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::cli::*;
use pkgverify::{Inventory, Severity, TrustStore, Verifier};
use serde_json::Value;
use sha2::{Digest, Sha256};

const STORY: &str = "testdata/preflight/story.zip";
const CLEAN: &str = "testdata/preflight/clean.zip";
const STORY_INVENTORY: &str = "testdata/preflight/story-inventory.toml";
const CLEAN_INVENTORY: &str = "testdata/preflight/clean-inventory.toml";

/// Trust arguments for the preflight packages (signed under G2), then
/// `extra`, then the package.
fn args(extra: &[&str], package: &str) -> Vec<String> {
    let mut a = strings(&["--root", "testdata/pki/root-g2.pem", "--at", "2026-12-01"]);
    a.extend(strings(extra));
    a.push(package.into());
    a
}

/// Each finding as (code, severity, path, line).
fn findings(v: &Value) -> Vec<(String, String, Option<String>, Option<u64>)> {
    v["preflight"]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no preflight findings: {v}"))
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["path"].as_str().map(str::to_owned),
                f["line"].as_u64(),
            )
        })
        .collect()
}

/// The story's findings, every one: what the seeds' engineers found by hand.
fn story_expected() -> Vec<(String, String, Option<String>, Option<u64>)> {
    let f = |code: &str, severity: &str, path: Option<&str>, line: Option<u64>| {
        (
            code.to_owned(),
            severity.to_owned(),
            path.map(str::to_owned),
            line,
        )
    };
    vec![
        f("config_removed", "error", None, None),
        f("config_required", "error", None, None),
        f("endpoint_unreachable", "error", None, None),
        f(
            "hardcoded_credential",
            "error",
            Some("config/dten.properties"),
            Some(7),
        ),
        f(
            "endpoint_unreachable",
            "error",
            Some("scripts/import.sh"),
            Some(7),
        ),
        f(
            "privilege_assumption",
            "error",
            Some("scripts/upgrade.sh"),
            Some(9),
        ),
        f(
            "unit_missing",
            "error",
            Some("scripts/upgrade.sh"),
            Some(16),
        ),
        f("loose_constraint", "warning", None, None),
        f("config_deprecated", "warning", None, None),
        f("reboot", "warning", None, None),
        f(
            "migration_without_lock",
            "warning",
            Some("sql/002-add-column.sql"),
            Some(3),
        ),
        f(
            "scheduled_task",
            "info",
            Some("cron.d/dten-import"),
            Some(4),
        ),
    ]
}

/// The story package: verified but not safe here, exit 3, the same
/// findings from a file and from standard input, each message naming both
/// sides; the human output groups them by severity.
#[test]
fn the_story_package_is_authentic_but_not_safe_here() {
    let bytes = fs::read(common::repo().join(STORY)).unwrap();
    let from_file = verify(&args(&["--json", "--preflight", STORY_INVENTORY], STORY));
    let from_stream = run(
        "verify",
        &args(&["--json", "--preflight", STORY_INVENTORY], "-"),
        Some(&bytes),
    );
    for out in [&from_file, &from_stream] {
        assert_eq!(out.code, 3, "{out:?}");
        let v = json(out);
        assert_eq!(v["verified"], true);
        assert!(v.get("error").is_none(), "{v}");
        assert_eq!(v["preflight"]["passed"], false);
        assert_eq!(findings(&v), story_expected());
        let text = |code: &str| -> Vec<String> {
            v["preflight"]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == code)
                .map(|f| f["message"].as_str().unwrap().to_owned())
                .collect()
        };
        // Both sides, and never the secret itself.
        assert!(text("config_removed")[0].contains("dten.legacy.mode = true"));
        assert!(text("config_required")[0].contains("dten.hybrid.enable"));
        assert!(text("config_deprecated")[0].contains("dten.sync.period"));
        assert!(text("endpoint_unreachable")
            .iter()
            .all(|m| m.contains("sftp-legacy.dten.example") && m.contains("reachable")));
        assert!(text("unit_missing")[0].contains("dten-sync.service"));
        assert!(text("loose_constraint")[0].contains("postgresql >=14"));
        assert!(text("scheduled_task")[0].contains("0 3 * * *"));
        let secret = fs::read_to_string(
            common::repo().join("testdata/preflight/story/config/dten.properties"),
        )
        .unwrap();
        let password = secret
            .lines()
            .find_map(|l| l.strip_prefix("dten.db.password="))
            .unwrap()
            .trim();
        assert!(
            !v.to_string().contains(password),
            "the password leaked into the report"
        );
    }
    assert_eq!(
        json(&from_file)["preflight"],
        json(&from_stream)["preflight"]
    );

    let human = verify(&args(&["--preflight", STORY_INVENTORY], STORY));
    assert_eq!(human.code, 3);
    let out = &human.stdout;
    assert!(out.contains("VERIFIED  dten-full-upgrade 4.2.0"), "{out}");
    assert!(out.contains("PREFLIGHT FAILED  7 error(s)"), "{out}");
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s:?} not in {out}"));
    assert!(at("  preflight errors:") < at("  preflight warnings:"));
    assert!(at("  preflight warnings:") < at("  preflight notes:"));
    assert!(
        out.contains("[unit_missing] scripts/upgrade.sh:16 "),
        "{out}"
    );

    // --quiet: only the status.
    let quiet = verify(&args(&["-q", "--preflight", STORY_INVENTORY], STORY));
    assert_eq!((quiet.code, quiet.stdout.as_str()), (3, ""));
}

/// The same product done right, on a system that matches it: no error and
/// no warning (a declared scheduled task is a note), exit 0.
#[test]
fn the_clean_package_passes_on_its_system() {
    for package in ["file", "stream"] {
        let out = if package == "file" {
            verify(&args(&["--json", "--preflight", CLEAN_INVENTORY], CLEAN))
        } else {
            let bytes = fs::read(common::repo().join(CLEAN)).unwrap();
            run(
                "verify",
                &args(&["--json", "--preflight", CLEAN_INVENTORY], "-"),
                Some(&bytes),
            )
        };
        assert_eq!(out.code, 0, "{package}: {out:?}");
        let v = json(&out);
        assert_eq!(v["preflight"]["passed"], true);
        let serious: Vec<_> = findings(&v).into_iter().filter(|f| f.1 != "info").collect();
        assert_eq!(serious, vec![], "{package}: {v}");
    }
    // Without --preflight there is no preflight object.
    let v = json(&verify(&args(&["--json"], CLEAN)));
    assert!(v.get("preflight").is_none(), "{v}");
}

/// A rejected package yields no findings, from a file and from a stream:
/// a payload byte changed, and a signer the operator does not trust.
#[test]
fn a_rejected_package_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(common::repo().join(STORY)).unwrap();
    // A byte of the cron file's data (its first local header: the name at
    // offset 30, then the extra field, then the data).
    let name = b"cron.d/dten-import";
    let at = bytes
        .windows(name.len())
        .position(|w| w == name)
        .expect("the story package holds its cron file");
    let extra = bytes[at - 2] as usize | (bytes[at - 1] as usize) << 8;
    let flipped = dir.path().join("flipped.zip");
    bytes[at + name.len() + extra + 1] ^= 0x20;
    fs::write(&flipped, &bytes).unwrap();
    let untrusted = strings(&["--root", "testdata/pki/root-g1.pem", "--at", "2026-12-01"]);
    let cases: Vec<(&str, Vec<String>, String)> = vec![
        ("a changed payload byte", args(&[], ""), p(&flipped)),
        (
            "an untrusted signer",
            untrusted,
            common::repo().join(STORY).display().to_string(),
        ),
    ];
    for (what, base, package) in cases {
        let mut base = base;
        base.retain(|a| !a.is_empty());
        let with = |input: &str| {
            [
                base.clone(),
                strings(&["--json", "--preflight", STORY_INVENTORY, input]),
            ]
            .concat()
        };
        let from_file = verify(&with(&package));
        let from_stream = run("verify", &with("-"), Some(&fs::read(&package).unwrap()));
        for out in [from_file, from_stream] {
            assert_eq!(out.code, 1, "{what}: {out:?}");
            let v = json(&out);
            assert_eq!(v["verified"], false);
            assert!(v.get("preflight").is_none(), "{what}: {v}");
            assert!(!out.stdout.contains("sftp-legacy"), "{what}: {v}");
        }
    }
    // The library: a rejection carries no preflight at all, and a verified
    // package without an inventory has none either.
    let mut trust = TrustStore::new();
    trust.load_anchors(common::pki("root-g2.pem")).unwrap();
    let inventory = Inventory::load(common::repo().join(STORY_INVENTORY)).unwrap();
    let v = Verifier::new(trust.clone(), common::at()).with_preflight(inventory);
    assert!(v.verify_bytes(&bytes).is_err());
    assert!(v.verify_reader(&bytes[..]).is_err());
    let plain = Verifier::new(trust, common::at());
    let good = fs::read(common::repo().join(STORY)).unwrap();
    assert!(plain.verify_bytes(&good).unwrap().preflight().is_none());
}

/// The library gives the same findings from bytes, a file and a reader.
#[test]
fn the_library_gives_the_same_findings_in_every_mode() {
    let mut trust = TrustStore::new();
    trust.load_anchors(common::pki("root-g2.pem")).unwrap();
    let inventory = Inventory::load(common::repo().join(STORY_INVENTORY)).unwrap();
    let v = Verifier::new(trust, common::at()).with_preflight(inventory);
    let bytes = fs::read(common::repo().join(STORY)).unwrap();
    let file = fs::File::open(common::repo().join(STORY)).unwrap();
    let runs = [
        v.verify_bytes(&bytes).unwrap(),
        v.verify_file(&file).unwrap(),
        v.verify_reader(&bytes[..]).unwrap(),
    ];
    let first = runs[0].preflight().unwrap();
    assert!(!first.passed());
    assert_eq!(
        first
            .findings()
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        7
    );
    for r in &runs {
        assert_eq!(r.preflight(), Some(first));
    }
}

/// With --extract, a preflight error means nothing is extracted (exit 3);
/// a clean package is extracted (exit 0).
#[test]
fn a_preflight_error_extracts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("story");
    let out = verify(&args(
        &[
            "--json",
            "--preflight",
            STORY_INVENTORY,
            "--extract",
            &p(&target),
        ],
        STORY,
    ));
    assert_eq!(out.code, 3, "{out:?}");
    let v = json(&out);
    assert_eq!(v["verified"], true);
    assert!(v.get("extracted_to").is_none(), "{v}");
    assert!(!target.exists(), "something was extracted");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "staging left behind"
    );
    let human = verify(&args(
        &["--preflight", STORY_INVENTORY, "--extract", &p(&target)],
        STORY,
    ));
    assert_eq!(human.code, 3);
    assert!(
        human.stdout.contains("nothing was extracted"),
        "{}",
        human.stdout
    );
    assert!(!target.exists());

    let clean = dir.path().join("clean");
    let out = verify(&args(
        &[
            "--json",
            "--preflight",
            CLEAN_INVENTORY,
            "--extract",
            &p(&clean),
        ],
        CLEAN,
    ));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(clean.join("scripts/report.sh").is_file());
}

/// An inventory that cannot be used is the caller's mistake: exit 2, kind
/// `inventory_invalid`, naming the option, the file and the line.
#[test]
fn a_bad_inventory_is_exit_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "version = 1\n[system]\nsudo = \"no\"\n").unwrap();
    let unknown = dir.path().join("unknown.toml");
    fs::write(&unknown, "version = 1\n[instaled]\nx = \"1\"\n").unwrap();
    let cases = [
        (p(&bad), vec!["--preflight", "bad.toml", "line 3"]),
        (
            p(&unknown),
            vec!["--preflight", "unknown.toml", "line 2", "instaled"],
        ),
        (
            p(&dir.path().join("missing.toml")),
            vec!["--preflight", "missing.toml", "No such file"],
        ),
    ];
    for (file, words) in cases {
        let out = verify(&args(&["--json", "--preflight", &file], STORY));
        assert_eq!(out.code, 2, "{out:?}");
        let v = json(&out);
        assert_eq!(v["error"]["kind"], "inventory_invalid", "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        for w in words {
            assert!(message.contains(w), "{w:?} not in {message}");
        }
    }
}

/// Each committed preflight package lists exactly its directory (what
/// `testdata/preflight/make.sh` signs): every file with its content.
#[test]
fn the_committed_packages_are_their_directories() {
    let mut trust = TrustStore::new();
    trust.load_anchors(common::pki("root-g2.pem")).unwrap();
    let v = Verifier::new(trust, common::at());
    for name in ["story", "clean"] {
        let package = v
            .verify_path(common::repo().join(format!("testdata/preflight/{name}.zip")))
            .unwrap();
        let listed: BTreeMap<String, String> = package
            .manifest()
            .files()
            .iter()
            .map(|f| (f.path.clone(), pkgverify_hex(&f.sha256)))
            .collect();
        let mut on_disk = BTreeMap::new();
        walk(
            &common::repo().join("testdata/preflight").join(name),
            "",
            &mut on_disk,
        );
        assert_eq!(
            listed, on_disk,
            "{name}.zip: run sh testdata/preflight/make.sh"
        );
        let metadata: Value = serde_json::from_slice(
            &fs::read(common::repo().join(format!("testdata/preflight/{name}-metadata.json")))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            &Value::Object(package.manifest().metadata().clone()),
            &metadata
        );
    }
}

fn pkgverify_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
        if entry.file_type().unwrap().is_dir() {
            walk(&entry.path(), &format!("{name}/"), out);
        } else {
            let digest = Sha256::digest(fs::read(entry.path()).unwrap());
            out.insert(name, pkgverify_hex(&digest));
        }
    }
}

/// The README's preflight example is what the verifier prints: each line
/// of its output block, up to its "...", is in the real output.
#[test]
fn the_readme_preflight_example_is_true() {
    let readme = fs::read_to_string(common::repo().join("README.md")).unwrap();
    let (_, after) = readme
        .split_once(
            "--preflight testdata/preflight/story-inventory.toml testdata/preflight/story.zip\n```",
        )
        .expect("README shows the preflight command");
    let block = after
        .split_once("```text\n")
        .and_then(|(_, b)| b.split_once("```"))
        .expect("README shows the preflight output")
        .0;
    let out = verify(&args(&["--preflight", STORY_INVENTORY], STORY));
    assert_eq!(out.code, 3);
    let mut checked = 0;
    for line in block.lines() {
        let shown = line
            .split("...")
            .next()
            .unwrap_or("")
            .trim_end_matches([' ', ':']);
        if shown.trim().is_empty() {
            continue;
        }
        assert!(
            out.stdout.contains(shown),
            "README line {shown:?} not in:\n{}",
            out.stdout
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} lines checked");
}
