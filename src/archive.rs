//! Reading a ZIP archive as a verifier: one reading or none.
//!
//! The zip crate's reader is built for extraction and is lenient on purpose
//! (it finds archives behind prepended bytes and keeps one of two entries
//! with the same name). This reader accepts an archive only when every ZIP
//! reader must see the same entries with the same bytes:
//!
//! * the file is tiled exactly: the first local header at offset 0, each
//!   entry's header, data and data descriptor followed directly by the next
//!   entry, the last one by the central directory, which is followed directly
//!   by the (zip64 and) end records and the comment, up to the end of file;
//! * the central directory lists entries in file order, holds exactly the
//!   declared number of records, and each record agrees with its local header
//!   (name, flags, method, CRC and sizes) and with its data descriptor;
//! * zip64 values agree with the 32-bit ones they replace;
//! * names are unique even ignoring case and Unicode form, and no name is both
//!   a file and a directory;
//! * only stored and deflate entries, nothing encrypted, no links or devices.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use crate::error::{ArchiveDefect as D, Error, Unsupported};
use crate::limits::Limits;
use crate::path;

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const END_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_END_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

pub(crate) const END_LEN: u64 = 22;
pub(crate) const ZIP64_END_LEN: u64 = 56;
pub(crate) const ZIP64_LOCATOR_LEN: u64 = 20;
pub(crate) const LOCAL_LEN: u64 = 30;
pub(crate) const CENTRAL_LEN: usize = 46;

const FLAG_ENCRYPTED: u16 = 1 << 0;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_UTF8: u16 = 1 << 11;
const FLAG_MASKED_HEADERS: u16 = 1 << 13;
/// Deflate options (bits 1-2), data descriptor (3) and UTF-8 names (11).
const FLAGS_KNOWN: u16 = 0b0000_1000_0000_1110;

pub(crate) const METHOD_STORED: u16 = 0;
pub(crate) const METHOD_DEFLATE: u16 = 8;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
const DOS_DIRECTORY: u32 = 0x10;

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

/// One entry as the verified structure describes it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The name as stored, UTF-8.
    pub name: String,
    /// Whether this is a directory entry (name ends in `/`).
    pub is_dir: bool,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    /// Uncompressed size as recorded in the central directory.
    pub size: u64,
    pub header_offset: u64,
    /// Where the entry's data begins (after the local header).
    pub data_offset: u64,
    /// Unix permission bits (`0o7777`), when the entry was made on a unix host.
    pub unix_mode: Option<u32>,
    /// Whether a data descriptor follows the data (flag bit 3).
    pub descriptor: bool,
}

/// Reads and checks the archive's structure, returning its entries in file order.
///
/// Reads only headers and records, never entry data, except to check that a
/// deflated directory entry is empty.
pub(crate) fn index<S: Source + ?Sized>(src: &S, limits: &Limits) -> Result<Vec<Entry>, Error> {
    let end = find_end(src)?;
    if end.entries > limits.max_entries {
        return Err(Error::LimitExceeded {
            entry: None,
            what: "number of entries",
            limit: limits.max_entries,
            actual: end.entries,
        });
    }
    let (mut entries, flags) = read_central(src, &end)?;
    check_names(&entries)?;
    check_local_headers(src, &end, &mut entries, &flags)?;
    for e in &entries {
        check_deflate_bounds(src, e)?;
    }
    Ok(entries)
}

