//! The seekable driver: a fast path for a file or bytes in memory. It reads
//! the structure through the index (central directory first, then each
//! header where it says), runs the pipeline's steps over the entries, and
//! hashes payload on up to [`Limits::threads`](crate::Limits::threads)
//! threads, each with its own positioned reads.
//!
//! It decides acceptance only. When it finds anything wrong, the package is
//! rejected, and the reason is named by reading the same bytes linearly
//! (`linear`), the one order in which a reader meets them: so a file and the
//! same bytes as a stream get the same reason, without a second ranking of
//! findings here. (A rejected package is read twice; an accepted one once.)

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Error;
use crate::manifest::Manifest;
use crate::outcome::{Rejection, VerifiedPackage};
use crate::zip::content::{self, Delimit, Recorded};
use crate::zip::header::{Entry, METHOD_STORED};
use crate::zip::index::{self, Located, Source};
use crate::zip::linear::FromStart;

use super::layout::{misplaced_manifest, Role};
use super::listing::check_mode;
use super::pipeline::{self, judge_payload, judge_small, payload_spec, Pipeline};
use super::Verifier;
use crate::sink::{Progress, Sink, Tee};

/// Verifies the package in `src`, feeding verified-as-read payload to `sink`.
pub(crate) fn verify<S: Source + ?Sized>(
    v: &Verifier,
    src: &S,
    sink: Option<&dyn Sink>,
) -> Result<VerifiedPackage, Rejection> {
    match fast(v, src, sink) {
        Ok(p) => Ok(p),
        Err(first) if matches!(first.error(), Error::Io { .. }) => Err(first),
        // The linear reading names the reason. Should it find nothing wrong
        // (a rule only one reader has: a bug), the fast path's finding stands.
        Err(first) => match super::linear::verify(v, FromStart::new(src), None) {
            Err(r) => Err(r),
            Ok(_) => Err(first),
        },
    }
}

/// Every step, in an order that suits a seekable input; the first failure
/// ends it.
fn fast<S: Source + ?Sized>(
    v: &Verifier,
    src: &S,
    sink: Option<&dyn Sink>,
) -> Result<VerifiedPackage, Rejection> {
    let located = index::index(src, v.limits())?;
    let mut p = Pipeline::new(v);
    let mut roles = Vec::with_capacity(located.len());
    for (i, l) in located.iter().enumerate() {
        let role = p
            .role(i, &l.entry.name, l.entry.is_dir)
            .map_err(|e| match e {
                Error::ManifestMissing { .. }
                    if located.iter().any(|l| l.entry.name == "manifest.json") =>
                {
                    misplaced_manifest()
                }
                other => other,
            })?;
        roles.push(role);
    }
    // The manifest, signature files and directories.
    for (i, (l, role)) in located.iter().zip(&roles).enumerate() {
        if *role == Role::Payload {
            continue;
        }
        let e = &l.entry;
        let mut spec = p.small_spec(
            *role,
            &e.name,
            e.method,
            Delimit::Length(e.compressed_size),
            Some(e.size),
        )?;
        spec.scan_descriptors = stored_with_descriptor(e);
        // The size on record, within its limit (checked above): no regrowth.
        let mut bytes = Vec::with_capacity(usize::try_from(spec.expected).unwrap_or(0));
        let c = content::read(&mut l.data(src), &e.name, spec, &mut |chunk| {
            bytes.extend_from_slice(chunk);
            true
        })?;
        judge_small(&e.name, e.method, &c, &recorded(e))?;
        check_mode(&e.name, e.unix_mode, None)?;
        p.keep(*role, i, bytes);
    }
    p.authenticate()?;
    let mut work = Vec::with_capacity(located.len());
    for (i, (l, role)) in located.iter().zip(&roles).enumerate() {
        if *role == Role::Payload {
            let e = &l.entry;
            let file = p
                .claim(&e.name, Some(e.size), Some(e.unix_mode))
                .map_err(|err| p.reject(err))?;
            work.push(Work { index: i, l, file });
        }
    }
    p.missing().map_err(|e| p.reject(e))?;
    let Some(manifest) = p.manifest() else {
        return Err(Error::ManifestMissing { first: None }.into());
    };
    let total = work
        .iter()
        .filter_map(|w| manifest.files().get(w.file))
        .map(|f| f.size)
        .sum();
    let progress = v.progress().map(|report| Progress {
        report,
        total,
        done: AtomicU64::new(0),
    });
    let tee;
    let sink = match (sink, progress.as_ref()) {
        (Some(s), Some(p)) => {
            tee = Tee(s, p);
            Some(&tee as &dyn Sink)
        }
        (s, p) => s.or(p.map(|p| p as &dyn Sink)),
    };
    let (files, bytes) = hash_all(v, src, manifest, &mut work, sink).map_err(|e| p.reject(e))?;
    p.count(files, bytes);
    p.into_verified()
}

