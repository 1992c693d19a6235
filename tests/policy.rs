//! The trust policy through the library: the rotation demo, anchor windows,
//! package intermediates, allowed issuers, signer rules, distrust, threshold,
//! EKU, algorithms, CRL freshness, and errors in the file itself.
//! (tests/cli.rs runs each feature through the example binary.)

mod common;

use std::path::Path;

use common::*;
use pkgverify::{
    ChainError, Error, Fingerprint, Fingerprinted, LoadError, NotAllowed, Origin,
    PackageIntermediates, PathEnd, Policy, RevocationUnknown, SignatureStatus, SignerRule,
    TrustStore, UnixTime, Verifier,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

const BEFORE_DEADLINE: &str = "2027-01-01T00:00:00Z";

fn time(t: &str) -> UnixTime {
    pkgverify::parse_rfc3339(t).unwrap()
}

/// A policy from TOML whose paths are relative to testdata/pki, and its store.
#[track_caller]
fn policy(text: &str) -> (TrustStore, Policy) {
    let (policy, trust) =
        Policy::from_toml(text, &pki(""), "test.toml").unwrap_or_else(|e| panic!("{e}"));
    (trust, policy)
}

fn verifier_at(text: &str, at: &str) -> Verifier {
    let (trust, policy) = policy(text);
    Verifier::new(trust, time(at)).with_policy(policy)
}

fn verify_with(
    text: &str,
    bytes: &[u8],
) -> Result<pkgverify::VerifiedPackage, pkgverify::Rejection> {
    verifier_at(text, AT).verify_both(bytes)
}

/// The policy-file error for `text`.
#[track_caller]
fn policy_error(text: &str) -> LoadError {
    match Policy::from_toml(text, &pki(""), "test.toml") {
        Ok(_) => panic!("the policy was accepted:\n{text}"),
        Err(e) => e,
    }
}

fn der(file: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(&read(pki(file)))
        .unwrap()
        .to_vec()
}

fn cert_fp(file: &str) -> String {
    Fingerprint::of_certificate(&der(file)).to_string()
}

fn key_fp(file: &str) -> String {
    Fingerprint::of_public_key(&der(file)).unwrap().to_string()
}

const G2: &str = "version = 1\n[[anchors]]\nname = \"G2\"\nfile = \"root-g2.pem\"\n";
const G1_G2: &str = "version = 1\n[[anchors]]\nname = \"G1\"\nfile = \"root-g1.pem\"\n[[anchors]]\nname = \"G2\"\nfile = \"root-g2.pem\"\n";

fn demo() -> Vec<u8> {
    read(repo().join("testdata/Full-upgrade-package-dten.zip"))
}

// ---- the rotation demo ----------------------------------------------------

#[test]
fn rotation_demo_three_ways() {
    let file = repo().join("testdata/policy/rotation.toml");
    // 1. G1 only, no advisory chain: rejected, naming the missing issuer.
    let r = assert_kind(
        verifier(store(&["root-g1"], &[], &[])).verify_both(&demo()),
        "untrusted_signer",
    );
    assert_eq!(
        issuer_missing(&r).issuer,
        "O=DTEN Test Vendor (example), CN=DTEN Test Root G2"
    );

    // 2. The policy: G1 until 2027-03-31 plus the advisory chain.
    let load = |at: &str| {
        let (policy, trust) = Policy::load(&file).unwrap();
        Verifier::new(trust, time(at)).with_policy(policy)
    };
    let p = assert_ok(load(BEFORE_DEADLINE).verify_both(&demo()));
    let chain = &p.signatures()[0].chain;
    assert!(chain[3].contains("Root G1"), "{chain:?}");
    // The last day of the grace period still counts; the next does not.
    assert_ok(load("2027-03-31T23:59:59Z").verify_both(&demo()));
    let r = assert_kind(
        load("2027-04-01T00:00:00Z").verify_both(&demo()),
        "untrusted_signer",
    );
    let r2 = assert_kind(load(AT).verify_both(&demo()), "untrusted_signer");
    for r in [&r, &r2] {
        match path_end(r) {
            PathEnd::AnchorOutsideWindow { label, window, .. } => {
                assert_eq!(label, "DTEN Root G1");
                assert_eq!(window.not_after, Some(time("2027-03-31T23:59:59Z")));
            }
            e => panic!("{e:?}"),
        }
        // The signature's own outcome carries the same cause.
        let s = &r.signatures()[0];
        assert_eq!(s.status, SignatureStatus::Untrusted);
        assert!(
            matches!(&s.problem, Some(Error::Untrusted { cause, .. }) if **cause == *super_cause(r)),
            "{s:?}"
        );
    }

    // 3. G2 as the anchor.
    let (policy, trust) = Policy::load(repo().join("testdata/policy/g2.toml")).unwrap();
    assert_ok(
        Verifier::new(trust, at())
            .with_policy(policy)
            .verify_both(&demo()),
    );
}

/// The cause of a rejected signer.
fn super_cause(r: &pkgverify::Rejection) -> &ChainError {
    cause(r)
}

#[test]
fn an_anchor_is_not_used_before_its_window_opens() {
    let text = format!("{G2}not_before = 2027-07-01\n");
    let r = assert_kind(verify_with(&text, &good_package()), "untrusted_signer");
    assert!(
        matches!(
            path_end(&r),
            PathEnd::AnchorOutsideWindow { window, .. }
                if window.not_before == Some(time("2027-07-01T00:00:00Z"))
        ),
        "{r}"
    );
    assert_ok(verifier_at(&text, "2027-07-01T00:00:00Z").verify_both(&good_package()));
    // An RFC 3339 string works as well as a TOML date-time.
    let text = format!("{G2}not_after = \"2027-05-01T12:00:00Z\"\n");
    let r = assert_kind(verify_with(&text, &good_package()), "untrusted_signer");
    assert!(
        matches!(
            path_end(&r),
            PathEnd::AnchorOutsideWindow { window, .. }
                if window.not_after == Some(time("2027-05-01T12:00:00Z"))
        ),
        "{r}"
    );
}

/// Whether the G2 policy with `window` (anchor keys) accepts the good package at `at`.
fn window_accepts(window: &str, at: &str) -> bool {
    verifier_at(&format!("{G2}{window}\n"), at)
        .verify_both(&good_package())
        .is_ok()
}

#[test]
fn date_time_not_after_is_exclusive_while_x509_not_after_is_inclusive() {
    // not_after is the last second trusted, as a certificate's notAfter is.
    for window in [
        "not_after = 2027-05-01T12:00:00Z",
        "not_after = \"2027-05-01T12:00:00Z\"",
        "not_after = 2027-05-01T14:00:00+02:00",
    ] {
        assert!(window_accepts(window, "2027-05-01T12:00:00Z"), "{window}");
        assert!(!window_accepts(window, "2027-05-01T12:00:01Z"), "{window}");
    }
    // not_before is inclusive too: a window of one second holds that second.
    let one = "not_before = 2027-05-01T12:00:00Z\nnot_after = 2027-05-01T12:00:00Z";
    assert!(!window_accepts(one, "2027-05-01T11:59:59Z"));
    assert!(window_accepts(one, "2027-05-01T12:00:00Z"));
    assert!(!window_accepts(one, "2027-05-01T12:00:01Z"));
    // A date alone still means the whole day (UTC), as the same inclusive end.
    let day = "not_after = 2027-03-31";
    assert!(window_accepts(day, "2027-03-31T23:59:59Z"));
    assert!(!window_accepts(day, "2027-04-01T00:00:00Z"));
    let r = assert_kind(
        verify_with(&format!("{G2}{day}\n"), &good_package()),
        "untrusted_signer",
    );
    assert!(
        matches!(
            path_end(&r),
            PathEnd::AnchorOutsideWindow { window, .. }
                if window.not_after == Some(time("2027-03-31T23:59:59Z"))
        ),
        "{r}"
    );
    // The library type says the same.
    let end = time("2027-05-01T12:00:00Z");
    let w = pkgverify::AnchorWindow {
        not_before: None,
        not_after: Some(end),
    };
    assert!(w.contains(end));
    assert!(!w.contains(time("2027-05-01T12:00:01Z")));
}

#[test]
fn fractional_seconds_and_leap_seconds_end_the_window_early() {
    // (window, a time it must hold, the first whole second it must not).
    let cases = [
        (
            "not_after = 2027-03-31T23:59:59.5Z",
            "2027-03-31T23:59:59Z",
            "2027-04-01T00:00:00Z",
        ),
        (
            "not_after = \"2027-03-31T23:59:59.999999Z\"",
            "2027-03-31T23:59:59Z",
            "2027-04-01T00:00:00Z",
        ),
        // A leap second is the end of its minute: trusted through 23:59:60.
        (
            "not_after = 2027-06-30T23:59:60Z",
            "2027-06-30T23:59:59Z",
            "2027-07-01T00:00:00Z",
        ),
        (
            "not_after = \"2027-12-31T23:59:60Z\"",
            "2027-12-31T23:59:59Z",
            "2028-01-01T00:00:00Z",
        ),
    ];
    for (window, inside, outside) in cases {
        assert!(window_accepts(window, inside), "{window} at {inside}");
        assert!(!window_accepts(window, outside), "{window} at {outside}");
    }
    // A fractional not_before does not open the window early either.
    let late = "not_before = 2027-05-01T12:00:00.25Z";
    assert!(!window_accepts(late, "2027-05-01T12:00:00Z"));
    assert!(window_accepts(late, "2027-05-01T12:00:01Z"));
}

#[test]
fn not_before_after_not_after_silently_disables_the_anchor() {
    for (window, mentions) in [
        (
            "not_before = 2027-05-01\nnot_after = 2027-03-31",
            "not_before 2027-05-01 is later than not_after 2027-03-31",
        ),
        (
            "not_before = \"2027-03-31T12:00:00Z\"\nnot_after = 2027-03-31T11:00:00Z",
            "not_before \"2027-03-31T12:00:00Z\" is later than not_after 2027-03-31T11:00:00Z",
        ),
        // Within one second: the window holds no whole second.
        (
            "not_before = 2027-03-31T12:00:00.2Z\nnot_after = 2027-03-31T12:00:00.7Z",
            "leaves no whole second before not_after",
        ),
    ] {
        let e = policy_error(&format!("{G2}{window}\n"));
        assert_eq!(e.kind(), "policy_invalid", "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("anchor \"G2\"")
                && msg.contains(mentions)
                && msg.contains("never be trusted")
                && msg.contains("line 5"),
            "{msg}"
        );
    }
    // Equal bounds, a date each: that one day.
    assert!(window_accepts(
        "not_before = 2027-06-01\nnot_after = 2027-06-01",
        AT
    ));
}

