//! The rules across records, each written once and applied by both the
//! seekable index and the linear reader: a local header against its central
//! record, a data descriptor against what it describes, the tiling of the
//! file, the end records against each other and the central directory, and
//! the names of all entries together.

use std::collections::HashMap;

use crate::error::{ArchiveDefect as D, Error};
use crate::path;

use super::header::{le32, Entry, LocalHeader};
use super::records::{
    fixed, Descriptor, EndRecord, Zip64EndRecord, CENTRAL_SIG, DESCRIPTOR_SIG, END_SIG, LOCAL_SIG,
    ZIP64_END_SIG, ZIP64_LOCATOR_SIG,
};

/// A central record must say what the local header says: the same name,
/// flags and method, at the offset where the header is, and the same CRC-32
/// and sizes (which a header with a data descriptor may leave zero).
pub(crate) fn local_agrees(local: &LocalHeader, e: &Entry) -> Result<(), Error> {
    let here = Some(e.name.as_str());
    if local.name != e.name {
        return Err(Error::ambiguous(here, D::LocalMismatch("name")));
    }
    if local.offset != e.header_offset {
        return Err(Error::ambiguous(here, D::OutOfOrder));
    }
    if local.flags != e.flags {
        return Err(Error::ambiguous(here, D::LocalMismatch("flags")));
    }
    if local.method != e.method {
        return Err(Error::ambiguous(
            here,
            D::LocalMismatch("compression method"),
        ));
    }
    for (what, local, central) in [
        ("CRC-32", u64::from(local.crc32), u64::from(e.crc32)),
        ("compressed size", local.compressed_size, e.compressed_size),
        ("size", local.size, e.size),
    ] {
        // With a data descriptor the local values may be zero (they follow the data).
        if local != central && !(e.has_descriptor() && local == 0) {
            return Err(Error::ambiguous(here, D::LocalMismatch(what)));
        }
    }
    Ok(())
}

/// A data descriptor must repeat the central record's CRC-32 and sizes.
pub(crate) fn descriptor_agrees(d: &Descriptor, e: &Entry) -> Result<(), Error> {
    if d.crc32 != e.crc32 || d.compressed_size != e.compressed_size || d.size != e.size {
        return Err(Error::ambiguous(
            Some(&e.name),
            D::DataDescriptor("it disagrees with the central directory"),
        ));
    }
    Ok(())
}

/// A data descriptor read after data that delimits itself (a deflate stream,
/// read from a stream) must give its length as the compressed size: where
/// it does not, a reader of the central directory ends the entry elsewhere.
pub(crate) fn descriptor_delimits(name: &str, d: &Descriptor, used: u64) -> Result<(), Error> {
    if d.compressed_size != used {
        return Err(Error::ambiguous(
            Some(name),
            D::DataDescriptor("its compressed size is not the length of the data before it"),
        ));
    }
    Ok(())
}

/// The data descriptor after stored data must describe that data (its
/// CRC-32 and length): a streaming reader that looks for the end of stored
/// data takes the first descriptor that does, and would read past this one.
pub(crate) fn stored_descriptor_describes(
    name: &str,
    d: &Descriptor,
    crc32: u32,
    len: u64,
) -> Result<(), Error> {
    if d.crc32 != crc32 || d.compressed_size != len || d.size != len {
        return Err(Error::ambiguous(
            Some(name),
            D::DataDescriptor("it does not describe the stored data before it"),
        ));
    }
    Ok(())
}

/// With a data descriptor, a CRC-32 equal to the descriptor signature reads
/// as the signature to a streaming reader that looks for one.
pub(crate) fn descriptor_crc(name: &str, crc32: u32) -> Result<(), Error> {
    if crc32 == DESCRIPTOR_SIG {
        return Err(Error::ambiguous(
            Some(name),
            D::DataDescriptor("its CRC-32 equals the descriptor signature"),
        ));
    }
    Ok(())
}

/// How long a data descriptor is, from its first four bytes: with the
/// optional signature when they are the signature (as every streaming
/// reader decides it), and with 64-bit sizes exactly when the local header
/// has a zip64 extra field.
pub(crate) fn descriptor_len(first4: u32, wide: bool) -> (bool, usize) {
    let signed = first4 == DESCRIPTOR_SIG;
    (signed, usize::from(signed) * 4 + Descriptor::body_len(wide))
}

