//! The operator's trust policy: what, beyond a valid chain, a signature needs
//! to count, and the TOML file that says it.
//!
//! A [`TrustStore`] answers "does this signer chain to an anchor at this
//! time?". A [`Policy`] adds, each rule in one place: distrusted
//! certificates or keys and allowed issuing CAs (decided during path
//! building, `chain`, so a path around them is found when one exists);
//! accepted signature algorithms and allowed signer identities (decided on
//! the signer of a valid chain, `Policy::judge`); how many distinct signers
//! are needed (`verify`). What the store holds is set from the same file:
//! anchor trust windows (the rotation grace period), the vendor's
//! intermediates and CRLs, and CRL freshness; whether a package's bundled
//! intermediates may be used is passed to path building by the verifier.
//!
//! The file format is documented in `docs/POLICY.md`.

use std::path::{Path, PathBuf};

use rustls_pki_types::UnixTime;
use serde::Deserialize;

use crate::cert::{Cert, Fingerprint};
use crate::chain::{AnchorWindow, ChainError, NotAllowed};
use crate::error::{Error, LoadError, PackageMismatch};
use crate::manifest::PackageInfo;
use crate::signature::Algorithm;
use crate::toml_words::{key_at, line_of, plain_toml};
use crate::trust::{CrlExpiration, TrustStore};

/// Whether certificates bundled inside a package may be used to build the
/// signer's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PackageIntermediates {
    /// The default: a package's bundled certificates are offered to path
    /// building, after which the trust store's own intermediates follow.
    /// Any CA the anchors certify can then sign accepted packages.
    #[default]
    Use,
    /// Only the trust store's intermediates count: a bundled chain cannot let
    /// a sibling CA under the same root sign accepted packages.
    Ignore,
}

/// One allowed signer identity: every field given must match the signer
/// certificate; a signer is allowed when any rule matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerRule {
    organization: Option<String>,
    common_name: Option<String>,
    sha256: Option<Fingerprint>,
}

impl SignerRule {
    /// A rule that matches every signer until fields are set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The subject must have one organization (O) attribute, alone in its
    /// RDN, equal to `o` once decoded; a subject with several O attributes
    /// matches no such rule (see `docs/POLICY.md`, `[[signers]]`).
    #[must_use]
    pub fn organization(mut self, o: impl Into<String>) -> Self {
        self.organization = Some(o.into());
        self
    }

    /// The subject must have one common name (CN) attribute, alone in its
    /// RDN, matching `pattern`, in which `*` stands for any run of characters
    /// (`"DTEN * Code Signing *"`); as for [`SignerRule::organization`],
    /// several CN attributes match no such rule.
    #[must_use]
    pub fn common_name(mut self, pattern: impl Into<String>) -> Self {
        self.common_name = Some(pattern.into());
        self
    }

    /// The signer certificate, or its public key, must have this fingerprint.
    #[must_use]
    pub fn sha256(mut self, fingerprint: Fingerprint) -> Self {
        self.sha256 = Some(fingerprint);
        self
    }

    /// Whether the signer matches every field given. An O or CN rule
    /// compares the subject's one O (or CN) attribute, decoded: a subject with
    /// none, with several, with it inside a multi-valued RDN or with a value
    /// that cannot be decoded unambiguously matches no such rule.
    fn matches(&self, signer: &Cert) -> bool {
        self.organization
            .as_ref()
            .is_none_or(|o| signer.organization.value() == Some(o.as_str()))
            && self
                .common_name
                .as_ref()
                .is_none_or(|p| signer.common_name.value().is_some_and(|cn| glob(p, cn)))
            && self.sha256.is_none_or(|f| signer.matches(f).is_some())
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.organization {
            parts.push(format!("organization \"{o}\""));
        }
        if let Some(cn) = &self.common_name {
            parts.push(format!("common name \"{cn}\""));
        }
        if let Some(f) = &self.sha256 {
            parts.push(format!("fingerprint {f}"));
        }
        if parts.is_empty() {
            "any signer".into()
        } else {
            parts.join(" and ")
        }
    }
}

