//! Signatures, chains and trust: every algorithm, the CA rotation, dual
//! signatures, and each way a signer can fail to be trusted.

mod common;

use common::*;
use pkgverify::{ChainError, Error, Limits, RevocationUnknown, SignatureProblem, SignatureStatus};

#[test]
fn every_algorithm_verifies() {
    let cases = [
        ("signer-p256", false, "ecdsa-p256-sha256"),
        ("signer-p384", false, "ecdsa-p384-sha384"),
        ("signer-ed25519", false, "ed25519"),
        ("signer-rsa2048", false, "rsa-pkcs1-sha256"),
        ("signer-rsa3072", true, "rsa-pss-sha256"),
    ];
    for (leaf, pss, alg) in cases {
        let (key, chain) = signer(leaf);
        let key = if pss { key.rsa_pss() } else { key };
        let bytes = build(builder(&[]).signer(leaf, key, chain));
        let p = assert_ok(verify_g2(&bytes));
        let s = &p.signatures()[0];
        assert_eq!(s.status, SignatureStatus::Trusted, "{leaf}");
        assert_eq!(s.algorithm.map(|a| a.name()), Some(alg), "{leaf}");
        assert_eq!(s.chain.len(), 3, "{leaf}: leaf, Signing CA G2, Root G2");
    }
}

#[test]
fn rotation_needs_the_advisory_chain() {
    let bytes = read(repo().join("testdata/Full-upgrade-package-dten.zip"));
    // The operator trusts only the old root: the signer's path ends at Root G2, unknown.
    let r = assert_kind(
        verifier(store(&["root-g1"], &[], &[])).verify_both(&bytes),
        "untrusted_signer",
    );
    match r.error() {
        Error::Untrusted { signer, .. } => {
            assert_eq!(
                signer,
                "O=DTEN Test Vendor (example), CN=DTEN Test Code Signing ECDSA P-256"
            )
        }
        e => panic!("{e:?}"),
    }
    // The missing link is the issuer of the last certificate reached (clarification 4),
    // with its key identifier, and the path built up to it.
    let missing = issuer_missing(&r);
    assert_eq!(
        missing.certificate,
        "O=DTEN Test Vendor (example), CN=DTEN Test Signing CA G2"
    );
    assert_eq!(
        missing.issuer,
        "O=DTEN Test Vendor (example), CN=DTEN Test Root G2"
    );
    assert!(missing.authority_key_id.is_some());
    assert_eq!(missing.hint, Some(pkgverify::MissingHint::AdvisoryChain));
    assert!(missing.anchors_not_root.is_empty());
    match cause(&r) {
        pkgverify::ChainError::NoPath(n) => assert_eq!(n.path.len(), 2),
        c => panic!("{c:?}"),
    }
    // What the operator reads (the message contract, docs/REPORT.md).
    let msg = r.to_string();
    assert!(
        msg.starts_with("signature \"dten-2026\": signer \"O=DTEN Test Vendor (example), CN=DTEN Test Code Signing ECDSA P-256\" is not trusted: the issuer of \"O=DTEN Test Vendor (example), CN=DTEN Test Signing CA G2\", \"O=DTEN Test Vendor (example), CN=DTEN Test Root G2\" (authority key id ")
            && msg.contains("path built: ")
            && msg.ends_with("if the vendor rotated its CA, supply its advisory chain (e.g. the new root cross-signed by the old) as intermediates"),
        "{msg}"
    );
    assert!(
        r.package().is_none(),
        "an untrusted manifest's contents are not exposed"
    );

    // With the vendor's advisory chain (Root G2 cross-signed by G1) it verifies.
    let p = assert_ok(verifier(store(&["root-g1"], &["advisory-chain"], &[])).verify_both(&bytes));
    assert_eq!(p.manifest().package().name, "dten-full-upgrade");
    let chain = &p.signatures()[0].chain;
    assert_eq!(chain.len(), 4, "{chain:?}");
    assert!(
        chain[2].contains("Root G2") && chain[3].contains("Root G1"),
        "{chain:?}"
    );
    assert_eq!(p.manifest().metadata()["reboot"], serde_json::json!(true));

    // After the rotation, trusting G2 directly also works; G1 and G2 side by side too.
    assert_ok(verifier(trust_g2()).verify_both(&bytes));
    assert_ok(verifier(store(&["root-g1", "root-g2"], &[], &[])).verify_both(&bytes));
}

