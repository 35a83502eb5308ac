//! Reader of pyingot's packed resources format. Specification: docs/packed-format.md.
//!
//! An executable is `stub | padding | payload | trailer`. [`Payload::from_executable`]
//! finds the payload by the trailer, checks its CRC-32 and its header, and nothing more:
//! entries are read one at a time, when looked up, so start-up cost does not grow with
//! the number of resources. Lookups are binary searches over the sorted, fixed-size index
//! and return slices of the caller's buffer (zero copy, no allocation).
//!
//! Every byte value of the format is named once, in this file. The Python writer
//! (`src/pyingot/packing.py`) names them once on its side, and a test compares both with
//! the spec's tables (through `payload-dump --constants`).
//!
//! No input makes this crate panic: every access is bounds-checked and a damaged
//! payload is a [`PayloadError`], whose message is shown to the end user.

#![forbid(unsafe_code)]

use std::cmp::Ordering;
use std::fmt;

/// The format version, also the last byte of [`MAGIC`].
pub const FORMAT_VERSION: u8 = 1;
/// The first 8 bytes of a payload: `b"pyingot"` and the format version.
pub const MAGIC: [u8; 8] = [b'p', b'y', b'i', b'n', b'g', b'o', b't', FORMAT_VERSION];
/// The last 8 bytes of an executable that carries a payload.
pub const TRAILER_MAGIC: [u8; 8] = *b"PYINGOT\0";
pub const HEADER_SIZE: usize = 48;
pub const ENTRY_SIZE: usize = 40;
pub const TRAILER_SIZE: usize = 32;
/// Blobs start on this boundary within the payload.
pub const DATA_ALIGNMENT: usize = 8;
/// The payload starts on this boundary within the executable.
pub const PAYLOAD_ALIGNMENT: usize = 16;

/// Entry flag: the module is a package (it has `__path__`).
pub const FLAG_IS_PACKAGE: u8 = 1;
/// Entry flag: a namespace package, which has no code.
pub const FLAG_IS_NAMESPACE: u8 = 2;
/// Entry flag: the secondary blob holds the module's UTF-8 source.
pub const FLAG_HAS_SOURCE: u8 = 4;
/// Every flag a version-1 reader knows; any other bit is an error.
pub const KNOWN_FLAGS: u8 = FLAG_IS_PACKAGE | FLAG_IS_NAMESPACE | FLAG_HAS_SOURCE;
/// The flags with their names in the spec.
pub const FLAGS: [(&str, u8); 3] = [
    ("IS_PACKAGE", FLAG_IS_PACKAGE),
    ("IS_NAMESPACE", FLAG_IS_NAMESPACE),
    ("HAS_SOURCE", FLAG_HAS_SOURCE),
];

/// What an entry holds. Entries sort by kind first, so each kind is one range of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    /// A build setting for the runtime; primary is its UTF-8 value.
    Meta = 0,
    /// A Python module; primary is marshalled code, secondary the source (if `HAS_SOURCE`).
    Module = 1,
    /// A package data file, named `<package>/<relative/path>`.
    Data = 2,
    /// A distribution metadata file, named `<name>-<version>.dist-info/<file>`.
    Metadata = 3,
    /// A compiled extension module, by dotted name; primary is the shared object.
    Extension = 4,
    /// A shared library that an extension needs, by file name.
    SharedLibrary = 5,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Meta,
        Kind::Module,
        Kind::Data,
        Kind::Metadata,
        Kind::Extension,
        Kind::SharedLibrary,
    ];

    pub fn from_u8(value: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == value)
    }

    /// The kind's name in the spec (`"SHARED_LIBRARY"`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Meta => "META",
            Kind::Module => "MODULE",
            Kind::Data => "DATA",
            Kind::Metadata => "METADATA",
            Kind::Extension => "EXTENSION",
            Kind::SharedLibrary => "SHARED_LIBRARY",
        }
    }
}

/// One fixed-size field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
}

const fn field(name: &'static str, offset: usize, size: usize) -> Field {
    Field { name, offset, size }
}

