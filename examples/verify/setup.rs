//! From the command line to a verifier and an input: the trust store and
//! policy, the verification time, the package (a seekable file, or a stream).

use std::fs::File;
use std::io::{self, Read};

use pkgverify::{Inventory, Policy, TrustStore, UnixTime, Verifier, Version};

use crate::args::{Args, Usage};

/// Where the package comes from.
pub(crate) enum Input {
    /// A regular file: read with positioned reads, hashed on every core.
    File(File),
    /// A stream (standard input, a FIFO, a device, `<(...)`): read once, in order.
    Stream(Box<dyn Read>),
}

/// Where the verification time came from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// The system clock.
    Clock,
    /// `--at`.
    At,
}

/// The verifier, the verification time and its source, and the input.
pub(crate) fn setup(args: &Args) -> Result<(Verifier, UnixTime, Clock, Input), Usage> {
    if args.roots.is_empty() && args.trust.is_none() {
        return Err(Usage::Arguments(
            "at least one --root FILE (or a --trust POLICY) is required: the certificate you trust to vouch for the vendor".into(),
        ));
    }
    let (mut policy, mut trust) = match &args.trust {
        Some(file) => Policy::load(file).map_err(|e| Usage::Load("--trust", e))?,
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
                "--min-version \"{v}\" is not a SemVer 2.0 version ({e}); expected MAJOR.MINOR.PATCH, e.g. 4.2.0"
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
        trust
            .load_anchors(r)
            .map_err(|e| Usage::Load("--root", e))?;
    }
    for i in &args.intermediates {
        trust
            .load_intermediates(i)
            .map_err(|e| Usage::Load("--intermediates", e))?;
    }
    let mut tsa = policy.tsa_trust().clone();
    for r in &args.tsa_roots {
        tsa.load_anchors(r)
            .map_err(|e| Usage::Load("--tsa-root", e))?;
    }
    for i in &args.tsa_intermediates {
        tsa.load_intermediates(i)
            .map_err(|e| Usage::Load("--tsa-intermediates", e))?;
    }
    for c in &args.crls {
        trust.load_crls(c).map_err(|e| Usage::Load("--crl", e))?;
        tsa.load_crls(c).map_err(|e| Usage::Load("--crl", e))?;
    }
    policy = policy.timestamp_authorities(tsa);
    let (time, clock) = match &args.at {
        Some(at) => (parse_at(at)?, Clock::At),
        None => (UnixTime::now(), Clock::Clock),
    };
    let mut verifier = Verifier::new(trust, time).with_policy(policy);
    if let Some(file) = &args.preflight {
        let inventory = Inventory::load(file).map_err(Usage::Inventory)?;
        verifier = verifier.with_preflight(inventory);
    }
    let input = open(&args.package)?;
    Ok((verifier, time, clock, input))
}

/// `--at`: RFC 3339, or a date meaning its first second (UTC).
fn parse_at(at: &str) -> Result<UnixTime, Usage> {
    let date = at.len() == 10 && at.bytes().filter(|b| *b == b'-').count() == 2;
    let text = if date {
        format!("{at}T00:00:00Z")
    } else {
        at.to_owned()
    };
    pkgverify::parse_rfc3339(&text).ok_or_else(|| {
        Usage::Arguments(format!(
            "--at \"{at}\" is not a time: expected RFC 3339 (2027-06-01T12:00:00Z, with an offset) or a date (2027-06-01, meaning 00:00:00Z)"
        ))
    })
}

/// The package: `-` is standard input; a regular file is seekable; anything
/// else that opens (a FIFO, a device, `/dev/stdin` on a pipe) is a stream.
fn open(package: &str) -> Result<Input, Usage> {
    if package == "-" {
        return Ok(Input::Stream(Box::new(io::stdin())));
    }
    let file = File::open(package)
        .map_err(|e| Usage::Arguments(format!("PACKAGE \"{package}\": cannot open it: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| Usage::Arguments(format!("PACKAGE \"{package}\": cannot read it: {e}")))?;
    if meta.is_dir() {
        return Err(Usage::Arguments(format!(
            "PACKAGE \"{package}\" is a directory; expected the package's .zip file (or - for standard input)"
        )));
    }
    if meta.is_file() {
        Ok(Input::File(file))
    } else {
        Ok(Input::Stream(Box::new(file)))
    }
}
