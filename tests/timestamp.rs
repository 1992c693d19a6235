//! Trusted timestamps (RFC 3161) against an independent peer: tokens made
//! by `openssl ts -reply` under `faketime`, judged by pkgverify and, case by
//! case, by `openssl ts -verify` as the oracle. Needs `openssl` and
//! `faketime` (the CI installs both; a missing one fails loudly).

mod common;

use std::path::PathBuf;

use common::der_tree::{token as tk, Content, Tlv};
use common::tsa::{openssl_verifies, tsa_cert, Request, Tsa, TsaEku};
use common::*;
use pkgverify::{
    Error, Policy, SignatureProblem, SigningKey, TimestampProblem, TimestampStatus, TrustStore,
    Verifier,
};
use rcgen::KeyPair;
use rustls_pki_types::pem::PemObject;

/// Makes a token over a signature's bytes.
type TokenFn = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// The fixture: the committed test TSA and its root, and a scratch directory.
struct Fixture {
    dir: tempfile::TempDir,
    tsa: Tsa,
    root_pem: PathBuf,
    /// A good ECDSA TSA, and its key (shared by the variants).
    ec: Tsa,
    ec_key_pem: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let tsa = Tsa::new(
        &dir.path().join("committed"),
        &String::from_utf8(read(pki("tsa.pem"))).unwrap(),
        &String::from_utf8(read(pki("tsa.key"))).unwrap(),
    );
    let key = KeyPair::generate().unwrap();
    let ec_key_pem = key.serialize_pem();
    let made = tsa_cert(
        "EC TSA",
        0x7101,
        key,
        &issuer("tsa-root"),
        TsaEku::Exact,
        (2025, 2095),
        false,
    );
    let ec = Tsa::new(&dir.path().join("EC TSA"), &made.cert_pem, &made.key_pem);
    Fixture {
        tsa,
        root_pem: pki("tsa-root.pem"),
        dir,
        ec,
        ec_key_pem,
    }
}

impl Fixture {
    /// Another TSA under the committed root: an EC key, with `eku`, valid
    /// `years`. One that `openssl ts -reply` refuses to sign with (a wrong
    /// EKU, a CA) gets its tokens by [`Fixture::stamp`].
    fn other(&self, name: &str, serial: u64, eku: TsaEku, years: (i32, i32), ca: bool) -> Tsa {
        let made = tsa_cert(
            name,
            serial,
            KeyPair::from_pem(&self.ec_key_pem).unwrap(),
            &issuer("tsa-root"),
            eku,
            years,
            ca,
        );
        Tsa::new(&self.dir.path().join(name), &made.cert_pem, &made.key_pem)
    }
}

fn tsa_store(anchors: &[&str]) -> TrustStore {
    let mut t = TrustStore::new();
    for a in anchors {
        t.load_anchors(pki(&format!("{a}.pem"))).unwrap();
    }
    t
}

/// The usual verifier: code signing under Root G2, the test TSA trusted, at `at()`.
fn v() -> Verifier {
    verifier(trust_g2()).with_policy(Policy::new().timestamp_authorities(tsa_store(&["tsa-root"])))
}

/// A package signed by `key`/`chain` as "vendor", its signature timestamped by `token`.
fn stamped_by(
    key: SigningKey,
    chain: Vec<u8>,
    token: impl Fn(&[u8]) -> Vec<u8> + 'static,
) -> Vec<u8> {
    build(
        builder(&[])
            .signer("vendor", key, chain)
            .timestamper(move |_, sig| Ok(token(sig))),
    )
}

fn stamped(token: impl Fn(&[u8]) -> Vec<u8> + 'static) -> Vec<u8> {
    let (key, chain) = signer("signer-p256");
    stamped_by(key, chain, token)
}

/// The `.sig` and `.tst` of the package's "vendor" signature.
fn sig_and_token(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
        out
    };
    (read("signatures/vendor.sig"), read("signatures/vendor.tst"))
}

