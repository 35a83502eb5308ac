//! Property tests with a seeded PRNG: valid payloads read back exactly, and no input —
//! random bytes, truncations, single-bit flips with and without the CRC — makes the
//! reader panic. Errors are fine; a panic fails the test.

mod common;

use std::collections::BTreeSet;

use common::{append, get, random_entries, random_name, trailer_for, write, Rng, TestEntry};
use pyingot_payload::{
    entry, header, trailer, Entry, Kind, Payload, PayloadError, ENTRY_SIZE, FLAG_HAS_SOURCE,
    HEADER_SIZE, KNOWN_FLAGS, MAGIC, TRAILER_MAGIC, TRAILER_SIZE,
};

const STUB: &[u8] = b"\x7fELF stub bytes that the payload reader never looks at";

fn sorted(entries: &[TestEntry]) -> Vec<TestEntry> {
    let mut v = entries.to_vec();
    v.sort_by(|a, b| (a.kind, a.name.as_bytes()).cmp(&(b.kind, b.name.as_bytes())));
    v
}

fn matches(e: &Entry<'_>, t: &TestEntry) -> bool {
    e.kind as u8 == t.kind
        && e.flags == t.flags
        && e.name == t.name
        && e.primary().unwrap().as_ref() == t.primary.as_slice()
        && e.secondary().unwrap().as_ref() == t.secondary.as_slice()
}

/// Check a payload that is known to be valid against the entries that made it.
fn check_valid(payload: &Payload<'_>, entries: &[TestEntry], rng: &mut Rng) {
    let expected = sorted(entries);
    assert_eq!(payload.len(), expected.len());
    assert_eq!(payload.validate(), Ok(()));
    assert_eq!(payload.verify(), Vec::new());
    let all: Vec<Entry<'_>> = payload.entries().map(Result::unwrap).collect();
    assert_eq!(all.len(), expected.len());
    for (i, (e, t)) in all.iter().zip(&expected).enumerate() {
        assert!(matches(e, t), "entry {i}: {e:?} != {t:?}");
        assert_eq!(payload.entry(i), Ok(*e));
        let kind = Kind::from_u8(t.kind).unwrap();
        assert_eq!(payload.get(kind, &t.name), Ok(Some(*e)), "lookup of {t:?}");
        assert_eq!(
            e.source().unwrap().is_some(),
            t.flags & FLAG_HAS_SOURCE != 0
        );
        if kind == Kind::Meta {
            let value = std::str::from_utf8(&t.primary).ok();
            match payload.meta(&t.name) {
                Ok(v) => assert_eq!(v, value),
                Err(err) => {
                    assert!(value.is_none());
                    assert_eq!(err, PayloadError::ValueNotUtf8 { index: i });
                }
            }
        }
    }
    // Names that are not there, and prefix listings against a linear scan.
    for _ in 0..20 {
        let kind = Kind::ALL[rng.below(Kind::ALL.len())];
        let name = random_name(rng);
        let want = expected
            .iter()
            .find(|t| t.kind == kind as u8 && t.name == name);
        let got = payload.get(kind, &name).unwrap();
        assert_eq!(got.is_some(), want.is_some());
        let prefix = match expected.get(rng.below(expected.len() + 1)) {
            Some(t) if rng.below(2) == 0 => {
                let cut = (0..=t.name.len())
                    .filter(|i| t.name.is_char_boundary(*i))
                    .nth(rng.below(3))
                    .unwrap_or(0);
                t.name[..cut].to_string()
            }
            _ => name,
        };
        let listed: Vec<Entry<'_>> = payload
            .iter_prefix(kind, &prefix)
            .map(Result::unwrap)
            .collect();
        let want: Vec<&TestEntry> = expected
            .iter()
            .filter(|t| t.kind == kind as u8 && t.name.starts_with(&prefix))
            .collect();
        assert_eq!(listed.len(), want.len(), "prefix {prefix:?} of {kind:?}");
        for (e, t) in listed.iter().zip(want) {
            assert!(matches(e, t));
        }
    }
}