#[test]
fn an_expired_anchor_is_named_in_the_signature_report() {
    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
        Issuer, KeyPair,
    };
    let mut root = CertificateParams::default();
    root.distinguished_name.push(DnType::CommonName, "Old Root");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.not_before = date_time_ymd(2020, 1, 1);
    root.not_after = date_time_ymd(2027, 1, 1);
    let root_key = KeyPair::generate().unwrap();
    let root_cert = root.self_signed(&root_key).unwrap();
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name.push(DnType::CommonName, "Leaf");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    leaf.not_before = date_time_ymd(2020, 1, 1);
    leaf.not_after = date_time_ymd(2030, 1, 1);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf
        .signed_by(&leaf_key, &Issuer::new(root, root_key))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.pem"), root_cert.pem()).unwrap();
    let key = pkgverify::SigningKey::from_pkcs8_der(&leaf_key.serialize_der()).unwrap();
    let bytes = build(builder(&[]).signer("v", key, leaf_cert.pem().into_bytes()));
    let (policy, trust) = Policy::from_toml(
        "version = 1\n[[anchors]]\nname = \"Old\"\nfile = \"old.pem\"\n",
        dir.path(),
        "p.toml",
    )
    .unwrap();
    let r = assert_kind(
        Verifier::new(trust, at())
            .with_policy(policy)
            .verify_both(&bytes),
        "certificate_expired",
    );
    let Some(Error::Untrusted { cause, .. }) = &r.signatures()[0].problem else {
        panic!("{r:?}");
    };
    match &**cause {
        ChainError::Expired {
            certificate,
            role,
            not_after,
            ..
        } => {
            assert_eq!(certificate, "CN=Old Root");
            assert_eq!(*role, pkgverify::PathRole::Anchor);
            assert_eq!(*not_after, time("2027-01-01T00:00:00Z"));
        }
        other => panic!("{other:?}"),
    }
}

