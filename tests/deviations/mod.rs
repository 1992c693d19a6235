//! The known-deviations ledger of the conformance suites (tests/limbo.rs,
//! tests/pkits.rs). `tests/data/known-deviations.json` lists, per suite, each
//! case where pkgverify disagrees with the suite's expected result, with the
//! outcome and the reason. A run fails on a disagreement that is not listed,
//! on a listed case that now agrees, disagrees the other way, is skipped or
//! is gone from the suite, on a deviation without a reason, and on one that
//! `docs/CONFORMANCE.md` does not name.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Agree,
    FalseAccept,
    FalseReject,
    Skipped,
}

/// The outcome of a validation that `accepted` (or not) where the suite expects `expected_success`.
pub fn judge(expected_success: bool, accepted: bool) -> Outcome {
    match (expected_success, accepted) {
        (true, true) | (false, false) => Outcome::Agree,
        (false, true) => Outcome::FalseAccept,
        (true, false) => Outcome::FalseReject,
    }
}

/// Counts per outcome, printed as one row of a summary table.
#[derive(Default)]
pub struct Tally(BTreeMap<Outcome, usize>);

impl Tally {
    pub fn add(&mut self, o: Outcome) {
        *self.0.entry(o).or_default() += 1;
    }

    pub fn get(&self, o: Outcome) -> usize {
        self.0.get(&o).copied().unwrap_or(0)
    }

    /// The header row for [`Tally::row`], with a first column `width` wide.
    pub fn header(first: &str, width: usize) -> String {
        format!(
            "{first:<width$} {:>6} {:>13} {:>13} {:>8}",
            "agree", "false accept", "false reject", "skipped"
        )
    }

    pub fn row(&self, label: &str, width: usize) -> String {
        format!(
            "{label:<width$} {:>6} {:>13} {:>13} {:>8}",
            self.get(Outcome::Agree),
            self.get(Outcome::FalseAccept),
            self.get(Outcome::FalseReject),
            self.get(Outcome::Skipped)
        )
    }
}

#[derive(Deserialize)]
struct Deviation {
    id: String,
    outcome: Outcome,
    reason: String,
}

/// One suite's listed deviations, and what a run found against them.
pub struct Ledger {
    suite: String,
    listed: HashMap<String, Deviation>,
    seen: HashSet<String>,
    problems: Vec<String>,
    unlisted: Vec<String>,
}

impl Ledger {
    /// The deviations listed under `suite` in tests/data/known-deviations.json.
    pub fn load(suite: &str) -> Self {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/known-deviations.json");
        let mut all: HashMap<String, Vec<Deviation>> = serde_json::from_slice(
            &std::fs::read(&path).expect("tests/data/known-deviations.json"),
        )
        .expect("known-deviations.json parses");
        let list = all.remove(suite).unwrap_or_default();
        let count = list.len();
        let listed: HashMap<String, Deviation> =
            list.into_iter().map(|d| (d.id.clone(), d)).collect();
        assert_eq!(listed.len(), count, "{suite}: a case is listed twice");
        Self {
            suite: suite.to_owned(),
            listed,
            seen: HashSet::new(),
            problems: Vec::new(),
            unlisted: Vec::new(),
        }
    }

    /// Records case `id`'s outcome; `error` is the validator's error, if any.
    pub fn record(&mut self, id: &str, outcome: Outcome, error: Option<&str>) {
        let error = error.unwrap_or_default();
        let listed = self.listed.get(id).map(|d| d.outcome);
        if listed.is_some() {
            self.seen.insert(id.to_owned());
        }
        match (outcome, listed) {
            (Outcome::Agree, None) | (Outcome::Skipped, None) => {}
            (Outcome::Agree, Some(_)) => self.problems.push(format!(
                "{id}: now agrees with the expected result; remove it from known-deviations.json"
            )),
            (Outcome::Skipped, Some(_)) => self
                .problems
                .push(format!("{id}: listed as a deviation but skipped")),
            (o, Some(d)) if d == o => {}
            (o, Some(d)) => self
                .problems
                .push(format!("{id}: listed as {d:?} but is {o:?} ({error})")),
            (o, None) => {
                self.problems
                    .push(format!("{id}: {o:?}, not a known deviation ({error})"));
                let outcome = if o == Outcome::FalseAccept {
                    "false-accept"
                } else {
                    "false-reject"
                };
                self.unlisted.push(format!(
                    "    {{\"id\": {id:?}, \"outcome\": {outcome:?}, \"reason\": \"\"}},"
                ));
            }
        }
    }

    /// Checks the listed deviations against the run, prints any unlisted ones
    /// as entries to paste, and fails on every problem found.
    pub fn finish(mut self) {
        let doc = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/CONFORMANCE.md"),
        )
        .expect("docs/CONFORMANCE.md");
        let mut ids: Vec<&String> = self.listed.keys().collect();
        ids.sort();
        for id in ids {
            if !self.seen.contains(id) {
                self.problems
                    .push(format!("{id}: listed but not in the suite"));
            }
            if self.listed[id].reason.trim().is_empty() {
                self.problems
                    .push(format!("{id}: a deviation needs a reason"));
            }
            if !doc.contains(id.as_str()) {
                self.problems.push(format!(
                    "{id}: a known deviation that docs/CONFORMANCE.md does not list"
                ));
            }
        }
        if !self.unlisted.is_empty() {
            println!("unlisted disagreements, as known-deviations.json entries:");
            for u in &self.unlisted {
                println!("{u}");
            }
        }
        assert!(
            self.problems.is_empty(),
            "{} disagreement(s) with {} or known-deviations.json:\n{}",
            self.problems.len(),
            self.suite,
            self.problems.join("\n")
        );
    }
}