/// An entry recorded as empty (any directory, any empty file) with deflate
/// data must be an empty stream: Java's jar writes such entries as 2-byte
/// streams, and readers that trust the recorded size extract nothing while
/// those that inflate extract whatever the stream holds. They are tiny, so the
/// structure pass reads them.
fn check_deflate_bounds<S: Source + ?Sized>(src: &S, e: &Entry) -> Result<(), Error> {
    if e.method == METHOD_DEFLATE && e.size == 0 && e.compressed_size > 0 {
        let crc = read_entry(src, e, Some(0), |_| true).map_err(|err| match err {
            Error::SizeMismatch { .. } => Error::ambiguous(Some(&e.name), D::EmptyWithContent),
            other => other,
        })?;
        check_crc(e, crc.unwrap_or(!e.crc32))?;
    }
    Ok(())
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
    let len = src.len();
    if len < END_LEN {
        return Err(Error::malformed(None, D::NoEndRecord));
    }
    let tail_len = len.min(END_LEN + u64::from(u16::MAX));
    let tail_start = len - tail_len;
    let tail = read_vec(src, tail_start, tail_len)?;
    // Every position where an end record could start and run, with its comment, exactly to EOF.
    let mut candidates = Vec::new();
    let mut any_signature = false;
    for i in (0..=tail.len().saturating_sub(END_LEN as usize)).rev() {
        if le32(&tail, i) != Some(END_SIG) {
            continue;
        }
        any_signature = true;
        let comment_len = le16(&tail, i + 20).map_or(u64::MAX, u64::from);
        if i as u64 + END_LEN + comment_len == tail_len {
            candidates.push(i);
        }
    }
    let Some(&pos) = candidates.first() else {
        return Err(if any_signature {
            Error::ambiguous(None, D::Trailing)
        } else {
            Error::malformed(None, D::NoEndRecord)
        });
    };
    let comment = tail.get(pos + END_LEN as usize..).unwrap_or_default();
    // A reader that searches backwards stops at the last end signature, even one
    // that starts inside this record's own fields: there must be none after `pos`.
    let later_end = tail
        .get(pos + 1..)
        .unwrap_or_default()
        .windows(4)
        .any(|w| w == END_SIG.to_le_bytes());
    if candidates.len() > 1 || later_end {
        return Err(Error::ambiguous(None, D::SecondEndRecord));
    }
    if has_record_signature(comment) {
        return Err(Error::ambiguous(None, D::SignatureInComment));
    }
    let rec = tail.get(pos..pos + END_LEN as usize).unwrap_or_default();
    let field16 = |o| u64::from(le16(rec, o).unwrap_or(0));
    let field32 = |o| u64::from(le32(rec, o).unwrap_or(0));
    let (disk, cd_disk, disk_entries, entries) = (field16(4), field16(6), field16(8), field16(10));
    let (cd_size, cd_offset) = (field32(12), field32(16));
    if disk != 0 || cd_disk != 0 || disk_entries != entries {
        return Err(Error::malformed(None, D::MultiDisk));
    }
    let end_offset = tail_start + pos as u64;

    // A zip64 locator directly before the end record makes this a zip64 archive.
    let has_locator = end_offset >= ZIP64_LOCATOR_LEN
        && le32(&read_vec(src, end_offset - ZIP64_LOCATOR_LEN, 4)?, 0) == Some(ZIP64_LOCATOR_SIG);
    if !has_locator {
        return Ok(End {
            entries,
            cd_offset,
            cd_size,
            cd_end: end_offset,
        });
    }
    let locator = read_vec(src, end_offset - ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_LEN)?;
    let z64_disk = le32(&locator, 4).unwrap_or(u32::MAX);
    let z64_offset = le64(&locator, 8).unwrap_or(u64::MAX);
    let total_disks = le32(&locator, 16).unwrap_or(u32::MAX);
    if z64_disk != 0 || total_disks > 1 {
        return Err(Error::malformed(None, D::MultiDisk));
    }
    let expected = end_offset
        .checked_sub(ZIP64_LOCATOR_LEN + ZIP64_END_LEN)
        .ok_or_else(|| Error::malformed(None, D::Zip64("no room for the zip64 end record")))?;
    if z64_offset != expected {
        return Err(Error::ambiguous(
            None,
            D::Zip64("the locator does not point directly before itself"),
        ));
    }
    let z = read_vec(src, z64_offset, ZIP64_END_LEN)?;
    let f64_ = |o| le64(&z, o).unwrap_or(u64::MAX);
    let f32_ = |o| u64::from(le32(&z, o).unwrap_or(u32::MAX));
    if le32(&z, 0) != Some(ZIP64_END_SIG) {
        return Err(Error::malformed(
            None,
            D::BadRecord {
                record: "zip64 end record",
                offset: z64_offset,
            },
        ));
    }
    if f64_(4) != ZIP64_END_LEN - 12 {
        return Err(Error::malformed(
            None,
            D::Zip64("extensible data in the zip64 end record is not supported"),
        ));
    }
    if f32_(16) != 0 || f32_(20) != 0 || f64_(24) != f64_(32) {
        return Err(Error::malformed(None, D::MultiDisk));
    }
    let (z_entries, z_size, z_offset) = (f64_(32), f64_(40), f64_(48));
    for (field, v32, sentinel, v64) in [
        ("entry count", entries, 0xffff, z_entries),
        ("central directory size", cd_size, 0xffff_ffff, z_size),
        ("central directory offset", cd_offset, 0xffff_ffff, z_offset),
    ] {
        if v32 != sentinel && v32 != v64 {
            return Err(Error::ambiguous(
                None,
                D::Zip64Disagrees {
                    field,
                    value32: v32,
                    value64: v64,
                },
            ));
        }
    }
    Ok(End {
        entries: z_entries,
        cd_offset: z_offset,
        cd_size: z_size,
        cd_end: z64_offset,
    })
}

/// Per-entry flags, kept beside the entries for the local-header pass.
pub(crate) struct CentralExtra {
    pub(crate) flags: u16,
    /// Length of name, extra field and comment.
    var_len: u64,
}