// ---- package intermediates and issuers --------------------------------------

/// A leaf under a sibling CA ("Sibling CA", issued by Root G2 like Signing CA
/// G2), bundled in the package: its key and chain file.
fn sibling_signer() -> (pkgverify::SigningKey, Vec<u8>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let root = issuer("root-g2");
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::OrganizationName, "DTEN Test Vendor (example)");
    ca.distinguished_name.push(DnType::CommonName, "Sibling CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.signed_by(&ca_key, &root).unwrap();
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name
        .push(DnType::OrganizationName, "DTEN Test Vendor (example)");
    leaf.distinguished_name
        .push(DnType::CommonName, "Sibling Code Signing");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &Issuer::new(ca, ca_key)).unwrap();
    let key = pkgverify::SigningKey::from_pkcs8_der(&leaf_key.serialize_der()).unwrap();
    (
        key,
        format!("{}{}", leaf_cert.pem(), ca_cert.pem()).into_bytes(),
    )
}

#[test]
fn package_intermediates_false_uses_only_the_policy_intermediates() {
    let (key, chain) = sibling_signer();
    let sibling = build(builder(&[]).signer("sibling", key, chain));
    // By default the bundled Sibling CA builds the path.
    assert_ok(verify_with(G2, &sibling));
    let strict = format!(
        "version = 1\npackage_intermediates = false\nintermediates = [\"signing-ca-g2.pem\"]\n{}",
        &G2[12..]
    );
    let r = assert_kind(verify_with(&strict, &sibling), "untrusted_signer");
    let missing = issuer_missing(&r);
    assert_eq!(
        missing.issuer,
        "CN=Sibling CA, O=DTEN Test Vendor (example)"
    );
    assert_eq!(
        (missing.bundled, missing.withheld, missing.store),
        (0, 1, 1),
        "{r}"
    );
    assert_eq!(
        missing.offered,
        [(
            "O=DTEN Test Vendor (example), CN=DTEN Test Signing CA G2".to_string(),
            Origin::Store
        )]
    );
    // The operator is told the policy kept the bundled CA out.
    assert!(
        r.to_string()
            .contains("1 more bundled but not used (trust policy: package_intermediates = false)"),
        "{r}"
    );
    // The vendor's own signer verifies through the policy's Signing CA G2.
    assert_ok(verify_with(&strict, &good_package()));
    // Without that intermediate in the policy, nothing bundled helps.
    let bare = "version = 1\npackage_intermediates = false\n[[anchors]]\nname = \"G2\"\nfile = \"root-g2.pem\"\n";
    assert_kind(verify_with(bare, &good_package()), "untrusted_signer");

    // The library builder says the same.
    let policy = Policy::new().package_intermediates(PackageIntermediates::Ignore);
    let trust = store(&["root-g2"], &["signing-ca-g2"], &[]);
    let v = Verifier::new(trust, at()).with_policy(policy);
    assert_kind(v.verify_both(&sibling), "untrusted_signer");
    assert_ok(v.verify_both(&good_package()));
}

#[test]
fn allowed_issuers_by_certificate_or_key() {
    let ok_cert = format!(
        "version = 1\nallowed_issuers = [\"{}\"]\n{}",
        cert_fp("signing-ca-g2.pem"),
        &G2[12..]
    );
    assert_ok(verify_with(&ok_cert, &good_package()));
    // Colon-separated uppercase, as openssl prints it, and the key's fingerprint.
    let colons = Fingerprint::parse(&key_fp("signing-ca-g2.pem"))
        .unwrap()
        .0
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let ok_key = format!(
        "version = 1\nallowed_issuers = [\"{colons}\"]\n{}",
        &G2[12..]
    );
    assert_ok(verify_with(&ok_key, &good_package()));

    let (key, chain) = sibling_signer();
    let sibling = build(builder(&[]).signer("sibling", key, chain));
    let r = assert_kind(verify_with(&ok_cert, &sibling), "signer_not_allowed");
    assert!(
        matches!(cause(&r), ChainError::NotAllowed(NotAllowed::Issuer { issuer, .. })
            if issuer == "CN=Sibling CA, O=DTEN Test Vendor (example)"),
        "{r}"
    );
    assert!(
        r.to_string().contains("allowed_issuers"),
        "names the option: {r}"
    );
}

// ---- signers and distrust ------------------------------------------------------

#[test]
fn signer_rules_by_subject_and_pin() {
    let rules: &[(&str, bool)] = &[
        ("organization = \"DTEN Test Vendor (example)\"", true),
        ("organization = \"Someone Else\"", false),
        ("common_name = \"DTEN Test Code Signing ECDSA *\"", true),
        ("common_name = \"* P-384\"", false),
        ("common_name = \"DTEN Test Code Signing ECDSA P-256\"", true),
        (
            "organization = \"DTEN Test Vendor (example)\"\ncommon_name = \"*RSA*\"",
            false,
        ),
        (&format!("sha256 = \"{}\"", key_fp("signer-p256.pem")), true),
        (
            &format!("sha256 = \"{}\"", cert_fp("signer-p256.pem")),
            true,
        ),
        (
            &format!("sha256 = \"{}\"", key_fp("signer-p384.pem")),
            false,
        ),
    ];
    for (rule, allowed) in rules {
        let text = format!("{G2}[[signers]]\n{rule}\n");
        let result = verify_with(&text, &good_package());
        if *allowed {
            assert_ok(result);
        } else {
            let r = assert_kind(result, "signer_not_allowed");
            match cause(&r) {
                ChainError::NotAllowed(NotAllowed::Signer { rules, key, .. }) => {
                    assert_eq!(rules.len(), 1, "{rule}: {r}");
                    assert_eq!(key.to_string(), key_fp("signer-p256.pem"), "{rule}");
                }
                c => panic!("{rule}: {c:?}"),
            }
            assert!(
                r.to_string()
                    .contains("CN=DTEN Test Code Signing ECDSA P-256"),
                "{rule}: names the signer: {r}"
            );
        }
    }
    // Several rules: any one is enough.
    let text = format!(
        "{G2}[[signers]]\ncommon_name = \"* P-384\"\n[[signers]]\ncommon_name = \"* P-256\"\n"
    );
    assert_ok(verify_with(&text, &good_package()));
    // Through the builder.
    let v = verifier(trust_g2())
        .with_policy(Policy::new().allow_signer(SignerRule::new().common_name("* P-384")));
    assert_kind(v.verify_both(&good_package()), "signer_not_allowed");
}

