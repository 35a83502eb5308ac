//! The reader: a payload found and checked, its entries read one at a time, on demand.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::blob::{self, Blob, Dictionary, Owner};
use crate::error::PayloadError;
use crate::format::{
    entry, header, read, read_u32, read_u64, read_u8, trailer, Field, Kind, CODEC_LZ4, CODEC_RAW,
    CODEC_ZSTD, ENTRY_SIZE, FLAG_HAS_SOURCE, FLAG_IS_NAMESPACE, FLAG_IS_PACKAGE, HEADER_SIZE,
    KNOWN_FLAGS, MAGIC, TRAILER_MAGIC, TRAILER_SIZE,
};

/// One resource: its name, flags and blobs. The blobs are checked (CRC-32) and decoded
/// only when read, through [`Entry::primary`], [`Entry::secondary`] or
/// [`Entry::decode_primary_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub kind: Kind,
    pub flags: u8,
    pub name: &'a str,
    /// The entry's number in the index, which error messages show.
    pub index: usize,
    pub primary: Blob<'a>,
    pub secondary: Blob<'a>,
    dictionary: Dictionary<'a>,
}

impl<'a> Entry<'a> {
    pub fn is_package(&self) -> bool {
        self.flags & FLAG_IS_PACKAGE != 0
    }

    pub fn is_namespace(&self) -> bool {
        self.flags & FLAG_IS_NAMESPACE != 0
    }

    pub fn has_source(&self) -> bool {
        self.flags & FLAG_HAS_SOURCE != 0
    }

    fn owner(&self) -> Owner<'a> {
        Owner {
            index: self.index,
            kind: self.kind,
            name: self.name,
        }
    }

    /// The primary blob's bytes, checked and decoded (borrowed from the payload when
    /// it is stored raw).
    pub fn primary(&self) -> Result<Cow<'a, [u8]>, PayloadError> {
        blob::read(&self.owner(), self.dictionary, &self.primary)
    }

    /// The secondary blob's bytes, checked and decoded.
    pub fn secondary(&self) -> Result<Cow<'a, [u8]>, PayloadError> {
        blob::read(&self.owner(), self.dictionary, &self.secondary)
    }

    /// The module's UTF-8 source, if it was packed (possibly empty: an empty `__init__.py`).
    pub fn source(&self) -> Result<Option<Cow<'a, [u8]>>, PayloadError> {
        self.has_source().then(|| self.secondary()).transpose()
    }

    /// Checks the primary blob and decodes it into `out`, which must be exactly
    /// `self.primary.len()` bytes: an in-memory file, with no buffer in between.
    pub fn decode_primary_into(&self, out: &mut [u8]) -> Result<(), PayloadError> {
        blob::decode_into(&self.owner(), self.dictionary, &self.primary, out)
    }

    /// Decodes the primary blob, an LZ4 one, a piece at a time through `buffer`, handing
    /// each piece to `write`, and checks it (see `blob::decode_lz4_with`): what `write`
    /// was given is good only when this returns `Ok(Ok(()))`. The outer error is the
    /// blob's damage, the inner one `write`'s.
    pub fn decode_primary_with<E>(
        &self,
        buffer: &mut Vec<u8>,
        write: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Result<(), E>, PayloadError> {
        blob::decode_lz4_with(&self.owner(), &self.primary, buffer, write)
    }

    /// Checks a CRC-32 that the caller computed over the primary blob's stored bytes
    /// (reading them in pieces, as it copies them): the error is the one
    /// [`Entry::primary`] would return.
    pub fn check_primary_crc32(&self, computed: u32) -> Result<(), PayloadError> {
        blob::check_computed_crc(&self.owner(), &self.primary, computed)
    }

    /// The primary blob of a META entry (always stored raw), checked.
    pub fn raw_primary(&self) -> Result<&'a [u8], PayloadError> {
        match self.primary()? {
            Cow::Borrowed(bytes) => Ok(bytes),
            Cow::Owned(_) => Err(PayloadError::BadBlob { index: self.index }),
        }
    }
}

/// A parsed payload header with its three sections; entries are read on demand.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    bytes: &'a [u8],
    index: &'a [u8],
    names: &'a [u8],
    data: &'a [u8],
    dictionary: Dictionary<'a>,
    count: usize,
}

