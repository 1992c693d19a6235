//! The example verifier: `verify [--trust POLICY] [--root FILE]...
//! [--intermediates FILE]... [--crl FILE]... [--tsa-root FILE]...
//! [--tsa-intermediates FILE]... [--at RFC3339]
//! [--expect-name NAME] [--min-version VERSION] [--json | --quiet] [--list]
//! [--extract DIR | --check-tree DIR] PACKAGE`.
//!
//! PACKAGE is a path, or `-` for standard input, verified in one pass as it
//! streams in. `--trust` reads a trust policy file (TOML, `docs/REPORT.md`);
//! `--root`, `--intermediates` and `--crl` add to what it trusts;
//! `--expect-name` and `--min-version` pin which package is acceptable (as
//! the policy's `[package]` does).
//!
//! `--extract DIR` writes the verified payload into DIR, which must not
//! exist, from the bytes that were verified, in the same single read;
//! nothing remains unless the package verified. `--check-tree DIR` compares
//! an installed tree with the verified package's signed manifest.
//!
//! Exit status: 0 verified (and extracted, or the tree matches); 1 the
//! package was rejected, or the tree differs (kind `tree_mismatch`); 2 the
//! caller's mistake or the environment's (bad arguments, unreadable package
//! path, an existing `--extract` DIR: kind `usage`; an unusable trust input
//! or policy: kinds `trust_input`, `policy_invalid`; a failed write: `io`).
//! The status follows from the error's type. With `--json`, stdout is
//! exactly one JSON object on one line in every case (`docs/REPORT.md`);
//! with `--quiet`, nothing is printed.
//!
//! Every string the human output takes from the package (names, subjects,
//! paths, messages) is printed through [`Escaped`], so a hostile certificate
//! name cannot rewrite what the terminal shows; the only line breaks are the
//! ones this program writes.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use clap::Parser;
use pkgverify::{
    Escaped, ExtractError, InstallOptions, LoadError, Policy, Report, TrustStore, UnixTime,
    Verifier, Version,
};

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    about = "Verify a signed upgrade package before anything in it runs"
)]
struct Args {
    /// Trust policy file (TOML): anchors with trust windows, intermediates,
    /// CRLs, signer rules, distrust list, threshold.
    #[arg(long = "trust", value_name = "POLICY")]
    trust: Option<String>,
    /// Trust anchor certificates (PEM or DER); repeatable; at least one
    /// unless --trust gives anchors.
    #[arg(long = "root", value_name = "FILE")]
    roots: Vec<String>,
    /// Vendor intermediates for path building, e.g. an advisory or cross-signed chain; repeatable.
    #[arg(long = "intermediates", value_name = "FILE")]
    intermediates: Vec<String>,
    /// Certificate revocation lists (PEM or DER); repeatable.
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<String>,
    /// Time-stamping authority anchors (PEM or DER), a trust store of their
    /// own: a signature timestamped by one is judged at its time; repeatable.
    #[arg(long = "tsa-root", value_name = "FILE")]
    tsa_roots: Vec<String>,
    /// Intermediates for the time-stamping authorities' chains; repeatable.
    #[arg(long = "tsa-intermediates", value_name = "FILE")]
    tsa_intermediates: Vec<String>,
    /// Verification time, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Print one JSON object instead of a human summary.
    #[arg(long, conflicts_with = "quiet")]
    json: bool,
    /// Print nothing; only the exit status tells.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Add every payload file (path, size, sha256, mode) to the report.
    #[arg(long)]
    list: bool,
    /// Refuse a package with another name (the manifest's package.name).
    #[arg(long = "expect-name", value_name = "NAME")]
    expect_name: Option<String>,
    /// Refuse a package older than VERSION (SemVer 2.0): the anti-rollback floor.
    #[arg(long = "min-version", value_name = "VERSION")]
    min_version: Option<String>,
    /// Extract the verified payload into DIR (which must not exist; its parent must).
    #[arg(long, value_name = "DIR", conflicts_with = "check_tree")]
    extract: Option<String>,
    /// Compare the installed tree DIR with the verified package's manifest.
    #[arg(long = "check-tree", value_name = "DIR")]
    check_tree: Option<String>,
    /// Keep the setuid, setgid and sticky bits a manifest asks for (dropped by default).
    #[arg(long = "keep-special-bits")]
    keep_special_bits: bool,
    /// With --extract: do not flush files to disk before the final rename
    /// (faster; a crash soon after may leave partial files).
    #[arg(long = "no-sync", requires = "extract")]
    no_sync: bool,
    /// The package file, or - for standard input.
    #[arg(value_name = "PACKAGE")]
    package: String,
}

