//! The example binaries (`verify`, `sign`) run as processes: exit codes,
//! human output, `--json` reports, and the sign-then-verify round trip.
//!
//! `cargo test` builds the examples into target/debug/examples/; with
//! `cargo test --test cli` alone they are not built, so run
//! `cargo build --examples` first.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::cli::*;
use common::{pki, repo, AT};
use serde_json::Value;

const DEMO: &str = "testdata/Full-upgrade-package-dten.zip";
const DEMO_ROOT: &str = "testdata/pki/root-g1.pem";
const ADVISORY: &str = "testdata/pki/advisory-chain.pem";

fn demo_args(json: bool) -> Vec<String> {
    let mut a = strings(&["--root", DEMO_ROOT, "--intermediates", ADVISORY, "--at", AT]);
    if json {
        a.push("--json".into());
    }
    a.push(DEMO.into());
    a
}

// ---- verify: the README demo -----------------------------------------------

#[test]
fn readme_demo_verifies_through_the_cross_signed_root() {
    let out = verify(&demo_args(false));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("VERIFIED  dten-full-upgrade 4.2.0\n"),
        "{out:?}"
    );
    // The chain is printed signer first, up through Root G2 to Root G1.
    let at = |s: &str| {
        out.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} not in the output: {out:?}"))
    };
    assert!(at("CN=DTEN Test Signing CA G2") < at("CN=DTEN Test Root G2"));
    assert!(at("CN=DTEN Test Root G2") < at("CN=DTEN Test Root G1"));
    assert!(out.stdout.contains("6 files"), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn demo_without_advisory_chain_names_the_missing_issuer() {
    let base = strings(&["--root", DEMO_ROOT, "--at", AT]);

    let human = verify(&[base.clone(), vec![DEMO.into()]].concat());
    assert_eq!(human.code, 1, "{human:?}");
    assert!(human.stdout.starts_with("REJECTED"), "{human:?}");
    assert!(human.stdout.contains("untrusted_signer"), "{human:?}");

    let out = verify(&[base, strings(&["--json", DEMO])].concat());
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    assert_eq!(v["verified"], false);
    assert_eq!(v["error"]["kind"], "untrusted_signer", "{v:#}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("DTEN Test Root G2"),
        "the missing issuer is named: {message}"
    );
    assert!(
        message.contains("DTEN Test Signing CA G2"),
        "the last certificate reached is named: {message}"
    );
    // The manifest was not authenticated: no identity, nothing hashed.
    assert!(v.get("package").is_none(), "{v:#}");
    assert_eq!(v["files"], 0);
    assert_eq!(v["signatures"][0]["status"], "untrusted");
}

#[test]
fn demo_json_has_the_documented_shape() {
    let out = verify(&demo_args(true));
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out);
    assert_eq!(
        keys(&v),
        [
            "bytes",
            "files",
            "manifest_sha256",
            "metadata",
            "package",
            "schema_version",
            "signatures",
            "time_source",
            "verification_time",
            "verified",
            "warnings"
        ],
        "no error key on success: {v:#}"
    );
    // What was signed: the manifest's exact bytes, as another reader reads them.
    let mut zip = zip::ZipArchive::new(fs::File::open(repo().join(DEMO)).unwrap()).unwrap();
    let mut manifest = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name("manifest.json").unwrap(), &mut manifest).unwrap();
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&manifest)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v["manifest_sha256"], digest.as_str());
    let mut signed: serde_json::Map<String, Value> = serde_json::from_slice(&manifest).unwrap();
    for reserved in ["format", "package", "files"] {
        signed.remove(reserved);
    }
    assert!(signed.contains_key("requires") && signed.contains_key("reboot"));
    assert_eq!(v["metadata"], Value::Object(signed));
    assert_eq!(v["verified"], true);
    assert_eq!(v["time_source"], "verification_time");
    // No CRL given: revocation was not checked, and the report says so.
    assert_eq!(v["warnings"][0]["code"], "revocation_unchecked", "{v:#}");
    assert_eq!(v["package"]["name"], "dten-full-upgrade");
    assert_eq!(v["package"]["version"], "4.2.0");
    assert_eq!(v["files"], 6);
    assert!(v["bytes"].as_u64().unwrap() > 0, "{v:#}");

    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 1, "{v:#}");
    let s = &sigs[0];
    assert_eq!(
        keys(s),
        [
            "algorithm",
            "chain",
            "judged_at",
            "name",
            "signer",
            "status"
        ],
        "{s:#}"
    );
    assert_eq!(s["name"], "dten-2026");
    assert_eq!(s["status"], "trusted");
    assert_eq!(s["algorithm"], "ecdsa-p256-sha256");
    let signer = &s["signer"];
    assert_eq!(
        keys(signer),
        [
            "issuer",
            "not_after",
            "not_before",
            "public_key_sha256",
            "serial",
            "sha256",
            "subject"
        ]
    );
    assert!(signer["subject"]
        .as_str()
        .unwrap()
        .contains("CN=DTEN Test Code Signing ECDSA P-256"));
    assert!(signer["issuer"]
        .as_str()
        .unwrap()
        .contains("CN=DTEN Test Signing CA G2"));
    let sha = signer["sha256"].as_str().unwrap();
    assert!(
        sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
        "{sha}"
    );
    for t in ["not_before", "not_after"] {
        let text = signer[t].as_str().unwrap();
        assert!(pkgverify::parse_rfc3339(text).is_some(), "{t}: {text}");
    }
    let chain: Vec<&str> = s["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(chain.len(), 4, "{chain:?}");
    for (subject, cn) in chain.iter().zip([
        "CN=DTEN Test Code Signing ECDSA P-256",
        "CN=DTEN Test Signing CA G2",
        "CN=DTEN Test Root G2",
        "CN=DTEN Test Root G1",
    ]) {
        assert!(subject.ends_with(cn), "{subject:?} should be {cn:?}");
    }
}

#[test]
fn package_on_stdin_gives_the_same_json_as_the_path() {
    let from_path = verify(&demo_args(true));
    assert_eq!(from_path.code, 0, "{from_path:?}");
    let mut args = demo_args(true);
    *args.last_mut().unwrap() = "-".into();
    let bytes = fs::read(repo().join(DEMO)).unwrap();
    let from_stdin = run("verify", &args, Some(&bytes));
    assert_eq!(from_stdin.code, 0, "{from_stdin:?}");
    assert_eq!(json(&from_stdin), json(&from_path));
}

