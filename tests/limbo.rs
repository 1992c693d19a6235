//! x509-limbo through pkgverify's chain validator (`TrustStore::validate_chain`,
//! the one the package verifier uses), compared with each case's
//! `expected_result`.
//!
//! The corpus is read in place from `../shared/corpora/x509-limbo/limbo.json`
//! (see `../shared/corpora/README.md`); the test says so and passes only when
//! `../shared/corpora` is absent altogether. Known deviations are listed, with
//! their reasons, in `tests/data/known-deviations.json`: the test fails on a
//! disagreement that is not listed and on a listed case that now agrees, so
//! the list only shrinks. `docs/CONFORMANCE.md` has the numbers and reasons.
//!
//! Run with `cargo test --test limbo -- --nocapture` to see the summary.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use pkgverify::{AnchorPolicy, ChainOptions, RevocationPolicy, TrustStore, Usage};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde::Deserialize;

mod deviations;
use deviations::{judge, Ledger, Outcome, Tally};

/// The time for the cases that give none (limbo's harnesses use "now"); every
/// such case's certificates are valid from 1970 to 2969, so any fixed time
/// inside that range judges them the same, and the test never reads the clock.
const NO_TIME_GIVEN: &str = "2026-01-01T00:00:00Z";

/// Cases skipped by id prefix, with the reason.
const SKIPPED_PREFIXES: &[(&str, &str)] = &[
    (
        "bettertls::nameconstraints::",
        "BetterTLS name-constraint cases: the verdict depends on matching the expected peer name (a hostname or IP) against the end entity, which a code-signing verifier never does",
    ),
    (
        "webpki::san::",
        "hostname cases: matching the expected DNS name or IP against the subjectAltName",
    ),
    (
        "webpki::cn::",
        "hostname cases: matching the expected name against the subject CN",
    ),
    (
        "rfc5280::san::",
        "hostname cases: the syntax of subjectAltName entries, read only to match a peer name",
    ),
    (
        "rfc5280::ca-as-leaf-wrong-san",
        "hostname case: valid chain, fails only on the peer name",
    ),
];

/// The applicable cases whose defect is in the trust anchor (by their
/// descriptions): none of them may be accepted. (`crl::` cases likewise.)
/// Not here: `rfc5280::aki::cross-signed-root-missing-aki`, which limbo marks
/// pedantic and `cve::cve-2024-0567` contradicts (its trusted cross-signed
/// root has no authorityKeyIdentifier either, and must validate); it is a
/// listed deviation.
const ANCHOR_CASES: &[&str] = &[
    "rfc5280::aki::critical-aki",
    "rfc5280::ski::critical-ski",
    "rfc5280::ski::root-missing-ski",
    "rfc5280::validity::expired-root",
    "rfc5280::ca-empty-subject",
    "rfc5280::unknown-critical-extension-root",
    "rfc5280::root-missing-basic-constraints",
    "rfc5280::root-non-critical-basic-constraints",
    "rfc5280::root-inconsistent-ca-extensions",
    "webpki::aki::root-with-aki-missing-keyidentifier",
    "webpki::aki::root-with-aki-authoritycertissuer",
    "webpki::aki::root-with-aki-authoritycertserialnumber",
    "webpki::aki::root-with-aki-all-fields",
    "webpki::aki::root-with-aki-ski-mismatch",
    "webpki::eku::root-has-eku",
    "webpki::explicit-curve",
    "webpki::forbidden-p192-root",
    "webpki::forbidden-dsa-root",
    "webpki::forbidden-weak-rsa-key-in-root",
    "webpki::forbidden-rsa-not-divisible-by-8-in-root",
];

#[derive(Deserialize)]
struct Limbo {
    testcases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    #[serde(default)]
    key_usage: Vec<String>,
    #[serde(default)]
    extended_key_usage: Vec<String>,
    expected_result: String,
    #[serde(default)]
    max_chain_depth: Option<usize>,
    #[serde(default)]
    crls: Vec<String>,
}

