//! The fixed-size ZIP records, each parsed once from its bytes into a typed
//! struct, for the seekable index and the linear reader alike. Parsing a
//! fixed-size array cannot fail on its length, so no field read needs a
//! fallback value; a wrong signature is `None`.
//!
//! The rules that belong to one fixed record alone live here too (the end
//! records' single-disk and zip64 rules); rules about a record's variable
//! part are in `header`, rules across records in `rules`.

use crate::error::{ArchiveDefect as D, Error};

// Record signatures (APPNOTE 4.3).

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const END_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_END_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

fn u16le(b: [u8; 2]) -> u16 {
    u16::from_le_bytes(b)
}

fn u32le(b: [u8; 4]) -> u32 {
    u32::from_le_bytes(b)
}

fn u64le(b: [u8; 8]) -> u64 {
    u64::from_le_bytes(b)
}

/// A local file header's 30 fixed bytes (APPNOTE 4.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalRecord {
    pub(crate) flags: u16,
    pub(crate) method: u16,
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u32,
    pub(crate) size: u32,
    pub(crate) name_len: u16,
    pub(crate) extra_len: u16,
}

impl LocalRecord {
    pub(crate) const LEN: usize = 30;

    pub(crate) fn parse(b: &[u8; Self::LEN]) -> Option<Self> {
        let [s0, s1, s2, s3, _v0, _v1, f0, f1, m0, m1, _t0, _t1, _d0, _d1, c0, c1, c2, c3, z0, z1, z2, z3, u0, u1, u2, u3, n0, n1, e0, e1] =
            *b;
        (u32le([s0, s1, s2, s3]) == LOCAL_SIG).then_some(Self {
            flags: u16le([f0, f1]),
            method: u16le([m0, m1]),
            crc32: u32le([c0, c1, c2, c3]),
            compressed_size: u32le([z0, z1, z2, z3]),
            size: u32le([u0, u1, u2, u3]),
            name_len: u16le([n0, n1]),
            extra_len: u16le([e0, e1]),
        })
    }

    /// Length of the name and extra field that follow.
    pub(crate) fn var_len(&self) -> usize {
        usize::from(self.name_len) + usize::from(self.extra_len)
    }
}

/// A central directory header's 46 fixed bytes (APPNOTE 4.3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CentralRecord {
    pub(crate) made_by: u16,
    pub(crate) flags: u16,
    pub(crate) method: u16,
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u32,
    pub(crate) size: u32,
    pub(crate) name_len: u16,
    pub(crate) extra_len: u16,
    pub(crate) comment_len: u16,
    pub(crate) disk: u16,
    pub(crate) external: u32,
    pub(crate) header_offset: u32,
}

impl CentralRecord {
    pub(crate) const LEN: usize = 46;

    pub(crate) fn parse(b: &[u8; Self::LEN]) -> Option<Self> {
        let [s0, s1, s2, s3, mb0, mb1, _v0, _v1, f0, f1, m0, m1, _t0, _t1, _d0, _d1, c0, c1, c2, c3, z0, z1, z2, z3, u0, u1, u2, u3, n0, n1, e0, e1, k0, k1, d0, d1, _i0, _i1, x0, x1, x2, x3, o0, o1, o2, o3] =
            *b;
        (u32le([s0, s1, s2, s3]) == CENTRAL_SIG).then_some(Self {
            made_by: u16le([mb0, mb1]),
            flags: u16le([f0, f1]),
            method: u16le([m0, m1]),
            crc32: u32le([c0, c1, c2, c3]),
            compressed_size: u32le([z0, z1, z2, z3]),
            size: u32le([u0, u1, u2, u3]),
            name_len: u16le([n0, n1]),
            extra_len: u16le([e0, e1]),
            comment_len: u16le([k0, k1]),
            disk: u16le([d0, d1]),
            external: u32le([x0, x1, x2, x3]),
            header_offset: u32le([o0, o1, o2, o3]),
        })
    }

    /// Length of the name, extra field and comment that follow.
    pub(crate) fn var_len(&self) -> usize {
        usize::from(self.name_len) + usize::from(self.extra_len) + usize::from(self.comment_len)
    }
}