/// What a signature needs, beyond a valid chain, to count; and how many must.
///
/// The default accepts what a bare [`TrustStore`] accepts: package
/// intermediates used, any issuing CA, any signer, nothing distrusted, one
/// trusted signature, code signing, every supported algorithm.
///
/// ```
/// use pkgverify::{Fingerprint, PackageIntermediates, Policy, SignerRule};
///
/// let policy = Policy::new()
///     .package_intermediates(PackageIntermediates::Ignore)
///     .allow_signer(SignerRule::new().organization("DTEN Test Vendor (example)"))
///     .distrust(Fingerprint::parse(&"ab".repeat(32)).unwrap())
///     .threshold(2);
/// assert_eq!(policy.required_signers(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    package_intermediates: PackageIntermediates,
    allowed_issuers: Vec<Fingerprint>,
    signers: Vec<SignerRule>,
    distrust: Vec<Fingerprint>,
    threshold: usize,
    algorithms: Option<Vec<Algorithm>>,
    package_name: Option<String>,
    min_version: Option<semver::Version>,
    tsa: TrustStore,
    require_timestamp: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            package_intermediates: PackageIntermediates::Use,
            allowed_issuers: Vec::new(),
            signers: Vec::new(),
            distrust: Vec::new(),
            threshold: 1,
            algorithms: None,
            package_name: None,
            min_version: None,
            tsa: TrustStore::new(),
            require_timestamp: false,
        }
    }
}

impl Policy {
    /// The default policy (see [`Policy`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a package's bundled intermediates may be used for path building.
    #[must_use]
    pub fn package_intermediates(mut self, use_them: PackageIntermediates) -> Self {
        self.package_intermediates = use_them;
        self
    }

    /// Allows an issuing CA (the certificate that issued the signer), by its
    /// certificate or key fingerprint. Once any is allowed, a signer issued
    /// by another CA is `signer_not_allowed`.
    #[must_use]
    pub fn allow_issuer(mut self, fingerprint: Fingerprint) -> Self {
        self.allowed_issuers.push(fingerprint);
        self
    }

    /// Allows signers matching `rule`. Once any rule is given, a signer
    /// matching none is `signer_not_allowed`.
    #[must_use]
    pub fn allow_signer(mut self, rule: SignerRule) -> Self {
        self.signers.push(rule);
        self
    }

    /// Distrusts a certificate or key (a retired or compromised CA or
    /// signer): a path through it is `certificate_distrusted`.
    #[must_use]
    pub fn distrust(mut self, fingerprint: Fingerprint) -> Self {
        self.distrust.push(fingerprint);
        self
    }

    /// Requires `n` distinct trusted signers (different public keys) on the
    /// manifest (at least 1; 0 is taken as 1).
    #[must_use]
    pub fn threshold(mut self, n: usize) -> Self {
        self.threshold = n.max(1);
        self
    }

    /// Accepts only these algorithms for signatures over the manifest; a
    /// signature made with another is `signer_not_allowed`.
    #[must_use]
    pub fn algorithms(mut self, algorithms: Vec<Algorithm>) -> Self {
        self.algorithms = Some(algorithms);
        self
    }

    /// Accepts only packages named `name` (the manifest's `package.name`,
    /// compared exactly); another is `package_mismatch`. Refuses a genuine
    /// package of another product from the same vendor.
    #[must_use]
    pub fn expect_name(mut self, name: impl Into<String>) -> Self {
        self.package_name = Some(name.into());
        self
    }

    /// Accepts only package versions at least `minimum` in SemVer 2.0
    /// precedence (build metadata ignored): a lower one is
    /// `version_rollback`, one that is not SemVer `package_mismatch`. This is
    /// the operator's anti-rollback floor.
    #[must_use]
    pub fn min_version(mut self, minimum: semver::Version) -> Self {
        self.min_version = Some(minimum);
        self
    }

    /// Trusts the time-stamping authorities of `tsa`, a trust store of its
    /// own (never the code-signing anchors): a signature's timestamp from
    /// one of them lets its signer be judged at the timestamp's time.
    #[must_use]
    pub fn timestamp_authorities(mut self, tsa: TrustStore) -> Self {
        self.tsa = tsa;
        self
    }

    /// The time-stamping authorities trusted (empty: none).
    pub fn tsa_trust(&self) -> &TrustStore {
        &self.tsa
    }

    /// Counts only signatures with a trusted timestamp; a package without
    /// one is `timestamp_missing`.
    #[must_use]
    pub fn require_timestamp(mut self, require: bool) -> Self {
        self.require_timestamp = require;
        self
    }

