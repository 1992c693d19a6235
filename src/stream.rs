//! One-pass verification of a package read from a stream (a pipe, a socket):
//! nothing is spooled to disk and memory does not grow with the package.
//!
//! Format 1 puts the manifest and its signatures first, so they are read and
//! authenticated before any payload byte; each payload entry is then hashed as
//! it streams past, never read beyond its signed size plus one byte. At the
//! end the central directory and end records must agree exactly with the
//! local headers seen (names, flags, methods, CRCs, sizes, offsets, count),
//! pass every check the seekable reader applies, and be followed by nothing.
//!
//! Errors are reported as in seekable mode for a package with one defect:
//! a defect of the archive's structure found at the end outranks a listing or
//! content failure found earlier, which is held back until then. Stored
//! entries with a data descriptor cannot be delimited in a stream and are
//! rejected here, though seekable verification accepts them.

use std::cell::OnceCell;
use std::io::{self, BufRead, Read};

use sha2::{Digest, Sha256};

use crate::archive::{
    self, check_names, le16, le32, le64, CentralExtra, Entry, LocalHeader, CENTRAL_LEN,
    CENTRAL_SIG, DESCRIPTOR_SIG, END_LEN, END_SIG, LOCAL_LEN, LOCAL_SIG, METHOD_STORED,
    ZIP64_END_LEN, ZIP64_END_SIG, ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_SIG,
};
use crate::error::{ArchiveDefect as D, Error, Unsupported};
use crate::manifest::FileEntry;
use crate::outcome::{Rejection, VerifiedPackage};
use crate::path;
use crate::verify::{check_mode_of, Authenticated, LayoutBuilder, Listing, Role, Verifier};

/// A buffered reader that knows how many bytes have been consumed.
struct Stream<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes consumed so far: the archive offset of the next byte.
    pos: u64,
}

impl<R: Read> Stream<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; 256 << 10].into_boxed_slice(),
            start: 0,
            end: 0,
            pos: 0,
        }
    }

    /// Fills `out` completely; the end of the stream first is a truncated archive.
    fn exact(&mut self, out: &mut [u8]) -> Result<(), Error> {
        match self.read_exact(out) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(Error::malformed(None, D::Truncated))
            }
            Err(e) => Err(Error::io("package", e)),
        }
    }

    fn vec(&mut self, n: usize) -> Result<Vec<u8>, Error> {
        let mut v = vec![0; n];
        self.exact(&mut v)?;
        Ok(v)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let mut b = [0; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Whether the stream has ended (nothing follows).
    fn at_end(&mut self) -> Result<bool, Error> {
        Ok(self
            .fill_buf()
            .map_err(|e| Error::io("package", e))?
            .is_empty())
    }
}

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = archive::copy_prefix(out, self.fill_buf()?);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Stream<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.start = 0;
            self.end = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(self.buf.get(self.start..self.end).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.pos += n as u64;
    }
}

/// A local entry as the stream showed it, for comparison with the central directory.
struct Seen {
    offset: u64,
    local: LocalHeader,
    name: String,
    /// CRC-32 and sizes: from the local header, or from the data descriptor.
    crc32: u32,
    compressed_size: u64,
    size: u64,
    role: Role,
}

/// What reading an entry's data produced.
struct Data {
    /// CRC-32 of the content read (checked by the caller against `crc32`).
    actual_crc32: u32,
    /// CRC-32 on record (local header or data descriptor).
    crc32: u32,
    compressed_size: u64,
    size: u64,
    /// Whether the output stopped at the bound (one byte past what was expected).
    over: bool,
    /// Content bytes produced (up to the bound).
    produced: u64,
    /// What is wrong with the data as the local header (or descriptor) describes
    /// it, held back: with the central directory's help seekable verification
    /// calls the same archive ambiguous, so the structure checks speak first.
    flaw: Option<Error>,
}

