//! The example verifier as an operator's tool (issue 16): it never crashes
//! on ordinary pipelines, reads any file as what it is, reports every
//! mistake in the form asked for, names the input and the fix, and warns
//! before trust weakens. Each test runs the binary.
#![cfg(unix)]

mod common;

use std::fs;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::cli::*;
use common::AT;
use serde_json::Value;

/// Runs the verifier with stdout a pipe whose reader takes `take` bytes and
/// hangs up; the exit code.
fn closed_pipe(args: &[String], take: usize) -> i32 {
    let mut child = Command::new(example("verify"))
        .args(args)
        .current_dir(common::repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0; take];
    let _ = out.read_exact(&mut buf);
    drop(out);
    let status = child.wait_with_output().unwrap();
    let code = status
        .status
        .code()
        .unwrap_or_else(|| panic!("killed: {:?}", status.status));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    if code == 2 {
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("cannot write the report"), "{stderr}");
    }
    code
}

/// `verify ... | head -c1` and `> /dev/full`: the documented exit code,
/// 100 times out of 100, never a panic. A report that fits the pipe is
/// written whole before the reader hangs up (0); one that does not is a
/// failed write (2).
#[test]
fn a_closed_pipe_or_a_full_disk_is_exit_2_never_a_panic() {
    for _ in 0..100 {
        let code = closed_pipe(&demo(&[], DEMO), 1);
        assert!(code == 0 || code == 2, "exit {code}");
    }
    // A report larger than a pipe's buffer: the write must fail.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("many.zip");
    let mut b = pkgverify::PackageBuilder::new("many", "1.0.0");
    for i in 0..3000 {
        b = b.file(&format!("files/f{i:05}"), vec![b'x'], 0o644);
    }
    let (key, chain) = common::signer("signer-p256");
    fs::write(&big, common::build(b.signer("v", key, chain))).unwrap();
    let args = strings(&[
        "--list",
        "--root",
        "testdata/pki/root-g2.pem",
        "--at",
        AT,
        &p(&big),
    ]);
    for _ in 0..20 {
        assert_eq!(closed_pipe(&args, 1), 2);
    }
    for json in [false, true] {
        let mut a = demo(&[], DEMO);
        if json {
            a.insert(0, "--json".into());
        }
        for _ in 0..100 {
            let out = Command::new(example("verify"))
                .args(&a)
                .current_dir(common::repo())
                .stdout(fs::File::create("/dev/full").unwrap())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{out:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("No space left"), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

/// A FIFO, `/dev/stdin` on a pipe and bash's process substitution are
/// streams, verified as `-` is; an empty file is empty, not malformed.
#[test]
fn any_file_is_read_as_what_it_is() {
    let bytes = fs::read(common::repo().join(DEMO)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pkg.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.clone());
        std::thread::spawn(move || {
            fs::OpenOptions::new()
                .write(true)
                .open(fifo)
                .unwrap()
                .write_all(&bytes)
        })
    };
    let out = verify(&demo(&["--json"], &p(&fifo)));
    writer.join().unwrap().unwrap();
    assert_eq!(out.code, 0, "a FIFO: {out:?}");

    let out = run("verify", &demo(&["--json"], "/dev/stdin"), Some(&bytes));
    assert_eq!(out.code, 0, "/dev/stdin on a pipe: {out:?}");

    let script = format!(
        "exec \"$0\" --root testdata/pki/root-g1.pem --intermediates testdata/pki/advisory-chain.pem --at {AT} --json <(cat {DEMO})"
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(example("verify"))
        .current_dir(common::repo())
        .output()
        .expect("bash");
    assert_eq!(out.status.code(), Some(0), "process substitution: {out:?}");

    let empty = dir.path().join("empty.zip");
    fs::write(&empty, b"").unwrap();
    for package in [p(&empty), "-".into()] {
        let out = run("verify", &demo(&["--json"], &package), Some(b""));
        assert_eq!(out.code, 1, "{out:?}");
        let v = json(&out);
        assert_eq!(v["error"]["kind"], "package_empty");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("empty (0 bytes)"));
    }
}

/// `--json` is one object on stdout in every case, whatever else is given.
#[test]
fn json_is_one_object_whatever_else_is_given() {
    let cases: Vec<Vec<String>> = vec![
        strings(&["--json", "--quiet", "--trust", "no-such.toml", DEMO]),
        strings(&["-q", "--json", "--trust", "no-such.toml", DEMO]),
        strings(&["--json", "-q", "--frobnicate"]),
        strings(&["--json", "--quiet", "--root", "no-such.pem", DEMO]),
        strings(&["--json", "--quiet"]),
    ];
    for args in cases {
        let out = verify(&args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let v = json(&out);
        assert_eq!(v["verified"], false, "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    }
}

#[test]
fn version_help_and_dates() {
    let out = verify(&strings(&["--version"]));
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout.trim(),
        format!("verify {}", env!("CARGO_PKG_VERSION"))
    );
    let out = verify(&strings(&["--help"]));
    assert_eq!(out.code, 0);
    for part in [
        "Exit status:",
        "  0  verified",
        "  1  rejected",
        "  2  the caller",
        "Examples:",
        "--at <TIME>",
        "2027-06-01",
    ] {
        assert!(
            out.stdout.contains(part),
            "{part:?} in --help:\n{}",
            out.stdout
        );
    }
    // --at takes a date, meaning its first second (UTC).
    let out = verify(
        &[
            strings(&[
                "--json",
                "--root",
                "testdata/pki/root-g1.pem",
                "--intermediates",
                "testdata/pki/advisory-chain.pem",
                "--at",
                "2027-06-01",
            ]),
            strings(&[DEMO]),
        ]
        .concat(),
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v: Value = json(&out);
    assert_eq!(v["verification_time"]["time"], "2027-06-01T00:00:00Z");
    assert_eq!(v["verification_time"]["source"], "at");
    // Without --at, the clock.
    let out = verify(&strings(&[
        "--json",
        "--root",
        "testdata/pki/root-g1.pem",
        "--intermediates",
        "testdata/pki/advisory-chain.pem",
        DEMO,
    ]));
    assert_eq!(json(&out)["verification_time"]["source"], "clock");
    // The human output says it too.
    let out = verify(&demo(&[], DEMO));
    assert!(
        out.stdout
            .contains(&format!("verification time {AT} (given with --at)")),
        "{out:?}"
    );
}

/// Every input error names the option (or policy key and line), the file,
/// the reason in plain words, and what is expected; `--json` gives it its
/// own kind; nothing prints a library type's Debug form (byte lists).
#[test]
fn input_errors_name_the_option_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| p(&dir.path().join(name));
    let cert = fs::read_to_string(common::pki("signing-ca-g2.pem")).unwrap();
    fs::write(dir.path().join("truncated.pem"), &cert[..cert.len() / 2]).unwrap();
    fs::write(
        dir.path().join("types.toml"),
        "version = 1\nintermediates = { a = 1 }\n[[anchors]]\nname = \"x\"\nfile = \"y\"\n",
    )
    .unwrap();
    fs::write(dir.path().join("number.toml"), "version = \"one\"\n").unwrap();
    fs::write(
        dir.path().join("boolean.toml"),
        "version = 1\npackage_intermediates = \"no\"\n",
    )
    .unwrap();
    // (args, kind, what the message must say)
    let cases: Vec<(Vec<String>, &str, Vec<String>)> = vec![
        (
            strings(&[
                "--root",
                "testdata/pki/root-g1.pem",
                "--intermediates",
                "nope.pem",
                DEMO,
            ]),
            "trust_input",
            strings(&["--intermediates", "nope.pem", "No such file"]),
        ),
        (
            strings(&["--root", &path("truncated.pem"), DEMO]),
            "trust_input",
            strings(&["--root", "truncated.pem", "not closed", "truncated"]),
        ),
        (
            strings(&["--trust", &path("types.toml"), DEMO]),
            "policy_invalid",
            strings(&[
                "--trust",
                "types.toml",
                "line 2",
                "`intermediates` must be a list",
            ]),
        ),
        (
            strings(&["--trust", &path("number.toml"), DEMO]),
            "policy_invalid",
            strings(&["line 1", "`version` must be a whole number"]),
        ),
        (
            strings(&["--trust", &path("boolean.toml"), DEMO]),
            "policy_invalid",
            strings(&["line 2", "`package_intermediates` must be true or false"]),
        ),
        (
            strings(&[
                "--root",
                "testdata/pki/root-g1.pem",
                "--min-version",
                "4.2",
                DEMO,
            ]),
            "usage",
            strings(&["--min-version", "4.2", "expected MAJOR.MINOR.PATCH"]),
        ),
    ];
    for (args, kind, says) in cases {
        let human = verify(&args);
        assert_eq!(human.code, 2, "{args:?}: {human:?}");
        let out = verify(&[strings(&["--json"]), args.clone()].concat());
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let v = json(&out);
        assert_eq!(v["error"]["kind"], kind, "{args:?}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        for part in &says {
            assert!(message.contains(part.as_str()), "{part:?} in {message:?}");
            assert!(
                human.stderr.contains(part.as_str()),
                "{part:?} in {human:?}"
            );
        }
        // No Debug output: byte lists, enum names in brackets.
        assert!(!message.contains("[45, 45"), "{message}");
        assert!(!message.contains("Err("), "{message}");
    }
}

/// The example signer names what a key file holds and how to convert it.
#[test]
fn the_signer_explains_a_key_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let pk8 = common::pki("signer-p256.key");
    let sec1 = dir.path().join("sec1.key");
    let out = Command::new("openssl")
        .args(["ec", "-in"])
        .arg(&pk8)
        .arg("-out")
        .arg(&sec1)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    let enc = dir.path().join("enc.key");
    let out = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-passout", "pass:x", "-in"])
        .arg(&pk8)
        .arg("-out")
        .arg(&enc)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    let payload = dir.path().join("payload");
    fs::create_dir(&payload).unwrap();
    fs::write(payload.join("f"), b"x").unwrap();
    for (key, says) in [(sec1, "SEC1"), (enc, "encrypted")] {
        let out = sign(&strings(&[
            "--name",
            "d",
            "--version",
            "1",
            "--key",
            &p(&key),
            "--cert",
            "testdata/pki/signer-p256-chain.pem",
            "--out",
            &p(&dir.path().join("o.zip")),
            &p(&payload),
        ]));
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr.contains(says) && out.stderr.contains("openssl pkcs8 -topk8"),
            "{out:?}"
        );
    }
}

/// The codes of a `--json` report's warnings, in order.
fn warning_codes(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings array: {v}"))
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Each warning code, through the binary: the package verifies (exit 0), the
/// warning is in `--json` and in the human output's warnings section, and
/// `--deny-warnings` turns it into a rejection (exit 1, `warnings_denied`).
#[test]
fn each_weakening_is_warned_and_can_be_denied() {
    let dir = tempfile::tempdir().unwrap();
    let repo = common::repo();
    // A CRL from the signer's CA that expired before the verification time,
    // used under crl_expiration = "ignore".
    let crl = dir.path().join("stale.crl");
    fs::write(
        &crl,
        common::signing_ca_g2_crl((2027, 1, 1), (2027, 2, 1), 7),
    )
    .unwrap();
    let stale = dir.path().join("stale.toml");
    fs::write(
        &stale,
        format!(
            "version = 1\ncrls = [{:?}]\ncrl_expiration = \"ignore\"\nintermediates = [{:?}]\n\
             [[anchors]]\nname = \"G1\"\nfile = {:?}\n",
            p(&crl),
            p(&repo.join("testdata/pki/advisory-chain.pem")),
            p(&repo.join("testdata/pki/root-g1.pem")),
        ),
    )
    .unwrap();
    let cases: &[(&str, Vec<String>, &str)] = &[
        (
            // A cross-signed certificate given as a root sidesteps G1.
            "anchor_not_root",
            strings(&["--root", "testdata/pki/root-g2-cross-g1.pem", "--at", AT]),
            "is not self-signed",
        ),
        (
            "anchor_not_root",
            strings(&["--root", "testdata/pki/signing-ca-g2.pem", "--at", AT]),
            "give the self-signed root as --root",
        ),
        (
            "revocation_unchecked",
            strings(&[
                "--root",
                "testdata/pki/root-g1.pem",
                "--intermediates",
                "testdata/pki/advisory-chain.pem",
                "--at",
                AT,
            ]),
            "revocation was not checked",
        ),
        (
            "anchor_window_ending",
            strings(&[
                "--trust",
                "testdata/policy/rotation.toml",
                "--at",
                "2027-03-20",
            ]),
            "11 day(s) after the verification time",
        ),
        (
            "crl_stale",
            strings(&["--trust", &p(&stale), "--at", "2027-03-01"]),
            "was used anyway",
        ),
        (
            "certificate_expiring",
            strings(&["--root", "testdata/pki/root-g2.pem", "--at", "2094-12-20"]),
            "expires at 2095-01-01T00:00:00Z, 12 day(s)",
        ),
    ];
    for (code, args, words) in cases {
        let with = |extra: &[&str]| {
            let mut a = args.clone();
            a.extend(strings(extra));
            a.push(DEMO.into());
            a
        };
        let out = verify(&with(&["--json"]));
        assert_eq!(out.code, 0, "{code}: {out:?}");
        let v = json(&out);
        let codes = warning_codes(&v);
        assert!(codes.iter().any(|c| c == code), "{code}: {codes:?}");
        let message = v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == *code)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(words), "{code}: {message}");

        let human = verify(&with(&[]));
        assert_eq!(human.code, 0, "{code}: {human:?}");
        let section = human.stdout.split("warnings:").nth(1).unwrap_or("");
        assert!(
            section.contains(&format!("[{code}]")),
            "{code}: {}",
            human.stdout
        );

        let denied = verify(&with(&["--json", "--deny-warnings"]));
        assert_eq!(denied.code, 1, "{code}: {denied:?}");
        let v = json(&denied);
        assert_eq!(v["verified"], false);
        assert_eq!(v["error"]["kind"], "warnings_denied", "{code}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains(code.replace('_', " ").as_str())
                || v["error"]["message"].as_str().unwrap().contains(&message),
            "{code}: {v}"
        );
    }

    // --warn-days moves the horizon: 11 days left is no warning at 10.
    let out = verify(&strings(&[
        "--json",
        "--warn-days",
        "10",
        "--trust",
        "testdata/policy/rotation.toml",
        "--at",
        "2027-03-20",
        DEMO,
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!warning_codes(&json(&out)).contains(&"anchor_window_ending".to_owned()));

    // Nothing weakened: CRLs for every certificate on the path, no deadline
    // near. No warnings, and --deny-warnings accepts.
    let crl = dir.path().join("fresh.crl");
    fs::write(
        &crl,
        common::signing_ca_g2_crl((2027, 1, 1), (2027, 12, 1), 8)
            + &common::crl_of("root-g2", (2027, 1, 1), (2027, 12, 1), 9),
    )
    .unwrap();
    let out = verify(&strings(&[
        "--json",
        "--deny-warnings",
        "--root",
        "testdata/pki/root-g2.pem",
        "--crl",
        &p(&crl),
        "--at",
        AT,
        DEMO,
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(warning_codes(&json(&out)), Vec::<String>::new());
}

/// The demo package unpacked into `dir/pkg`, to be changed and zipped again.
fn unpacked_demo(dir: &std::path::Path) -> std::path::PathBuf {
    let pkg = dir.join("pkg");
    fs::create_dir(&pkg).unwrap();
    common::run_tool(&pkg, "unzip", &["-q", &p(&common::repo().join(DEMO))]);
    pkg
}

/// Zips `pkg` from inside in format 1's order, with `flags`; the archive.
fn rezip(pkg: &std::path::Path, flags: &[&str]) -> String {
    let out = pkg
        .parent()
        .unwrap()
        .join(format!("re{}.zip", flags.join("")));
    let mut args: Vec<&str> = flags.to_vec();
    let out_s = p(&out);
    args.extend([
        "-q",
        "-r",
        &out_s,
        "manifest.json",
        "signatures/dten-2026.sig",
        "signatures/dten-2026.pem",
        "bin",
        "scripts",
        "config",
        "firmware",
    ]);
    common::run_tool(pkg, "zip", &args);
    out_s
}

/// The PEM blocks of `text`, in order.
fn pem_blocks(text: &str) -> Vec<String> {
    text.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .map(str::to_owned)
        .collect()
}

/// One slip: what it is, the verifier's options, the package, the error
/// kind and words the message must hold.
type Slip = (
    &'static str,
    Vec<String>,
    String,
    &'static str,
    Vec<&'static str>,
);

/// Each common slip gets its own words and fix, through the binary: the
/// certificates out of order, a key that is not the certificate's, an
/// RSA-PSS signature with openssl's maximum salt, zip without -X, the folder
/// zipped from outside, the vendor intermediate or the advisory chain
/// missing, a leaf given as the root.
#[test]
fn rejections_name_the_likely_slip_and_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    let repo = common::repo();
    let pki = |n: &str| p(&repo.join("testdata/pki").join(n));
    let g2 = strings(&["--root", "testdata/pki/root-g2.pem", "--at", AT]);
    let mut cases: Vec<Slip> = Vec::new();

    // The CA's certificate before the signer's in NAME.pem.
    let pkg = unpacked_demo(&dir.path().join("order").tap_mkdir());
    let pem = pkg.join("signatures/dten-2026.pem");
    let mut blocks = pem_blocks(&fs::read_to_string(&pem).unwrap());
    blocks.reverse();
    fs::write(&pem, blocks.concat()).unwrap();
    cases.push((
        "signer certificate not first",
        g2.clone(),
        rezip(&pkg, &["-X", "-D"]),
        "signature_invalid",
        vec![
            "verifies against certificate 2 of the .pem file",
            "must come first",
        ],
    ));

    // Another vendor certificate in place of the signer's.
    let pkg = unpacked_demo(&dir.path().join("mismatch").tap_mkdir());
    fs::copy(
        pki("signer-p384-chain.pem"),
        pkg.join("signatures/dten-2026.pem"),
    )
    .unwrap();
    cases.push((
        "key of no certificate",
        g2.clone(),
        rezip(&pkg, &["-X", "-D"]),
        "signature_invalid",
        vec![
            "verifies against none of the 2 certificate(s)",
            "different pairs",
        ],
    ));

    // RSA-PSS with openssl's maximum salt length.
    let pkg = unpacked_demo(&dir.path().join("pss").tap_mkdir());
    fs::copy(
        pki("signer-rsa2048-chain.pem"),
        pkg.join("signatures/dten-2026.pem"),
    )
    .unwrap();
    let key = pki("signer-rsa2048.key");
    common::run_tool(
        &pkg,
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:max",
            "-sign",
            &key,
            "-out",
            "signatures/dten-2026.sig",
            "manifest.json",
        ],
    );
    cases.push((
        "RSA-PSS salt",
        g2.clone(),
        rezip(&pkg, &["-X", "-D"]),
        "signature_invalid",
        vec!["salt must be 32 bytes", "rsa_pss_saltlen:digest"],
    ));

    // zip without -X writes Info-ZIP's uid/gid extra field.
    let pkg = unpacked_demo(&dir.path().join("nox").tap_mkdir());
    cases.push((
        "zip without -X",
        g2.clone(),
        rezip(&pkg, &["-D"]),
        "unsupported_entry",
        vec!["0x7875", "rebuild with zip -X"],
    ));

    // The folder zipped from outside.
    let outer = dir.path().join("outside").tap_mkdir();
    unpacked_demo(&outer);
    common::run_tool(&outer, "zip", &["-q", "-X", "-r", "outside.zip", "pkg"]);
    cases.push((
        "zipped from outside",
        g2.clone(),
        p(&outer.join("outside.zip")),
        "manifest_missing",
        vec![
            "the first entry is \"pkg/\"",
            "from outside the package folder",
        ],
    ));

    // The signer's own CA left out of NAME.pem.
    let pkg = unpacked_demo(&dir.path().join("leafonly").tap_mkdir());
    fs::copy(pki("signer-p256.pem"), pkg.join("signatures/dten-2026.pem")).unwrap();
    cases.push((
        "vendor intermediate missing",
        g2.clone(),
        rezip(&pkg, &["-X", "-D"]),
        "untrusted_signer",
        vec![
            "does not bundle the CA certificate that issued its signer",
            "--intermediates",
        ],
    ));

    // The rotation: G1 trusted, no advisory chain.
    cases.push((
        "advisory chain missing",
        strings(&["--root", "testdata/pki/root-g1.pem", "--at", AT]),
        DEMO.into(),
        "untrusted_signer",
        vec!["supply its advisory chain"],
    ));

    // An RSASSA-PSS-typed key (openssl genpkey -algorithm RSA-PSS), 3072 bits.
    let pkg = unpacked_demo(&dir.path().join("psskey").tap_mkdir());
    common::run_tool(
        &pkg,
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA-PSS",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
            "-out",
            "../pss.key",
        ],
    );
    common::run_tool(
        &pkg,
        "openssl",
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "../pss.key",
            "-out",
            "../pss.pem",
            "-days",
            "365",
            "-subj",
            "/O=DTEN Test Vendor (example)/CN=PSS signer",
            "-CA",
            &pki("signing-ca-g2.pem"),
            "-CAkey",
            &pki("signing-ca-g2.key"),
            "-addext",
            "basicConstraints=critical,CA:false",
            "-addext",
            "keyUsage=critical,digitalSignature",
            "-addext",
            "extendedKeyUsage=codeSigning",
        ],
    );
    let chain = fs::read_to_string(pkg.join("../pss.pem")).unwrap()
        + &fs::read_to_string(pki("signing-ca-g2.pem")).unwrap();
    fs::write(pkg.join("signatures/dten-2026.pem"), chain).unwrap();
    common::run_tool(
        &pkg,
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-sign",
            "../pss.key",
            "-out",
            "signatures/dten-2026.sig",
            "manifest.json",
        ],
    );
    cases.push((
        "an RSASSA-PSS-typed key",
        g2.clone(),
        rezip(&pkg, &["-X", "-D"]),
        "signature_invalid",
        vec![
            "rsa-pss-restricted-key",
            "typed id-RSASSA-PSS",
            "openssl genpkey -algorithm RSA",
        ],
    ));

    // A leaf given as the root.
    cases.push((
        "a leaf as --root",
        strings(&["--root", "testdata/pki/signer-g1.pem", "--at", AT]),
        DEMO.into(),
        "untrusted_signer",
        vec![
            "\"testdata/pki/signer-g1.pem\" is not a self-signed CA certificate",
            "give the vendor's self-signed root",
        ],
    ));

    for (what, args, package, kind, words) in cases {
        let mut a = args.clone();
        a.push("--json".into());
        a.push(package.clone());
        let out = verify(&a);
        assert_eq!(out.code, 1, "{what}: {out:?}");
        let v = json(&out);
        assert_eq!(v["error"]["kind"], kind, "{what}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        for w in &words {
            assert!(message.contains(w), "{what}: {w:?} not in {message}");
        }
        let mut a = args;
        a.push(package);
        let human = verify(&a);
        assert_eq!(human.code, 1, "{what}");
        for w in &words {
            assert!(
                human.stdout.replace("\n             ", " ").contains(w),
                "{what}: {w:?} not in {}",
                human.stdout
            );
        }
    }
}

/// `mkdir -p`, returning the path.
trait TapMkdir {
    fn tap_mkdir(self) -> std::path::PathBuf;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> std::path::PathBuf {
        fs::create_dir_all(&self).unwrap();
        self
    }
}

/// A CRL made by `openssl ca -gencrl` without a `crlnumber` setting has no
/// CRL number: the rejection says so, and how to issue one that has.
#[test]
fn a_crl_without_a_number_says_how_to_issue_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("index.txt"), "").unwrap();
    fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\ndefault_md = sha256\ndefault_crl_days = 30\n",
    )
    .unwrap();
    let pki = |n: &str| p(&common::pki(n));
    common::run_tool(
        d,
        "openssl",
        &[
            "ca",
            "-config",
            "ca.cnf",
            "-keyfile",
            &pki("signing-ca-g2.key"),
            "-cert",
            &pki("signing-ca-g2.pem"),
            "-gencrl",
            "-out",
            "nonumber.crl",
        ],
    );
    let out = verify(&strings(&[
        "--json",
        "--root",
        "testdata/pki/root-g2.pem",
        "--crl",
        &p(&d.join("nonumber.crl")),
        DEMO,
    ]));
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "untrusted_signer", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("has no CRL number"), "{message}");
    assert!(message.contains("crlnumber"), "{message}");
}