    /// Whether a trusted timestamp is required.
    pub fn requires_timestamp(&self) -> bool {
        self.require_timestamp
    }

    /// The package name required, if any.
    pub fn expected_name(&self) -> Option<&str> {
        self.package_name.as_deref()
    }

    /// The minimum package version, if any.
    pub fn minimum_version(&self) -> Option<&semver::Version> {
        self.min_version.as_ref()
    }

    /// The policy's rule on an authenticated package's identity, decided
    /// here and nowhere else: its name, then its version.
    pub(crate) fn check_package(&self, package: &PackageInfo) -> Result<(), Error> {
        if let Some(expected) = &self.package_name {
            if &package.name != expected {
                return Err(Error::PackageMismatch(PackageMismatch::Name {
                    expected: expected.clone(),
                    found: package.name.clone(),
                }));
            }
        }
        let Some(minimum) = &self.min_version else {
            return Ok(());
        };
        let version = semver::Version::parse(&package.version).map_err(|problem| {
            Error::PackageMismatch(PackageMismatch::Version {
                name: package.name.clone(),
                version: package.version.clone(),
                problem: problem.to_string(),
                minimum: minimum.clone(),
            })
        })?;
        if version.cmp_precedence(minimum) == std::cmp::Ordering::Less {
            return Err(Error::VersionRollback {
                name: package.name.clone(),
                version,
                minimum: minimum.clone(),
            });
        }
        Ok(())
    }

    /// Distinct trusted signers required.
    pub fn required_signers(&self) -> usize {
        self.threshold
    }

    /// The allowed issuing CAs (none: any).
    pub fn allowed_issuers(&self) -> &[Fingerprint] {
        &self.allowed_issuers
    }

    /// The distrusted certificates and keys.
    pub fn distrusted(&self) -> &[Fingerprint] {
        &self.distrust
    }

    /// Whether bundled intermediates are used for path building.
    pub fn uses_package_intermediates(&self) -> bool {
        self.package_intermediates == PackageIntermediates::Use
    }