/// Fields of the 48-byte payload header.
pub mod header {
    use super::{field, Field};
    pub const MAGIC: Field = field("magic", 0, 8);
    pub const FLAGS: Field = field("flags", 8, 4);
    pub const ENTRY_COUNT: Field = field("entry_count", 12, 4);
    pub const INDEX_OFFSET: Field = field("index_offset", 16, 8);
    pub const NAMES_OFFSET: Field = field("names_offset", 24, 8);
    pub const DATA_OFFSET: Field = field("data_offset", 32, 8);
    pub const PAYLOAD_LEN: Field = field("payload_len", 40, 8);
    pub const ALL: [Field; 7] = [
        MAGIC,
        FLAGS,
        ENTRY_COUNT,
        INDEX_OFFSET,
        NAMES_OFFSET,
        DATA_OFFSET,
        PAYLOAD_LEN,
    ];
}

/// Fields of a 40-byte index entry.
pub mod entry {
    use super::{field, Field};
    pub const KIND: Field = field("kind", 0, 1);
    pub const FLAGS: Field = field("flags", 1, 1);
    pub const RESERVED: Field = field("reserved", 2, 2);
    pub const NAME_LEN: Field = field("name_len", 4, 4);
    pub const NAME_OFFSET: Field = field("name_offset", 8, 4);
    pub const PRIMARY_LEN: Field = field("primary_len", 12, 4);
    pub const PRIMARY_OFFSET: Field = field("primary_offset", 16, 8);
    pub const SECONDARY_LEN: Field = field("secondary_len", 24, 4);
    pub const RESERVED2: Field = field("reserved2", 28, 4);
    pub const SECONDARY_OFFSET: Field = field("secondary_offset", 32, 8);
    pub const ALL: [Field; 10] = [
        KIND,
        FLAGS,
        RESERVED,
        NAME_LEN,
        NAME_OFFSET,
        PRIMARY_LEN,
        PRIMARY_OFFSET,
        SECONDARY_LEN,
        RESERVED2,
        SECONDARY_OFFSET,
    ];
}

/// Fields of the 32-byte trailer that ends the executable.
pub mod trailer {
    use super::{field, Field};
    pub const PAYLOAD_OFFSET: Field = field("payload_offset", 0, 8);
    pub const PAYLOAD_LEN: Field = field("payload_len", 8, 8);
    pub const CRC32: Field = field("crc32", 16, 4);
    pub const RESERVED: Field = field("reserved", 20, 4);
    pub const TRAILER_MAGIC: Field = field("trailer_magic", 24, 8);
    pub const ALL: [Field; 5] = [PAYLOAD_OFFSET, PAYLOAD_LEN, CRC32, RESERVED, TRAILER_MAGIC];
}

/// True if `fields` follow each other without gaps and fill exactly `size` bytes.
const fn contiguous(fields: &[Field], size: usize) -> bool {
    let mut offset = 0;
    let mut i = 0;
    while i < fields.len() {
        if fields[i].offset != offset {
            return false;
        }
        offset += fields[i].size;
        i += 1;
    }
    offset == size
}

// The layouts are checked when this crate compiles, so the fixed-size reads below
// cannot go out of bounds.
const _: () = assert!(contiguous(&header::ALL, HEADER_SIZE));
const _: () = assert!(contiguous(&entry::ALL, ENTRY_SIZE));
const _: () = assert!(contiguous(&trailer::ALL, TRAILER_SIZE));

fn read_u8<const N: usize>(record: &[u8; N], f: Field) -> u8 {
    record[f.offset]
}

fn read_u32<const N: usize>(record: &[u8; N], f: Field) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&record[f.offset..f.offset + 4]);
    u32::from_le_bytes(b)
}

fn read_u64<const N: usize>(record: &[u8; N], f: Field) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&record[f.offset..f.offset + 8]);
    u64::from_le_bytes(b)
}

fn read_bytes8<const N: usize>(record: &[u8; N], f: Field) -> [u8; 8] {
    let mut b = [0u8; 8];
    b.copy_from_slice(&record[f.offset..f.offset + 8]);
    b
}

