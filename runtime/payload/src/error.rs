//! Why a payload cannot be read: the messages end users of a damaged executable see.
//! The spec lists them (docs/packed-format.md, "Reading, and the errors").

use std::fmt;

use crate::format::{FORMAT_VERSION, HEADER_SIZE, MAGIC};

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
    /// The dictionary's offset and length in the header are outside the data section.
    DictionaryOutOfBounds,
    DictionaryChecksumMismatch {
        expected: u32,
        computed: u32,
    },
    BadDictionary {
        problem: String,
    },
    UnknownCodec {
        index: usize,
        codec: u8,
    },
    /// A raw blob whose size is not its stored length, a compressed blob with no stored
    /// bytes, or a compressed META value (META values are stored raw).
    BadBlob {
        index: usize,
    },
    /// A blob's stored bytes do not match its CRC-32: found when the blob is read.
    BlobChecksumMismatch {
        index: usize,
        entry: String,
        expected: u32,
        computed: u32,
    },
    /// A compressed blob that does not decode to exactly its declared size.
    BadCompressedBlob {
        index: usize,
        entry: String,
        problem: String,
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
                "{DAMAGED}: index checksum mismatch (expected {expected:08x}, computed \
                 {computed:08x})"
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
            DictionaryOutOfBounds => write!(
                f,
                "{DAMAGED}: the compression dictionary lies outside the data section"
            ),
            DictionaryChecksumMismatch { expected, computed } => write!(
                f,
                "{DAMAGED}: the compression dictionary fails its checksum (expected \
                 {expected:08x}, computed {computed:08x})"
            ),
            BadDictionary { problem } => write!(
                f,
                "{DAMAGED}: the compression dictionary cannot be read ({problem})"
            ),
            UnknownCodec { index, codec } => {
                write!(f, "{DAMAGED}: entry {index} has unknown codec {codec}")
            }
            BadBlob { index } => write!(
                f,
                "{DAMAGED}: entry {index} has a blob whose sizes do not fit its codec"
            ),
            BlobChecksumMismatch {
                index,
                entry,
                expected,
                computed,
            } => write!(
                f,
                "{DAMAGED}: entry {index} ({entry}) fails its checksum (expected \
                 {expected:08x}, computed {computed:08x})"
            ),
            BadCompressedBlob {
                index,
                entry,
                problem,
            } => write!(
                f,
                "{DAMAGED}: entry {index} ({entry}) cannot be decompressed ({problem})"
            ),
        }
    }
}

impl std::error::Error for PayloadError {}