#[test]
fn stdin_is_streamed_without_any_temporary_file() {
    // With TMPDIR pointing nowhere, a spooling verifier could not work.
    let mut args = demo_args(true);
    *args.last_mut().unwrap() = "-".into();
    let bytes = fs::read(repo().join(DEMO)).unwrap();
    let mut cmd = Command::new(example("verify"));
    cmd.args(&args)
        .current_dir(repo())
        .env("TMPDIR", "/nonexistent/tmp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::cli::schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["verified"], true);
    assert_eq!(v["files"], 6);
}

#[test]
fn a_stored_entry_with_a_descriptor_verifies_as_a_file_and_as_a_stream() {
    let mut entries = common::raw_package(&[("bin/tool", b"tool", 0o644)], vec![]);
    let mut e = common::RawEntry::file("bin/tool", b"tool");
    e.descriptor = true;
    entries.push(e);
    let bytes = common::RawZip::new(entries).build();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dd.zip");
    fs::write(&path, &bytes).unwrap();
    let base = strings(&["--json", "--at", AT, "--root"]);
    let mut args = base.clone();
    args.push(p(&pki("root-g2.pem")));
    args.push(p(&path));
    let file = verify(&args);
    assert_eq!(file.code, 0, "{file:?}");
    *args.last_mut().unwrap() = "-".into();
    let streamed = run("verify", &args, Some(&bytes));
    assert_eq!(streamed.code, 0, "{streamed:?}");
    assert_eq!(json(&streamed), json(&file));
}

// ---- verify: caller mistakes -----------------------------------------------

#[test]
fn caller_mistakes_exit_2_with_one_json_object() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("root.txt");
    fs::write(&text, "this is not a certificate\n").unwrap();
    let text = p(&text);
    let missing = p(&tmp.path().join("no-such.zip"));
    let dir = p(tmp.path());
    let nowhere = p(&tmp.path().join("no-such.pem"));

    struct Case<'a> {
        what: &'a str,
        args: Vec<&'a str>,
        /// Expected in the usage message (JSON `error.message`).
        message_has: &'a str,
        /// The JSON `error.kind`: `usage`, or the trust input's own kind.
        kind: &'a str,
    }
    let cases = [
        Case {
            what: "no --root",
            args: vec!["--at", AT, DEMO],
            message_has: "--root",
            kind: "usage",
        },
        Case {
            what: "PACKAGE does not exist",
            args: vec!["--root", DEMO_ROOT, "--at", AT, &missing],
            message_has: "no-such.zip",
            kind: "usage",
        },
        Case {
            what: "PACKAGE is a directory",
            args: vec!["--root", DEMO_ROOT, "--at", AT, &dir],
            message_has: "directory",
            kind: "usage",
        },
        Case {
            what: "--root is a text file",
            args: vec!["--root", &text, "--at", AT, DEMO],
            message_has: "root.txt",
            kind: "trust_input",
        },
        Case {
            what: "--root does not exist",
            args: vec!["--root", &nowhere, "--at", AT, DEMO],
            message_has: "no-such.pem",
            kind: "trust_input",
        },
        Case {
            what: "--intermediates does not exist",
            args: vec![
                "--root",
                DEMO_ROOT,
                "--intermediates",
                &nowhere,
                "--at",
                AT,
                DEMO,
            ],
            message_has: "no-such.pem",
            kind: "trust_input",
        },
        Case {
            what: "--at is not RFC 3339 or a date",
            args: vec!["--root", DEMO_ROOT, "--at", "yesterday", DEMO],
            message_has: "RFC 3339",
            kind: "usage",
        },
        Case {
            what: "unknown flag",
            args: vec!["--root", DEMO_ROOT, "--frobnicate", DEMO],
            message_has: "--frobnicate",
            kind: "usage",
        },
        Case {
            what: "no PACKAGE",
            args: vec!["--root", DEMO_ROOT, "--at", AT],
            message_has: "PACKAGE",
            kind: "usage",
        },
    ];
    for case in &cases {
        // Human mode: exit 2, the explanation on stderr, nothing on stdout.
        let out = verify(&strings(&case.args));
        assert_eq!(out.code, 2, "{}: {out:?}", case.what);
        assert!(out.stdout.is_empty(), "{}: {out:?}", case.what);
        assert!(
            out.stderr.contains(case.message_has),
            "{}: stderr should mention {:?}: {out:?}",
            case.what,
            case.message_has
        );

        // JSON mode: exit 2, stdout exactly one JSON object of the error's kind.
        let mut args = strings(&["--json"]);
        args.extend(strings(&case.args));
        let out = verify(&args);
        assert_eq!(out.code, 2, "{} (--json): {out:?}", case.what);
        let v = json(&out);
        assert_eq!(v["verified"], false, "{}: {v:#}", case.what);
        assert_eq!(v["error"]["kind"], case.kind, "{}: {v:#}", case.what);
        assert!(v.get("package").is_none(), "{}: {v:#}", case.what);
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(case.message_has),
            "{}: message should mention {:?}: {message}",
            case.what,
            case.message_has
        );
    }
}

// ---- verify: rejections ----------------------------------------------------

/// common::stored_package() with one byte of `bin/tool`'s content flipped.
fn flipped_payload() -> Vec<u8> {
    let mut bytes = common::stored_package();
    let needle = b"ELF tool binary";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("stored payload of bin/tool");
    bytes[at + 4] ^= 0x20;
    bytes
}

#[test]
fn rejections_exit_1_with_their_kind() {
    let tmp = tempfile::tempdir().unwrap();
    struct Case {
        what: &'static str,
        bytes: Vec<u8>,
        roots: &'static [&'static str],
        at: &'static str,
        kind: &'static str,
        path: Option<&'static str>,
    }
    let g2: &[&str] = &["root-g2.pem"];
    let cases = [
        Case {
            what: "the unmodified package verifies (control)",
            bytes: common::stored_package(),
            roots: g2,
            at: AT,
            kind: "",
            path: None,
        },
        Case {
            what: "a payload byte changed and its CRC-32 recomputed",
            bytes: common::RawZip::new(common::raw_package(
                &[("bin/tool", b"\x7fELF tool binary", 0o755)],
                vec![common::RawEntry::file("bin/tool", b"\x7fELF Tool binary").mode(0o100755)],
            ))
            .build(),
            roots: g2,
            at: AT,
            kind: "digest_mismatch",
            path: Some("bin/tool"),
        },
        Case {
            what: "not a ZIP file",
            bytes: b"#!/bin/sh\necho this is not a package\n".to_vec(),
            roots: g2,
            at: AT,
            kind: "archive_malformed",
            path: None,
        },
        Case {
            what: "an empty file",
            bytes: Vec::new(),
            roots: g2,
            at: AT,
            kind: "package_empty",
            path: None,
        },
        Case {
            what: "signed under G2, only Root G1 trusted",
            bytes: common::good_package(),
            roots: &["root-g1.pem"],
            at: AT,
            kind: "untrusted_signer",
            path: None,
        },
        Case {
            what: "verified after the signer expired",
            bytes: common::good_package(),
            roots: g2,
            at: "2100-01-01T00:00:00Z",
            kind: "certificate_expired",
            path: None,
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("case-{i}.zip"));
        fs::write(&file, &case.bytes).unwrap();
        let mut args = Vec::new();
        for r in case.roots {
            args.extend(["--root".to_owned(), p(&pki(r))]);
        }
        args.extend(strings(&["--at", case.at]));
        let expected_code = if case.kind.is_empty() { 0 } else { 1 };

        let human = verify(&[args.clone(), vec![p(&file)]].concat());
        assert_eq!(human.code, expected_code, "{}: {human:?}", case.what);

        let out = verify(&[args, vec!["--json".into(), p(&file)]].concat());
        assert_eq!(out.code, expected_code, "{} (--json): {out:?}", case.what);
        let v = json(&out);
        if case.kind.is_empty() {
            assert_eq!(v["verified"], true, "{}: {v:#}", case.what);
            continue;
        }
        assert!(
            human.stdout.starts_with("REJECTED"),
            "{}: {human:?}",
            case.what
        );
        assert_eq!(v["verified"], false, "{}: {v:#}", case.what);
        assert_eq!(v["error"]["kind"], case.kind, "{}: {v:#}", case.what);
        match case.path {
            Some(path) => assert_eq!(v["error"]["path"], path, "{}: {v:#}", case.what),
            None => assert!(v["error"].get("path").is_none(), "{}: {v:#}", case.what),
        }
    }
}

/// The brief's tamper check: one byte of a stored payload flipped in place
/// (so the entry's CRC-32 no longer matches either). The signed manifest's
/// digest is the authority, so the report should say `digest_mismatch`.
#[test]
fn flipped_stored_payload_byte_is_a_digest_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("flipped.zip");
    fs::write(&file, flipped_payload()).unwrap();
    let out = verify(&strings(&[
        "--root",
        "testdata/pki/root-g2.pem",
        "--at",
        AT,
        "--json",
        &p(&file),
    ]));
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    assert_eq!(v["verified"], false, "{v:#}");
    assert_eq!(v["error"]["path"], "bin/tool", "{v:#}");
    assert_eq!(v["error"]["kind"], "digest_mismatch", "{v:#}");
}

// ---- sign ------------------------------------------------------------------

/// A payload directory: nested dirs, an executable, an empty directory.
fn payload_dir(root: &Path) -> PathBuf {
    let dir = root.join("payload");
    let files: &[(&str, &[u8], u32)] = &[
        ("bin/tool", b"\x7fELF pretend binary", 0o755),
        ("etc/app/config.json", b"{\"level\":3}\n", 0o644),
        ("README.txt", b"read me\n", 0o600),
        ("share/doc/a/b/deep.txt", b"", 0o644),
    ];
    for (path, data, mode) in files {
        let file = dir.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, data).unwrap();
        set_mode(&file, *mode);
    }
    fs::create_dir_all(dir.join("var/empty")).unwrap();
    dir
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// (package path, mode) of payload_dir, in sorted order.
const PAYLOAD: &[(&str, u32)] = &[
    ("README.txt", 0o600),
    ("bin/tool", 0o755),
    ("etc/app/config.json", 0o644),
    ("share/doc/a/b/deep.txt", 0o644),
];
const PAYLOAD_BYTES: u64 = 19 + 12 + 8;

fn sign_args(leaves: &[&str], out: &Path, dir: &Path) -> Vec<String> {
    let mut a = strings(&["--name", "demo", "--version", "1.0"]);
    for leaf in leaves {
        a.extend([
            "--key".into(),
            p(&pki(&format!("{leaf}.key"))),
            "--cert".into(),
            p(&pki(&format!("{leaf}-chain.pem"))),
        ]);
    }
    a.extend(["--out".into(), p(out), p(dir)]);
    a
}