/// What verification concluded: the package's kind (or "verified"), and
/// the first signature's timestamp status and problem kind.
fn outcome(v: &Verifier, bytes: &[u8]) -> (String, Option<&'static str>) {
    let result = v.verify_both(bytes);
    let (kind, sigs) = match &result {
        Ok(p) => ("verified".to_string(), p.signatures().to_vec()),
        Err(r) => (r.kind().to_string(), r.signatures().to_vec()),
    };
    let stamp =
        sigs.first()
            .and_then(|s| s.timestamp.as_ref())
            .map(|t| match (t.status, &t.problem) {
                (TimestampStatus::Trusted, _) => "trusted",
                (_, Some(TimestampProblem::NoTsaTrust)) => "untrusted: no TSA trust",
                (_, Some(TimestampProblem::KeyUsage { .. })) => "untrusted: key usage",
                (_, Some(TimestampProblem::Chain(_))) => "untrusted: chain",
                (_, Some(TimestampProblem::AfterVerificationTime { .. })) => {
                    "untrusted: later than now"
                }
                _ => "untrusted: other",
            });
    (kind, stamp)
}

/// A package stamped by `tsa` (through [`stamp_as`]).
fn stamped_with(f: &Fixture, tsa: &Tsa, at: &'static str) -> Vec<u8> {
    let (ec, key, cert) = (f.ec.clone(), f.ec_key_pem.clone(), tsa.cert_pem.clone());
    stamped(move |s| stamp_as(&ec, &key, &cert, s, at))
}

/// A token over `data` at `at` whose TSA certificate is `cert_pem`. For a
/// certificate `openssl ts -reply` will not sign with (a wrong EKU, a CA;
/// all share the EC TSA's key), a token from the good EC TSA `ec` is made
/// that certificate's: the certificate, the SignerInfo's serial and the ESS
/// hash replaced, and the attributes signed again with the key.
fn stamp_as(ec: &Tsa, key_pem: &str, cert_pem: &str, data: &[u8], at: &'static str) -> Vec<u8> {
    let good = ec.token(data, &req(at));
    if cert_pem == ec.cert_pem {
        return good;
    }
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .unwrap()
        .to_vec();
    let mut cert = Tlv::from_der(&der);
    let serial = cert.at(&[0, 1]).clone();
    let mut t = Tlv::from_der(&good);
    *t.at(tk::CERTIFICATES) = Tlv {
        tag: 0xa0,
        content: Content::Constructed(vec![Tlv::from_der(&der)]),
    };
    let hash = ring::digest::digest(&ring::digest::SHA256, &der)
        .as_ref()
        .to_vec();
    let si = &mut tk::signer_infos(&mut t).children()[0];
    *si.at(&[1, 1]) = serial;
    let token = t.encode();
    resign(&token, key_pem, |attrs| {
        for a in attrs.iter_mut().filter(|a| attribute_is(a, ESS_V2)) {
            a.at(&[1, 0, 0, 0, 0]).content = Content::Primitive(hash.clone());
        }
    })
}

fn secs(text: &str) -> u64 {
    pkgverify::parse_rfc3339(text).unwrap().as_secs()
}

fn req(at: &'static str) -> Request<'static> {
    Request {
        at,
        ..Request::default()
    }
}

/// Re-signs an EC TSA's token after `edit` changed its signed attributes
/// (with the TSA's own key: a genuine signature over attributes that break
/// a rule).
fn resign(token: &[u8], key_pem: &str, edit: impl Fn(&mut Vec<Tlv>)) -> Vec<u8> {
    let mut t = Tlv::from_der(token);
    let si = &mut tk::signer_infos(&mut t).children()[0];
    let attrs = &mut si.children()[3];
    edit(attrs.children());
    let mut set = attrs.clone();
    set.tag = 0x31;
    let key = KeyPair::from_pem(key_pem).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let signer = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &key.serialize_der(),
        &rng,
    )
    .unwrap();
    let sig = signer.sign(&rng, &set.encode()).unwrap();
    si.children()[5] = Tlv {
        tag: 0x04,
        content: Content::Primitive(sig.as_ref().to_vec()),
    };
    t.encode()
}

/// The attribute whose type's DER contents end with `suffix`.
fn attribute_is(attr: &Tlv, oid: &[u8]) -> bool {
    let mut a = attr.clone();
    a.children()[0].bytes() == oid
}

