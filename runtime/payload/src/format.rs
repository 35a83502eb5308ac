//! The format's byte values, each named once: constants, kinds, flags, and the fields of
//! the header, the index entries and the trailer (docs/packed-format.md, the `checked`
//! tables). `payload-dump --constants` prints them for the spec test.

/// The format version, also the last byte of [`MAGIC`].
pub const FORMAT_VERSION: u8 = 2;
/// The first 8 bytes of a payload: `b"pyingot"` and the format version.
pub const MAGIC: [u8; 8] = [b'p', b'y', b'i', b'n', b'g', b'o', b't', FORMAT_VERSION];
/// The last 8 bytes of an executable that carries a payload.
pub const TRAILER_MAGIC: [u8; 8] = *b"PYINGOT\0";
pub const HEADER_SIZE: usize = 64;
pub const ENTRY_SIZE: usize = 56;
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
/// Every flag a version-2 reader knows; any other bit is an error.
pub const KNOWN_FLAGS: u8 = FLAG_IS_PACKAGE | FLAG_IS_NAMESPACE | FLAG_HAS_SOURCE;
/// The flags with their names in the spec.
pub const FLAGS: [(&str, u8); 3] = [
    ("IS_PACKAGE", FLAG_IS_PACKAGE),
    ("IS_NAMESPACE", FLAG_IS_NAMESPACE),
    ("HAS_SOURCE", FLAG_HAS_SOURCE),
];

/// Blob codec: the stored bytes are the blob.
pub const CODEC_RAW: u8 = 0;
/// Blob codec: the stored bytes are zstd frames, possibly made with the payload's
/// dictionary (named by the frame's dictionary ID).
pub const CODEC_ZSTD: u8 = 1;
/// Blob codec: the stored bytes are LZ4 blocks, one per `LZ4_PIECE` bytes of the blob
/// (the last piece shorter), each preceded by its stored length (u32); for big blobs
/// decoded at start-up, where zstd's decoder would cost too much time. Pieces let a
/// reader decode through a small buffer rather than map the whole output.
pub const CODEC_LZ4: u8 = 2;
/// What each LZ4 block but the last decodes to: 1 MiB.
pub const LZ4_PIECE: usize = 1 << 20;
/// The codecs with their names in the spec.
pub const CODECS: [(&str, u8); 3] = [("RAW", CODEC_RAW), ("ZSTD", CODEC_ZSTD), ("LZ4", CODEC_LZ4)];

/// Declares `Kind` from one list: each variant with its byte and its name in the spec.
macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $value:literal, $name:literal;)*) => {
        /// What an entry holds. Entries sort by kind first, so each kind is one range of
        /// the index.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Kind {
            $($(#[$doc])* $variant = $value,)*
        }

        impl Kind {
            /// Every kind, in byte order.
            pub const ALL: [Kind; [$($value),*].len()] = [$(Kind::$variant),*];

            /// The kind's name in the spec (`"SHARED_LIBRARY"`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    /// A runtime setting; primary is its UTF-8 value.
    Meta = 0, "META";
    /// A Python module; primary is marshalled code, secondary the source (if `HAS_SOURCE`).
    Module = 1, "MODULE";
    /// A package data file, named `<package>/<relative/path>`.
    Data = 2, "DATA";
    /// A distribution metadata file, named `<name>-<version>.dist-info/<file>`.
    Metadata = 3, "METADATA";
    /// A compiled extension module, by dotted name; primary is the shared object.
    Extension = 4, "EXTENSION";
    /// A shared library that an extension needs, by file name.
    SharedLibrary = 5, "SHARED_LIBRARY";
}

impl Kind {
    pub fn from_u8(value: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == value)
    }

    /// The kind named `name` in the spec (`"SHARED_LIBRARY"`).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One fixed-size field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
}

/// Declares a record's fields, each `CONST = ("name", offset, size)`, and `ALL`, them all
/// in order.
macro_rules! fields {
    ($($id:ident = ($name:literal, $offset:literal, $size:literal);)*) => {
        use super::Field;
        $(pub const $id: Field = Field { name: $name, offset: $offset, size: $size };)*
        pub const ALL: [Field; [$($offset),*].len()] = [$($id),*];
    };
}

/// Fields of the 64-byte payload header.
pub mod header {
    fields! {
        MAGIC = ("magic", 0, 8); FLAGS = ("flags", 8, 4); ENTRY_COUNT = ("entry_count", 12, 4);
        INDEX_OFFSET = ("index_offset", 16, 8); NAMES_OFFSET = ("names_offset", 24, 8);
        DATA_OFFSET = ("data_offset", 32, 8); PAYLOAD_LEN = ("payload_len", 40, 8);
        DICTIONARY_OFFSET = ("dictionary_offset", 48, 8);
        DICTIONARY_LEN = ("dictionary_len", 56, 4); DICTIONARY_CRC32 = ("dictionary_crc32", 60, 4);
    }
}

/// Fields of a 56-byte index entry. A blob is `*_len` stored bytes at `*_offset` with
/// CRC-32 `*_crc32`, which decode with `*_codec` to `*_size` bytes.
pub mod entry {
    fields! {
        KIND = ("kind", 0, 1); FLAGS = ("flags", 1, 1);
        PRIMARY_CODEC = ("primary_codec", 2, 1); SECONDARY_CODEC = ("secondary_codec", 3, 1);
        NAME_LEN = ("name_len", 4, 4); NAME_OFFSET = ("name_offset", 8, 4);
        PRIMARY_SIZE = ("primary_size", 12, 4); PRIMARY_OFFSET = ("primary_offset", 16, 8);
        PRIMARY_LEN = ("primary_len", 24, 4); PRIMARY_CRC32 = ("primary_crc32", 28, 4);
        SECONDARY_OFFSET = ("secondary_offset", 32, 8);
        SECONDARY_SIZE = ("secondary_size", 40, 4); SECONDARY_LEN = ("secondary_len", 44, 4);
        SECONDARY_CRC32 = ("secondary_crc32", 48, 4); RESERVED = ("reserved", 52, 4);
    }
}

/// Fields of the 32-byte trailer that ends the executable.
pub mod trailer {
    fields! {
        PAYLOAD_OFFSET = ("payload_offset", 0, 8); PAYLOAD_LEN = ("payload_len", 8, 8);
        INDEX_CRC32 = ("index_crc32", 16, 4); RESERVED = ("reserved", 20, 4);
        TRAILER_MAGIC = ("trailer_magic", 24, 8);
    }
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

/// The little-endian integer or bytes of field `f` of a fixed-size record.
pub(crate) fn read<const N: usize, const S: usize>(record: &[u8; N], f: Field) -> [u8; S] {
    let mut b = [0u8; S];
    b.copy_from_slice(&record[f.offset..f.offset + S]);
    b
}

pub(crate) fn read_u8<const N: usize>(record: &[u8; N], f: Field) -> u8 {
    record[f.offset]
}

pub(crate) fn read_u32<const N: usize>(record: &[u8; N], f: Field) -> u32 {
    u32::from_le_bytes(read(record, f))
}

pub(crate) fn read_u64<const N: usize>(record: &[u8; N], f: Field) -> u64 {
    u64::from_le_bytes(read(record, f))
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
    fn kinds_round_trip_through_their_name() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::SharedLibrary.name(), "SHARED_LIBRARY");
        assert_eq!(Kind::from_name("Module"), None);
    }

    #[test]
    fn magic_ends_with_the_version() {
        assert_eq!(&MAGIC, b"pyingot\x02");
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
}
