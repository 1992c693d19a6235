//! The example verifier: `verify [--root FILE]... [--intermediates FILE]...
//! [--crl FILE]... [--at RFC3339] [--json] PACKAGE`.
//!
//! PACKAGE is a path, or `-` for standard input, verified in one pass as it
//! streams in (nothing is written anywhere).
//!
//! Exit status: 0 verified; 1 the package was rejected; 2 the caller's
//! mistake (bad arguments, unreadable package path, unusable trust input).
//! With `--json`, stdout is exactly one JSON object in every case.

use std::fs::File;
use std::io;
use std::process::ExitCode;

use clap::Parser;
use pkgverify::{Report, SignatureStatus, TrustStore, UnixTime, Verifier};

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    about = "Verify a signed upgrade package before anything in it runs"
)]
struct Args {
    /// Trust anchor certificates (PEM or DER); repeatable; at least one.
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
    #[arg(long)]
    json: bool,
    /// The package file, or - for standard input.
    #[arg(value_name = "PACKAGE")]
    package: String,
}

/// The caller's mistake: exit 2.
struct Usage(String);

fn main() -> ExitCode {
    let json = std::env::args().any(|a| a == "--json");
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) if !json || !e.use_stderr() => e.exit(),
        Err(e) => return usage(true, Usage(e.to_string().trim().to_owned())),
    };
    let (verifier, package) = match setup(&args) {
        Ok(v) => v,
        Err(u) => return usage(args.json, u),
    };
    let result = match &package {
        Some(file) => verifier.verify_file(file),
        None => verifier.verify_reader(io::stdin().lock()),
    };
    let report = Report::new(&result);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print_human(&report);
    }
    if report.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The verifier, and the package file (`None`: standard input).
fn setup(args: &Args) -> Result<(Verifier, Option<File>), Usage> {
    if args.roots.is_empty() {
        return Err(Usage("at least one --root FILE is required".into()));
    }
    let mut trust = TrustStore::new();
    for r in &args.roots {
        trust.load_anchors(r).map_err(|e| Usage(e.to_string()))?;
    }
    for i in &args.intermediates {
        trust
            .load_intermediates(i)
            .map_err(|e| Usage(e.to_string()))?;
    }
    for c in &args.crls {
        trust.load_crls(c).map_err(|e| Usage(e.to_string()))?;
    }
    let time = match &args.at {
        Some(at) => pkgverify::parse_rfc3339(at)
            .ok_or_else(|| Usage(format!("--at {at:?} is not an RFC 3339 time")))?,
        None => UnixTime::now(),
    };
    let package = if args.package == "-" {
        None
    } else {
        let file = File::open(&args.package)
            .map_err(|e| Usage(format!("cannot open package {:?}: {e}", args.package)))?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Usage(format!("package {:?} is a directory", args.package)));
        }
        Some(file)
    };
    Ok((Verifier::new(trust, time), package))
}

fn usage(json: bool, Usage(message): Usage) -> ExitCode {
    if json {
        println!("{}", Report::failure("usage", message).to_json());
    } else {
        eprintln!("verify: {message}");
        eprintln!("usage: verify [--root FILE]... [--intermediates FILE]... [--crl FILE]... [--at RFC3339] [--json] PACKAGE");
    }
    ExitCode::from(2)
}

fn print_human(report: &Report) {
    match (&report.package, report.verified) {
        (Some(p), true) => println!("VERIFIED  {} {}", p.name, p.version),
        (Some(p), false) => println!("REJECTED  {} {}", p.name, p.version),
        (None, _) => println!("REJECTED"),
    }
    for s in &report.signatures {
        let status = match s.status {
            SignatureStatus::Trusted => "trusted",
            SignatureStatus::Untrusted => "untrusted",
            SignatureStatus::Invalid => "INVALID",
        };
        let alg = s.algorithm.map(|a| format!(" ({a})")).unwrap_or_default();
        println!("  signature {:?}{alg}: {status}", s.name);
        if let Some(signer) = &s.signer {
            println!("    signer:  {}", signer.subject);
            println!("    issuer:  {}", signer.issuer);
            println!(
                "    serial {}, valid {} to {}",
                signer.serial, signer.not_before, signer.not_after
            );
        }
        if !s.chain.is_empty() {
            println!("    chain:   {}", s.chain.join("\n          -> "));
        }
        if let Some(p) = &s.problem {
            // Explanations are clauses joined by "; ": one per line reads better.
            println!(
                "    problem: [{}] {}",
                p.kind,
                p.message.replace("; ", ";\n             ")
            );
        }
    }
    if report.verified {
        println!(
            "  {} files, {} bytes: every digest, size and mode matches the signed manifest",
            report.files, report.bytes
        );
    }
    if let Some(e) = &report.error {
        let shown = report
            .signatures
            .iter()
            .any(|s| s.problem.as_ref() == Some(e));
        if !shown {
            println!("error [{}]: {}", e.kind, e.message);
        }
    }
}