/// Not the package's fault: the caller's mistake or the environment's;
/// exit 2, with the kind of the error's type (except an extraction whose
/// staging directory could not be removed after a rejection: exit 1).
enum Usage {
    /// Bad arguments, an unreadable package path (kind `usage`).
    Arguments(String),
    /// A trust input or policy that cannot be loaded (its own kind).
    Load(LoadError),
    /// An unusable target directory (`usage`), a failed write (`io`).
    Extract(ExtractError),
}

impl Usage {
    fn kind(&self) -> &'static str {
        match self {
            Self::Arguments(_) => "usage",
            Self::Load(e) => e.kind(),
            Self::Extract(e) => e.kind(),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Arguments(m) => m.clone(),
            Self::Load(e) => e.to_string(),
            Self::Extract(e) => e.to_string(),
        }
    }

    fn status(&self) -> u8 {
        match self {
            Self::Extract(e) if e.rejection().is_some() => 1,
            _ => 2,
        }
    }
}

/// How the outcome is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Human,
    Json,
    Quiet,
}

fn main() -> ExitCode {
    let has = |flag: &str| std::env::args().any(|a| a == flag);
    let early = if has("--quiet") || has("-q") {
        Output::Quiet
    } else if has("--json") {
        Output::Json
    } else {
        Output::Human
    };
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) if early == Output::Human || !e.use_stderr() => e.exit(),
        Err(e) => return usage(early, Usage::Arguments(e.to_string().trim().to_owned())),
    };
    let output = if args.quiet {
        Output::Quiet
    } else if args.json {
        Output::Json
    } else {
        Output::Human
    };
    let (mut verifier, package) = match setup(&args) {
        Ok(v) => v,
        Err(u) => return usage(output, u),
    };
    // A progress bar while hashing a large package, for a person watching.
    let drawn = Arc::new(AtomicBool::new(false));
    if output == Output::Human && package.is_some() && io::stderr().is_terminal() {
        verifier = verifier.with_progress(progress_bar(Arc::clone(&drawn)));
    }
    let options = InstallOptions::new()
        .keep_special_bits(args.keep_special_bits)
        .sync(!args.no_sync);
    let outcome = match &args.extract {
        Some(dir) => extract(&verifier, package.as_ref(), dir, options),
        None => Ok(match &package {
            Some(file) => verifier.verify_file(file),
            None => verifier.verify_reader(io::stdin().lock()),
        }),
    };
    if drawn.load(Ordering::Relaxed) {
        eprint!("\r\x1b[2K");
    }
    let result = match outcome {
        Ok(result) => result,
        // The package was not the problem: exit 2, nothing was extracted.
        Err(failure) => return usage(output, failure),
    };
    let mut report = Report::new(&result);
    if args.list {
        report = report.with_file_list(&result);
    }
    if let (Some(dir), Ok(_)) = (&args.extract, &result) {
        report = report.with_extracted(dir);
    }
    if let (Some(dir), Ok(p)) = (&args.check_tree, &result) {
        report = report.with_tree(dir, &p.check_tree(dir, options));
    }
    let dropped = match &result {
        Ok(p) => p
            .manifest()
            .files()
            .iter()
            .filter(|f| options.drops_special_bits(f))
            .count(),
        Err(_) => 0,
    };
    match output {
        Output::Json => println!("{}", report.to_json()),
        Output::Human => print_human(&report, dropped),
        Output::Quiet => {}
    }
    match report.error.as_ref().map(|e| e.kind) {
        None => ExitCode::SUCCESS,
        Some("io") if result.is_ok() => ExitCode::from(2),
        Some(_) => ExitCode::from(1),
    }
}

/// Verifies and extracts into `dir`. A rejected package is an ordinary
/// result (exit 1); an unusable `dir` or a failed write is the caller's or
/// the environment's problem (exit 2).
fn extract(
    verifier: &Verifier,
    package: Option<&File>,
    dir: &str,
    options: InstallOptions,
) -> Result<Result<pkgverify::VerifiedPackage, pkgverify::Rejection>, Usage> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        let extracted = match package {
            Some(file) => verifier.extract_file(file, dir, options),
            None => verifier.extract_reader(io::stdin().lock(), dir, options),
        };
        match extracted {
            Ok(p) => Ok(Ok(p)),
            Err(ExtractError::Rejected(r)) => Ok(Err(r)),
            Err(e) => Err(Usage::Extract(e)),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (verifier, package, options);
        Err(Usage::Arguments(format!(
            "--extract {dir}: extraction needs RENAME_NOREPLACE (Linux, Android, macOS)"
        )))
    }
}