impl Verifier {
    /// Verifies a package read from a stream in one pass, without spooling it
    /// anywhere (see the `stream` module for how). The reader is read to its end.
    ///
    /// # Errors
    /// As [`Verifier::verify_path`]; in addition, a stored entry with a data
    /// descriptor is [`Error::UnsupportedEntry`] here, since a stream cannot
    /// delimit it.
    pub fn verify_reader<R: std::io::Read>(&self, reader: R) -> Result<VerifiedPackage, Rejection> {
        verify(self, reader)
    }
}

fn verify<R: Read>(v: &Verifier, reader: R) -> Result<VerifiedPackage, Rejection> {
    let limits = v.limits();
    let mut s = Stream::new(reader);
    let mut seen: Vec<Seen> = Vec::new();
    let mut layout = LayoutBuilder::default();
    let mut layout_error: Option<Error> = None;
    let mut manifest_bytes: Option<Vec<u8>> = None;
    // Signature files by archive index.
    let mut small: Vec<(usize, Vec<u8>)> = Vec::new();
    // Authentication happens once, when the first payload entry arrives.
    let auth_cell: OnceCell<Authenticated> = OnceCell::new();
    let mut auth_error: Option<Rejection> = None;
    let mut attempted = false;
    let mut listing: Option<Listing<'_>> = None;
    // A CRC failure of the manifest, a signature file or a directory: reported
    // after the structure checks, as seekable verification reads them after.
    let mut crc_failure: Option<Error> = None;
    let mut listing_failure: Option<(Error, u64, u64)> = None;
    let (mut files, mut bytes) = (0u64, 0u64);
    // Set when an entry could not be delimited after an earlier verdict, or
    // delimiting it would read more than AFTER_VERDICT bytes.
    let mut stopped_early = false;
    let mut skipped = 0u64;

    // Local entries, in order, until the central directory.
    let mut sig = s.u32()?;
    while sig == LOCAL_SIG {
        if seen.len() as u64 >= limits.max_entries {
            return Err(Error::LimitExceeded {
                entry: None,
                what: "number of entries",
                limit: limits.max_entries,
                actual: seen.len() as u64 + 1,
            }
            .into());
        }
        let offset = s.pos - 4;
        let mut fixed = [0u8; LOCAL_LEN as usize];
        fixed[..4].copy_from_slice(&LOCAL_SIG.to_le_bytes());
        s.exact(&mut fixed[4..])?;
        let mut local = LocalHeader::parse(&fixed, offset, None, |n| s.vec(n))?;
        // Kept once, as the name (decoding is lossless: invalid UTF-8 is refused).
        let name = archive::decode_name(&std::mem::take(&mut local.name_bytes), local.flags)?;
        archive::check_flags_and_method(&name, local.flags, local.method)?;
        path::check_entry(&name).map_err(|problem| Error::UnsafePath {
            path: name.clone(),
            problem,
        })?;
        let is_dir = name.ends_with('/');
        // Duplicate names (also by case and Unicode form) are found on the central
        // directory at the end, before any verdict of the listing is given.
        if local.has_descriptor() && local.method == METHOD_STORED {
            return Err(Error::UnsupportedEntry {
                entry: name,
                feature: Unsupported::StoredDescriptorInStream,
            }
            .into());
        }
        let role = match layout_error {
            Some(_) => Role::Payload,
            None => match layout.push(seen.len(), &name, is_dir, limits) {
                Ok(role) => role,
                Err(e) => {
                    layout_error = Some(e);
                    Role::Payload
                }
            },
        };

        // The first payload entry ends the signatures: authenticate now.
        if role == Role::Payload && !attempted && layout_error.is_none() {
            attempted = true;
            match authenticate(v, &layout, &manifest_bytes, &small) {
                Ok(a) => {
                    manifest_bytes = None;
                    small.clear();
                    let a = auth_cell.get_or_init(|| a);
                    listing = Some(Listing::new(&a.manifest));
                }
                Err(r) => auth_error = Some(r),
            }
        }
        let trusted = auth_cell.get().filter(|_| layout_error.is_none());

        let mut data = match role {
            Role::Manifest | Role::Signature => {
                let (max, what) = if role == Role::Manifest {
                    (limits.max_manifest_bytes, "manifest size")
                } else {
                    (limits.max_signature_file_bytes, "signature file size")
                };
                let mut content = Vec::new();
                let data = read_data(&mut s, &local, &name, max, |c| {
                    content.extend_from_slice(c);
                })?;
                if data.over {
                    return Err(Error::LimitExceeded {
                        entry: Some(name),
                        what,
                        limit: max,
                        actual: max.saturating_add(1),
                    }
                    .into());
                }
                if role == Role::Manifest {
                    manifest_bytes = Some(content);
                } else {
                    small.push((seen.len(), content));
                }
                data
            }
            Role::Directory => {
                let data = read_data(&mut s, &local, &name, 0, |_| {})?;
                if data.over {
                    return Err(Error::ambiguous(Some(&name), D::EmptyWithContent).into());
                }
                data
            }
            Role::Payload => match (trusted, listing.as_mut(), listing_failure.is_some()) {
                (Some(a), Some(list), false) => {
                    match hash_payload(&mut s, a, list, &local, &name)? {
                        Ok(data) => {
                            files += 1;
                            bytes += data.size;
                            data
                        }
                        Err((e, data)) => {
                            listing_failure = Some((e, files, bytes));
                            data
                        }
                    }
                }
                // Not authenticated, or already failed: only delimit the entry, if it can
                // be done without inflating unauthenticated data.
                // Past AFTER_VERDICT bytes the held verdict is given as it is.
                _ => {
                    skipped = skipped.saturating_add(local.compressed_size);
                    if local.has_descriptor() || skipped > AFTER_VERDICT {
                        stopped_early = true;
                        break;
                    }
                    skip(&mut s, local.compressed_size)?;
                    Data {
                        actual_crc32: local.crc32,
                        crc32: local.crc32,
                        compressed_size: local.compressed_size,
                        size: local.size,
                        over: false,
                        produced: local.size,
                        flaw: None,
                    }
                }
            },
        };
        if data.over && local.size == 0 && !local.has_descriptor() && local.method != METHOD_STORED
        {
            return Err(Error::ambiguous(Some(&name), D::EmptyWithContent).into());
        }
        if role != Role::Payload && crc_failure.is_none() {
            crc_failure = match data.flaw.take() {
                Some(flaw) => Some(flaw),
                None => archive::check_crc_named(&name, data.crc32, data.actual_crc32).err(),
            };
        }
        seen.push(Seen {
            offset,
            crc32: data.crc32,
            compressed_size: data.compressed_size,
            size: data.size,
            local,
            name,
            role,
        });
        sig = s.u32()?;
    }
    if stopped_early {
        // An entry could not be delimited: the earlier verdict stands.
        if let Some(e) = layout_error {
            return Err(e.into());
        }
        if let Some(r) = auth_error {
            return Err(r);
        }
        if let (Some((e, files, bytes)), Some(a)) = (listing_failure.take(), auth_cell.get()) {
            return Err(a.reject(e, files, bytes));
        }
    }
    if sig != CENTRAL_SIG && sig != END_SIG {
        let offset = s.pos - 4;
        return Err(if seen.is_empty() {
            not_an_archive(&mut s, offset)
        } else {
            Error::ambiguous(None, D::Unexpected { offset })
        }
        .into());
    }

    // The central directory, record by record, against what the stream showed;
    // each local entry is let go once its record agreed.
    let cd_offset = s.pos - 4;
    let local_count = seen.len();
    let roles: Vec<Role> = seen.iter().map(|s| s.role).collect();
    let manifest_elsewhere = seen.iter().skip(1).any(|s| s.name == "manifest.json");
    let mut seen = seen.into_iter();
    let mut central: Vec<Entry> = Vec::with_capacity(local_count);
    while sig == CENTRAL_SIG {
        let offset = s.pos - 4;
        let mut fixed = [0u8; CENTRAL_LEN];
        fixed[..4].copy_from_slice(&CENTRAL_SIG.to_le_bytes());
        s.exact(&mut fixed[4..])?;
        let (entry, extra) = archive::parse_central(&fixed, offset, |n| s.vec(n))?;
        let Some(local) = seen.next() else {
            // A record for an entry the stream did not have: readers disagree on it.
            return Err(Error::ambiguous(Some(&entry.name), D::OutOfOrder).into());
        };
        agree(&local, &entry, &extra)?;
        central.push(entry);
        sig = s.u32()?;
    }
    if central.len() != local_count {
        return Err(Error::malformed(
            None,
            D::EntryCount {
                declared: local_count as u64,
                actual: format!("{} central records", central.len()),
            },
        )
        .into());
    }
    let cd_size = s.pos - 4 - cd_offset;
    end_records(
        &mut s,
        sig,
        central.len() as u64,
        cd_offset,
        cd_size,
        limits,
    )?;
    check_names(&central)?;

    // The structure is sound: now the verdicts held back, in the seekable order.
    if let Some(e) = layout_error {
        return Err(match e {
            Error::ManifestMissing if manifest_elsewhere => Error::MisplacedEntry {
                entry: "manifest.json".into(),
                problem: "the manifest must be the first entry",
            },
            e => e,
        }
        .into());
    }
    for (e, role) in central.iter().zip(&roles) {
        if *role != Role::Payload {
            check_mode_of(&e.name, e.unix_mode, None)?;
        }
    }
    if let Some(e) = crc_failure {
        return Err(e.into());
    }
    if let Some(r) = auth_error {
        return Err(r);
    }
    let auth = match auth_cell.into_inner() {
        Some(a) => a,
        // No payload at all: authenticate now.
        None => authenticate(v, &layout, &manifest_bytes, &small)?,
    };
    if let Some((e, files, bytes)) = listing_failure {
        return Err(auth.reject(e, files, bytes));
    }
    // Modes live only in the central directory.
    let mut listing = Listing::new(&auth.manifest);
    for (e, role) in central.iter().zip(&roles) {
        if *role == Role::Payload {
            listing
                .claim(&e.name, None, Some(e.unix_mode))
                .map_err(|err| auth.reject(err, files, bytes))?;
        }
    }
    listing
        .missing()
        .map_err(|e| auth.reject(e, files, bytes))?;
    Ok(auth.into_verified(bytes))
}

