//! The preflight inventory and finding vocabulary through the public API:
//! the fixtures load, errors name the file and the line, and every code
//! and severity has its stable string. (The scan and the checks run on the
//! story and clean fixtures in the crate's own tests, `src/preflight/tests.rs`,
//! because they are fed through the verification pipeline's sink.)

use std::path::PathBuf;

use pkgverify::{FindingCode, Inventory, InventoryError, Severity};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/preflight")
        .join(name)
}

#[test]
fn the_fixture_inventories_load() {
    for name in ["story-inventory.toml", "clean-inventory.toml"] {
        Inventory::load(testdata(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[track_caller]
fn invalid(text: &str) -> (Option<usize>, String) {
    match Inventory::from_toml(text, "site.toml") {
        Err(e @ InventoryError::Invalid { .. }) => {
            assert_eq!(e.kind(), "inventory_invalid");
            assert!(e.to_string().starts_with("inventory \"site.toml\""), "{e}");
            let InventoryError::Invalid { line, problem, .. } = e else {
                unreachable!()
            };
            (line, problem)
        }
        other => panic!("expected an invalid inventory, got {other:?}"),
    }
}

#[test]
fn unknown_keys_and_wrong_types_are_rejected_with_their_line() {
    let (line, problem) = invalid("version = 1\n[system]\nunits = []\nsudo_allowed = true\n");
    assert_eq!(line, Some(4));
    assert!(problem.contains("sudo_allowed"), "{problem}");
    let (line, problem) = invalid("version = 1\n[network]\nreachable = \"db.internal\"\n");
    assert_eq!(line, Some(3));
    assert!(problem.contains("`reachable` must be a list"), "{problem}");
    let (_, problem) = invalid("[installed]\nopenssl = \"3.0.19\"\n");
    assert!(problem.contains("version"), "{problem}");
}

#[test]
fn installed_versions_need_not_be_semver() {
    Inventory::from_toml(
        "version = 1\n[installed]\npostgresql = \"14.10\"\nopenssl = \"3.0.11-1~deb12u2\"\nbind9 = \"1:9.18.28-1~deb12u2\"\nlegacy = \"trunk\"\n",
        "site.toml",
    )
    .unwrap();
}

#[test]
fn a_missing_file_is_a_read_error_with_the_reason() {
    let e = Inventory::load(testdata("no-such-inventory.toml")).unwrap_err();
    assert!(matches!(e, InventoryError::Read { .. }));
    assert_eq!(e.kind(), "inventory_invalid");
    assert!(e.to_string().contains("no-such-inventory.toml"), "{e}");
    assert!(
        std::error::Error::source(&e).is_none(),
        "the reason is in the message, not repeated as a source"
    );
}

#[test]
fn codes_and_severities_have_stable_strings() {
    let codes = [
        (FindingCode::RequiresUnsatisfied, "requires_unsatisfied"),
        (FindingCode::LooseConstraint, "loose_constraint"),
        (FindingCode::UpgradePath, "upgrade_path"),
        (FindingCode::ConfigRemoved, "config_removed"),
        (FindingCode::ConfigDeprecated, "config_deprecated"),
        (FindingCode::ConfigRequired, "config_required"),
        (FindingCode::ScheduledTask, "scheduled_task"),
        (FindingCode::EndpointUnreachable, "endpoint_unreachable"),
        (FindingCode::ExternalEndpoint, "external_endpoint"),
        (FindingCode::HardcodedCredential, "hardcoded_credential"),
        (FindingCode::PrivilegeAssumption, "privilege_assumption"),
        (FindingCode::UnitMissing, "unit_missing"),
        (FindingCode::MigrationWithoutLock, "migration_without_lock"),
        (FindingCode::Reboot, "reboot"),
        (FindingCode::MetadataInvalid, "metadata_invalid"),
    ];
    for (code, s) in codes {
        assert_eq!(code.as_str(), s);
        assert_eq!(code.to_string(), s);
    }
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/PREFLIGHT.md"),
    )
    .unwrap();
    for (_, s) in codes {
        assert!(
            docs.contains(&format!("`{s}`")),
            "docs/PREFLIGHT.md does not document {s}"
        );
    }
    assert_eq!(Severity::Error.as_str(), "error");
    assert_eq!(Severity::Warning.as_str(), "warning");
    assert_eq!(Severity::Info.as_str(), "info");
    assert!(Severity::Error < Severity::Warning && Severity::Warning < Severity::Info);
}