/// Why a payload cannot be read. The messages are stable (tests assert on them, the
/// spec lists them) and are shown to end users of a damaged executable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The file is too short for a trailer, or does not end with [`TRAILER_MAGIC`].
    NoPayload,
    /// The trailer's offset and length do not end the payload where the trailer starts.
    TrailerMismatch {
        payload_offset: u64,
        payload_len: u64,
        file_len: u64,
    },
    ChecksumMismatch {
        expected: u32,
        computed: u32,
    },
    TooShort {
        len: usize,
    },
    BadMagic {
        found: [u8; 8],
    },
    UnsupportedVersion {
        version: u8,
    },
    UnknownHeaderFlags {
        flags: u32,
    },
    LengthMismatch {
        header: u64,
        actual: usize,
    },
    BadSections {
        entry_count: u32,
        index_offset: u64,
        names_offset: u64,
        data_offset: u64,
        payload_len: u64,
    },
    /// A caller asked for an index past the end (a bug in the caller, not damage).
    NoSuchEntry {
        index: usize,
        len: usize,
    },
    UnknownKind {
        index: usize,
        kind: u8,
    },
    UnknownFlags {
        index: usize,
        flags: u8,
    },
    NameOutOfBounds {
        index: usize,
    },
    NameNotUtf8 {
        index: usize,
    },
    DataOutOfBounds {
        index: usize,
    },
    OutOfOrder {
        index: usize,
    },
    ValueNotUtf8 {
        index: usize,
    },
}

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PayloadError::*;
        const DAMAGED: &str = "payload is damaged";
        match self {
            NoPayload => write!(
                f,
                "no payload found: the file is truncated or is not a pyingot executable"
            ),
            TrailerMismatch {
                payload_offset,
                payload_len,
                file_len,
            } => write!(
                f,
                "{DAMAGED}: the trailer does not match the file (payload of {payload_len} bytes \
                 at offset {payload_offset} in a file of {file_len} bytes)"
            ),
            ChecksumMismatch { expected, computed } => write!(
                f,
                "{DAMAGED}: checksum mismatch (expected {expected:08x}, computed {computed:08x})"
            ),
            TooShort { len } => write!(
                f,
                "{DAMAGED}: {len} bytes is shorter than the {HEADER_SIZE}-byte header"
            ),
            BadMagic { found } => write!(
                f,
                "{DAMAGED}: bad magic (found {}, expected {})",
                Hex(found),
                Hex(&MAGIC)
            ),
            UnsupportedVersion { version } => write!(
                f,
                "unsupported payload format version {version}: \
                 this reader supports version {FORMAT_VERSION}"
            ),
            UnknownHeaderFlags { flags } => {
                write!(f, "{DAMAGED}: unknown header flags 0x{flags:08x}")
            }
            LengthMismatch { header, actual } => write!(
                f,
                "{DAMAGED}: the header says {header} bytes but there are {actual}"
            ),
            BadSections {
                entry_count,
                index_offset,
                names_offset,
                data_offset,
                payload_len,
            } => write!(
                f,
                "{DAMAGED}: the sections are out of bounds (index of {entry_count} entries at \
                 {index_offset}, names at {names_offset}, data at {data_offset}, payload of \
                 {payload_len} bytes)"
            ),
            NoSuchEntry { index, len } => {
                write!(f, "no entry {index}: the payload has {len} entries")
            }
            UnknownKind { index, kind } => {
                write!(f, "{DAMAGED}: entry {index} has unknown kind {kind}")
            }
            UnknownFlags { index, flags } => {
                write!(
                    f,
                    "{DAMAGED}: entry {index} has unknown flags 0x{flags:02x}"
                )
            }
            NameOutOfBounds { index } => write!(
                f,
                "{DAMAGED}: entry {index} has its name outside the names section"
            ),
            NameNotUtf8 { index } => {
                write!(f, "{DAMAGED}: entry {index} has a name that is not UTF-8")
            }
            DataOutOfBounds { index } => {
                write!(
                    f,
                    "{DAMAGED}: entry {index} points outside the data section"
                )
            }
            OutOfOrder { index } => write!(f, "{DAMAGED}: entry {index} is out of order"),
            ValueNotUtf8 { index } => {
                write!(f, "{DAMAGED}: entry {index} has a value that is not UTF-8")
            }
        }
    }
}

impl std::error::Error for PayloadError {}

/// One resource: slices of the payload buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub kind: Kind,
    pub flags: u8,
    pub name: &'a str,
    pub primary: &'a [u8],
    pub secondary: &'a [u8],
}

impl<'a> Entry<'a> {
    pub fn is_package(&self) -> bool {
        self.flags & FLAG_IS_PACKAGE != 0
    }

    pub fn is_namespace(&self) -> bool {
        self.flags & FLAG_IS_NAMESPACE != 0
    }

    /// The module's UTF-8 source, if it was packed (possibly empty: an empty `__init__.py`).
    pub fn source(&self) -> Option<&'a [u8]> {
        (self.flags & FLAG_HAS_SOURCE != 0).then_some(self.secondary)
    }
}

/// A parsed payload header with its three sections; entries are read on demand.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    bytes: &'a [u8],
    index: &'a [u8],
    names: &'a [u8],
    data: &'a [u8],
    count: usize,
}