const ESS_V2: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f,
];

/// The case table: what pkgverify concludes, and whether `openssl ts
/// -verify -attime T` accepts the same token (None: not a token question).
#[test]
fn the_matrix_against_openssl() {
    let f = fixture();
    let ec = f.ec.clone();
    let expiring = f.other("TSA until 2027", 0x7102, TsaEku::Exact, (2025, 2027), false);
    let non_critical = f.other(
        "TSA non-critical EKU",
        0x7103,
        TsaEku::NonCritical,
        (2025, 2095),
        false,
    );
    let extra = f.other("TSA extra EKU", 0x7104, TsaEku::Extra, (2025, 2095), false);
    let missing = f.other("TSA no EKU", 0x7105, TsaEku::Missing, (2025, 2095), false);
    let ca = f.other(
        "TSA that is a CA",
        0x7106,
        TsaEku::Exact,
        (2025, 2095),
        true,
    );
    let decoy = f.other("Decoy TSA", 0x7107, TsaEku::Exact, (2025, 2095), false);

    // A signer valid 2025 to 2027-01-01: expired at the verification time.
    let short = {
        let key = KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "Signer until 2027");
        p.not_before = rcgen::date_time_ymd(2025, 1, 1);
        p.not_after = rcgen::date_time_ymd(2027, 1, 1);
        p.is_ca = rcgen::IsCa::ExplicitNoCa;
        p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
        let cert = p.signed_by(&key, &issuer("signing-ca-g2")).unwrap();
        let chain = format!(
            "{}{}",
            cert.pem(),
            String::from_utf8(read(pki("signing-ca-g2.pem"))).unwrap()
        );
        (key.serialize_der(), chain.into_bytes())
    };
    let short_signed = |token: TokenFn| {
        let key = SigningKey::from_pkcs8_der(&short.0).unwrap();
        stamped_by(key, short.1.clone(), token)
    };

    struct Case {
        what: &'static str,
        bytes: Vec<u8>,
        verifier: Verifier,
        kind: &'static str,
        stamp: Option<&'static str>,
        /// Whether openssl ts -verify accepts the token at its time.
        openssl: Option<bool>,
        tsa_root: PathBuf,
    }
    let case = |what, bytes, kind, stamp, openssl| Case {
        what,
        bytes,
        verifier: v(),
        kind,
        stamp,
        openssl,
        tsa_root: f.root_pem.clone(),
    };
    let committed = f.tsa.clone();
    let (ec1, ec2, ec3) = (ec.clone(), ec.clone(), ec.clone());
    let ec_key = std::fs::read_to_string(ec.dir.join("tsa.key")).unwrap();
    let (k1, k2) = (ec_key.clone(), ec_key.clone());
    let mut cases = vec![
        case(
            "valid, RSA TSA (rsaEncryption + SHA-256)",
            stamped(move |s| committed.token(s, &req("2026-10-01 00:00:00"))),
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "valid, ECDSA TSA",
            stamped(move |s| ec1.token(s, &req("2026-10-01 00:00:00"))),
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "valid, ESS signingCertificate v1 (SHA-1 certificate id)",
            {
                let t = f.tsa.clone();
                stamped(move |s| {
                    t.token(
                        s,
                        &Request {
                            ess_digest: "sha1",
                            ..req("2026-10-01 00:00:00")
                        },
                    )
                })
            },
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "valid, SHA-512 imprint and SHA-384 signature",
            {
                let t = f.tsa.clone();
                stamped(move |s| {
                    t.token(
                        s,
                        &Request {
                            digest: "sha512",
                            signer_digest: "sha384",
                            ..req("2026-10-01 00:00:00")
                        },
                    )
                })
            },
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "signer expired now, valid at the timestamp",
            {
                let t = f.tsa.clone();
                short_signed(Box::new(move |s| t.token(s, &req("2026-10-01 00:00:00"))))
            },
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "accuracy widens the window past the signer's notAfter",
            {
                let t = f.tsa.clone();
                short_signed(Box::new(move |s| {
                    t.token(
                        s,
                        &Request {
                            accuracy: "secs:2",
                            ..req("2026-12-31 23:59:59")
                        },
                    )
                }))
            },
            "certificate_expired",
            Some("trusted"),
            Some(true),
        ),
        case(
            "TSA certificate expired now, valid at its time",
            {
                let t = expiring.clone();
                stamped(move |s| t.token(s, &req("2026-10-01 00:00:00")))
            },
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "TSA EKU not critical",
            stamped_with(&f, &non_critical, "2026-10-01 00:00:00"),
            "verified",
            Some("untrusted: key usage"),
            Some(false),
        ),
        case(
            "TSA EKU with codeSigning too",
            stamped_with(&f, &extra, "2026-10-01 00:00:00"),
            "verified",
            Some("untrusted: key usage"),
            Some(false),
        ),
        case(
            "TSA without EKU",
            stamped_with(&f, &missing, "2026-10-01 00:00:00"),
            "verified",
            Some("untrusted: key usage"),
            Some(false),
        ),
        case(
            "a CA as TSA",
            stamped_with(&f, &ca, "2026-10-01 00:00:00"),
            "verified",
            Some("untrusted: chain"),
            Some(false),
        ),
        case(
            "ESS attribute missing (re-signed by the TSA's key)",
            stamped(move |s| {
                resign(&ec2.token(s, &req("2026-10-01 00:00:00")), &k1, |attrs| {
                    attrs.retain(|a| !attribute_is(a, ESS_V2))
                })
            }),
            "signature_invalid",
            None,
            Some(false),
        ),
        case(
            "ESS attribute naming another certificate (re-signed)",
            stamped(move |s| {
                resign(&ec3.token(s, &req("2026-10-01 00:00:00")), &k2, |attrs| {
                    for a in attrs.iter_mut().filter(|a| attribute_is(a, ESS_V2)) {
                        // SET { SigningCertificateV2 { SEQUENCE { ESSCertIDv2 { certHash ...
                        let hash = a.at(&[1, 0, 0, 0, 0]);
                        if let Content::Primitive(b) = &mut hash.content {
                            b[0] ^= 1;
                        }
                    }
                })
            }),
            "signature_invalid",
            None,
            Some(false),
        ),
        case(
            "imprint over other bytes",
            {
                let t = f.tsa.clone();
                stamped(move |_| t.token(b"something else", &req("2026-10-01 00:00:00")))
            },
            "signature_invalid",
            None,
            Some(false),
        ),
        case(
            "SHA-1 imprint",
            {
                let t = f.tsa.clone();
                stamped(move |s| {
                    t.token(
                        s,
                        &Request {
                            digest: "sha1",
                            ..req("2026-10-01 00:00:00")
                        },
                    )
                })
            },
            "signature_invalid",
            None,
            // openssl accepts SHA-1 imprints; pkgverify refuses them.
            Some(true),
        ),
        case(
            "truncated token",
            {
                let t = f.tsa.clone();
                stamped(move |s| {
                    let mut d = t.token(s, &req("2026-10-01 00:00:00"));
                    d.truncate(d.len() - 7);
                    d
                })
            },
            "signature_invalid",
            None,
            Some(false),
        ),
        case(
            "two SignerInfos",
            {
                let t = f.tsa.clone();
                stamped(move |s| {
                    let mut tree = Tlv::from_der(&t.token(s, &req("2026-10-01 00:00:00")));
                    let infos = tk::signer_infos(&mut tree);
                    let first = infos.children()[0].clone();
                    infos.children().push(first);
                    tree.encode()
                })
            },
            "signature_invalid",
            None,
            Some(false),
        ),
        case(
            "a decoy certificate before the real TSA certificate",
            {
                let t = f.tsa.clone();
                let decoy_der =
                    rustls_pki_types::CertificateDer::from_pem_slice(decoy.cert_pem.as_bytes())
                        .unwrap()
                        .to_vec();
                stamped(move |s| {
                    let mut tree = Tlv::from_der(&t.token(s, &req("2026-10-01 00:00:00")));
                    tree.at(tk::CERTIFICATES)
                        .children()
                        .insert(0, Tlv::from_der(&decoy_der));
                    tree.encode()
                })
            },
            "verified",
            Some("trusted"),
            Some(true),
        ),
        case(
            "a timestamp later than the verification time",
            {
                let t = f.tsa.clone();
                stamped(move |s| t.token(s, &req("2027-07-01 00:00:00")))
            },
            "verified",
            Some("untrusted: later than now"),
            // At its own time the token is valid; only the verification time
            // (which openssl -attime is not told about) makes it untrusted.
            Some(true),
        ),
    ];
    cases.push(Case {
        what: "revoked signer, valid timestamp",
        bytes: {
            let t = f.tsa.clone();
            let (k, c) = signer("bad-revoked");
            stamped_by(k, c, move |s| t.token(s, &req("2026-10-01 00:00:00")))
        },
        verifier: verifier(store(&["root-g2"], &[], &["signing-ca-g2.crl"]))
            .with_policy(Policy::new().timestamp_authorities(tsa_store(&["tsa-root"]))),
        kind: "certificate_revoked",
        stamp: Some("trusted"),
        openssl: Some(true),
        tsa_root: f.root_pem.clone(),
    });
    // The verifier's own cases: the same good token, other trust.
    let good = {
        let t = f.tsa.clone();
        stamped(move |s| t.token(s, &req("2026-10-01 00:00:00")))
    };
    let mut both = trust_g2();
    both.load_anchors(pki("tsa-root.pem")).unwrap();
    cases.push(Case {
        what: "TSA root given only as a code-signing anchor",
        bytes: good.clone(),
        verifier: verifier(both),
        kind: "verified",
        stamp: Some("untrusted: no TSA trust"),
        openssl: None,
        tsa_root: f.root_pem.clone(),
    });
    cases.push(Case {
        what: "code-signing root given only as a TSA anchor",
        bytes: good.clone(),
        verifier: verifier(TrustStore::new())
            .with_policy(Policy::new().timestamp_authorities(tsa_store(&["tsa-root", "root-g2"]))),
        kind: "untrusted_signer",
        stamp: Some("trusted"),
        openssl: None,
        tsa_root: f.root_pem.clone(),
    });
    // A CRL from the TSA root revoking the EC TSA.
    let revoked_tsa = {
        let crl = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2026, 1, 1),
            next_update: rcgen::date_time_ymd(2095, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from(0x7101u64),
                revocation_time: rcgen::date_time_ymd(2026, 6, 1),
                reason_code: None,
                invalidity_date: None,
            }],
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        }
        .signed_by(&issuer("tsa-root"))
        .unwrap();
        let mut store = tsa_store(&["tsa-root"]);
        store
            .add_crls(crl.pem().unwrap().as_bytes(), "tsa.crl")
            .unwrap();
        store
    };
    cases.push(Case {
        what: "revoked TSA",
        bytes: {
            let t = ec.clone();
            stamped(move |s| t.token(s, &req("2026-10-01 00:00:00")))
        },
        verifier: verifier(trust_g2())
            .with_policy(Policy::new().timestamp_authorities(revoked_tsa)),
        kind: "verified",
        stamp: Some("untrusted: chain"),
        openssl: None,
        tsa_root: f.root_pem.clone(),
    });

    let mut failures = Vec::new();
    let mut disagreements = Vec::new();
    for c in &cases {
        let got = outcome(&c.verifier, &c.bytes);
        if got != (c.kind.to_string(), c.stamp) {
            failures.push(format!(
                "{}: got {got:?}, expected ({}, {:?})",
                c.what, c.kind, c.stamp
            ));
        }
        if let Some(expected) = c.openssl {
            let (sig, token) = sig_and_token(&c.bytes);
            // At the token's own time: the TSA's validity, not the verification time.
            let time = token_time(&token).unwrap_or(secs("2026-10-01T00:00:00Z"));
            let ok = openssl_verifies(f.dir.path(), &token, &sig, &c.tsa_root, None, time);
            if ok != expected {
                failures.push(format!(
                    "{}: openssl says {ok}, the table {expected}",
                    c.what
                ));
            }
            let ours_sound = !matches!(c.kind, "signature_invalid");
            let ours_trusted = c.stamp == Some("trusted");
            if ok != (ours_sound && ours_trusted) {
                disagreements.push(c.what);
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // Where pkgverify and openssl differ, on purpose (docs/CONFORMANCE.md).
    assert_eq!(
        disagreements,
        [
            "SHA-1 imprint",
            "a timestamp later than the verification time"
        ],
        "pkgverify and openssl disagree on other cases"
    );
}

/// genTime of a token, from openssl's text output (the oracle's own
/// reading); `None` if openssl cannot read it.
fn token_time(token: &[u8]) -> Option<u64> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.der");
    std::fs::write(&path, token).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["ts", "-reply", "-token_in", "-text", "-in"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("Time stamp: "))?;
    let parsed = time::PrimitiveDateTime::parse(
        line.trim_end_matches(" GMT"),
        &time::format_description::parse_borrowed::<2>(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year]",
        )
        .unwrap(),
    )
    .unwrap();
    Some(parsed.assume_utc().unix_timestamp() as u64)
}

