//! Revocation against an independent peer: each case of a generated matrix
//! (rcgen PKI at run time: root, signing CA, leaf, CRLs) is judged by
//! pkgverify's `TrustStore::validate_chain` and by `openssl verify
//! -crl_check_all` on the same files at the same time, and the verdicts are
//! compared case by case.
//!
//! Both check every certificate below the anchor and require a CRL for each
//! (`RevocationPolicy::Required` on pkgverify's side, `-crl_check_all` on
//! OpenSSL's). Where OpenSSL by design picks one best CRL per issuer and
//! pkgverify considers every authoritative one, the difference is listed in
//! the case with its reason and asserted. Needs `openssl` on PATH: without
//! it the test fails, it does not pass silently.

use std::path::Path;
use std::process::Command;

use pkgverify::{ChainError, ChainOptions, RevocationPolicy, TrustStore, Usage};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CrlDistributionPoint, CrlIssuingDistributionPoint, CrlScope, DnType, ExtendedKeyUsagePurpose,
    IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams,
    SerialNumber,
};

const AT: &str = "2027-06-01T00:00:00Z";
const AT_EPOCH: &str = "1811808000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Revoked,
    /// Rejected for another reason (status unknown, CRL unusable, ...).
    Rejected,
}

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn name(cn: &str) -> rcgen::DistinguishedName {
    let mut n = rcgen::DistinguishedName::new();
    n.push(DnType::OrganizationName, "Revocation Matrix");
    n.push(DnType::CommonName, cn);
    n
}

fn ca_params(cn: &str, serial: u64, key_usages: Vec<KeyUsagePurpose>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2035, 1, 1);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = key_usages;
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    p
}

fn signing() -> Vec<KeyUsagePurpose> {
    vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]
}

fn root() -> Ca {
    let params = ca_params("Root", 1, signing());
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

fn intermediate(cn: &str, serial: u64, by: &Ca, key_usages: Vec<KeyUsagePurpose>) -> Ca {
    let params = ca_params(cn, serial, key_usages);
    let key = KeyPair::generate().unwrap();
    let pem = params.signed_by(&key, &by.issuer()).unwrap().pem();
    Ca { params, key, pem }
}

/// A code-signing leaf with this serial, optionally with a CRL distribution point.
fn leaf(serial: u64, by: &Ca, dp: Option<&str>) -> String {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(&format!("Leaf {serial}"));
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2030, 1, 1);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    if let Some(uri) = dp {
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![uri.into()],
        }];
    }
    let key = KeyPair::generate().unwrap();
    p.signed_by(&key, &by.issuer()).unwrap().pem()
}

