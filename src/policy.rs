//! The operator's trust policy: what, beyond a valid chain, a signature needs
//! to count, and the TOML file that says it.
//!
//! A [`TrustStore`] answers "does this signer chain to an anchor at this
//! time?". A [`Policy`] then decides, in one place
//! ([`Policy::judge`] for each signature, [`Policy::threshold`] for the
//! package), whether a signer with a valid chain is accepted: distrusted
//! certificates or keys, accepted signature algorithms, allowed issuing CAs,
//! allowed signer identities, and how many distinct signers are needed. What
//! must be decided during path building lives in the store, set from the same
//! file: anchor trust windows (the rotation grace period), the vendor's
//! intermediates and CRLs, and CRL freshness; whether a package's bundled
//! intermediates may be used, and the required EKU, are passed to path
//! building by the verifier.
//!
//! The file format is documented in `docs/REPORT.md` ("Trust policy file").

use std::path::{Path, PathBuf};

use rustls_pki_types::UnixTime;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use x509_parser::oid_registry::{Oid, OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::chain::{Usage, ValidatedChain};
use crate::error::Error;
use crate::signature::Algorithm;
use crate::trust::{AnchorWindow, CrlExpiration, TrustStore};

/// A SHA-256 fingerprint of a certificate (its DER) or of its public key
/// (its DER SubjectPublicKeyInfo). A listed fingerprint matches either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Parses 64 hex digits, optionally prefixed `sha256:` and optionally
    /// separated by `:` (as `openssl x509 -fingerprint -sha256` prints them).
    pub fn parse(text: &str) -> Option<Self> {
        let hex: String = text
            .strip_prefix("sha256:")
            .unwrap_or(text)
            .chars()
            .filter(|c| *c != ':')
            .collect();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }

    /// The certificate's own fingerprint (SHA-256 of its DER).
    pub fn of_certificate(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// The fingerprint of the certificate's public key (SHA-256 of its DER
    /// SubjectPublicKeyInfo); `None` if the certificate cannot be read.
    pub fn of_public_key(der: &[u8]) -> Option<Self> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        Some(Self(Sha256::digest(c.public_key().raw).into()))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", crate::hex(&self.0))
    }
}

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
    /// matches no such rule (see `docs/REPORT.md`, `[[signers]]`).
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
    fn matches(&self, signer: &Signer) -> bool {
        self.organization
            .as_ref()
            .is_none_or(|o| signer.organization.value() == Some(o.as_str()))
            && self
                .common_name
                .as_ref()
                .is_none_or(|p| signer.common_name.value().is_some_and(|cn| glob(p, cn)))
            && self.sha256.is_none_or(|f| signer.matches(f))
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    package_intermediates: PackageIntermediates,
    allowed_issuers: Vec<Fingerprint>,
    signers: Vec<SignerRule>,
    distrust: Vec<Fingerprint>,
    threshold: usize,
    usage: Usage,
    algorithms: Option<Vec<Algorithm>>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            package_intermediates: PackageIntermediates::Use,
            allowed_issuers: Vec::new(),
            signers: Vec::new(),
            distrust: Vec::new(),
            threshold: 1,
            usage: Usage::CodeSigning,
            algorithms: None,
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

    /// The extended key usage a signer must have (default code signing).
    #[must_use]
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// Accepts only these algorithms for signatures over the manifest; a
    /// signature made with another is `signer_not_allowed`.
    #[must_use]
    pub fn algorithms(mut self, algorithms: Vec<Algorithm>) -> Self {
        self.algorithms = Some(algorithms);
        self
    }

    /// Distinct trusted signers required.
    pub fn required_signers(&self) -> usize {
        self.threshold
    }

    /// The required extended key usage.
    pub fn required_usage(&self) -> Usage {
        self.usage
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

    /// Reads a policy file: adds its anchors (with their windows),
    /// intermediates and CRLs to `trust` and sets its CRL freshness rule
    /// there, and returns the rest. Paths in the file are relative to it.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::PolicyInvalid`]
    /// with the line for bad TOML, an unknown key or a bad value; the
    /// errors of [`TrustStore::add_anchors`] and the like for the files it
    /// names.
    pub fn load(path: impl AsRef<Path>, trust: &mut TrustStore) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(name.clone(), e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base, &name, trust)
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
        trust: &mut TrustStore,
    ) -> Result<Self, Error> {
        let bad = |span: Option<std::ops::Range<usize>>, problem: String| Error::PolicyInvalid {
            source_name: source.into(),
            line: span.map(|s| line_of(text, s.start)),
            problem,
        };
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| bad(e.span(), e.message().trim().to_owned()))?;
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
        let when = |w: &Option<toml::Spanned<When>>, bound: Bound| -> Result<_, Error> {
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
        for a in &file.anchors {
            let window = anchor_window(
                a,
                when(&a.not_before, Bound::NotBefore)?,
                when(&a.not_after, Bound::NotAfter)?,
            )
            .map_err(|(span, problem)| bad(span, problem))?;
            let bytes = read(&a.file)?;
            trust
                .add_anchors_within(&bytes, &a.name, window)
                .map_err(|e| match e {
                    Error::TrustInput { problem, .. } => Error::TrustInput {
                        source_name: format!("{} (anchor {})", path_of(&a.file).display(), a.name),
                        problem,
                    },
                    other => other,
                })?;
        }
        for i in &file.intermediates {
            let bytes = read(i)?;
            trust.add_intermediates(&bytes, &path_of(i).display().to_string())?;
        }
        for c in &file.crls {
            let bytes = read(c)?;
            trust.add_crls(&bytes, &path_of(c).display().to_string())?;
        }
        match file
            .crl_expiration
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("enforce", _)) => {}
            Some(("ignore", _)) => trust.set_crl_expiration(CrlExpiration::Ignore),
            Some((other, span)) => {
                return Err(bad(
                    Some(span),
                    format!("crl_expiration \"{other}\": expected \"enforce\" or \"ignore\""),
                ))
            }
        }

        let mut policy = Self::new().package_intermediates(if file.package_intermediates {
            PackageIntermediates::Use
        } else {
            PackageIntermediates::Ignore
        });
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
        if let Some(eku) = &file.eku {
            policy = policy.usage(match eku.get_ref().as_str() {
                "code_signing" => Usage::CodeSigning,
                "server_auth" => Usage::ServerAuth,
                "client_auth" => Usage::ClientAuth,
                other => {
                    return Err(bad(
                        Some(eku.span()),
                        format!("eku \"{other}\": expected \"code_signing\", \"server_auth\" or \"client_auth\""),
                    ))
                }
            });
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
        Ok(policy)
    }

    /// Judges one signature whose signer chains to an anchor: `chain` is the
    /// validated path (signer first, anchor last) and `algorithm` the one the
    /// signature verified with. Checked in this order: distrust (any
    /// certificate on the path), algorithm, issuing CA, signer identity.
    ///
    /// The verifier also passes the distrust list and the allowed issuers to
    /// path building ([`ChainOptions::distrust`](crate::ChainOptions::distrust),
    /// [`ChainOptions::allow_issuer`](crate::ChainOptions::allow_issuer)), so
    /// a path around a distrusted or disallowed CA is found when one exists;
    /// the checks here cover a chain validated without them.
    ///
    /// # Errors
    /// [`Error::CertificateDistrusted`] or [`Error::SignerNotAllowed`].
    pub fn judge(
        &self,
        signature: &str,
        algorithm: Algorithm,
        chain: &ValidatedChain,
    ) -> Result<(), Error> {
        let certs: Vec<Signer> = chain
            .certificates()
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| Signer::read(c))
            .collect();
        for c in &certs {
            if let Some(f) = self.distrust.iter().find(|f| c.matches(**f)) {
                let what = if f.0 == c.cert.0 {
                    "certificate"
                } else {
                    "key"
                };
                return Err(Error::CertificateDistrusted {
                    signature: signature.into(),
                    certificate: c.subject.clone(),
                    fingerprint: format!("{what} {f}"),
                });
            }
        }
        let Some(signer) = certs.first() else {
            return Ok(());
        };
        let not_allowed = |problem: String| Error::SignerNotAllowed {
            signature: signature.into(),
            signer: signer.subject.clone(),
            problem,
        };
        if let Some(algs) = &self.algorithms {
            if !algs.contains(&algorithm) {
                let names: Vec<&str> = algs.iter().map(|a| a.name()).collect();
                return Err(not_allowed(format!(
                    "it signs with {}, which is not among the accepted algorithms ({})",
                    algorithm.name(),
                    names.join(", ")
                )));
            }
        }
        if !self.allowed_issuers.is_empty() {
            let issuer = certs.get(1);
            let ok = issuer.is_some_and(|i| self.allowed_issuers.iter().any(|f| i.matches(*f)));
            if !ok {
                return Err(not_allowed(match issuer {
                    Some(i) => format!(
                        "its issuing CA \"{}\" (certificate {}, key {}) is not among allowed_issuers",
                        i.subject,
                        i.cert,
                        i.key.map_or_else(|| "unreadable".into(), |k| k.to_string())
                    ),
                    None => "its issuing CA is unknown and allowed_issuers is set".into(),
                }));
            }
        }
        if !self.signers.is_empty() && !self.signers.iter().any(|r| r.matches(signer)) {
            let rules: Vec<String> = self.signers.iter().map(SignerRule::describe).collect();
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
            let unusable: String = unusable.iter().map(|u| format!("; {u}")).collect();
            return Err(not_allowed(format!(
                "it matches none of the allowed signers ({}){unusable}; its key is {}",
                rules.join("; "),
                signer
                    .key
                    .map_or_else(|| "unreadable".into(), |k| k.to_string())
            )));
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

/// A certificate on a validated path, as the policy looks at it.
struct Signer {
    subject: String,
    organization: Attribute,
    common_name: Attribute,
    cert: Fingerprint,
    key: Option<Fingerprint>,
}

impl Signer {
    fn read(der: &[u8]) -> Self {
        let parsed = X509Certificate::from_der(der).ok().map(|(_, c)| c);
        let attribute = |oid: &Oid<'_>| {
            parsed
                .as_ref()
                .map_or(Attribute::Missing, |c| Attribute::read(c.subject(), oid))
        };
        Self {
            subject: parsed.as_ref().map_or_else(
                || "(unparsable certificate)".into(),
                |c| c.subject().to_string(),
            ),
            organization: attribute(&OID_X509_ORGANIZATION_NAME),
            common_name: attribute(&OID_X509_COMMON_NAME),
            cert: Fingerprint::of_certificate(der),
            key: parsed
                .as_ref()
                .map(|c| Fingerprint(Sha256::digest(c.public_key().raw).into())),
        }
    }

    fn matches(&self, f: Fingerprint) -> bool {
        self.cert == f || self.key == Some(f)
    }
}