impl<'a> Payload<'a> {
    /// The payload of an executable: trailer, then bounds, then CRC-32, then header.
    pub fn from_executable(exe: &'a [u8]) -> Result<Payload<'a>, PayloadError> {
        let start = exe
            .len()
            .checked_sub(TRAILER_SIZE)
            .ok_or(PayloadError::NoPayload)?;
        let record: &[u8; TRAILER_SIZE] = exe
            .get(start..)
            .and_then(|s| s.first_chunk())
            .ok_or(PayloadError::NoPayload)?;
        if read_bytes8(record, trailer::TRAILER_MAGIC) != TRAILER_MAGIC {
            return Err(PayloadError::NoPayload);
        }
        let payload_offset = read_u64(record, trailer::PAYLOAD_OFFSET);
        let payload_len = read_u64(record, trailer::PAYLOAD_LEN);
        let mismatch = PayloadError::TrailerMismatch {
            payload_offset,
            payload_len,
            file_len: exe.len() as u64,
        };
        // The payload must end exactly where the trailer begins.
        if payload_offset.checked_add(payload_len) != Some(start as u64) {
            return Err(mismatch);
        }
        let offset = usize::try_from(payload_offset).map_err(|_| mismatch.clone())?;
        let payload = exe.get(offset..start).ok_or(mismatch)?;
        let expected = read_u32(record, trailer::CRC32);
        let computed = crc32fast::hash(payload);
        if computed != expected {
            return Err(PayloadError::ChecksumMismatch { expected, computed });
        }
        Payload::parse(payload)
    }

    /// A bare payload: checks the header and the section bounds, not the CRC or the entries.
    pub fn parse(payload: &'a [u8]) -> Result<Payload<'a>, PayloadError> {
        let record: &[u8; HEADER_SIZE] = payload
            .first_chunk()
            .ok_or(PayloadError::TooShort { len: payload.len() })?;
        let magic = read_bytes8(record, header::MAGIC);
        if magic != MAGIC {
            return Err(if magic[..7] == MAGIC[..7] {
                PayloadError::UnsupportedVersion { version: magic[7] }
            } else {
                PayloadError::BadMagic { found: magic }
            });
        }
        let flags = read_u32(record, header::FLAGS);
        if flags != 0 {
            return Err(PayloadError::UnknownHeaderFlags { flags });
        }
        let payload_len = read_u64(record, header::PAYLOAD_LEN);
        if payload_len != payload.len() as u64 {
            return Err(PayloadError::LengthMismatch {
                header: payload_len,
                actual: payload.len(),
            });
        }
        let entry_count = read_u32(record, header::ENTRY_COUNT);
        let index_offset = read_u64(record, header::INDEX_OFFSET);
        let names_offset = read_u64(record, header::NAMES_OFFSET);
        let data_offset = read_u64(record, header::DATA_OFFSET);
        let bad = PayloadError::BadSections {
            entry_count,
            index_offset,
            names_offset,
            data_offset,
            payload_len,
        };
        let index_end = u64::from(entry_count)
            .checked_mul(ENTRY_SIZE as u64)
            .and_then(|n| n.checked_add(index_offset));
        let in_order = match index_end {
            Some(end) => {
                index_offset >= HEADER_SIZE as u64
                    && end <= names_offset
                    && names_offset <= data_offset
                    && data_offset <= payload_len
            }
            None => false,
        };
        if !in_order {
            return Err(bad);
        }
        // All offsets are now at most payload.len(), so they fit in usize.
        let to_usize = |n: u64| usize::try_from(n).map_err(|_| bad.clone());
        let (index_start, names_start, data_start) = (
            to_usize(index_offset)?,
            to_usize(names_offset)?,
            to_usize(data_offset)?,
        );
        let count = usize::try_from(entry_count).map_err(|_| bad.clone())?;
        let index_len = count.checked_mul(ENTRY_SIZE).ok_or(bad.clone())?;
        let section = |from: usize, to: Option<usize>| match to {
            Some(to) => payload.get(from..to),
            None => payload.get(from..),
        };
        let index = section(index_start, index_start.checked_add(index_len));
        let names = section(names_start, Some(data_start));
        let data = section(data_start, None);
        match (index, names, data) {
            (Some(index), Some(names), Some(data)) => Ok(Payload {
                bytes: payload,
                index,
                names,
                data,
                count,
            }),
            _ => Err(bad),
        }
    }

    /// The payload's bytes, header included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn record(&self, i: usize) -> Result<&'a [u8; ENTRY_SIZE], PayloadError> {
        let no_such = PayloadError::NoSuchEntry {
            index: i,
            len: self.count,
        };
        if i >= self.count {
            return Err(no_such);
        }
        let start = i.checked_mul(ENTRY_SIZE).ok_or(no_such.clone())?;
        self.index
            .get(start..)
            .and_then(|s| s.first_chunk())
            .ok_or(no_such)
    }

    /// The sort key of entry `i`: its raw kind byte and name bytes (not yet UTF-8-checked).
    fn key(&self, i: usize) -> Result<(u8, &'a [u8]), PayloadError> {
        let record = self.record(i)?;
        let offset = read_u32(record, entry::NAME_OFFSET) as usize;
        let len = read_u32(record, entry::NAME_LEN) as usize;
        let name = offset
            .checked_add(len)
            .and_then(|end| self.names.get(offset..end))
            .ok_or(PayloadError::NameOutOfBounds { index: i })?;
        Ok((read_u8(record, entry::KIND), name))
    }

    fn blob(&self, i: usize, offset: u64, len: u32) -> Result<&'a [u8], PayloadError> {
        usize::try_from(offset)
            .ok()
            .and_then(|start| Some(start..start.checked_add(len as usize)?))
            .and_then(|range| self.data.get(range))
            .ok_or(PayloadError::DataOutOfBounds { index: i })
    }

