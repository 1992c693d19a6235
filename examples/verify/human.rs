//! The human output: the verdict, each signature, the package's signed
//! metadata, for a person at a terminal. Every string in it that a package
//! could have written goes through [`Escaped`].

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pkgverify::{Escaped, Report};

/// One line into a `String` (writing to a `String` cannot fail).
macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The report for a person. Every string in it that a package could have
/// written goes through [`Escaped`]; kinds, algorithms, serials, dates,
/// digests and numbers are the library's own text.
pub(crate) fn human(report: &Report, dropped: usize) -> String {
    let mut out = String::new();
    let package_verified = report.manifest_sha256.is_some();
    match (&report.package, package_verified) {
        (Some(p), true) => line!(
            out,
            "VERIFIED  {} {}",
            Escaped(&p.name),
            Escaped(&p.version)
        ),
        (Some(p), false) => line!(
            out,
            "REJECTED  {} {}",
            Escaped(&p.name),
            Escaped(&p.version)
        ),
        (None, _) => line!(out, "REJECTED"),
    }
    if let Some(t) = &report.verification_time {
        let from = match t.source {
            "at" => "given with --at",
            _ => "the system clock",
        };
        line!(out, "  verification time {} ({from})", t.time);
    }
    if let Some(sha256) = &report.manifest_sha256 {
        line!(out, "  manifest sha256 {sha256}");
    }
    metadata(&mut out, report);
    for s in &report.signatures {
        let status = match s.status {
            "invalid" => "INVALID",
            other => other,
        };
        let alg = s.algorithm.map(|a| format!(" ({a})")).unwrap_or_default();
        line!(out, "  signature \"{}\"{alg}: {status}", Escaped(&s.name));
        if let Some(signer) = &s.signer {
            line!(out, "    signer:  {}", Escaped(&signer.subject));
            line!(out, "    issuer:  {}", Escaped(&signer.issuer));
            line!(
                out,
                "    serial {}, valid {} to {}",
                signer.serial,
                signer.not_before,
                signer.not_after
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
            line!(out, "    timestamp: {} {}{accuracy}{by}", t.status, t.time);
            match &t.problem {
                Some(p) => line!(
                    out,
                    "      [{}] {}; the signer was judged at the verification time",
                    p.kind,
                    Escaped(&p.message)
                ),
                None => line!(out, "      the signer was judged at that time"),
            }
        }
        if !s.chain.is_empty() {
            let chain: Vec<String> = s.chain.iter().map(|c| Escaped(c).to_string()).collect();
            line!(out, "    chain:   {}", chain.join("\n          -> "));
        }
        if let Some(p) = &s.problem {
            // Explanations are clauses joined by "; ": one per line reads better.
            line!(
                out,
                "    problem: [{}] {}",
                p.kind,
                Escaped(&p.message)
                    .to_string()
                    .replace("; ", ";\n             ")
            );
        }
    }
    if package_verified {
        line!(
            out,
            "  {} files, {} bytes: every digest, size and mode matches the signed manifest",
            report.files,
            report.bytes
        );
    }
    if let Some(dir) = &report.extracted_to {
        line!(
            out,
            "  extracted to \"{}\": {} files, modes as signed",
            Escaped(dir),
            report.files
        );
    }
    if dropped > 0 {
        line!(out, "  setuid/setgid/sticky bits dropped from {dropped} file(s): --keep-special-bits keeps them");
    }
    if let Some(tree) = &report.tree {
        if tree.matches {
            line!(
                out,
                "  tree \"{}\" matches the signed manifest: {} files, nothing else",
                Escaped(&tree.dir),
                report.files
            );
        } else {
            line!(
                out,
                "TREE DIFFERS  \"{}\": {} difference(s) from the signed manifest",
                Escaped(&tree.dir),
                tree.differences.len()
            );
            for d in &tree.differences {
                line!(out, "  {:<12} {}", d.kind, Escaped(&d.message));
            }
        }
    }
    for f in report.file_list.iter().flatten() {
        let mode = f
            .mode
            .map(|m| format!("{m:04o}"))
            .unwrap_or_else(|| "----".into());
        line!(
            out,
            "  {mode} {:>12} {} {}",
            f.size,
            f.sha256,
            Escaped(&f.path)
        );
    }
    preflight(&mut out, report);
    if !report.warnings.is_empty() {
        line!(out, "warnings:");
        for w in &report.warnings {
            line!(out, "  [{}] {}", w.code, Escaped(&w.message));
        }
    }
    if let Some(e) = &report.error {
        let shown = e.kind == "tree_mismatch"
            || e.kind == "warnings_denied"
            || report
                .signatures
                .iter()
                .any(|s| s.problem.as_ref() == Some(e));
        if !shown {
            line!(out, "error [{}]: {}", e.kind, Escaped(&e.message));
        }
    }
    out
}

/// The preflight section, grouped by severity: errors, warnings, infos.
fn preflight(out: &mut String, report: &Report) {
    let Some(p) = &report.preflight else {
        return;
    };
    let count = |severity: &str| p.findings.iter().filter(|f| f.severity == severity).count();
    let (errors, warnings, infos) = (count("error"), count("warning"), count("info"));
    if p.passed {
        line!(
            out,
            "PREFLIGHT PASSED  no error for this system ({warnings} warning(s), {infos} note(s))"
        );
    } else {
        line!(
            out,
            "PREFLIGHT FAILED  {errors} error(s) for this system: the package is authentic, it is not safe to install here"
        );
    }
    for (severity, title) in [
        ("error", "errors"),
        ("warning", "warnings"),
        ("info", "notes"),
    ] {
        let mut group = p
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .peekable();
        if group.peek().is_none() {
            continue;
        }
        line!(out, "  preflight {title}:");
        for f in group {
            let at = match (&f.path, f.line) {
                (Some(path), Some(line)) => format!(" {}:{line}", Escaped(path)),
                (Some(path), None) => format!(" {}", Escaped(path)),
                _ => String::new(),
            };
            line!(out, "    [{}]{at} {}", f.code, Escaped(&f.message));
        }
    }
}

/// Metadata values longer than this are cut (the whole is in `--json`).
const METADATA_WIDTH: usize = 160;

/// The signed metadata an operator acts on: `requires` and `reboot` first,
/// then every other top-level key, one compact JSON value per line.
fn metadata(out: &mut String, report: &Report) {
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
        line!(out, "  {}: {}", Escaped(&key), Escaped(&shown));
    }
}

/// Payloads from this size on get a progress bar.
const LARGE: u64 = 16 << 20;

/// A progress bar on stderr, drawn by indicatif only when stderr is a
/// terminal; nothing is drawn until the first update.
pub(crate) fn progress_bar(template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#-");
    bar.set_style(style);
    bar
}

/// `hashing [#####-----]  40% of 512.00 MiB`, for a payload of at least
/// [`LARGE`] bytes: the verifier's progress callback.
pub(crate) fn hashing(bar: ProgressBar) -> impl Fn(u64, u64) + Send + Sync + 'static {
    move |done, total| {
        if total < LARGE {
            return;
        }
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_position(done);
    }
}

/// The bar's template while hashing a file.
pub(crate) const HASHING: &str = "  hashing [{bar:25}] {percent:>3}% of {total_bytes}";
/// The bar's template while reading a stream (its length is unknown).
pub(crate) const READING: &str = "  reading {bytes} ({bytes_per_sec})";
