//! Verified extraction (`Verifier::extract_*`): exactly the verified files,
//! bytes and modes, from a file and from a stream; nothing left behind on
//! any failure; never a write through a symbolic link or into an existing
//! directory; and the tree check (`VerifiedPackage::check_tree`).
#![cfg(unix)]

mod common;

use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use common::*;
use pkgverify::{
    Compression, ExtractError, InstallOptions, Modification, PackageBuilder, TargetProblem,
    TreeDifference, TreeError, Verifier,
};

/// Files of the packages below: path, content, manifest mode.
type Files = Vec<(&'static str, Vec<u8>, Option<u32>)>;

fn package(files: &Files, compression: Compression) -> Vec<u8> {
    let (key, chain) = signer("signer-p256");
    let mut b = PackageBuilder::new("demo", "1.0.0")
        .signer("vendor", key, chain)
        .compression(compression);
    for (path, content, mode) in files {
        b = b.file(path, content.clone(), mode.unwrap_or(0o644));
        if mode.is_none() {
            b = b.without_manifest_mode();
        }
    }
    build(b)
}

fn expected(files: &Files, options: InstallOptions) -> std::collections::BTreeMap<String, Node> {
    let borrowed: Vec<(&str, &[u8], Option<u32>)> = files
        .iter()
        .map(|(p, c, m)| (*p, c.as_slice(), *m))
        .collect();
    expected_tree(&borrowed, options)
}

fn v() -> Verifier {
    verifier(trust_g2())
}

fn fast() -> InstallOptions {
    InstallOptions::new().sync(false)
}

#[test]
fn extracts_exactly_the_files_bytes_and_modes() {
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let files: Files = vec![
        ("bin/tool", b"\x7fELF tool".to_vec(), Some(0o755)),
        ("etc/conf", b"a=1\n".to_vec(), Some(0o644)),
        ("etc/secret", b"k\n".to_vec(), Some(0o600)),
        ("etc/readonly", b"r\n".to_vec(), Some(0o444)),
        ("share/doc/deep/er/README", b"deep".to_vec(), None),
        ("empty", Vec::new(), Some(0o640)),
        ("bin/su-like", b"setuid".to_vec(), Some(0o4755)),
        ("bin/sg-like", b"setgid".to_vec(), Some(0o2750)),
        ("tmp-like/sticky", b"sticky".to_vec(), Some(0o1777)),
        ("data/big.bin", big, Some(0o644)),
    ];
    for compression in [Compression::Deflated, Compression::Stored] {
        let bytes = package(&files, compression);
        for options in [
            fast(),
            InstallOptions::new(),
            fast().keep_special_bits(true),
        ] {
            let tree = extract_both(&v(), &bytes, options)
                .unwrap_or_else(|e| panic!("{compression:?} {options:?}: {e:?}"));
            assert_eq!(
                tree,
                expected(&files, options),
                "{compression:?} {options:?}"
            );
        }
    }
    // The rule itself: special bits only when asked for; 0644 by default.
    let tree = extract_both(&v(), &package(&files, Compression::Deflated), fast()).unwrap();
    assert!(matches!(
        tree["bin/su-like"],
        Node::File { mode: 0o755, .. }
    ));
    assert!(matches!(
        tree["share/doc/deep/er/README"],
        Node::File { mode: 0o644, .. }
    ));
    let kept = fast().keep_special_bits(true);
    let tree = extract_both(&v(), &package(&files, Compression::Deflated), kept).unwrap();
    assert!(matches!(
        tree["bin/su-like"],
        Node::File { mode: 0o4755, .. }
    ));
}

#[test]
fn directory_entries_and_the_signature_files_are_not_extracted() {
    let bytes = build(
        builder(&["signer-p256"])
            .directory("emptydir/")
            .directory("bin/"),
    );
    let tree = extract_both(&v(), &bytes, fast()).unwrap();
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "bin",
            "bin/tool",
            "config",
            "config/defaults.json",
            "scripts",
            "scripts/post-install.sh"
        ]
    );
}