    /// Entry `i` in index order, after checking its kind, flags, name and blob bounds.
    pub fn entry(&self, i: usize) -> Result<Entry<'a>, PayloadError> {
        let record = self.record(i)?;
        let kind_byte = read_u8(record, entry::KIND);
        let kind = Kind::from_u8(kind_byte).ok_or(PayloadError::UnknownKind {
            index: i,
            kind: kind_byte,
        })?;
        let flags = read_u8(record, entry::FLAGS);
        if flags & !KNOWN_FLAGS != 0 {
            return Err(PayloadError::UnknownFlags { index: i, flags });
        }
        let (_, name) = self.key(i)?;
        let name = std::str::from_utf8(name).map_err(|_| PayloadError::NameNotUtf8 { index: i })?;
        let primary = self.blob(
            i,
            read_u64(record, entry::PRIMARY_OFFSET),
            read_u32(record, entry::PRIMARY_LEN),
        )?;
        let secondary = self.blob(
            i,
            read_u64(record, entry::SECONDARY_OFFSET),
            read_u32(record, entry::SECONDARY_LEN),
        )?;
        Ok(Entry {
            kind,
            flags,
            name,
            primary,
            secondary,
        })
    }

    /// The first index whose key is not less than `(kind, name)`.
    fn lower_bound(&self, kind: Kind, name: &[u8]) -> Result<usize, PayloadError> {
        let target = (kind as u8, name);
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key(mid)? < target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    fn find(&self, kind: Kind, name: &str) -> Result<Option<usize>, PayloadError> {
        let i = self.lower_bound(kind, name.as_bytes())?;
        if i < self.count && self.key(i)?.cmp(&(kind as u8, name.as_bytes())) == Ordering::Equal {
            Ok(Some(i))
        } else {
            Ok(None)
        }
    }

    /// The entry of `kind` named `name`: a binary search, O(log n), without allocation.
    pub fn get(&self, kind: Kind, name: &str) -> Result<Option<Entry<'a>>, PayloadError> {
        self.find(kind, name)?.map(|i| self.entry(i)).transpose()
    }

    /// The UTF-8 value of the META entry `name` (a build setting such as `entry`).
    pub fn meta(&self, name: &str) -> Result<Option<&'a str>, PayloadError> {
        match self.find(Kind::Meta, name)? {
            None => Ok(None),
            Some(i) => std::str::from_utf8(self.entry(i)?.primary)
                .map(Some)
                .map_err(|_| PayloadError::ValueNotUtf8 { index: i }),
        }
    }

    /// The entries of `kind` whose name starts with `prefix`, in name order: the data
    /// files of a package (`"certifi/"`), the submodules of one (`"email."`).
    pub fn iter_prefix<'p>(&self, kind: Kind, prefix: &'p str) -> PrefixIter<'a, 'p> {
        PrefixIter {
            payload: *self,
            kind,
            prefix,
            next: None,
            done: false,
        }
    }

    /// Every entry in index order, each checked, and each checked to sort after the one
    /// before: reading them all validates the whole payload (as `pyingot inspect` does).
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            payload: *self,
            next: 0,
            previous: None,
            done: false,
        }
    }

    /// Reads and checks every entry; the first problem found is the error.
    pub fn validate(&self) -> Result<(), PayloadError> {
        self.entries().try_for_each(|e| e.map(|_| ()))
    }
}

