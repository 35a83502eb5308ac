//! LZ4 blobs (extension modules and shared libraries: a block per MiB, each after its
//! length), damaged: checked before they are decoded (or, decoded a piece at a time into
//! a file, checked as they are decoded, the file good only once the whole blob is), and
//! when damage is made to pass the checksum (a blob resealed, as a careless tool would),
//! decoded to an error naming the entry or to exactly the declared size, never a panic.
//! The declared size is never trusted: a block that expands past it, or stops short of
//! it, is an error.

mod common;

use std::collections::BTreeSet;
use std::ops::Range;

use common::{get, put, write, Rng, TestEntry};
use pyingot_payload::{
    entry, header, Field, Kind, Payload, PayloadError, CODEC_LZ4, ENTRY_SIZE, LZ4_PIECE,
};

/// Bytes that look like a shared object: repeated structures with some noise, so that
/// LZ4 finds matches of many lengths and offsets (and literals between them).
fn library_like(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match rng.below(4) {
            0 => {
                let n = 1 + rng.below(40);
                out.extend(rng.bytes(n));
            }
            1 => {
                let (byte, n) = (rng.below(256) as u8, 1 + rng.below(600));
                out.extend(std::iter::repeat_n(byte, n));
            }
            _ if out.len() > 16 => {
                let start = rng.below(out.len() - 8);
                let n = (4 + rng.below(300)).min(out.len() - start);
                let copy = out[start..start + n].to_vec();
                out.extend(copy);
            }
            _ => out.extend(b"\x7fELF\x02\x01\x01\0"),
        }
    }
    out.truncate(len);
    out
}

/// The blobs' sizes: within one piece, and over three (the last one short).
const SIZES: [usize; 8] = [1, 5, 13, 64, 1000, 70_000, 300_000, 2 * LZ4_PIECE + 12_345];

/// A payload with LZ4 extension modules and libraries, 1 byte to 2 MiB, and a raw META.
fn fixture() -> Vec<u8> {
    let mut rng = Rng::new(41);
    let mut entries = vec![TestEntry::new(Kind::Meta, "entry", b"function:app:main")];
    for (i, len) in SIZES.into_iter().enumerate() {
        let kind = if i % 2 == 0 {
            Kind::Extension
        } else {
            Kind::SharedLibrary
        };
        let mut e = TestEntry::new(kind, &format!("lib{i}.so"), &library_like(&mut rng, len));
        e.codec = CODEC_LZ4;
        entries.push(e);
    }
    write(&entries)
}

/// The index of the entry named `name`.
fn index_of(p: &[u8], name: &str) -> usize {
    let payload = Payload::parse(p).unwrap();
    let found = payload
        .entries()
        .map(Result::unwrap)
        .find(|e| e.name == name);
    found.unwrap().index
}

/// Every LZ4 primary blob: (entry index, stored range in the payload).
fn lz4_blobs(p: &[u8]) -> Vec<(usize, Range<usize>)> {
    common::blobs_with_codec(p, CODEC_LZ4)
}

/// Field `f` of entry `i`, at its absolute position in the payload.
fn field(p: &[u8], i: usize, f: Field) -> Field {
    Field {
        offset: get(p, header::INDEX_OFFSET) as usize + i * ENTRY_SIZE + f.offset,
        ..f
    }
}

fn reseal(p: &mut [u8], i: usize, stored: Range<usize>) {
    let crc = crc32fast::hash(&p[stored]);
    put(p, field(p, i, entry::PRIMARY_CRC32), crc.into());
}

/// Entry `i`'s primary blob read both ways (a buffer; into a slice of its size), which
/// must agree (`primary` may refuse an impossible size with its own message first).
fn read(p: &[u8], i: usize) -> Result<Vec<u8>, PayloadError> {
    let payload = Payload::parse(p).unwrap();
    let e = payload.entry(i)?;
    let mut out = vec![0u8; e.primary.len()];
    let into = e.decode_primary_into(&mut out).map(|()| out);
    let read = e.primary().map(|b| b.into_owned());
    let mut pieces = Vec::new();
    let with = e
        .decode_primary_with(&mut Vec::new(), |piece| {
            assert!(piece.len() <= LZ4_PIECE);
            pieces.extend_from_slice(piece);
            Ok::<(), ()>(())
        })
        .map(|written| {
            written.unwrap();
            pieces
        });
    match (&into, &read, &with) {
        (Ok(a), Ok(b), Ok(c)) => assert!(a == b && b == c),
        (Err(a), Err(_), Err(c)) => assert_eq!(a, c),
        _ => panic!("{into:?} against {read:?} against {with:?}"),
    }
    read
}