/// The example signer leaves folder litter out (and says so), and refuses a
/// signer certificate the verifier would refuse, before writing anything.
#[test]
fn the_signer_skips_litter_and_checks_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload");
    fs::create_dir_all(payload.join("bin")).unwrap();
    fs::create_dir_all(payload.join(".git/objects")).unwrap();
    fs::create_dir_all(payload.join("docs/__MACOSX")).unwrap();
    fs::write(payload.join("bin/tool"), b"tool").unwrap();
    fs::write(payload.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    fs::write(payload.join("docs/.DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    fs::write(payload.join("docs/__MACOSX/._x"), b"x").unwrap();
    fs::write(payload.join(".git/objects/ab"), b"x").unwrap();
    fs::write(payload.join(".git/HEAD"), b"ref: refs/heads/main\n").unwrap();
    let out_zip = dir.path().join("pkg.zip");
    let signed = |key: &str, cert: &str, out: &std::path::Path| {
        sign(&strings(&[
            "--name",
            "litter",
            "--version",
            "1.0.0",
            "--key",
            &p(&common::pki(key)),
            "--cert",
            &p(&common::pki(cert)),
            "--out",
            &p(out),
            &p(&payload),
        ]))
    };
    let out = signed("signer-p256.key", "signer-p256-chain.pem", &out_zip);
    assert_eq!(out.code, 0, "{out:?}");
    for skipped in [".DS_Store", "__MACOSX", ".git"] {
        assert!(
            out.stderr.contains("skipped") && out.stderr.contains(skipped),
            "{skipped}: {out:?}"
        );
    }
    let v = json(&verify(&strings(&[
        "--json",
        "--list",
        "--root",
        "testdata/pki/root-g2.pem",
        "--at",
        AT,
        &p(&out_zip),
    ])));
    assert_eq!(v["verified"], true, "{v}");
    let paths: Vec<&str> = v["file_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["bin/tool"]);

    // A CA's key and certificate, and a leaf without the code-signing EKU:
    // refused before anything is written.
    for (key, cert, says) in [
        (
            "signing-ca-g2.key",
            "signing-ca-g2.pem",
            "extended key usage",
        ),
        (
            "bad-serverauth.key",
            "bad-serverauth-chain.pem",
            "code signing",
        ),
        ("bad-expired.key", "bad-expired-chain.pem", "expired"),
    ] {
        let out_bad = dir.path().join(format!("{key}.zip"));
        let out = signed(key, cert, &out_bad);
        assert_eq!(out.code, 2, "{key}: {out:?}");
        assert!(
            out.stderr.contains("the verifier would refuse this signer"),
            "{key}: {out:?}"
        );
        assert!(
            out.stderr.contains(says),
            "{key}: {says:?} not in {}",
            out.stderr
        );
        assert!(!out_bad.exists(), "{key}: a package was written");
    }
}

/// A CRL without nextUpdate (legal in RFC 5280's syntax, never current):
/// the rejection says what is missing, in words, not a parser's enum.
#[test]
fn a_crl_without_next_update_says_so() {
    use common::der_tree::Tlv;
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use rustls_pki_types::pem::PemObject;
    // An rcgen CRL of Signing CA G2, taken apart: the TBSCertList loses its
    // nextUpdate (the second time after thisUpdate) and is signed again.
    let pem = common::signing_ca_g2_crl((2027, 1, 1), (2027, 12, 1), 9);
    let der =
        rustls_pki_types::CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap();
    let mut crl = Tlv::from_der(der.as_ref());
    let tbs = crl.at(&[0]);
    let times: Vec<usize> = tbs
        .children()
        .iter()
        .enumerate()
        .filter(|(_, t)| t.tag == 0x17 || t.tag == 0x18)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(times.len(), 2, "thisUpdate and nextUpdate");
    tbs.children().remove(times[1]);
    let tbs_der = tbs.encode();
    let key_pem = fs::read(common::pki("signing-ca-g2.key")).unwrap();
    let key_der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(&key_pem).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        key_der.secret_pkcs8_der(),
        &rng,
    )
    .unwrap();
    let signature = key.sign(&rng, &tbs_der).unwrap();
    let mut bits = vec![0u8];
    bits.extend_from_slice(signature.as_ref());
    *crl.at(&[2]) = Tlv {
        tag: 0x03,
        content: common::der_tree::Content::Primitive(bits),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-next-update.crl");
    fs::write(&path, crl.encode()).unwrap();
    let out = verify(&strings(&[
        "--json",
        "--root",
        "testdata/pki/root-g2.pem",
        "--crl",
        &p(&path),
        "--at",
        AT,
        DEMO,
    ]));
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("has no nextUpdate"), "{message}");
    assert!(message.contains("default_crl_days"), "{message}");
    assert!(
        !message.contains("TrailingData") && !message.contains("Time)"),
        "{message}"
    );
}
