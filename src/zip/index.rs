//! The seekable reader: finds the end records, reads the central directory,
//! then every local header and data descriptor where the directory says
//! they are, applying the header rules (`header`) and the rules across
//! records (`rules`), and requiring the file to be tiled exactly. It reads
//! headers only; content is read later, by `content`, on many threads.

use std::io::{self, BufRead, BufReader, Read};

use crate::error::{ArchiveDefect as D, Error, Found};
use crate::limits::Limits;

use super::header::{Entry, LocalHeader};
use super::records::{
    fixed, CentralRecord, Descriptor, EndRecord, LocalRecord, Zip64EndRecord, Zip64Locator,
};
use super::rules;

/// Anything the verifier can read at an offset: a file (positioned reads, so
/// several readers can share it) or bytes in memory.
pub(crate) trait Source: Sync {
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// Reads up to `buf.len()` bytes at `offset`; 0 means end of input.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(<[u8]>::len(self));
        Ok(copy_prefix(buf, self.get(start..).unwrap_or_default()))
    }
}

/// Copies as much of `src` as fits into the start of `dst`; returns how much.
pub(crate) fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

/// A file and its length, taken once when verification starts.
pub(crate) struct FileSource<'a> {
    pub(crate) file: &'a std::fs::File,
    pub(crate) len: u64,
}

impl Source for FileSource<'_> {
    fn len(&self) -> u64 {
        self.len
    }
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self.file, buf, offset)
    }
    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self.file, buf, offset)
    }
}

/// An entry as the index found it: its central record and where its data starts.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub(crate) entry: Entry,
    /// Where the entry's data begins (after the local header).
    pub(crate) data_offset: u64,
}

impl Located {
    /// A buffered reader of the entry's data, for the content reader.
    pub(crate) fn data<'a, S: Source + ?Sized>(&self, src: &'a S) -> impl BufRead + 'a {
        // Sized to the entry: packages hold many small files.
        let capacity = usize::try_from(self.entry.compressed_size.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(64 << 10);
        BufReader::with_capacity(
            capacity,
            Cursor {
                src,
                pos: self.data_offset,
                end: self.data_offset.saturating_add(self.entry.compressed_size),
            },
        )
    }
}

/// Reads and checks the archive's structure, returning its entries in file
/// order. Reads only headers and records, never entry data.
pub(crate) fn index<S: Source + ?Sized>(src: &S, limits: &Limits) -> Result<Vec<Located>, Error> {
    let end = find_end(src)?;
    if end.entries > limits.max_entries {
        return Err(Error::LimitExceeded {
            entry: None,
            what: "number of entries",
            limit: limits.max_entries,
            actual: end.entries,
        });
    }
    let entries = read_central(src, &end)?;
    rules::names(&entries)?;
    locate(src, &end, entries)
}

/// The end records, resolved (zip64 values where present).
struct End {
    entries: u64,
    cd_offset: u64,
    cd_size: u64,
    /// Where the central directory must end: the zip64 end record or the end record.
    cd_end: u64,
}