#[test]
fn require_timestamp() {
    let f = fixture();
    let untrusting = f.other(
        "TSA non-critical EKU",
        0x7203,
        TsaEku::NonCritical,
        (2025, 2095),
        false,
    );
    let policy = || {
        Policy::new()
            .timestamp_authorities(tsa_store(&["tsa-root"]))
            .require_timestamp(true)
    };
    let v = verifier(trust_g2()).with_policy(policy());
    let good = {
        let t = f.tsa.clone();
        stamped(move |s| t.token(s, &req("2026-10-01 00:00:00")))
    };
    let untrusted = stamped_with(&f, &untrusting, "2026-10-01 00:00:00");
    assert_ok(v.verify_both(&good));
    for (what, bytes) in [
        ("no timestamp", good_package()),
        ("an untrusted timestamp", untrusted),
    ] {
        let r = assert_kind(v.verify_both(&bytes), "timestamp_missing");
        assert!(
            matches!(r.error(), Error::TimestampMissing { signature: None }),
            "{what}: {r}"
        );
        assert!(
            matches!(
                r.signatures()[0].problem,
                Some(Error::TimestampMissing { signature: Some(_) })
            ),
            "{what}"
        );
    }
    // From a policy file too.
    let text = format!(
        "version = 1\nrequire_timestamp = true\n[[anchors]]\nname = \"G2\"\nfile = \"{}\"\n[[tsa_anchors]]\nname = \"TSA\"\nfile = \"{}\"\n",
        pki("root-g2.pem").display(),
        pki("tsa-root.pem").display()
    );
    let (policy, trust) = Policy::from_toml(&text, &pki(""), "p.toml").unwrap();
    let v = Verifier::new(trust, at()).with_policy(policy);
    assert_ok(v.verify_both(&good));
    assert_kind(v.verify_both(&good_package()), "timestamp_missing");
}

