//! An entry's two headers with their variable parts (name, extra field,
//! comment): the local header and the central directory record. Each is read
//! once, by [`LocalHeader::parse`] and [`Entry::parse`], which apply every
//! rule that concerns that header alone; rules across headers are in
//! `rules`.

use crate::error::{ArchiveDefect as D, Error, PathProblem, Unsupported};
use crate::path;

use super::records::{CentralRecord, LocalRecord};
use super::rules::has_record_signature;

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

/// A 32-bit size or offset field whose value is in the zip64 extra field.
const SATURATED: u64 = 0xffff_ffff;

/// A local file header as read, its zip64 sizes resolved.
#[derive(Debug, Clone)]
pub(crate) struct LocalHeader {
    /// Where the header starts in the archive.
    pub(crate) offset: u64,
    pub(crate) flags: u16,
    pub(crate) method: u16,
    pub(crate) crc32: u32,
    /// Compressed size as the local header gives it (often 0 with a data descriptor).
    pub(crate) compressed_size: u64,
    /// Uncompressed size as the local header gives it (often 0 with a data descriptor).
    pub(crate) size: u64,
    /// The name, UTF-8 (anything else is refused).
    pub(crate) name: String,
    /// Whether it has a zip64 extra field (a data descriptor's sizes are then 64-bit).
    pub(crate) zip64: bool,
    /// Length of the whole header: 30 bytes, the name and the extra field.
    pub(crate) len: u64,
}

impl LocalHeader {
    /// Reads a local header from its fixed record at `offset` and the
    /// `rec.var_len()` bytes of name and extra field that follow, applying
    /// every rule about the header alone: name encoding, extra fields, zip64
    /// sizes, flags and method, and the path rules.
    ///
    /// A header that breaks a rule but still says where its data ends comes
    /// back with the first broken rule as its [`Flaw`]; one whose sizes
    /// cannot be known is an error.
    pub(crate) fn parse(rec: &LocalRecord, offset: u64, var: &[u8]) -> Result<(Self, Flaw), Error> {
        let mut flaw = Flaw::default();
        let (name_bytes, extra) = var.split_at(usize::from(rec.name_len).min(var.len()));
        let name = flaw.or_lossy(decode_name(name_bytes, rec.flags), name_bytes);
        let fields = ExtraFields::parse(extra, &name, name_bytes, &mut flaw);
        let (size32, csize32) = (u64::from(rec.size), u64::from(rec.compressed_size));
        // A local zip64 extra field gives both sizes, and only where both are saturated.
        let zip64 = fields.zip64.is_some();
        if zip64 && (size32 != SATURATED || csize32 != SATURATED) {
            flaw.note(Err(Error::ambiguous(
                Some(&name),
                D::Zip64("a local zip64 extra field with unsaturated sizes"),
            )));
        }
        let z = fields.zip64.as_deref().unwrap_or_default();
        let resolve = |v32: u64, at: usize| match (v32, le64(z, at)) {
            (SATURATED, Some(v)) => Ok(v),
            (SATURATED, None) => Err(Error::malformed(
                Some(&name),
                D::Zip64("a saturated local size has no zip64 value"),
            )),
            (v, _) => Ok(v),
        };
        let size = resolve(size32, 0)?;
        let compressed_size = resolve(csize32, 8)?;
        flaw.note(check_flags_and_method(&name, rec.flags, rec.method));
        flaw.note(check_path(&name));
        let header = Self {
            offset,
            flags: rec.flags,
            method: rec.method,
            crc32: rec.crc32,
            compressed_size,
            size,
            name,
            zip64,
            len: (LocalRecord::LEN + var.len()) as u64,
        };
        Ok((header, flaw))
    }

    /// Whether a data descriptor follows the data.
    pub(crate) fn has_descriptor(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR != 0
    }

    /// Where the entry's data begins.
    pub(crate) fn data_offset(&self) -> u64 {
        self.offset.saturating_add(self.len)
    }

    /// Whether this is a directory entry (name ends in `/`).
    pub(crate) fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
}

/// One entry as its central directory record describes it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The name as stored, UTF-8.
    pub(crate) name: String,
    /// Whether this is a directory entry (name ends in `/`).
    pub(crate) is_dir: bool,
    pub(crate) flags: u16,
    pub(crate) method: u16,
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u64,
    /// Uncompressed size as recorded in the central directory.
    pub(crate) size: u64,
    pub(crate) header_offset: u64,
    /// Unix permission bits (`0o7777`), when the attributes carry a unix mode.
    pub(crate) unix_mode: Option<u32>,
    /// Length of the record: 46 bytes, the name, extra field and comment.
    pub(crate) len: u64,
}