fn read_central<S: Source + ?Sized>(
    src: &S,
    end: &End,
) -> Result<(Vec<Entry>, Vec<CentralExtra>), Error> {
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
    let mut entries = Vec::with_capacity(end.entries.min(4096) as usize);
    let mut extras = Vec::with_capacity(entries.capacity());
    let mut offset = end.cd_offset;
    let count_error = |found: String| {
        Error::malformed(
            None,
            D::EntryCount {
                declared: end.entries,
                actual: found,
            },
        )
    };
    for i in 0..end.entries {
        let mut fixed = [0u8; CENTRAL_LEN];
        if !read_full(&mut reader, &mut fixed).map_err(|e| Error::io("package", e))? {
            return Err(count_error(format!("only {i}")));
        }
        let (entry, extra) = parse_central(&fixed, offset, |n| {
            let mut var = vec![0u8; n];
            match read_full(&mut reader, &mut var) {
                Ok(true) => Ok(var),
                Ok(false) => Err(Error::malformed(
                    None,
                    D::BadRecord {
                        record: "central directory record",
                        offset,
                    },
                )),
                Err(e) => Err(Error::io("package", e)),
            }
        })?;
        offset += CENTRAL_LEN as u64 + extra.var_len;
        let name = entry.name.clone();
        let header_offset = entry.header_offset;
        if let Some(prev) = entries.last().map(|e: &Entry| e.header_offset) {
            if header_offset <= prev {
                return Err(Error::ambiguous(Some(&name), D::OutOfOrder));
            }
        }
        entries.push(entry);
        extras.push(extra);
    }
    if offset != end.cd_end {
        return Err(count_error(format!(
            "more ({} unread bytes)",
            end.cd_end.saturating_sub(offset)
        )));
    }
    Ok((entries, extras))
}

/// Parses one central-directory record from its 46 fixed bytes (signature
/// included) and, through `rest(n)`, the `n` bytes of name, extra field and
/// comment that follow; applies every per-record rule.
pub(crate) fn parse_central(
    fixed: &[u8],
    offset: u64,
    rest: impl FnOnce(usize) -> Result<Vec<u8>, Error>,
) -> Result<(Entry, CentralExtra), Error> {
    if le32(fixed, 0) != Some(CENTRAL_SIG) {
        return Err(Error::malformed(
            None,
            D::BadRecord {
                record: "central directory record",
                offset,
            },
        ));
    }
    let u16_at = |o| le16(fixed, o).unwrap_or(0);
    let u32_at = |o| le32(fixed, o).unwrap_or(0);
    let made_by = u16_at(4);
    let flags = u16_at(8);
    let method = u16_at(10);
    let crc32 = u32_at(16);
    let (name_len, extra_len, comment_len) = (
        usize::from(u16_at(28)),
        usize::from(u16_at(30)),
        usize::from(u16_at(32)),
    );
    let disk = u16_at(34);
    let external = u32_at(38);
    let var = rest(name_len + extra_len + comment_len)?;
    let name_bytes = var.get(..name_len).unwrap_or_default();
    let extra = var.get(name_len..name_len + extra_len).unwrap_or_default();
    let name = decode_name(name_bytes, flags)?;
    if has_record_signature(var.get(name_len + extra_len..).unwrap_or_default()) {
        return Err(Error::ambiguous(Some(&name), D::SignatureInComment));
    }

    check_flags_and_method(&name, flags, method)?;

    let fields = ExtraFields::parse(extra, &name, name_bytes)?;
    let z64 = fields.zip64.as_deref().unwrap_or_default();
    let values: Vec<u64> = z64
        .chunks_exact(8)
        .filter_map(|c| c.try_into().ok().map(u64::from_le_bytes))
        .collect();
    // APPNOTE 4.5.3: values for the saturated fields only, in the order size,
    // compressed size, offset.
    let mut next = values.iter().copied();
    let mut take64 = |v32: u64| -> Result<u64, Error> {
        if v32 != 0xffff_ffff {
            return Ok(v32);
        }
        next.next().ok_or_else(|| {
            Error::malformed(
                Some(&name),
                D::Zip64("a 32-bit field is saturated but no zip64 value is given"),
            )
        })
    };
    let size = take64(u64::from(u32_at(24)))?;
    let compressed_size = take64(u64::from(u32_at(20)))?;
    let header_offset = take64(u64::from(u32_at(42)))?;
    let extra_values = next.count();
    if disk != 0 {
        return Err(Error::malformed(Some(&name), D::MultiDisk));
    }
    // More values than saturated fields (Go's writer gives all three whenever
    // an entry is zip64): a reader that maps them by position must read what
    // the standard reading gives, so each value must equal its field. A disk
    // number (4 bytes) never: a package is not spanned.
    let by_position = values
        .iter()
        .zip([size, compressed_size, header_offset])
        .all(|(v, field)| *v == field);
    if z64.len() % 8 != 0 || (extra_values > 0 && (values.len() > 3 || !by_position)) {
        return Err(Error::ambiguous(
            Some(&name),
            D::Zip64("the zip64 extra field holds values for fields that are not saturated"),
        ));
    }

    path::check_entry(&name).map_err(|problem| Error::UnsafePath {
        path: name.clone(),
        problem,
    })?;
    let is_dir = name.ends_with('/');
    // The upper half of the external attributes is a unix mode for unix hosts,
    // and Info-ZIP's unzip honours it for several other hosts (Atari, VMS, BeOS,
    // ...): read it whenever it is set, whatever the host.
    let _ = made_by;
    let mut unix_mode = None;
    let mode = external >> 16;
    if mode != 0 {
        match mode & S_IFMT {
            0 => {}
            S_IFREG if !is_dir => {}
            S_IFDIR if is_dir => {}
            S_IFREG | S_IFDIR => return Err(Error::ambiguous(Some(&name), D::DirectoryAttributes)),
            S_IFLNK => return Err(unsupported(&name, Unsupported::Symlink)),
            _ => return Err(unsupported(&name, Unsupported::SpecialFile)),
        }
        unix_mode = Some(mode & 0o7777);
    }
    if external & DOS_DIRECTORY != 0 && !is_dir {
        return Err(Error::ambiguous(Some(&name), D::DirectoryAttributes));
    }
    if is_dir && size != 0 {
        return Err(Error::ambiguous(Some(&name), D::DirectoryWithContent));
    }
    if method == METHOD_STORED && compressed_size != size {
        return Err(Error::malformed(
            Some(&name),
            D::StoredSizes {
                compressed: compressed_size,
                size,
            },
        ));
    }
    Ok((
        Entry {
            name,
            is_dir,
            method,
            crc32,
            compressed_size,
            size,
            header_offset,
            data_offset: 0,
            unix_mode,
            descriptor: flags & FLAG_DESCRIPTOR != 0,
        },
        CentralExtra {
            flags,
            var_len: var.len() as u64,
        },
    ))
}

