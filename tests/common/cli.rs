//! Running the example binaries as processes, for the tests of their
//! command lines (tests/cli.rs, tests/install_cli.rs).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use serde_json::Value;

use super::repo;

// ---- running the examples --------------------------------------------------

/// Path of an example binary next to this test's binary
/// (target/debug/deps/cli-HASH -> target/debug/examples/NAME).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary is in target/<profile>/deps");
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "example binary {} is missing: run `cargo test` (which builds the examples) \
             or `cargo build --examples` before `cargo test --test cli`",
                bin.display()
            )
        });
    // An example is examples/NAME.rs or examples/NAME/.
    let single = repo().join(format!("examples/{name}.rs"));
    let source = if single.exists() {
        single
    } else {
        repo().join(format!("examples/{name}"))
    };
    let newest_source = newest_mtime(&repo().join("src")).max(newest_mtime(&source));
    assert!(
        built >= newest_source,
        "example binary {} is older than its sources: run `cargo build --examples` \
         (or the whole `cargo test`)",
        bin.display()
    );
    bin
}

fn newest_mtime(path: &Path) -> SystemTime {
    let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut newest = meta.modified().unwrap();
    if meta.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            newest = newest.max(newest_mtime(&entry.unwrap().path()));
        }
    }
    newest
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs an example in the repository root (so `testdata/...` paths work).
pub fn run(name: &str, args: &[String], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .current_dir(repo())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out
            .status
            .code()
            .unwrap_or_else(|| panic!("{name} was killed: {:?}", out.status)),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub fn verify(args: &[String]) -> Output {
    run("verify", args, None)
}

pub fn sign(args: &[String]) -> Output {
    run("sign", args, None)
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

pub fn p(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

/// stdout must be exactly one JSON object on one line.
#[track_caller]
pub fn json(out: &Output) -> Value {
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "expected one line of JSON: {out:?}"
    );
    let v: Value = serde_json::from_str(out.stdout.trim_end())
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {out:?}"));
    assert!(v.is_object(), "not a JSON object: {out:?}");
    let errors = schema_errors(&v);
    assert!(
        errors.is_empty(),
        "the report does not match docs/report.schema.json: {}\n{out:?}",
        errors.join("\n")
    );
    v
}

/// Where `report` breaks docs/report.schema.json, by the `jsonschema`
/// crate (compiled once per test binary, with no network access).
pub fn schema_errors(report: &Value) -> Vec<String> {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: Value =
            serde_json::from_slice(&fs::read(repo().join("docs/report.schema.json")).unwrap())
                .unwrap();
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("docs/report.schema.json is not a valid schema: {e}"))
    });
    validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

pub fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// The bundled demo package.
pub const DEMO: &str = "testdata/Full-upgrade-package-dten.zip";

/// The demo's trust arguments (root G1 with the advisory chain, at
/// `common::AT`), then `extra`, then the package.
pub fn demo(extra: &[&str], package: &str) -> Vec<String> {
    let mut a = strings(&[
        "--root",
        "testdata/pki/root-g1.pem",
        "--intermediates",
        "testdata/pki/advisory-chain.pem",
        "--at",
        super::AT,
    ]);
    a.extend(strings(extra));
    a.push(package.into());
    a
}
