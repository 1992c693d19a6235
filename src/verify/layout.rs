//! Format 1's layout: `manifest.json` first, then signature pairs under
//! `signatures/`, then the payload; directories anywhere. Entries are
//! classified one at a time in archive order, as a stream meets them.

use crate::error::Error;
use crate::limits::Limits;

/// What an entry is, by its name and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Manifest,
    /// Half of a signature pair.
    Signature,
    Directory,
    Payload,
}

/// One signature's entries: `.sig`, `.pem` and the optional `.tst`.
#[derive(Default)]
struct Pair {
    name: String,
    sig: Option<usize>,
    pem: Option<usize>,
    tst: Option<usize>,
}

/// A complete signature pair: its name and entry indexes (`.sig`, `.pem`,
/// and the timestamp token `.tst` if there is one).
pub(crate) type PairEntries = (String, usize, usize, Option<usize>);

/// Classifies entries one at a time, in archive order, by format 1's layout rules.
#[derive(Default)]
pub(crate) struct LayoutBuilder {
    count: usize,
    /// Signature name and its entries; in order of first appearance.
    pairs: Vec<Pair>,
    payload: Vec<usize>,
}

impl LayoutBuilder {
    /// Classifies entry `index`. The first must be `manifest.json` (else
    /// `manifest_missing`; the caller may know it is elsewhere), signatures come
    /// before payload, and `signatures/` holds nothing but pairs.
    pub(crate) fn push(
        &mut self,
        index: usize,
        name: &str,
        is_dir: bool,
        limits: &Limits,
    ) -> Result<Role, Error> {
        self.count += 1;
        if self.count == 1 {
            return if name == "manifest.json" {
                Ok(Role::Manifest)
            } else {
                Err(Error::ManifestMissing {
                    first: Some(name.to_owned()),
                })
            };
        }
        if is_dir {
            if name.starts_with("signatures/") && name != "signatures/" {
                return Err(Error::MisplacedEntry {
                    entry: name.into(),
                    problem: "signatures/ may hold no subdirectory",
                });
            }
            return Ok(Role::Directory);
        }
        let Some(rest) = name.strip_prefix("signatures/") else {
            self.payload.push(index);
            return Ok(Role::Payload);
        };
        if !self.payload.is_empty() {
            return Err(Error::MisplacedEntry {
                entry: name.into(),
                problem: "signatures must come before every payload file",
            });
        }
        let parsed = [(".sig", Ext::Sig), (".pem", Ext::Pem), (".tst", Ext::Tst)]
            .into_iter()
            .find_map(|(suffix, ext)| rest.strip_suffix(suffix).map(|n| (n, ext)))
            .filter(|(n, _)| valid_signature_name(n));
        let Some((signature, ext)) = parsed else {
            return Err(Error::MisplacedEntry {
                entry: name.into(),
                problem: "only signatures/NAME.sig, signatures/NAME.pem and signatures/NAME.tst (NAME: [A-Za-z0-9._-]{1,64}) may be in signatures/",
            });
        };
        let slot = match self.pairs.iter().position(|p| p.name == signature) {
            Some(p) => p,
            None => {
                if self.pairs.len() >= limits.max_signatures {
                    return Err(Error::LimitExceeded {
                        entry: Some(name.into()),
                        what: "number of signatures",
                        limit: limits.max_signatures as u64,
                        actual: self.pairs.len() as u64 + 1,
                    });
                }
                self.pairs.push(Pair {
                    name: signature.to_owned(),
                    ..Pair::default()
                });
                self.pairs.len() - 1
            }
        };
        if let Some(pair) = self.pairs.get_mut(slot) {
            let field = match ext {
                Ext::Sig => &mut pair.sig,
                Ext::Pem => &mut pair.pem,
                Ext::Tst => &mut pair.tst,
            };
            // A second entry of one name is a duplicate name, refused as such
            // by the structure rules; here the first stays.
            field.get_or_insert(index);
        }
        Ok(Role::Signature)
    }

    /// The complete signature pairs: every pair has both halves (a `.tst`
    /// alone is half of nothing), and there is one.
    pub(crate) fn signatures(&self) -> Result<Vec<PairEntries>, Error> {
        if self.count == 0 {
            return Err(Error::ManifestMissing { first: None });
        }
        let mut signatures = Vec::with_capacity(self.pairs.len());
        for p in &self.pairs {
            match (p.sig, p.pem) {
                (Some(s), Some(m)) => signatures.push((p.name.clone(), s, m, p.tst)),
                _ => {
                    return Err(Error::SignatureMissing {
                        signature: Some(p.name.clone()),
                    })
                }
            }
        }
        if signatures.is_empty() {
            return Err(Error::SignatureMissing { signature: None });
        }
        Ok(signatures)
    }
}

/// Which file of a signature an entry is.
#[derive(Clone, Copy)]
enum Ext {
    Sig,
    Pem,
    Tst,
}

/// Whether `name` is a valid signature name: `[A-Za-z0-9._-]{1,64}`.
pub(crate) fn valid_signature_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The manifest is in the archive, but not first.
pub(crate) fn misplaced_manifest() -> Error {
    Error::MisplacedEntry {
        entry: "manifest.json".into(),
        problem: "the manifest must be the first entry",
    }
}