    /// Reads a policy file: the trust store it describes (its anchors with
    /// their windows, intermediates, CRLs and CRL freshness rule) and the
    /// policy. Paths in the file are relative to it. A caller may add more
    /// to the store afterwards.
    ///
    /// # Errors
    /// [`LoadError::Read`] if the file cannot be read; [`LoadError::Policy`]
    /// with the line for bad TOML, an unknown key or a bad value; the errors
    /// of [`TrustStore::add_anchors`] and the like for the files it names.
    pub fn load(path: impl AsRef<Path>) -> Result<(Self, TrustStore), LoadError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: name.clone(),
            policy: true,
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base, &name)
    }

    /// As [`Policy::load`], from TOML text; paths in it are relative to
    /// `base`, and `source` names it in errors.
    ///
    /// # Errors
    /// As [`Policy::load`].
    pub fn from_toml(
        text: &str,
        base: &Path,
        source: &str,
    ) -> Result<(Self, TrustStore), LoadError> {
        let mut store = TrustStore::new();
        let trust = &mut store;
        let bad = |span: Option<std::ops::Range<usize>>, problem: String| LoadError::Policy {
            source_name: source.into(),
            line: span.map(|s| line_of(text, s.start)),
            problem,
        };
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let key = e.span().and_then(|span| key_at(text, span.start));
            bad(e.span(), plain_toml(e.message().trim(), key.as_deref()))
        })?;
        if file.version != 1 {
            return Err(bad(
                None,
                format!("version {} is not supported (1 is)", file.version),
            ));
        }
        let path_of = |p: &toml::Spanned<String>| -> PathBuf { base.join(p.get_ref()) };
        let read = |p: &toml::Spanned<String>| {
            std::fs::read(path_of(p)).map_err(|e| {
                bad(
                    Some(p.span()),
                    format!("cannot read {}: {e}", path_of(p).display()),
                )
            })
        };
        let fingerprint = |f: &toml::Spanned<String>| {
            Fingerprint::parse(f.get_ref()).ok_or_else(|| {
                bad(
                    Some(f.span()),
                    format!(
                        "\"{}\" is not a SHA-256 fingerprint (64 hex digits, optionally sha256: and colons)",
                        f.get_ref()
                    ),
                )
            })
        };
        let when = |w: &Option<toml::Spanned<When>>, bound: Bound| -> Result<_, LoadError> {
            w.as_ref()
                .map(|w| {
                    w.get_ref().instant(bound).ok_or_else(|| {
                        bad(
                            Some(w.span()),
                            format!(
                                "{} is not an RFC 3339 time with an offset or a date (YYYY-MM-DD)",
                                w.get_ref().text()
                            ),
                        )
                    })
                })
                .transpose()
        };

        if file.anchors.is_empty() {
            return Err(bad(
                None,
                "no [[anchors]]: a policy names at least one trust anchor".into(),
            ));
        }
        // Code-signing anchors and TSA anchors, each into its own store.
        let mut tsa = TrustStore::new();
        for (list, store) in [(&file.anchors, &mut *trust), (&file.tsa_anchors, &mut tsa)] {
            for a in list {
                let window = anchor_window(
                    a,
                    when(&a.not_before, Bound::NotBefore)?,
                    when(&a.not_after, Bound::NotAfter)?,
                )
                .map_err(|(span, problem)| bad(span, problem))?;
                let bytes = read(&a.file)?;
                store
                    .add_anchors_within(&bytes, &a.name, window)
                    .map_err(|e| match e {
                        LoadError::TrustInput { problem, .. } => LoadError::TrustInput {
                            source_name: format!(
                                "{} (anchor {})",
                                path_of(&a.file).display(),
                                a.name
                            ),
                            problem,
                        },
                        other => other,
                    })?;
            }
        }
        for (list, store) in [
            (&file.intermediates, &mut *trust),
            (&file.tsa_intermediates, &mut tsa),
        ] {
            for i in list {
                let bytes = read(i)?;
                store.add_intermediates(&bytes, &path_of(i).display().to_string())?;
            }
        }
        for c in &file.crls {
            // The CRLs serve both stores (each CRL is matched to its issuer).
            let bytes = read(c)?;
            trust.add_crls(&bytes, &path_of(c).display().to_string())?;
            tsa.add_crls(&bytes, &path_of(c).display().to_string())?;
        }
        match file
            .crl_expiration
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("enforce", _)) => {}
            Some(("ignore", _)) => {
                trust.set_crl_expiration(CrlExpiration::Ignore);
                tsa.set_crl_expiration(CrlExpiration::Ignore);
            }
            Some((other, span)) => {
                return Err(bad(
                    Some(span),
                    format!("crl_expiration \"{other}\": expected \"enforce\" or \"ignore\""),
                ))
            }
        }

        let mut policy = Self::new()
            .package_intermediates(if file.package_intermediates {
                PackageIntermediates::Use
            } else {
                PackageIntermediates::Ignore
            })
            .timestamp_authorities(tsa)
            .require_timestamp(file.require_timestamp);
        for f in &file.allowed_issuers {
            policy = policy.allow_issuer(fingerprint(f)?);
        }
        for f in &file.distrust {
            policy = policy.distrust(fingerprint(f)?);
        }
        for s in &file.signers {
            let mut rule = SignerRule::new();
            if let Some(o) = &s.organization {
                rule = rule.organization(o);
            }
            if let Some(cn) = &s.common_name {
                rule = rule.common_name(cn);
            }
            if let Some(f) = &s.sha256 {
                rule = rule.sha256(fingerprint(f)?);
            }
            if rule == SignerRule::new() {
                return Err(bad(
                    None,
                    "a [[signers]] rule needs organization, common_name or sha256".into(),
                ));
            }
            policy = policy.allow_signer(rule);
        }
        if let Some(t) = &file.threshold {
            if *t.get_ref() < 1 {
                return Err(bad(Some(t.span()), "threshold must be at least 1".into()));
            }
            policy = policy.threshold(usize::try_from(*t.get_ref()).unwrap_or(usize::MAX));
        }
        // A package's signer is a code signer: no other usage is offered here
        // (the reference suites' TLS usages are for ChainOptions only).
        if let Some(eku) = &file.eku {
            if eku.get_ref() != "code_signing" {
                return Err(bad(
                    Some(eku.span()),
                    format!(
                        "eku \"{}\": a package's signer is a code signer, so only \"code_signing\" (the default) is accepted",
                        eku.get_ref()
                    ),
                ));
            }
        }
        if let Some(algs) = &file.algorithms {
            let mut list = Vec::new();
            for a in algs {
                let alg = ALGORITHMS
                    .iter()
                    .copied()
                    .find(|x| x.name() == a.get_ref())
                    .ok_or_else(|| {
                        let names: Vec<&str> = ALGORITHMS.iter().map(|x| x.name()).collect();
                        bad(
                            Some(a.span()),
                            format!(
                                "unknown algorithm \"{}\" (known: {})",
                                a.get_ref(),
                                names.join(", ")
                            ),
                        )
                    })?;
                list.push(alg);
            }
            policy = policy.algorithms(list);
        }
        if let Some(package) = &file.package {
            if let Some(name) = &package.name {
                if name.get_ref().is_empty() {
                    return Err(bad(Some(name.span()), "[package] name is empty".into()));
                }
                policy = policy.expect_name(name.get_ref());
            }
            if let Some(v) = &package.min_version {
                let minimum = semver::Version::parse(v.get_ref()).map_err(|e| {
                    bad(
                        Some(v.span()),
                        format!(
                            "[package] min_version \"{}\" is not a SemVer 2.0 version ({e})",
                            v.get_ref()
                        ),
                    )
                })?;
                policy = policy.min_version(minimum);
            }
        }
        Ok((policy, store))
    }

    /// The policy's rules on the signer of a valid chain, each decided here
    /// and nowhere else: the signature's algorithm, then the signer's
    /// identity. (The distrust list and the allowed issuers act during path
    /// building, `chain`, where a path around them can still be found.)
    pub(crate) fn judge(&self, algorithm: Algorithm, signer: &Cert) -> Result<(), ChainError> {
        if let Some(accepted) = &self.algorithms {
            if !accepted.contains(&algorithm) {
                return Err(ChainError::NotAllowed(NotAllowed::Algorithm {
                    used: algorithm,
                    accepted: accepted.clone(),
                }));
            }
        }
        if !self.signers.is_empty() && !self.signers.iter().any(|r| r.matches(signer)) {
            // Why a subject field some rule looks at could not be compared at all.
            let mut unusable = Vec::new();
            for (used, name, attr) in [
                (
                    self.signers.iter().any(|r| r.organization.is_some()),
                    "O",
                    &signer.organization,
                ),
                (
                    self.signers.iter().any(|r| r.common_name.is_some()),
                    "CN",
                    &signer.common_name,
                ),
            ] {
                if let (true, Some(why)) = (used, attr.unusable(name)) {
                    unusable.push(why);
                }
            }
            return Err(ChainError::NotAllowed(NotAllowed::Signer {
                rules: self.signers.iter().map(SignerRule::describe).collect(),
                unusable,
                key: signer.key_fingerprint(),
            }));
        }
        Ok(())
    }
}