/// A code-signing leaf of Signing CA G2 with subject `dn`: its key and its
/// certificate (DER), to be edited with `reissue` or used as is.
fn leaf_of_signing_ca_g2(dn: rcgen::DistinguishedName) -> (pkgverify::SigningKey, Vec<u8>) {
    use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer("signing-ca-g2")).unwrap();
    (
        pkgverify::SigningKey::from_pkcs8_der(&key.serialize_der()).unwrap(),
        cert.der().to_vec(),
    )
}

/// The good package's files signed by `key` with `cert` (DER) and Signing CA G2 as its chain.
fn signed_by(key: pkgverify::SigningKey, cert: &[u8]) -> Vec<u8> {
    let chain = format!(
        "{}{}",
        cert_pem(cert),
        String::from_utf8(read(pki("signing-ca-g2.pem"))).unwrap()
    );
    build(builder(&[]).signer("v", key, chain.into_bytes()))
}

/// The rules a vendor's operator writes: its O, and its CNs.
const VENDOR_RULE: &str =
    "[[signers]]\norganization = \"DTEN Test Vendor (example)\"\ncommon_name = \"DTEN Test Code Signing *\"\n";

#[test]
fn signer_rules_cannot_see_bmp_t61_or_universal_string_subjects() {
    use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString, UniversalString};
    use rcgen::{DistinguishedName, DnType, DnValue};
    let o = "DTEN Test Vendor (example)";
    let cn = "DTEN Test Code Signing ECDSA P-256";
    type Encode = fn(&str) -> DnValue;
    let encodings: Vec<(&str, Encode)> = vec![
        ("UTF8String", |s| DnValue::Utf8String(s.into())),
        ("PrintableString", |s| {
            DnValue::PrintableString(PrintableString::try_from(s).unwrap())
        }),
        ("IA5String", |s| {
            DnValue::Ia5String(Ia5String::try_from(s).unwrap())
        }),
        ("TeletexString", |s| {
            DnValue::TeletexString(TeletexString::try_from(s).unwrap())
        }),
        ("BMPString", |s| {
            DnValue::BmpString(BmpString::try_from(s).unwrap())
        }),
        ("UniversalString", |s| {
            DnValue::UniversalString(UniversalString::try_from(s).unwrap())
        }),
    ];
    for (encoding, value) in &encodings {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, value(o));
        dn.push(DnType::CommonName, value(cn));
        let (key, cert) = leaf_of_signing_ca_g2(dn);
        let bytes = signed_by(key, &cert);
        let p = verify_with(&format!("{G2}{VENDOR_RULE}"), &bytes)
            .unwrap_or_else(|r| panic!("{encoding}: {}: {r}", r.kind()));
        assert_eq!(
            p.signatures()[0].status,
            SignatureStatus::Trusted,
            "{encoding}"
        );
        // And a rule for someone else still does not match.
        let other = format!("{G2}[[signers]]\norganization = \"DTEN Test Vendor\"\n");
        assert_kind(verify_with(&other, &bytes), "signer_not_allowed");
    }
    // Beyond ASCII: UTF8String, BMPString and UniversalString decode to the same text.
    let o = "Fabrikam Überwachung GmbH";
    let rule = format!("{G2}[[signers]]\norganization = \"{o}\"\n");
    for (encoding, value) in [&encodings[0], &encodings[4], &encodings[5]] {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, value(o));
        let (key, cert) = leaf_of_signing_ca_g2(dn);
        let p = verify_with(&rule, &signed_by(key, &cert))
            .unwrap_or_else(|r| panic!("{encoding}: {}: {r}", r.kind()));
        assert_eq!(p.signatures()[0].status, SignatureStatus::Trusted);
    }
}

/// The good package signed by a Signing CA G2 leaf whose subject is `subject` (DER Name).
fn signed_with_subject(subject: Vec<u8>) -> Vec<u8> {
    let (key, cert) = leaf_of_signing_ca_g2(rcgen::DistinguishedName::new());
    signed_by(key, &reissue(&cert, TBS_SUBJECT, subject, "signing-ca-g2"))
}

/// Asserts that `rule` does not let a signer with `subject` sign, giving `why`.
#[track_caller]
fn rule_refuses(subject: Vec<u8>, rule: &str, why: &str) {
    let bytes = signed_with_subject(subject);
    // Without the rule the signer is trusted: only the rule refuses it.
    assert_ok(verify_with(G2, &bytes));
    let r = assert_kind(
        verify_with(&format!("{G2}[[signers]]\n{rule}\n"), &bytes),
        "signer_not_allowed",
    );
    assert!(r.to_string().contains(why), "{rule}: {r}");
}

#[test]
fn undecidable_subject_strings_match_no_signer_rule() {
    use common::der::{name, BMP, O, T61, UTF8};
    // (the O's string type and bytes, the rule's O, the reason given after
    // "its subject's O cannot be compared: ")
    let cases: &[(u8, &[u8], &str, &str)] = &[
        // T.61 beyond ASCII: Latin-1 to some readers, T.61 accents to others.
        (
            T61,
            b"Fabrikam \xdcberwachung",
            "Fabrikam Überwachung",
            "TeletexString",
        ),
        // T.61 has no `$` where ASCII has it.
        (T61, b"Vendor $", "Vendor $", "TeletexString"),
        (BMP, &[0x00, 0x41, 0xd8, 0x00], "A", "surrogate"),
        (BMP, &[0x00, 0x41, 0x00], "A", "odd length"),
        (UTF8, &[0x41, 0xff], "A", "not UTF-8"),
        (
            UTF8,
            b"DTEN\x00evil",
            "DTEN\\u0000evil",
            "control characters",
        ),
    ];
    for (tag, value, rule_o, why) in cases {
        rule_refuses(
            name(&[&[(O, *tag, value)]]),
            &format!("organization = \"{rule_o}\""),
            why,
        );
    }
}