pub(crate) fn check_names(entries: &[Entry]) -> Result<(), Error> {
    // Each name folded once (without a directory's trailing slash); folding works
    // segment by segment, so a parent's key is a prefix of its child's.
    let folded: Vec<String> = entries
        .iter()
        .map(|e| path::fold(e.name.strip_suffix('/').unwrap_or(&e.name)))
        .collect();
    // Folded name -> (index, is_dir).
    let mut seen: HashMap<&str, (usize, bool)> = HashMap::with_capacity(entries.len());
    for (i, (e, key)) in entries.iter().zip(&folded).enumerate() {
        if let Some(&(j, other_dir)) = seen.get(key.as_str()) {
            let bare = e.name.strip_suffix('/').unwrap_or(&e.name);
            let other = entries.get(j).map(|o| o.name.clone()).unwrap_or_default();
            let defect = if other_dir != e.is_dir {
                D::FileDirConflict(bare.to_owned())
            } else {
                D::DuplicateName {
                    case_only: other != e.name,
                    other,
                }
            };
            return Err(Error::ambiguous(Some(&e.name), defect));
        }
        seen.insert(key, (i, e.is_dir));
    }
    // No file may stand where another entry needs a directory: in sorted order,
    // the key right after "file/" would start with it. (Checking each name's
    // parents instead would cost the square of the name's length.)
    let mut sorted: Vec<(&str, usize)> = folded.iter().map(String::as_str).zip(0..).collect();
    sorted.sort_unstable();
    for (i, e) in entries.iter().enumerate().filter(|(_, e)| !e.is_dir) {
        let Some(key) = folded.get(i) else { continue };
        let dir = format!("{key}/");
        let at = sorted.partition_point(|(k, _)| *k < dir.as_str());
        if let Some(&(_, j)) = sorted.get(at).filter(|(k, _)| k.starts_with(&dir)) {
            let child = entries.get(j).map(|o| o.name.clone()).unwrap_or_default();
            return Err(Error::ambiguous(
                Some(&child),
                D::FileDirConflict(e.name.clone()),
            ));
        }
    }
    Ok(())
}

