//! Reader of pyingot's packed resources format. Specification: docs/packed-format.md.
//!
//! An executable is `stub | padding | payload | trailer`. [`Payload::from_executable`]
//! finds the payload by the trailer, checks its header and the CRC-32 of its header,
//! index and names, and nothing more: entries are read one at a time, when looked up, so
//! start-up cost does not grow with the number of resources, and each blob is checked by
//! its own CRC-32 and decoded (zstd, with the payload's dictionary) when it is read.
//! Lookups are binary searches over the sorted, fixed-size index; raw blobs are slices
//! of the caller's buffer (zero copy), compressed ones are decoded into a new buffer or
//! into one the caller gives (an in-memory file).
//!
//! Every byte value of the format is named once, in `format.rs`. The Python writer
//! (`src/pyingot/payload/packing.py`) names them once on its side, and a test compares both with
//! the spec's tables (through `payload-dump --constants`).
//!
//! No input makes this crate panic: every access is bounds-checked and a damaged
//! payload is a [`PayloadError`], whose message is shown to the end user. The crate is
//! safe Rust but for one call into liblz4's decoder for untrusted input (`lz4c.rs`).

#![deny(unsafe_code)]

mod blob;
mod error;
mod format;
mod lz4c;
mod reader;

pub use blob::Blob;
pub use error::PayloadError;
pub use format::{
    entry, header, trailer, Field, Kind, CODECS, CODEC_LZ4, CODEC_RAW, CODEC_ZSTD, DATA_ALIGNMENT,
    ENTRY_SIZE, FLAGS, FLAG_HAS_SOURCE, FLAG_IS_NAMESPACE, FLAG_IS_PACKAGE, FORMAT_VERSION,
    HEADER_SIZE, KNOWN_FLAGS, LZ4_PIECE, MAGIC, PAYLOAD_ALIGNMENT, TRAILER_MAGIC, TRAILER_SIZE,
};
pub use reader::{Entries, Entry, Payload, PrefixIter};