#[test]
fn any_one_of_several_o_or_cn_attributes_satisfies_a_signer_rule() {
    use common::der::{name, CN, O, UTF8};
    let vendor: &[u8] = b"DTEN Test Vendor (example)";
    let attacker: &[u8] = b"Attacker Ltd";
    let cn: &[u8] = b"DTEN Test Code Signing ECDSA P-256";
    let o_rule = "organization = \"DTEN Test Vendor (example)\"";
    let cn_rule = "common_name = \"DTEN Test Code Signing *\"";
    // The signer's own O first, then the vendor's, in separate RDNs (a CA
    // that copies a customer's request), and the other way round.
    for (first, second) in [(attacker, vendor), (vendor, attacker)] {
        rule_refuses(
            name(&[&[(O, UTF8, first)], &[(O, UTF8, second)], &[(CN, UTF8, cn)]]),
            o_rule,
            "its subject has 2 O attributes",
        );
    }
    // Two CNs.
    rule_refuses(
        name(&[
            &[(O, UTF8, vendor)],
            &[(CN, UTF8, b"Attacker Code Signing")],
            &[(CN, UTF8, cn)],
        ]),
        cn_rule,
        "its subject has 2 CN attributes",
    );
    // One O, but inside a multi-valued RDN (O=... + CN=...).
    rule_refuses(
        name(&[&[(O, UTF8, vendor), (CN, UTF8, cn)]]),
        o_rule,
        "its subject's O is in a multi-valued RDN",
    );
    rule_refuses(
        name(&[&[(O, UTF8, vendor)], &[(CN, UTF8, cn), (O, UTF8, attacker)]]),
        o_rule,
        "its subject has 2 O attributes",
    );
    rule_refuses(
        name(&[&[(O, UTF8, vendor)], &[(CN, UTF8, cn), (CN, UTF8, cn)]]),
        cn_rule,
        "its subject has 2 CN attributes",
    );
    // One of each, in single-valued RDNs: matched, through both rules.
    let bytes = signed_with_subject(name(&[&[(O, UTF8, vendor)], &[(CN, UTF8, cn)]]));
    assert_ok(verify_with(&format!("{G2}{VENDOR_RULE}"), &bytes));
    // A rule by fingerprint does not care how the subject is written.
    let bytes = signed_with_subject(name(&[&[(O, UTF8, vendor), (O, UTF8, attacker)]]));
    let signer = verify_with(G2, &bytes).unwrap().signatures()[0]
        .signer
        .clone()
        .unwrap();
    let pin = format!(
        "{G2}[[signers]]\nsha256 = \"{}\"\n",
        signer.public_key_sha256
    );
    assert_ok(verify_with(&pin, &bytes));
}

#[test]
fn distrusted_certificates_and_keys_anywhere_on_the_path() {
    for (fp, names) in [
        (cert_fp("signing-ca-g2.pem"), "CN=DTEN Test Signing CA G2"),
        (
            key_fp("signer-p256.pem"),
            "CN=DTEN Test Code Signing ECDSA P-256",
        ),
        (key_fp("root-g2.pem"), "CN=DTEN Test Root G2"),
    ] {
        let text = format!("version = 1\ndistrust = [\"{fp}\"]\n{}", &G2[12..]);
        let r = assert_kind(
            verify_with(&text, &good_package()),
            "certificate_distrusted",
        );
        match cause(&r) {
            ChainError::Distrusted {
                certificate,
                fingerprint,
                ..
            } => {
                assert!(certificate.ends_with(names), "{certificate}");
                assert_eq!(fingerprint.to_string(), fp);
            }
            other => panic!("{other:?}"),
        }
    }
    // Dual-signed across the rotation with G1's signing CA distrusted: the G2
    // signature carries the package, the G1 one is reported.
    let bytes = build(builder(&["signer-g1", "signer-p256"]));
    let text = format!(
        "version = 1\ndistrust = [\"{}\"]\n{}",
        cert_fp("signing-ca-g1.pem"),
        &G1_G2[12..]
    );
    let p = assert_ok(verify_with(&text, &bytes));
    let g1 = p
        .signatures()
        .iter()
        .find(|s| s.name == "signer-g1")
        .unwrap();
    assert_eq!(g1.status, SignatureStatus::Untrusted);
    assert_eq!(
        g1.problem.as_ref().unwrap().kind(),
        "certificate_distrusted"
    );
}

#[test]
fn policy_rejections_rank_above_chain_failures() {
    // signer-g1 is unknown under G2 only (untrusted_signer); signer-p256 is distrusted.
    let bytes = build(builder(&["signer-g1", "signer-p256"]));
    let text = format!(
        "version = 1\ndistrust = [\"{}\"]\n{}",
        key_fp("signer-p256.pem"),
        &G2[12..]
    );
    assert_kind(verify_with(&text, &bytes), "certificate_distrusted");
    let text = format!("{G2}[[signers]]\ncommon_name = \"nobody\"\n");
    let r = assert_kind(verify_with(&text, &bytes), "signer_not_allowed");
    assert_eq!(r.signatures().len(), 2);
}

// ---- threshold -------------------------------------------------------------------