/// One payload entry to hash: its place in the archive and in the manifest.
struct Work<'a> {
    index: usize,
    l: &'a Located,
    file: usize,
}

/// Hashes payload entries on up to [`Limits::threads`](crate::Limits::threads)
/// threads, largest first; the first failure stops every worker. Returns the
/// files and bytes verified, or the failure of the earliest entry (in archive
/// order) among those that failed before the stop.
fn hash_all<S: Source + ?Sized>(
    v: &Verifier,
    src: &S,
    m: &Manifest,
    work: &mut [Work<'_>],
    sink: Option<&dyn Sink>,
) -> Result<(u64, u64), Error> {
    let size = |w: &Work<'_>| m.files().get(w.file).map_or(0, |f| f.size);
    work.sort_by_key(|w| (std::cmp::Reverse(size(w)), w.index));
    // Automatic: all cores, but one below a few MiB, where starting threads
    // costs more than it saves.
    let total: u64 = work.iter().map(size).sum();
    let threads = match v.limits().threads {
        0 if total < 8 << 20 => 1,
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
    .min(work.len())
    .max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (files, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    let failures: Mutex<Vec<(usize, Error)>> = Mutex::new(Vec::new());
    let work = &*work;
    let worker = || loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Some(w) = work.get(next.fetch_add(1, Ordering::Relaxed)) else {
            break;
        };
        let Some(f) = m.files().get(w.file) else {
            break;
        };
        match hash_entry(src, w.l, f, sink, &stop) {
            Ok(true) => {
                files.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(f.size, Ordering::Relaxed);
            }
            Ok(false) => break,
            Err(err) => {
                stop.store(true, Ordering::Relaxed);
                if let Ok(mut list) = failures.lock() {
                    list.push((w.index, err));
                }
                break;
            }
        }
    };
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(worker);
            }
        });
    }
    let first = failures
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .min_by_key(|(index, _)| *index);
    match first {
        Some((_, err)) => Err(err),
        None => Ok((files.into_inner(), bytes.into_inner())),
    }
}

/// Reads one payload entry through the sink and judges it. `Ok(false)` if
/// `stop` was raised meanwhile.
fn hash_entry<S: Source + ?Sized>(
    src: &S,
    l: &Located,
    f: &crate::manifest::FileEntry,
    sink: Option<&dyn Sink>,
    stop: &AtomicBool,
) -> Result<bool, Error> {
    let e = &l.entry;
    let spec = payload_spec(
        f,
        e.method,
        Delimit::Length(e.compressed_size),
        stored_with_descriptor(e),
    );
    let mut entry = pipeline::open(sink, f)?;
    let read = pipeline::read_payload(&mut l.data(src), &e.name, spec, entry.as_mut(), &|| {
        stop.load(Ordering::Relaxed)
    });
    let judged = read.and_then(|c| {
        if !c.finished {
            return Ok(false);
        }
        judge_payload(f, &e.name, e.method, &c, &recorded(e)).map(|()| true)
    });
    let verified = matches!(judged, Ok(true));
    pipeline::close(entry, verified)?;
    judged
}

/// What the central record says of an entry's content.
fn recorded(e: &Entry) -> Recorded {
    Recorded {
        crc32: e.crc32,
        compressed_size: e.compressed_size,
        size: e.size,
    }
}

/// Stored data followed by a data descriptor, which must not hold a
/// descriptor for a prefix of itself.
fn stored_with_descriptor(e: &Entry) -> bool {
    e.method == METHOD_STORED && e.has_descriptor()
}