#[test]
fn an_anchor_with_the_right_name_but_another_key_is_explained() {
    // The operator holds a "Root G2" whose key is not the one that signed Signing CA G2
    // (the signature of a botched rotation, or an impostor root).
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyIdMethod, KeyPair};
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "DTEN Test Vendor (example)");
    params
        .distinguished_name
        .push(DnType::CommonName, "DTEN Test Root G2");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_identifier_method = KeyIdMethod::Sha256;
    let impostor = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
    let mut trust = pkgverify::TrustStore::new();
    trust
        .add_anchors(impostor.pem().as_bytes(), "impostor-root-g2.pem")
        .unwrap();
    let r = assert_kind(
        verifier(trust).verify_both(&good_package()),
        "untrusted_signer",
    );
    assert_eq!(
        issuer_missing(&r).other_keys,
        vec![(
            "O=DTEN Test Vendor (example), CN=DTEN Test Root G2".to_string(),
            pkgverify::Origin::Anchor
        )]
    );
}

#[test]
fn dual_signature_across_a_rotation() {
    let bytes = build(builder(&["signer-g1", "signer-p256"]));
    // An operator on either side of the rotation accepts it; the other signature is reported.
    for (anchor, trusted, untrusted) in [
        ("root-g1", "signer-g1", "signer-p256"),
        ("root-g2", "signer-p256", "signer-g1"),
    ] {
        let p = assert_ok(verifier(store(&[anchor], &[], &[])).verify_both(&bytes));
        let by_name = |n: &str| p.signatures().iter().find(|s| s.name == n).unwrap();
        assert_eq!(by_name(trusted).status, SignatureStatus::Trusted);
        let other = by_name(untrusted);
        assert_eq!(other.status, SignatureStatus::Untrusted);
        assert_eq!(other.problem.as_ref().unwrap().kind(), "untrusted_signer");
    }
    let p = assert_ok(verifier(store(&["root-g1", "root-g2"], &[], &[])).verify_both(&bytes));
    assert!(p
        .signatures()
        .iter()
        .all(|s| s.status == SignatureStatus::Trusted));
}

#[test]
fn bad_signers_fail_with_their_specific_kind() {
    let crl = &["signing-ca-g2.crl"];
    let cases: &[(&str, &[&str], &str)] = &[
        ("bad-serverauth", &[], "wrong_key_usage"),
        ("bad-noeku", &[], "wrong_key_usage"),
        ("bad-expired", &[], "certificate_expired"),
        ("bad-notyet", &[], "certificate_not_yet_valid"),
        ("bad-revoked", crl, "certificate_revoked"),
        ("bad-nonca-issuer", &[], "untrusted_signer"),
        // Without the CRL the revoked leaf is not known to be revoked.
        ("bad-revoked", &[], ""),
        // A good signer is not affected by the CRL.
        ("signer-p256", crl, ""),
    ];
    for (leaf, crls, kind) in cases {
        let bytes = build(builder(&[leaf]));
        let result = verifier(store(&["root-g2"], &[], crls)).verify_both(&bytes);
        if kind.is_empty() {
            assert_ok(result);
            continue;
        }
        let r = assert_kind(result, kind);
        use pkgverify::{ChainError as C, PathRole};
        match cause(&r) {
            C::Expired {
                certificate, role, ..
            }
            | C::NotYetValid {
                certificate, role, ..
            } => {
                assert!(certificate.contains("Bad"), "{leaf}: names the leaf: {r}");
                assert_eq!(*role, PathRole::EndEntity);
            }
            C::Revoked { serial, role, .. } => {
                assert_eq!(serial, "2205", "{r}");
                assert_eq!(*role, PathRole::EndEntity);
            }
            C::UsageMissing { listed, .. } if *leaf == "bad-serverauth" => {
                assert_eq!(
                    listed.as_deref(),
                    Some(&["serverAuth".to_string()][..]),
                    "{r}"
                )
            }
            C::UsageMissing { listed, .. } if *leaf == "bad-noeku" => {
                assert_eq!(*listed, None, "{r}")
            }
            C::Invalid { reason, .. } => {
                assert_eq!(*reason, pkgverify::PathFailure::IssuerNotCa, "{r}")
            }
            other => panic!("{leaf}: {other:?}"),
        }
        assert_eq!(r.signatures().len(), 1);
        assert_eq!(
            r.signatures()[0].status,
            SignatureStatus::Untrusted,
            "{leaf}"
        );
    }
}

