//! Which offered intermediates can lie on a path from a signer to a trust
//! anchor, decided before rustls-webpki builds paths.
//!
//! webpki tries every certificate whose subject matches an issuer name and
//! bounds its search by steps, not by their cost; a package can offer many
//! same-name CAs that make every step expensive. So pkgverify first follows
//! the issuer links itself, by name, and where a certificate has more than
//! one candidate issuer, by a signature check (each distinct one made once
//! per package, counted in [`Work`]); it offers webpki only the certificates
//! on some chain of such links from the signer up to an anchor. A lone
//! candidate is left for webpki to verify (the common, linear chain costs no
//! extra check). Anything dropped could not be on a valid path (a signature
//! webpki would check fails, in the same algorithms), so pruning only saves
//! work: webpki still makes every decision about the paths that remain.

use std::rc::Rc;

use crate::cert::Cert;
use crate::work::{Exhausted, Work};
use crate::x509::{contents, Verdict};

/// One certificate offered for path building: its DER and what was read of it.
pub(crate) struct Offered<'a> {
    pub(crate) der: &'a [u8],
    pub(crate) cert: Rc<Cert>,
}

/// The indices of the `pool` certificates that lie on a chain of issuer links
/// (verified wherever there was a choice) from `ee` to one of `anchors`, in
/// pool order.
pub(crate) fn useful(
    work: &Work,
    ee: &Offered<'_>,
    pool: &[Offered<'_>],
    anchors: &[Rc<Cert>],
) -> Result<Vec<usize>, Exhausted> {
    // issuers[i]: pool certificates that verifiably signed pool[i]; to_anchor[i]: an anchor did.
    let mut issuers: Vec<Vec<usize>> = vec![Vec::new(); pool.len()];
    let mut to_anchor = vec![false; pool.len()];
    let mut reached = vec![false; pool.len()];
    // Breadth first from the end entity, along verified issuer links.
    let mut frontier: Vec<Option<usize>> = vec![None];
    while let Some(at) = frontier.pop() {
        let child = match at {
            None => ee,
            Some(i) => match pool.get(i) {
                Some(c) => c,
                None => continue,
            },
        };
        let wanted = contents(&child.cert.issuer_raw).unwrap_or_default();
        let named: Vec<usize> = pool
            .iter()
            .enumerate()
            .filter(|(j, candidate)| {
                Some(*j) != at
                    && candidate.cert.sha256 != child.cert.sha256
                    && contents(&candidate.cert.subject_raw) == Some(wanted)
            })
            .map(|(j, _)| j)
            .collect();
        let named_anchors: Vec<&Rc<Cert>> = anchors
            .iter()
            .filter(|a| contents(&a.subject_raw) == Some(wanted))
            .collect();
        // A single candidate issuer is webpki's to verify; only a choice
        // between several is settled here by their signatures.
        let only_one = named.len() + named_anchors.len() == 1;
        for j in named {
            let Some(candidate) = pool.get(j) else {
                continue;
            };
            if only_one || signed_by(work, child, &candidate.cert)? {
                if let Some(i) = at {
                    if let Some(list) = issuers.get_mut(i) {
                        list.push(j);
                    }
                }
                if let Some(seen) = reached.get_mut(j) {
                    if !*seen {
                        *seen = true;
                        frontier.push(Some(j));
                    }
                }
            }
        }
        if let Some(i) = at {
            for anchor in named_anchors {
                if only_one || signed_by(work, child, anchor)? {
                    if let Some(flag) = to_anchor.get_mut(i) {
                        *flag = true;
                    }
                    break;
                }
            }
        }
    }
    // Keep what reaches an anchor: a fixed point, at most one round per certificate.
    let mut leads = to_anchor;
    for _ in 0..pool.len() {
        let mut changed = false;
        for i in 0..pool.len() {
            let already = leads.get(i).copied().unwrap_or(true);
            if already {
                continue;
            }
            let via = issuers
                .get(i)
                .is_some_and(|list| list.iter().any(|j| leads.get(*j).copied().unwrap_or(false)));
            if via {
                if let Some(flag) = leads.get_mut(i) {
                    *flag = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    Ok((0..pool.len())
        .filter(|i| {
            reached.get(*i).copied().unwrap_or(false) && leads.get(*i).copied().unwrap_or(false)
        })
        .collect())
}

fn signed_by(work: &Work, child: &Offered<'_>, issuer: &Cert) -> Result<bool, Exhausted> {
    Ok(work.verify(
        child.der,
        child.cert.sha256,
        &issuer.spki,
        issuer.spki_sha256,
    )? == Verdict::Valid)
}