#[test]
fn threshold_two_needs_two_distinct_keys() {
    let file = repo().join("testdata/policy/two-person.toml");
    let load = || {
        let (policy, trust) = Policy::load(&file).unwrap();
        assert_eq!(policy.required_signers(), 2);
        Verifier::new(trust, at()).with_policy(policy)
    };
    let r = assert_kind(load().verify_both(&good_package()), "threshold_not_met");
    assert!(
        matches!(
            r.error(),
            Error::ThresholdNotMet {
                required: 2,
                trusted: 1,
                ..
            }
        ),
        "{r}"
    );
    let p = assert_ok(load().verify_both(&build(builder(&["signer-g1", "signer-p256"]))));
    assert_eq!(p.signatures().len(), 2);

    // The same key twice counts once: the same certificate, or two
    // certificates for one key (the threshold counts key fingerprints from
    // the validated chains).
    let counted = |r: &pkgverify::Rejection| match r.error() {
        Error::ThresholdNotMet { signatures, .. } => signatures.clone(),
        e => panic!("{e:?}"),
    };
    for name in ["same certificate", "another certificate"] {
        let (k1, c1) = signer("signer-p256");
        let (k2, c2) = if name == "same certificate" {
            signer("signer-p256")
        } else {
            second_certificate_for_the_p256_key()
        };
        let twice = build(builder(&[]).signer("a", k1, c1).signer("b", k2, c2));
        let r = assert_kind(load().verify_both(&twice), "threshold_not_met");
        let keys: Vec<_> = r
            .signatures()
            .iter()
            .map(|s| s.signer.as_ref().unwrap().public_key_sha256)
            .collect();
        assert_eq!(keys[0], keys[1], "{name}");
        assert!(
            matches!(
                &counted(&r)[..],
                [(a, pkgverify::Counted::Yes), (b, pkgverify::Counted::SameKey)] if a == "a" && b == "b"
            ),
            "{name}: {r}"
        );
    }
    // Two keys count twice (the same certificate subject aside).
    let p = assert_ok(load().verify_both(&build(builder(&["signer-p256", "signer-p384"]))));
    assert_eq!(p.signatures().len(), 2);

    // A second signature that is not trusted does not count, and says why.
    let with_expired = build(builder(&["signer-p256", "bad-expired"]));
    let r = assert_kind(load().verify_both(&with_expired), "threshold_not_met");
    match &counted(&r)[1] {
        (name, pkgverify::Counted::No(e)) => {
            assert_eq!(name, "bad-expired");
            assert_eq!(e.kind(), "certificate_expired");
        }
        other => panic!("{other:?}"),
    }
    // With no trusted signature at all, the most specific reason is reported as before.
    assert_kind(
        load().verify_both(&build(builder(&["bad-expired"]))),
        "certificate_expired",
    );
}

// ---- EKU, algorithms, CRLs ----------------------------------------------------------

#[test]
fn a_policy_offers_only_the_code_signing_eku() {
    let server = build(builder(&["bad-serverauth"]));
    let r = assert_kind(verify_with(G2, &server), "wrong_key_usage");
    assert!(matches!(
        cause(&r),
        ChainError::UsageMissing {
            usage: pkgverify::Usage::CodeSigning,
            listed: Some(listed),
            ..
        } if listed == &["serverAuth".to_string()]
    ));
    // The reference suites' TLS usages are not the operator's to choose.
    for eku in ["server_auth", "client_auth"] {
        let e = policy_error(&format!("version = 1\neku = \"{eku}\"\n{}", &G2[12..]));
        assert!(
            matches!(&e, LoadError::Policy { line: Some(2), .. }),
            "{e:?}"
        );
    }
    let code = format!("version = 1\neku = \"code_signing\"\n{}", &G2[12..]);
    assert_ok(verify_with(&code, &good_package()));
}

#[test]
fn accepted_signature_algorithms() {
    let text = format!(
        "version = 1\nalgorithms = [\"ecdsa-p384-sha384\", \"ed25519\"]\n{}",
        &G2[12..]
    );
    let r = assert_kind(verify_with(&text, &good_package()), "signer_not_allowed");
    use pkgverify::Algorithm as A;
    assert_eq!(
        cause(&r),
        &ChainError::NotAllowed(NotAllowed::Algorithm {
            used: A::EcdsaP256Sha256,
            accepted: vec![A::EcdsaP384Sha384, A::Ed25519],
        })
    );
    assert_ok(verify_with(&text, &build(builder(&["signer-p384"]))));
}

/// A CRL for Signing CA G2 (no revocations) whose nextUpdate is 2027-01-01.
fn stale_crl(dir: &Path) {
    let crl = signing_ca_g2_crl((2026, 1, 1), (2027, 1, 1), 7);
    std::fs::write(dir.join("stale.crl"), crl).unwrap();
    std::fs::copy(pki("root-g2.pem"), dir.join("root-g2.pem")).unwrap();
}

#[test]
fn a_stale_crl_rejects_unless_the_policy_opts_out() {
    let dir = tempfile::tempdir().unwrap();
    stale_crl(dir.path());
    let load = |extra: &str| {
        let text = format!("version = 1\ncrls = [\"stale.crl\"]\n{extra}{}", &G2[12..]);
        let (policy, trust) = Policy::from_toml(&text, dir.path(), "p.toml").unwrap();
        Verifier::new(trust, at()).with_policy(policy)
    };
    let r = assert_kind(load("").verify_both(&good_package()), "untrusted_signer");
    assert!(
        matches!(cause(&r), ChainError::RevocationUnknown {
            why: RevocationUnknown::Expired { next_update }, ..
        } if *next_update == time("2027-01-01T00:00:00Z")),
        "{r}"
    );
    assert_kind(
        load("crl_expiration = \"enforce\"\n").verify_both(&good_package()),
        "untrusted_signer",
    );
    assert_ok(load("crl_expiration = \"ignore\"\n").verify_both(&good_package()));
}

// ---- the file itself -------------------------------------------------------------------

