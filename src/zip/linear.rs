//! The linear reader: the archive's records in the order they are stored,
//! as a one-pass streaming reader meets them (local header, data, data
//! descriptor, ..., central directory, end records, nothing after). It reads
//! any [`Input`]: a pipe, or a seekable source read front to back.

use std::io::{self, BufRead, Read};

use crate::error::{ArchiveDefect as D, Error, Found};
use crate::limits::Limits;

use super::header::{le32, Entry, Flaw, LocalHeader};
use super::index::{copy_prefix, Source};
use super::records::{
    CentralRecord, Descriptor, EndRecord, LocalRecord, Zip64EndRecord, Zip64Locator, CENTRAL_SIG,
    DESCRIPTOR_SIG, END_SIG, ZIP64_END_SIG,
};
use super::rules;

/// Bytes the linear reader can also skip without reading them.
pub(crate) trait Input: Read {
    /// Whether skipping costs nothing (a seekable source), so that bounds on
    /// the work of delimiting need not count it.
    fn skips_free(&self) -> bool {
        false
    }

    /// Skips up to `n` bytes; returns how many were skipped (fewer at the end).
    fn skip(&mut self, n: u64) -> io::Result<u64>
    where
        Self: Sized,
    {
        io::copy(&mut Read::by_ref(self).take(n), &mut io::sink())
    }
}

/// Any reader, skipped by reading.
pub(crate) struct Plain<R>(pub(crate) R);

impl<R: Read> Read for Plain<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> Input for Plain<R> {}

/// A [`Source`] read from its start to its end, skipped by moving on.
pub(crate) struct FromStart<'a, S: ?Sized> {
    src: &'a S,
    pos: u64,
}

impl<'a, S: Source + ?Sized> FromStart<'a, S> {
    pub(crate) fn new(src: &'a S) -> Self {
        Self { src, pos: 0 }
    }
}

impl<S: Source + ?Sized> Read for FromStart<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.src.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: Source + ?Sized> Input for FromStart<'_, S> {
    fn skips_free(&self) -> bool {
        true
    }

    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let skipped = n.min(self.src.len().saturating_sub(self.pos));
        self.pos += skipped;
        Ok(skipped)
    }
}

/// A buffered [`Input`] that knows how many bytes it has consumed, with the
/// record reads of a linear pass.
pub(crate) struct Stream<I> {
    inner: I,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes consumed so far: the archive offset of the next byte.
    pos: u64,
}

impl<I: Input> Stream<I> {
    pub(crate) fn new(inner: I) -> Self {
        Self {
            inner,
            buf: vec![0; 256 << 10].into_boxed_slice(),
            start: 0,
            end: 0,
            pos: 0,
        }
    }

