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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use pkgverify::{AnchorPolicy, ChainOptions, RevocationPolicy, TrustStore, Usage};
use serde::Deserialize;

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

#[derive(Deserialize)]
struct Deviations {
    #[serde(rename = "nist-pkits")]
    pkits: Vec<Deviation>,
}

#[derive(Deserialize)]
struct Deviation {
    id: String,
    outcome: Outcome,
    reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    Agree,
    FalseAccept,
    FalseReject,
    Skipped,
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
    let deviations: Deviations = serde_json::from_slice(&read(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        "known-deviations.json",
    ))
    .expect("known-deviations.json parses");
    let listed: HashMap<&str, &Deviation> = deviations
        .pkits
        .iter()
        .map(|d| (d.id.as_str(), d))
        .collect();
    assert_eq!(
        listed.len(),
        deviations.pkits.len(),
        "a test is listed twice"
    );

    let mut tally: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut by_section: BTreeMap<String, BTreeMap<Outcome, usize>> = BTreeMap::new();
    let mut skips: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut unlisted = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in &vectors {
        // "4.10.1.2 Name" is in section 4.10.
        let section = v.name.split('.').take(2).collect::<Vec<_>>().join(".");
        let outcome = if let Some(why) = skip_reason(v) {
            *skips.entry(why).or_default() += 1;
            Outcome::Skipped
        } else {
            let verdict = run(&data, v);
            let outcome = match (v.should_validate, verdict.is_ok()) {
                (true, true) | (false, false) => Outcome::Agree,
                (false, true) => Outcome::FalseAccept,
                (true, false) => Outcome::FalseReject,
            };
            let listed_as = listed.get(v.name.as_str());
            match (outcome, listed_as) {
                (Outcome::Agree, None) => {}
                (Outcome::Agree, Some(_)) => problems.push(format!(
                    "{}: now agrees with ShouldValidate; remove it from known-deviations.json",
                    v.name
                )),
                (o, Some(d)) if d.outcome == o => {}
                (o, Some(d)) => problems.push(format!(
                    "{}: listed as {:?} but is {o:?} ({})",
                    v.name,
                    d.outcome,
                    verdict.err().unwrap_or_default()
                )),
                (o, None) => {
                    problems.push(format!(
                        "{}: {o:?}, not a known deviation ({})",
                        v.name,
                        verdict.as_ref().err().cloned().unwrap_or_default()
                    ));
                    unlisted.push(format!(
                        "    {{\"id\": {:?}, \"outcome\": {:?}, \"reason\": \"\"}},",
                        v.name,
                        if o == Outcome::FalseAccept {
                            "false-accept"
                        } else {
                            "false-reject"
                        }
                    ));
                }
            }
            outcome
        };
        if listed.contains_key(v.name.as_str()) {
            seen.insert(v.name.as_str());
            if outcome == Outcome::Skipped {
                problems.push(format!("{}: listed as a deviation but skipped", v.name));
            }
        }
        *tally.entry(outcome).or_default() += 1;
        *by_section
            .entry(section)
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }
    let conformance_doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/CONFORMANCE.md"),
    )
    .expect("docs/CONFORMANCE.md");
    for d in &deviations.pkits {
        if !seen.contains(d.id.as_str()) {
            problems.push(format!("{}: listed but not in vectors.json", d.id));
        }
        assert!(
            !d.reason.trim().is_empty(),
            "{}: a deviation needs a reason",
            d.id
        );
        assert!(
            conformance_doc.contains(&d.id),
            "{}: a known deviation that docs/CONFORMANCE.md does not list",
            d.id
        );
    }

    let get = |t: &BTreeMap<Outcome, usize>, o| t.get(&o).copied().unwrap_or(0);
    let line = |label: &str, t: &BTreeMap<Outcome, usize>| {
        format!(
            "{label:<12} {:>6} {:>13} {:>13} {:>8}",
            get(t, Outcome::Agree),
            get(t, Outcome::FalseAccept),
            get(t, Outcome::FalseReject),
            get(t, Outcome::Skipped)
        )
    };
    println!("NIST PKITS: {} tests", vectors.len());
    println!(
        "{:<12} {:>6} {:>13} {:>13} {:>8}",
        "section", "agree", "false accept", "false reject", "skipped"
    );
    let mut sections: Vec<_> = by_section.iter().collect();
    sections.sort_by_key(|(s, _)| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    for (s, t) in sections {
        println!("{}", line(s, t));
    }
    println!("{}", line("total", &tally));
    println!("skipped:");
    for (why, n) in &skips {
        println!("  {n:>4}  {why}");
    }
    if !unlisted.is_empty() {
        println!("unlisted disagreements, as known-deviations.json entries:");
        for u in &unlisted {
            println!("{u}");
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreement(s) with NIST PKITS or known-deviations.json:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