fn check_local_headers<S: Source + ?Sized>(
    src: &S,
    end: &End,
    entries: &mut [Entry],
    central: &[CentralExtra],
) -> Result<(), Error> {
    let mut expected = 0u64;
    let count = entries.len();
    for i in 0..count {
        let next_start = entries
            .get(i + 1)
            .map_or(end.cd_offset, |n| n.header_offset);
        let (Some(e), Some(c)) = (entries.get_mut(i), central.get(i)) else {
            break;
        };
        let name = e.name.clone();
        let here = Some(name.as_str());
        if e.header_offset != expected {
            return Err(Error::ambiguous(
                here,
                untiled(i == 0, e.header_offset, expected),
            ));
        }
        let fixed = read_vec(src, e.header_offset, LOCAL_LEN)?;
        let local = LocalHeader::parse(&fixed, e.header_offset, here, |n| {
            read_vec(src, e.header_offset + LOCAL_LEN, n as u64)
        })?;
        local.check_against(&local.name_bytes, e, c)?;
        let (descriptor, local_zip64) = (local.flags & FLAG_DESCRIPTOR != 0, local.zip64);
        e.data_offset = e.header_offset + local.len;
        let data_end = e
            .data_offset
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
        expected = if descriptor {
            check_descriptor(src, e, data_end, next_start, local_zip64)?;
            next_start
        } else {
            data_end
        };
    }
    if expected != end.cd_offset {
        return Err(Error::ambiguous(
            None,
            untiled(count == 0, end.cd_offset, expected),
        ));
    }
    Ok(())
}

/// A local file header as read, zip64 sizes resolved.
pub(crate) struct LocalHeader {
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    /// Compressed size as the local header gives it (often 0 with a data descriptor).
    pub compressed_size: u64,
    /// Uncompressed size as the local header gives it (often 0 with a data descriptor).
    pub size: u64,
    pub name_bytes: Vec<u8>,
    /// Whether it has a zip64 extra field (a data descriptor's sizes are then 64-bit).
    pub zip64: bool,
    /// Length of the whole header: 30 bytes, the name and the extra field.
    pub len: u64,
}

impl LocalHeader {
    /// Parses a local header from its 30 fixed bytes (signature included) and,
    /// through `rest(n)`, the `n` bytes of name and extra field that follow.
    /// `here` names the entry in errors (the name itself if `None`).
    pub(crate) fn parse(
        fixed: &[u8],
        offset: u64,
        here: Option<&str>,
        rest: impl FnOnce(usize) -> Result<Vec<u8>, Error>,
    ) -> Result<Self, Error> {
        if le32(fixed, 0) != Some(LOCAL_SIG) {
            return Err(Error::malformed(
                here,
                D::BadRecord {
                    record: "local header",
                    offset,
                },
            ));
        }
        let u16_at = |o| le16(fixed, o).unwrap_or(0);
        let u32_at = |o| le32(fixed, o).unwrap_or(0);
        let (flags, method, crc32) = (u16_at(6), u16_at(8), u32_at(14));
        let (csize32, size32) = (u64::from(u32_at(18)), u64::from(u32_at(22)));
        let (name_len, extra_len) = (usize::from(u16_at(26)), usize::from(u16_at(28)));
        let var = rest(name_len + extra_len)?;
        let (name_bytes, extra) = var.split_at(name_len.min(var.len()));
        let lossy = String::from_utf8_lossy(name_bytes);
        let here = here.unwrap_or(&lossy);
        let fields = ExtraFields::parse(extra, here, name_bytes)?;
        // A local zip64 extra field gives both sizes, and only where both are saturated.
        let zip64 = fields.zip64.is_some();
        if zip64 && (size32 != 0xffff_ffff || csize32 != 0xffff_ffff) {
            return Err(Error::ambiguous(
                Some(here),
                D::Zip64("a local zip64 extra field with unsaturated sizes"),
            ));
        }
        let z = fields.zip64.as_deref().unwrap_or_default();
        let resolve = |v32: u64, v64: Option<u64>| match (v32, v64) {
            (0xffff_ffff, Some(v)) => Ok(v),
            (0xffff_ffff, None) => Err(Error::malformed(
                Some(here),
                D::Zip64("a saturated local size has no zip64 value"),
            )),
            (v, _) => Ok(v),
        };
        Ok(Self {
            flags,
            method,
            crc32,
            size: resolve(size32, le64(z, 0))?,
            compressed_size: resolve(csize32, le64(z, 8))?,
            name_bytes: name_bytes.to_vec(),
            zip64,
            len: LOCAL_LEN + (name_len + extra_len) as u64,
        })
    }

    /// Whether a data descriptor follows the data.
    pub(crate) fn has_descriptor(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR != 0
    }

