//! Compressed blobs and the dictionary, damaged: checked before they are decoded, and
//! when damage is made to pass the checksums (a blob or dictionary resealed, as a careless
//! tool would), decoded to an error or to exactly the declared size, never a panic.
//!
//! `tests/data/dictionary.payload` was written by the Python writer
//! (`pyingot.payload.packing.write_payload` with a `Compression` and a 4 KiB dictionary
//! trained on generated module sources): 41 ZSTD blobs made with the dictionary, one
//! 84 KB data file, META raw.

mod common;

use std::collections::BTreeSet;

use common::{get, put, Rng};
use pyingot_payload::{entry, header, Payload, PayloadError, CODEC_ZSTD, ENTRY_SIZE};

const FIXTURE: &[u8] = include_bytes!("data/dictionary.payload");

/// Every blob of every entry, read; the errors (none panic).
fn read_all(p: &[u8]) -> Vec<PayloadError> {
    let Ok(payload) = Payload::parse(p) else {
        return vec![Payload::parse(p).unwrap_err()];
    };
    let mut errors = Vec::new();
    for e in payload.entries() {
        let Ok(e) = e else { break };
        for (blob, read) in [(e.primary, e.primary()), (e.secondary, e.secondary())] {
            match read {
                Ok(bytes) => assert_eq!(bytes.len(), blob.len(), "{}", e.name),
                Err(err) => errors.push(err),
            }
        }
        let mut out = vec![0u8; e.primary.len()];
        if let Err(err) = e.decode_primary_into(&mut out) {
            errors.push(err);
        }
    }
    errors
}

/// (entry index, field) -> absolute offset of the field in the payload.
fn field_at(p: &[u8], i: usize, f: pyingot_payload::Field) -> usize {
    get(p, header::INDEX_OFFSET) as usize + i * ENTRY_SIZE + f.offset
}

/// The entries whose primary blob is ZSTD: (index, stored range in the payload).
fn zstd_blobs(p: &[u8]) -> Vec<(usize, std::ops::Range<usize>)> {
    common::blobs_with_codec(p, CODEC_ZSTD)
}

fn dictionary_range(p: &[u8]) -> std::ops::Range<usize> {
    let start = get(p, header::DATA_OFFSET) as usize + get(p, header::DICTIONARY_OFFSET) as usize;
    start..start + get(p, header::DICTIONARY_LEN) as usize
}

/// Recompute entry `i`'s primary CRC-32 over its stored bytes.
fn reseal_primary(p: &mut [u8], i: usize, stored: std::ops::Range<usize>) {
    let crc = crc32fast::hash(&p[stored]);
    put(p, primary_field(p, i, entry::PRIMARY_CRC32), crc.into());
}

/// A field of entry `i` as a one-field slice offset: `put` writes at `f.offset`, so
/// shift the field to its absolute position.
fn primary_field(p: &[u8], i: usize, f: pyingot_payload::Field) -> pyingot_payload::Field {
    pyingot_payload::Field {
        offset: field_at(p, i, f),
        ..f
    }
}

#[test]
fn the_fixture_reads_back_with_its_dictionary() {
    let payload = Payload::parse(FIXTURE).unwrap();
    assert_eq!(payload.verify(), Vec::new());
    assert!(read_all(FIXTURE).is_empty());
    assert!(zstd_blobs(FIXTURE).len() >= 40);
    assert_eq!(dictionary_range(FIXTURE).len(), 4096);
    // A module's source is its code's second half (the writer's fixture).
    let m = payload
        .get(pyingot_payload::Kind::Module, "m3")
        .unwrap()
        .unwrap();
    let (code, source) = (m.primary().unwrap(), m.source().unwrap().unwrap());
    assert!(code.ends_with(&source));
}

#[test]
fn every_bit_flip_in_the_dictionary_is_caught_by_its_checksum() {
    for at in dictionary_range(FIXTURE) {
        for bit in [0, 3, 7] {
            let mut p = FIXTURE.to_vec();
            p[at] ^= 1 << bit;
            let errors = read_all(&p);
            assert!(!errors.is_empty());
            assert!(errors
                .iter()
                .all(|e| matches!(e, PayloadError::DictionaryChecksumMismatch { .. })));
        }
    }
}

