//! The linear driver: the pipeline run over the archive's records in stored
//! order, in one pass and bounded memory, as a stream delivers them. Format
//! 1 puts the manifest and its signatures first, so they are read and
//! authenticated before any payload byte; each payload entry is then read
//! through the sink and hashed as it streams past, never beyond its signed
//! size plus one byte. At the end the central directory and end records must
//! agree exactly with the local headers seen, and nothing may follow.
//!
//! This reading names every rejection (`verdict`): a seekable input that
//! is rejected is read this way again (`seekable`), so a file and the same
//! bytes as a stream get the same reason.
//!
//! Once a finding is held, later entries are no longer verified, only
//! delimited, to look for a structure defect that would outrank it: an entry
//! is skipped by its recorded size, or (with a data descriptor) inflated to
//! find its end, within [`AFTER_VERDICT`] and [`INFLATED_AFTER_VERDICT`];
//! an entry that cannot be delimited within them ends the reading, and the
//! held finding stands.

use crate::error::{ArchiveDefect as D, Error};
use crate::outcome::{Rejection, VerifiedPackage};
use crate::zip::content::{self, Content, Delimit, Recorded, Spec};
use crate::zip::header::{Entry, LocalHeader, METHOD_DEFLATE, METHOD_STORED};
use crate::zip::linear::{Input, Stream};
use crate::zip::records::{Descriptor, CENTRAL_SIG, END_SIG, LOCAL_SIG};
use crate::zip::rules;

use super::layout::{misplaced_manifest, Role};
use super::listing::check_mode;
use super::pipeline::{self, judge_payload, judge_small, payload_spec, Pipeline};
use super::verdict::{stops, Key, Step, Verdict};
use super::Verifier;
use crate::sink::Sink;

/// Compressed bytes read, uninterpreted, once a finding is held, to find a
/// structure defect that would outrank it. Beyond it the held finding is
/// given as it stands: an endless or huge rejected stream takes bounded time.
const AFTER_VERDICT: u64 = 64 << 20;

/// Bytes inflated (and discarded) to find the end of entries with a data
/// descriptor once a finding is held.
const INFLATED_AFTER_VERDICT: u64 = 256 << 20;

/// Verifies the package that `input` holds, feeding verified-as-read payload
/// to `sink`.
pub(crate) fn verify<I: Input>(
    v: &Verifier,
    input: I,
    sink: Option<&dyn Sink>,
) -> Result<VerifiedPackage, Rejection> {
    Linear {
        p: Pipeline::new(v),
        s: Stream::new(input),
        sink,
        verdict: Verdict::default(),
        seen: Vec::new(),
        spent: (0, 0),
    }
    .run()
}

/// A local entry as the reading met it, for the central directory to confirm.
struct Seen {
    local: LocalHeader,
    descriptor: Option<Descriptor>,
    role: Role,
}

/// An entry's data as the reading met it.
enum Data {
    /// Read to its end, with what the archive records of it.
    Read {
        c: Content,
        rec: Recorded,
        descriptor: Option<Descriptor>,
    },
    /// More than expected, and (delimited by itself) its end not reached.
    Over(Content),
    /// Unreadable (a corrupt deflate stream, the input ending); whether the
    /// reading is past it anyway (its length delimits it).
    Failed(Error, bool),
}

/// Whether the reading goes on after an entry.
enum Next {
    /// On, with the entry's data descriptor if it had one.
    Go(Option<Descriptor>),
    /// The entry cannot be delimited: the held finding stands.
    Stop,
}

struct Linear<'v, 's, I> {
    p: Pipeline<'v>,
    s: Stream<I>,
    sink: Option<&'s dyn Sink>,
    verdict: Verdict,
    seen: Vec<Seen>,
    /// Compressed bytes skipped and bytes inflated since a finding was held.
    spent: (u64, u64),
}