/// The `.tst` layout: at most one per pair, never without its pair, within
/// the signature file size limit.
#[test]
fn token_files_in_the_layout() {
    let f = fixture();
    let token = f.tsa.token(b"x", &req("2026-10-01 00:00:00"));
    let raw = |extra: Vec<RawEntry>| {
        let mut entries = raw_package(
            &[("bin/tool", b"tool", 0o644)],
            vec![RawEntry::file("bin/tool", b"tool")],
        );
        for (i, e) in extra.into_iter().enumerate() {
            entries.insert(3 + i, e);
        }
        RawZip::new(entries).build()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "two .tst for one signature",
            raw(vec![
                RawEntry::file("signatures/s.tst", &token),
                RawEntry::file("signatures/s.tst", &token),
            ]),
            "archive_ambiguous",
        ),
        (
            "a .tst without its pair",
            raw(vec![RawEntry::file("signatures/t.tst", &token)]),
            "signature_missing",
        ),
        (
            "an oversize .tst",
            raw(vec![RawEntry::file(
                "signatures/s.tst",
                &vec![0x30; 300 << 10],
            )]),
            "limit_exceeded",
        ),
        (
            "a .tst over something else",
            raw(vec![RawEntry::file("signatures/s.tst", &token)]),
            "signature_invalid",
        ),
    ];
    for (what, bytes, kind) in cases {
        let r = assert_kind(v().verify_both(&bytes), kind);
        if kind == "signature_invalid" {
            assert!(
                matches!(
                    r.error(),
                    Error::SignatureInvalid {
                        problem: SignatureProblem::Timestamp(_),
                        ..
                    }
                ),
                "{what}: {r}"
            );
        }
    }
}

