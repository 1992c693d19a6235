//! The example verifier: `verify [--trust POLICY] [--root FILE]...
//! [--intermediates FILE]... [--crl FILE]... [--at RFC3339] [--json | --quiet]
//! [--list] PACKAGE`.
//!
//! PACKAGE is a path, or `-` for standard input, verified in one pass as it
//! streams in (nothing is written anywhere). `--trust` reads a trust policy
//! file (TOML, `docs/REPORT.md`); `--root`, `--intermediates` and `--crl` add
//! to what it trusts.
//!
//! Exit status: 0 verified; 1 the package was rejected; 2 the caller's
//! mistake (bad arguments, unreadable package path: kind `usage`; an
//! unusable trust input or policy: kinds `trust_input`, `policy_invalid`).
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
use pkgverify::{Escaped, LoadError, Policy, Report, TrustStore, UnixTime, Verifier};

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
    /// The package file, or - for standard input.
    #[arg(value_name = "PACKAGE")]
    package: String,
}

/// The caller's mistake: exit 2, with the kind of the error's type.
enum Usage {
    /// Bad arguments, an unreadable package path (kind `usage`).
    Arguments(String),
    /// A trust input or policy that cannot be loaded (its own kind).
    Load(LoadError),
}

impl Usage {
    fn kind(&self) -> &'static str {
        match self {
            Self::Arguments(_) => "usage",
            Self::Load(e) => e.kind(),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Arguments(m) => m.clone(),
            Self::Load(e) => e.to_string(),
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
    let result = match &package {
        Some(file) => verifier.verify_file(file),
        None => verifier.verify_reader(io::stdin().lock()),
    };
    if drawn.load(Ordering::Relaxed) {
        eprint!("\r\x1b[2K");
    }
    let mut report = Report::new(&result);
    if args.list {
        report = report.with_file_list(&result);
    }
    match output {
        Output::Json => println!("{}", report.to_json()),
        Output::Human => print_human(&report),
        Output::Quiet => {}
    }
    if report.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The verifier, and the package file (`None`: standard input).
fn setup(args: &Args) -> Result<(Verifier, Option<File>), Usage> {
    if args.roots.is_empty() && args.trust.is_none() {
        return Err(Usage::Arguments(
            "at least one --root FILE (or a --trust POLICY) is required".into(),
        ));
    }
    let (policy, mut trust) = match &args.trust {
        Some(file) => Policy::load(file).map_err(Usage::Load)?,
        None => (Policy::new(), TrustStore::new()),
    };
    for r in &args.roots {
        trust.load_anchors(r).map_err(Usage::Load)?;
    }
    for i in &args.intermediates {
        trust.load_intermediates(i).map_err(Usage::Load)?;
    }
    for c in &args.crls {
        trust.load_crls(c).map_err(Usage::Load)?;
    }
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
            eprintln!("usage: verify [--trust POLICY] [--root FILE]... [--intermediates FILE]... [--crl FILE]... [--at RFC3339] [--json | --quiet] [--list] PACKAGE");
        }
        Output::Quiet => {}
    }
    ExitCode::from(2)
}

/// The report for a person. Every string in it that a package could have
/// written goes through [`Escaped`]; kinds, algorithms, serials, dates,
/// digests and numbers are the library's own text.
fn print_human(report: &Report) {
    match (&report.package, report.verified) {
        (Some(p), true) => println!("VERIFIED  {} {}", Escaped(&p.name), Escaped(&p.version)),
        (Some(p), false) => println!("REJECTED  {} {}", Escaped(&p.name), Escaped(&p.version)),
        (None, _) => println!("REJECTED"),
    }
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
    if report.verified {
        println!(
            "  {} files, {} bytes: every digest, size and mode matches the signed manifest",
            report.files, report.bytes
        );
    }
    for f in report.file_list.iter().flatten() {
        let mode = f
            .mode
            .map(|m| format!("{m:04o}"))
            .unwrap_or_else(|| "----".into());
        println!("  {mode} {:>12} {} {}", f.size, f.sha256, Escaped(&f.path));
    }
    if let Some(e) = &report.error {
        let shown = report
            .signatures
            .iter()
            .any(|s| s.problem.as_ref() == Some(e));
        if !shown {
            println!("error [{}]: {}", e.kind, Escaped(&e.message));
        }
    }
}