impl<I: Input> Linear<'_, '_, I> {
    fn run(mut self) -> Result<VerifiedPackage, Rejection> {
        if self.s.at_end().map_err(|e| self.fatal(e))? {
            return Err(self.fatal(Error::Empty));
        }
        let mut sig = self.s.u32().map_err(|e| self.fatal(e))?;
        while sig == LOCAL_SIG {
            if let Next::Stop = self.entry()? {
                return Err(self.stopped());
            }
            sig = self.s.u32().map_err(|e| self.fatal(e))?;
        }
        if sig != CENTRAL_SIG && sig != END_SIG {
            let offset = self.s.pos() - 4;
            let e = if self.seen.is_empty() {
                self.s.not_an_archive(offset, AFTER_VERDICT)
            } else {
                Error::ambiguous(None, D::Unexpected { offset })
            };
            return Err(self.fatal(e));
        }
        let entries = self.central(sig)?;
        self.finish(&entries)
    }

    /// A fatal finding: the reading ends with it.
    fn fatal(&self, e: Error) -> Rejection {
        self.p.reject(e)
    }

    /// Holds a finding (a limit or an I/O failure ends the reading).
    fn hold(&mut self, key: Key, e: Error) -> Result<(), Rejection> {
        if stops(&e) {
            return Err(self.fatal(e));
        }
        let r = self.p.reject(e);
        self.verdict.hold(key, r);
        Ok(())
    }

    /// The reading stopped at an entry it could not delimit.
    fn stopped(self) -> Rejection {
        self.verdict
            .into_rejection()
            .unwrap_or_else(|| Error::malformed(None, D::Truncated).into())
    }

    /// One local entry: its header, its role, and its data verified or delimited.
    fn entry(&mut self) -> Result<Next, Rejection> {
        let index = self.seen.len();
        let limits = self.p.verifier().limits();
        if index as u64 >= limits.max_entries {
            return Err(self.fatal(Error::LimitExceeded {
                entry: None,
                what: "number of entries",
                limit: limits.max_entries,
                actual: index as u64 + 1,
            }));
        }
        let (local, flaw) = self.s.local().map_err(|e| self.fatal(e))?;
        if let Some(e) = flaw.into_error() {
            self.hold(Key::Record(local.offset), e)?;
        }
        if local.name == "manifest.json"
            && matches!(self.verdict.error(), Some(Error::ManifestMissing { .. }))
        {
            self.verdict.refine(misplaced_manifest());
        }
        // Every entry is classified, also once something is held: an entry in
        // the wrong place explains whatever failed because of it.
        let role = match self.p.role(index, &local.name, local.is_dir()) {
            Ok(role) => role,
            Err(e) => {
                self.hold(Key::Layout(index), e)?;
                Role::Payload
            }
        };
        // The first payload entry ends the signatures: authenticate now.
        if role == Role::Payload && self.p.before_authentication() && self.verdict.is_clear() {
            if let Err(r) = self.p.authenticate() {
                self.verdict.hold(Key::Entry(index, Step::Authenticate), r);
            }
        }
        let next = if !self.verdict.is_clear() {
            self.delimit(&local)?
        } else if role == Role::Payload {
            self.payload(index, &local)?
        } else {
            self.small(role, index, &local)?
        };
        if let Next::Go(descriptor) = next {
            self.seen.push(Seen {
                local,
                descriptor,
                role,
            });
        }
        Ok(next)
    }

    /// The manifest, a signature file or a directory: read, judged, kept.
    fn small(&mut self, role: Role, index: usize, local: &LocalHeader) -> Result<Next, Rejection> {
        let (delimit, known) = data_of(local);
        let spec = self
            .p
            .small_spec(role, &local.name, local.method, delimit, known)
            .map_err(|e| self.fatal(e))?;
        let mut bytes = Vec::new();
        let keep = role != Role::Directory;
        let data = self.data(local, spec, &mut |chunk| {
            if keep {
                bytes.extend_from_slice(chunk);
            }
            true
        })?;
        match data {
            Data::Failed(e, delimited) => self.flawed(index, e, delimited),
            Data::Over(_) => Err(self.fatal(self.p.small_over(role, &local.name))),
            Data::Read { c, rec, descriptor } => {
                match judge_small(&local.name, local.method, &c, &rec) {
                    Ok(()) => self.p.keep(role, index, bytes),
                    Err(e) => self.hold(Key::Entry(index, Step::Content), e)?,
                }
                Ok(Next::Go(descriptor))
            }
        }
    }

