//! The exact text of every error, from targeted damage to a valid payload. These
//! messages are shown to end users and listed in docs/packed-format.md; the Python
//! reader produces the same ones (tests/unit/test_packing.py compares them).

mod common;

use common::{append, get, put, write, TestEntry};
use pyingot_payload::{
    entry, header, trailer, Kind, Payload, PayloadError, ENTRY_SIZE, FLAG_HAS_SOURCE, HEADER_SIZE,
    TRAILER_SIZE,
};

fn sample() -> Vec<u8> {
    let mut module = TestEntry::new(Kind::Module, "app", b"code");
    module.flags = FLAG_HAS_SOURCE;
    module.secondary = b"print('hi')".to_vec();
    write(&[
        TestEntry::new(Kind::Meta, "entry", b"app:main"),
        module,
        TestEntry::new(Kind::Data, "app/data.txt", b"data"),
    ])
}

/// The message of reading `payload` bare and then every entry in order.
fn raw_error(payload: &[u8]) -> String {
    Payload::parse(payload)
        .and_then(|p| p.validate())
        .unwrap_err()
        .to_string()
}

fn exe_error(exe: &[u8]) -> String {
    Payload::from_executable(exe)
        .and_then(|p| p.validate())
        .unwrap_err()
        .to_string()
}

/// `sample()` with field `f` of entry `i` set to `value`.
fn with_entry_field(i: usize, f: pyingot_payload::Field, value: u64) -> Vec<u8> {
    let mut p = sample();
    let at = HEADER_SIZE + i * ENTRY_SIZE;
    put(&mut p[at..at + ENTRY_SIZE], f, value);
    p
}

#[test]
fn executable_errors() {
    let payload = sample();
    let exe = append(b"stub", &payload);
    assert_eq!(Payload::from_executable(&exe).unwrap().len(), 3);
    let no_payload = "no payload found: the file is truncated or is not a pyingot executable";
    assert_eq!(exe_error(&exe[..exe.len() - 1]), no_payload);
    assert_eq!(exe_error(&exe[..TRAILER_SIZE - 1]), no_payload);
    assert_eq!(exe_error(b""), no_payload);
    assert_eq!(exe_error(&payload), no_payload);

    let mut grown = exe.clone();
    grown.splice(0..0, [0u8; 16]);
    assert_eq!(
        exe_error(&grown),
        format!(
            "payload is damaged: the trailer does not match the file (payload of {} bytes at \
             offset 16 in a file of {} bytes)",
            payload.len(),
            grown.len()
        )
    );

    let t = exe.len() - TRAILER_SIZE;
    let mut overflow = exe.clone();
    put(&mut overflow[t..], trailer::PAYLOAD_OFFSET, u64::MAX);
    assert!(exe_error(&overflow).starts_with(&format!(
        "payload is damaged: the trailer does not match the file (payload of {} bytes at \
         offset 18446744073709551615",
        payload.len()
    )));

    let mut flipped = exe.clone();
    // A flip in the index: the header is sound, the index checksum is not.
    flipped[16 + HEADER_SIZE] ^= 0x10;
    let expected = get(&exe[t..], trailer::INDEX_CRC32) as u32;
    let head = get(&exe[16..], header::DATA_OFFSET) as usize;
    let computed = crc32fast::hash(&flipped[16..16 + head]);
    assert_eq!(
        exe_error(&flipped),
        format!(
            "payload is damaged: index checksum mismatch (expected {expected:08x}, computed \
             {computed:08x})"
        )
    );
}

#[test]
fn header_errors() {
    let p = sample();
    assert_eq!(
        raw_error(&p[..10]),
        "payload is damaged: 10 bytes is shorter than the 64-byte header"
    );
    let mut bad = p.clone();
    bad[..8].copy_from_slice(b"PK\x03\x04abcd");
    assert_eq!(
        raw_error(&bad),
        "payload is damaged: bad magic (found 504b030461626364, expected 7079696e676f7402)"
    );
    let mut v1 = p.clone();
    v1[7] = 1;
    assert_eq!(
        raw_error(&v1),
        "unsupported payload format version 1: this reader supports version 2"
    );
    let mut flags = p.clone();
    put(&mut flags, header::FLAGS, 0x100);
    assert_eq!(
        raw_error(&flags),
        "payload is damaged: unknown header flags 0x00000100"
    );
    let mut long = p.clone();
    long.push(0);
    assert_eq!(
        raw_error(&long),
        format!(
            "payload is damaged: the header says {} bytes but there are {}",
            p.len(),
            p.len() + 1
        )
    );
    let mut sections = p.clone();
    put(&mut sections, header::ENTRY_COUNT, 1000);
    let names = get(&p, header::NAMES_OFFSET);
    let data = get(&p, header::DATA_OFFSET);
    assert_eq!(
        raw_error(&sections),
        format!(
            "payload is damaged: the sections are out of bounds (index of 1000 entries at 64, \
             names at {names}, data at {data}, payload of {} bytes)",
            p.len()
        )
    );
    let mut huge = p.clone();
    put(&mut huge, header::INDEX_OFFSET, u64::MAX - 8);
    assert!(raw_error(&huge).starts_with("payload is damaged: the sections are out of bounds"));
}