/// Authenticates once the signature area has ended.
fn authenticate(
    v: &Verifier,
    layout: &LayoutBuilder,
    manifest: &Option<Vec<u8>>,
    small: &[(usize, Vec<u8>)],
) -> Result<Authenticated, Rejection> {
    let pairs = layout.signatures()?;
    let manifest = manifest.as_deref().ok_or(Error::ManifestMissing)?;
    let file = |index: usize| {
        small
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, c)| c.clone())
            .ok_or(Error::SignatureMissing { signature: None })
    };
    let mut contents = Vec::with_capacity(pairs.len());
    for (name, sig, pem) in pairs {
        contents.push((name, file(sig)?, file(pem)?));
    }
    v.authenticate(manifest, &contents)
}

/// Hashes one payload entry against its signed listing. The outer error is the
/// structure's (stop); the inner one is a listing or content failure, held back
/// while the rest of the stream is checked.
#[allow(clippy::type_complexity)]
fn hash_payload<R: Read>(
    s: &mut Stream<R>,
    auth: &Authenticated,
    listing: &mut Listing<'_>,
    local: &LocalHeader,
    name: &str,
) -> Result<Result<Data, (Error, Data)>, Rejection> {
    let skipped = |s: &mut Stream<R>| -> Result<Data, Rejection> {
        if local.has_descriptor() {
            // Cannot be delimited without inflating data that failed its listing.
            return Err(Error::UnlistedEntry { path: name.into() }.into());
        }
        skip(s, local.compressed_size)?;
        Ok(Data {
            actual_crc32: local.crc32,
            crc32: local.crc32,
            compressed_size: local.compressed_size,
            size: local.size,
            over: false,
            produced: local.size,
            flaw: None,
        })
    };
    let known_size = (!local.has_descriptor()).then_some(local.size);
    let f: &FileEntry = match listing.claim(name, known_size, None) {
        Ok(f) => f,
        Err(e) => {
            let data = match skipped(s) {
                Ok(d) => d,
                // An unlisted entry that cannot be skipped ends the stream here.
                Err(_) => return Err(auth.reject(e, 0, 0)),
            };
            return Ok(Err((e, data)));
        }
    };
    let mut hasher = Sha256::new();
    let mut data = read_data(s, local, name, f.size, |c| hasher.update(c))?;
    // In the order seekable verification finds them: a corrupt stream, then the
    // size, then a stream that does not end where recorded.
    let corrupt = matches!(
        data.flaw,
        Some(Error::ArchiveMalformed {
            defect: D::Deflate | D::Truncated,
            ..
        })
    );
    if let Some(flaw) = data.flaw.take_if(|_| corrupt) {
        return Ok(Err((flaw, data)));
    }
    if data.over || data.produced != f.size {
        let actual = if data.over {
            f.size.saturating_add(1)
        } else {
            data.produced
        };
        let e = Error::SizeMismatch {
            path: name.into(),
            expected: f.size,
            actual,
        };
        if data.over && local.has_descriptor() {
            return Err(auth.reject(e, 0, 0));
        }
        return Ok(Err((e, data)));
    }
    if let Some(flaw) = data.flaw.take() {
        return Ok(Err((flaw, data)));
    }
    let actual: [u8; 32] = hasher.finalize().into();
    if actual != f.sha256 {
        return Ok(Err((
            Error::DigestMismatch {
                path: name.into(),
                expected: crate::hex(&f.sha256),
                actual: crate::hex(&actual),
            },
            data,
        )));
    }
    // Content as signed but a wrong CRC: installers that check CRCs would refuse it.
    if let Err(e) = archive::check_crc_named(name, data.crc32, data.actual_crc32) {
        return Ok(Err((e, data)));
    }
    Ok(Ok(data))
}

