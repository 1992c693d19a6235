//! The warnings of one verification (crate::Warning): the trust store's
//! anchors, and what weakens each trusted signature's path.

use rustls_pki_types::UnixTime;

use crate::chain::{PathNote, ValidatedChain};
use crate::trust::TrustStore;
use crate::warning::Warning;
use crate::work::Work;

/// The trust store's anchors that are not self-signed CA certificates.
pub(crate) fn anchors(work: &Work, trust: &TrustStore) -> Vec<Warning> {
    let mut out = Vec::new();
    for a in &trust.anchors {
        let Some(c) = work.cert(&a.cert) else { continue };
        let why = match (c.is_ca(), c.self_issued) {
            (true, true) => continue,
            (false, true) => "not a CA certificate",
            (true, false) => "not self-signed (a cross-signed or intermediate CA certificate)",
            (false, false) => "neither a CA certificate nor self-signed",
        };
        out.push(Warning::AnchorNotRoot {
            anchor: a.label.clone(),
            subject: c.subject.clone(),
            why,
        });
    }
    out
}

/// What weakens one trusted signature's path: its notes, and expiries
/// within `days` of `now` (only when judged now, not at a timestamp).
pub(crate) fn path(
    work: &Work,
    trust: &TrustStore,
    signature: &str,
    chain: &ValidatedChain,
    judged_now: bool,
    now: UnixTime,
    days: u32,
) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut unchecked: Vec<String> = Vec::new();
    for n in chain.notes() {
        match n {
            PathNote::Unchecked { certificate } => {
                if !unchecked.contains(certificate) {
                    unchecked.push(certificate.clone());
                }
            }
            PathNote::StaleCrl {
                certificate,
                next_update,
            } => {
                let w = Warning::StaleCrl {
                    signature: signature.to_owned(),
                    certificate: certificate.clone(),
                    next_update: *next_update,
                };
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
    }
    if !unchecked.is_empty() {
        out.insert(
            0,
            Warning::RevocationUnchecked {
                signature: signature.to_owned(),
                certificates: unchecked,
            },
        );
    }
    let horizon = now.as_secs().saturating_add(u64::from(days) * 86_400);
    let left = |end: u64| end.saturating_sub(now.as_secs()) / 86_400;
    if judged_now {
        for der in chain.certificates().iter().filter(|d| !d.is_empty()) {
            let Some(c) = work.cert(der) else { continue };
            let end = c.not_after_time();
            if end.as_secs() <= horizon {
                out.push(Warning::CertificateExpiring {
                    signature: signature.to_owned(),
                    certificate: c.subject.clone(),
                    not_after: end,
                    days: left(end.as_secs()),
                });
            }
        }
        // The anchor the path ends at, and its window.
        if let Some(top) = chain.certificates().last() {
            for a in trust.anchors.iter().filter(|a| a.cert.as_ref() == top.as_slice()) {
                if let Some(end) = a.window.not_after.filter(|e| e.as_secs() <= horizon) {
                    out.push(Warning::AnchorWindowEnding {
                        anchor: a.label.clone(),
                        not_after: end,
                        days: left(end.as_secs()),
                    });
                }
            }
        }
    }
    out
}
