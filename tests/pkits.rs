//! NIST PKITS through pkgverify's chain validator (`TrustStore::validate_chain`,
//! the one the package verifier uses), compared with each test's
//! `ShouldValidate`.
//!
//! The suite is read in place from `../shared/corpora/nist-pkits/` (the
//! certificates and CRLs in `PKITS_data/`, the test list in `vectors.json`
//! from Go's crypto/x509 testdata); the test says so and passes only when
//! `../shared/corpora` is absent altogether. Known deviations are listed, with
//! their reasons, in `tests/data/known-deviations.json` under `nist-pkits`:
//! the test fails on a disagreement that is not listed and on a listed test
//! that now agrees. `docs/CONFORMANCE.md` has the numbers and reasons.
//!
//! Run with `cargo test --test pkits -- --nocapture` to see the summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pkgverify::{AnchorPolicy, ChainOptions, RevocationPolicy, TrustStore, Usage};
use serde::Deserialize;

mod deviations;
use deviations::{judge, Ledger, Outcome, Tally};

/// Every PKITS certificate and CRL is valid at this time (the 2011 edition's
/// validity periods run from 2010 to 2030, apart from the deliberately
/// expired or not-yet-valid ones, which stay so at any time in that range).
const AT: &str = "2025-06-01T00:00:00Z";

/// PKITS sections that test certificate-policy processing (initial policy
/// sets, explicit policy, policy mapping, inhibit anyPolicy), which
/// pkgverify does not do: rustls-webpki ignores certificate policies.
const POLICY_SECTIONS: &[(&str, &str)] = &[
    ("4.8.", "4.8 Certificate Policies"),
    ("4.9.", "4.9 Require Explicit Policy"),
    ("4.10.", "4.10 Policy Mappings"),
    ("4.11.", "4.11 Inhibit Policy Mapping"),
    ("4.12.", "4.12 Inhibit Any Policy"),
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vector {
    name: String,
    cert_path: Vec<String>,
    #[serde(rename = "CRLPath")]
    crl_path: Vec<String>,
    should_validate: bool,
}

fn skip_reason(v: &Vector) -> Option<String> {
    if let Some((_, section)) = POLICY_SECTIONS.iter().find(|(p, _)| v.name.starts_with(p)) {
        return Some(format!(
            "certificate-policy processing ({section}): not done by pkgverify or rustls-webpki"
        ));
    }
    if v.name.contains("DSA") {
        return Some(
            "DSA signatures: not supported by rustls-webpki (nor by the package format)".into(),
        );
    }
    None
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// Runs one test: `Ok` if the path validates, else why not.
fn run(data: &Path, v: &Vector) -> Result<(), String> {
    let certs = data.join("certs");
    let crls = data.join("crls");
    let (anchor, rest) = v.cert_path.split_first().expect("a certificate path");
    let (ee, intermediates) = rest.split_last().expect("an end entity");
    // PKITS is an RFC 5280 suite: its trust anchor is held to RFC 5280's CA profile.
    let mut store = TrustStore::new().with_anchor_policy(AnchorPolicy::Rfc5280);
    store
        .add_anchors(&read(&certs, anchor), anchor)
        .map_err(|e| e.to_string())?;
    for crl in &v.crl_path {
        store
            .add_crls(&read(&crls, crl), crl)
            .map_err(|e| e.to_string())?;
    }
    // CertPath runs from the anchor down; path building starts at the end entity.
    let intermediates: Vec<Vec<u8>> = intermediates
        .iter()
        .rev()
        .map(|n| read(&certs, n))
        .collect();
    let time = pkgverify::parse_rfc3339(AT).expect("AT parses");
    // No PKITS certificate has an extended key usage extension, so any usage
    // that is required only where the extension is present judges them alike.
    let options = ChainOptions::default()
        .usage(Usage::ServerAuth)
        .revocation(RevocationPolicy::Required);
    store
        .validate_chain(&read(&certs, ee), &intermediates, time, &options)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn nist_pkits() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    if !root.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent, so NIST PKITS was not run (CI has it; see docs/CONFORMANCE.md)",
            root.display()
        );
        return;
    }
    let dir = root.join("nist-pkits");
    let data = dir.join("PKITS_data");
    let vectors: Vec<Vector> =
        serde_json::from_slice(&read(&dir, "vectors.json")).expect("vectors.json parses");
    let mut ledger = Ledger::load("nist-pkits");

    let mut tally = Tally::default();
    let mut by_section: BTreeMap<String, Tally> = BTreeMap::new();
    let mut skips: BTreeMap<String, usize> = BTreeMap::new();
    for v in &vectors {
        // "4.10.1.2 Name" is in section 4.10.
        let section = v.name.split('.').take(2).collect::<Vec<_>>().join(".");
        let outcome = if let Some(why) = skip_reason(v) {
            *skips.entry(why).or_default() += 1;
            ledger.record(&v.name, Outcome::Skipped, None);
            Outcome::Skipped
        } else {
            let verdict = run(&data, v);
            let outcome = judge(v.should_validate, verdict.is_ok());
            ledger.record(&v.name, outcome, verdict.as_ref().err().map(String::as_str));
            outcome
        };
        tally.add(outcome);
        by_section.entry(section).or_default().add(outcome);
    }
    println!("NIST PKITS: {} tests", vectors.len());
    println!("{}", Tally::header("section", 12));
    let mut sections: Vec<_> = by_section.iter().collect();
    sections.sort_by_key(|(s, _)| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    for (s, t) in sections {
        println!("{}", t.row(s, 12));
    }
    println!("{}", tally.row("total", 12));
    println!("skipped:");
    for (why, n) in &skips {
        println!("  {n:>4}  {why}");
    }
    ledger.finish();
}