    /// Content that could not be read (a corrupt deflate stream, the input
    /// ending): held; the reading goes on if the entry's length delimits it.
    fn flawed(&mut self, index: usize, e: Error, delimited: bool) -> Result<Next, Rejection> {
        self.hold(Key::Entry(index, Step::Content), e)?;
        Ok(if delimited {
            Next::Go(None)
        } else {
            Next::Stop
        })
    }

    /// A payload entry: listed, then read through the sink and judged.
    fn payload(&mut self, index: usize, local: &LocalHeader) -> Result<Next, Rejection> {
        let known = (!local.has_descriptor()).then_some(local.size);
        let file = match self.p.claim(&local.name, known, None) {
            Ok(j) => j,
            Err(e) => {
                self.hold(Key::Entry(index, Step::Listing), e)?;
                return self.delimit(local);
            }
        };
        let Some(f) = self.p.manifest().and_then(|m| m.files().get(file)).cloned() else {
            return Err(self.fatal(Error::ManifestMissing { first: None }));
        };
        let (delimit, _) = data_of(local);
        // Stored data with a descriptor: the signed size says where the data
        // ends (no descriptor may describe a shorter prefix of it).
        let stored_descriptor = local.has_descriptor() && local.method == METHOD_STORED;
        let delimit = if stored_descriptor {
            Delimit::Length(f.size)
        } else {
            delimit
        };
        let spec = payload_spec(&f, local.method, delimit, stored_descriptor);
        let mut entry = pipeline::open(self.sink, &f).map_err(|e| self.fatal(e))?;
        let mut failed = None;
        let data = self.data(
            local,
            spec,
            &mut |chunk| match entry.as_mut().map(|e| e.chunk(chunk)) {
                Some(Err(e)) => {
                    failed = Some(e);
                    false
                }
                _ => true,
            },
        );
        if let Some(e) = failed {
            let _ = pipeline::close(entry, false);
            return Err(self.fatal(Error::io("output", e)));
        }
        let data = match data {
            Ok(d) => d,
            Err(r) => {
                let _ = pipeline::close(entry, false);
                return Err(r);
            }
        };
        let (c, rec, descriptor) = match data {
            Data::Read { c, rec, descriptor } => (c, rec, descriptor),
            Data::Failed(e, delimited) => {
                let _ = pipeline::close(entry, false);
                return self.flawed(index, e, delimited);
            }
            Data::Over(c) => {
                // The data goes on past the signed size and its end (a data
                // descriptor) was not reached: nothing after it can be read.
                let _ = pipeline::close(entry, false);
                let e = Error::SizeMismatch {
                    path: local.name.clone(),
                    expected: f.size,
                    actual: c.produced,
                };
                self.hold(Key::Entry(index, Step::Content), e)?;
                return Ok(Next::Stop);
            }
        };
        let judged = judge_payload(&f, &local.name, local.method, &c, &rec);
        pipeline::close(entry, judged.is_ok()).map_err(|e| self.fatal(e))?;
        match judged {
            Ok(()) => self.p.count(1, f.size),
            Err(e) => self.hold(Key::Entry(index, Step::Content), e)?,
        }
        Ok(Next::Go(descriptor))
    }