    /// Requires agreement with the entry's central record. `name` is the local
    /// name's bytes (kept here or by the caller).
    pub(crate) fn check_against(
        &self,
        name: &[u8],
        e: &Entry,
        c: &CentralExtra,
    ) -> Result<(), Error> {
        let here = Some(e.name.as_str());
        // The central name is the same bytes as `e.name` (it decoded as UTF-8 without loss).
        if name != e.name.as_bytes() {
            return Err(Error::ambiguous(here, D::LocalMismatch("name")));
        }
        if self.flags != c.flags {
            return Err(Error::ambiguous(here, D::LocalMismatch("flags")));
        }
        if self.method != e.method {
            return Err(Error::ambiguous(
                here,
                D::LocalMismatch("compression method"),
            ));
        }
        for (what, local, central) in [
            ("CRC-32", u64::from(self.crc32), u64::from(e.crc32)),
            ("compressed size", self.compressed_size, e.compressed_size),
            ("size", self.size, e.size),
        ] {
            // With a data descriptor the local values may be zero (they follow the data).
            if local != central && !(self.has_descriptor() && local == 0) {
                return Err(Error::ambiguous(here, D::LocalMismatch(what)));
            }
        }
        Ok(())
    }
}

/// What it means that a record starts at `found` where the previous one ended at `expected`.
fn untiled(first: bool, found: u64, expected: u64) -> D {
    if first {
        D::Prefix(found)
    } else if found > expected {
        D::Gap {
            offset: expected,
            len: found - expected,
        }
    } else {
        D::Overlap { offset: found }
    }
}

/// A data descriptor fills the space between an entry's data and the next record
/// exactly. Its sizes are 64-bit exactly when the local header has a zip64 extra
/// field (as streaming readers decide it); its length then says whether the
/// optional signature is there.
fn check_descriptor<S: Source + ?Sized>(
    src: &S,
    e: &Entry,
    data_end: u64,
    next_start: u64,
    wide: bool,
) -> Result<(), Error> {
    let here = Some(e.name.as_str());
    let len = next_start - data_end;
    let signed = match (len, wide) {
        (12, false) | (20, true) => false,
        (16, false) | (24, true) => true,
        _ => {
            return Err(Error::ambiguous(
                here,
                D::DataDescriptor("its length does not match any descriptor form"),
            ))
        }
    };
    let d = read_vec(src, data_end, len)?;
    let body = if signed {
        if le32(&d, 0) != Some(DESCRIPTOR_SIG) {
            return Err(Error::ambiguous(
                here,
                D::DataDescriptor("its signature is wrong"),
            ));
        }
        d.get(4..).unwrap_or_default()
    } else {
        &d[..]
    };
    let crc = le32(body, 0);
    let (csize, size) = if wide {
        (le64(body, 4), le64(body, 12))
    } else {
        (le32(body, 4).map(u64::from), le32(body, 8).map(u64::from))
    };
    if crc != Some(e.crc32) || csize != Some(e.compressed_size) || size != Some(e.size) {
        return Err(Error::ambiguous(
            here,
            D::DataDescriptor("it disagrees with the central directory"),
        ));
    }
    Ok(())
}

/// The extra fields a package may carry; each may appear once.
///
/// Allowed: zip64 (0x0001) and Info-ZIP unicode path (0x7075), both checked;
/// timestamps (0x5455 extended timestamp, 0x000a NTFS), which no reader uses to
/// find, name or decode content; an empty JAR marker (0xcafe). Everything else
/// is refused, because some reader acts on it: 0x7875/0x7855/0x5855 set the
/// owner, 0x6c78 sets file type and permissions in libarchive, and unknown
/// fields can hide records. No allowed field may contain a record signature.
struct ExtraFields {
    zip64: Option<Vec<u8>>,
}

impl ExtraFields {
    fn parse(mut extra: &[u8], name: &str, name_bytes: &[u8]) -> Result<Self, Error> {
        let mut zip64 = None;
        let mut seen: Vec<u16> = Vec::new();
        while !extra.is_empty() {
            let (Some(id), Some(len)) = (le16(extra, 0), le16(extra, 2)) else {
                return Err(Error::malformed(Some(name), D::BadExtraField("extra")));
            };
            let Some(data) = extra.get(4..4 + usize::from(len)) else {
                return Err(Error::malformed(Some(name), D::BadExtraField("extra")));
            };
            if seen.contains(&id) {
                return Err(Error::ambiguous(Some(name), D::BadExtraField("repeated")));
            }
            seen.push(id);
            // zip64 values are numbers checked exactly; any other field must not hide records.
            if id != 0x0001 && has_record_signature(data) {
                return Err(Error::ambiguous(Some(name), D::SignatureInComment));
            }
            match id {
                0x0001 => zip64 = Some(data.to_vec()),
                0x7075 => {
                    // Info-ZIP unicode path: version 1, CRC-32 of the header name, UTF-8 name.
                    if data.first() != Some(&1)
                        || le32(data, 1) != Some(crc32fast::hash(name_bytes))
                        || data.get(5..) != Some(name.as_bytes())
                    {
                        return Err(Error::ambiguous(Some(name), D::SecondName));
                    }
                }
                0x5455 | 0x000a => {}
                0xcafe if data.is_empty() => {}
                other => return Err(unsupported(name, Unsupported::ExtraField(other))),
            }
            extra = extra.get(4 + usize::from(len)..).unwrap_or_default();
        }
        Ok(Self { zip64 })
    }
}