/// verify --root G2 --root G1 --at AT --json OUT: exit 0, every signature trusted.
#[track_caller]
fn verify_signed(out: &Path) -> Value {
    let result = verify(&strings(&[
        "--root",
        "testdata/pki/root-g2.pem",
        "--root",
        "testdata/pki/root-g1.pem",
        "--at",
        AT,
        "--json",
        &p(out),
    ]));
    assert_eq!(result.code, 0, "{result:?}");
    let v = json(&result);
    assert_eq!(v["verified"], true, "{v:#}");
    for s in v["signatures"].as_array().unwrap() {
        assert_eq!(s["status"], "trusted", "{v:#}");
    }
    v
}

/// The vendor's recipe (examples/sign.rs, FORMAT.md "Timestamps"): the
/// signer's --timestamp-command pipes each signature through `openssl ts`
/// as the TSA; the verifier trusts that TSA with --tsa-root.
#[test]
fn sign_with_a_timestamp_command_then_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = payload_dir(tmp.path());
    let out = tmp.path().join("stamped.zip");
    let tsa = common::tsa::Tsa::new(
        &tmp.path().join("tsa"),
        &String::from_utf8(common::read(pki("tsa.pem"))).unwrap(),
        &String::from_utf8(common::read(pki("tsa.key"))).unwrap(),
    );
    let config = tsa.config(&common::tsa::Request::default());
    let command = format!(
        "openssl ts -query -data /dev/stdin -sha256 -cert | TZ=UTC faketime '2026-10-01 00:00:00' \
         openssl ts -reply -queryfile /dev/stdin -config '{}' -token_out -out /dev/stdout 2>/dev/null",
        config.display()
    );
    let mut args = sign_args(&["signer-p256"], &out, &dir);
    args.extend(strings(&["--timestamp-command", &command]));
    let signed = sign(&args);
    assert_eq!(signed.code, 0, "{signed:?}");
    let out_s = p(&out);
    let checked = verify(&strings(&[
        "--json",
        "--root",
        "testdata/pki/root-g2.pem",
        "--tsa-root",
        "testdata/pki/tsa-root.pem",
        "--at",
        AT,
        &out_s,
    ]));
    assert_eq!(checked.code, 0, "{checked:?}");
    let v = json(&checked);
    assert_eq!(v["time_source"], "timestamp", "{v:#}");
    let t = &v["signatures"][0]["timestamp"];
    assert_eq!(t["status"], "trusted", "{v:#}");
    assert_eq!(t["time"], "2026-10-01T00:00:00Z");
    assert_eq!(v["signatures"][0]["judged_at"], "2026-10-01T00:00:00Z");
    assert!(t["tsa"]["subject"]
        .as_str()
        .unwrap()
        .contains("Example TSA 2026"));
    // Without the TSA trusted: sound but untrusted, judged now.
    let untrusted = verify(&strings(&[
        "--json",
        "--root",
        "testdata/pki/root-g2.pem",
        "--at",
        AT,
        &out_s,
    ]));
    assert_eq!(untrusted.code, 0, "{untrusted:?}");
    let v = json(&untrusted);
    assert_eq!(v["time_source"], "verification_time");
    assert_eq!(v["signatures"][0]["timestamp"]["status"], "untrusted");
    assert_eq!(
        v["signatures"][0]["timestamp"]["problem"]["kind"],
        "timestamp_untrusted"
    );
    // A failing command fails the signing, and writes nothing.
    let failed_out = tmp.path().join("failed.zip");
    let mut args = sign_args(&["signer-p256"], &failed_out, &dir);
    args.extend(strings(&["--timestamp-command", "exit 3"]));
    let failed = sign(&args);
    assert_eq!(failed.code, 2, "{failed:?}");
    assert!(
        failed.stderr.contains("could not be timestamped"),
        "{failed:?}"
    );
    assert!(!failed_out.exists());
}

#[test]
fn sign_then_verify_one_signer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = payload_dir(tmp.path());
    let out = tmp.path().join("demo.zip");
    let mut args = sign_args(&["signer-p256"], &out, &dir);
    args.extend(strings(&[
        "--metadata",
        "testdata/demo-metadata.json",
        "--created",
        "2026-09-01T00:00:00Z",
    ]));
    let signed = sign(&args);
    assert_eq!(signed.code, 0, "{signed:?}");
    assert_eq!(
        signed.stdout.lines().count(),
        1,
        "one-line summary: {signed:?}"
    );
    for part in [
        "4 files",
        &format!("{PAYLOAD_BYTES} bytes"),
        "1 signature",
        "demo.zip",
    ] {
        assert!(signed.stdout.contains(part), "{part:?}: {signed:?}");
    }

    let v = verify_signed(&out);
    assert_eq!(v["package"]["name"], "demo");
    assert_eq!(v["package"]["version"], "1.0");
    assert_eq!(v["files"], PAYLOAD.len());
    assert_eq!(v["bytes"], PAYLOAD_BYTES);
    assert_eq!(v["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["signatures"][0]["name"], "signer-p256",
        "default name: key stem"
    );
    assert_eq!(v["signatures"][0]["algorithm"], "ecdsa-p256-sha256");

    // What the manifest recorded: sorted paths with their modes (no empty
    // directory), the metadata and the creation time.
    let package = common::assert_ok(common::verifier(common::trust_g2()).verify_path(&out));
    let listed: Vec<(&str, Option<u32>)> = package
        .manifest()
        .files()
        .iter()
        .map(|f| (f.path.as_str(), f.mode))
        .collect();
    let expected: Vec<(&str, Option<u32>)> = PAYLOAD
        .iter()
        .map(|(path, mode)| (*path, Some(*mode)))
        .collect();
    assert_eq!(listed, expected);
    let metadata = package.manifest().metadata();
    assert_eq!(metadata["reboot"], true);
    assert_eq!(metadata["requires"]["platform"], "dten-d7");
    assert_eq!(
        package.manifest().package().created.as_deref(),
        Some("2026-09-01T00:00:00Z")
    );
}

#[test]
fn sign_then_verify_two_named_signers_under_both_roots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = payload_dir(tmp.path());
    let out = tmp.path().join("two.zip");
    let mut args = sign_args(&["signer-p256", "signer-g1"], &out, &dir);
    args.extend(strings(&[
        "--signature-name",
        "vendor-g2",
        "--signature-name",
        "vendor-g1",
        "--stored",
    ]));
    let signed = sign(&args);
    assert_eq!(signed.code, 0, "{signed:?}");
    assert!(signed.stdout.contains("2 signatures"), "{signed:?}");

    let v = verify_signed(&out);
    assert_eq!(v["files"], PAYLOAD.len());
    let sigs = v["signatures"].as_array().unwrap();
    let names: Vec<&str> = sigs.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["vendor-g2", "vendor-g1"]);
    let top = |s: &Value| s["chain"].as_array().unwrap().last().unwrap().clone();
    assert!(top(&sigs[0])
        .as_str()
        .unwrap()
        .ends_with("CN=DTEN Test Root G2"));
    assert!(top(&sigs[1])
        .as_str()
        .unwrap()
        .ends_with("CN=DTEN Test Root G1"));
}

#[test]
fn sign_with_every_key_type() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = payload_dir(tmp.path());
    let cases: &[(&str, &[&str], &str)] = &[
        ("signer-p384", &[], "ecdsa-p384-sha384"),
        ("signer-ed25519", &[], "ed25519"),
        ("signer-rsa2048", &[], "rsa-pkcs1-sha256"),
        ("signer-rsa2048", &["--rsa-pss"], "rsa-pss-sha256"),
        ("signer-rsa3072", &["--rsa-pss"], "rsa-pss-sha256"),
    ];
    for (i, (leaf, extra, algorithm)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("{i}.zip"));
        let mut args = sign_args(&[leaf], &out, &dir);
        args.extend(strings(extra));
        let signed = sign(&args);
        assert_eq!(signed.code, 0, "{leaf} {extra:?}: {signed:?}");
        let v = verify_signed(&out);
        assert_eq!(
            v["signatures"][0]["algorithm"], *algorithm,
            "{leaf} {extra:?}: {v:#}"
        );
    }
}