/// The name of an error's variant, to check which checks the random inputs reached.
fn variant(e: &PayloadError) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Use every part of the API on a payload that may be damaged; only panics matter.
fn exercise(payload: &Payload<'_>, rng: &mut Rng, seen: &mut BTreeSet<String>) {
    let n = payload.len();
    if let Err(e) = payload.validate() {
        seen.insert(variant(&e));
    }
    for e in payload.verify() {
        seen.insert(variant(&e));
    }
    let _ = payload.entry(n);
    for item in payload.entries() {
        if let Err(e) = item {
            seen.insert(variant(&e));
        }
    }
    for i in 0..n {
        match payload.entry(i) {
            Err(e) => {
                seen.insert(variant(&e));
            }
            Ok(e) => {
                let _ = (e.is_package(), e.is_namespace());
                for read in [e.primary(), e.secondary()] {
                    if let Err(e) = read {
                        seen.insert(variant(&e));
                    }
                }
                if let Err(e) = e.source() {
                    seen.insert(variant(&e));
                }
                let mut out = vec![0u8; e.primary.len().min(1 << 20)];
                if let Err(e) = e.decode_primary_into(&mut out) {
                    seen.insert(variant(&e));
                }
                let _ = payload.get(e.kind, e.name);
                let cut = e
                    .name
                    .char_indices()
                    .map(|(i, _)| i)
                    .next_back()
                    .unwrap_or(0);
                for item in payload.iter_prefix(e.kind, &e.name[..cut]).take(64) {
                    let _ = item;
                }
                let _ = payload.meta(e.name);
            }
        }
    }
    for _ in 0..4 {
        let kind = Kind::ALL[rng.below(Kind::ALL.len())];
        let _ = payload.get(kind, &random_name(rng));
        let _ = payload.iter_prefix(kind, "").take(64).count();
    }
}

/// Exercise a payload that was read, or note the error that stopped it.
fn probe(result: Result<Payload<'_>, PayloadError>, rng: &mut Rng, seen: &mut BTreeSet<String>) {
    match result {
        Ok(p) => exercise(&p, rng, seen),
        Err(e) => {
            seen.insert(variant(&e));
        }
    }
}

/// Fail if the random inputs never reached some of the checks.
fn assert_reached(seen: &BTreeSet<String>, expected: &[&str]) {
    let missing: Vec<&&str> = expected.iter().filter(|v| !seen.contains(**v)).collect();
    assert!(
        missing.is_empty(),
        "never reached {missing:?}; saw {seen:?}"
    );
}

#[test]
fn valid_payloads_read_back_exactly() {
    let mut rng = Rng::new(1);
    for case in 0..400 {
        let entries = random_entries(&mut rng, if case % 10 == 0 { 200 } else { 24 });
        let payload = write(&entries);
        let exe = append(STUB, &payload);
        let from_exe = Payload::from_executable(&exe).unwrap();
        assert_eq!(from_exe.as_bytes(), payload.as_slice());
        check_valid(&from_exe, &entries, &mut rng);
        check_valid(&Payload::parse(&payload).unwrap(), &entries, &mut rng);
    }
}

#[test]
fn blobs_are_aligned() {
    let mut rng = Rng::new(2);
    let entries = random_entries(&mut rng, 50);
    let payload = write(&entries);
    let exe = append(b"odd-sized stub", &payload);
    let start = exe.len() - TRAILER_SIZE - payload.len();
    assert_eq!(start % 16, 0);
    let p = Payload::from_executable(&exe).unwrap();
    for e in p.entries() {
        let e = e.unwrap();
        for blob in [e.primary, e.secondary] {
            if !blob.stored.is_empty() {
                let offset = blob.stored.as_ptr() as usize - exe.as_ptr() as usize;
                assert_eq!((offset - start) % 8, 0);
            }
        }
    }
}

#[test]
fn every_truncation_is_an_error() {
    let mut rng = Rng::new(3);
    for _ in 0..3 {
        let entries = random_entries(&mut rng, 30);
        let payload = write(&entries);
        let exe = append(STUB, &payload);
        for len in 0..exe.len() {
            assert!(
                Payload::from_executable(&exe[..len]).is_err(),
                "exe[..{len}]"
            );
        }
        for len in 0..payload.len() {
            let err = Payload::parse(&payload[..len]).unwrap_err();
            if len < HEADER_SIZE {
                assert_eq!(err, PayloadError::TooShort { len });
            } else {
                assert!(matches!(err, PayloadError::LengthMismatch { .. }));
            }
        }
    }
}

