//! Test support: a seeded PRNG and a minimal payload writer written from the spec
//! (the real writer is Python; these tests must run with `cargo test` alone).

#![allow(dead_code)]

use pyingot_payload::Payload;
use pyingot_payload::{
    entry, header, trailer, Field, Kind, CODEC_LZ4, CODEC_RAW, CODEC_ZSTD, DATA_ALIGNMENT,
    ENTRY_SIZE, FLAG_HAS_SOURCE, HEADER_SIZE, KNOWN_FLAGS, LZ4_PIECE, MAGIC, PAYLOAD_ALIGNMENT,
    TRAILER_MAGIC, TRAILER_SIZE,
};
use ruzstd::encoding::{compress_to_vec, CompressionLevel};

/// SplitMix64: small, seeded, good enough to pick test cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEntry {
    pub kind: u8,
    pub flags: u8,
    pub name: String,
    pub primary: Vec<u8>,
    pub secondary: Vec<u8>,
    /// How to store the blobs: `CODEC_RAW`, `CODEC_ZSTD` (frames without a dictionary)
    /// or `CODEC_LZ4` (one block).
    pub codec: u8,
}

impl TestEntry {
    pub fn new(kind: Kind, name: &str, primary: &[u8]) -> TestEntry {
        TestEntry {
            kind: kind as u8,
            flags: 0,
            name: name.to_string(),
            primary: primary.to_vec(),
            secondary: Vec::new(),
            codec: CODEC_RAW,
        }
    }
}

pub fn put(buf: &mut [u8], f: Field, value: u64) {
    buf[f.offset..f.offset + f.size].copy_from_slice(&value.to_le_bytes()[..f.size]);
}

pub fn get(buf: &[u8], f: Field) -> u64 {
    let mut b = [0u8; 8];
    b[..f.size].copy_from_slice(&buf[f.offset..f.offset + f.size]);
    u64::from_le_bytes(b)
}

fn align(n: usize, a: usize) -> usize {
    n.div_ceil(a) * a
}

/// A blob's codec and stored bytes: as `codec` asks (a zstd frame, an LZ4 block), but raw
/// when the blob is empty.
pub fn stored_blob(codec: u8, blob: &[u8]) -> (u8, Vec<u8>) {
    match codec {
        _ if blob.is_empty() => (CODEC_RAW, Vec::new()),
        CODEC_ZSTD => (CODEC_ZSTD, compress_to_vec(blob, CompressionLevel::Fastest)),
        CODEC_LZ4 => (CODEC_LZ4, lz4_pieces(blob)),
        _ => (CODEC_RAW, blob.to_vec()),
    }
}

/// `blob` as the LZ4 codec stores it: a block per `LZ4_PIECE` bytes, each after its
/// stored length (u32).
pub fn lz4_pieces(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in blob.chunks(LZ4_PIECE) {
        let block = lz4_flex::block::compress(piece);
        out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        out.extend_from_slice(&block);
    }
    out
}

/// Sort `entries` by (kind, name bytes) and pack them as the spec says (no dictionary).
/// META entries are never compressed.
pub fn write(entries: &[TestEntry]) -> Vec<u8> {
    let mut sorted = entries.to_vec();
    sorted.sort_by(|a, b| (a.kind, a.name.as_bytes()).cmp(&(b.kind, b.name.as_bytes())));
    let mut names = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut index = Vec::new();
    let mut put_blob = |blob: &[u8]| -> u64 {
        if blob.is_empty() {
            return 0;
        }
        data.resize(align(data.len(), DATA_ALIGNMENT), 0);
        let offset = data.len() as u64;
        data.extend_from_slice(blob);
        offset
    };
    for e in &sorted {
        let mut rec = [0u8; ENTRY_SIZE];
        put(&mut rec, entry::KIND, e.kind.into());
        put(&mut rec, entry::FLAGS, e.flags.into());
        put(&mut rec, entry::NAME_OFFSET, names.len() as u64);
        put(&mut rec, entry::NAME_LEN, e.name.len() as u64);
        names.extend_from_slice(e.name.as_bytes());
        let (codec, stored) = stored_blob(
            if e.kind == Kind::Meta as u8 {
                CODEC_RAW
            } else {
                e.codec
            },
            &e.primary,
        );
        put(&mut rec, entry::PRIMARY_CODEC, codec.into());
        put(&mut rec, entry::PRIMARY_OFFSET, put_blob(&stored));
        put(&mut rec, entry::PRIMARY_LEN, stored.len() as u64);
        put(&mut rec, entry::PRIMARY_SIZE, e.primary.len() as u64);
        put(
            &mut rec,
            entry::PRIMARY_CRC32,
            crc32fast::hash(&stored).into(),
        );
        let (codec, stored) = stored_blob(
            if e.kind == Kind::Meta as u8 {
                CODEC_RAW
            } else {
                e.codec
            },
            &e.secondary,
        );
        put(&mut rec, entry::SECONDARY_CODEC, codec.into());
        put(&mut rec, entry::SECONDARY_OFFSET, put_blob(&stored));
        put(&mut rec, entry::SECONDARY_LEN, stored.len() as u64);
        put(&mut rec, entry::SECONDARY_SIZE, e.secondary.len() as u64);
        put(
            &mut rec,
            entry::SECONDARY_CRC32,
            crc32fast::hash(&stored).into(),
        );
        index.extend_from_slice(&rec);
    }
    let names_offset = HEADER_SIZE + index.len();
    let data_offset = align(names_offset + names.len(), DATA_ALIGNMENT);
    let mut out = vec![0u8; HEADER_SIZE];
    out[..8].copy_from_slice(&MAGIC);
    put(&mut out, header::ENTRY_COUNT, sorted.len() as u64);
    put(&mut out, header::INDEX_OFFSET, HEADER_SIZE as u64);
    put(&mut out, header::NAMES_OFFSET, names_offset as u64);
    put(&mut out, header::DATA_OFFSET, data_offset as u64);
    put(
        &mut out,
        header::PAYLOAD_LEN,
        (data_offset + data.len()) as u64,
    );
    out.extend_from_slice(&index);
    out.extend_from_slice(&names);
    out.resize(data_offset, 0);
    out.extend_from_slice(&data);
    out
}