/// One subject attribute type (O or CN) as signer rules compare it: its one
/// decoded value, or why there is none to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attribute {
    /// Exactly one such attribute, alone in its RDN, decoded.
    One(String),
    /// The subject has none.
    Missing,
    /// The subject has this many: a rule matched by any one of them would let
    /// a CA's customer add the vendor's O beside its own.
    Several(usize),
    /// The only one shares a multi-valued RDN with other attributes.
    MultiValued,
    /// Its value cannot be decoded unambiguously (why).
    Undecodable(String),
}

impl Attribute {
    /// Reads the attributes of type `oid` in `name`.
    fn read(name: &x509_parser::x509::X509Name<'_>, oid: &Oid<'_>) -> Self {
        let mut found = 0usize;
        let mut multi_valued = false;
        let mut value = None;
        for rdn in name.iter() {
            let members = rdn.iter().count();
            for attr in rdn.iter().filter(|a| a.attr_type() == oid) {
                found += 1;
                multi_valued |= members > 1;
                value = Some(directory_string(attr.attr_value()));
            }
        }
        match (found, value) {
            (0, _) | (_, None) => Self::Missing,
            (1, _) if multi_valued => Self::MultiValued,
            (1, Some(Ok(v))) => Self::One(v),
            (1, Some(Err(why))) => Self::Undecodable(why),
            (n, _) => Self::Several(n),
        }
    }