#[test]
fn sign_failures_exit_2_and_write_nothing() {
    struct Case {
        what: &'static str,
        /// Changes to the scratch directory (payload in `payload/`) before the run.
        prepare: fn(&Path),
        /// Arguments; `OUT`, `DIR` and `TMP/...` are replaced, `pki:NAME` is testdata/pki/NAME.
        args: &'static [&'static str],
        /// Expected in stderr.
        stderr_has: &'static [&'static str],
    }
    const KEY: [&str; 2] = ["--key", "pki:signer-p256.key"];
    const CERT: [&str; 2] = ["--cert", "pki:signer-p256-chain.pem"];
    // Everything right but the directory's content.
    const DIR_ARGS: &[&str] = &[
        "--name",
        "d",
        "--version",
        "1",
        KEY[0],
        KEY[1],
        CERT[0],
        CERT[1],
        "--out",
        "OUT",
        "DIR",
    ];
    fn nothing(_: &Path) {}
    let cases = [
        Case {
            what: "key and certificate of different key types",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                "--key",
                "pki:signer-p256.key",
                "--cert",
                "pki:signer-p384-chain.pem",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["signer-p256.key", "signer-p384-chain.pem", "does not match"],
        },
        Case {
            what: "key and certificate of the same type, different keys",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                "--key",
                "pki:signer-p256.key",
                "--cert",
                "pki:signer-g1-chain.pem",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["signer-p256.key", "signer-g1-chain.pem", "does not match"],
        },
        Case {
            what: "the second pair mismatched",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--key",
                "pki:signer-g1.key",
                "--cert",
                "pki:signer-p384-chain.pem",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["signer-g1.key", "signer-p384-chain.pem"],
        },
        Case {
            what: "a symlink in DIR",
            prepare: |t| {
                std::os::unix::fs::symlink("../../etc/passwd", t.join("payload/bin/passwd"))
                    .unwrap()
            },
            args: DIR_ARGS,
            stderr_has: &["payload/bin/passwd", "symbolic link"],
        },
        Case {
            what: "a socket in DIR",
            prepare: |t| {
                std::os::unix::net::UnixListener::bind(t.join("payload/etc/ctl.sock")).unwrap();
            },
            args: DIR_ARGS,
            stderr_has: &["payload/etc/ctl.sock", "special file"],
        },
        Case {
            what: "a payload file named manifest.json",
            prepare: |t| fs::write(t.join("payload/Manifest.json"), "{}").unwrap(),
            args: DIR_ARGS,
            stderr_has: &["Manifest.json", "reserved"],
        },
        Case {
            what: "payload paths differing only in case",
            prepare: |t| fs::write(t.join("payload/readme.TXT"), "x").unwrap(),
            args: DIR_ARGS,
            stderr_has: &["README.txt", "readme.TXT"],
        },
        Case {
            what: "--metadata with the key files",
            prepare: |t| {
                fs::write(t.join("meta.json"), r#"{"reboot": true, "files": []}"#).unwrap()
            },
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--metadata",
                "TMP/meta.json",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["meta.json", "\"files\""],
        },
        Case {
            what: "--metadata that is not an object",
            prepare: |t| fs::write(t.join("meta.json"), r#"["reboot"]"#).unwrap(),
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--metadata",
                "TMP/meta.json",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["not a JSON object"],
        },
        Case {
            what: "--metadata with a duplicate key",
            prepare: |t| {
                fs::write(t.join("meta.json"), r#"{"reboot": true, "reboot": false}"#).unwrap()
            },
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--metadata",
                "TMP/meta.json",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["duplicate key \"reboot\""],
        },
        Case {
            what: "more keys than certificates",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                "--key",
                "pki:signer-g1.key",
                CERT[0],
                CERT[1],
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["2 --key but 1 --cert"],
        },
        Case {
            what: "the same default signature name twice",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["\"signatures/signer-p256.sig\"", "--signature-name"],
        },
        Case {
            what: "signature names differing only in case",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--key",
                "pki:signer-g1.key",
                "--cert",
                "pki:signer-g1-chain.pem",
                "--signature-name",
                "Vendor",
                "--signature-name",
                "vendor",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &[
                "\"signatures/vendor.sig\"",
                "\"signatures/Vendor.sig\"",
                "--signature-name",
            ],
        },
        Case {
            what: "an invalid --signature-name",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--signature-name",
                "a/b",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["\"signatures/a/b.sig\"", "NAME: [A-Za-z0-9._-]{1,64}"],
        },
        Case {
            what: "a chain file holding a private key",
            prepare: |t| {
                let mut pem = common::read(pki("signer-p256-chain.pem"));
                pem.extend(common::read(pki("signer-p256.key")));
                fs::write(t.join("leaky-chain.pem"), pem).unwrap();
            },
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                "--cert",
                "TMP/leaky-chain.pem",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["leaky-chain.pem", "PRIVATE KEY"],
        },
        Case {
            what: "--created that is not RFC 3339",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--created",
                "yesterday",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["--created", "yesterday"],
        },
        Case {
            what: "--rsa-pss without an RSA key",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--rsa-pss",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["--rsa-pss"],
        },
        Case {
            what: "an empty DIR",
            prepare: |t| {
                fs::remove_dir_all(t.join("payload")).unwrap();
                fs::create_dir_all(t.join("payload/empty")).unwrap();
            },
            args: DIR_ARGS,
            stderr_has: &["no files"],
        },
        Case {
            what: "DIR does not exist",
            prepare: |t| fs::remove_dir_all(t.join("payload")).unwrap(),
            args: DIR_ARGS,
            stderr_has: &["payload"],
        },
        Case {
            what: "no --cert",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["--cert"],
        },
        Case {
            what: "an unknown flag",
            prepare: nothing,
            args: &[
                "--name",
                "d",
                "--version",
                "1",
                KEY[0],
                KEY[1],
                CERT[0],
                CERT[1],
                "--sha1",
                "--out",
                "OUT",
                "DIR",
            ],
            stderr_has: &["--sha1"],
        },
    ];
    for case in &cases {
        let tmp = tempfile::tempdir().unwrap();
        payload_dir(tmp.path());
        (case.prepare)(tmp.path());
        let out_dir = tmp.path().join("out");
        fs::create_dir(&out_dir).unwrap();
        let out = out_dir.join("pkg.zip");
        let args: Vec<String> = case
            .args
            .iter()
            .map(|a| match *a {
                "OUT" => p(&out),
                "DIR" => p(&tmp.path().join("payload")),
                a => match (a.strip_prefix("pki:"), a.strip_prefix("TMP/")) {
                    (Some(name), _) => p(&pki(name)),
                    (_, Some(rest)) => p(&tmp.path().join(rest)),
                    _ => a.to_owned(),
                },
            })
            .collect();
        let result = sign(&args);
        assert_eq!(result.code, 2, "{}: {result:?}", case.what);
        assert!(result.stdout.is_empty(), "{}: {result:?}", case.what);
        assert!(
            result.stderr.starts_with("sign: "),
            "{}: {result:?}",
            case.what
        );
        for part in case.stderr_has {
            assert!(
                result.stderr.contains(part),
                "{}: stderr should mention {part:?}: {result:?}",
                case.what
            );
        }
        let left: Vec<_> = fs::read_dir(&out_dir).unwrap().collect();
        assert!(
            left.is_empty(),
            "{}: no OUT and no temporary file may be left: {left:?}",
            case.what
        );
    }
}

#[test]
fn sign_failure_leaves_an_existing_out_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = payload_dir(tmp.path());
    let out = tmp.path().join("pkg.zip");
    fs::write(&out, b"the previous release").unwrap();
    std::os::unix::fs::symlink("/dev/null", dir.join("oops")).unwrap();
    let result = sign(&sign_args(&["signer-p256"], &out, &dir));
    assert_eq!(result.code, 2, "{result:?}");
    assert_eq!(fs::read(&out).unwrap(), b"the previous release");
    let entries: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 2, "only payload/ and pkg.zip: {entries:?}");

    // Once the link is gone the same command replaces OUT.
    fs::remove_file(dir.join("oops")).unwrap();
    let result = sign(&sign_args(&["signer-p256"], &out, &dir));
    assert_eq!(result.code, 0, "{result:?}");
    verify_signed(&out);
}

#[test]
fn sign_refuses_out_inside_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = payload_dir(tmp.path());
    let out = dir.join("bin/pkg.zip");
    let result = sign(&sign_args(&["signer-p256"], &out, &dir));
    assert_eq!(result.code, 2, "{result:?}");
    assert!(result.stderr.contains("inside DIR"), "{result:?}");
    assert!(!out.exists());
}

#[test]
fn sign_help_exits_0() {
    let out = sign(&strings(&["--help"]));
    assert_eq!(out.code, 0, "{out:?}");
    for flag in [
        "--key",
        "--cert",
        "--signature-name",
        "--rsa-pss",
        "--metadata",
        "--stored",
    ] {
        assert!(out.stdout.contains(flag), "{flag}: {out:?}");
    }
}

// ---- the shared case table through the binary ------------------------------