fn variant(e: &PayloadError) -> String {
    format!("{e:?}")
        .split([' ', '{'])
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn lz4_blobs_read_back_exactly() {
    let p = fixture();
    let blobs = lz4_blobs(&p);
    assert_eq!(blobs.len(), SIZES.len());
    assert_eq!(Payload::parse(&p).unwrap().verify(), Vec::new());
    let mut rng = Rng::new(41);
    for (i, len) in SIZES.into_iter().enumerate() {
        let index = index_of(&p, &format!("lib{i}.so"));
        let (_, range) = blobs.iter().find(|(j, _)| *j == index).unwrap();
        let bytes = read(&p, index).unwrap();
        assert_eq!(bytes, library_like(&mut rng, len));
        if len >= 1000 {
            assert!(
                range.len() < len / 2,
                "entry {index}: {} of {len}",
                range.len()
            );
        }
    }
}

#[test]
fn every_bit_flip_is_caught_by_the_checksum_and_never_panics_when_resealed() {
    let p0 = fixture();
    let mut seen = BTreeSet::new();
    for (i, range) in lz4_blobs(&p0) {
        let step = (range.len() / 150).max(1);
        for at in range.clone().step_by(step) {
            for bit in [0, 4, 7] {
                let mut p = p0.clone();
                p[at] ^= 1 << bit;
                assert!(
                    matches!(read(&p, i), Err(PayloadError::BlobChecksumMismatch { index, .. }) if index == i)
                );
                reseal(&mut p, i, range.clone());
                match read(&p, i) {
                    // A flipped literal decodes to the declared size: only the checksum
                    // could tell, and it was resealed.
                    Ok(bytes) => assert_eq!(
                        bytes.len(),
                        Payload::parse(&p).unwrap().entry(i).unwrap().primary.len()
                    ),
                    Err(e) => {
                        assert!(
                            matches!(e, PayloadError::BadCompressedBlob { index, .. } if index == i),
                            "{e:?}"
                        );
                        assert!(e.to_string().contains("lib"), "{e}");
                        seen.insert(variant(&e));
                    }
                }
            }
        }
    }
    assert!(seen.contains("BadCompressedBlob"), "{seen:?}");
}

#[test]
fn corrupt_blocks_never_panic() {
    let p0 = fixture();
    let blobs = lz4_blobs(&p0);
    let mut rng = Rng::new(42);
    for _ in 0..1500 {
        let (i, range) = blobs[rng.below(blobs.len())].clone();
        let mut p = p0.clone();
        match rng.below(3) {
            // A few bytes overwritten with anything.
            0 => {
                for _ in 0..1 + rng.below(6) {
                    p[range.start + rng.below(range.len())] = rng.below(256) as u8;
                }
            }
            // Random bytes where the block was.
            1 => {
                let noise = rng.bytes(range.len());
                p[range.clone()].copy_from_slice(&noise);
            }
            // Big lengths and offsets: 0xff runs (length extensions) and 0x00 offsets.
            _ => {
                let at = range.start + rng.below(range.len());
                let end = (at + 1 + rng.below(32)).min(range.end);
                p[at..end].fill(if rng.below(2) == 0 { 0xff } else { 0 });
            }
        }
        reseal(&mut p, i, range);
        if let Err(e) = read(&p, i) {
            assert!(
                matches!(e, PayloadError::BadCompressedBlob { index, .. } if index == i),
                "{e:?}"
            );
        }
    }
}

#[test]
fn truncated_blocks_are_rejected() {
    let p0 = fixture();
    for (i, range) in lz4_blobs(&p0) {
        for cut in [1, range.len() / 2, range.len() - 1] {
            if cut == 0 || cut >= range.len() {
                continue;
            }
            let mut p = p0.clone();
            put(
                &mut p,
                field(&p0, i, entry::PRIMARY_LEN),
                (range.len() - cut) as u64,
            );
            reseal(&mut p, i, range.start..range.end - cut);
            let err = read(&p, i).unwrap_err();
            assert!(
                matches!(err, PayloadError::BadCompressedBlob { index, .. } if index == i),
                "cut {cut} of entry {i}: {err:?}"
            );
        }
    }
}

#[test]
fn the_declared_size_is_never_trusted() {
    let p0 = fixture();
    let i = index_of(&p0, "lib6.so");
    let size_field = field(&p0, i, entry::PRIMARY_SIZE);
    let size = get(&p0, size_field);
    for declared in [1, size / 2, size - 1] {
        let mut p = p0.clone();
        put(&mut p, size_field, declared);
        let err = read(&p, i).unwrap_err();
        assert!(
            err.to_string()
                .ends_with(&format!("(it expands past its declared {declared} bytes)")),
            "{err}"
        );
        assert!(err.to_string().contains("lib6.so"), "{err}");
    }
    for declared in [size + 1, size * 2] {
        let mut p = p0.clone();
        put(&mut p, size_field, declared);
        let err = read(&p, i).unwrap_err();
        assert!(
            err.to_string().ends_with(&format!(
                "(it decodes to {size} bytes, not the declared {declared})"
            )),
            "{err}"
        );
    }
    // A size no LZ4 block of this length can reach is refused before any allocation.
    let mut p = p0.clone();
    put(&mut p, size_field, u32::MAX.into());
    let payload = Payload::parse(&p).unwrap();
    let err = payload.entry(i).unwrap().primary().unwrap_err();
    assert!(
        err.to_string().contains("cannot decode to the declared"),
        "{err}"
    );
}

#[test]
fn an_lz4_meta_value_or_an_empty_lz4_blob_is_a_bad_blob() {
    let p0 = fixture();
    // Entry 0 is META "entry": raw by the spec.
    let mut p = p0.clone();
    put(
        &mut p,
        field(&p0, 0, entry::PRIMARY_CODEC),
        CODEC_LZ4.into(),
    );
    let payload = Payload::parse(&p).unwrap();
    assert!(matches!(
        payload.entry(0),
        Err(PayloadError::BadBlob { index: 0 })
    ));
    let (i, _) = lz4_blobs(&p0)[0].clone();
    let mut p = p0.clone();
    put(&mut p, field(&p0, i, entry::PRIMARY_SIZE), 0);
    let payload = Payload::parse(&p).unwrap();
    assert!(matches!(payload.entry(i), Err(PayloadError::BadBlob { index }) if index == i));
}

#[test]
fn piece_lengths_that_overrun_or_leave_bytes_over_are_rejected() {
    let p0 = fixture();
    let i = index_of(&p0, "lib7.so");
    let (_, range) = lz4_blobs(&p0).into_iter().find(|(j, _)| *j == i).unwrap();
    let first = u32::from_le_bytes(p0[range.start..range.start + 4].try_into().unwrap());
    // The first piece's length, past the stored bytes.
    let mut p = p0.clone();
    p[range.start..range.start + 4].copy_from_slice(&(range.len() as u32).to_le_bytes());
    reseal(&mut p, i, range.clone());
    let err = read(&p, i).unwrap_err();
    assert!(err.to_string().contains("overruns them"), "{err}");
    // A shorter first piece: its block ends early, the next length is read from it.
    let mut p = p0.clone();
    p[range.start..range.start + 4].copy_from_slice(&(first - 1).to_le_bytes());
    reseal(&mut p, i, range.clone());
    assert!(
        matches!(read(&p, i), Err(PayloadError::BadCompressedBlob { index, .. }) if index == i)
    );
    // The declared size two pieces short: the third piece is left over.
    let mut p = p0.clone();
    put(
        &mut p,
        field(&p0, i, entry::PRIMARY_SIZE),
        (2 * LZ4_PIECE) as u64,
    );
    let err = read(&p, i).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("stored bytes follow its last piece)"),
        "{err}"
    );
    // The declared size a piece longer: the pieces run out.
    let mut p = p0.clone();
    let size = 2 * LZ4_PIECE + 12_345;
    put(
        &mut p,
        field(&p0, i, entry::PRIMARY_SIZE),
        (size + LZ4_PIECE) as u64,
    );
    let err = read(&p, i).unwrap_err();
    assert!(
        err.to_string().ends_with(&format!(
            "(it decodes to {size} bytes, not the declared {})",
            size + LZ4_PIECE
        )),
        "{err}"
    );
}

#[test]
fn a_failing_writer_stops_the_decoding_with_its_own_error() {
    let p = fixture();
    let i = index_of(&p, "lib7.so");
    let payload = Payload::parse(&p).unwrap();
    let e = payload.entry(i).unwrap();
    let mut calls = 0;
    let result = e.decode_primary_with(&mut Vec::new(), |_| {
        calls += 1;
        if calls == 2 {
            Err("disk full")
        } else {
            Ok(())
        }
    });
    assert_eq!(result, Ok(Err("disk full")));
    assert_eq!(calls, 2);
}