/// The end of central directory record's 22 fixed bytes (APPNOTE 4.3.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EndRecord {
    pub(crate) disk: u16,
    pub(crate) cd_disk: u16,
    pub(crate) disk_entries: u16,
    pub(crate) entries: u16,
    pub(crate) cd_size: u32,
    pub(crate) cd_offset: u32,
    pub(crate) comment_len: u16,
}

impl EndRecord {
    pub(crate) const LEN: usize = 22;

    pub(crate) fn parse(b: &[u8; Self::LEN]) -> Option<Self> {
        let [s0, s1, s2, s3, d0, d1, c0, c1, k0, k1, n0, n1, z0, z1, z2, z3, o0, o1, o2, o3, m0, m1] =
            *b;
        (u32le([s0, s1, s2, s3]) == END_SIG).then_some(Self {
            disk: u16le([d0, d1]),
            cd_disk: u16le([c0, c1]),
            disk_entries: u16le([k0, k1]),
            entries: u16le([n0, n1]),
            cd_size: u32le([z0, z1, z2, z3]),
            cd_offset: u32le([o0, o1, o2, o3]),
            comment_len: u16le([m0, m1]),
        })
    }

    /// A package is one disk: both disk numbers 0 and this disk's entries all of them.
    pub(crate) fn check_single_disk(&self) -> Result<(), Error> {
        if self.disk != 0 || self.cd_disk != 0 || self.disk_entries != self.entries {
            return Err(Error::malformed(None, D::MultiDisk));
        }
        Ok(())
    }
}

/// The zip64 end of central directory record's 56 bytes (APPNOTE 4.3.14),
/// without extensible data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zip64EndRecord {
    /// The record's size field (the bytes after it: 44 without extensible data).
    pub(crate) record_size: u64,
    pub(crate) disk: u32,
    pub(crate) cd_disk: u32,
    pub(crate) disk_entries: u64,
    pub(crate) entries: u64,
    pub(crate) cd_size: u64,
    pub(crate) cd_offset: u64,
}

impl Zip64EndRecord {
    pub(crate) const LEN: usize = 56;

    pub(crate) fn parse(b: &[u8; Self::LEN]) -> Option<Self> {
        let [s0, s1, s2, s3, r0, r1, r2, r3, r4, r5, r6, r7, _m0, _m1, _v0, _v1, d0, d1, d2, d3, c0, c1, c2, c3, k0, k1, k2, k3, k4, k5, k6, k7, n0, n1, n2, n3, n4, n5, n6, n7, z0, z1, z2, z3, z4, z5, z6, z7, o0, o1, o2, o3, o4, o5, o6, o7] =
            *b;
        (u32le([s0, s1, s2, s3]) == ZIP64_END_SIG).then_some(Self {
            record_size: u64le([r0, r1, r2, r3, r4, r5, r6, r7]),
            disk: u32le([d0, d1, d2, d3]),
            cd_disk: u32le([c0, c1, c2, c3]),
            disk_entries: u64le([k0, k1, k2, k3, k4, k5, k6, k7]),
            entries: u64le([n0, n1, n2, n3, n4, n5, n6, n7]),
            cd_size: u64le([z0, z1, z2, z3, z4, z5, z6, z7]),
            cd_offset: u64le([o0, o1, o2, o3, o4, o5, o6, o7]),
        })
    }

    /// No extensible data, one disk.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.record_size != Self::LEN as u64 - 12 {
            return Err(Error::malformed(
                None,
                D::Zip64("extensible data in the zip64 end record is not supported"),
            ));
        }
        if self.disk != 0 || self.cd_disk != 0 || self.disk_entries != self.entries {
            return Err(Error::malformed(None, D::MultiDisk));
        }
        Ok(())
    }
}

/// The zip64 end of central directory locator's 20 bytes (APPNOTE 4.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zip64Locator {
    pub(crate) disk: u32,
    pub(crate) end_offset: u64,
    pub(crate) disks: u32,
}

impl Zip64Locator {
    pub(crate) const LEN: usize = 20;

