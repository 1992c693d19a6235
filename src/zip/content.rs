//! The one entry reader: inflates or copies an entry's data, never giving out
//! more than the expected size and reading at most one byte past it (to
//! detect a lie), computing CRC-32 and, for payload, SHA-256 as it goes. The
//! seekable driver runs it over positioned reads on many threads, the linear
//! reader over the one stream. [`judge`] then compares what was read with
//! what the archive records and the manifest signs, in one order for both.

use std::io::{self, BufRead, Read};

use sha2::{Digest, Sha256};

use crate::error::{ArchiveDefect as D, Error};

use super::header::{le32, le64, METHOD_DEFLATE, METHOD_STORED};
use super::records::DESCRIPTOR_SIG;

/// What delimits an entry's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delimit {
    /// The compressed size on record.
    Length(u64),
    /// The data itself (an entry with a data descriptor, read from a stream:
    /// the descriptor follows the data): a deflate stream's end, or, for
    /// stored data, the end of the input it is read through
    /// (`linear::StoredData`, which ends at the descriptor).
    Itself,
}

/// How to read one entry's data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) method: u16,
    pub(crate) delimit: Delimit,
    /// The most content expected: the signed size for payload, else the size
    /// on record or a limit. One byte more is read to detect a longer entry.
    pub(crate) expected: u64,
    /// Compute the content's SHA-256 (payload).
    pub(crate) sha256: bool,
    /// Stored data followed by a descriptor: refuse data that holds a
    /// descriptor for a prefix of itself (see [`DescriptorScan`]).
    pub(crate) scan_descriptors: bool,
}

/// What reading an entry's data produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Content {
    /// Content bytes produced, at most the expected size plus one.
    pub(crate) produced: u64,
    /// CRC-32 of the content up to the expected size.
    pub(crate) crc32: u32,
    /// Compressed bytes consumed.
    pub(crate) used: u64,
    /// SHA-256 of the content, when asked for.
    pub(crate) sha256: Option<[u8; 32]>,
    /// False when the sink asked to stop before the end.
    pub(crate) finished: bool,
}

impl Content {
    /// Whether the entry holds more than the expected size.
    pub(crate) fn over(&self, expected: u64) -> bool {
        self.produced > expected
    }
}

/// Whether to go on reading.
pub(crate) type Flow = bool;

/// Reads one entry's data from `input`, positioned at its first byte, giving
/// the content to `sink` chunk by chunk (it returns false to stop). Errors:
/// a corrupt deflate stream, the input ending inside the data, I/O, and
/// (`scan_descriptors`) a hidden descriptor.
pub(crate) fn read<R: BufRead>(
    input: &mut R,
    name: &str,
    spec: Spec,
    sink: &mut dyn FnMut(&[u8]) -> Flow,
) -> Result<Content, Error> {
    let here = Some(name);
    let limit = spec.expected.saturating_add(1);
    let mut crc = crc32fast::Hasher::new();
    let mut sha = spec.sha256.then(Sha256::new);
    let mut scan = spec.scan_descriptors.then(DescriptorScan::default);
    let mut produced = 0u64;
    let mut buf = vec![0u8; usize::try_from(limit).unwrap_or(usize::MAX).min(64 << 10)];
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
            let keep_len = spec.expected.saturating_sub(*produced).min(n as u64) as usize;
            *produced += n as u64;
            let keep = chunk.get(..keep_len).unwrap_or_default();
            crc.update(keep);
            if let Some(sha) = sha.as_mut() {
                sha.update(keep);
            }
            if scan.as_mut().is_some_and(|s| s.feed(keep)) {
                return Err(Error::ambiguous(here, D::DataDescriptor(HIDDEN_DESCRIPTOR)));
            }
            if !keep.is_empty() && !sink(keep) {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let (finished, used) = match (spec.method, spec.delimit) {
        (METHOD_STORED, Delimit::Length(len)) => {
            let mut body = input.take(len);
            let finished = pump(&mut body, &mut produced)?;
            if produced < limit && body.limit() > 0 {
                return Err(Error::malformed(here, D::Truncated));
            }
            (finished, len - body.limit())
        }
        (METHOD_DEFLATE, Delimit::Length(len)) => {
            let mut decoder = flate2::bufread::DeflateDecoder::new(input.take(len));
            let finished = pump(&mut decoder, &mut produced)?;
            (finished, decoder.total_in())
        }
        (METHOD_STORED, Delimit::Itself) => {
            let finished = pump(input, &mut produced)?;
            (finished, produced)
        }
        (METHOD_DEFLATE, Delimit::Itself) => {
            let mut decoder = flate2::bufread::DeflateDecoder::new(input);
            let finished = pump(&mut decoder, &mut produced)?;
            (finished, decoder.total_in())
        }
        // Header rules admit only stored and deflate.
        (method, _) => {
            return Err(Error::UnsupportedEntry {
                entry: name.to_owned(),
                feature: crate::error::Unsupported::Method(method),
            })
        }
    };
    if finished && scan.as_mut().is_some_and(DescriptorScan::finish) {
        return Err(Error::ambiguous(here, D::DataDescriptor(HIDDEN_DESCRIPTOR)));
    }
    Ok(Content {
        produced,
        crc32: crc.finalize(),
        used,
        sha256: sha.map(|s| s.finalize().into()),
        finished,
    })
}

/// What the archive records about an entry's content: from the central
/// directory, or in a stream from the local header or the data descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u64,
    pub(crate) size: u64,
}

/// What the signed manifest says of a payload entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signed<'a> {
    pub(crate) size: u64,
    pub(crate) sha256: &'a [u8; 32],
}

/// Compares finished content with the record and, for payload, with the
/// signed manifest, in one order: the size (signed, then recorded), the
/// compressed length, the signed digest, the CRC-32. Payload is compared
/// with its signed digest before its CRC, the more useful verdict when both
/// differ.
pub(crate) fn judge(
    name: &str,
    method: u16,
    c: &Content,
    rec: &Recorded,
    signed: Option<Signed<'_>>,
) -> Result<(), Error> {
    let here = Some(name);
    if c.over(rec.size) && rec.size == 0 && method == METHOD_DEFLATE {
        // Readers that trust the size extract nothing, readers that inflate
        // extract the content.
        return Err(Error::ambiguous(here, D::EmptyWithContent));
    }
    if let Some(s) = signed.filter(|s| c.produced != s.size) {
        return Err(Error::SizeMismatch {
            path: name.to_owned(),
            expected: s.size,
            actual: c.produced,
        });
    }
    if c.produced != rec.size {
        return Err(Error::malformed(
            here,
            D::Length {
                expected: rec.size,
                actual: c.produced,
            },
        ));
    }
    if c.used != rec.compressed_size {
        return Err(Error::malformed(
            here,
            D::DeflateLength {
                used: c.used,
                compressed: rec.compressed_size,
            },
        ));
    }
    if let (Some(s), Some(actual)) = (signed, c.sha256) {
        if actual != *s.sha256 {
            return Err(Error::DigestMismatch {
                path: name.to_owned(),
                expected: crate::hex(s.sha256),
                actual: crate::hex(&actual),
            });
        }
    }
    // Content as signed but a wrong CRC: installers that check CRCs would refuse it.
    if c.crc32 != rec.crc32 {
        return Err(Error::malformed(
            here,
            D::Crc {
                expected: rec.crc32,
                actual: c.crc32,
            },
        ));
    }
    Ok(())
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