/// The rotation demo: the package timestamped before G1's deadline verifies
/// after it; the one timestamped after it does not.
#[test]
fn the_rotation_demo() {
    let (policy, trust) = Policy::load(repo().join("testdata/policy/rotation.toml")).unwrap();
    let after = pkgverify::parse_rfc3339("2027-06-01T00:00:00Z").unwrap();
    let v = Verifier::new(trust, after).with_policy(policy);
    let demo = |name: &str| read(repo().join("testdata").join(name));
    let p =
        assert_ok(v.verify_path(repo().join("testdata/Full-upgrade-package-dten-timestamped.zip")));
    let s = &p.signatures()[0];
    assert!(s.judged_at_timestamp());
    assert_eq!(s.judged_at.as_secs(), secs("2026-10-01T00:00:00Z"));
    assert_eq!(
        pkgverify::Report::new(&Ok(p.clone())).time_source,
        "timestamp"
    );
    let r = assert_kind(
        v.verify_both(&demo("Full-upgrade-package-dten-timestamped-late.zip")),
        "untrusted_signer",
    );
    assert!(r.signatures()[0].judged_at_timestamp());
    assert_kind(
        v.verify_both(&demo("Full-upgrade-package-dten.zip")),
        "untrusted_signer",
    );
    // Before the deadline, all three verify.
    let (policy, trust) = Policy::load(repo().join("testdata/policy/rotation.toml")).unwrap();
    let before = Verifier::new(
        trust,
        pkgverify::parse_rfc3339("2027-01-01T00:00:00Z").unwrap(),
    )
    .with_policy(policy);
    for name in [
        "Full-upgrade-package-dten.zip",
        "Full-upgrade-package-dten-timestamped.zip",
        "Full-upgrade-package-dten-timestamped-late.zip",
    ] {
        let result = before.verify_both(&demo(name));
        match name {
            // Its timestamp is later than this verification time: not trusted.
            "Full-upgrade-package-dten-timestamped-late.zip" => {
                let p = assert_ok(result);
                assert!(!p.signatures()[0].judged_at_timestamp());
            }
            _ => {
                assert_ok(result);
            }
        }
    }
}