impl<'a> Payload<'a> {
    /// The payload of an executable: trailer, then bounds, then header, then the CRC-32
    /// of the header, index and names (the blobs are checked when they are read).
    pub fn from_executable(exe: &'a [u8]) -> Result<Payload<'a>, PayloadError> {
        let start = exe
            .len()
            .checked_sub(TRAILER_SIZE)
            .ok_or(PayloadError::NoPayload)?;
        let record: &[u8; TRAILER_SIZE] = exe
            .get(start..)
            .and_then(|s| s.first_chunk())
            .ok_or(PayloadError::NoPayload)?;
        let magic: [u8; 8] = read(record, trailer::TRAILER_MAGIC);
        if magic != TRAILER_MAGIC {
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
        let parsed = Payload::parse(payload)?;
        let expected = read_u32(record, trailer::INDEX_CRC32);
        let computed = crc32fast::hash(parsed.head());
        if computed != expected {
            return Err(PayloadError::ChecksumMismatch { expected, computed });
        }
        Ok(parsed)
    }

    /// The bytes the index checksum covers: header, index, names and their padding.
    fn head(&self) -> &'a [u8] {
        let len = self.bytes.len() - self.data.len();
        self.bytes.get(..len).unwrap_or_default()
    }

    /// A bare payload: checks the header and the section bounds, not the CRC or the entries.
    pub fn parse(payload: &'a [u8]) -> Result<Payload<'a>, PayloadError> {
        let record: &[u8; HEADER_SIZE] = payload
            .first_chunk()
            .ok_or(PayloadError::TooShort { len: payload.len() })?;
        let magic: [u8; 8] = read(record, header::MAGIC);
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
        let (Some(index), Some(names), Some(data)) = (index, names, data) else {
            return Err(bad);
        };
        let dictionary_offset = read_u64(record, header::DICTIONARY_OFFSET);
        let dictionary_len = read_u32(record, header::DICTIONARY_LEN);
        let dictionary = Dictionary {
            bytes: slice(data, dictionary_offset, dictionary_len)
                .ok_or(PayloadError::DictionaryOutOfBounds)?,
            crc32: read_u32(record, header::DICTIONARY_CRC32),
        };
        Ok(Payload {
            bytes: payload,
            index,
            names,
            data,
            dictionary,
            count,
        })
    }

    /// The payload's bytes, header included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The data section: every stored blob (and the dictionary) lies in it.
    pub fn data_section(&self) -> &'a [u8] {
        self.data
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

    /// One blob of entry `i`, from its four fields, after checking its codec and bounds.
    fn blob(
        &self,
        i: usize,
        record: &[u8; ENTRY_SIZE],
        meta: bool,
        [codec, offset, len, size, crc]: [Field; 5],
    ) -> Result<Blob<'a>, PayloadError> {
        let codec = read_u8(record, codec);
        let stored = slice(self.data, read_u64(record, offset), read_u32(record, len))
            .ok_or(PayloadError::DataOutOfBounds { index: i })?;
        let size = read_u32(record, size);
        let fits = match codec {
            CODEC_RAW => stored.len() == size as usize,
            CODEC_ZSTD | CODEC_LZ4 => !meta && !stored.is_empty() && size != 0,
            _ => return Err(PayloadError::UnknownCodec { index: i, codec }),
        };
        if !fits {
            return Err(PayloadError::BadBlob { index: i });
        }
        Ok(Blob {
            codec,
            stored,
            size,
            crc32: read_u32(record, crc),
        })
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
        let meta = kind == Kind::Meta;
        let primary = self.blob(
            i,
            record,
            meta,
            [
                entry::PRIMARY_CODEC,
                entry::PRIMARY_OFFSET,
                entry::PRIMARY_LEN,
                entry::PRIMARY_SIZE,
                entry::PRIMARY_CRC32,
            ],
        )?;
        let secondary = self.blob(
            i,
            record,
            meta,
            [
                entry::SECONDARY_CODEC,
                entry::SECONDARY_OFFSET,
                entry::SECONDARY_LEN,
                entry::SECONDARY_SIZE,
                entry::SECONDARY_CRC32,
            ],
        )?;
        Ok(Entry {
            kind,
            flags,
            name,
            index: i,
            primary,
            secondary,
            dictionary: self.dictionary,
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
            Some(i) => std::str::from_utf8(self.entry(i)?.raw_primary()?)
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

    /// Reads and checks every entry, but not the blobs; the first problem found is the
    /// error.
    pub fn validate(&self) -> Result<(), PayloadError> {
        self.entries().try_for_each(|e| e.map(|_| ()))
    }

    /// Everything: every entry, then every blob (its CRC-32, and that it decodes to its
    /// declared size), and the dictionary; every problem found, in index order. This is
    /// `pyingot verify`: damage to a blob is otherwise found only when it is read.
    pub fn verify(&self) -> Vec<PayloadError> {
        let mut problems = Vec::new();
        for e in self.entries() {
            match e {
                Err(e) => {
                    problems.push(e);
                    break;
                }
                Ok(e) => {
                    for r in [e.primary(), e.secondary()] {
                        if let Err(err) = r {
                            let fatal = matches!(
                                err,
                                PayloadError::DictionaryChecksumMismatch { .. }
                                    | PayloadError::BadDictionary { .. }
                            );
                            if !problems.contains(&err) {
                                problems.push(err);
                            }
                            if fatal {
                                return problems;
                            }
                        }
                    }
                }
            }
        }
        problems
    }
}

/// `len` bytes at `offset` of `section`, if they lie inside it.
fn slice(section: &[u8], offset: u64, len: u32) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    section.get(start..start.checked_add(len as usize)?)
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
    fn an_empty_payload_parses() {
        let mut p = vec![0u8; HEADER_SIZE];
        p[..8].copy_from_slice(&MAGIC);
        for (f, v) in [
            (header::INDEX_OFFSET, 64u64),
            (header::NAMES_OFFSET, 64),
            (header::DATA_OFFSET, 64),
            (header::PAYLOAD_LEN, 64),
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
            "payload is damaged: 7 bytes is shorter than the 64-byte header"
        );
    }
}