/// Nothing encrypted, no unknown flag bits, only stored and deflate.
pub(crate) fn check_flags_and_method(name: &str, flags: u16, method: u16) -> Result<(), Error> {
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS) != 0 {
        return Err(unsupported(name, Unsupported::Encrypted));
    }
    if flags & !FLAGS_KNOWN != 0 {
        return Err(unsupported(name, Unsupported::Flags(flags & !FLAGS_KNOWN)));
    }
    if method != METHOD_STORED && method != METHOD_DEFLATE {
        return Err(unsupported(name, Unsupported::Method(method)));
    }
    Ok(())
}

/// Whether `bytes` hold a ZIP record signature. Comments are free text, so a
/// reader that scans for records (a streaming or repairing one) must not find
/// any there: records hidden in comments are a known way to give one archive
/// two readings.
pub(crate) fn has_record_signature(bytes: &[u8]) -> bool {
    const SIGNATURES: [u32; 6] = [
        LOCAL_SIG,
        CENTRAL_SIG,
        END_SIG,
        ZIP64_END_SIG,
        ZIP64_LOCATOR_SIG,
        DESCRIPTOR_SIG,
    ];
    bytes
        .windows(4)
        .filter_map(|w| w.try_into().ok().map(u32::from_le_bytes))
        .any(|v| SIGNATURES.contains(&v))
}

pub(crate) fn decode_name(bytes: &[u8], flags: u16) -> Result<String, Error> {
    let lossy = || String::from_utf8_lossy(bytes).into_owned();
    if !bytes.is_ascii() && flags & FLAG_UTF8 == 0 {
        return Err(Error::ambiguous(Some(&lossy()), D::NameEncoding));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::UnsafePath {
        path: lossy(),
        problem: crate::error::PathProblem::NotUtf8,
    })
}

fn unsupported(name: &str, feature: Unsupported) -> Error {
    Error::UnsupportedEntry {
        entry: name.to_owned(),
        feature,
    }
}

/// Streams an entry's content to `sink`, in chunks (until `sink` returns false,
/// which makes the result `Ok(None)`), reading at most
/// `expected + 1` bytes of output; checks the length and that a deflate stream
/// ends exactly at its compressed size, and returns the content's CRC-32 for
/// the caller to check with [`check_crc`] (payload is compared with its signed
/// digest first, which is the more useful verdict when both differ).
///
/// `signed_size` is the size the signed manifest gives (for payload); without
/// it the central directory's size is expected. Output beyond the expected
/// size is a [`Error::SizeMismatch`] against a signed size, else malformed.
pub(crate) fn read_entry<S: Source + ?Sized>(
    src: &S,
    entry: &Entry,
    signed_size: Option<u64>,
    mut sink: impl FnMut(&[u8]) -> bool,
) -> Result<Option<u32>, Error> {
    let here = Some(entry.name.as_str());
    let expected = signed_size.unwrap_or(entry.size);
    let cursor = Cursor {
        src,
        pos: entry.data_offset,
        end: entry.data_offset.saturating_add(entry.compressed_size),
    };
    let limit = expected.saturating_add(1);
    let mut crc = crc32fast::Hasher::new();
    let mut produced = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    // A streaming reader cannot delimit stored data followed by a descriptor except
    // by looking for one: the data must not contain a descriptor for a prefix of itself.
    let mut scan =
        (entry.method == METHOD_STORED && entry.descriptor).then(DescriptorScan::default);
    // Ok(false): the sink asked to stop.
    let mut pump = |reader: &mut dyn Read, produced: &mut u64| -> Result<bool, Error> {
        while *produced < limit {
            let want = usize::try_from(limit - *produced)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = match reader.read(chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(content_error(here, e)),
            };
            // Never hand out the byte past the expected size.
            let keep_len = expected.saturating_sub(*produced).min(n as u64) as usize;
            *produced += n as u64;
            let keep = chunk.get(..keep_len).unwrap_or_default();
            crc.update(keep);
            if let Some(scan) = scan.as_mut() {
                if scan.feed(keep) {
                    return Err(Error::ambiguous(here, D::DataDescriptor(HIDDEN_DESCRIPTOR)));
                }
            }
            if !sink(keep) {
                return Ok(false);
            }
        }
        Ok(true)
    };
    match entry.method {
        METHOD_STORED => {
            let mut r = cursor;
            if !pump(&mut r, &mut produced)? {
                return Ok(None);
            }
            if scan.as_mut().is_some_and(DescriptorScan::finish) {
                return Err(Error::ambiguous(here, D::DataDescriptor(HIDDEN_DESCRIPTOR)));
            }
        }
        _ => {
            let mut decoder =
                flate2::bufread::DeflateDecoder::new(BufReader::with_capacity(64 << 10, cursor));
            if !pump(&mut decoder, &mut produced)? {
                return Ok(None);
            }
            if produced == expected {
                let used = decoder.total_in();
                if used != entry.compressed_size {
                    return Err(Error::malformed(
                        here,
                        D::DeflateLength {
                            used,
                            compressed: entry.compressed_size,
                        },
                    ));
                }
            }
        }
    }
    if produced != expected {
        return Err(match signed_size {
            Some(_) => Error::SizeMismatch {
                path: entry.name.clone(),
                expected,
                actual: produced,
            },
            None => Error::malformed(
                here,
                D::Length {
                    expected,
                    actual: produced,
                },
            ),
        });
    }
    Ok(Some(crc.finalize()))
}