pub fn trailer_for(payload: &[u8], offset: usize) -> Vec<u8> {
    let mut t = vec![0u8; TRAILER_SIZE];
    put(&mut t, trailer::PAYLOAD_OFFSET, offset as u64);
    put(&mut t, trailer::PAYLOAD_LEN, payload.len() as u64);
    // The index checksum covers the payload up to `data_offset` (all of it when the
    // bytes are too short or too damaged to say).
    let end = if payload.len() >= HEADER_SIZE {
        (get(payload, header::DATA_OFFSET) as usize).min(payload.len())
    } else {
        payload.len()
    };
    let head = &payload[..end];
    put(&mut t, trailer::INDEX_CRC32, crc32fast::hash(head).into());
    t[trailer::TRAILER_MAGIC.offset..].copy_from_slice(&TRAILER_MAGIC);
    t
}

/// `stub | zero padding to 16 | payload | trailer`.
pub fn append(stub: &[u8], payload: &[u8]) -> Vec<u8> {
    let offset = align(stub.len(), PAYLOAD_ALIGNMENT);
    let mut exe = stub.to_vec();
    exe.resize(offset, 0);
    exe.extend_from_slice(payload);
    exe.extend_from_slice(&trailer_for(payload, offset));
    exe
}

const PIECES: [&str; 10] = ["a", "b", "ab", ".", "/", "_", "é", "😀", "z", "\u{7f}"];

pub fn random_name(rng: &mut Rng) -> String {
    let parts = 1 + rng.below(5);
    (0..parts)
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect()
}

/// Up to `max` entries with distinct (kind, name), valid flags and small blobs.
pub fn random_entries(rng: &mut Rng, max: usize) -> Vec<TestEntry> {
    let mut out: Vec<TestEntry> = Vec::new();
    let n = rng.below(max + 1);
    while out.len() < n {
        let kind = Kind::ALL[rng.below(Kind::ALL.len())] as u8;
        let name = random_name(rng);
        if out.iter().any(|e| e.kind == kind && e.name == name) {
            continue;
        }
        let primary_len = [0, 1, 7, 8, 9, 33][rng.below(6)];
        let (flags, secondary) = if kind == Kind::Module as u8 {
            let flags = rng.below(usize::from(KNOWN_FLAGS) + 1) as u8;
            let secondary = if flags & FLAG_HAS_SOURCE != 0 {
                {
                    let n = rng.below(20);
                    rng.bytes(n)
                }
            } else {
                Vec::new()
            };
            (flags, secondary)
        } else {
            (0, Vec::new())
        };
        let primary = rng.bytes(primary_len);
        let codec = if kind == Kind::Meta as u8 {
            CODEC_RAW
        } else {
            [CODEC_RAW, CODEC_ZSTD, CODEC_LZ4][rng.below(3)]
        };
        out.push(TestEntry {
            kind,
            flags,
            name,
            primary,
            secondary,
            codec,
        });
    }
    out
}

/// The entries whose primary blob has `codec`: (index, stored range in the payload).
pub fn blobs_with_codec(p: &[u8], codec: u8) -> Vec<(usize, std::ops::Range<usize>)> {
    let payload = Payload::parse(p).unwrap();
    payload
        .entries()
        .map(Result::unwrap)
        .filter(|e| e.primary.codec == codec)
        .map(|e| {
            let start = e.primary.stored.as_ptr() as usize - p.as_ptr() as usize;
            (e.index, start..start + e.primary.stored.len())
        })
        .collect()
}