#[test]
fn errors_in_the_file_name_the_line() {
    let fp = cert_fp("root-g2.pem");
    let cases: &[(&str, Option<usize>, &str)] = &[
        ("version = 1\nanchor = []\n", Some(2), "anchor"),
        ("version = 1\n[[anchors]]\nname = \"G2\"\nfile = \"root-g2.pem\"\nnot_afte = 2027-01-01\n", Some(5), "not_afte"),
        (&format!("{G2}[[signers]]\norganisation = \"x\"\n"), Some(6), "organisation"),
        (&format!("version = 1\ndistrust = [\n  \"{fp}\",\n  \"abc\",\n]\n{}", &G2[12..]), Some(4), "abc"),
        (&format!("{G2}not_after = \"March\"\n"), Some(5), "March"),
        (&format!("version = 1\nthreshold = 0\n{}", &G2[12..]), Some(2), "at least 1"),
        (&format!("version = 1\neku = \"anything\"\n{}", &G2[12..]), Some(2), "anything"),
        (&format!("version = 1\nalgorithms = [\"md5\"]\n{}", &G2[12..]), Some(2), "md5"),
        (&format!("version = 1\ncrl_expiration = \"sometimes\"\n{}", &G2[12..]), Some(2), "sometimes"),
        ("version = 1\n[[anchors]]\nname = \"x\"\nfile = \"no-such.pem\"\n", Some(4), "no-such.pem"),
        ("version = 2\n", None, "version 2"),
        ("version = 1\n", None, "no [[anchors]]"),
        ("[[anchors]]\nname = \"x\"\nfile = \"root-g2.pem\"\n", Some(1), "version"),
        ("version = 1\nthreshold = \"two\"\n", Some(2), ""),
        ("version = 1\n[[anchors\n", Some(2), ""),
    ];
    for (text, line, mentions) in cases {
        let e = policy_error(text);
        assert_eq!(e.kind(), "policy_invalid", "{text}: {e}");
        match &e {
            LoadError::Policy {
                line: got,
                source_name,
                ..
            } => {
                assert_eq!(got, line, "{text}: {e}");
                assert_eq!(source_name, "test.toml");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains(mentions), "{text}: {e}");
        if let Some(l) = line {
            assert!(e.to_string().contains(&format!("line {l}")), "{e}");
        }
    }
    // A certificate file that is not one is the store's trust_input error.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.pem"), "not a certificate").unwrap();
    let e = Policy::from_toml(
        "version = 1\n[[anchors]]\nname = \"x\"\nfile = \"x.pem\"\n",
        dir.path(),
        "p",
    )
    .unwrap_err();
    assert_eq!(e.kind(), "trust_input", "{e}");
    match &e {
        LoadError::TrustInput {
            source_name,
            problem,
        } => {
            assert!(source_name.ends_with("x.pem (anchor x)"), "{e}");
            assert_eq!(*problem, pkgverify::InputProblem::Unparsable(1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fingerprints_parse_in_the_usual_spellings() {
    let hex = "ab".repeat(32);
    let colons = vec!["AB"; 32].join(":");
    for text in [hex.clone(), format!("sha256:{hex}"), colons] {
        assert_eq!(
            Fingerprint::parse(&text),
            Some(Fingerprint([0xab; 32])),
            "{text}"
        );
    }
    for bad in ["", "ab", &"zz".repeat(32), &"ab".repeat(33)] {
        assert_eq!(Fingerprint::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_path_around_a_distrusted_certificate_is_still_found() {
    // Signing CA G2 re-issued (same name and key, a new certificate) and
    // given as a policy intermediate; the old certificate, bundled in every
    // package, is distrusted. Path building tries the bundled one first,
    // rejects it, and goes on to the re-issued one.
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, KeyIdMethod, KeyPair, SerialNumber,
    };
    use x509_parser::prelude::FromDer;
    let pem = |f: &str| String::from_utf8(read(pki(f))).unwrap();
    let root = issuer("root-g2");
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "DTEN Test Vendor (example)");
    params
        .distinguished_name
        .push(DnType::CommonName, "DTEN Test Signing CA G2");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.serial_number = Some(SerialNumber::from(0x5eed_u64));
    // The same subject key identifier, as a re-issue keeps it.
    params.key_identifier_method = KeyIdMethod::PreSpecified(
        x509_parser::prelude::X509Certificate::from_der(&der("signing-ca-g2.pem"))
            .unwrap()
            .1
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    Some(k.0.to_vec())
                }
                _ => None,
            })
            .unwrap(),
    );
    let ca_key = KeyPair::from_pem(&pem("signing-ca-g2.key")).unwrap();
    let reissued = params.signed_by(&ca_key, &root).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reissued.pem"), reissued.pem()).unwrap();
    std::fs::copy(pki("root-g2.pem"), dir.path().join("root-g2.pem")).unwrap();
    let old = cert_fp("signing-ca-g2.pem");
    let load = |intermediates: &str| {
        let text = format!(
            "version = 1\nintermediates = [{intermediates}]\ndistrust = [\"{old}\"]\n{}",
            &G2[12..]
        );
        let (policy, trust) = Policy::from_toml(&text, dir.path(), "p.toml").unwrap();
        Verifier::new(trust, at()).with_policy(policy)
    };
    {
        let text = format!(
            "version = 1\npackage_intermediates = false\nintermediates = [\"reissued.pem\"]\n{}",
            &G2[12..]
        );
        let (policy, trust) = Policy::from_toml(&text, dir.path(), "p.toml").unwrap();
        assert_ok(
            Verifier::new(trust, at())
                .with_policy(policy)
                .verify_both(&good_package()),
        );
    }
    let p = assert_ok(load("\"reissued.pem\"").verify_both(&good_package()));
    assert_eq!(p.signatures()[0].chain.len(), 3);
    // Allowing only the re-issued certificate as the issuer works the same way.
    {
        let text = format!(
            "version = 1\nintermediates = [\"reissued.pem\"]\nallowed_issuers = [\"{}\"]\n{}",
            pkgverify::Fingerprint::of_certificate(reissued.der()),
            &G2[12..]
        );
        let (policy, trust) = Policy::from_toml(&text, dir.path(), "p.toml").unwrap();
        let v = Verifier::new(trust, at()).with_policy(policy);
        assert_ok(v.verify_both(&good_package()));
        // A sibling CA is still not allowed.
        let (key, chain) = sibling_signer();
        let sibling = build(builder(&[]).signer("sibling", key, chain));
        let r = assert_kind(v.verify_both(&sibling), "signer_not_allowed");
        assert!(
            matches!(cause(&r), ChainError::NotAllowed(NotAllowed::Issuer { issuer, .. }) if issuer.contains("CN=Sibling CA")),
            "{r}"
        );
    }
    // Without the re-issued certificate there is no way around: distrusted, named.
    let r = assert_kind(
        load("").verify_both(&good_package()),
        "certificate_distrusted",
    );
    match cause(&r) {
        ChainError::Distrusted {
            certificate,
            fingerprint,
            of,
            ..
        } => {
            assert!(certificate.ends_with("CN=DTEN Test Signing CA G2"), "{r}");
            assert_eq!(fingerprint.to_string(), old, "{r}");
            assert_eq!(*of, Fingerprinted::Certificate);
        }
        other => panic!("{other:?}"),
    }
}

// ---- attacks on the trust decision (issue 11) ----------------------------------------

/// A signer issued by Signing CA G2 with these extended and key usages.
/// A second code-signing certificate (another serial and subject) for
/// signer-p256's key, under Signing CA G2: its key and chain file.
fn second_certificate_for_the_p256_key() -> (pkgverify::SigningKey, Vec<u8>) {
    let pem = String::from_utf8(read(pki("signer-p256.key"))).unwrap();
    let key = rcgen::KeyPair::from_pem(&pem).unwrap();
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "DTEN Test Vendor (example)",
    );
    p.distinguished_name.push(
        rcgen::DnType::CommonName,
        "DTEN Test Code Signing, reissued",
    );
    p.serial_number = Some(rcgen::SerialNumber::from(0x5151u64));
    p.not_before = rcgen::date_time_ymd(2026, 1, 1);
    p.not_after = rcgen::date_time_ymd(2030, 1, 1);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
    p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = p.signed_by(&key, &issuer("signing-ca-g2")).unwrap();
    let chain = format!(
        "{}{}",
        cert.pem(),
        String::from_utf8(read(pki("signing-ca-g2.pem"))).unwrap()
    );
    let signing = pkgverify::SigningKey::from_pkcs8_pem(pem.as_bytes()).unwrap();
    (signing, chain.into_bytes())
}

fn g2_signer(
    cn: &str,
    ekus: Vec<rcgen::ExtendedKeyUsagePurpose>,
    key_usages: Vec<rcgen::KeyUsagePurpose>,
) -> Vec<u8> {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "DTEN Test Vendor (example)",
    );
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.not_before = rcgen::date_time_ymd(2026, 1, 1);
    p.not_after = rcgen::date_time_ymd(2030, 1, 1);
    p.extended_key_usages = ekus;
    p.key_usages = key_usages;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &issuer("signing-ca-g2")).unwrap();
    let signing = pkgverify::SigningKey::from_pkcs8_pem(key.serialize_pem().as_bytes()).unwrap();
    let chain = format!(
        "{}{}",
        cert.pem(),
        String::from_utf8(read(pki("signing-ca-g2.pem"))).unwrap()
    );
    build(
        pkgverify::PackageBuilder::new("demo", "1.0.0")
            .file("bin/tool", b"tool".to_vec(), 0o755)
            .signer("s", signing, chain.into_bytes()),
    )
}

#[test]
fn a_signer_needs_the_code_signing_eku_itself_and_digital_signature() {
    use rcgen::{ExtendedKeyUsagePurpose as Eku, KeyUsagePurpose as Ku};
    // No EKU extension at all: the usage is not on the signer.
    let none = g2_signer("No EKU", vec![], vec![Ku::DigitalSignature]);
    let r = assert_kind(verify_with(G2, &none), "wrong_key_usage");
    assert!(
        matches!(cause(&r), ChainError::UsageMissing { certificate, listed: None, .. } if certificate.ends_with("CN=No EKU")),
        "{r}"
    );
    // The EKU, but a keyUsage that forbids signatures.
    let no_sign = g2_signer(
        "Encipher Only",
        vec![Eku::CodeSigning],
        vec![Ku::KeyEncipherment],
    );
    let r = assert_kind(verify_with(G2, &no_sign), "wrong_key_usage");
    assert!(
        matches!(cause(&r), ChainError::SigningNotAllowed { certificate } if certificate.ends_with("CN=Encipher Only")),
        "{r}"
    );
    // The EKU and digitalSignature: accepted.
    let fine = g2_signer("Fine", vec![Eku::CodeSigning], vec![Ku::DigitalSignature]);
    assert_ok(verify_with(G2, &fine));
}

#[test]
fn distrust_by_certificate_with_a_reissued_root_depends_on_the_anchor_order() {
    // Root G2 re-issued: same name and key, a new serial and validity.
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "DTEN Test Vendor (example)",
    );
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "DTEN Test Root G2");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    params.serial_number = Some(rcgen::SerialNumber::from(0x2e15_u64));
    params.not_before = rcgen::date_time_ymd(2026, 1, 1);
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    let key =
        rcgen::KeyPair::from_pem(&String::from_utf8(read(pki("root-g2.key"))).unwrap()).unwrap();
    let reissued = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reissued.pem"), reissued.pem()).unwrap();
    std::fs::copy(pki("root-g2.pem"), dir.path().join("root-g2.pem")).unwrap();
    let anchor =
        |name: &str, file: &str| format!("[[anchors]]\nname = \"{name}\"\nfile = \"{file}\"\n");
    let original = anchor("G2", "root-g2.pem");
    let renewed = anchor("G2 re-issued", "reissued.pem");
    let run = |distrust: &str, anchors: &str| {
        let text = format!("version = 1\ndistrust = [\"{distrust}\"]\n{anchors}");
        let (policy, trust) = Policy::from_toml(&text, dir.path(), "p.toml").unwrap();
        Verifier::new(trust, at())
            .with_policy(policy)
            .verify_both(&good_package())
    };
    let old_cert = cert_fp("root-g2.pem");
    for anchors in [
        format!("{original}{renewed}"),
        format!("{renewed}{original}"),
    ] {
        // The original certificate is distrusted: the path ends at the re-issued one,
        // whichever is stored first.
        let p = assert_ok(run(&old_cert, &anchors));
        assert_eq!(
            p.signatures()[0].chain.last().map(String::as_str),
            Some("O=DTEN Test Vendor (example), CN=DTEN Test Root G2")
        );
        // Distrusting the key distrusts both certificates.
        assert_kind(
            run(&key_fp("root-g2.pem"), &anchors),
            "certificate_distrusted",
        );
    }
}
