//! The example verifier's `--extract`, `--check-tree`, `--expect-name` and
//! `--min-version`, run as a process: exit codes, kinds, what is left on
//! disk, the umask, a run killed mid-stream, a failing write.
#![cfg(unix)]

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::cli::*;
use common::{left_in, pki, snapshot, Node, AT};
use serde_json::Value;

/// The demo's payload as its manifest lists it: path, size, mode.
fn demo_files() -> Vec<(String, u64, u32)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(common::repo().join(DEMO)).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("manifest.json").unwrap(), &mut text).unwrap();
    let m: Value = serde_json::from_str(&text).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["size"].as_u64().unwrap(),
                f["mode"].as_u64().unwrap() as u32,
            )
        })
        .collect()
}

/// The extracted tree has exactly the demo's files, sizes and modes, its
/// directories 0755, and bytes equal to what `unzip` reads.
#[track_caller]
fn assert_demo_tree(dir: &Path) {
    let tree = snapshot(dir);
    let files = demo_files();
    let mut want_dirs = std::collections::BTreeSet::new();
    for (path, size, mode) in &files {
        match &tree[path] {
            Node::File { mode: m, content } => {
                assert_eq!((*m, content.len() as u64), (*mode, *size), "{path}");
                let unzip = Command::new("unzip")
                    .args(["-p", DEMO, path])
                    .current_dir(common::repo())
                    .output()
                    .expect("unzip is needed (the CI installs it)");
                assert_eq!(content, &unzip.stdout, "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
        let mut at = path.as_str();
        while let Some((up, _)) = at.rsplit_once('/') {
            want_dirs.insert(up.to_owned());
            at = up;
        }
    }
    for (path, node) in &tree {
        match node {
            Node::Dir { mode } => {
                assert!(want_dirs.contains(path), "unexpected directory {path}");
                assert_eq!(*mode, 0o755, "{path}");
            }
            Node::File { .. } => assert!(files.iter().any(|(p, _, _)| p == path), "extra {path}"),
            Node::Other(what) => panic!("{path}: {what}"),
        }
    }
    assert_eq!(
        tree.len(),
        files.len() + want_dirs.len(),
        "nothing else: {:?}",
        tree.keys()
    );
}

#[test]
fn extract_from_a_file_and_from_standard_input() {
    let parent = tempfile::tempdir().unwrap();
    for (name, package, stdin) in [
        ("from-file", DEMO, None),
        (
            "from-stdin",
            "-",
            Some(fs::read(common::repo().join(DEMO)).unwrap()),
        ),
    ] {
        let dir = parent.path().join(name);
        let out = run(
            "verify",
            &demo(&["--json", "--extract", &p(&dir)], package),
            stdin.as_deref(),
        );
        assert_eq!(out.code, 0, "{out:?}");
        let v = json(&out);
        assert_eq!(v["extracted_to"], p(&dir).as_str());
        assert_eq!(v["verified"], true);
        assert_demo_tree(&dir);
        // The tree check agrees with the fresh extraction.
        let check = verify(&demo(&["--json", "--check-tree", &p(&dir)], DEMO));
        assert_eq!(check.code, 0, "{check:?}");
        let t = json(&check);
        assert_eq!(t["tree"]["matches"], true, "{t:#}");
        assert_eq!(t["tree"]["differences"], serde_json::json!([]));
    }
    let mut left = left_in(parent.path());
    left.sort();
    assert_eq!(
        left,
        ["from-file", "from-stdin"],
        "no staging directory left"
    );
}

/// Modes are the manifest's whatever the umask.
#[test]
fn the_umask_does_not_change_the_modes() {
    let parent = tempfile::tempdir().unwrap();
    for umask in ["077", "000", "022"] {
        let dir = parent.path().join(format!("umask-{umask}"));
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(example("verify"))
            .args(demo(&["--quiet", "--extract", &p(&dir)], DEMO))
            .current_dir(common::repo());
        let status = cmd.status().unwrap();
        assert!(status.success(), "umask {umask}: {status}");
        assert_demo_tree(&dir);
    }
}

#[test]
fn extraction_failures_leave_nothing_and_touch_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let existing = parent.path().join("existing");
    fs::create_dir(&existing).unwrap();
    fs::write(existing.join("mine"), b"keep me").unwrap();
    let tampered = parent.path().join("tampered.zip");
    let mut bytes = fs::read(common::repo().join(DEMO)).unwrap();
    let len = bytes.len();
    // A byte of the last payload entry's data (before the central directory).
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[central - 20] ^= 0x40;
    assert_eq!(bytes.len(), len);
    fs::write(&tampered, &bytes).unwrap();
    let before = snapshot(parent.path());
    // (args, expected exit, expected kind)
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            demo(&["--json", "--extract", &p(&existing)], DEMO),
            2,
            "usage",
        ),
        (
            demo(
                &["--json", "--extract", &p(&parent.path().join("no/parent"))],
                DEMO,
            ),
            2,
            "usage",
        ),
        (
            demo(
                &["--json", "--extract", &p(&parent.path().join("out"))],
                &p(&tampered),
            ),
            1,
            "",
        ),
        (
            demo(
                &[
                    "--json",
                    "--extract",
                    &p(&parent.path().join("out")),
                    "--min-version",
                    "4.3.0",
                ],
                DEMO,
            ),
            1,
            "version_rollback",
        ),
        (
            demo(
                &[
                    "--json",
                    "--extract",
                    &p(&parent.path().join("out")),
                    "--expect-name",
                    "dten-lite",
                ],
                DEMO,
            ),
            1,
            "package_mismatch",
        ),
        (
            // Untrusted: only Root G1, no advisory chain.
            strings(&[
                "--json",
                "--root",
                "testdata/pki/root-g1.pem",
                "--at",
                AT,
                "--extract",
                &p(&parent.path().join("out")),
                DEMO,
            ]),
            1,
            "untrusted_signer",
        ),
    ];
    for (args, code, kind) in cases {
        let out = verify(&args);
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        let v = json(&out);
        assert_eq!(v["verified"], false);
        if !kind.is_empty() {
            assert_eq!(v["error"]["kind"], kind, "{args:?}");
        }
        assert!(v.get("extracted_to").is_none());
        assert_eq!(snapshot(parent.path()), before, "{args:?}: nothing changed");
    }
}