#[test]
fn a_corrupt_dictionary_with_a_matching_checksum_never_panics() {
    let mut rng = Rng::new(11);
    let range = dictionary_range(FIXTURE);
    let mut seen = BTreeSet::new();
    for case in 0..300 {
        let mut p = FIXTURE.to_vec();
        // Mostly the dictionary's header and entropy tables (its first bytes), where
        // the decoder has the most to parse.
        let span = if case % 2 == 0 { 200 } else { range.len() };
        for _ in 0..1 + rng.below(4) {
            let at = range.start + rng.below(span);
            p[at] ^= 1 << rng.below(8);
        }
        if case % 10 == 0 {
            // A cut dictionary.
            let len = rng.below(range.len());
            put(&mut p, header::DICTIONARY_LEN, len as u64);
        }
        let len = get(&p, header::DICTIONARY_LEN) as usize;
        let crc = crc32fast::hash(&p[range.start..range.start + len]);
        put(&mut p, header::DICTIONARY_CRC32, crc.into());
        for e in read_all(&p) {
            seen.insert(
                format!("{e:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    assert!(seen.contains("BadDictionary"), "{seen:?}");
}

#[test]
fn corrupt_frames_are_caught_by_their_checksum_and_never_panic_when_resealed() {
    let mut rng = Rng::new(12);
    let blobs = zstd_blobs(FIXTURE);
    let mut seen = BTreeSet::new();
    for case in 0..2000 {
        let (i, range) = blobs[rng.below(blobs.len())].clone();
        let mut p = FIXTURE.to_vec();
        for _ in 0..1 + rng.below(3) {
            let at = range.start + rng.below(range.len());
            p[at] ^= 1 << rng.below(8);
        }
        if p == FIXTURE {
            continue; // the flips undid each other
        }
        let errors = read_all(&p);
        assert!(
            matches!(errors[..], [PayloadError::BlobChecksumMismatch { index, .. }, ..] if index == i),
            "{errors:?}"
        );
        if case % 2 == 0 {
            reseal_primary(&mut p, i, range);
        }
        for e in read_all(&p) {
            seen.insert(
                format!("{e:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    assert!(seen.contains("BadCompressedBlob"), "{seen:?}");
}

#[test]
fn truncated_frames_are_rejected() {
    for (i, range) in zstd_blobs(FIXTURE) {
        for cut in [1, range.len() / 2, range.len() - 1] {
            let mut p = FIXTURE.to_vec();
            put(
                &mut p,
                primary_field(FIXTURE, i, entry::PRIMARY_LEN),
                (range.len() - cut) as u64,
            );
            reseal_primary(&mut p, i, range.start..range.end - cut);
            let errors = read_all(&p);
            assert!(
                errors.iter().any(
                    |e| matches!(e, PayloadError::BadCompressedBlob { index, .. } if *index == i)
                ),
                "cut {cut} of entry {i}: {errors:?}"
            );
        }
    }
}

#[test]
fn a_blob_that_expands_past_its_declared_size_is_rejected() {
    let (i, _) = zstd_blobs(FIXTURE)[5].clone();
    let size_field = primary_field(FIXTURE, i, entry::PRIMARY_SIZE);
    let size = get(FIXTURE, size_field);
    for declared in [1, size / 2, size - 1] {
        let mut p = FIXTURE.to_vec();
        put(&mut p, size_field, declared);
        let payload = Payload::parse(&p).unwrap();
        let e = payload.entry(i).unwrap();
        let err = e.primary().unwrap_err();
        assert!(
            err.to_string()
                .ends_with(&format!("(it expands past its declared {declared} bytes)")),
            "{err}"
        );
        let mut out = vec![0u8; declared as usize];
        assert_eq!(e.decode_primary_into(&mut out), Err(err));
    }
    let mut p = FIXTURE.to_vec();
    put(&mut p, size_field, size + 1);
    let payload = Payload::parse(&p).unwrap();
    let err = payload.entry(i).unwrap().primary().unwrap_err();
    assert!(
        err.to_string().ends_with(&format!(
            "(it decodes to {size} bytes, not the declared {})",
            size + 1
        )),
        "{err}"
    );
    // A size no zstd frame of this length can reach is refused before any allocation.
    put(&mut p, size_field, u32::MAX.into());
    let payload = Payload::parse(&p).unwrap();
    let err = payload.entry(i).unwrap().primary().unwrap_err();
    assert!(
        err.to_string().contains("cannot decode to the declared"),
        "{err}"
    );
}