#[test]
fn single_bit_flips_never_panic() {
    let mut rng = Rng::new(4);
    let mut cases = 0;
    let mut seen = BTreeSet::new();
    for round in 0..6 {
        let entries = random_entries(&mut rng, if round == 0 { 4 } else { 16 });
        let payload = write(&entries);
        let exe = append(STUB, &payload);
        let payload_start = exe.len() - TRAILER_SIZE - payload.len();
        for bit in 0..exe.len() * 8 {
            let mut damaged = exe.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            cases += 1;
            // The stub, its padding and the trailer's reserved field are not checked.
            let reserved = exe.len() - TRAILER_SIZE + trailer::RESERVED.offset;
            let unchecked =
                bit / 8 < payload_start || (reserved..reserved + 4).contains(&(bit / 8));
            match Payload::from_executable(&damaged) {
                // Blobs are checked when read: `verify` (every blob) finds the flip,
                // unless it is in the zero padding between blobs, which nothing reads.
                Ok(p) if !unchecked => {
                    let data = payload_start + get(&payload, header::DATA_OFFSET) as usize;
                    assert!(bit / 8 >= data, "flip of bit {bit} went unnoticed");
                    let problems = p.verify();
                    if problems.is_empty() {
                        assert!(
                            !stored_bytes(&p, &damaged).contains(&(bit / 8)),
                            "flip of bit {bit} in a blob went unnoticed"
                        );
                        check_valid(&p, &entries, &mut rng);
                    }
                    for e in problems {
                        assert!(
                            matches!(e, PayloadError::BlobChecksumMismatch { .. }),
                            "{e}"
                        );
                        seen.insert(variant(&e));
                    }
                }
                Ok(p) => check_valid(&p, &entries, &mut rng),
                Err(e) => {
                    assert!(!unchecked, "flip of bit {bit}: {e}");
                    seen.insert(variant(&e));
                }
            }
            if bit / 8 < payload_start || bit / 8 >= exe.len() - TRAILER_SIZE {
                continue;
            }
            // The same flip in a bare payload, read without a checksum.
            let flipped = &damaged[payload_start..exe.len() - TRAILER_SIZE];
            probe(Payload::parse(flipped), &mut rng, &mut seen);
            // And with the checksum recomputed, as a careless tool would leave it.
            let mut resealed = damaged[..exe.len() - TRAILER_SIZE].to_vec();
            resealed.extend_from_slice(&trailer_for(flipped, payload_start));
            probe(Payload::from_executable(&resealed), &mut rng, &mut seen);
        }
    }
    assert!(cases > 20_000, "only {cases} cases");
    assert_reached(
        &seen,
        &[
            "NoPayload",
            "TrailerMismatch",
            "ChecksumMismatch",
            "BadMagic",
            "UnsupportedVersion",
            "UnknownHeaderFlags",
            "LengthMismatch",
            "BadSections",
            "UnknownKind",
            "UnknownFlags",
            "NameOutOfBounds",
            "NameNotUtf8",
            "DataOutOfBounds",
            "OutOfOrder",
            "BlobChecksumMismatch",
            "UnknownCodec",
            "BadBlob",
        ],
    );
}