/// A run killed while it reads a stream leaves its staging directory and no
/// target; the next run removes the staging directory and extracts.
#[test]
fn a_killed_run_leaves_no_target_and_the_next_run_cleans_up() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    let bytes = fs::read(common::repo().join(DEMO)).unwrap();
    let mut child = Command::new(example("verify"))
        .args(demo(&["--quiet", "--extract", &p(&dir)], "-"))
        .current_dir(common::repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Past the manifest and signatures, into the payload, then hold.
    stdin.write_all(&bytes[..bytes.len() * 3 / 4]).unwrap();
    stdin.flush().unwrap();
    let staging = wait_for(|| {
        left_in(parent.path())
            .into_iter()
            .find(|n| n.starts_with(".pkgverify-out-"))
    });
    // Some payload was written into it before the kill.
    wait_for(|| {
        let tree = snapshot(&parent.path().join(&staging));
        tree.values()
            .any(|n| matches!(n, Node::File { .. }))
            .then_some(())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(left_in(parent.path()), vec![staging], "no target");
    let out = verify(&demo(&["--quiet", "--extract", &p(&dir)], DEMO));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        left_in(parent.path()),
        ["out"],
        "the stale staging directory is gone"
    );
    assert_demo_tree(&dir);
}

/// Polls `f` for up to 20 s.
fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..2000 {
        if let Some(t) = f() {
            return t;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out")
}

/// A write that fails (the file size limit, as a full disk would) is exit
/// 2, kind `io`, and leaves nothing.
#[test]
fn a_failing_write_leaves_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    // firmware/dten-fw.bin is 32 KiB: over a 16 KiB file size limit. SIGXFSZ
    // is ignored, so the write fails with EFBIG instead of killing.
    let script = "trap '' XFSZ; ulimit -f 32; exec \"$0\" \"$@\"";
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(example("verify"))
        .args(demo(&["--json", "--extract", &p(&dir)], DEMO))
        .current_dir(common::repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(common::cli::schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["error"]["kind"], "io", "{v:#}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("firmware/dten-fw.bin"),
        "names the file: {message}"
    );
    assert!(left_in(parent.path()).is_empty());
}

#[test]
fn identity_flags_and_the_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("p.toml");
    fs::write(
        &policy,
        format!(
            "version = 1\nintermediates = [\"{}\"]\n[[anchors]]\nname = \"G1\"\nfile = \"{}\"\n[package]\nname = \"dten-full-upgrade\"\nmin_version = \"4.1.0\"\n",
            p(&pki("advisory-chain.pem")),
            p(&pki("root-g1.pem"))
        ),
    )
    .unwrap();
    let with_policy = |extra: &[&str]| {
        let mut a = strings(&["--json", "--trust", &p(&policy), "--at", AT]);
        a.extend(strings(extra));
        a.push(DEMO.into());
        a
    };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            demo(&["--json", "--expect-name", "dten-full-upgrade"], DEMO),
            0,
            "",
        ),
        (
            demo(&["--json", "--expect-name", "dten-lite"], DEMO),
            1,
            "package_mismatch",
        ),
        (demo(&["--json", "--min-version", "4.2.0"], DEMO), 0, ""),
        (
            demo(&["--json", "--min-version", "4.2.1"], DEMO),
            1,
            "version_rollback",
        ),
        (
            demo(&["--json", "--min-version", "5.0.0-alpha"], DEMO),
            1,
            "version_rollback",
        ),
        (demo(&["--json", "--min-version", "4.2"], DEMO), 2, "usage"),
        (with_policy(&[]), 0, ""),
        (with_policy(&["--expect-name", "dten-full-upgrade"]), 0, ""),
        (with_policy(&["--expect-name", "dten-lite"]), 2, "usage"),
        // The higher minimum holds, whichever gives it.
        (with_policy(&["--min-version", "4.0.0"]), 0, ""),
        (
            with_policy(&["--min-version", "4.3.0"]),
            1,
            "version_rollback",
        ),
    ];
    for (args, code, kind) in cases {
        let out = verify(&args);
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        let v = json(&out);
        if kind.is_empty() {
            assert_eq!(v["verified"], true);
        } else {
            assert_eq!(v["error"]["kind"], kind, "{args:?}");
            let message = v["error"]["message"].as_str().unwrap();
            if kind == "version_rollback" {
                assert!(message.contains("4.2.0"), "names the version: {message}");
            }
        }
    }
    // The lower policy floor does not hide a higher one on the command line,
    // and the human output names both values.
    let out = verify(&with_policy(&["--min-version", "4.3.0"])[1..]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("version 4.2.0 is lower than the minimum version 4.3.0"),
        "{out:?}"
    );
}