    /// The archive offset of the next byte.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// At least `n` bytes ahead, unless the input ends first; nothing is consumed.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.end - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < n.min(self.buf.len()) {
                let free = self.buf.get_mut(self.end..).unwrap_or_default();
                match self.inner.read(free) {
                    Ok(0) => break,
                    Ok(got) => self.end += got,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.buf.get(self.start..self.end).unwrap_or_default())
    }

    /// Stored data followed by a data descriptor, read up to the descriptor;
    /// `len` bytes of it with CRC-32 `crc` were read already.
    pub(crate) fn stored_data(&mut self, wide: bool, crc: u32, len: u64) -> StoredData<'_, I> {
        StoredData {
            s: self,
            wide,
            crc: crc32fast::Hasher::new_with_initial_len(crc, len),
            len,
            safe: 0,
            found: None,
        }
    }

    /// Whether the next bytes are a data descriptor's signature.
    pub(crate) fn at_descriptor(&mut self) -> Result<bool, Error> {
        let next = self.peek(4).map_err(|e| Error::io("package", e))?;
        Ok(le32(next, 0) == Some(DESCRIPTOR_SIG))
    }

    /// Whether skipping costs nothing (see [`Input::skips_free`]).
    pub(crate) fn skips_free(&self) -> bool {
        self.inner.skips_free()
    }

    /// Fills `out` completely; the end of the input first is a truncated archive.
    pub(crate) fn exact(&mut self, out: &mut [u8]) -> Result<(), Error> {
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

    /// The next four bytes, little-endian: a record signature where one must start.
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        let mut b = [0; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Whether the input has ended (nothing follows).
    pub(crate) fn at_end(&mut self) -> Result<bool, Error> {
        Ok(self
            .fill_buf()
            .map_err(|e| Error::io("package", e))?
            .is_empty())
    }

    /// Skips `n` bytes of data; the input ending first is truncation.
    pub(crate) fn skip(&mut self, n: u64) -> Result<(), Error> {
        let buffered = (self.end - self.start).min(usize::try_from(n).unwrap_or(usize::MAX));
        self.consume(buffered);
        let rest = n - buffered as u64;
        if rest > 0 {
            let skipped = self.inner.skip(rest).map_err(|e| Error::io("package", e))?;
            self.pos += skipped;
            if skipped != rest {
                return Err(Error::malformed(None, D::Truncated));
            }
        }
        Ok(())
    }

    /// A local header, its signature already read, with the first rule it breaks.
    pub(crate) fn local(&mut self) -> Result<(LocalHeader, Flaw), Error> {
        let offset = self.pos - 4;
        let mut b = [0u8; LocalRecord::LEN];
        self.record(&mut b, super::records::LOCAL_SIG)?;
        let bad = || {
            Error::malformed(
                None,
                D::BadRecord {
                    record: "local header",
                    offset,
                },
            )
        };
        let rec = LocalRecord::parse(&b).ok_or_else(bad)?;
        let var = self.vec(rec.var_len())?;
        LocalHeader::parse(&rec, offset, &var)
    }

    /// The data descriptor after an entry's data: its optional signature,
    /// then the CRC-32 and sizes, 64-bit when `wide`.
    pub(crate) fn descriptor(&mut self, wide: bool) -> Result<Descriptor, Error> {
        let first = self.u32()?;
        let (signed, len) = rules::descriptor_len(first, wide);
        let mut body = Vec::with_capacity(len);
        if !signed {
            body.extend_from_slice(&first.to_le_bytes());
        }
        body.extend_from_slice(&self.vec(len - 4)?);
        Descriptor::parse(&body, wide).ok_or_else(|| Error::malformed(None, D::Truncated))
    }

    /// A central directory record, its signature already read, with the
    /// first rule it breaks.
    pub(crate) fn central(&mut self) -> Result<(Entry, Flaw), Error> {
        let offset = self.pos - 4;
        let mut b = [0u8; CentralRecord::LEN];
        self.record(&mut b, CENTRAL_SIG)?;
        let rec = CentralRecord::parse(&b).ok_or_else(|| {
            Error::malformed(
                None,
                D::BadRecord {
                    record: "central directory record",
                    offset,
                },
            )
        })?;
        let var = self.vec(rec.var_len())?;
        Entry::parse(&rec, &var)
    }

    /// Fills a fixed record whose signature `sig` was just read.
    fn record<const N: usize>(&mut self, b: &mut [u8; N], sig: u32) -> Result<(), Error> {
        let (head, rest) = b.split_at_mut(4.min(N));
        copy_prefix(head, &sig.to_le_bytes());
        self.exact(rest)
    }

    /// After the central directory (`entries` records, `cd_size` bytes at
    /// `cd_offset`): the zip64 end record and locator, if any, the end record
    /// and its comment, then nothing. `sig` is the signature already read.
    pub(crate) fn end_records(
        &mut self,
        mut sig: u32,
        entries: u64,
        cd_offset: u64,
        cd_size: u64,
        limits: &Limits,
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
            let at = self.pos - 4;
            let mut b = [0u8; Zip64EndRecord::LEN];
            self.record(&mut b, sig)?;
            let z =
                Zip64EndRecord::parse(&b).ok_or_else(|| Error::malformed(None, D::Truncated))?;
            z.check()?;
            if let Some(e) = too_many(z.entries) {
                return Err(e);
            }
            if z.entries != entries || z.cd_size != cd_size || z.cd_offset != cd_offset {
                return Err(Error::ambiguous(
                    None,
                    D::Zip64("the zip64 end record disagrees with the central directory"),
                ));
            }
            let mut l = [0u8; Zip64Locator::LEN];
            self.exact(&mut l)?;
            if !Zip64Locator::parse(&l).is_some_and(|l| l.single_disk() && l.end_offset == at) {
                return Err(Error::ambiguous(
                    None,
                    D::Zip64("the locator does not point at the zip64 end record"),
                ));
            }
            zip64 = Some(z);
            sig = self.u32()?;
        }
        if sig != END_SIG {
            return Err(Error::malformed(None, D::NoEndRecord));
        }
        let mut b = [0u8; EndRecord::LEN];
        self.record(&mut b, sig)?;
        let end = EndRecord::parse(&b).ok_or_else(|| Error::malformed(None, D::NoEndRecord))?;
        // A comment cut short reads, to a seekable reader, as an end record that
        // does not end the file: the same defect.
        let comment = self
            .vec(usize::from(end.comment_len))
            .map_err(|_| Error::ambiguous(None, D::Trailing))?;
        if !self.at_end()? {
            return Err(Error::ambiguous(None, D::Trailing));
        }
        rules::end_record(&end, b.get(4..).unwrap_or_default(), &comment)?;
        match zip64 {
            Some(z) => rules::zip64_agrees(&end, &z),
            None => {
                if let Some(e) = too_many(u64::from(end.entries)) {
                    return Err(e);
                }
                if u64::from(end.entries) != entries {
                    return Err(Error::malformed(
                        None,
                        D::EntryCount {
                            declared: u64::from(end.entries),
                            found: Found::Records(entries),
                        },
                    ));
                }
                if u64::from(end.cd_offset) != cd_offset || u64::from(end.cd_size) != cd_size {
                    return Err(Error::ambiguous(
                        None,
                        D::CentralDirectoryBounds {
                            offset: u64::from(end.cd_offset),
                            size: u64::from(end.cd_size),
                            end: cd_offset.saturating_add(cd_size),
                        },
                    ));
                }
                Ok(())
            }
        }
    }

    /// The input does not start with a ZIP record: read on (up to `budget`
    /// bytes) to tell a ZIP archive behind a prefix (ambiguous) from bytes
    /// that are no archive at all. Keeps only the last 64 KiB in memory.
    pub(crate) fn not_an_archive(&mut self, offset: u64, budget: u64) -> Error {
        const END_LEN: usize = EndRecord::LEN;
        let keep = END_LEN + usize::from(u16::MAX);
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
            if self.pos.saturating_sub(offset) > budget {
                return broken_first_header();
            }
            let n = match self.fill_buf() {
                Ok([]) => break,
                Ok(b) => {
                    tail.extend_from_slice(b);
                    b.len()
                }
                Err(e) => return Error::io("package", e),
            };
            self.consume(n);
            if tail.len() > keep * 2 {
                tail.drain(..tail.len() - keep);
            }
        }
        let total = self.pos;
        // What a seekable reader searches: the record and the longest comment.
        let tail = tail
            .get(tail.len().saturating_sub(keep)..)
            .unwrap_or_default();
        let end = match rules::end_in_tail(tail) {
            Ok((end, _)) => end,
            Err(e) => return e,
        };
        // Where the central directory says the first entry starts, if it is in view:
        // at 0, the first local header is merely broken (as a seekable reader finds);
        // elsewhere, bytes were put before the archive.
        let tail_start = total - tail.len() as u64;
        let first_offset = le32(tail, end + 16)
            .and_then(|cd| u64::from(cd).checked_sub(tail_start))
            .and_then(|at| usize::try_from(at).ok())
            .filter(|&at| le32(tail, at) == Some(CENTRAL_SIG))
            .and_then(|at| le32(tail, at + 42));
        if first_offset == Some(0) {
            broken_first_header()
        } else {
            Error::ambiguous(None, D::Prefix(offset))
        }
    }
}