#[derive(Deserialize)]
struct Baseline {
    results: Vec<BaselineResult>,
}

#[derive(Deserialize)]
struct BaselineResult {
    id: String,
    actual_result: String,
}

fn corpora() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora")
}

fn pem_cert(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap_or_else(|e| panic!("bad PEM certificate in limbo.json: {e}"))
        .to_vec()
}

/// Why a case is not run, if it is not.
fn skip_reason(case: &Case) -> Option<String> {
    if let Some((_, why)) = SKIPPED_PREFIXES
        .iter()
        .find(|(p, _)| case.id.starts_with(p))
    {
        return Some((*why).to_owned());
    }
    if !case.key_usage.is_empty() {
        return Some(
            "requires keyUsage bits on the end entity, which is not an option of the entry point"
                .into(),
        );
    }
    if usage(case).is_none() {
        return Some(format!(
            "extended key usage {:?} is not one the entry point can require",
            case.extended_key_usage
        ));
    }
    None
}

/// The usage to require: the case's single EKU, else serverAuth for SERVER
/// cases and clientAuth for CLIENT ones (no case uses code signing).
fn usage(case: &Case) -> Option<Usage> {
    match case.extended_key_usage.as_slice() {
        [] => match case.validation_kind.as_str() {
            "SERVER" => Some(Usage::ServerAuth),
            "CLIENT" => Some(Usage::ClientAuth),
            _ => None,
        },
        [one] if one == "serverAuth" => Some(Usage::ServerAuth),
        [one] if one == "clientAuth" => Some(Usage::ClientAuth),
        _ => None,
    }
}

/// The anchor policy for a case: limbo's `webpki::` cases state the
/// CA/Browser Forum's expectations, the others RFC 5280's.
fn anchor_policy(case: &Case) -> AnchorPolicy {
    if case.id.starts_with("webpki::") {
        AnchorPolicy::BaselineRequirements
    } else {
        AnchorPolicy::Rfc5280
    }
}