/// An anchor's trust window from its exact bounds, at whole seconds (see
/// [`whole_seconds`]); an empty window is an error (the span to blame and
/// why), not an anchor silently never trusted.
fn anchor_window(
    a: &AnchorSpec,
    not_before: Option<Instant>,
    not_after: Option<Instant>,
) -> Result<AnchorWindow, (Option<std::ops::Range<usize>>, String)> {
    let window = AnchorWindow {
        not_before: not_before.map(|w| whole_seconds(w, Bound::NotBefore)),
        not_after: not_after.map(|w| whole_seconds(w, Bound::NotAfter)),
    };
    if let (Some(b), Some(e), Some(wb), Some(we)) =
        (not_before, not_after, window.not_before, window.not_after)
    {
        if wb > we {
            let text = |w: &Option<toml::Spanned<When>>| {
                w.as_ref().map(|w| w.get_ref().text()).unwrap_or_default()
            };
            let why = if b > e {
                "is later than"
            } else {
                "leaves no whole second before"
            };
            return Err((
                a.not_before.as_ref().map(toml::Spanned::span),
                format!(
                    "anchor {:?}: not_before {} {why} not_after {}, so the anchor would never be trusted",
                    a.name,
                    text(&a.not_before),
                    text(&a.not_after)
                ),
            ));
        }
    }
    Ok(window)
}

/// Every algorithm, for names in a policy file.
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::EcdsaP256Sha256,
    Algorithm::EcdsaP384Sha384,
    Algorithm::Ed25519,
    Algorithm::RsaPkcs1Sha256,
    Algorithm::RsaPssSha256,
];