#[test]
fn check_tree_lists_each_difference_and_exits_1() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("installed");
    assert_eq!(
        verify(&demo(&["--quiet", "--extract", &p(&dir)], DEMO)).code,
        0
    );
    fs::write(dir.join("config/defaults.json"), b"{}").unwrap();
    fs::remove_file(dir.join("bin/dten-agent")).unwrap();
    fs::write(dir.join("bin/backdoor"), b"x").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        dir.join("scripts/pre-install.sh"),
        fs::Permissions::from_mode(0o775),
    )
    .unwrap();
    let out = verify(&demo(&["--json", "--check-tree", &p(&dir)], DEMO));
    assert_eq!(out.code, 1, "{out:?}");
    let v = json(&out);
    assert_eq!(v["verified"], false);
    assert_eq!(v["error"]["kind"], "tree_mismatch");
    assert_eq!(
        v["manifest_sha256"].as_str().map(str::len),
        Some(64),
        "the package did verify"
    );
    let got: Vec<(&str, &str)> = v["tree"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("extra", "bin/backdoor"),
            ("missing", "bin/dten-agent"),
            ("modified", "config/defaults.json"),
            ("mode_changed", "scripts/pre-install.sh"),
        ]
    );
    let human = verify(&demo(&["--check-tree", &p(&dir)], DEMO));
    assert_eq!(human.code, 1);
    assert!(human.stdout.contains("TREE DIFFERS"), "{human:?}");
    assert!(
        human
            .stdout
            .contains("missing      \"bin/dten-agent\" is missing"),
        "{human:?}"
    );
}

#[test]
fn the_human_output_shows_the_signed_metadata() {
    let out = verify(&demo(&[], DEMO));
    assert_eq!(out.code, 0, "{out:?}");
    for line in [
        "  requires: {\"min_version\":\"4.0.0\",\"platform\":\"dten-d7\"}\n",
        "  reboot: true\n",
        "  manifest sha256 ",
    ] {
        assert!(out.stdout.contains(line), "{line:?} in {out:?}");
    }
    // Only for a verified package.
    let rejected = verify(&strings(&[
        "--root",
        "testdata/pki/root-g1.pem",
        "--at",
        AT,
        DEMO,
    ]));
    assert_eq!(rejected.code, 1);
    assert!(!rejected.stdout.contains("reboot"), "{rejected:?}");
    assert!(!rejected.stdout.contains("manifest sha256"), "{rejected:?}");
}
