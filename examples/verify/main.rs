//! The example verifier: `verify [--trust POLICY] [--root FILE]...
//! [--intermediates FILE]... [--crl FILE]... [--tsa-root FILE]...
//! [--tsa-intermediates FILE]... [--at TIME] [--expect-name NAME]
//! [--min-version VERSION] [--json] [--quiet] [--list] [--deny-warnings]
//! [--extract DIR | --check-tree DIR] PACKAGE` (`verify --help` for all).
//!
//! PACKAGE is a path, or `-` for standard input; a path that is not a
//! regular file (a FIFO, a device, `<(...)`) is read as a stream too.
//! `--trust` reads a trust policy file (TOML, `docs/POLICY.md`); `--root`,
//! `--intermediates` and `--crl` add to what it trusts; `--expect-name` and
//! `--min-version` pin which package is acceptable.
//!
//! `--extract DIR` writes the verified payload into DIR, which must not
//! exist, from the bytes that were verified, in the same single read;
//! nothing remains unless the package verified. `--check-tree DIR` compares
//! an installed tree with the verified package's signed manifest.
//!
//! `--preflight INVENTORY` also says what the verified package will do to
//! the system the inventory describes (`docs/PREFLIGHT.md`).
//!
//! Exit status: 0 verified; 1 rejected (the package, the tree, or a warning
//! under `--deny-warnings`); 2 the caller's or the environment's problem
//! (bad arguments, an unreadable file, an unusable trust input, policy or
//! inventory, a failed write, including of this report to a closed pipe or
//! a full disk); 3 verified, but preflight found an error for this system
//! (nothing is extracted).
//! The status follows from the error's type. With `--json`, stdout is
//! exactly one JSON object on one line in every case (`docs/REPORT.md`),
//! whatever else is given; with `--quiet`, nothing is printed for a verdict,
//! and a caller's mistake is one line on stderr.
//!
//! Every string the human output takes from the package (names, subjects,
//! paths, messages) is printed through [`pkgverify::Escaped`], so a hostile
//! certificate name cannot rewrite what the terminal shows.

mod args;
mod human;
mod setup;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use pkgverify::{Escaped, ExtractError, InstallOptions, Report, Verifier};

use args::{Args, Usage};
use setup::{Clock, Input};

/// How the outcome is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Human,
    Json,
    Quiet,
}