/// Runs one case: `Ok` if the chain validates, else why not.
fn run(case: &Case, policy: AnchorPolicy) -> Result<(), String> {
    let mut store = TrustStore::new().with_anchor_policy(policy);
    for (i, pem) in case.trusted_certs.iter().enumerate() {
        store
            .add_anchors(pem.as_bytes(), &format!("trusted_certs[{i}]"))
            .map_err(|e| e.to_string())?;
    }
    for (i, pem) in case.crls.iter().enumerate() {
        store
            .add_crls(pem.as_bytes(), &format!("crls[{i}]"))
            .map_err(|e| e.to_string())?;
    }
    let peer = pem_cert(&case.peer_certificate);
    let intermediates: Vec<Vec<u8>> = case
        .untrusted_intermediates
        .iter()
        .map(|p| pem_cert(p))
        .collect();
    let time = pkgverify::parse_rfc3339(case.validation_time.as_deref().unwrap_or(NO_TIME_GIVEN))
        .unwrap_or_else(|| panic!("{}: bad validation_time", case.id));
    let options = ChainOptions::default()
        .usage(usage(case).unwrap_or_default())
        .revocation(RevocationPolicy::WhereAvailable)
        .max_depth(case.max_chain_depth);
    store
        .validate_chain(&peer, &intermediates, time, &options)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn x509_limbo() {
    let root = corpora();
    if !root.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent, so x509-limbo was not run (CI has it; see docs/CONFORMANCE.md)",
            root.display()
        );
        return;
    }
    let dir = root.join("x509-limbo");
    let limbo: Limbo = serde_json::from_slice(
        &std::fs::read(dir.join("limbo.json")).expect("x509-limbo/limbo.json"),
    )
    .expect("limbo.json parses");
    let baseline: HashMap<String, String> = serde_json::from_slice::<Baseline>(
        &std::fs::read(dir.join("results-rustls-webpki-0.103.13.json"))
            .expect("x509-limbo/results-rustls-webpki-0.103.13.json"),
    )
    .expect("baseline parses")
    .results
    .into_iter()
    .map(|r| (r.id, r.actual_result))
    .collect();
    let mut ledger = Ledger::load("x509-limbo");

    let mut ours = Tally::default();
    let mut base_applicable = Tally::default();
    let mut base_all = Tally::default();
    let mut skips: BTreeMap<String, usize> = BTreeMap::new();
    let mut false_accepts_by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut package_policy_differs = Vec::new();

    for case in &limbo.testcases {
        let expected_success = match case.expected_result.as_str() {
            "SUCCESS" => true,
            "FAILURE" => false,
            other => panic!("{}: expected_result {other:?}", case.id),
        };
        let base = match baseline.get(&case.id).map(String::as_str) {
            Some("SUCCESS") => judge(expected_success, true),
            Some("FAILURE") => judge(expected_success, false),
            _ => Outcome::Skipped,
        };
        base_all.add(base);
        if let Some(why) = skip_reason(case) {
            ours.add(Outcome::Skipped);
            *skips.entry(why).or_default() += 1;
            ledger.record(&case.id, Outcome::Skipped, None);
            continue;
        }
        base_applicable.add(base);
        let verdict = run(case, anchor_policy(case));
        let outcome = judge(expected_success, verdict.is_ok());
        if std::env::var_os("LIMBO_VERBOSE").is_some() {
            println!(
                "{} {outcome:?}: {}",
                case.id,
                verdict.as_ref().err().map_or("accepted", String::as_str)
            );
        }
        // The same case with the package verifier's own anchor policy, for the record.
        let as_packages = judge(expected_success, run(case, AnchorPolicy::default()).is_ok());
        if as_packages != outcome {
            package_policy_differs.push(format!("{} ({as_packages:?})", case.id));
        }
        ours.add(outcome);
        if outcome == Outcome::FalseAccept {
            let group = case.id.rsplit_once("::").map_or("", |(g, _)| g).to_owned();
            false_accepts_by_group
                .entry(group)
                .or_default()
                .push(case.id.clone());
        }
        ledger.record(
            &case.id,
            outcome,
            verdict.as_ref().err().map(String::as_str),
        );
    }
    println!("x509-limbo: {} cases", limbo.testcases.len());
    println!("{}", Tally::header("", 44));
    println!("{}", ours.row("pkgverify (applicable cases)", 44));
    println!(
        "{}",
        base_applicable.row("rustls-webpki 0.103.13 baseline, same cases", 44)
    );
    println!(
        "{}",
        base_all.row("rustls-webpki 0.103.13 baseline, all cases", 44)
    );
    println!("skipped:");
    for (why, n) in &skips {
        println!("  {n:>5}  {why}");
    }
    println!("false accepts by group:");
    for (group, ids) in &false_accepts_by_group {
        println!("  {group}: {}", ids.join(", "));
    }
    println!(
        "with the package verifier's anchor policy ({:?}) instead, {} case(s) differ: {}",
        AnchorPolicy::default(),
        package_policy_differs.len(),
        package_policy_differs.join(", ")
    );
    ledger.finish();
    // The bar: no false accept where the CRL or the trust anchor is at fault.
    let at_fault: Vec<&String> = false_accepts_by_group
        .values()
        .flatten()
        .filter(|id| id.starts_with("crl::") || ANCHOR_CASES.contains(&id.as_str()))
        .collect();
    assert!(
        at_fault.is_empty(),
        "false accepts of a bad CRL or trust anchor: {at_fault:?}"
    );
    for id in ANCHOR_CASES {
        assert!(
            limbo.testcases.iter().any(|c| c.id == *id),
            "{id} is not in limbo.json"
        );
    }
}
