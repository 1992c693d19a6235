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

/// Classifies entries one at a time, in archive order, by format 1's layout rules.
#[derive(Default)]
pub(crate) struct LayoutBuilder {
    count: usize,
    /// Signature name, `.sig` entry, `.pem` entry; in order of first appearance.
    pairs: Vec<(String, Option<usize>, Option<usize>)>,
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
                Err(Error::ManifestMissing)
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
        let parsed = rest
            .strip_suffix(".sig")
            .map(|n| (n, true))
            .or_else(|| rest.strip_suffix(".pem").map(|n| (n, false)))
            .filter(|(n, _)| valid_signature_name(n));
        let Some((signature, is_sig)) = parsed else {
            return Err(Error::MisplacedEntry {
                entry: name.into(),
                problem: "only signatures/NAME.sig and signatures/NAME.pem (NAME: [A-Za-z0-9._-]{1,64}) may be in signatures/",
            });
        };
        let slot = match self.pairs.iter().position(|(n, _, _)| n == signature) {
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
                self.pairs.push((signature.to_owned(), None, None));
                self.pairs.len() - 1
            }
        };
        if let Some(pair) = self.pairs.get_mut(slot) {
            if is_sig {
                pair.1 = Some(index);
            } else {
                pair.2 = Some(index);
            }
        }
        Ok(Role::Signature)
    }

    /// The complete signature pairs: every pair has both halves, and there is one.
    pub(crate) fn signatures(&self) -> Result<Vec<(String, usize, usize)>, Error> {
        if self.count == 0 {
            return Err(Error::ManifestMissing);
        }
        let mut signatures = Vec::with_capacity(self.pairs.len());
        for (name, sig, pem) in &self.pairs {
            match (sig, pem) {
                (Some(s), Some(p)) => signatures.push((name.clone(), *s, *p)),
                _ => {
                    return Err(Error::SignatureMissing {
                        signature: Some(name.clone()),
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

fn valid_signature_name(name: &str) -> bool {
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