    pub(crate) fn parse(b: &[u8; Self::LEN]) -> Option<Self> {
        let [s0, s1, s2, s3, d0, d1, d2, d3, o0, o1, o2, o3, o4, o5, o6, o7, n0, n1, n2, n3] = *b;
        (u32le([s0, s1, s2, s3]) == ZIP64_LOCATOR_SIG).then_some(Self {
            disk: u32le([d0, d1, d2, d3]),
            end_offset: u64le([o0, o1, o2, o3, o4, o5, o6, o7]),
            disks: u32le([n0, n1, n2, n3]),
        })
    }

    /// One disk: the zip64 end record on disk 0, at most one disk in all.
    pub(crate) fn single_disk(&self) -> bool {
        self.disk == 0 && self.disks <= 1
    }
}

/// A data descriptor's CRC-32 and sizes, after its optional signature
/// (APPNOTE 4.3.9): 32-bit sizes, or 64-bit ones for a zip64 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u64,
    pub(crate) size: u64,
}

impl Descriptor {
    /// Length after the optional signature: 32-bit sizes, or 64-bit ones.
    pub(crate) fn body_len(wide: bool) -> usize {
        if wide {
            20
        } else {
            12
        }
    }

    /// Parses the body (`body_len(wide)` bytes, after any signature).
    pub(crate) fn parse(body: &[u8], wide: bool) -> Option<Self> {
        if wide {
            fixed::<20>(body).map(Self::wide)
        } else {
            fixed::<12>(body).map(Self::narrow)
        }
    }

    /// The 12 bytes of a descriptor with 32-bit sizes.
    pub(crate) fn narrow(b: &[u8; 12]) -> Self {
        let [c0, c1, c2, c3, z0, z1, z2, z3, u0, u1, u2, u3] = *b;
        Self {
            crc32: u32le([c0, c1, c2, c3]),
            compressed_size: u64::from(u32le([z0, z1, z2, z3])),
            size: u64::from(u32le([u0, u1, u2, u3])),
        }
    }

    /// The 20 bytes of a descriptor with 64-bit sizes.
    pub(crate) fn wide(b: &[u8; 20]) -> Self {
        let [c0, c1, c2, c3, z0, z1, z2, z3, z4, z5, z6, z7, u0, u1, u2, u3, u4, u5, u6, u7] = *b;
        Self {
            crc32: u32le([c0, c1, c2, c3]),
            compressed_size: u64le([z0, z1, z2, z3, z4, z5, z6, z7]),
            size: u64le([u0, u1, u2, u3, u4, u5, u6, u7]),
        }
    }
}

/// The first `N` bytes of `b` as an array, if it has that many.
pub(crate) fn fixed<const N: usize>(b: &[u8]) -> Option<&[u8; N]> {
    b.first_chunk::<N>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_reads_its_fields_and_refuses_another_signature() {
        let mut end = [0u8; EndRecord::LEN];
        end[..4].copy_from_slice(&END_SIG.to_le_bytes());
        end[10] = 3;
        end[12..16].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        end[20] = 7;
        let e = EndRecord::parse(&end).unwrap();
        assert_eq!((e.entries, e.cd_size, e.comment_len), (3, 0x1234_5678, 7));
        assert!(
            e.check_single_disk().is_err(),
            "disk_entries 0 != entries 3"
        );
        end[0] ^= 1;
        assert_eq!(EndRecord::parse(&end), None);

        let mut z = [0u8; Zip64EndRecord::LEN];
        z[..4].copy_from_slice(&ZIP64_END_SIG.to_le_bytes());
        z[4] = 44;
        z[48..56].copy_from_slice(&u64::MAX.to_le_bytes());
        let z = Zip64EndRecord::parse(&z).unwrap();
        assert_eq!(z.cd_offset, u64::MAX);
        z.check().unwrap();

        let mut d = [0u8; 20];
        d[4..12].copy_from_slice(&(5u64 << 40).to_le_bytes());
        assert_eq!(Descriptor::wide(&d).compressed_size, 5 << 40);
        assert_eq!(fixed::<4>(&[1, 2, 3]), None);
    }
}