/// Every case of tests/common/cases.rs (the library's table) through `verify
/// --json`: the same verdict and kind, exit 0 or 1, and for the package
/// identity: present only when a trusted signature covered the manifest.
#[test]
fn every_case_of_the_table_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, c) in common::cases::cases().into_iter().enumerate() {
        let path = dir.path().join(format!("case-{i}.zip"));
        fs::write(&path, &c.bytes).unwrap();
        let mut args = strings(&["--json", "--at", AT, "--root"]);
        args.push(p(&pki("root-g2.pem")));
        if c.crl {
            args.push("--crl".into());
            args.push(p(&pki("signing-ca-g2.crl")));
        }
        args.push(p(&path));
        let out = verify(&args);
        let v = json(&out);
        let kind = v["error"]["kind"].as_str().unwrap_or("");
        let want_code = if c.kind.is_empty() { 0 } else { 1 };
        if out.code != want_code || kind != c.kind || v["verified"] != (want_code == 0) {
            failures.push(format!(
                "{}: expected {:?}, got exit {} {kind:?}",
                c.name, c.kind, out.code
            ));
        }
        // The human output of a rejection names its kind.
        if want_code == 1 {
            let human = verify(&args[1..]);
            if human.code != 1 || !human.stdout.contains(&format!("[{}]", c.kind)) {
                failures.push(format!(
                    "{}: human output lacks [{}]: {human:?}",
                    c.name, c.kind
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---- verify: trust policies (--trust) ----------------------------------------

/// Writes a policy file into `dir`; `{pki}` in `text` stands for testdata/pki.
fn policy_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    let pki_dir = p(&pki(""));
    fs::write(&path, text.replace("{pki}", pki_dir.trim_end_matches('/'))).unwrap();
    p(&path)
}

fn cert_fp(file: &str) -> String {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(&common::read(pki(file))).unwrap();
    pkgverify::Fingerprint::of_certificate(&der).to_string()
}

fn key_fp(file: &str) -> String {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(&common::read(pki(file))).unwrap();
    pkgverify::Fingerprint::of_public_key(&der)
        .unwrap()
        .to_string()
}

const ROTATION: &str = "testdata/policy/rotation.toml";
const BEFORE_DEADLINE: &str = "2027-01-01T00:00:00Z";

#[test]
fn rotation_demo_three_ways_through_the_binary() {
    // 1. G1 only, no advisory: rejected, explained.
    let out = verify(&strings(&["--root", DEMO_ROOT, "--at", AT, "--json", DEMO]));
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    assert_eq!(v["signatures"][0]["problem"]["kind"], "untrusted_signer");
    assert!(v["signatures"][0]["problem"]["message"]
        .as_str()
        .unwrap()
        .contains("is neither a trust anchor nor among the supplied intermediates"));

    // 2. The policy: G1 until 2027-03-31 plus the advisory chain.
    let out = verify(&strings(&[
        "--trust",
        ROTATION,
        "--at",
        BEFORE_DEADLINE,
        DEMO,
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("CN=DTEN Test Root G1"), "{out:?}");
    let human = verify(&strings(&["--trust", ROTATION, "--at", AT, DEMO]));
    assert_eq!(human.code, 1, "{human:?}");
    assert!(
        human
            .stdout
            .contains("trust in it ended at 2027-03-31T23:59:59Z (the trust policy's not_after, the rotation deadline)"),
        "{human:?}"
    );
    let out = verify(&strings(&["--trust", ROTATION, "--at", AT, "--json", DEMO]));
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    let problem = &v["signatures"][0]["problem"];
    assert_eq!(problem["kind"], "untrusted_signer", "{v:#}");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("trust anchor \"DTEN Root G1\""),
        "{v:#}"
    );

    // 3. G2 as the anchor, by policy and by --root; and both combined.
    for args in [
        vec!["--trust", "testdata/policy/g2.toml"],
        vec!["--root", "testdata/pki/root-g2.pem"],
        vec!["--trust", ROTATION, "--root", "testdata/pki/root-g2.pem"],
    ] {
        let mut a = strings(&args);
        a.extend(strings(&["--at", AT, DEMO]));
        let out = verify(&a);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
    }
}

/// A CRL for Signing CA G2 (nothing revoked) whose nextUpdate is 2027-01-01.
fn write_stale_crl(path: &Path) {
    fs::write(
        path,
        common::signing_ca_g2_crl((2026, 1, 1), (2027, 1, 1), 7),
    )
    .unwrap();
}

#[test]
fn every_policy_feature_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single.zip");
    fs::write(&single, common::good_package()).unwrap();
    let dual = tmp.path().join("dual.zip");
    fs::write(
        &dual,
        common::build(common::builder(&["signer-g1", "signer-p256"])),
    )
    .unwrap();
    let p384 = tmp.path().join("p384.zip");
    fs::write(&p384, common::build(common::builder(&["signer-p384"]))).unwrap();
    let stale = tmp.path().join("stale.crl");
    write_stale_crl(&stale);
    let (single, dual, p384) = (p(&single), p(&dual), p(&p384));
    let g2 = "[[anchors]]\nname = \"G2\"\nfile = \"{pki}/root-g2.pem\"\n";
    let g1 = "[[anchors]]\nname = \"G1\"\nfile = \"{pki}/root-g1.pem\"\n";

    struct Case {
        what: &'static str,
        policy: String,
        package: String,
        /// Expected error kind; empty: verified.
        kind: &'static str,
        /// Expected in the error message (JSON) and the human output.
        says: String,
    }
    let case = |what, top: String, anchors: &str, package: &String, kind, says: &str| Case {
        what,
        policy: format!("version = 1\n{top}{anchors}"),
        package: package.clone(),
        kind,
        says: says.to_owned(),
    };
    let cases = vec![
        case("window not yet open", String::new(), &format!("{g2}not_before = 2027-07-01\n"), &single, "untrusted_signer", "trust in it begins at 2027-07-01T00:00:00Z"),
        case("window open", String::new(), &format!("{g2}not_before = 2027-05-01\nnot_after = 2027-07-01\n"), &single, "", ""),
        case("package_intermediates = false, none in the policy", "package_intermediates = false\n".into(), g2, &single, "untrusted_signer", "1 more bundled but not used (trust policy: package_intermediates = false)"),
        case("package_intermediates = false, the CA in the policy", "package_intermediates = false\nintermediates = [\"{pki}/signing-ca-g2.pem\"]\n".into(), g2, &single, "", ""),
        case("allowed issuer", format!("allowed_issuers = [\"{}\"]\n", cert_fp("signing-ca-g2.pem")), g2, &single, "", ""),
        case("issuer not allowed", format!("allowed_issuers = [\"{}\"]\n", key_fp("signing-ca-g1.pem")), g2, &single, "signer_not_allowed", "its issuing CA \"O=DTEN Test Vendor (example), CN=DTEN Test Signing CA G2\""),
        case("signer organization", String::new(), &format!("{g2}[[signers]]\norganization = \"DTEN Test Vendor (example)\"\n"), &single, "", ""),
        case("signer common name", String::new(), &format!("{g2}[[signers]]\ncommon_name = \"*RSA*\"\n"), &single, "signer_not_allowed", "matches none of the allowed signers (common name \"*RSA*\")"),
        case("signer pinned key", String::new(), &format!("{g2}[[signers]]\nsha256 = \"{}\"\n", key_fp("signer-p256.pem")), &single, "", ""),
        case("signer pinned to another key", String::new(), &format!("{g2}[[signers]]\nsha256 = \"{}\"\n", key_fp("signer-p384.pem")), &single, "signer_not_allowed", "matches none"),
        case("distrusted CA", format!("distrust = [\"{}\"]\n", cert_fp("signing-ca-g2.pem")), g2, &single, "certificate_distrusted", "certificate \"O=DTEN Test Vendor (example), CN=DTEN Test Signing CA G2\" is distrusted"),
        case("distrusted signer key", format!("distrust = [\"{}\"]\n", key_fp("signer-p256.pem")), g2, &single, "certificate_distrusted", "key sha256:"),
        case("threshold 2, one signer", "threshold = 2\n".into(), &format!("{g1}{g2}"), &single, "threshold_not_met", "1 distinct trusted signer(s) where the trust policy requires 2"),
        case("threshold 2, two signers", "threshold = 2\n".into(), &format!("{g1}{g2}"), &dual, "", ""),
        case("threshold 2, one of two trusted", "threshold = 2\n".into(), g2, &dual, "threshold_not_met", "\"signer-g1\" does not count: [untrusted_signer]"),
        case("algorithms", "algorithms = [\"ecdsa-p384-sha384\"]\n".into(), g2, &single, "signer_not_allowed", "signs with ecdsa-p256-sha256"),
        case("algorithms allow it", "algorithms = [\"ecdsa-p384-sha384\"]\n".into(), g2, &p384, "", ""),
        case("stale CRL", format!("crls = [\"{}\"]\n", p(&stale)), g2, &single, "untrusted_signer", "CRL expired at 2027-01-01T00:00:00Z"),
        case("stale CRL, opted out", format!("crl_expiration = \"ignore\"\ncrls = [\"{}\"]\n", p(&stale)), g2, &single, "", ""),
    ];
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let file = policy_file(tmp.path(), &format!("policy-{i}.toml"), &c.policy);
        let base = strings(&["--trust", &file, "--at", AT]);
        let out = verify(&[base.clone(), strings(&["--json", &c.package])].concat());
        let v = json(&out);
        let want = if c.kind.is_empty() { 0 } else { 1 };
        let kind = v["error"]["kind"].as_str().unwrap_or("");
        let message = v["error"]["message"].as_str().unwrap_or("");
        if out.code != want || kind != c.kind || !message.contains(&c.says) {
            failures.push(format!(
                "{}: expected {:?} saying {:?}, got exit {} {kind:?}: {message}",
                c.what, c.kind, c.says, out.code
            ));
            continue;
        }
        if want == 1 {
            // Every rejected signature carries its own reason.
            for s in v["signatures"].as_array().unwrap() {
                if s["status"] != "trusted" && s["problem"]["kind"].as_str().is_none() {
                    failures.push(format!("{}: signature without a problem: {s}", c.what));
                }
            }
            let human = verify(&[base, vec![c.package.clone()]].concat());
            let flat = human.stdout.replace(";\n             ", "; ");
            if human.code != 1
                || !flat.contains(&format!("[{}]", c.kind))
                || !flat.contains(&c.says)
            {
                failures.push(format!("{}: human output: {human:?}", c.what));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_bad_policy_file_is_a_policy_error_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("version = 1\nthreshhold = 2\n[[anchors]]\nname = \"G2\"\nfile = \"{pki}/root-g2.pem\"\n", "line 2", "threshhold"),
        ("version = 1\n[[anchors]]\nname = \"G2\"\nfile = \"{pki}/root-g2.pem\"\nnot_after = \"soon\"\n", "line 5", "soon"),
        ("version = 1\n[[anchors]]\nname = \"G2\"\nfile = \"nowhere.pem\"\n", "line 4", "nowhere.pem"),
    ];
    for (i, (text, line, names)) in cases.iter().enumerate() {
        let file = policy_file(tmp.path(), &format!("bad-{i}.toml"), text);
        let out = verify(&strings(&["--trust", &file, "--at", AT, DEMO]));
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        assert!(
            out.stderr.contains(line) && out.stderr.contains(names),
            "{out:?}"
        );
        let out = verify(&strings(&["--json", "--trust", &file, "--at", AT, DEMO]));
        assert_eq!(out.code, 2, "{out:?}");
        let v = json(&out);
        // Its own kind (a file the policy names but that cannot be read
        // too: the line of the policy says where).
        assert_eq!(v["error"]["kind"], "policy_invalid", "{v:#}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(line) && message.contains(names),
            "{message}"
        );
    }
    // A policy that does not exist.
    let out = verify(&strings(&["--trust", "no-such-policy.toml", DEMO]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no-such-policy.toml"), "{out:?}");
}

// ---- verify: --quiet and --list ------------------------------------------------

/// `--quiet` prints nothing for a verdict (exit 0 or 1), and the caller's
/// mistake (exit 2) as one line on stderr, as `grep -q` does; `--json`
/// wins over it: one object, whatever the outcome.
#[test]
fn quiet_prints_no_verdict_but_the_callers_mistake() {
    let cases = [
        (demo_args(false), 0),
        (strings(&["--root", DEMO_ROOT, "--at", AT, DEMO]), 1),
        (strings(&["--at", AT, DEMO]), 2),
        (strings(&["--root", "no-such.pem", DEMO]), 2),
        (strings(&["--root", DEMO_ROOT, "--frobnicate", DEMO]), 2),
        (strings(&["--trust", "no-such-policy.toml", DEMO]), 2),
    ];
    for (args, code) in &cases {
        for flag in ["--quiet", "-q"] {
            let out = verify(&[vec![flag.to_owned()], args.clone()].concat());
            assert_eq!(out.code, *code, "{args:?}: {out:?}");
            assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
            if *code == 2 {
                assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {out:?}");
                assert!(out.stderr.starts_with("verify: "), "{args:?}: {out:?}");
            } else {
                assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
            }
            // --json wins, in either order.
            for both in [
                [vec![flag.to_owned(), "--json".into()], args.clone()].concat(),
                [vec!["--json".to_owned(), flag.to_owned()], args.clone()].concat(),
            ] {
                let out = verify(&both);
                assert_eq!(out.code, *code, "{both:?}: {out:?}");
                let v = json(&out);
                assert_eq!(v["verified"], *code == 0, "{both:?}");
            }
        }
    }
}

#[test]
fn list_adds_every_file_to_the_report() {
    let mut args = demo_args(true);
    args.insert(0, "--list".into());
    let out = verify(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out);
    let list = v["file_list"].as_array().unwrap();
    assert_eq!(list.len(), 6, "{v:#}");
    for f in list {
        let sha = f["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{f}"
        );
        assert!(
            f["path"].as_str().is_some() && f["size"].as_u64().is_some(),
            "{f}"
        );
        let keys = keys(f);
        assert!(
            keys == ["mode", "path", "sha256", "size"] || keys == ["path", "sha256", "size"],
            "{f}"
        );
    }
    let total: u64 = list.iter().map(|f| f["size"].as_u64().unwrap()).sum();
    assert_eq!(v["bytes"].as_u64(), Some(total));

    // Human output lists them too.
    let mut args = demo_args(false);
    args.insert(0, "--list".into());
    let out = verify(&args);
    assert_eq!(out.code, 0, "{out:?}");
    for f in list {
        assert!(out.stdout.contains(f["path"].as_str().unwrap()), "{out:?}");
    }
    // A rejected package's list is not authenticated: not reported.
    let out = verify(&strings(&[
        "--list", "--json", "--root", DEMO_ROOT, "--at", AT, DEMO,
    ]));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(json(&out).get("file_list").is_none(), "{out:?}");
}

// ---- the JSON report against docs/report.schema.json ----------------------------

fn schema() -> Value {
    serde_json::from_slice(&fs::read(repo().join("docs/report.schema.json")).unwrap()).unwrap()
}

#[track_caller]
fn assert_schema_valid(v: &Value, what: &str) {
    let errors = schema_errors(v);
    assert!(errors.is_empty(), "{what}: {v:#}\n{}", errors.join("\n"));
}

#[test]
fn the_json_report_matches_its_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let dual = tmp.path().join("dual.zip");
    fs::write(
        &dual,
        common::build(common::builder(&["signer-g1", "bad-expired"])),
    )
    .unwrap();
    let flipped = tmp.path().join("flipped.zip");
    fs::write(&flipped, flipped_payload()).unwrap();
    // A second signature in an algorithm format 1 does not list (unsupported),
    // and a chain file with the vendor's signing key in it.
    let unsupported = tmp.path().join("unsupported.zip");
    fs::write(
        &unsupported,
        common::package_with_pairs(|m| {
            let (_, _, chain) = common::pair("signer-rsa2048", m);
            vec![
                common::pair("signer-p256", m),
                (
                    "rsa-sha512".into(),
                    common::rsa2048_signature(m, &ring::signature::RSA_PKCS1_SHA512),
                    chain,
                ),
            ]
        }),
    )
    .unwrap();
    let leaky = tmp.path().join("leaky.zip");
    fs::write(
        &leaky,
        common::package_with_pairs(|m| {
            let (name, sig, chain) = common::pair("signer-p256", m);
            vec![(
                name,
                sig,
                [chain, fs::read(pki("signer-p256.key")).unwrap()].concat(),
            )]
        }),
    )
    .unwrap();
    let (dual, flipped) = (p(&dual), p(&flipped));
    let (unsupported, leaky) = (p(&unsupported), p(&leaky));
    let g2 = |file: &str| {
        strings(&[
            "--json",
            "--root",
            "testdata/pki/root-g2.pem",
            "--at",
            AT,
            file,
        ])
    };
    let out = verify(&g2(&unsupported));
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out);
    assert_eq!(v["signatures"][1]["status"], "unsupported", "{v:#}");
    assert_eq!(
        v["signatures"][1]["problem"]["kind"], "signature_unsupported",
        "{v:#}"
    );
    let human = verify(&g2(&unsupported)[1..]);
    assert!(
        human
            .stdout
            .contains("signature \"rsa-sha512\": unsupported"),
        "{human:?}"
    );
    let out = verify(&g2(&leaky));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        json(&out)["error"]["kind"],
        "private_key_in_package",
        "{out:?}"
    );
    assert!(
        !out.stdout.contains("BEGIN PRIVATE KEY-----\nMI"),
        "{out:?}"
    );
    let runs: Vec<(&str, Vec<String>)> = vec![
        ("verified", demo_args(true)),
        (
            "verified with --list",
            [strings(&["--list"]), demo_args(true)].concat(),
        ),
        (
            "untrusted",
            strings(&["--json", "--root", DEMO_ROOT, "--at", AT, DEMO]),
        ),
        (
            "rotation deadline",
            strings(&["--json", "--trust", ROTATION, "--at", AT, DEMO]),
        ),
        (
            "two untrusted signatures",
            strings(&[
                "--json",
                "--root",
                "testdata/pki/root-g2.pem",
                "--at",
                AT,
                &dual,
            ]),
        ),
        (
            "digest mismatch",
            strings(&[
                "--json",
                "--list",
                "--root",
                "testdata/pki/root-g2.pem",
                "--at",
                AT,
                &flipped,
            ]),
        ),
        (
            "threshold",
            strings(&[
                "--json",
                "--trust",
                "testdata/policy/two-person.toml",
                "--at",
                AT,
                DEMO,
            ]),
        ),
        ("unsupported second signature", g2(&unsupported)),
        ("private key in the package", g2(&leaky)),
        ("usage", strings(&["--json", "--at", AT, DEMO])),
        (
            "bad policy",
            strings(&["--json", "--trust", "README.md", DEMO]),
        ),
        (
            "rollback",
            [strings(&["--min-version", "9.0.0"]), demo_args(true)].concat(),
        ),
        (
            "another package",
            [strings(&["--expect-name", "x"]), demo_args(true)].concat(),
        ),
        (
            "extracted",
            [
                strings(&["--extract", &p(&tmp.path().join("extracted"))]),
                demo_args(true),
            ]
            .concat(),
        ),
        (
            "tree differs",
            [strings(&["--check-tree", &p(tmp.path())]), demo_args(true)].concat(),
        ),
        (
            "timestamped, before the rotation deadline",
            strings(&[
                "--json",
                "--trust",
                ROTATION,
                "--at",
                AT,
                "testdata/Full-upgrade-package-dten-timestamped.zip",
            ]),
        ),
        (
            "timestamped, after the rotation deadline",
            strings(&[
                "--json",
                "--trust",
                ROTATION,
                "--at",
                AT,
                "testdata/Full-upgrade-package-dten-timestamped-late.zip",
            ]),
        ),
        (
            "timestamp not trusted",
            strings(&[
                "--json",
                "--root",
                "testdata/pki/root-g2.pem",
                "--at",
                AT,
                "testdata/Full-upgrade-package-dten-timestamped.zip",
            ]),
        ),
        (
            "tree matches",
            [
                strings(&["--check-tree", &p(&tmp.path().join("extracted"))]),
                demo_args(true),
            ]
            .concat(),
        ),
    ];
    for (what, args) in runs {
        let out = verify(&args);
        assert_schema_valid(&json(&out), what);
    }
    // The checker does reject what the schema forbids.
    let good = json(&verify(&demo_args(true)));
    let mut bad = Vec::new();
    let mut v = good.clone();
    v["schema_version"] = 1.into();
    bad.push(v);
    let mut v = good.clone();
    v["error"] = serde_json::json!({"kind": "untrusted_signer", "message": "x"});
    bad.push(v);
    let mut v = good.clone();
    v["surprise"] = true.into();
    bad.push(v);
    let mut v = good.clone();
    v["signatures"][0]["status"] = "maybe".into();
    bad.push(v);
    let mut v = good.clone();
    v["signatures"][0]["signer"]["sha256"] = "abc".into();
    bad.push(v);
    let mut v = good;
    v["verified"] = false.into();
    bad.push(v);
    for v in bad {
        assert!(!schema_errors(&v).is_empty(), "should not validate: {v:#}");
    }
}

/// Every kind in the schema is documented in docs/REPORT.md, and the other way round.
#[test]
fn the_schema_and_docs_list_the_same_kinds() {
    let schema = schema();
    let kinds: Vec<&str> = schema["$defs"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let doc = fs::read_to_string(repo().join("docs/REPORT.md")).unwrap();
    let section = doc
        .split("### Error kinds")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/REPORT.md has an Error kinds section");
    for k in &kinds {
        assert!(
            section.contains(&format!("| `{k}` |")),
            "{k} is not in docs/REPORT.md's table of error kinds"
        );
    }
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let k = line.trim_start_matches("| `").split('`').next().unwrap();
        assert!(
            kinds.contains(&k),
            "{k} is documented but not in the schema"
        );
    }
}

// ---- verify: the progress bar ----------------------------------------------------

/// Runs the verifier under `script`, so that its stderr is a terminal;
/// `None` if `script` is not installed. Returns everything the terminal got.
fn verify_on_a_terminal(args: &[String]) -> Option<(i32, String)> {
    // `script` (util-linux, installed by .ci/run) gives the verifier a terminal.
    let available = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(available, "required tool `script` (util-linux) is missing");
    let mut line = p(&example("verify"));
    for a in args {
        line.push(' ');
        line.push_str(a);
    }
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn a_progress_bar_only_for_a_person_at_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.zip");
    let payload: Vec<u8> = (0..17u32 << 20).map(|i| (i % 251) as u8).collect();
    fs::write(
        &big,
        common::build(common::builder(&["signer-p256"]).file("data/big.bin", payload, 0o644)),
    )
    .unwrap();
    let base = strings(&["--root", "testdata/pki/root-g2.pem", "--at", AT]);
    let with = |extra: &[&str]| [base.clone(), strings(extra), vec![p(&big)]].concat();

    // Not a terminal: nothing on stderr.
    let out = verify(&with(&[]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");

    let Some((code, screen)) = verify_on_a_terminal(&with(&[])) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("  hashing [#"), "{screen}");
    assert!(screen.contains("% of 17.00 MiB"), "{screen}");
    assert!(screen.contains("VERIFIED  demo 1.0.0"), "{screen}");
    for quiet in [&["--json"][..], &["--quiet"]] {
        let (code, screen) = verify_on_a_terminal(&with(quiet)).unwrap();
        assert_eq!(code, 0, "{quiet:?}: {screen}");
        assert!(!screen.contains("hashing"), "{quiet:?}: {screen}");
    }
    // A small package gets none.
    let (_, screen) = verify_on_a_terminal(&demo_args(false)).unwrap();
    assert!(!screen.contains("hashing"), "{screen}");
    // A stream shows the bytes read (its length is unknown), then the verdict.
    let (code, screen) =
        verify_on_a_terminal(&[base.clone(), strings(&["-", "<", &p(&big)])].concat()).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("  reading "), "{screen}");
    assert!(screen.contains("VERIFIED  demo 1.0.0"), "{screen}");
    assert!(!screen.contains("hashing"), "{screen}");
}

// ---- verify: nothing from a package reaches a terminal raw ---------------------

/// A signer CN written to make a terminal show a verdict the verifier did
/// not give: CR and `ESC[2K ESC[1A` erase and climb over the real lines,
/// `ESC[8m` hides what follows, then BEL, backspace, NUL, DEL, CSI (U+009B),
/// NEL (U+0085), the line and paragraph separators, a right-to-left override,
/// a zero-width space, a BOM, an isolate, and a literal `\u{1b}` that must
/// not pass for an escape.
const HOSTILE_CN: &str = "Evil\r\u{1b}[2K\u{1b}[1A\u{1b}[8mVERIFIED  demo 1.0.0\n  signature \"v\": trusted\n  every digest matches\u{7}\u{8}\u{0}\u{7f}\u{9b}\u{85}\u{2028}\u{2029}\u{202e}\u{200b}\u{feff}\u{2066} \\u{1b}";

/// Where the format refuses controls (package name and version, entry paths:
/// see src/path.rs and the manifest's text fields), what is left: format and
/// separator characters (and, in names, a backslash). A signature name is
/// `[A-Za-z0-9._-]`; a hostile one is refused, with its entry's name quoted.
const HOSTILE_NAME: &str =
    "demo\u{202e}exe.txt\u{2028}\u{2029}\u{200b}\u{200f}\u{2066}\u{feff}\u{ad} \\u{7}";
const HOSTILE_PATH: &str = "bin/\u{202e}gpj.exe\u{2028}\u{2029}\u{200b}\u{2066}\u{feff}";
const HOSTILE_SIGNATURE: &str = "v\u{202e}\u{2028}\u{200b}";

/// Every character of the hostile inputs that must not reach the output as
/// itself; checked independently of `pkgverify::needs_escape`.
const NEVER_RAW: &[char] = &[
    '\r', '\u{1b}', '\u{7}', '\u{8}', '\u{0}', '\u{7f}', '\u{9b}', '\u{85}', '\u{2028}',
    '\u{2029}', '\u{202e}', '\u{200b}', '\u{200f}', '\u{2066}', '\u{feff}', '\u{ad}',
];

/// The characters line splitters break on (`str::lines`, Python's
/// `splitlines`, JavaScript, Unicode).
const LINE_BREAKS: &[char] = &[
    '\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
];

/// A failure message that does not itself put the output on the terminal raw.
fn shown(out: &Output) -> String {
    format!(
        "exit {}\nstdout {:?}\nstderr {:?}",
        out.code, out.stdout, out.stderr
    )
}

/// No line the verifier writes holds a control, format or separator
/// character: the only ones allowed are the `\n`s that end its own lines.
#[track_caller]
fn assert_nothing_raw(out: &Output, what: &str) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for (n, line) in text.split('\n').enumerate() {
            for c in line.chars() {
                assert!(
                    !pkgverify::needs_escape(c) && !NEVER_RAW.contains(&c),
                    "{what}: {stream} line {} holds U+{:04X} raw:\n{}",
                    n + 1,
                    u32::from(c),
                    shown(out)
                );
            }
        }
    }
}

/// stdout is one JSON object on one line for every line splitter.
#[track_caller]
fn one_json_line(out: &Output, what: &str) -> Value {
    let line = out
        .stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{what}: no final newline:\n{}", shown(out)));
    assert!(
        !line.contains(LINE_BREAKS),
        "{what}: the JSON line breaks:\n{}",
        shown(out)
    );
    assert_nothing_raw(out, what);
    let v: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{}", shown(out)));
    assert!(v.is_object(), "{what}: not an object:\n{}", shown(out));
    assert_schema_valid(&v, what);
    v
}

/// A fresh P-256 leaf for code signing named `cn`, issued by `issuer`.
fn leaf_named(
    cn: &str,
    issuer: &rcgen::Issuer<'_, rcgen::KeyPair>,
) -> (pkgverify::SigningKey, String) {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    let signing = pkgverify::SigningKey::from_pkcs8_der(&key.serialize_der()).unwrap();
    (signing, cert.pem())
}

/// Runs the verifier on `bytes` against Root G2, human and `--json`
/// (`--list` both times); asserts the exit code and that nothing came out raw.
fn verify_hostile(bytes: &[u8], what: &str, code: i32) -> (Output, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("hostile.zip");
    fs::write(&file, bytes).unwrap();
    let args = strings(&["--root", "testdata/pki/root-g2.pem", "--at", AT, "--list"]);
    let human = verify(&[args.clone(), vec![p(&file)]].concat());
    assert_eq!(human.code, code, "{what}:\n{}", shown(&human));
    assert_nothing_raw(&human, what);
    assert!(human.stderr.is_empty(), "{what}:\n{}", shown(&human));
    let json = verify(&[args, vec!["--json".into(), p(&file)]].concat());
    assert_eq!(json.code, code, "{what} (--json):\n{}", shown(&json));
    let v = one_json_line(&json, what);
    assert_eq!(v["verified"], code == 0, "{what}: {v}");
    (human, v)
}

#[test]
fn a_hostile_signer_name_cannot_fake_a_verdict_on_the_terminal() {
    use pkgverify::Escaped;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    // An untrusted CA and its signer, both named to rewrite the screen.
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, HOSTILE_CN);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let (key, leaf_pem) = leaf_named(HOSTILE_CN, &Issuer::new(ca, ca_key));
    let bytes = common::build(common::builder(&[]).signer(
        "v",
        key,
        format!("{leaf_pem}{ca_pem}").into_bytes(),
    ));
    let (human, v) = verify_hostile(&bytes, "untrusted hostile signer", 1);

    let subject = format!("CN={HOSTILE_CN}");
    assert!(human.stdout.starts_with("REJECTED\n"), "{}", shown(&human));
    for line in [
        format!("    signer:  {}", Escaped(&subject)),
        format!("    issuer:  {}", Escaped(&subject)),
    ] {
        assert!(
            human.stdout.split('\n').any(|l| l == line),
            "{line:?} missing:\n{}",
            shown(&human)
        );
    }
    assert!(
        !human.stdout.split('\n').any(|l| l.starts_with("VERIFIED")),
        "{}",
        shown(&human)
    );
    // A literal backslash-u in the name is shown doubled, not as an escape.
    assert!(human.stdout.contains(r" \\u{1b}"), "{}", shown(&human));

    // The JSON keeps the names exactly, on one line.
    let s = &v["signatures"][0];
    assert_eq!(s["status"], "untrusted", "{v}");
    assert_eq!(s["signer"]["subject"], subject.as_str(), "{v}");
    assert_eq!(s["signer"]["issuer"], subject.as_str(), "{v}");
    assert_eq!(v["error"]["kind"], "untrusted_signer", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("\"{subject}\"")), "{v}");
}