const HIDDEN_DESCRIPTOR: &str = "the stored data holds a descriptor for a prefix of itself, where a streaming reader would end the entry";

/// Looks through stored data for a data descriptor (signature, CRC-32 and sizes,
/// 32- or 64-bit) that would describe the data before it, as a streaming reader
/// that scans for descriptor signatures would take it.
#[derive(Default)]
struct DescriptorScan {
    /// CRC-32 of the data before `carry`.
    crc: crc32fast::Hasher,
    /// Length of the data before `carry`.
    offset: u64,
    /// Bytes not yet examined as the start of a descriptor (fewer than 24 once fed).
    carry: Vec<u8>,
}

impl DescriptorScan {
    /// Feeds the next chunk; true if a matching descriptor starts in the data so far.
    fn feed(&mut self, chunk: &[u8]) -> bool {
        self.carry.extend_from_slice(chunk);
        // Keep back what could still start a 24-byte descriptor.
        self.examine(23)
    }

    /// After the last chunk: the rest, where only a 16-byte descriptor fits.
    fn finish(&mut self) -> bool {
        self.examine(15)
    }

    fn examine(&mut self, keep_back: usize) -> bool {
        let buf = std::mem::take(&mut self.carry);
        let limit = buf.len().saturating_sub(keep_back);
        let mut running = self.crc.clone();
        let mut hashed = 0;
        let mut found = false;
        for j in 0..limit {
            if le32(&buf, j) != Some(DESCRIPTOR_SIG) {
                continue;
            }
            running.update(buf.get(hashed..j).unwrap_or_default());
            hashed = j;
            let prefix_crc = running.clone().finalize();
            let len = self.offset + j as u64;
            let narrow = le32(&buf, j + 4) == Some(prefix_crc)
                && le32(&buf, j + 8).map(u64::from) == Some(len)
                && le32(&buf, j + 12).map(u64::from) == Some(len);
            let wide = le32(&buf, j + 4) == Some(prefix_crc)
                && le64(&buf, j + 8) == Some(len)
                && le64(&buf, j + 16) == Some(len);
            if narrow || wide {
                found = true;
                break;
            }
        }
        self.crc.update(buf.get(..limit).unwrap_or_default());
        self.offset += limit as u64;
        self.carry = buf.get(limit..).unwrap_or_default().to_vec();
        found
    }
}

/// What a failed read of entry content means: the inflater's complaints are
/// a corrupt deflate stream, an early end is truncation, the rest is I/O.
pub(crate) fn content_error(here: Option<&str>, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            Error::malformed(here, D::Deflate)
        }
        io::ErrorKind::UnexpectedEof => Error::malformed(here, D::Truncated),
        _ => Error::io("package", e),
    }
}

/// Compares a computed CRC-32 with the entry's record.
pub(crate) fn check_crc(entry: &Entry, actual: u32) -> Result<(), Error> {
    check_crc_named(&entry.name, entry.crc32, actual)
}

/// Compares a computed CRC-32 with a recorded one.
pub(crate) fn check_crc_named(name: &str, expected: u32, actual: u32) -> Result<(), Error> {
    if actual == expected {
        Ok(())
    } else {
        Err(Error::malformed(Some(name), D::Crc { expected, actual }))
    }
}

/// Reads a whole small entry (manifest, signature files) into memory.
pub(crate) fn read_small<S: Source + ?Sized>(src: &S, entry: &Entry) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(usize::try_from(entry.size.min(1 << 20)).unwrap_or(0));
    let crc = read_entry(src, entry, None, |chunk| {
        out.extend_from_slice(chunk);
        true
    })?;
    check_crc(entry, crc.unwrap_or(!entry.crc32))?;
    Ok(out)
}

/// A `Read` over a byte range of a [`Source`].
struct Cursor<'a, S: ?Sized> {
    src: &'a S,
    pos: u64,
    end: u64,
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
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

pub(crate) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}
