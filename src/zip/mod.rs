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
//!
//! One set of records ([`records`]), the rules of one header ([`header`]),
//! the rules across records ([`rules`]) and one content reader
//! ([`content`]) serve two readers: the seekable [`index`], which reads the
//! central directory first and then each header where it says, and the
//! [`linear`] reader, which meets the records in stored order as a stream
//! does.

pub(crate) mod content;
pub(crate) mod header;
pub(crate) mod index;
pub(crate) mod linear;
pub(crate) mod records;
pub(crate) mod rules;
