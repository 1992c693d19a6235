//! Package identity and anti-rollback: the trust policy's `[package]` (and
//! the library's `Policy::expect_name` / `Policy::min_version`) refuse a
//! genuine package that is another product or older than the floor, after
//! the signature is trusted and before any payload is read.

mod common;

use common::*;
use pkgverify::{Error, PackageBuilder, PackageMismatch, Policy, Version};

fn package(name: &str, version: &str) -> Vec<u8> {
    let (key, chain) = signer("signer-p256");
    build(
        PackageBuilder::new(name, version)
            .file("bin/tool", b"tool".to_vec(), 0o755)
            .signer("vendor", key, chain),
    )
}

fn with(policy: Policy, bytes: &[u8]) -> Result<pkgverify::VerifiedPackage, pkgverify::Rejection> {
    verifier(trust_g2()).with_policy(policy).verify_both(bytes)
}

#[test]
fn name_and_minimum_version() {
    // (expected name, minimum, package name, package version, outcome)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a str, &'a str, &'a str);
    let cases: &[Case] = &[
        (None, None, "dten", "0.0.1", "verified"),
        (Some("dten"), None, "dten", "whatever", "verified"),
        (
            Some("dten"),
            None,
            "dten-other",
            "4.2.0",
            "package_mismatch",
        ),
        (Some("dten"), None, "DTEN", "4.2.0", "package_mismatch"),
        (Some("dten"), None, "dten ", "4.2.0", "package_mismatch"),
        (None, Some("4.2.0"), "dten", "4.2.0", "verified"),
        (None, Some("4.2.0"), "dten", "4.2.1", "verified"),
        (None, Some("4.2.0"), "dten", "10.0.0", "verified"),
        (None, Some("4.2.0"), "dten", "4.1.9", "version_rollback"),
        (None, Some("4.2.0"), "dten", "4.10.0", "verified"),
        (None, Some("4.10.0"), "dten", "4.9.0", "version_rollback"),
        // SemVer 2.0 precedence: a pre-release is lower than its release.
        (
            None,
            Some("4.2.0"),
            "dten",
            "4.2.0-rc.1",
            "version_rollback",
        ),
        (None, Some("4.2.0-rc.1"), "dten", "4.2.0-rc.2", "verified"),
        (
            None,
            Some("4.2.0-rc.10"),
            "dten",
            "4.2.0-rc.9",
            "version_rollback",
        ),
        (None, Some("4.2.0-rc.1"), "dten", "4.2.0", "verified"),
        // Build metadata does not count.
        (
            None,
            Some("4.2.0+build.9"),
            "dten",
            "4.2.0+build.1",
            "verified",
        ),
        // Not SemVer: cannot be ordered, so not accepted against a minimum.
        (None, Some("4.2.0"), "dten", "4.2", "package_mismatch"),
        (None, Some("4.2.0"), "dten", "v4.2.0", "package_mismatch"),
        (None, Some("4.2.0"), "dten", "4.2.0 ", "package_mismatch"),
        (None, Some("4.2.0"), "dten", "04.2.0", "package_mismatch"),
        // The name is checked first.
        (
            Some("dten"),
            Some("4.2.0"),
            "other",
            "1.0.0",
            "package_mismatch",
        ),
    ];
    for (name, min, pkg_name, pkg_version, want) in cases {
        let mut policy = Policy::new();
        if let Some(n) = name {
            policy = policy.expect_name(*n);
        }
        if let Some(m) = min {
            policy = policy.min_version(Version::parse(m).unwrap());
        }
        let got = match with(policy, &package(pkg_name, pkg_version)) {
            Ok(_) => "verified",
            Err(r) => {
                // The package is genuine: its identity and signatures are known.
                assert_eq!(r.package().map(|p| p.name.as_str()), Some(*pkg_name));
                assert!(r.signatures().iter().any(|s| s.problem.is_none()));
                assert_eq!(r.progress(), (0, 0), "no payload was read");
                r.kind()
            }
        };
        assert_eq!(got, *want, "{name:?} {min:?} {pkg_name} {pkg_version}");
    }
}

#[test]
fn the_errors_name_both_values() {
    let policy = Policy::new().expect_name("dten-full-upgrade");
    let r = with(policy, &package("dten-lite", "4.2.0")).unwrap_err();
    assert!(
        matches!(r.error(), Error::PackageMismatch(PackageMismatch::Name { expected, found })
            if expected == "dten-full-upgrade" && found == "dten-lite"),
        "{r:?}"
    );
    let msg = r.to_string();
    assert!(
        msg.contains("\"dten-lite\"") && msg.contains("\"dten-full-upgrade\""),
        "{msg}"
    );

    let policy = Policy::new().min_version(Version::new(4, 2, 0));
    let r = with(policy, &package("dten", "4.1.0")).unwrap_err();
    assert!(
        matches!(r.error(), Error::VersionRollback { version, minimum, .. }
            if *version == Version::new(4, 1, 0) && *minimum == Version::new(4, 2, 0)),
        "{r:?}"
    );
    let msg = r.to_string();
    assert!(msg.contains("4.1.0") && msg.contains("4.2.0"), "{msg}");

    let policy = Policy::new().min_version(Version::new(4, 2, 0));
    let r = with(policy, &package("dten", "4.2")).unwrap_err();
    assert!(
        matches!(r.error(), Error::PackageMismatch(PackageMismatch::Version { version, .. }) if version == "4.2"),
        "{r:?}"
    );
}

/// Identity is decided after authentication: an untrusted package of the
/// wrong name is `untrusted_signer`, not `package_mismatch` (its name is
/// not known to be the vendor's).
#[test]
fn identity_is_decided_only_for_trusted_packages() {
    let policy = Policy::new().expect_name("dten");
    let r = verifier(store(&["root-g1"], &[], &[]))
        .with_policy(policy)
        .verify_both(&package("other", "1.0.0"))
        .unwrap_err();
    assert_eq!(r.kind(), "untrusted_signer");
    assert!(r.package().is_none());
}

#[test]
fn the_policy_file_package_table() {
    let base = format!(
        "version = 1\n[[anchors]]\nname = \"G2\"\nfile = \"{}\"\n",
        pki("root-g2.pem").display()
    );
    let load = |extra: &str| Policy::from_toml(&format!("{base}{extra}"), &pki(""), "p.toml");
    let (policy, trust) = load("[package]\nname = \"dten\"\nmin_version = \"4.2.0\"\n").unwrap();
    assert_eq!(policy.expected_name(), Some("dten"));
    assert_eq!(policy.minimum_version(), Some(&Version::new(4, 2, 0)));
    let v = pkgverify::Verifier::new(trust, at()).with_policy(policy);
    assert!(v.verify_both(&package("dten", "4.3.0")).is_ok());
    assert_eq!(
        v.verify_both(&package("dten", "4.0.0")).unwrap_err().kind(),
        "version_rollback"
    );
    for (bad, line) in [
        ("[package]\nmin_version = \"4.2\"\n", 6),
        ("[package]\nname = \"\"\n", 6),
        ("[package]\nnmae = \"dten\"\n", 6),
    ] {
        match load(bad) {
            Err(e) => {
                assert_eq!(e.kind(), "policy_invalid", "{bad}");
                assert!(
                    matches!(&e, pkgverify::LoadError::Policy { line: Some(l), .. } if *l == line),
                    "{bad}: {e}"
                );
            }
            Ok(_) => panic!("accepted: {bad}"),
        }
    }
}