/// A second, independent TSA client: `jarsigner -tsa` against a loopback
/// RFC 3161 server (Python's http.server around `openssl ts -reply`, on
/// 127.0.0.1). The token it embeds in the JAR's signature block (an unsigned
/// attribute, id-aa-timeStampToken, over the SignerInfo's signature value)
/// must pass pkgverify's token checker against the same TSA root, and
/// openssl's.
#[test]
fn a_jarsigner_token_verifies() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let f = fixture();
    let dir = f.dir.path();
    let config = f.tsa.config(&Request::default());
    let server = r#"
import http.server, subprocess, sys, tempfile, os
config = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        with tempfile.TemporaryDirectory() as d:
            q = os.path.join(d, 'q.tsq'); r = os.path.join(d, 'r.tsr')
            open(q, 'wb').write(body)
            subprocess.run(['openssl', 'ts', '-reply', '-config', config, '-queryfile', q, '-out', r],
                           check=True, capture_output=True)
            data = open(r, 'rb').read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/timestamp-reply')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;
    let mut tsa = Command::new("python3")
        .arg("-c")
        .arg(server)
        .arg(&config)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the loopback TSA (the CI installs it)");
    let mut port = String::new();
    BufReader::new(tsa.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let port = port.trim().to_owned();

    let run = |cmd: &mut Command, what: &str| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e} (a JDK is needed: the CI installs it)"));
        assert!(
            out.status.success(),
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let keystore = dir.join("ks.p12");
    run(
        Command::new("keytool")
            .args(["-genkeypair", "-keystore"])
            .arg(&keystore)
            .args([
                "-storetype",
                "pkcs12",
                "-storepass",
                "changeit",
                "-alias",
                "jar",
                "-keyalg",
                "EC",
                "-dname",
                "CN=jarsigner test",
                "-validity",
                "3650",
            ]),
        "keytool",
    );
    let jar = dir.join("test.jar");
    std::fs::write(dir.join("hello.txt"), b"hello").unwrap();
    run(
        Command::new("zip")
            .arg("-q")
            .arg(&jar)
            .arg("hello.txt")
            .current_dir(dir),
        "zip",
    );
    let mut jarsigner = Command::new("jarsigner");
    jarsigner
        .arg("-keystore")
        .arg(&keystore)
        .args(["-storepass", "changeit", "-tsa"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg(&jar)
        .arg("jar");
    let signed = jarsigner.output();
    let _ = tsa.kill();
    let _ = tsa.wait();
    let signed = signed.expect("jarsigner (a JDK is needed: the CI installs it)");
    assert!(
        signed.status.success(),
        "jarsigner -tsa: {}{}",
        String::from_utf8_lossy(&signed.stdout),
        String::from_utf8_lossy(&signed.stderr)
    );

    // The signature block and, in it, the token and what it timestamps.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&jar).unwrap()).unwrap();
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.starts_with("META-INF/") && (n.ends_with(".EC") || n.ends_with(".RSA")))
        .expect("a signature block")
        .into_owned();
    let mut block = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(&name).unwrap(), &mut block).unwrap();
    let mut tree = Tlv::from_der(&block);
    let si = tk::signer_infos(&mut tree).children()[0].clone();
    let mut si = si;
    let children = si.children().clone();
    let signature = children
        .iter()
        .rev()
        .find(|c| c.tag == 0x04)
        .expect("the SignerInfo's signature")
        .bytes()
        .to_vec();
    let mut unsigned = children
        .iter()
        .find(|c| c.tag == 0xa1)
        .expect("unsigned attributes: jarsigner did not timestamp")
        .clone();
    const TIME_STAMP_TOKEN: &[u8] = &[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e,
    ];
    let token = unsigned
        .children()
        .iter()
        .find(|a| attribute_is(a, TIME_STAMP_TOKEN))
        .expect("id-aa-timeStampToken")
        .clone()
        .at(&[1, 0])
        .encode();

    let now = pkgverify::UnixTime::now();
    let stamp = pkgverify::Timestamp::check(&token, &signature, &tsa_store(&["tsa-root"]), now)
        .unwrap_or_else(|p| panic!("jarsigner's token is not sound: {p}"));
    assert_eq!(
        stamp.status,
        TimestampStatus::Trusted,
        "{:?}",
        stamp.problem
    );
    assert!(openssl_verifies(
        dir,
        &token,
        &signature,
        &f.root_pem,
        None,
        now.as_secs()
    ));
    // Over other bytes it is tampering, for both.
    assert!(pkgverify::Timestamp::check(&token, b"other", &tsa_store(&["tsa-root"]), now).is_err());
    assert!(!openssl_verifies(
        dir,
        &token,
        b"other",
        &f.root_pem,
        None,
        now.as_secs()
    ));
}

/// CRL freshness is judged at the verification time, not the timestamp's:
/// a CRL that was current at the timestamp but is stale now leaves the
/// signer's status unknown.
#[test]
fn crl_freshness_is_judged_now() {
    let f = fixture();
    let t = f.tsa.clone();
    let bytes = stamped(move |s| t.token(s, &req("2026-10-01 00:00:00")));
    let mut trust = trust_g2();
    let crl = signing_ca_g2_crl((2026, 1, 1), (2027, 1, 1), 7);
    trust.add_crls(crl.as_bytes(), "stale.crl").unwrap();
    let v =
        verifier(trust).with_policy(Policy::new().timestamp_authorities(tsa_store(&["tsa-root"])));
    let r = assert_kind(v.verify_both(&bytes), "untrusted_signer");
    assert!(
        matches!(
            cause(&r),
            pkgverify::ChainError::RevocationUnknown {
                why: pkgverify::RevocationUnknown::Expired { .. },
                ..
            }
        ),
        "{r}"
    );
    assert!(
        r.signatures()[0].judged_at_timestamp(),
        "judged at the timestamp's time"
    );
}