#[test]
fn hostile_names_in_a_trusted_package_are_shown_escaped() {
    use pkgverify::{Escaped, PackageBuilder};
    // A signer under Signing CA G2 (trusted), named to rewrite the screen, in
    // a package whose name, version and a path hold every format character
    // the format lets through.
    let (key, leaf_pem) = leaf_named(HOSTILE_CN, &common::issuer("signing-ca-g2"));
    let chain = format!(
        "{leaf_pem}{}",
        String::from_utf8(common::read(pki("signing-ca-g2.pem"))).unwrap()
    );
    let package = common::build(
        PackageBuilder::new(HOSTILE_NAME, HOSTILE_NAME)
            .file(HOSTILE_PATH, b"\x7fELF payload".to_vec(), 0o755)
            .compression(pkgverify::Compression::Stored)
            .signer("v", key, chain.into_bytes()),
    );
    let subject = format!("CN={HOSTILE_CN}");

    let (human, v) = verify_hostile(&package, "trusted hostile names", 0);
    let first = format!(
        "VERIFIED  {} {}",
        Escaped(HOSTILE_NAME),
        Escaped(HOSTILE_NAME)
    );
    assert!(
        human.stdout.starts_with(&format!("{first}\n")),
        "{}",
        shown(&human)
    );
    for text in [
        format!("    signer:  {}\n", Escaped(&subject)),
        format!("    chain:   {}\n", Escaped(&subject)),
        format!(" {}\n", Escaped(HOSTILE_PATH)),
    ] {
        assert!(
            human.stdout.contains(&text),
            "{text:?} missing:\n{}",
            shown(&human)
        );
    }
    assert_eq!(v["package"]["name"], HOSTILE_NAME, "{v}");
    assert_eq!(v["package"]["version"], HOSTILE_NAME, "{v}");
    assert_eq!(v["signatures"][0]["status"], "trusted", "{v}");
    assert_eq!(
        v["signatures"][0]["signer"]["subject"],
        subject.as_str(),
        "{v}"
    );
    assert_eq!(v["signatures"][0]["chain"][0], subject.as_str(), "{v}");
    assert_eq!(v["file_list"][0]["path"], HOSTILE_PATH, "{v}");

    // The same package with a payload byte flipped: the error line quotes
    // the hostile path.
    let mut bytes = package;
    let at = bytes
        .windows(7)
        .position(|w| w == b"payload")
        .expect("stored payload");
    bytes[at] ^= 0x20;
    let (human, v) = verify_hostile(&bytes, "digest mismatch on a hostile path", 1);
    assert_eq!(v["error"]["kind"], "digest_mismatch", "{v}");
    assert_eq!(v["error"]["path"], HOSTILE_PATH, "{v}");
    let line = format!(
        "error [digest_mismatch]: entry \"{}\": SHA-256 is ",
        Escaped(HOSTILE_PATH)
    );
    assert!(
        human.stdout.contains(&line),
        "{line:?} missing:\n{}",
        shown(&human)
    );

    // A signature named with format characters is refused, its name quoted.
    // (PackageBuilder refuses to write it: the raw writer does.)
    let mut entries = common::raw_package(
        &[("bin/tool", b"tool", 0o644)],
        vec![common::RawEntry::file("bin/tool", b"tool")],
    );
    entries[1].name = format!("signatures/{HOSTILE_SIGNATURE}.sig").into_bytes();
    entries[2].name = format!("signatures/{HOSTILE_SIGNATURE}.pem").into_bytes();
    let bytes = common::RawZip::new(entries).build();
    let (human, v) = verify_hostile(&bytes, "hostile signature name", 1);
    let entry = format!("signatures/{HOSTILE_SIGNATURE}.sig");
    assert_eq!(v["error"]["kind"], "misplaced_entry", "{v}");
    assert_eq!(v["error"]["path"], entry.as_str(), "{v}");
    let line = format!(
        "error [misplaced_entry]: misplaced entry \"{}\": ",
        Escaped(&entry)
    );
    assert!(
        human.stdout.contains(&line),
        "{line:?} missing:\n{}",
        shown(&human)
    );
}