fn find_end<S: Source + ?Sized>(src: &S) -> Result<End, Error> {
    const END_LEN: u64 = EndRecord::LEN as u64;
    const LOCATOR_LEN: u64 = Zip64Locator::LEN as u64;
    const Z64_LEN: u64 = Zip64EndRecord::LEN as u64;
    let len = src.len();
    if len < END_LEN {
        return Err(Error::malformed(None, D::NoEndRecord));
    }
    let tail_len = len.min(END_LEN + u64::from(u16::MAX));
    let tail_start = len - tail_len;
    let tail = read_vec(src, tail_start, tail_len)?;
    let (pos, rec) = rules::end_in_tail(&tail)?;
    let fields = tail
        .get(pos + 4..pos + END_LEN as usize)
        .unwrap_or_default();
    let comment = tail.get(pos + END_LEN as usize..).unwrap_or_default();
    rules::end_record(&rec, fields, comment)?;
    let end_offset = tail_start + pos as u64;

    // A zip64 locator directly before the end record makes this a zip64 archive.
    let locator = match end_offset.checked_sub(LOCATOR_LEN) {
        Some(at) => fixed(&read_vec(src, at, LOCATOR_LEN)?)
            .copied()
            .and_then(|b| Zip64Locator::parse(&b)),
        None => None,
    };
    let Some(locator) = locator else {
        return Ok(End {
            entries: u64::from(rec.entries),
            cd_offset: u64::from(rec.cd_offset),
            cd_size: u64::from(rec.cd_size),
            cd_end: end_offset,
        });
    };
    if !locator.single_disk() {
        return Err(Error::malformed(None, D::MultiDisk));
    }
    let expected = end_offset
        .checked_sub(LOCATOR_LEN + Z64_LEN)
        .ok_or_else(|| Error::malformed(None, D::Zip64("no room for the zip64 end record")))?;
    if locator.end_offset != expected {
        return Err(Error::ambiguous(
            None,
            D::Zip64("the locator does not point directly before itself"),
        ));
    }
    let z = fixed(&read_vec(src, expected, Z64_LEN)?)
        .copied()
        .and_then(|b| Zip64EndRecord::parse(&b))
        .ok_or_else(|| {
            Error::malformed(
                None,
                D::BadRecord {
                    record: "zip64 end record",
                    offset: expected,
                },
            )
        })?;
    z.check()?;
    rules::zip64_agrees(&rec, &z)?;
    Ok(End {
        entries: z.entries,
        cd_offset: z.cd_offset,
        cd_size: z.cd_size,
        cd_end: expected,
    })
}

fn read_central<S: Source + ?Sized>(src: &S, end: &End) -> Result<Vec<Entry>, Error> {
    let cd_stop = end.cd_offset.checked_add(end.cd_size);
    if cd_stop != Some(end.cd_end) {
        return Err(Error::ambiguous(
            None,
            D::CentralDirectoryBounds {
                offset: end.cd_offset,
                size: end.cd_size,
                end: end.cd_end,
            },
        ));
    }
    let mut reader = BufReader::with_capacity(
        64 << 10,
        Cursor {
            src,
            pos: end.cd_offset,
            end: end.cd_end,
        },
    );
    // The count is bounded by Limits::max_entries, but do not trust it for capacity.
    let mut entries: Vec<Entry> = Vec::with_capacity(end.entries.min(4096) as usize);
    let mut offset = end.cd_offset;
    let count_error = |n: u64| {
        Error::malformed(
            None,
            D::EntryCount {
                declared: end.entries,
                found: Found::Only(n),
            },
        )
    };
    let bad = |offset| {
        Error::malformed(
            None,
            D::BadRecord {
                record: "central directory record",
                offset,
            },
        )
    };
    for i in 0..end.entries {
        let mut b = [0u8; CentralRecord::LEN];
        if !read_full(&mut reader, &mut b)? {
            return Err(count_error(i));
        }
        let rec = CentralRecord::parse(&b).ok_or_else(|| bad(offset))?;
        let mut var = vec![0u8; rec.var_len()];
        if !read_full(&mut reader, &mut var)? {
            return Err(bad(offset));
        }
        let (entry, flaw) = Entry::parse(&rec, &var)?;
        flaw.check()?;
        offset += entry.len;
        if let Some(prev) = entries.last() {
            if entry.header_offset <= prev.header_offset {
                return Err(Error::ambiguous(Some(&entry.name), D::OutOfOrder));
            }
        }
        entries.push(entry);
    }
    if offset != end.cd_end {
        // More bytes than the declared records fill: count what they hold.
        return Err(Error::malformed(
            None,
            D::EntryCount {
                declared: end.entries,
                found: Found::More {
                    unread: end.cd_end.saturating_sub(offset),
                },
            },
        ));
    }
    Ok(entries)
}