impl Entry {
    /// Reads a central directory record from its fixed record and the
    /// `rec.var_len()` bytes of name, extra field and comment that follow,
    /// applying every rule about the record alone. As with
    /// [`LocalHeader::parse`], a broken rule is the record's [`Flaw`]; a
    /// record whose sizes or offset cannot be known is an error.
    pub(crate) fn parse(rec: &CentralRecord, var: &[u8]) -> Result<(Self, Flaw), Error> {
        let mut flaw = Flaw::default();
        let (name_len, extra_len) = (usize::from(rec.name_len), usize::from(rec.extra_len));
        let name_bytes = var.get(..name_len).unwrap_or_default();
        let extra = var.get(name_len..name_len + extra_len).unwrap_or_default();
        let name = flaw.or_lossy(decode_name(name_bytes, rec.flags), name_bytes);
        if has_record_signature(var.get(name_len + extra_len..).unwrap_or_default()) {
            flaw.note(Err(Error::ambiguous(Some(&name), D::SignatureInComment)));
        }
        flaw.note(check_flags_and_method(&name, rec.flags, rec.method));

        let fields = ExtraFields::parse(extra, &name, name_bytes, &mut flaw);
        let z64 = fields.zip64.as_deref().unwrap_or_default();
        let values: Vec<u64> = z64
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok().map(u64::from_le_bytes))
            .collect();
        // APPNOTE 4.5.3: values for the saturated fields only, in the order size,
        // compressed size, offset.
        let mut next = values.iter().copied();
        let mut take64 = |v32: u32| -> Result<u64, Error> {
            let v32 = u64::from(v32);
            if v32 != SATURATED {
                return Ok(v32);
            }
            next.next().ok_or_else(|| {
                Error::malformed(
                    Some(&name),
                    D::Zip64("a 32-bit field is saturated but no zip64 value is given"),
                )
            })
        };
        let size = take64(rec.size)?;
        let compressed_size = take64(rec.compressed_size)?;
        let header_offset = take64(rec.header_offset)?;
        let extra_values = next.count();
        if rec.disk != 0 {
            flaw.note(Err(Error::malformed(Some(&name), D::MultiDisk)));
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
            flaw.note(Err(Error::ambiguous(
                Some(&name),
                D::Zip64("the zip64 extra field holds values for fields that are not saturated"),
            )));
        }

        flaw.note(check_path(&name));
        let is_dir = name.ends_with('/');
        let unix_mode = flaw.or_default(file_mode(&name, is_dir, rec.external));
        if is_dir && size != 0 {
            flaw.note(Err(Error::ambiguous(Some(&name), D::DirectoryWithContent)));
        }
        if rec.method == METHOD_STORED && compressed_size != size {
            flaw.note(Err(Error::malformed(
                Some(&name),
                D::StoredSizes {
                    compressed: compressed_size,
                    size,
                },
            )));
        }
        if rec.flags & FLAG_DESCRIPTOR != 0 {
            flaw.note(super::rules::descriptor_crc(&name, rec.crc32));
        }
        let entry = Self {
            name,
            is_dir,
            flags: rec.flags,
            method: rec.method,
            crc32: rec.crc32,
            compressed_size,
            size,
            header_offset,
            unix_mode,
            len: (CentralRecord::LEN + var.len()) as u64,
        };
        Ok((entry, flaw))
    }

    /// Whether a data descriptor follows the data (flag bit 3).
    pub(crate) fn has_descriptor(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR != 0
    }
}

/// The first rule a header breaks, when it can still be read past: the
/// seekable index rejects it at once, the linear reader holds it and reads
/// on, in case the archive's frame is broken too (which outranks it).
#[derive(Debug, Default)]
pub(crate) struct Flaw(Option<Error>);

impl Flaw {
    /// Keeps the first failure.
    pub(crate) fn note(&mut self, r: Result<(), Error>) {
        if let (None, Err(e)) = (&self.0, r) {
            self.0 = Some(e);
        }
    }

    /// The value, or its default after noting why there is none.
    fn or_default<T: Default>(&mut self, r: Result<T, Error>) -> T {
        r.unwrap_or_else(|e| {
            self.note(Err(e));
            T::default()
        })
    }

    /// A decoded name, or the bytes decoded lossily after noting why.
    fn or_lossy(&mut self, r: Result<String, Error>, bytes: &[u8]) -> String {
        r.unwrap_or_else(|e| {
            self.note(Err(e));
            String::from_utf8_lossy(bytes).into_owned()
        })
    }

    /// The broken rule, if any.
    pub(crate) fn into_error(self) -> Option<Error> {
        self.0
    }