#[test]
fn entry_errors() {
    assert_eq!(
        raw_error(&with_entry_field(1, entry::KIND, 9)),
        "payload is damaged: entry 1 has unknown kind 9"
    );
    assert_eq!(
        raw_error(&with_entry_field(2, entry::FLAGS, 0x80)),
        "payload is damaged: entry 2 has unknown flags 0x80"
    );
    assert_eq!(
        raw_error(&with_entry_field(0, entry::NAME_LEN, 1000)),
        "payload is damaged: entry 0 has its name outside the names section"
    );
    assert_eq!(
        raw_error(&with_entry_field(0, entry::NAME_OFFSET, u32::MAX.into())),
        "payload is damaged: entry 0 has its name outside the names section"
    );
    let mut not_utf8 = sample();
    let names = get(&not_utf8, header::NAMES_OFFSET) as usize;
    not_utf8[names] = 0xff;
    assert_eq!(
        raw_error(&not_utf8),
        "payload is damaged: entry 0 has a name that is not UTF-8"
    );
    assert_eq!(
        raw_error(&with_entry_field(1, entry::PRIMARY_LEN, 1 << 20)),
        "payload is damaged: entry 1 points outside the data section"
    );
    assert_eq!(
        raw_error(&with_entry_field(1, entry::SECONDARY_OFFSET, u64::MAX)),
        "payload is damaged: entry 1 points outside the data section"
    );
    assert_eq!(
        raw_error(&with_entry_field(2, entry::KIND, Kind::Meta as u64)),
        "payload is damaged: entry 2 is out of order"
    );
    // A duplicate is out of order too: names must be strictly ascending.
    let dup = {
        let mut p = sample();
        let first = HEADER_SIZE + ENTRY_SIZE;
        let second = first + ENTRY_SIZE;
        let record: Vec<u8> = p[first..second].to_vec();
        p[second..second + ENTRY_SIZE].copy_from_slice(&record);
        p
    };
    assert_eq!(
        raw_error(&dup),
        "payload is damaged: entry 2 is out of order"
    );
}

#[test]
fn lookups_report_damage_of_the_entries_they_touch() {
    let p = with_entry_field(1, entry::PRIMARY_LEN, 1 << 20);
    let payload = Payload::parse(&p).unwrap();
    assert_eq!(payload.meta("entry"), Ok(Some("app:main")));
    assert_eq!(
        payload.get(Kind::Module, "app"),
        Err(PayloadError::DataOutOfBounds { index: 1 })
    );
    assert_eq!(
        payload.entry(3),
        Err(PayloadError::NoSuchEntry { index: 3, len: 3 })
    );
    assert_eq!(
        payload.entry(3).unwrap_err().to_string(),
        "no entry 3: the payload has 3 entries"
    );
    let listed: Vec<_> = payload.iter_prefix(Kind::Module, "a").collect();
    assert_eq!(
        listed,
        vec![Err(PayloadError::DataOutOfBounds { index: 1 })]
    );

    let mut bad_meta = sample();
    let data = get(&bad_meta, header::DATA_OFFSET) as usize;
    bad_meta[data] = 0xff;
    // A blob's own checksum is checked first: reseal it, as a careless tool would.
    let crc = crc32fast::hash(&bad_meta[data..data + 8]);
    let at = HEADER_SIZE + entry::PRIMARY_CRC32.offset;
    bad_meta[at..at + 4].copy_from_slice(&crc.to_le_bytes());
    let payload = Payload::parse(&bad_meta).unwrap();
    assert_eq!(
        payload.meta("entry").unwrap_err().to_string(),
        "payload is damaged: entry 0 has a value that is not UTF-8"
    );
    assert_eq!(payload.meta("missing"), Ok(None));
}

#[test]
fn entry_helpers() {
    let p = sample();
    let payload = Payload::parse(&p).unwrap();
    let module = payload.get(Kind::Module, "app").unwrap().unwrap();
    assert!(!module.is_package() && !module.is_namespace());
    assert_eq!(
        module.source().unwrap().as_deref(),
        Some(&b"print('hi')"[..])
    );
    assert_eq!(&*module.primary().unwrap(), b"code");
    let data = payload.get(Kind::Data, "app/data.txt").unwrap().unwrap();
    assert_eq!(data.source(), Ok(None));
    let listed: Vec<&str> = payload
        .iter_prefix(Kind::Data, "app/")
        .map(|e| e.unwrap().name)
        .collect();
    assert_eq!(listed, ["app/data.txt"]);
    assert_eq!(payload.get(Kind::Data, "app"), Ok(None));
    assert_eq!(payload.get(Kind::Extension, "app"), Ok(None));
}