/// Stored data followed by a data descriptor, read from a stream: the data
/// ends where the first signed descriptor (in the entry's width) describes
/// the data before it, as a streaming reader finds it. (The seekable index
/// requires that no descriptor describes a shorter prefix, and that the
/// descriptor of stored data is signed, so both readers end it there.)
pub(crate) struct StoredData<'s, I> {
    s: &'s mut Stream<I>,
    wide: bool,
    /// CRC-32 and length of the data consumed so far.
    crc: crc32fast::Hasher,
    len: u64,
    /// Bytes at the front of the buffer known to be data.
    safe: usize,
    found: Option<Descriptor>,
}

impl<I: Input> StoredData<'_, I> {
    /// The descriptor that ended the data, once reached.
    pub(crate) fn descriptor(&self) -> Option<Descriptor> {
        self.found
    }

    /// Reads on to the descriptor, discarding up to `budget` bytes of data:
    /// the descriptor and the data's whole length, or `None` when the budget
    /// or the input ran out first.
    pub(crate) fn skip_to_descriptor(
        &mut self,
        budget: u64,
    ) -> io::Result<Option<(Descriptor, u64)>> {
        let start = self.len;
        while self.found.is_none() && self.len - start <= budget {
            let n = self.fill_buf()?.len();
            if n == 0 {
                break;
            }
            self.consume(n);
        }
        Ok(self.found.map(|d| (d, self.len)))
    }
}