/// The byte offsets in `exe`, the buffer `p` was read from, of every stored blob of `p`.
fn stored_bytes(p: &Payload<'_>, exe: &[u8]) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for e in p.entries() {
        let e = e.unwrap();
        // An empty blob's slice need not point into the buffer.
        for blob in [e.primary, e.secondary]
            .into_iter()
            .filter(|b| !b.stored.is_empty())
        {
            let start = blob.stored.as_ptr() as usize - exe.as_ptr() as usize;
            out.extend(start..start + blob.stored.len());
        }
    }
    out
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(5);
    let mut seen = BTreeSet::new();
    for case in 0..40_000 {
        let len = rng.below(700);
        let mut bytes = rng.bytes(len);
        // Most random inputs die at the magic; give the deeper checks a chance too.
        if case % 2 == 1 && len >= HEADER_SIZE {
            bytes[..8].copy_from_slice(&MAGIC);
            bytes[8..12].fill(0);
            let f = header::PAYLOAD_LEN;
            bytes[f.offset..f.offset + 8].copy_from_slice(&(len as u64).to_le_bytes());
            if case % 4 == 1 {
                // Plausible sections: small offsets in order, few entries.
                let count = rng.below(((len - HEADER_SIZE) / ENTRY_SIZE) + 1) as u64;
                let index = HEADER_SIZE as u64;
                let names = index + count * ENTRY_SIZE as u64;
                let data = names + rng.below(len + 1 - names as usize) as u64;
                let mut put = |f: pyingot_payload::Field, v: u64| {
                    bytes[f.offset..f.offset + f.size].copy_from_slice(&v.to_le_bytes()[..f.size])
                };
                put(header::ENTRY_COUNT, count);
                put(header::INDEX_OFFSET, index);
                put(header::NAMES_OFFSET, names);
                put(header::DATA_OFFSET, data);
                // No dictionary, mostly; else one that may lie outside the data.
                let dictionary = if case % 8 == 1 {
                    rng.below(64) as u64
                } else {
                    0
                };
                put(header::DICTIONARY_OFFSET, dictionary);
                put(header::DICTIONARY_LEN, dictionary);
                // And plausible entries: known kinds and flags, short names, small offsets.
                let names_len = (data - names) as usize;
                let data_len = len - data as usize;
                for i in 0..count as usize {
                    let mut v = [
                        // One past the known kinds and flags, to reach those errors too.
                        (entry::KIND, rng.below(Kind::ALL.len() + 1)),
                        (entry::FLAGS, rng.below(usize::from(KNOWN_FLAGS) + 2)),
                        (entry::NAME_OFFSET, rng.below(names_len + 2)),
                        (entry::NAME_LEN, rng.below(4)),
                        (entry::PRIMARY_OFFSET, rng.below(data_len + 2)),
                        (entry::PRIMARY_LEN, rng.below(8)),
                        (entry::SECONDARY_OFFSET, rng.below(data_len + 2)),
                        (entry::SECONDARY_LEN, rng.below(8)),
                        (entry::PRIMARY_CODEC, rng.below(3)),
                        (entry::PRIMARY_SIZE, rng.below(10)),
                    ];
                    if rng.below(4) == 0 {
                        v[rng.below(v.len())].1 = usize::MAX;
                    }
                    for (f, value) in v {
                        let at = index as usize + i * ENTRY_SIZE + f.offset;
                        bytes[at..at + f.size].copy_from_slice(&value.to_le_bytes()[..f.size]);
                    }
                }
            }
        }
        probe(Payload::parse(&bytes), &mut rng, &mut seen);
        probe(Payload::from_executable(&bytes), &mut rng, &mut seen);
        // The same bytes as the payload of a well-formed executable.
        let exe = append(STUB, &bytes);
        let result = Payload::from_executable(&exe);
        if let Err(e) = &result {
            assert!(
                !matches!(
                    e,
                    PayloadError::NoPayload
                        | PayloadError::TrailerMismatch { .. }
                        | PayloadError::ChecksumMismatch { .. }
                ),
                "{e}"
            );
        }
        probe(result, &mut rng, &mut seen);
    }
    assert_reached(
        &seen,
        &[
            "NoPayload",
            "TooShort",
            "BadMagic",
            "BadSections",
            "UnknownKind",
            "UnknownFlags",
            "NameOutOfBounds",
            "NameNotUtf8",
            "DataOutOfBounds",
            // (OutOfOrder: rare with 56-byte entries; single_bit_flips reaches it.)
            "DictionaryOutOfBounds",
            "UnknownCodec",
            "BadBlob",
            "BlobChecksumMismatch",
        ],
    );
}

#[test]
fn random_trailers_never_panic() {
    let mut rng = Rng::new(6);
    let payload = write(&random_entries(&mut rng, 8));
    let exe = append(STUB, &payload);
    let mut seen = BTreeSet::new();
    for _ in 0..20_000 {
        let mut damaged = exe.clone();
        let t = damaged.len() - TRAILER_SIZE;
        let extreme = [0, 1, u64::MAX, u64::MAX - 1, t as u64, exe.len() as u64];
        let offset = if rng.below(2) == 0 {
            extreme[rng.below(extreme.len())]
        } else {
            rng.below(exe.len() + 2) as u64
        };
        let len = if rng.below(2) == 0 {
            extreme[rng.below(extreme.len())]
        } else {
            (t as u64).wrapping_sub(offset)
        };
        damaged[t..t + 8].copy_from_slice(&offset.to_le_bytes());
        damaged[t + 8..t + 16].copy_from_slice(&len.to_le_bytes());
        assert_eq!(&damaged[damaged.len() - 8..], &TRAILER_MAGIC);
        probe(Payload::from_executable(&damaged), &mut rng, &mut seen);
    }
    // A trailer that points elsewhere finds no sound header there (the header is read
    // before the index checksum is computed).
    assert_reached(&seen, &["TrailerMismatch", "BadMagic"]);
}