/// Reads an entry's data (and its data descriptor) from the stream, giving at
/// most `max` bytes of content to `sink`; reports one byte more as `over`
/// (and then, for an entry without descriptor, skips the rest of its data).
fn read_data<R: Read>(
    s: &mut Stream<R>,
    local: &LocalHeader,
    name: &str,
    max: u64,
    mut sink: impl FnMut(&[u8]),
) -> Result<Data, Rejection> {
    let here = Some(name);
    let mut crc = crc32fast::Hasher::new();
    let mut produced = 0u64;
    let mut over = false;
    let mut buf = vec![0u8; 64 << 10];
    let limit = max.saturating_add(1);
    let mut pump = |r: &mut dyn Read, produced: &mut u64, over: &mut bool| -> Result<(), Error> {
        loop {
            let want = usize::try_from(limit - *produced)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            if want == 0 {
                *over = true;
                return Ok(());
            }
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = match r.read(chunk) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(archive::content_error(here, e)),
            };
            let data = chunk.get(..n).unwrap_or_default();
            let keep = max.saturating_sub(*produced).min(n as u64) as usize;
            *produced += n as u64;
            let kept = data.get(..keep).unwrap_or_default();
            crc.update(kept);
            sink(kept);
        }
    };
    let mut flaw = None;
    let compressed_size = if local.has_descriptor() {
        // Deflate only (stored was refused): the stream's end delimits the data.
        let mut decoder = flate2::bufread::DeflateDecoder::new(&mut *s);
        pump(&mut decoder, &mut produced, &mut over)?;
        if over {
            let actual = crc.clone().finalize();
            return Ok(Data {
                actual_crc32: actual,
                crc32: actual,
                compressed_size: decoder.total_in(),
                size: produced,
                over,
                produced,
                flaw: None,
            });
        }
        decoder.total_in()
    } else {
        let mut body = (&mut *s).take(local.compressed_size);
        if local.method == METHOD_STORED {
            pump(&mut body, &mut produced, &mut over)?;
        } else {
            let mut decoder = flate2::bufread::DeflateDecoder::new(&mut body);
            match pump(&mut decoder, &mut produced, &mut over) {
                Ok(()) if !over && decoder.total_in() != local.compressed_size => {
                    flaw = Some(Error::malformed(
                        here,
                        D::DeflateLength {
                            used: decoder.total_in(),
                            compressed: local.compressed_size,
                        },
                    ));
                }
                Ok(()) => {}
                // The compressed size delimits the entry: go on, say it later.
                Err(e @ Error::ArchiveMalformed { .. }) => flaw = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        // Whatever was not read (an entry past its bound, a corrupt stream) is skipped.
        io::copy(&mut body, &mut io::sink()).map_err(|e| Error::io("package", e))?;
        if body.limit() > 0 {
            return Err(Error::malformed(here, D::Truncated).into());
        }
        local.compressed_size
    };
    let crc32 = crc.finalize();
    let (crc32_rec, csize_rec, size_rec) = if local.has_descriptor() {
        descriptor(s, local, name, crc32)?
    } else {
        (local.crc32, local.compressed_size, local.size)
    };
    if flaw.is_none() && !over && (produced != size_rec || compressed_size != csize_rec) {
        flaw = Some(Error::malformed(
            here,
            D::Length {
                expected: size_rec,
                actual: produced,
            },
        ));
    }
    Ok(Data {
        actual_crc32: crc32,
        crc32: crc32_rec,
        compressed_size: csize_rec,
        size: size_rec,
        over,
        produced,
        flaw,
    })
}

/// Reads the data descriptor after a deflated entry: optional signature, then
/// CRC-32 and sizes, 64-bit when the local header has a zip64 extra field.
fn descriptor<R: Read>(
    s: &mut Stream<R>,
    local: &LocalHeader,
    name: &str,
    actual_crc: u32,
) -> Result<(u32, u64, u64), Rejection> {
    let first = s.u32()?;
    let crc = if first == DESCRIPTOR_SIG {
        if actual_crc == DESCRIPTOR_SIG {
            // Signature or CRC? Readers would disagree.
            return Err(Error::ambiguous(
                Some(name),
                D::DataDescriptor("its CRC-32 equals the descriptor signature"),
            )
            .into());
        }
        s.u32()?
    } else {
        first
    };
    let (csize, size) = if local.zip64 {
        let b = s.vec(16)?;
        (le64(&b, 0), le64(&b, 8))
    } else {
        let b = s.vec(8)?;
        (le32(&b, 0).map(u64::from), le32(&b, 4).map(u64::from))
    };
    match (csize, size) {
        (Some(c), Some(u)) => Ok((crc, c, u)),
        _ => Err(Error::malformed(Some(name), D::Truncated).into()),
    }
}

/// The central record must say what the stream showed.
fn agree(seen: &Seen, e: &Entry, extra: &CentralExtra) -> Result<(), Error> {
    seen.local.check_against(seen.name.as_bytes(), e, extra)?;
    let here = Some(e.name.as_str());
    if e.header_offset != seen.offset {
        return Err(Error::ambiguous(here, D::OutOfOrder));
    }
    if e.crc32 != seen.crc32 || e.compressed_size != seen.compressed_size || e.size != seen.size {
        return Err(Error::ambiguous(
            here,
            D::DataDescriptor("it disagrees with the central directory"),
        ));
    }
    Ok(())
}

/// After the central directory: the zip64 end record and locator (if any), the
/// end record and its comment, then nothing. `sig` is the signature already read.
fn end_records<R: Read>(
    s: &mut Stream<R>,
    mut sig: u32,
    entries: u64,
    cd_offset: u64,
    cd_size: u64,
    limits: &crate::Limits,
) -> Result<(), Error> {
    let too_many = |declared: u64| {
        (declared > limits.max_entries).then_some(Error::LimitExceeded {
            entry: None,
            what: "number of entries",
            limit: limits.max_entries,
            actual: declared,
        })
    };
    let mut zip64 = None;
    if sig == ZIP64_END_SIG {
        let at = s.pos - 4;
        let mut z = [0u8; ZIP64_END_LEN as usize];
        z[..4].copy_from_slice(&ZIP64_END_SIG.to_le_bytes());
        s.exact(&mut z[4..])?;
        let f64_ = |o| le64(&z, o).unwrap_or(u64::MAX);
        let f32_ = |o| u64::from(le32(&z, o).unwrap_or(u32::MAX));
        if f64_(4) != ZIP64_END_LEN - 12 {
            return Err(Error::malformed(
                None,
                D::Zip64("extensible data in the zip64 end record is not supported"),
            ));
        }
        if f32_(16) != 0 || f32_(20) != 0 || f64_(24) != f64_(32) {
            return Err(Error::malformed(None, D::MultiDisk));
        }
        if let Some(e) = too_many(f64_(32)) {
            return Err(e);
        }
        if f64_(32) != entries || f64_(40) != cd_size || f64_(48) != cd_offset {
            return Err(Error::ambiguous(
                None,
                D::Zip64("the zip64 end record disagrees with the central directory"),
            ));
        }
        let mut l = vec![0u8; ZIP64_LOCATOR_LEN as usize];
        s.exact(&mut l)?;
        if le32(&l, 0) != Some(ZIP64_LOCATOR_SIG)
            || le32(&l, 4) != Some(0)
            || le64(&l, 8) != Some(at)
            || le32(&l, 16).is_none_or(|d| d > 1)
        {
            return Err(Error::ambiguous(
                None,
                D::Zip64("the locator does not point at the zip64 end record"),
            ));
        }
        zip64 = Some(());
        sig = s.u32()?;
    }
    if sig != END_SIG {
        return Err(Error::malformed(None, D::NoEndRecord));
    }
    let mut rec = [0u8; END_LEN as usize];
    rec[..4].copy_from_slice(&END_SIG.to_le_bytes());
    s.exact(&mut rec[4..])?;
    let field16 = |o| u64::from(le16(&rec, o).unwrap_or(u16::MAX));
    let field32 = |o| u64::from(le32(&rec, o).unwrap_or(u32::MAX));
    if field16(4) != 0 || field16(6) != 0 || field16(8) != field16(10) {
        return Err(Error::malformed(None, D::MultiDisk));
    }
    if let Some(e) = too_many(field16(10)).filter(|_| zip64.is_none()) {
        return Err(e);
    }
    if field16(10) != entries && !(zip64.is_some() && field16(10) == 0xffff) {
        return Err(Error::malformed(
            None,
            D::EntryCount {
                declared: field16(10),
                actual: entries.to_string(),
            },
        ));
    }
    for (field, v32, sentinel, actual) in [
        ("central directory size", field32(12), 0xffff_ffff, cd_size),
        (
            "central directory offset",
            field32(16),
            0xffff_ffff,
            cd_offset,
        ),
    ] {
        // The 32-bit value is the real one, or saturated when a zip64 record gives it.
        if v32 != actual && !(zip64.is_some() && v32 == sentinel) {
            return Err(Error::ambiguous(
                None,
                D::Zip64Disagrees {
                    field,
                    value32: v32,
                    value64: actual,
                },
            ));
        }
    }
    // A comment cut short reads, to a seekable reader, as an end record that does
    // not end the file: the same defect.
    let comment = s
        .vec(usize::try_from(field16(20)).unwrap_or(0))
        .map_err(|_| Error::ambiguous(None, D::Trailing))?;
    if !s.at_end()? {
        return Err(Error::ambiguous(None, D::Trailing));
    }
    let tail = [rec.get(1..).unwrap_or_default(), &comment].concat();
    if tail.windows(4).any(|w| w == END_SIG.to_le_bytes()) {
        return Err(Error::ambiguous(None, D::SecondEndRecord));
    }
    if archive::has_record_signature(&comment) {
        return Err(Error::ambiguous(None, D::SignatureInComment));
    }
    Ok(())
}

/// How much more of a stream is read, uninterpreted, once its verdict is
/// known, to find a structure error that seekable verification would report
/// first (so both modes name the same kind). Beyond it the verdict is given as
/// it stands: an endless or huge rejected stream takes bounded time.
const AFTER_VERDICT: u64 = 64 << 20;

/// The stream does not start with a ZIP record: read on (up to
/// [`AFTER_VERDICT`] bytes) to tell a ZIP archive behind a prefix (ambiguous,
/// as a seekable reader would find it) from bytes that are no archive at all.
/// Keeps only the last 64 KiB in memory.
fn not_an_archive<R: Read>(s: &mut Stream<R>, offset: u64) -> Error {
    let keep = (END_LEN + u64::from(u16::MAX)) as usize;
    let mut tail: Vec<u8> = Vec::with_capacity(keep * 2);
    let broken_first_header = || {
        Error::malformed(
            None,
            D::BadRecord {
                record: "local header",
                offset,
            },
        )
    };
    loop {
        if s.pos.saturating_sub(offset) > AFTER_VERDICT {
            return broken_first_header();
        }
        let n = match s.fill_buf() {
            Ok([]) => break,
            Ok(b) => {
                tail.extend_from_slice(b);
                b.len()
            }
            Err(e) => return Error::io("package", e),
        };
        s.consume(n);
        if tail.len() > keep * 2 {
            tail.drain(..tail.len() - keep);
        }
    }
    let total = s.pos;
    let end = (0..tail.len().saturating_sub(END_LEN as usize - 1))
        .rev()
        .find(|&i| {
            le32(&tail, i) == Some(END_SIG)
                && le16(&tail, i + 20).map(|c| i + END_LEN as usize + usize::from(c))
                    == Some(tail.len())
        });
    let Some(end) = end else {
        return Error::malformed(None, D::NoEndRecord);
    };
    // Where the central directory says the first entry starts, if it is in view:
    // at 0, the first local header is merely broken (as a seekable reader finds);
    // elsewhere, bytes were put before the archive.
    let tail_start = total - tail.len() as u64;
    let first_offset = le32(&tail, end + 16)
        .and_then(|cd| u64::from(cd).checked_sub(tail_start))
        .and_then(|at| usize::try_from(at).ok())
        .filter(|&at| le32(&tail, at) == Some(CENTRAL_SIG))
        .and_then(|at| le32(&tail, at + 42));
    if first_offset == Some(0) {
        broken_first_header()
    } else {
        Error::ambiguous(None, D::Prefix(offset))
    }
}

fn skip<R: Read>(s: &mut Stream<R>, n: u64) -> Result<(), Error> {
    let copied =
        io::copy(&mut (&mut *s).take(n), &mut io::sink()).map_err(|e| Error::io("package", e))?;
    if copied != n {
        return Err(Error::malformed(None, D::Truncated));
    }
    Ok(())
}