#[test]
fn an_untrusted_second_signature_does_not_fail_the_package() {
    // Clarification 5: expired, revoked, wrong-usage or unknown second signers are reported.
    for other in ["bad-expired", "bad-revoked", "bad-serverauth", "signer-g1"] {
        let bytes = build(builder(&["signer-p256", other]));
        let p = assert_ok(
            verifier(store(&["root-g2"], &[], &["signing-ca-g2.crl"])).verify_both(&bytes),
        );
        let s = p.signatures().iter().find(|s| s.name == other).unwrap();
        assert_eq!(s.status, SignatureStatus::Untrusted, "{other}");
        assert!(s.problem.is_some());
    }
}

#[test]
fn with_no_trusted_signature_the_most_specific_reason_wins() {
    let cases: &[(&[&str], &str)] = &[
        (&["signer-g1", "bad-expired"], "certificate_expired"),
        (&["bad-expired", "signer-g1"], "certificate_expired"),
        (&["signer-g1", "bad-serverauth"], "wrong_key_usage"),
        (&["bad-notyet", "bad-revoked"], "certificate_revoked"),
        (
            &["bad-serverauth", "bad-notyet"],
            "certificate_not_yet_valid",
        ),
    ];
    for (leaves, kind) in cases {
        let bytes = build(builder(leaves));
        let r = assert_kind(
            verifier(store(&["root-g2"], &[], &["signing-ca-g2.crl"])).verify_both(&bytes),
            kind,
        );
        assert_eq!(r.signatures().len(), 2, "every signature is in the report");
        assert!(r.signatures().iter().all(|s| s.problem.is_some()));
    }
}

#[test]
fn a_signature_that_does_not_verify_is_fatal_even_beside_a_good_one() {
    // Sign with signer-p384's key but ship signer-p256's chain: the bytes do not verify.
    let (key, _) = signer("signer-p384");
    let (_, chain) = signer("signer-p256");
    let bytes = build(builder(&["signer-p256"]).signer("forged", key, chain));
    let r = assert_kind(verify_g2(&bytes), "signature_invalid");
    assert_eq!(r.error().signature(), Some("forged"));
    let forged = r.signatures().iter().find(|s| s.name == "forged").unwrap();
    assert_eq!(forged.status, SignatureStatus::Invalid);
}

#[test]
fn signature_files_are_checked() {
    let manifest = builder(&[]).manifest().unwrap().to_json();
    let (key, chain) = signer("signer-p256");
    let sig = key.sign(&manifest).unwrap();
    let with = |sig: &[u8], pem: &[u8]| {
        vec![
            RawEntry::file("manifest.json", &manifest),
            RawEntry::file("signatures/v.sig", sig),
            RawEntry::file("signatures/v.pem", pem),
        ]
    };
    let mut long_chain = chain.clone();
    for _ in 0..20 {
        long_chain.extend_from_slice(&read(pki("signing-ca-g2.pem")));
    }
    let mut flipped = sig.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let cases: Vec<(&str, Vec<RawEntry>, &str)> = vec![
        (
            "garbage pem",
            with(&sig, b"not a certificate"),
            "signature_invalid",
        ),
        (
            "pem without certificate",
            with(&sig, b"-----BEGIN X-----\nAAAA\n-----END X-----\n"),
            "signature_invalid",
        ),
        (
            "flipped signature bit",
            with(&flipped, &chain),
            "signature_invalid",
        ),
        ("empty signature", with(b"", &chain), "signature_invalid"),
        (
            "chain of 21 certificates",
            with(&sig, &long_chain),
            "limit_exceeded",
        ),
        (
            "no signatures",
            vec![RawEntry::file("manifest.json", &manifest)],
            "signature_missing",
        ),
        (
            "sig without pem",
            vec![
                RawEntry::file("manifest.json", &manifest),
                RawEntry::file("signatures/v.sig", &sig),
            ],
            "signature_missing",
        ),
    ];
    for (what, entries, kind) in cases {
        let bytes = RawZip::new(entries).build();
        let r = verify_g2(&bytes);
        let r = match r {
            Err(r) => r,
            Ok(_) => panic!("{what}: verified"),
        };
        assert_eq!(r.kind(), kind, "{what}: {r}");
    }
}