#[test]
fn many_files_on_many_threads() {
    let files: Files = (0..300)
        .map(|i| {
            let path: &'static str = Box::leak(format!("d{}/f{i}", i % 17).into_boxed_str());
            (path, vec![i as u8; 10_000 + i * 100], Some(0o644))
        })
        .collect();
    let bytes = package(&files, Compression::Deflated);
    for threads in [1, 4] {
        let mut limits = pkgverify::Limits::default();
        limits.threads = threads;
        let v = v().with_limits(limits);
        let tree = extract_both(&v, &bytes, fast()).unwrap();
        assert_eq!(tree, expected(&files, fast()), "{threads} threads");
    }
}

/// Every hostile-corpus file is rejected and leaves nothing; every control
/// extracts to exactly its manifest.
#[test]
fn every_hostile_file_leaves_nothing() {
    let hostile = repo().join("testdata/hostile");
    let index: serde_json::Value =
        serde_json::from_slice(&read(hostile.join("cases.json"))).unwrap();
    let mut t = pkgverify::TrustStore::new();
    t.load_anchors(pki("root-g2.pem")).unwrap();
    t.load_crls(pki("signing-ca-g2.crl")).unwrap();
    let v = Verifier::new(t, at());
    let mut failures = Vec::new();
    for c in index["cases"].as_array().unwrap() {
        let (file, kind) = (c["file"].as_str().unwrap(), c["kind"].as_str().unwrap());
        // extract_both asserts the parent is left empty.
        match extract_both(&v, &read(hostile.join(file)), fast()) {
            Err((got, _)) if got == kind => {}
            other => failures.push(format!("{file}: expected {kind}, got {other:?}")),
        }
    }
    for c in index["controls"].as_array().unwrap() {
        let file = c["file"].as_str().unwrap();
        let bytes = read(hostile.join(file));
        let verified = v.verify_bytes(&bytes).unwrap();
        let tree = extract_both(&v, &bytes, fast()).unwrap();
        assert_eq!(
            tree.values()
                .filter(|n| matches!(n, Node::File { .. }))
                .count(),
            verified.manifest().files().len(),
            "{file}"
        );
        for f in verified.manifest().files() {
            match &tree[&f.path] {
                Node::File { content, .. } => {
                    assert_eq!(content.len() as u64, f.size, "{file}: {}", f.path)
                }
                other => panic!("{file}: {}: {other:?}", f.path),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Anything that fails after some entries were written leaves nothing: a
/// digest mismatch in the last entry, a truncated stream, a wrong name.
#[test]
fn late_failures_leave_nothing() {
    let good = good_package();
    let mut tampered = good.clone();
    // The last payload's data sits just before the central directory: flip
    // a byte of config/defaults.json's deflate stream.
    let at = find(&tampered, b"config/defaults.json").unwrap();
    let data = at + b"config/defaults.json".len() + 2;
    tampered[data] ^= 0x01;
    let cases: Vec<(&str, Vec<u8>, Verifier)> = vec![
        ("last entry tampered", tampered, v()),
        ("truncated", good[..good.len() - 30].to_vec(), v()),
        (
            "another package's name",
            good.clone(),
            v().with_policy(pkgverify::Policy::new().expect_name("other")),
        ),
        (
            "a rollback",
            good.clone(),
            v().with_policy(pkgverify::Policy::new().min_version(pkgverify::Version::new(1, 0, 1))),
        ),
    ];
    for (what, bytes, v) in cases {
        let r = extract_both(&v, &bytes, fast());
        assert!(r.is_err(), "{what}: {r:?}");
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn the_target_must_be_new_and_its_parent_must_exist() {
    let parent = tempfile::tempdir().unwrap();
    let existing = parent.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("keep"), b"mine").unwrap();
    let outside = tempfile::tempdir().unwrap();
    let link = parent.path().join("link");
    symlink(outside.path(), &link).unwrap();
    let dangling = parent.path().join("dangling");
    symlink(parent.path().join("nowhere"), &dangling).unwrap();
    let file = parent.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    type Expect = fn(&TargetProblem) -> bool;
    let cases: Vec<(PathBuf, Expect)> = vec![
        (existing.clone(), |p| matches!(p, TargetProblem::Exists)),
        (link.clone(), |p| matches!(p, TargetProblem::Exists)),
        (dangling.clone(), |p| matches!(p, TargetProblem::Exists)),
        (file.clone(), |p| matches!(p, TargetProblem::Exists)),
        (parent.path().join("no/such/parent"), |p| {
            matches!(p, TargetProblem::Parent(_))
        }),
        (file.join("under-a-file"), |p| {
            matches!(p, TargetProblem::Parent(_))
        }),
        (parent.path().join("."), |p| {
            matches!(p, TargetProblem::NotAName)
        }),
        (parent.path().join(".."), |p| {
            matches!(p, TargetProblem::NotAName)
        }),
    ];
    let before = snapshot(parent.path());
    for (dir, expected) in cases {
        match v().extract_reader(&good_package()[..], &dir, fast()) {
            Err(ExtractError::Target { problem, .. }) if expected(&problem) => {}
            other => panic!("{}: {other:?}", dir.display()),
        }
    }
    assert_eq!(snapshot(parent.path()), before, "nothing changed");
    assert!(
        left_in(outside.path()).is_empty(),
        "nothing written through the link"
    );
}

/// Symbolic links planted in the parent, named like the package's
/// directories, or the staging directory's prefix, change nothing.
#[test]
fn a_symlink_planted_in_the_parent_is_never_followed() {
    let parent = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    for name in ["bin", "config", "scripts", ".pkgverify-out-", "out-staging"] {
        symlink(outside.path(), parent.path().join(name)).unwrap();
    }
    let dir = parent.path().join("out");
    v().extract_reader(&good_package()[..], &dir, fast())
        .unwrap();
    assert!(left_in(outside.path()).is_empty());
    let tree = snapshot(&dir);
    assert!(matches!(tree["bin"], Node::Dir { mode: 0o755 }));
    assert!(matches!(tree["bin/tool"], Node::File { .. }));
}

/// A reader that creates `dir` once `after` bytes have been read: someone
/// else creating the target while the package is being verified.
struct CreatesTarget<'a> {
    bytes: &'a [u8],
    at: usize,
    after: usize,
    dir: PathBuf,
}

impl Read for CreatesTarget<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.after && !self.dir.exists() {
            std::fs::create_dir(&self.dir)?;
            std::fs::write(self.dir.join("theirs"), b"theirs")?;
        }
        let n = buf.len().min(64).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_target_created_meanwhile_is_never_replaced() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    let bytes = good_package();
    let reader = CreatesTarget {
        bytes: &bytes,
        at: 0,
        after: bytes.len() / 2,
        dir: dir.clone(),
    };
    match v().extract_reader(reader, &dir, fast()) {
        Err(ExtractError::Target {
            problem: TargetProblem::CreatedMeanwhile,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        left_in(parent.path()),
        ["out"],
        "the staging directory is gone"
    );
    assert_eq!(left_in(&dir), ["theirs"], "their directory is untouched");
}

#[test]
fn the_stale_staging_directory_of_a_dead_process_is_removed() {
    let parent = tempfile::tempdir().unwrap();
    // A dead process's staging directory: PID of a child that has exited.
    let child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    let mut child = child;
    child.wait().unwrap();
    let stale = parent
        .path()
        .join(format!(".pkgverify-out-{pid}-0123456789abcdef"));
    std::fs::create_dir_all(stale.join("bin/deep")).unwrap();
    std::fs::write(stale.join("bin/deep/half"), b"half").unwrap();
    symlink("/etc", stale.join("bin/link")).unwrap();
    // A live process's (ours): kept.
    let live = parent.path().join(format!(
        ".pkgverify-out-{}-0123456789abcdef",
        std::process::id()
    ));
    std::fs::create_dir(&live).unwrap();
    // Not a staging name: kept.
    let other = parent
        .path()
        .join(".pkgverify-out-notapid-0123456789abcdef");
    std::fs::create_dir(&other).unwrap();
    v().extract_reader(&good_package()[..], parent.path().join("out"), fast())
        .unwrap();
    let mut left = left_in(parent.path());
    left.sort();
    let mut want = vec![
        "out".to_string(),
        live.file_name().unwrap().to_string_lossy().into_owned(),
        other.file_name().unwrap().to_string_lossy().into_owned(),
    ];
    want.sort();
    assert_eq!(left, want);
    assert!(Path::new("/etc").exists());
}

// ---- checking an installed tree ------------------------------------------------

#[test]
fn check_tree_reports_each_difference() {
    let parent = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("tool"), b"\x7fELF tool binary").unwrap();
    let bytes = good_package();
    let options = fast();
    type Change = fn(&Path, &Path);
    let cases: Vec<(&str, Change, Vec<TreeDifference>)> = vec![
        ("fresh", |_, _| {}, vec![]),
        (
            "modified, same size",
            |d, _| std::fs::write(d.join("bin/tool"), b"\x7fELF tool binarY").unwrap(),
            vec![TreeDifference::Modified {
                path: "bin/tool".into(),
                change: Modification::Digest {
                    expected: sha("\x7fELF tool binary"),
                    actual: sha("\x7fELF tool binarY"),
                },
            }],
        ),
        (
            "modified, longer",
            |d, _| std::fs::write(d.join("bin/tool"), b"\x7fELF tool binary!").unwrap(),
            vec![TreeDifference::Modified {
                path: "bin/tool".into(),
                change: Modification::Size {
                    expected: 16,
                    actual: 17,
                },
            }],
        ),
        (
            "missing",
            |d, _| std::fs::remove_file(d.join("config/defaults.json")).unwrap(),
            vec![TreeDifference::Missing {
                path: "config/defaults.json".into(),
            }],
        ),
        (
            "extra file and directory",
            |d, _| {
                std::fs::write(d.join("bin/extra"), b"x").unwrap();
                std::fs::create_dir(d.join("newdir")).unwrap();
            },
            vec![
                TreeDifference::Extra {
                    path: "bin/extra".into(),
                    what: "file",
                },
                TreeDifference::Extra {
                    path: "newdir".into(),
                    what: "directory",
                },
            ],
        ),
        (
            "chmod",
            |d, _| {
                std::fs::set_permissions(
                    d.join("scripts/post-install.sh"),
                    std::fs::Permissions::from_mode(0o777),
                )
                .unwrap()
            },
            vec![TreeDifference::ModeChanged {
                path: "scripts/post-install.sh".into(),
                expected: 0o755,
                actual: 0o777,
            }],
        ),
        (
            "a file replaced by a link to the same content outside",
            |d, o| {
                std::fs::remove_file(d.join("bin/tool")).unwrap();
                symlink(o.join("tool"), d.join("bin/tool")).unwrap();
            },
            vec![TreeDifference::Modified {
                path: "bin/tool".into(),
                change: Modification::NotAFile,
            }],
        ),
        (
            "a directory replaced by a link to a copy outside",
            |d, o| {
                std::fs::remove_dir_all(d.join("bin")).unwrap();
                symlink(o, d.join("bin")).unwrap();
            },
            vec![
                TreeDifference::Extra {
                    path: "bin".into(),
                    what: "other",
                },
                TreeDifference::Missing {
                    path: "bin/tool".into(),
                },
            ],
        ),
    ];
    for (what, change, want) in cases {
        let dir = parent.path().join(what.replace(' ', "-"));
        let p = v().extract_reader(&bytes[..], &dir, options).unwrap();
        change(&dir, outside.path());
        match (p.check_tree(&dir, options), want.is_empty()) {
            (Ok(()), true) => {}
            (Err(TreeError::Mismatch(m)), false) => assert_eq!(m.differences, want, "{what}"),
            (other, _) => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn check_tree_uses_the_same_mode_rule_as_extraction() {
    let files: Files = vec![("bin/su", b"s".to_vec(), Some(0o4755))];
    let bytes = package(&files, Compression::Deflated);
    let parent = tempfile::tempdir().unwrap();
    let kept = fast().keep_special_bits(true);
    let dir = parent.path().join("kept");
    let p = v().extract_reader(&bytes[..], &dir, kept).unwrap();
    p.check_tree(&dir, kept).unwrap();
    match p.check_tree(&dir, fast()) {
        Err(TreeError::Mismatch(m)) => assert_eq!(
            m.differences,
            [TreeDifference::ModeChanged {
                path: "bin/su".into(),
                expected: 0o755,
                actual: 0o4755
            }]
        ),
        other => panic!("{other:?}"),
    }
}

fn sha(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