/// `*` matches any run of characters (including none); everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return pattern == text;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for middle in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        match rest.find(middle) {
            Some(i) => rest = rest.get(i + middle.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: i64,
    #[serde(default)]
    anchors: Vec<AnchorSpec>,
    #[serde(default)]
    intermediates: Vec<toml::Spanned<String>>,
    #[serde(default)]
    crls: Vec<toml::Spanned<String>>,
    crl_expiration: Option<toml::Spanned<String>>,
    #[serde(default = "yes")]
    package_intermediates: bool,
    #[serde(default)]
    allowed_issuers: Vec<toml::Spanned<String>>,
    #[serde(default)]
    signers: Vec<SignerSpec>,
    #[serde(default)]
    distrust: Vec<toml::Spanned<String>>,
    threshold: Option<toml::Spanned<i64>>,
    eku: Option<toml::Spanned<String>>,
    algorithms: Option<Vec<toml::Spanned<String>>>,
    package: Option<PackageSpec>,
    #[serde(default)]
    tsa_anchors: Vec<AnchorSpec>,
    #[serde(default)]
    tsa_intermediates: Vec<toml::Spanned<String>>,
    #[serde(default)]
    require_timestamp: bool,
}

/// `[package]`: which package the operator expects.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageSpec {
    name: Option<toml::Spanned<String>>,
    min_version: Option<toml::Spanned<String>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnchorSpec {
    name: String,
    file: toml::Spanned<String>,
    not_before: Option<toml::Spanned<When>>,
    not_after: Option<toml::Spanned<When>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerSpec {
    organization: Option<String>,
    common_name: Option<String>,
    sha256: Option<toml::Spanned<String>>,
}

/// A time in a policy file: a TOML date or offset date-time, or a string of one.
#[derive(Deserialize)]
#[serde(untagged)]
enum When {
    Native(toml::value::Datetime),
    Text(String),
}

/// Which end of an anchor window a [`When`] sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    NotBefore,
    NotAfter,
}

/// An exact instant: seconds since the epoch and nanoseconds.
type Instant = (u64, u32);

impl When {
    /// As written, for messages.
    fn text(&self) -> String {
        match self {
            Self::Native(d) => d.to_string(),
            Self::Text(s) => format!("\"{s}\""),
        }
    }

    /// The exact instant this bound stands for. A date alone is its whole
    /// day (UTC): its first instant as not_before, its last as not_after. A
    /// leap second (`23:59:60`, at the end of a month UTC) is the last instant
    /// of its minute. `None` unless it is a date or an RFC 3339 date-time with
    /// an offset, from 1970 on.
    fn instant(&self, bound: Bound) -> Option<Instant> {
        let text = match self {
            Self::Native(d) => match (&d.date, &d.time, &d.offset) {
                (Some(_), None, None) => d.to_string(),
                (Some(date), Some(t), Some(offset)) => format!(
                    "{date}T{:02}:{:02}:{:02}.{:09}{offset}",
                    t.hour,
                    t.minute,
                    t.second.unwrap_or(0),
                    t.nanosecond.unwrap_or(0)
                ),
                _ => return None,
            },
            Self::Text(s) => s.clone(),
        };
        let text = if text.len() == 10 {
            let time = match bound {
                Bound::NotBefore => "00:00:00",
                Bound::NotAfter => "23:59:59.999999999",
            };
            format!("{text}T{time}Z")
        } else {
            text
        };
        // The parser reads a leap second 23:59:60 as 23:59:59.999999999, the
        // end of that minute, and refuses one anywhere but at a month's end.
        let t = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .ok()?;
        Some((u64::try_from(t.unix_timestamp()).ok()?, t.nanosecond()))
    }
}

/// The window bound at whole seconds, the verification time's precision:
/// every whole second inside the written bound is kept and none outside it
/// let in. `not_before` rounds up to the next whole second; `not_after`, the
/// last second trusted (inclusive, as X.509's notAfter), rounds down, so
/// `not_after = 2027-03-31T23:59:59.5Z` still trusts 23:59:59.
fn whole_seconds((secs, nanos): Instant, bound: Bound) -> UnixTime {
    let secs = match bound {
        Bound::NotBefore if nanos > 0 => secs.saturating_add(1),
        _ => secs,
    };
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
}