/// See [`Payload::iter_prefix`]. Stops after the first error.
#[derive(Debug, Clone)]
pub struct PrefixIter<'a, 'p> {
    payload: Payload<'a>,
    kind: Kind,
    prefix: &'p str,
    next: Option<usize>,
    done: bool,
}

impl<'a> Iterator for PrefixIter<'a, '_> {
    type Item = Result<Entry<'a>, PayloadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.step();
        if !matches!(result, Some(Ok(_))) {
            self.done = true;
        }
        result
    }
}

impl<'a> PrefixIter<'a, '_> {
    fn step(&mut self) -> Option<Result<Entry<'a>, PayloadError>> {
        let i = match self.next {
            Some(i) => i,
            None => match self.payload.lower_bound(self.kind, self.prefix.as_bytes()) {
                Ok(i) => i,
                Err(e) => return Some(Err(e)),
            },
        };
        if i >= self.payload.count {
            return None;
        }
        self.next = Some(i + 1);
        match self.payload.key(i) {
            Err(e) => Some(Err(e)),
            Ok((kind, name)) => (kind == self.kind as u8
                && name.starts_with(self.prefix.as_bytes()))
            .then(|| self.payload.entry(i)),
        }
    }
}

/// See [`Payload::entries`]. Stops after the first error.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    payload: Payload<'a>,
    next: usize,
    previous: Option<(u8, &'a [u8])>,
    done: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, PayloadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.next >= self.payload.count {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let result = self.payload.entry(i).and_then(|e| {
            let key = (e.kind as u8, e.name.as_bytes());
            if self.previous.is_some_and(|p| p >= key) {
                return Err(PayloadError::OutOfOrder { index: i });
            }
            self.previous = Some(key);
            Ok(e)
        });
        self.done = result.is_err();
        Some(result)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.payload.count.saturating_sub(self.next)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_byte() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i);
            assert_eq!(Kind::from_u8(kind as u8), Some(kind));
        }
        assert_eq!(Kind::from_u8(Kind::ALL.len() as u8), None);
        assert_eq!(Kind::from_u8(255), None);
    }

    #[test]
    fn magic_ends_with_the_version() {
        assert_eq!(&MAGIC, b"pyingot\x01");
        assert_eq!(MAGIC[7], FORMAT_VERSION);
    }

    #[test]
    fn flags_are_distinct_bits() {
        let mut all = 0;
        for (_, bit) in FLAGS {
            assert_eq!(bit.count_ones(), 1);
            assert_eq!(all & bit, 0);
            all |= bit;
        }
        assert_eq!(all, KNOWN_FLAGS);
    }

    #[test]
    fn an_empty_payload_parses() {
        let mut p = vec![0u8; HEADER_SIZE];
        p[..8].copy_from_slice(&MAGIC);
        for (f, v) in [
            (header::INDEX_OFFSET, 48u64),
            (header::NAMES_OFFSET, 48),
            (header::DATA_OFFSET, 48),
            (header::PAYLOAD_LEN, 48),
        ] {
            p[f.offset..f.offset + 8].copy_from_slice(&v.to_le_bytes());
        }
        let payload = Payload::parse(&p).unwrap();
        assert!(payload.is_empty());
        assert_eq!(payload.get(Kind::Module, "os"), Ok(None));
        assert_eq!(payload.iter_prefix(Kind::Module, "").count(), 0);
        assert_eq!(payload.validate(), Ok(()));
        assert_eq!(
            payload.entry(0),
            Err(PayloadError::NoSuchEntry { index: 0, len: 0 })
        );
    }

    #[test]
    fn short_inputs_are_errors() {
        assert_eq!(
            Payload::from_executable(b"").unwrap_err(),
            PayloadError::NoPayload
        );
        assert_eq!(
            Payload::parse(b"pyingot").unwrap_err(),
            PayloadError::TooShort { len: 7 }
        );
        assert_eq!(
            PayloadError::TooShort { len: 7 }.to_string(),
            "payload is damaged: 7 bytes is shorter than the 48-byte header"
        );
    }
}