    /// An entry after a held finding: delimited, not verified, with the
    /// rules about its records that need a look at its data (an entry
    /// recorded as empty that holds content; a descriptor that does not give
    /// the length of the data before it).
    fn delimit(&mut self, local: &LocalHeader) -> Result<Next, Rejection> {
        if !local.has_descriptor() {
            if !self.s.skips_free() {
                let room = AFTER_VERDICT.saturating_sub(self.spent.0);
                if local.compressed_size > room {
                    // Read up to the bound, as a file is skipped: an input that
                    // ends first is truncated in both; one that does not is
                    // where a stream stops and a file reads on.
                    self.s.skip(room).map_err(|e| self.fatal(e))?;
                    return Ok(Next::Stop);
                }
                self.spent.0 += local.compressed_size;
            }
            if local.method == METHOD_DEFLATE && local.size == 0 && local.compressed_size > 0 {
                let spec = Spec {
                    method: METHOD_DEFLATE,
                    delimit: Delimit::Length(local.compressed_size),
                    expected: 0,
                    sha256: false,
                    scan_descriptors: false,
                };
                match content::read(&mut self.s, &local.name, spec, &mut |_| true) {
                    Ok(c) if c.over(0) => self.empty_with_content(local)?,
                    Err(e @ Error::Io { .. }) => return Err(self.fatal(e)),
                    _ => {}
                }
            }
            self.skip_rest(local)?;
            return Ok(Next::Go(None));
        }
        if local.method != METHOD_DEFLATE && local.method != METHOD_STORED {
            return Ok(Next::Stop);
        }
        let room = match local.method {
            METHOD_DEFLATE => INFLATED_AFTER_VERDICT.saturating_sub(self.spent.1),
            _ => AFTER_VERDICT.saturating_sub(self.spent.0),
        };
        let spec = Spec {
            method: local.method,
            delimit: Delimit::Itself,
            expected: room,
            sha256: false,
            scan_descriptors: false,
        };
        let (c, rec, descriptor) = match self.data(local, spec, &mut |_| true)? {
            Data::Read { c, rec, descriptor } => (c, rec, descriptor),
            Data::Failed(..) | Data::Over(_) => return Ok(Next::Stop),
        };
        self.spent.0 = self.spent.0.saturating_add(c.used);
        self.spent.1 = self.spent.1.saturating_add(c.produced);
        if self.spent.0 > AFTER_VERDICT {
            return Ok(Next::Stop);
        }
        if rec.size == 0 && c.produced > 0 {
            self.empty_with_content(local)?;
        }
        Ok(Next::Go(descriptor))
    }

    fn empty_with_content(&mut self, local: &LocalHeader) -> Result<(), Rejection> {
        self.hold(
            Key::Record(local.offset),
            Error::ambiguous(Some(&local.name), D::EmptyWithContent),
        )
    }