fn main() -> ExitCode {
    // Known before the arguments are parsed, so that a parse error is
    // reported the way the caller asked: --json wins over --quiet.
    let has = |flag: &str| std::env::args().skip(1).any(|a| a == flag);
    let early = if has("--json") {
        Output::Json
    } else if has("--quiet") || has("-q") {
        Output::Quiet
    } else {
        Output::Human
    };
    let args = match Args::try_parse() {
        Ok(a) => a,
        // --help and --version: on stdout, exit 0 (2 if it cannot be written).
        Err(e) if !e.use_stderr() => return emit(&e.render().to_string(), ExitCode::SUCCESS),
        Err(e) => {
            // clap's words, on one line, without its usage block.
            let text = e.to_string();
            let message = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let message = message
                .strip_prefix("error: ")
                .unwrap_or(&message)
                .to_owned();
            return usage(early, Usage::Arguments(message));
        }
    };
    let output = if args.json {
        Output::Json
    } else if args.quiet {
        Output::Quiet
    } else {
        Output::Human
    };
    let (mut verifier, time, clock, input) = match setup::setup(&args) {
        Ok(v) => v,
        Err(u) => return usage(output, u),
    };
    verifier = verifier
        .warn_within_days(args.warn_days)
        .deny_warnings(args.deny_warnings);
    let watched = output == Output::Human && io::stderr().is_terminal();
    // A progress bar while hashing a large package, for a person watching;
    // a stream shows the bytes read instead.
    let bar = watched.then(|| match &input {
        Input::File(_) => human::progress_bar(human::HASHING),
        Input::Stream(_) => human::progress_bar(human::READING),
    });
    let input = match (input, &bar) {
        (Input::File(f), Some(bar)) => {
            verifier = verifier.with_progress(human::hashing(bar.clone()));
            Input::File(f)
        }
        (Input::Stream(s), Some(bar)) => Input::Stream(Box::new(bar.wrap_read(s))),
        (input, None) => input,
    };
    let options = InstallOptions::new()
        .keep_special_bits(args.keep_special_bits)
        .sync(!args.no_sync);
    let outcome = match &args.extract {
        Some(dir) => extract(&verifier, input, dir, options),
        None => Ok(match input {
            Input::File(file) => verifier.verify_file(&file),
            Input::Stream(stream) => verifier.verify_reader(stream),
        }),
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = match outcome {
        Ok(result) => result,
        // The package was not the problem: exit 2, nothing was extracted.
        Err(failure) => return usage(output, failure),
    };
    let mut report = Report::new(&result).with_verification_time(
        time,
        match clock {
            Clock::Clock => "clock",
            Clock::At => "at",
        },
    );
    if args.list {
        report = report.with_file_list(&result);
    }
    let blocked = report.preflight.as_ref().is_some_and(|p| !p.passed);
    if let (Some(dir), Ok(_), false) = (&args.extract, &result, blocked) {
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
    let status = match report.error.as_ref().map(|e| e.kind) {
        None if blocked => ExitCode::from(3),
        None => ExitCode::SUCCESS,
        Some("io") if result.is_ok() => ExitCode::from(2),
        Some(_) => ExitCode::from(1),
    };
    match output {
        Output::Json => emit(&format!("{}\n", report.to_json()), status),
        Output::Human => {
            let mut text = human::human(&report, dropped);
            if let (Some(dir), true) = (&args.extract, blocked) {
                text.push_str(&format!(
                    "nothing was extracted into \"{}\": preflight found an error\n",
                    Escaped(dir)
                ));
            }
            emit(&text, status)
        }
        Output::Quiet => status,
    }
}

/// Writes `text` to stdout and exits with `status`; a failed write (a
/// closed pipe, a full disk) is exit 2 with one line on stderr, never a
/// panic and never a verdict a pipeline could take for a whole report.
fn emit(text: &str, status: ExitCode) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => status,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "verify: cannot write the report to standard output: {e}"
            );
            ExitCode::from(2)
        }
    }
}

/// Verifies and extracts into `dir`. A rejected package is an ordinary
/// result (exit 1); an unusable `dir` or a failed write is the caller's or
/// the environment's problem (exit 2).
fn extract(
    verifier: &Verifier,
    input: Input,
    dir: &str,
    options: InstallOptions,
) -> Result<Result<pkgverify::VerifiedPackage, pkgverify::Rejection>, Usage> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        let extracted = match input {
            Input::File(file) => verifier.extract_file(&file, dir, options),
            Input::Stream(stream) => verifier.extract_reader(stream, dir, options),
        };
        match extracted {
            Ok(p) => Ok(Ok(p)),
            Err(ExtractError::Rejected(r)) => Ok(Err(r)),
            // Authentic, but preflight stopped it: reported as verified,
            // with its findings (exit 3); nothing was extracted.
            Err(ExtractError::Preflight(p)) => Ok(Ok(*p)),
            Err(e) => Err(Usage::Extract(e)),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (verifier, input, options);
        Err(Usage::Arguments(format!(
            "--extract {dir}: extraction needs RENAME_NOREPLACE (Linux, Android, macOS)"
        )))
    }
}

/// The caller's or the environment's problem: one JSON object with
/// `--json`; otherwise one line on stderr (also with `--quiet`), and the
/// usage line after an argument error.
fn usage(output: Output, mistake: Usage) -> ExitCode {
    let status = ExitCode::from(mistake.status());
    let message = mistake.message();
    if output == Output::Json {
        let text = format!("{}\n", Report::failure(mistake.kind(), message).to_json());
        return emit(&text, status);
    }
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "verify: {}", Escaped(&message));
    if output == Output::Human && matches!(mistake, Usage::Arguments(_)) {
        let _ = writeln!(err, "usage: verify [OPTIONS] PACKAGE   (verify --help for the options, exit codes and examples)");
    }
    status
}
