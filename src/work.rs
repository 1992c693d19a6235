//! What verifying one package may spend on certificates. Each certificate is
//! parsed once and each signature on a certificate or CRL is checked once per
//! verification, however many signature pairs offer them; the checks are
//! counted against a budget per signer and one per package, so that no
//! package, genuine or not, makes path building cost more than a bounded
//! number of signature checks (`docs/SECURITY.md`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::cert::Cert;
use crate::x509::{Signed, Verdict};

/// Signature checks (on certificates and CRLs, each distinct one counted
/// once) that validating one signer may make.
pub(crate) const SIGNER_CHECKS: usize = 64;

/// Signature checks that verifying one package may make, over all its signers.
pub(crate) const PACKAGE_CHECKS: usize = 1024;

/// A signature verdict's key: the SHA-256 of the signed object and of the key.
type VerdictKey = ([u8; 32], [u8; 32]);

/// The budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exhausted;

/// The parsed certificates, the signature verdicts, and what is left to spend.
#[derive(Debug)]
pub(crate) struct Work {
    certs: RefCell<HashMap<[u8; 32], Option<Rc<Cert>>>>,
    verdicts: RefCell<HashMap<VerdictKey, Verdict>>,
    signer_left: Cell<usize>,
    package_left: Cell<usize>,
    parses: Cell<usize>,
    checks: Cell<usize>,
}

impl Default for Work {
    fn default() -> Self {
        Self::new()
    }
}

impl Work {
    /// A fresh budget for one package.
    pub(crate) fn new() -> Self {
        Self {
            certs: RefCell::new(HashMap::new()),
            verdicts: RefCell::new(HashMap::new()),
            signer_left: Cell::new(SIGNER_CHECKS),
            package_left: Cell::new(PACKAGE_CHECKS),
            parses: Cell::new(0),
            checks: Cell::new(0),
        }
    }

    /// Starts the next signer: its own share of signature checks.
    pub(crate) fn begin_signer(&self) {
        self.signer_left.set(SIGNER_CHECKS);
    }

    /// The certificate, parsed on first sight; `None` if x509-parser cannot read it.
    pub(crate) fn cert(&self, der: &[u8]) -> Option<Rc<Cert>> {
        let key: [u8; 32] = Sha256::digest(der).into();
        if let Some(known) = self.certs.borrow().get(&key) {
            return known.clone();
        }
        self.parses.set(self.parses.get().saturating_add(1));
        let parsed = Cert::read(der).map(Rc::new);
        self.certs.borrow_mut().insert(key, parsed.clone());
        parsed
    }

    /// Whether the signed object `der` (a certificate or CRL whose SHA-256 is
    /// `der_sha256`) is signed by the key `spki` (SHA-256 `spki_sha256`).
    /// A verdict already reached costs nothing; a new one costs one check.
    pub(crate) fn verify(
        &self,
        der: &[u8],
        der_sha256: [u8; 32],
        spki: &[u8],
        spki_sha256: [u8; 32],
    ) -> Result<Verdict, Exhausted> {
        let key = (der_sha256, spki_sha256);
        if let Some(v) = self.verdicts.borrow().get(&key) {
            return Ok(*v);
        }
        let (signer, package) = (self.signer_left.get(), self.package_left.get());
        if signer == 0 || package == 0 {
            return Err(Exhausted);
        }
        self.signer_left.set(signer - 1);
        self.package_left.set(package - 1);
        self.checks.set(self.checks.get().saturating_add(1));
        let verdict = Signed::split(der).map_or(Verdict::Invalid, |s| s.verifies_with(spki));
        self.verdicts.borrow_mut().insert(key, verdict);
        Ok(verdict)
    }

    /// Certificates parsed so far (each distinct one once).
    #[cfg(test)]
    pub(crate) fn parses(&self) -> usize {
        self.parses.get()
    }

    /// Signature checks made so far (each distinct one once).
    #[cfg(test)]
    pub(crate) fn checks(&self) -> usize {
        self.checks.get()
    }
}