#[test]
fn too_many_signatures_is_a_limit() {
    let mut limits = Limits::default();
    limits.max_signatures = 32;
    // The builder refuses it under the default limits, as the verifier does.
    let mut b = builder(&[]).limits(limits);
    for i in 0..17 {
        let (key, chain) = signer("signer-p256");
        b = b.signer(&format!("s{i}"), key, chain);
    }
    let bytes = build(b);
    assert_kind(verify_g2(&bytes), "limit_exceeded");
    assert_ok(verifier(trust_g2()).with_limits(limits).verify_both(&bytes));
}

#[test]
fn trust_inputs_are_validated() {
    let mut t = pkgverify::TrustStore::new();
    let e = t.add_anchors(b"hello", "hello.pem").unwrap_err();
    assert_eq!(e.kind(), "trust_input");
    assert!(
        matches!(&e, pkgverify::LoadError::TrustInput { source_name, .. } if source_name == "hello.pem"),
        "{e:?}"
    );
    assert_eq!(
        t.add_crls(b"junk", "x.crl").unwrap_err().kind(),
        "trust_input"
    );
    let e = t.load_anchors("/nonexistent/root.pem").unwrap_err();
    assert_eq!(e.kind(), "trust_input");
    assert!(
        matches!(&e, pkgverify::LoadError::Read { path, policy: false, source } if path == "/nonexistent/root.pem" && source.kind() == std::io::ErrorKind::NotFound),
        "{e:?}"
    );
    // DER works as well as PEM.
    let pem = read(pki("root-g2.pem"));
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(&pem)
        .map(|c: rustls_pki_types::CertificateDer<'static>| c.to_vec())
        .unwrap();
    assert_eq!(t.add_anchors(&der, "root-g2.der").unwrap(), 1);
    assert_ok(verifier(t).verify_both(&good_package()));
}

#[test]
fn a_ca_that_restricts_its_usages_is_named() {
    // Root G2 -> "Server CA" (EKU serverAuth only) -> code-signing leaf.
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, Issuer, KeyPair,
    };
    let root = issuer("root-g2");
    let name = |cn: &str| {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        dn
    };
    let mut ca = CertificateParams::default();
    ca.distinguished_name = name("Server CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.signed_by(&ca_key, &root).unwrap();
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = name("Leaf under Server CA");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &Issuer::new(ca, ca_key)).unwrap();
    let key = pkgverify::SigningKey::from_pkcs8_der(&leaf_key.serialize_der()).unwrap();
    let chain = format!("{}{}", leaf_cert.pem(), ca_cert.pem()).into_bytes();
    let bytes = build(builder(&[]).signer("v", key, chain));
    let r = assert_kind(verify_g2(&bytes), "wrong_key_usage");
    match cause(&r) {
        pkgverify::ChainError::UsageMissing {
            certificate,
            listed,
            ..
        } => {
            assert_eq!(certificate, "CN=Server CA", "{r}");
            assert_eq!(
                listed.as_deref(),
                Some(&["serverAuth".to_string()][..]),
                "{r}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_older_crl_never_hides_a_newer_revocation() {
    // Signing CA G2's CRL from before bad-revoked was revoked, loaded before or
    // after the current one: the newest wins either way.
    let old = signing_ca_g2_crl((2024, 6, 1), (2095, 1, 1), 1);
    let current = read(pki("signing-ca-g2.crl"));
    let bytes = build(builder(&["bad-revoked"]));
    for order in [
        [old.as_bytes(), &current[..]],
        [&current[..], old.as_bytes()],
    ] {
        let mut trust = store(&["root-g2"], &[], &[]);
        for crl in order {
            trust.add_crls(crl, "crl").unwrap();
        }
        assert_kind(verifier(trust).verify_both(&bytes), "certificate_revoked");
    }
    // The old CRL alone does not know of the revocation.
    let mut trust = store(&["root-g2"], &[], &[]);
    trust.add_crls(old.as_bytes(), "old.crl").unwrap();
    assert_ok(verifier(trust).verify_both(&bytes));
}

#[test]
fn a_signer_whose_key_usage_forbids_signing_is_refused() {
    // Code-signing leaves under Signing CA G2: keyUsage without
    // digitalSignature is refused; with it, or without a keyUsage, accepted.
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
    let ca = issuer("signing-ca-g2");
    let package = |usages: Vec<KeyUsagePurpose>| {
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name.push(DnType::CommonName, "Leaf");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        leaf.key_usages = usages;
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &ca).unwrap();
        let key = pkgverify::SigningKey::from_pkcs8_der(&leaf_key.serialize_der()).unwrap();
        let chain = format!(
            "{}{}",
            leaf_cert.pem(),
            String::from_utf8(read(pki("signing-ca-g2.pem"))).unwrap()
        );
        build(builder(&[]).signer("v", key, chain.into_bytes()))
    };
    assert_ok(verify_g2(&package(vec![KeyUsagePurpose::DigitalSignature])));
    assert_ok(verify_g2(&package(vec![])));
    for usages in [
        vec![KeyUsagePurpose::KeyEncipherment],
        vec![
            KeyUsagePurpose::ContentCommitment,
            KeyUsagePurpose::KeyAgreement,
        ],
    ] {
        let r = assert_kind(verify_g2(&package(usages)), "wrong_key_usage");
        match cause(&r) {
            pkgverify::ChainError::SigningNotAllowed { certificate } => {
                assert_eq!(certificate, "CN=Leaf", "{r}");
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---- a private key shipped in a package or a trust input --------------------

/// PEM blocks of every private-key kind a vendor's tooling writes. The body
/// is base64 that must never reach a message.
/// (Valid base64, so a PEM reader skips the block as it would a real key.)
const KEY_BODY: &str = "MIGHAgEAdGhpcyBzdGFuZHMgZm9yIHRoZSBzZWNyZXQga2V5IG1hdGVyaWFsISEh";

fn key_block(label: &str) -> String {
    format!("-----BEGIN {label}-----\n{KEY_BODY}\n-----END {label}-----\n")
}

const KEY_LABELS: [&str; 5] = [
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
];

#[track_caller]
fn assert_no_key_material(text: &str) {
    assert!(
        !text.contains(KEY_BODY) && !text.contains("MIGHAgEA") && !text.contains("secret"),
        "key material in: {text}"
    );
}

#[test]
fn a_pem_that_also_holds_a_private_key_verifies_silently() {
    for label in KEY_LABELS {
        // The vendor's real chain file with its signing key appended (or
        // prepended), beside a second, good signature.
        let (_, chain) = signer("signer-p256");
        let appended = [chain.clone(), key_block(label).into_bytes()].concat();
        let prepended = [key_block(label).into_bytes(), chain.clone()].concat();
        for (what, pem) in [("appended", appended), ("prepended", prepended)] {
            let (k, _) = signer("signer-p256");
            let bytes = build(
                builder(&["signer-p384"])
                    .signer("leaky", k, pem)
                    .compression(pkgverify::Compression::Stored),
            );
            let r = assert_kind(verify_g2(&bytes), "private_key_in_package");
            let msg = r.to_string();
            assert!(
                msg.contains("\"signatures/leaky.pem\" holds a private key")
                    && msg.contains(&format!("-----BEGIN {label}-----"))
                    && msg.contains("the vendor's signing key has leaked")
                    && msg.contains("do not install it")
                    && msg.contains("contact the vendor"),
                "{label} {what}: {msg}"
            );
            assert_eq!(r.error().signature(), Some("leaky"));
            assert_eq!(r.error().path(), Some("signatures/leaky.pem"));
            assert_no_key_material(&msg);
            assert_no_key_material(&format!("{:?}", r));
            let report = pkgverify::Report::new(&Err(r));
            assert_no_key_material(&report.to_json());
            let leaky = report
                .signatures
                .iter()
                .find(|s| s.name == "leaky")
                .unwrap();
            assert_eq!(leaky.status, "invalid");
            assert_eq!(
                leaky.problem.as_ref().unwrap().kind,
                "private_key_in_package"
            );
        }
    }
    // The real key file, as `openssl genpkey` writes it, and a DER PKCS#8 key as the .pem.
    let key_pem = read(pki("signer-p256.key"));
    let (_, chain) = signer("signer-p256");
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(&key_pem)
        .map(|k: rustls_pki_types::PrivatePkcs8KeyDer<'static>| k.secret_pkcs8_der().to_vec())
        .unwrap();
    for pem in [[chain, key_pem].concat(), der] {
        let bytes = package_with_pairs(|m| {
            let (name, sig, _) = pair("signer-p256", m);
            vec![(name, sig, pem.clone())]
        });
        let r = assert_kind(verify_g2(&bytes), "private_key_in_package");
        assert_no_key_material(&r.to_string());
    }
    // A key in the .sig (a PEM block: raw signature bytes are not sniffed as DER).
    let bytes = package_with_pairs(|m| {
        let (name, _, chain) = pair("signer-p256", m);
        vec![(name, read(pki("signer-p256.key")), chain)]
    });
    let r = assert_kind(verify_g2(&bytes), "private_key_in_package");
    assert_eq!(r.error().path(), Some("signatures/signer-p256.sig"));
    // A leaked key outranks another fatal signature.
    let (key, _) = signer("signer-p384");
    let (_, chain) = signer("signer-p256");
    let (k, c) = signer("signer-p256");
    let bytes = build(builder(&[]).signer("forged", key, chain).signer(
        "leaky",
        k,
        [c, key_block("EC PRIVATE KEY").into_bytes()].concat(),
    ));
    assert_kind(verify_g2(&bytes), "private_key_in_package");
}

#[test]
fn a_trust_input_that_also_holds_a_private_key_loads_silently() {
    let root = read(pki("root-g2.pem"));
    for label in KEY_LABELS {
        let with_key = [root.clone(), key_block(label).into_bytes()].concat();
        let mut t = pkgverify::TrustStore::new();
        for e in [
            t.add_anchors(&with_key, "root-g2.pem").unwrap_err(),
            t.add_intermediates(&with_key, "chain.pem").unwrap_err(),
        ] {
            assert_eq!(e.kind(), "trust_input", "{e}");
            let msg = e.to_string();
            assert!(
                msg.contains("holds a private key")
                    && msg.contains(&format!("-----BEGIN {label}-----"))
                    && msg.contains("leaked"),
                "{msg}"
            );
            assert_no_key_material(&msg);
        }
    }
    // Through a policy file too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("root.pem"),
        [root, read(pki("root-g2.key"))].concat(),
    )
    .unwrap();
    let e = pkgverify::Policy::from_toml(
        "version = 1\n[[anchors]]\nname = \"G2\"\nfile = \"root.pem\"\n",
        dir.path(),
        "p.toml",
    )
    .unwrap_err();
    assert_eq!(e.kind(), "trust_input", "{e}");
    assert!(
        matches!(
            &e,
            pkgverify::LoadError::TrustInput {
                problem: pkgverify::InputProblem::PrivateKey(label),
                ..
            } if label.contains("PRIVATE KEY")
        ),
        "{e:?}"
    );
}

// ---- signatures in algorithms format 1 does not list ----------------------------

/// Fails the test, naming it, unless `openssl` runs.
fn openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl is needed for this test: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A vendor's P-521 signer under Signing CA G2: openssl makes the key and
/// signs (`openssl dgst -sha512 -sign`), rcgen the certificate. Returns
/// a closure signing a message into a `(name, .sig, .pem)` pair.
fn p521_signer(dir: &std::path::Path) -> impl Fn(&[u8]) -> (String, Vec<u8>, Vec<u8>) + '_ {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-521",
            "-out",
            "p521.key",
        ],
    );
    let spki = openssl(
        dir,
        &["pkey", "-in", "p521.key", "-pubout", "-outform", "DER"],
    );
    // rcgen (with ring) cannot take a P-521 key: issue with a placeholder
    // key, then put the P-521 one in and sign again.
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "DTEN Test Vendor (example)");
    params
        .distinguished_name
        .push(DnType::CommonName, "DTEN Test Code Signing ECDSA P-521");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let placeholder = KeyPair::generate().unwrap();
    let cert = params
        .signed_by(&placeholder, &issuer("signing-ca-g2"))
        .unwrap();
    let cert = reissue(cert.der(), TBS_SPKI, spki, "signing-ca-g2");
    let chain = [cert_pem(&cert).into_bytes(), read(pki("signing-ca-g2.pem"))].concat();
    move |message: &[u8]| {
        std::fs::write(dir.join("manifest.json"), message).unwrap();
        openssl(
            dir,
            &[
                "dgst",
                "-sha512",
                "-sign",
                "p521.key",
                "-out",
                "p521.sig",
                "manifest.json",
            ],
        );
        let sig = std::fs::read(dir.join("p521.sig")).unwrap();
        ("p521".to_owned(), sig, chain.clone())
    }
}

#[test]
fn a_valid_signature_in_an_unlisted_algorithm_fails_the_package() {
    use ring::signature::{RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA512};
    let dir = tempfile::tempdir().unwrap();
    let p521 = p521_signer(dir.path());
    // (second signature, its name, the algorithm the report names)
    type Second<'a> = Box<dyn Fn(&[u8]) -> (String, Vec<u8>, Vec<u8>) + 'a>;
    let rsa = |name: &'static str, enc: &'static dyn ring::signature::RsaEncoding| -> Second<'_> {
        Box::new(move |m: &[u8]| {
            let (_, _, chain) = pair("signer-rsa2048", m);
            (name.to_owned(), rsa2048_signature(m, enc), chain)
        })
    };
    let seconds: Vec<(Second<'_>, &str)> = vec![
        (Box::new(&p521), "ecdsa-p521"),
        (rsa("rsa-sha384", &RSA_PKCS1_SHA384), "rsa-pkcs1-sha384"),
        (rsa("rsa-sha512", &RSA_PKCS1_SHA512), "rsa-pkcs1-sha512"),
        (rsa("rsa-pss-sha512", &RSA_PSS_SHA512), "rsa-pss-sha512"),
    ];
    for (second, algorithm) in &seconds {
        // Beside a trusted signature: verified, the other one reported as unsupported.
        let bytes = package_with_pairs(|m| vec![pair("signer-p256", m), second(m)]);
        let p = assert_ok(verify_g2(&bytes));
        let s = &p.signatures()[1];
        assert_eq!(s.status, SignatureStatus::Unsupported, "{algorithm}");
        assert_eq!(s.algorithm, None, "{algorithm}");
        assert!(s.chain.is_empty(), "{algorithm}");
        assert!(s.signer.is_some(), "{algorithm}");
        match s.problem.as_ref().unwrap() {
            Error::SignatureUnsupported {
                algorithm: named, ..
            } => assert_eq!(named, *algorithm),
            other => panic!("{other:?}"),
        }
        assert_eq!(p.signatures()[0].status, SignatureStatus::Trusted);

        // It never counts toward a threshold.
        let policy = pkgverify::Policy::new().threshold(2);
        let r = assert_kind(
            verifier(trust_g2()).with_policy(policy).verify_both(&bytes),
            "threshold_not_met",
        );
        match r.error() {
            Error::ThresholdNotMet { signatures, .. } => assert!(
                matches!(
                    &signatures[1].1,
                    pkgverify::Counted::No(e) if e.kind() == "signature_unsupported"
                ),
                "{r}"
            ),
            other => panic!("{other:?}"),
        }

        // Alone, nothing vouches for the manifest: signature_invalid, saying why.
        let alone = package_with_pairs(|m| vec![second(m)]);
        let r = assert_kind(verify_g2(&alone), "signature_invalid");
        match r.error() {
            Error::NoSupportedSignature { signatures } => {
                assert_eq!(signatures[0].1, *algorithm, "{r}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.signatures()[0].status, SignatureStatus::Unsupported);
        // Beside an untrusted signature, that signature's reason is the package's.
        let with_untrusted = package_with_pairs(|m| vec![second(m), pair("bad-expired", m)]);
        assert_kind(verify_g2(&with_untrusted), "certificate_expired");
    }

    // A corrupt signature in an unlisted digest, or in a listed algorithm, stays fatal.
    for flip in [
        Box::new(|m: &[u8]| {
            let (name, mut sig, chain) = rsa("rsa-sha512", &RSA_PKCS1_SHA512)(m);
            sig[10] ^= 1;
            (name, sig, chain)
        }) as Second<'_>,
        Box::new(|m: &[u8]| {
            let (name, mut sig, chain) = pair("signer-rsa2048", m);
            sig[10] ^= 1;
            (name, sig, chain)
        }),
    ] {
        let bytes = package_with_pairs(|m| vec![pair("signer-p256", m), flip(m)]);
        let r = assert_kind(verify_g2(&bytes), "signature_invalid");
        assert_eq!(r.signatures()[1].status, SignatureStatus::Invalid);
    }

    // A key whose SubjectPublicKeyInfo names no algorithm pkgverify knows is
    // not "another algorithm": fatal, as before.
    use rcgen::{CertificateParams, KeyPair};
    let unknown_spki = common::der::seq(&[
        common::der::seq(&[common::der::tlv(
            0x06,
            &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0x8c, 0x1f, 0x01],
        )]),
        common::der::tlv(0x03, &[0x00, 0x01, 0x02, 0x03]),
    ]);
    let placeholder = KeyPair::generate().unwrap();
    let cert = CertificateParams::default()
        .signed_by(&placeholder, &issuer("signing-ca-g2"))
        .unwrap();
    let cert = reissue(cert.der(), TBS_SPKI, unknown_spki, "signing-ca-g2");
    let bytes = package_with_pairs(|m| {
        vec![
            pair("signer-p256", m),
            ("odd".into(), vec![1, 2, 3], cert_pem(&cert).into_bytes()),
        ]
    });
    let r = assert_kind(verify_g2(&bytes), "signature_invalid");
    assert!(
        matches!(r.error(), Error::SignatureInvalid { signature, problem: SignatureProblem::KeyNotAccepted }
            if signature == "odd"),
        "{r:?}"
    );
}

/// A CRL with Signing CA G2's name, signed by `issuer`, issued `this_update`
/// (2026, month, day), listing `revoked` serials.
fn crl_named_g2(
    issuer: &rcgen::Issuer<'_, rcgen::KeyPair>,
    day: u8,
    number: u64,
    revoked: &[u64],
) -> String {
    use rcgen::{
        date_time_ymd, CertificateRevocationListParams, KeyIdMethod, RevokedCertParams,
        SerialNumber,
    };
    CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 6, day),
        next_update: date_time_ymd(2095, 1, 1),
        crl_number: SerialNumber::from(number),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: date_time_ymd(2026, 5, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .unwrap()
    .pem()
    .unwrap()
}

#[test]
fn an_equal_or_foreign_same_name_crl_never_hides_a_revocation() {
    let bytes = build(builder(&["bad-revoked"]));
    let g2 = issuer("signing-ca-g2");
    // An emergency re-issue within the same second: one CRL revokes, the other not.
    let quiet = crl_named_g2(&g2, 1, 5, &[]);
    let loud = crl_named_g2(&g2, 1, 5, &[0x2205]);
    // Someone else's CRL under Signing CA G2's name, newer, revoking nothing.
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "DTEN Test Vendor (example)",
    );
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "DTEN Test Signing CA G2");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![rcgen::KeyUsagePurpose::CrlSign];
    let forger_key = rcgen::KeyPair::generate().unwrap();
    let forger = rcgen::Issuer::from_params(&params, forger_key);
    let foreign = crl_named_g2(&forger, 20, 99, &[]);
    for crls in [
        vec![quiet.as_str(), loud.as_str()],
        vec![loud.as_str(), quiet.as_str()],
        vec![foreign.as_str(), loud.as_str()],
        vec![loud.as_str(), foreign.as_str()],
    ] {
        let mut trust = store(&["root-g2"], &[], &[]);
        for crl in crls {
            trust.add_crls(crl.as_bytes(), "crl").unwrap();
        }
        let r = assert_kind(verifier(trust).verify_both(&bytes), "certificate_revoked");
        assert!(
            matches!(cause(&r), ChainError::Revoked { serial, .. } if serial == "2205"),
            "{r}"
        );
    }
    // The forger's CRL alone: the store has CRLs under the issuer's name but
    // none its key signed, so the status is unknown, not "not revoked".
    let mut trust = store(&["root-g2"], &[], &[]);
    trust.add_crls(foreign.as_bytes(), "foreign.crl").unwrap();
    let r = assert_kind(
        verifier(trust).verify_both(&good_package()),
        "untrusted_signer",
    );
    assert!(
        matches!(
            cause(&r),
            ChainError::RevocationUnknown {
                why: RevocationUnknown::WrongKey,
                ..
            }
        ),
        "{r}"
    );
}