/// The verifier, and the package file (`None`: standard input).
fn setup(args: &Args) -> Result<(Verifier, Option<File>), Usage> {
    if args.roots.is_empty() && args.trust.is_none() {
        return Err(Usage::Arguments(
            "at least one --root FILE (or a --trust POLICY) is required".into(),
        ));
    }
    let (mut policy, mut trust) = match &args.trust {
        Some(file) => Policy::load(file).map_err(Usage::Load)?,
        None => (Policy::new(), TrustStore::new()),
    };
    if let Some(name) = &args.expect_name {
        match policy.expected_name() {
            Some(other) if other != name => {
                return Err(Usage::Arguments(format!(
                    "--expect-name \"{name}\" contradicts the trust policy's [package] name \"{other}\""
                )))
            }
            _ => policy = policy.expect_name(name.as_str()),
        }
    }
    if let Some(v) = &args.min_version {
        let minimum = Version::parse(v).map_err(|e| {
            Usage::Arguments(format!(
                "--min-version \"{v}\" is not a SemVer 2.0 version ({e})"
            ))
        })?;
        // With a policy minimum too, the higher one holds.
        let higher = match policy.minimum_version() {
            Some(p) if p.cmp_precedence(&minimum).is_gt() => p.clone(),
            _ => minimum,
        };
        policy = policy.min_version(higher);
    }
    for r in &args.roots {
        trust.load_anchors(r).map_err(Usage::Load)?;
    }
    for i in &args.intermediates {
        trust.load_intermediates(i).map_err(Usage::Load)?;
    }
    let mut tsa = policy.tsa_trust().clone();
    for r in &args.tsa_roots {
        tsa.load_anchors(r).map_err(Usage::Load)?;
    }
    for i in &args.tsa_intermediates {
        tsa.load_intermediates(i).map_err(Usage::Load)?;
    }
    for c in &args.crls {
        trust.load_crls(c).map_err(Usage::Load)?;
        tsa.load_crls(c).map_err(Usage::Load)?;
    }
    policy = policy.timestamp_authorities(tsa);
    let time = match &args.at {
        Some(at) => pkgverify::parse_rfc3339(at)
            .ok_or_else(|| Usage::Arguments(format!("--at \"{at}\" is not an RFC 3339 time")))?,
        None => UnixTime::now(),
    };
    let package = if args.package == "-" {
        None
    } else {
        let file = File::open(&args.package).map_err(|e| {
            Usage::Arguments(format!("cannot open package \"{}\": {e}", args.package))
        })?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Usage::Arguments(format!(
                "package \"{}\" is a directory",
                args.package
            )));
        }
        Some(file)
    };
    Ok((Verifier::new(trust, time).with_policy(policy), package))
}

/// Payloads from this size on get a progress bar.
const LARGE: u64 = 16 << 20;

/// Draws `hashing [#####-----]  40% of 512 MiB` on stderr, once per percent.
fn progress_bar(drawn: Arc<AtomicBool>) -> impl Fn(u64, u64) + Send + Sync + 'static {
    let last = AtomicU64::new(u64::MAX);
    move |done, total| {
        if total < LARGE {
            return;
        }
        let percent = done.saturating_mul(100) / total;
        if last.swap(percent, Ordering::Relaxed) == percent {
            return;
        }
        let filled = usize::try_from(percent / 4).unwrap_or(25).min(25);
        let mut err = io::stderr().lock();
        let _ = write!(
            err,
            "\r  hashing [{}{}] {percent:>3}% of {} MiB",
            "#".repeat(filled),
            "-".repeat(25 - filled),
            total >> 20
        );
        let _ = err.flush();
        drawn.store(true, Ordering::Relaxed);
    }
}

fn usage(output: Output, mistake: Usage) -> ExitCode {
    let message = mistake.message();
    match output {
        Output::Json => println!("{}", Report::failure(mistake.kind(), message).to_json()),
        Output::Human => {
            eprintln!("verify: {}", Escaped(&message));
            if matches!(mistake, Usage::Arguments(_)) {
                eprintln!("usage: verify [--trust POLICY] [--root FILE]... [--intermediates FILE]... [--crl FILE]... [--tsa-root FILE]... [--tsa-intermediates FILE]... [--at RFC3339] [--expect-name NAME] [--min-version VERSION] [--json | --quiet] [--list] [--extract DIR | --check-tree DIR] PACKAGE");
            }
        }
        Output::Quiet => {}
    }
    ExitCode::from(mistake.status())
}