    /// Fails with the broken rule, if any.
    pub(crate) fn check(self) -> Result<(), Error> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The unix mode in the upper half of the external attributes, if any, and
/// the file-type rules: no links or special files, and a type that agrees
/// with the name. Info-ZIP's unzip honours that half for several hosts
/// besides unix (Atari, VMS, BeOS, ...), so it is read whatever the host.
fn file_mode(name: &str, is_dir: bool, external: u32) -> Result<Option<u32>, Error> {
    let mut unix_mode = None;
    let mode = external >> 16;
    if mode != 0 {
        match mode & S_IFMT {
            0 => {}
            S_IFREG if !is_dir => {}
            S_IFDIR if is_dir => {}
            S_IFREG | S_IFDIR => return Err(Error::ambiguous(Some(name), D::DirectoryAttributes)),
            S_IFLNK => return Err(unsupported(name, Unsupported::Symlink)),
            _ => return Err(unsupported(name, Unsupported::SpecialFile)),
        }
        unix_mode = Some(mode & 0o7777);
    }
    if external & DOS_DIRECTORY != 0 && !is_dir {
        return Err(Error::ambiguous(Some(name), D::DirectoryAttributes));
    }
    Ok(unix_mode)
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
    /// Reads every field, noting the first rule broken; stops only where the
    /// fields' own lengths do not add up.
    fn parse(mut extra: &[u8], name: &str, name_bytes: &[u8], flaw: &mut Flaw) -> Self {
        let mut zip64 = None;
        let mut seen: Vec<u16> = Vec::new();
        while !extra.is_empty() {
            let (Some(id), Some(len)) = (le16(extra, 0), le16(extra, 2)) else {
                flaw.note(Err(Error::malformed(Some(name), D::BadExtraField("extra"))));
                break;
            };
            let Some(data) = extra.get(4..4 + usize::from(len)) else {
                flaw.note(Err(Error::malformed(Some(name), D::BadExtraField("extra"))));
                break;
            };
            extra = extra.get(4 + usize::from(len)..).unwrap_or_default();
            if seen.contains(&id) {
                flaw.note(Err(Error::ambiguous(
                    Some(name),
                    D::BadExtraField("repeated"),
                )));
                continue;
            }
            seen.push(id);
            // zip64 values are numbers checked exactly; any other field must not hide records.
            if id != 0x0001 && has_record_signature(data) {
                flaw.note(Err(Error::ambiguous(Some(name), D::SignatureInComment)));
            }
            match id {
                0x0001 => zip64 = Some(data.to_vec()),
                0x7075 => {
                    // Info-ZIP unicode path: version 1, CRC-32 of the header name, UTF-8 name.
                    if data.first() != Some(&1)
                        || le32(data, 1) != Some(crc32fast::hash(name_bytes))
                        || data.get(5..) != Some(name.as_bytes())
                    {
                        flaw.note(Err(Error::ambiguous(Some(name), D::SecondName)));
                    }
                }
                0x5455 | 0x000a => {}
                0xcafe if data.is_empty() => {}
                other => flaw.note(Err(unsupported(name, Unsupported::ExtraField(other)))),
            }
        }
        Self { zip64 }
    }
}

/// Nothing encrypted, no unknown flag bits, only stored and deflate.
fn check_flags_and_method(name: &str, flags: u16, method: u16) -> Result<(), Error> {
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

/// The path rules on an entry name, as the error a reader reports.
pub(crate) fn check_path(name: &str) -> Result<(), Error> {
    path::check_entry(name).map_err(|problem| Error::UnsafePath {
        path: name.to_owned(),
        problem,
    })
}

/// A name's bytes as UTF-8: non-ASCII without the UTF-8 flag is ambiguous
/// (readers decode it as CP437 or UTF-8 by host), invalid UTF-8 is unsafe.
fn decode_name(bytes: &[u8], flags: u16) -> Result<String, Error> {
    let lossy = || String::from_utf8_lossy(bytes).into_owned();
    if !bytes.is_ascii() && flags & FLAG_UTF8 == 0 {
        return Err(Error::ambiguous(Some(&lossy()), D::NameEncoding));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::UnsafePath {
        path: lossy(),
        problem: PathProblem::NotUtf8,
    })
}

fn unsupported(name: &str, feature: Unsupported) -> Error {
    Error::UnsupportedEntry {
        entry: name.to_owned(),
        feature,
    }
}

pub(crate) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*b.get(at..)?.first_chunk::<2>()?))
}

pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*b.get(at..)?.first_chunk::<4>()?))
}

pub(crate) fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*b.get(at..)?.first_chunk::<8>()?))
}