/// What a CRL says, beyond its issuer.
#[derive(Clone, Default)]
struct Crl {
    this_update: (i32, u8, u8),
    next_update: (i32, u8, u8),
    number: u64,
    revoked: Vec<(u64, Option<RevocationReason>)>,
    idp: Option<(&'static str, Option<CrlScope>)>,
}

fn crl(by: &Issuer<'_, &KeyPair>, c: &Crl) -> String {
    let d = |(y, m, day): (i32, u8, u8)| date_time_ymd(y, m, day);
    CertificateRevocationListParams {
        this_update: d(c.this_update),
        next_update: d(c.next_update),
        crl_number: SerialNumber::from(c.number),
        issuing_distribution_point: c.idp.map(|(uri, scope)| CrlIssuingDistributionPoint {
            distribution_point: CrlDistributionPoint {
                uris: vec![uri.into()],
            },
            scope,
        }),
        revoked_certs: c
            .revoked
            .iter()
            .map(|(serial, reason)| RevokedCertParams {
                serial_number: SerialNumber::from(*serial),
                revocation_time: date_time_ymd(2026, 1, 1),
                reason_code: *reason,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(by)
    .unwrap()
    .pem()
    .unwrap()
}

/// A current CRL (2027-01-01 to 2028-01-01) with this number revoking these serials.
fn current(number: u64, revoked: &[u64]) -> Crl {
    Crl {
        this_update: (2027, 1, 1),
        next_update: (2028, 1, 1),
        number,
        revoked: revoked.iter().map(|s| (*s, None)).collect(),
        idp: None,
    }
}

struct Case {
    name: &'static str,
    root: String,
    chain: Vec<String>,
    leaf: String,
    crls: Vec<String>,
    /// pkgverify's verdict and OpenSSL's; equal unless `why` says otherwise.
    pkgverify: Verdict,
    openssl: Verdict,
    why: Option<&'static str>,
}

fn pkgverify_verdict(c: &Case) -> Verdict {
    let mut store = TrustStore::new();
    store.add_anchors(c.root.as_bytes(), "root").unwrap();
    for (i, crl) in c.crls.iter().enumerate() {
        store.add_crls(crl.as_bytes(), &format!("crl {i}")).unwrap();
    }
    let der = |pem: &str| {
        use rustls_pki_types::pem::PemObject;
        rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
            .unwrap()
            .to_vec()
    };
    let chain: Vec<Vec<u8>> = c.chain.iter().map(|p| der(p)).collect();
    let options = ChainOptions::default()
        .usage(Usage::CodeSigning)
        .revocation(RevocationPolicy::Required);
    match store.validate_chain(
        &der(&c.leaf),
        &chain,
        pkgverify::parse_rfc3339(AT).unwrap(),
        &options,
    ) {
        Ok(_) => Verdict::Valid,
        Err(ChainError::Revoked { .. }) => Verdict::Revoked,
        Err(_) => Verdict::Rejected,
    }
}

fn openssl_verdict(dir: &Path, c: &Case) -> (Verdict, String) {
    let write = |file: &str, text: &str| std::fs::write(dir.join(file), text).unwrap();
    write("root.pem", &c.root);
    write("chain.pem", &c.chain.concat());
    write("leaf.pem", &c.leaf);
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir).args([
        "verify",
        "-attime",
        AT_EPOCH,
        "-crl_check_all",
        "-CAfile",
        "root.pem",
    ]);
    if !c.chain.is_empty() {
        cmd.args(["-untrusted", "chain.pem"]);
    }
    for (i, crl) in c.crls.iter().enumerate() {
        let file = format!("crl{i}.pem");
        write(&file, crl);
        cmd.args(["-CRLfile", &file]);
    }
    cmd.arg("leaf.pem");
    let out = cmd
        .output()
        .expect("openssl must be installed for tests/revocation.rs (.ci/run installs it)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let verdict = if out.status.success() {
        Verdict::Valid
    } else if text.contains("certificate revoked") {
        Verdict::Revoked
    } else {
        Verdict::Rejected
    };
    (
        verdict,
        text.lines()
            .find(|l| l.contains("error"))
            .unwrap_or("")
            .to_owned(),
    )
}

fn cases() -> Vec<Case> {
    let r = root();
    let ca = intermediate("Signing CA", 2, &r, signing());
    let root_crl = crl(&r.issuer(), &current(1, &[]));
    let base = |name, leaf: String, crls: Vec<String>, both: Verdict| Case {
        name,
        root: r.pem.clone(),
        chain: vec![ca.pem.clone()],
        leaf,
        crls,
        pkgverify: both,
        openssl: both,
        why: None,
    };
    let ca_crl = |c: &Crl| crl(&ca.issuer(), c);
    let mut out = vec![
        base(
            "leaf revoked",
            leaf(10, &ca, None),
            vec![root_crl.clone(), ca_crl(&current(1, &[10]))],
            Verdict::Revoked,
        ),
        base(
            "leaf not revoked",
            leaf(11, &ca, None),
            vec![root_crl.clone(), ca_crl(&current(1, &[99]))],
            Verdict::Valid,
        ),
        base(
            "no CRL from the signing CA",
            leaf(12, &ca, None),
            vec![root_crl.clone()],
            Verdict::Rejected,
        ),
        base(
            "revoked intermediate",
            leaf(13, &ca, None),
            vec![
                crl(&r.issuer(), &current(1, &[2])),
                ca_crl(&current(1, &[])),
            ],
            Verdict::Revoked,
        ),
        base(
            "expired CRL",
            leaf(14, &ca, None),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    this_update: (2026, 1, 1),
                    next_update: (2027, 1, 1),
                    ..current(1, &[])
                }),
            ],
            Verdict::Rejected,
        ),
        base(
            "CRL not yet valid",
            leaf(15, &ca, None),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    this_update: (2027, 7, 1),
                    next_update: (2028, 1, 1),
                    ..current(1, &[])
                }),
            ],
            Verdict::Rejected,
        ),
        base(
            "partitioned: the leaf's partition revokes it, a newer other partition revokes nothing",
            leaf(16, &ca, Some("http://crl.example/a.crl")),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    idp: Some(("http://crl.example/a.crl", None)),
                    ..current(1, &[16])
                }),
                ca_crl(&Crl {
                    this_update: (2027, 3, 1),
                    idp: Some(("http://crl.example/b.crl", None)),
                    ..current(2, &[])
                }),
            ],
            Verdict::Revoked,
        ),
        base(
            "partitioned: only the other partition is loaded",
            leaf(17, &ca, Some("http://crl.example/a.crl")),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    idp: Some(("http://crl.example/b.crl", None)),
                    ..current(1, &[])
                }),
            ],
            Verdict::Rejected,
        ),
        base(
            "partitioned: the leaf's own partition, not revoked",
            leaf(18, &ca, Some("http://crl.example/a.crl")),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    idp: Some(("http://crl.example/a.crl", None)),
                    ..current(1, &[])
                }),
            ],
            Verdict::Valid,
        ),
        base(
            "an onlyContainsUserCerts CRL naming a point the leaf does not have",
            leaf(19, &ca, None),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    idp: Some(("http://crl.example/u.crl", Some(CrlScope::UserCertsOnly))),
                    ..current(1, &[])
                }),
            ],
            // rcgen always names a distribution point in the IDP: it covers only certificates naming it.
            Verdict::Rejected,
        ),
        base(
            "onlyContainsCACerts CRL is the leaf's only CRL",
            leaf(20, &ca, Some("http://crl.example/c.crl")),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    idp: Some(("http://crl.example/c.crl", Some(CrlScope::CaCertsOnly))),
                    ..current(1, &[])
                }),
            ],
            Verdict::Rejected,
        ),
        base(
            "onlyContainsUserCerts CRL at the leaf's point, revoking it",
            leaf(21, &ca, Some("http://crl.example/u.crl")),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    idp: Some(("http://crl.example/u.crl", Some(CrlScope::UserCertsOnly))),
                    ..current(1, &[21])
                }),
            ],
            Verdict::Revoked,
        ),
        base(
            "certificateHold on an older CRL, lifted by a newer one",
            leaf(22, &ca, None),
            vec![
                root_crl.clone(),
                ca_crl(&Crl {
                    this_update: (2026, 12, 1),
                    revoked: vec![(22, Some(RevocationReason::CertificateHold))],
                    ..current(1, &[])
                }),
                ca_crl(&current(2, &[])),
            ],
            Verdict::Valid,
        ),
    ];
    // Two CRLs of one CA with the same thisUpdate, the second revoking the leaf.
    out.push(Case {
        why: Some("OpenSSL keeps one best CRL per issuer and, on a tie, the first loaded (here the one that revokes nothing); pkgverify counts every authoritative CRL, so any that lists the leaf revokes it"),
        openssl: Verdict::Valid,
        ..base("equal thisUpdate, the second revokes", leaf(23, &ca, None), vec![root_crl.clone(), ca_crl(&current(5, &[])), ca_crl(&current(5, &[23]))], Verdict::Revoked)
    });
    // A same-name CRL from a forger, newer than the genuine one that revokes the leaf.
    let forger_key = KeyPair::generate().unwrap();
    let forger = Issuer::from_params(&ca.params, &forger_key);
    let forged = crl(
        &forger,
        &Crl {
            this_update: (2027, 3, 1),
            ..current(9, &[])
        },
    );
    out.push(base(
        "a newer forged same-name CRL beside the genuine revocation",
        leaf(24, &ca, None),
        vec![root_crl.clone(), forged.clone(), ca_crl(&current(1, &[24]))],
        Verdict::Revoked,
    ));
    out.push(base(
        "only a forged same-name CRL",
        leaf(25, &ca, None),
        vec![root_crl.clone(), forged],
        Verdict::Rejected,
    ));
    // A CA re-keyed under the same name: both CAs' CRLs loaded.
    let rekeyed = intermediate("Signing CA", 3, &r, signing());
    let old_revokes_serial = crl(&ca.issuer(), &current(1, &[26]));
    out.push(Case {
        chain: vec![rekeyed.pem.clone()],
        ..base(
            "re-keyed CA: the old key's CRL lists the serial, the new key's does not",
            leaf(26, &rekeyed, None),
            vec![
                root_crl.clone(),
                old_revokes_serial,
                crl(&rekeyed.issuer(), &current(1, &[])),
            ],
            Verdict::Valid,
        )
    });
    out.push(Case {
        chain: vec![rekeyed.pem.clone()],
        ..base(
            "re-keyed CA: the new key's CRL revokes the leaf",
            leaf(27, &rekeyed, None),
            vec![
                root_crl.clone(),
                ca_crl(&current(1, &[])),
                crl(&rekeyed.issuer(), &current(2, &[27])),
            ],
            Verdict::Revoked,
        )
    });
    // An issuer whose keyUsage does not allow cRLSign (its CRL signed under
    // parameters that claim it, as rcgen will not sign otherwise).
    let no_crl_sign = intermediate("No CRL Sign CA", 4, &r, vec![KeyUsagePurpose::KeyCertSign]);
    let claims = ca_params("No CRL Sign CA", 4, signing());
    let claimed = Issuer::from_params(&claims, &no_crl_sign.key);
    out.push(Case {
        chain: vec![no_crl_sign.pem.clone()],
        ..base(
            "the CRL's issuer lacks cRLSign",
            leaf(28, &no_crl_sign, None),
            vec![root_crl.clone(), crl(&claimed, &current(1, &[]))],
            Verdict::Rejected,
        )
    });
    // A serial whose DER has a leading zero byte (the high bit set).
    out.push(base(
        "serial 0x80 (leading zero in DER) revoked",
        leaf(0x80, &ca, None),
        vec![root_crl, ca_crl(&current(1, &[0x80]))],
        Verdict::Revoked,
    ));
    out
}

#[test]
fn revocation_agrees_with_openssl_case_by_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    println!(
        "{:<86} {:<9} {:<9} openssl's error",
        "case", "pkgverify", "openssl"
    );
    for c in cases() {
        let ours = pkgverify_verdict(&c);
        let (theirs, error) = openssl_verdict(dir.path(), &c);
        println!(
            "{:<86} {:<9} {:<9} {error}",
            c.name,
            format!("{ours:?}"),
            format!("{theirs:?}")
        );
        if ours != c.pkgverify || theirs != c.openssl {
            failures.push(format!(
                "{}: pkgverify {ours:?} (expected {:?}), openssl {theirs:?} (expected {:?}) {error}",
                c.name, c.pkgverify, c.openssl
            ));
        }
        if c.why.is_none() && c.pkgverify != c.openssl {
            failures.push(format!("{}: an unexplained difference", c.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