/// The report for a person. Every string in it that a package could have
/// written goes through [`Escaped`]; kinds, algorithms, serials, dates,
/// digests and numbers are the library's own text.
fn print_human(report: &Report, dropped: usize) {
    let package_verified = report.manifest_sha256.is_some();
    match (&report.package, package_verified) {
        (Some(p), true) => println!("VERIFIED  {} {}", Escaped(&p.name), Escaped(&p.version)),
        (Some(p), false) => println!("REJECTED  {} {}", Escaped(&p.name), Escaped(&p.version)),
        (None, _) => println!("REJECTED"),
    }
    if let Some(sha256) = &report.manifest_sha256 {
        println!("  manifest sha256 {sha256}");
    }
    print_metadata(report);
    for s in &report.signatures {
        let status = match s.status {
            "invalid" => "INVALID",
            other => other,
        };
        let alg = s.algorithm.map(|a| format!(" ({a})")).unwrap_or_default();
        println!("  signature \"{}\"{alg}: {status}", Escaped(&s.name));
        if let Some(signer) = &s.signer {
            println!("    signer:  {}", Escaped(&signer.subject));
            println!("    issuer:  {}", Escaped(&signer.issuer));
            println!(
                "    serial {}, valid {} to {}",
                signer.serial, signer.not_before, signer.not_after
            );
        }
        if let Some(t) = &s.timestamp {
            let by = t
                .tsa
                .as_ref()
                .map(|c| format!(" by {}", Escaped(&c.subject)))
                .unwrap_or_default();
            let accuracy = match t.accuracy_micros {
                0 => String::new(),
                us => format!(" (accuracy {} s)", us as f64 / 1e6),
            };
            println!("    timestamp: {} {}{accuracy}{by}", t.status, t.time);
            match &t.problem {
                Some(p) => println!(
                    "      [{}] {}; the signer was judged at the verification time",
                    p.kind,
                    Escaped(&p.message)
                ),
                None => println!("      the signer was judged at that time"),
            }
        }
        if !s.chain.is_empty() {
            let chain: Vec<String> = s.chain.iter().map(|c| Escaped(c).to_string()).collect();
            println!("    chain:   {}", chain.join("\n          -> "));
        }
        if let Some(p) = &s.problem {
            // Explanations are clauses joined by "; ": one per line reads better.
            println!(
                "    problem: [{}] {}",
                p.kind,
                Escaped(&p.message)
                    .to_string()
                    .replace("; ", ";\n             ")
            );
        }
    }
    if package_verified {
        println!(
            "  {} files, {} bytes: every digest, size and mode matches the signed manifest",
            report.files, report.bytes
        );
    }
    if let Some(dir) = &report.extracted_to {
        println!(
            "  extracted to \"{}\": {} files, modes as signed",
            Escaped(dir),
            report.files
        );
    }
    if dropped > 0 {
        println!("  setuid/setgid/sticky bits dropped from {dropped} file(s): --keep-special-bits keeps them");
    }
    if let Some(tree) = &report.tree {
        if tree.matches {
            println!(
                "  tree \"{}\" matches the signed manifest: {} files, nothing else",
                Escaped(&tree.dir),
                report.files
            );
        } else {
            println!(
                "TREE DIFFERS  \"{}\": {} difference(s) from the signed manifest",
                Escaped(&tree.dir),
                tree.differences.len()
            );
            for d in &tree.differences {
                println!("  {:<12} {}", d.kind, Escaped(&d.message));
            }
        }
    }
    for f in report.file_list.iter().flatten() {
        let mode = f
            .mode
            .map(|m| format!("{m:04o}"))
            .unwrap_or_else(|| "----".into());
        println!("  {mode} {:>12} {} {}", f.size, f.sha256, Escaped(&f.path));
    }
    if let Some(e) = &report.error {
        let shown = e.kind == "tree_mismatch"
            || report
                .signatures
                .iter()
                .any(|s| s.problem.as_ref() == Some(e));
        if !shown {
            println!("error [{}]: {}", e.kind, Escaped(&e.message));
        }
    }
}

/// Metadata values longer than this are cut (the whole is in `--json`).
const METADATA_WIDTH: usize = 160;

/// The signed metadata an operator acts on: `requires` and `reboot` first,
/// then every other top-level key, one compact JSON value per line.
fn print_metadata(report: &Report) {
    let Some(metadata) = &report.metadata else {
        return;
    };
    let first = ["requires", "reboot"];
    let keys = first
        .iter()
        .filter(|k| metadata.contains_key(**k))
        .map(|k| (*k).to_owned())
        .chain(
            metadata
                .keys()
                .filter(|k| !first.contains(&k.as_str()))
                .cloned(),
        );
    for key in keys {
        let Some(value) = metadata.get(&key) else {
            continue;
        };
        let text = value.to_string();
        let shown = match text.char_indices().nth(METADATA_WIDTH) {
            Some((cut, _)) => format!(
                "{}... ({} bytes; --json has it all)",
                text.get(..cut).unwrap_or_default(),
                text.len()
            ),
            None => text,
        };
        println!("  {}: {}", Escaped(&key), Escaped(&shown));
    }
}