/// What it means that a record starts at `found` where the previous one
/// ended at `expected` (`first`: no record precedes it).
pub(crate) fn untiled(first: bool, found: u64, expected: u64) -> D {
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

/// The end record in the last bytes of an archive (`tail`, at most the
/// record and the longest comment): the one whose comment runs exactly to
/// the end. A signature without such a record means bytes follow the
/// archive; two such records, two readings.
pub(crate) fn end_in_tail(tail: &[u8]) -> Result<(usize, EndRecord), Error> {
    let mut candidates = Vec::new();
    let mut any_signature = false;
    for i in (0..=tail.len().saturating_sub(EndRecord::LEN)).rev() {
        let Some(rec) = tail.get(i..).and_then(fixed).and_then(EndRecord::parse) else {
            continue;
        };
        any_signature = true;
        if i + EndRecord::LEN + usize::from(rec.comment_len) == tail.len() {
            candidates.push((i, rec));
        }
    }
    match candidates.as_slice() {
        [] if any_signature => Err(Error::ambiguous(None, D::Trailing)),
        [] => Err(Error::malformed(None, D::NoEndRecord)),
        [one] => Ok(*one),
        _ => Err(Error::ambiguous(None, D::SecondEndRecord)),
    }
}

/// The end record's own rules, its comment included: one disk, nothing
/// after it that a backward search would take for another end record (even
/// a signature starting inside its own fields), no record signature hidden
/// in the comment. `fields` is the record's bytes after its signature.
pub(crate) fn end_record(end: &EndRecord, fields: &[u8], comment: &[u8]) -> Result<(), Error> {
    let tail = [fields, comment].concat();
    if tail.windows(4).any(|w| w == END_SIG.to_le_bytes()) {
        return Err(Error::ambiguous(None, D::SecondEndRecord));
    }
    if has_record_signature(comment) {
        return Err(Error::ambiguous(None, D::SignatureInComment));
    }
    end.check_single_disk()
}

/// The end record's 32-bit values against the zip64 end record's: each
/// equal, or saturated.
pub(crate) fn zip64_agrees(end: &EndRecord, z: &Zip64EndRecord) -> Result<(), Error> {
    for (field, v32, sentinel, v64) in [
        ("entry count", u64::from(end.entries), 0xffff, z.entries),
        (
            "central directory size",
            u64::from(end.cd_size),
            0xffff_ffff,
            z.cd_size,
        ),
        (
            "central directory offset",
            u64::from(end.cd_offset),
            0xffff_ffff,
            z.cd_offset,
        ),
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
    Ok(())
}

/// Names are unique even ignoring case and Unicode form, and no name is both
/// a file and a directory (also where a file stands in another's path).
pub(crate) fn names(entries: &[Entry]) -> Result<(), Error> {
    let list: Vec<(&str, bool)> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.is_dir))
        .collect();
    names_of(&list)
}

/// [`names`] over entry names and whether each is a directory (its name
/// ending in `/`): the one rule, for the readers and for the package writer.
pub(crate) fn names_of(entries: &[(&str, bool)]) -> Result<(), Error> {
    // Each name folded once (without a directory's trailing slash); folding works
    // segment by segment, so a parent's key is a prefix of its child's.
    let folded: Vec<String> = entries
        .iter()
        .map(|(name, _)| path::fold(name.strip_suffix('/').unwrap_or(name)))
        .collect();
    // Folded name -> (index, is_dir).
    let mut seen: HashMap<&str, (usize, bool)> = HashMap::with_capacity(entries.len());
    for (i, ((name, is_dir), key)) in entries.iter().zip(&folded).enumerate() {
        if let Some(&(j, other_dir)) = seen.get(key.as_str()) {
            let bare = name.strip_suffix('/').unwrap_or(name);
            let other = entries.get(j).map(|o| o.0.to_owned()).unwrap_or_default();
            let defect = if other_dir != *is_dir {
                D::FileDirConflict(bare.to_owned())
            } else {
                D::DuplicateName {
                    case_only: other != *name,
                    other,
                }
            };
            return Err(Error::ambiguous(Some(name), defect));
        }
        seen.insert(key, (i, *is_dir));
    }
    // No file may stand where another entry needs a directory: in sorted order,
    // the key right after "file/" would start with it. (Checking each name's
    // parents instead would cost the square of the name's length.)
    let mut sorted: Vec<(&str, usize)> = folded.iter().map(String::as_str).zip(0..).collect();
    sorted.sort_unstable();
    for (i, (name, _)) in entries.iter().enumerate().filter(|(_, (_, d))| !*d) {
        let Some(key) = folded.get(i) else { continue };
        let dir = format!("{key}/");
        let at = sorted.partition_point(|(k, _)| *k < dir.as_str());
        if let Some(&(_, j)) = sorted.get(at).filter(|(k, _)| k.starts_with(&dir)) {
            let child = entries.get(j).map(|o| o.0.to_owned()).unwrap_or_default();
            return Err(Error::ambiguous(
                Some(&child),
                D::FileDirConflict((*name).to_owned()),
            ));
        }
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
    (0..bytes.len().saturating_sub(3))
        .any(|i| le32(bytes, i).is_some_and(|v| SIGNATURES.contains(&v)))
}