/// Reads each entry's local header and data descriptor where the central
/// directory puts them: each entry directly after the previous one, the
/// first at offset 0, the central directory directly after the last.
fn locate<S: Source + ?Sized>(
    src: &S,
    end: &End,
    entries: Vec<Entry>,
) -> Result<Vec<Located>, Error> {
    let mut out = Vec::with_capacity(entries.len());
    let mut expected = 0u64;
    let count = entries.len();
    let starts: Vec<u64> = entries
        .iter()
        .skip(1)
        .map(|e| e.header_offset)
        .chain([end.cd_offset])
        .collect();
    for (i, (e, next_start)) in entries.into_iter().zip(starts).enumerate() {
        let here = Some(e.name.as_str());
        if e.header_offset != expected {
            return Err(Error::ambiguous(
                here,
                rules::untiled(i == 0, e.header_offset, expected),
            ));
        }
        let b = read_vec(src, e.header_offset, LocalRecord::LEN as u64)?;
        let rec = fixed(&b).and_then(LocalRecord::parse).ok_or_else(|| {
            Error::malformed(
                here,
                D::BadRecord {
                    record: "local header",
                    offset: e.header_offset,
                },
            )
        })?;
        let var = read_vec(
            src,
            e.header_offset + LocalRecord::LEN as u64,
            rec.var_len() as u64,
        )?;
        let (local, flaw) = LocalHeader::parse(&rec, e.header_offset, &var)?;
        flaw.check()?;
        rules::local_agrees(&local, &e)?;
        let data_offset = local.data_offset();
        let data_end = data_offset
            .checked_add(e.compressed_size)
            .filter(|&d| d <= next_start)
            .ok_or_else(|| {
                Error::ambiguous(
                    here,
                    D::Overlap {
                        offset: e.header_offset,
                    },
                )
            })?;
        expected = if e.has_descriptor() {
            check_descriptor(src, &e, data_end, next_start, local.zip64)?;
            next_start
        } else {
            data_end
        };
        out.push(Located {
            entry: e,
            data_offset,
        });
    }
    if expected != end.cd_offset {
        return Err(Error::ambiguous(
            None,
            rules::untiled(count == 0, end.cd_offset, expected),
        ));
    }
    Ok(out)
}

/// A data descriptor fills the space between an entry's data and the next
/// record exactly, in the form its first four bytes and the local zip64
/// field give it, and repeats the central record's values.
fn check_descriptor<S: Source + ?Sized>(
    src: &S,
    e: &Entry,
    data_end: u64,
    next_start: u64,
    wide: bool,
) -> Result<(), Error> {
    let here = Some(e.name.as_str());
    let gap = next_start - data_end;
    let first = read_vec(src, data_end, gap.min(4))?;
    let first4 = super::header::le32(&first, 0).unwrap_or(0);
    let (signed, len) = rules::descriptor_len(first4, wide);
    if gap != len as u64 {
        return Err(Error::ambiguous(
            here,
            D::DataDescriptor("its length does not match any descriptor form"),
        ));
    }
    if e.method == super::header::METHOD_STORED && !signed {
        return Err(Error::UnsupportedEntry {
            entry: e.name.clone(),
            feature: crate::error::Unsupported::UnsignedStoredDescriptor,
        });
    }
    let d = read_vec(src, data_end, gap)?;
    let body = d.get(usize::from(signed) * 4..).unwrap_or_default();
    let desc = Descriptor::parse(body, wide).ok_or_else(|| Error::malformed(here, D::Truncated))?;
    rules::descriptor_agrees(&desc, e)
}

/// A `Read` over a byte range of a [`Source`]; the source ending inside the
/// range is an `UnexpectedEof` error.
pub(crate) struct Cursor<'a, S: ?Sized> {
    pub(crate) src: &'a S,
    pub(crate) pos: u64,
    pub(crate) end: u64,
}

impl<S: Source + ?Sized> Read for Cursor<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let want = left.min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self
            .src
            .read_at(buf.get_mut(..want).unwrap_or_default(), self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the package ends inside an entry",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

fn read_vec<S: Source + ?Sized>(src: &S, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
    if offset.checked_add(len).is_none_or(|e| e > src.len()) {
        return Err(Error::malformed(None, D::Truncated));
    }
    let mut out =
        vec![0u8; usize::try_from(len).map_err(|_| Error::malformed(None, D::Truncated))?];
    let mut cur = Cursor {
        src,
        pos: offset,
        end: offset + len,
    };
    match cur.read_exact(&mut out) {
        Ok(()) => Ok(out),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            Err(Error::malformed(None, D::Truncated))
        }
        Err(e) => Err(Error::io("package", e)),
    }
}

/// Fills `buf`; `Ok(false)` if the input ended first.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<bool, Error> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(Error::io("package", e)),
    }
}