impl<I: Input> Read for StoredData<'_, I> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = copy_prefix(out, self.fill_buf()?);
        self.consume(n);
        Ok(n)
    }
}

impl<I: Input> BufRead for StoredData<'_, I> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.found.is_none() && self.safe == 0 {
            let body = Descriptor::body_len(self.wide);
            let window = self.s.peek(64 << 10)?;
            match find_descriptor(window, &self.crc, self.len, self.wide) {
                Some(0) => {
                    let found = window
                        .get(4..4 + body)
                        .and_then(|b| Descriptor::parse(b, self.wide));
                    self.s.consume(4 + body);
                    self.found = found;
                }
                Some(j) => self.safe = j,
                // Keep back what could still start a descriptor, unless the input ends.
                None if window.len() > 4 + body => self.safe = window.len() - (3 + body),
                None => self.safe = window.len(),
            }
        }
        if self.found.is_some() {
            return Ok(&[]);
        }
        let buffered = self.s.buf.get(self.s.start..self.s.end).unwrap_or_default();
        Ok(buffered.get(..self.safe).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.safe);
        if let Some(data) = self.s.buf.get(self.s.start..self.s.start + n) {
            self.crc.update(data);
        }
        self.len += n as u64;
        self.safe -= n;
        self.s.consume(n);
    }
}

/// Where in `window` a signed data descriptor starts that describes the data
/// before it (whose first `len` bytes, before the window, have CRC `crc`).
fn find_descriptor(window: &[u8], crc: &crc32fast::Hasher, len: u64, wide: bool) -> Option<usize> {
    let mut running = crc.clone();
    let mut hashed = 0;
    let body = Descriptor::body_len(wide);
    let room = window.len().saturating_sub(3 + body);
    let sig = DESCRIPTOR_SIG.to_le_bytes();
    for j in memchr::memmem::find_iter(window, &sig).take_while(|&j| j < room) {
        running.update(window.get(hashed..j).unwrap_or_default());
        hashed = j;
        let describes = window
            .get(j + 4..j + 4 + body)
            .and_then(|b| Descriptor::parse(b, wide))
            .is_some_and(|d| {
                let prefix = len + j as u64;
                d.crc32 == running.clone().finalize()
                    && d.compressed_size == prefix
                    && d.size == prefix
            });
        if describes {
            return Some(j);
        }
    }
    None
}

impl<I: Input> Read for Stream<I> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = copy_prefix(out, self.fill_buf()?);
        self.consume(n);
        Ok(n)
    }
}

impl<I: Input> BufRead for Stream<I> {
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