    /// Reads an entry's data through the one content reader, delimited as
    /// its local header says, and what the archive records of it: the local
    /// header's values, or the data descriptor after the data.
    fn data(
        &mut self,
        local: &LocalHeader,
        spec: Spec,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Data, Rejection> {
        let name = local.name.as_str();
        let read = match (spec.delimit, local.method, local.has_descriptor()) {
            // Stored data with a descriptor, of a known length: the signed
            // size (payload) or the local header's, if it gives one.
            (Delimit::Length(len), METHOD_STORED, true) => {
                return self.stored_to_descriptor(local, spec, len, true, sink)
            }
            (Delimit::Itself, METHOD_STORED, _) if local.compressed_size > 0 => {
                let len = local.compressed_size;
                let spec = Spec {
                    delimit: Delimit::Length(len),
                    scan_descriptors: true,
                    ..spec
                };
                return self.stored_to_descriptor(local, spec, len, false, sink);
            }
            (Delimit::Length(_), _, _) => {
                let read = content::read(&mut self.s, name, spec, sink);
                if !matches!(read, Err(Error::Io { .. })) {
                    self.skip_rest(local)?;
                }
                return match read {
                    Ok(c) => Ok(Data::Read {
                        c,
                        rec: Recorded {
                            crc32: local.crc32,
                            compressed_size: local.compressed_size,
                            size: local.size,
                        },
                        descriptor: None,
                    }),
                    Err(e @ Error::Io { .. }) => Err(self.fatal(e)),
                    Err(e) => Ok(Data::Failed(e, true)),
                };
            }
            (Delimit::Itself, METHOD_STORED, _) => {
                let mut data = self.s.stored_data(local.zip64, 0, 0);
                let read = content::read(&mut data, name, spec, sink);
                read.map(|c| (c, data.descriptor()))
            }
            (Delimit::Itself, _, _) => {
                content::read(&mut self.s, name, spec, sink).map(|c| (c, None))
            }
        };
        let (c, found) = match read {
            Ok(r) => r,
            Err(e @ Error::Io { .. }) => return Err(self.fatal(e)),
            Err(e) => return Ok(Data::Failed(e, false)),
        };
        if c.over(spec.expected) {
            return Ok(Data::Over(c));
        }
        rules::descriptor_crc(name, c.crc32).map_err(|e| self.fatal(e))?;
        let d = match found {
            Some(d) => d,
            // The input ended and no descriptor described the stored data
            // before it: a streaming reader cannot find where it ends.
            None if local.method == METHOD_STORED => {
                self.no_descriptor(local)?;
                return Ok(Data::Failed(
                    Error::malformed(Some(name), D::Truncated),
                    false,
                ));
            }
            None => self.s.descriptor(local.zip64).map_err(|e| self.fatal(e))?,
        };
        if let Err(e) = rules::descriptor_delimits(name, &d, c.used) {
            self.hold(Key::Record(local.offset), e)?;
        }
        let rec = Recorded {
            crc32: d.crc32,
            compressed_size: d.compressed_size,
            size: d.size,
        };
        Ok(Data::Read {
            c,
            rec,
            descriptor: Some(d),
        })
    }

    /// Stored data with a data descriptor, of a known length (`len`: the
    /// signed size, or the local header's): exactly that, then the
    /// descriptor, which must describe it. Where no descriptor follows, the
    /// data is longer than signed (`signed`: its descriptor is looked for
    /// further on) or the descriptor is missing.
    fn stored_to_descriptor(
        &mut self,
        local: &LocalHeader,
        spec: Spec,
        len: u64,
        signed: bool,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Data, Rejection> {
        let name = local.name.as_str();
        let c = match content::read(&mut self.s, name, spec, sink) {
            Ok(c) => c,
            Err(e @ Error::Io { .. }) => return Err(self.fatal(e)),
            Err(e) => return Ok(Data::Failed(e, false)),
        };
        if self.s.at_descriptor().map_err(|e| self.fatal(e))? {
            let d = self.s.descriptor(local.zip64).map_err(|e| self.fatal(e))?;
            if let Err(e) = rules::stored_descriptor_describes(name, &d, c.crc32, len) {
                self.hold(Key::Record(local.offset), e)?;
            }
            let rec = Recorded {
                crc32: d.crc32,
                compressed_size: d.compressed_size,
                size: d.size,
            };
            return Ok(Data::Read {
                c,
                rec,
                descriptor: Some(d),
            });
        }
        let budget = AFTER_VERDICT.saturating_sub(self.spent.0);
        let mut rest = self.s.stored_data(local.zip64, c.crc32, c.produced);
        let found = match signed {
            true => rest.skip_to_descriptor(budget),
            false => Ok(None),
        };
        match found {
            Ok(Some((_, total))) => Ok(Data::Over(Content {
                produced: total,
                ..c
            })),
            Ok(None) => {
                self.no_descriptor(local)?;
                Ok(Data::Failed(
                    Error::malformed(Some(name), D::Truncated),
                    false,
                ))
            }
            Err(e) => Err(self.fatal(Error::io("package", e))),
        }
    }

    /// No data descriptor describes stored data where one must.
    fn no_descriptor(&mut self, local: &LocalHeader) -> Result<(), Rejection> {
        let e = Error::ambiguous(
            Some(&local.name),
            D::DataDescriptor(
                "none describes the stored data where its size ends it, so a streaming reader cannot find its end",
            ),
        );
        self.hold(Key::Record(local.offset), e)
    }

    /// Skips what the content reader left of data delimited by its length
    /// (an entry longer than expected, a deflate stream that ended early or
    /// is corrupt).
    fn skip_rest(&mut self, local: &LocalHeader) -> Result<(), Rejection> {
        if let (Delimit::Length(len), _) = data_of(local) {
            let end = local.data_offset().saturating_add(len);
            self.s
                .skip(end.saturating_sub(self.s.pos()))
                .map_err(|e| self.fatal(e))?;
        }
        Ok(())
    }

    /// The central directory, record by record, against the local entries
    /// seen; then the end records and the names.
    fn central(&mut self, mut sig: u32) -> Result<Vec<Entry>, Rejection> {
        let cd_offset = self.s.pos() - 4;
        let mut entries: Vec<Entry> = Vec::with_capacity(self.seen.len());
        while sig == CENTRAL_SIG {
            let at = self.s.pos() - 4;
            let (e, flaw) = self.s.central().map_err(|e| self.fatal(e))?;
            if let Some(err) = flaw.into_error() {
                self.hold(Key::Record(at), err)?;
            }
            let agreed = match self.seen.get(entries.len()) {
                Some(seen) => {
                    rules::local_agrees(&seen.local, &e).and_then(|()| match &seen.descriptor {
                        Some(d) => rules::descriptor_agrees(d, &e),
                        None => Ok(()),
                    })
                }
                // A record for an entry the reading did not meet: readers disagree on it.
                None => {
                    return Err(self.fatal(Error::ambiguous(Some(&e.name), D::MissingLocalHeader)))
                }
            };
            if let Err(err) = agreed {
                self.hold(Key::Record(at), err)?;
            }
            entries.push(e);
            sig = self.s.u32().map_err(|e| self.fatal(e))?;
        }
        if let Some(unlisted) = self.seen.get(entries.len()) {
            return Err(self.fatal(Error::ambiguous(
                Some(&unlisted.local.name),
                D::MissingCentralRecord,
            )));
        }
        let cd_size = self.s.pos() - 4 - cd_offset;
        let limits = *self.p.verifier().limits();
        self.s
            .end_records(sig, entries.len() as u64, cd_offset, cd_size, &limits)
            .map_err(|e| self.fatal(e))?;
        if let Err(e) = rules::names(&entries) {
            self.hold(Key::Record(u64::MAX), e)?;
        }
        Ok(entries)
    }

    /// The steps that wait for the end: authentication (a package without
    /// payload), the modes the central directory gives, missing files.
    fn finish(mut self, entries: &[Entry]) -> Result<VerifiedPackage, Rejection> {
        if self.verdict.is_clear() && self.p.before_authentication() {
            if let Err(r) = self.p.authenticate() {
                self.verdict
                    .hold(Key::Entry(entries.len(), Step::Authenticate), r);
            }
        }
        if self.verdict.is_clear() {
            for (i, (e, seen)) in entries.iter().zip(&self.seen).enumerate() {
                let checked = if seen.role == Role::Payload {
                    self.p.claimed_mode(&e.name, e.unix_mode)
                } else {
                    check_mode(&e.name, e.unix_mode, None)
                };
                if let Err(err) = checked {
                    self.hold(Key::Mode(i), err)?;
                    break;
                }
            }
        }
        if self.verdict.is_clear() {
            if let Err(e) = self.p.missing() {
                self.hold(Key::Missing, e)?;
            }
        }
        match std::mem::take(&mut self.verdict).into_rejection() {
            Some(r) => Err(r),
            None => self.p.into_verified(),
        }
    }
}

/// What delimits a local entry's data in a stream, and its size when the
/// local header gives it before the data.
fn data_of(local: &LocalHeader) -> (Delimit, Option<u64>) {
    if local.has_descriptor() {
        (Delimit::Itself, None)
    } else {
        (Delimit::Length(local.compressed_size), Some(local.size))
    }
}