    /// The value a rule compares, if there is exactly one usable.
    fn value(&self) -> Option<&str> {
        match self {
            Self::One(v) => Some(v),
            _ => None,
        }
    }

    /// Why no rule on this attribute (`name`: O or CN) can match, if none can.
    fn unusable(&self, name: &str) -> Option<String> {
        Some(match self {
            Self::One(_) => return None,
            Self::Missing => format!("its subject has no {name}"),
            Self::Several(n) => format!(
                "its subject has {n} {name} attributes, so no rule on {name} can match (a rule compares the one {name})"
            ),
            Self::MultiValued => format!(
                "its subject's {name} is in a multi-valued RDN, so no rule on {name} can match"
            ),
            Self::Undecodable(why) => format!(
                "its subject's {name} cannot be compared: {why}"
            ),
        })
    }
}

/// Decodes an X.520 DirectoryString (or IA5String) attribute value, refusing
/// any value that two readers could decode differently.
///
/// UTF8String must be UTF-8; PrintableString and IA5String ASCII (the
/// narrower PrintableString set is not enforced: CAs put `&` or `*` in it);
/// BMPString is UCS-2, big-endian, without surrogates; UniversalString is
/// UCS-4, big-endian. TeletexString (T.61) is accepted only in printable ASCII
/// without ``# $ \ ^ ` { } ~``, the characters T.61 lacks or puts elsewhere:
/// readers decode the rest of T.61 differently (as Latin-1, as T.61 with
/// combining accents), so any other byte is refused rather than guessed. Any
/// other string type, a non-universal or constructed encoding, and any
/// control character are refused.
fn directory_string(value: &x509_parser::der_parser::asn1_rs::Any<'_>) -> Result<String, String> {
    use x509_parser::der_parser::asn1_rs::{Class, Tag};
    let data = value.data;
    if value.class() != Class::Universal || value.header.is_constructed() {
        return Err("it is not a primitive universal string".into());
    }
    let text = match value.tag() {
        Tag::Utf8String => std::str::from_utf8(data)
            .map(str::to_owned)
            .map_err(|_| "a UTF8String that is not UTF-8".to_owned())?,
        Tag::PrintableString | Tag::Ia5String => {
            if !data.is_ascii() {
                return Err("a PrintableString or IA5String with bytes that are not ASCII".into());
            }
            data.iter().map(|b| char::from(*b)).collect()
        }
        Tag::T61String => {
            let shared = |b: &u8| {
                (0x20..=0x7e).contains(b)
                    && !matches!(b, b'#' | b'$' | b'\\' | b'^' | b'`' | b'{' | b'}' | b'~')
            };
            if !data.iter().all(shared) {
                return Err("a TeletexString (T.61) with characters outside printable ASCII, or ones T.61 reads differently (# $ \\ ^ ` { } ~): readers decode them differently".into());
            }
            data.iter().map(|b| char::from(*b)).collect()
        }
        Tag::BmpString => {
            if data.len() % 2 != 0 {
                return Err("a BMPString of odd length".into());
            }
            data.chunks_exact(2)
                .map(|c| {
                    c.first()
                        .zip(c.get(1))
                        .and_then(|(hi, lo)| char::from_u32(u32::from(*hi) << 8 | u32::from(*lo)))
                })
                .collect::<Option<String>>()
                .ok_or("a BMPString with a surrogate code unit (UCS-2 has none)")?
        }
        Tag::UniversalString => {
            if data.len() % 4 != 0 {
                return Err("a UniversalString whose length is not a multiple of 4".into());
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(c.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b))))
                .collect::<Option<String>>()
                .ok_or("a UniversalString with a value that is not a Unicode character")?
        }
        other => {
            return Err(format!(
                "it is encoded as ASN.1 tag {}, not one of the DirectoryString types",
                other.0
            ))
        }
    };
    if text.chars().any(char::is_control) {
        return Err("it holds control characters".into());
    }
    Ok(text)
}

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

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(at)
        .filter(|b| **b == b'\n')
        .count()
        + 1
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
