//! Blobs: stored bytes, checked by their CRC-32 and decoded when they are read.
//!
//! The index checksum covers the header, the index and the names; each blob has its own
//! CRC-32, checked every time the blob is read (not at start-up, so that start-up reads
//! no page of the data section it does not need). A blob is checked before it is
//! decoded, so the decoders (zstd, LZ4) only ever see bytes the writer wrote, unless they
//! were changed on purpose, and even then they return an error, never a panic. Neither
//! trusts the declared size: a blob that expands past it, or stops short of it, is an
//! error naming the entry.

use std::borrow::Cow;
use std::cell::RefCell;

use ruzstd::decoding::{Dictionary as ZstdDictionary, FrameDecoder};

use crate::error::PayloadError;
use crate::format::{Kind, CODEC_LZ4, CODEC_RAW, CODEC_ZSTD, LZ4_PIECE};

/// One blob of an entry, as stored: its codec, stored bytes, decoded size and CRC-32
/// (of the stored bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blob<'a> {
    pub codec: u8,
    pub stored: &'a [u8],
    /// The length of the decoded blob.
    pub size: u32,
    pub crc32: u32,
}

impl Blob<'_> {
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The blob's decoded length, in bytes.
    pub fn len(&self) -> usize {
        self.size as usize
    }

    pub fn is_compressed(&self) -> bool {
        self.codec != CODEC_RAW
    }
}

/// The payload's zstd dictionary, as stored (empty: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dictionary<'a> {
    pub bytes: &'a [u8],
    pub crc32: u32,
}

/// What a decoding error names: the entry's number, kind and name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    pub index: usize,
    pub kind: Kind,
    pub name: &'a str,
}

impl Owner<'_> {
    fn describe(&self) -> String {
        format!("{} '{}'", self.kind.name(), self.name)
    }

    fn bad(&self, problem: String) -> PayloadError {
        PayloadError::BadCompressedBlob {
            index: self.index,
            entry: self.describe(),
            problem,
        }
    }
}

/// The decoder of this thread and the dictionary it holds (identified by its address,
/// length and CRC-32), so that a dictionary is parsed once per thread, not per blob.
type Cached = (usize, usize, u32, FrameDecoder);

thread_local! {
    static DECODER: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

fn check_crc(owner: &Owner<'_>, blob: &Blob<'_>) -> Result<(), PayloadError> {
    check_computed_crc(owner, blob, crc32fast::hash(blob.stored))
}

/// Checks a CRC-32 computed over `blob`'s stored bytes (at once, or a piece at a time
/// as they were decoded or copied) against the one its entry declares.
pub(crate) fn check_computed_crc(
    owner: &Owner<'_>,
    blob: &Blob<'_>,
    computed: u32,
) -> Result<(), PayloadError> {
    if computed != blob.crc32 {
        return Err(PayloadError::BlobChecksumMismatch {
            index: owner.index,
            entry: owner.describe(),
            expected: blob.crc32,
            computed,
        });
    }
    Ok(())
}

fn with_decoder<T>(
    dictionary: Dictionary<'_>,
    f: impl FnOnce(&mut FrameDecoder) -> T,
) -> Result<T, PayloadError> {
    let key = (
        dictionary.bytes.as_ptr() as usize,
        dictionary.bytes.len(),
        dictionary.crc32,
    );
    DECODER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fresh = !matches!(&*slot, Some((p, l, c, _)) if (*p, *l, *c) == key);
        if fresh {
            let mut decoder = FrameDecoder::new();
            if !dictionary.bytes.is_empty() {
                let computed = crc32fast::hash(dictionary.bytes);
                if computed != dictionary.crc32 {
                    return Err(PayloadError::DictionaryChecksumMismatch {
                        expected: dictionary.crc32,
                        computed,
                    });
                }
                let parsed = ZstdDictionary::decode_dict(dictionary.bytes).map_err(|e| {
                    PayloadError::BadDictionary {
                        problem: e.to_string(),
                    }
                })?;
                decoder
                    .add_dict(parsed)
                    .map_err(|e| PayloadError::BadDictionary {
                        problem: e.to_string(),
                    })?;
            }
            *slot = Some((key.0, key.1, key.2, decoder));
        }
        match &mut *slot {
            Some((_, _, _, decoder)) => Ok(f(decoder)),
            None => Err(PayloadError::BadDictionary {
                problem: "no decoder".into(),
            }),
        }
    })
}

/// Checks `blob` and decodes it into `out`, which must be exactly `blob.size` bytes.
pub(crate) fn decode_into(
    owner: &Owner<'_>,
    dictionary: Dictionary<'_>,
    blob: &Blob<'_>,
    out: &mut [u8],
) -> Result<(), PayloadError> {
    if out.len() != blob.len() {
        return Err(owner.bad(format!(
            "a buffer of {} bytes for a blob of {}",
            out.len(),
            blob.size
        )));
    }
    check_crc(owner, blob)?;
    match blob.codec {
        CODEC_RAW if blob.stored.len() == out.len() => {
            out.copy_from_slice(blob.stored);
            Ok(())
        }
        CODEC_ZSTD => {
            let written = with_decoder(dictionary, |d| d.decode_all(blob.stored, out))?.map_err(
                |e| match e {
                    ruzstd::decoding::errors::FrameDecoderError::TargetTooSmall => {
                        owner.bad(format!("it expands past its declared {} bytes", blob.size))
                    }
                    e => owner.bad(e.to_string()),
                },
            )?;
            if written != out.len() {
                return Err(owner.bad(format!(
                    "it decodes to {written} bytes, not the declared {}",
                    blob.size
                )));
            }
            Ok(())
        }
        CODEC_LZ4 => {
            let mut at = 0;
            let done = lz4_pieces::<std::convert::Infallible>(owner, blob, |piece, want| {
                at += lz4_piece(owner, blob, at, piece, &mut out[at..at + want])?;
                Ok(())
            })?;
            done.map_err(|never| match never {})
        }
        _ => Err(PayloadError::BadBlob { index: owner.index }),
    }
}

/// Calls `each(block, want)` for each LZ4 piece of `blob` in order, `want` being what
/// the piece must decode to, after checking that the pieces cover the stored bytes
/// exactly as the declared size asks. The outer error is the blob's damage, the inner one
/// `each`'s own.
fn lz4_pieces<E>(
    owner: &Owner<'_>,
    blob: &Blob<'_>,
    mut each: impl FnMut(&[u8], usize) -> Result<(), Result<PayloadError, E>>,
) -> Result<Result<(), E>, PayloadError> {
    let (mut rest, mut left) = (blob.stored, blob.len());
    while left > 0 {
        let want = left.min(LZ4_PIECE);
        let Some((len, after)) = rest.split_first_chunk::<4>() else {
            return Err(owner.bad(format!(
                "it decodes to {} bytes, not the declared {}",
                blob.len() - left,
                blob.size
            )));
        };
        let len = u32::from_le_bytes(*len) as usize;
        let Some(block) = after.get(..len) else {
            return Err(owner.bad(format!(
                "piece at byte {} of {} stored bytes overruns them",
                blob.stored.len() - rest.len(),
                blob.stored.len()
            )));
        };
        match each(block, want) {
            Ok(()) => {}
            Err(Ok(damage)) => return Err(damage),
            Err(Err(e)) => return Ok(Err(e)),
        }
        rest = &after[len..];
        left -= want;
    }
    if !rest.is_empty() {
        return Err(owner.bad(format!("{} stored bytes follow its last piece", rest.len())));
    }
    Ok(Ok(()))
}

/// Decodes one LZ4 block into `out`, which it must fill exactly; `at` is where `out`
/// starts in the blob (for the messages). liblz4 decodes it (`lz4c`); a block it
/// refuses, or that does not fill `out`, is decoded again by `lz4_flex`, which words
/// the problem (and is the one decoder of what liblz4 refuses but `lz4_flex` takes).
fn lz4_piece<E>(
    owner: &Owner<'_>,
    blob: &Blob<'_>,
    at: usize,
    block: &[u8],
    out: &mut [u8],
) -> Result<usize, Result<PayloadError, E>> {
    if crate::lz4c::decompress_into(block, out) == Some(out.len()) {
        return Ok(out.len());
    }
    let written = lz4_flex::block::decompress_into(block, out).map_err(|e| {
        Ok(match e {
            lz4_flex::block::DecompressError::OutputTooSmall { .. } => {
                owner.bad(format!("it expands past its declared {} bytes", blob.size))
            }
            e => owner.bad(format!("not an LZ4 block: {e}")),
        })
    })?;
    if written != out.len() {
        return Err(Ok(owner.bad(format!(
            "it decodes to {} bytes, not the declared {}",
            at + written,
            blob.size
        ))));
    }
    Ok(written)
}

/// Decodes `blob` (an LZ4 one) a piece at a time through `buffer` (grown to one
/// piece), handing each decoded piece to `write`: an in-memory file filled with no more
/// memory than a piece. The blob's checksum is computed piece by piece as the pieces
/// are decoded (each read once, while it is in the cache), and checked at the end:
/// what `write` was given is the caller's to discard unless this returns
/// `Ok(Ok(()))`. The outer error is the blob's damage (its checksum's first, as for
/// every other blob), the inner one `write`'s.
pub(crate) fn decode_lz4_with<E>(
    owner: &Owner<'_>,
    blob: &Blob<'_>,
    buffer: &mut Vec<u8>,
    mut write: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<Result<(), E>, PayloadError> {
    if blob.codec != CODEC_LZ4 {
        return Err(PayloadError::BadBlob { index: owner.index });
    }
    let want = blob.len().min(LZ4_PIECE);
    if buffer.len() < want {
        buffer.resize(want, 0);
    }
    let mut crc = crc32fast::Hasher::new();
    let (base, mut hashed) = (blob.stored.as_ptr() as usize, 0);
    let mut at = 0;
    let decoded = lz4_pieces(owner, blob, |block, want| {
        let end = block.as_ptr() as usize + block.len() - base;
        crc.update(&blob.stored[hashed..end]);
        hashed = end;
        let written = lz4_piece(owner, blob, at, block, &mut buffer[..want])?;
        at += written;
        write(&buffer[..want]).map_err(Err)
    });
    match decoded {
        Ok(Ok(())) => {
            crc.update(&blob.stored[hashed..]);
            check_computed_crc(owner, blob, crc.finalize())?;
            Ok(Ok(()))
        }
        Ok(Err(e)) => Ok(Err(e)),
        Err(damage) => {
            check_crc(owner, blob)?;
            Err(damage)
        }
    }
}

const MAX_ZSTD_RATIO: u64 = 128 * 1024 / 3 + 1;
/// An LZ4 block grows its output by at most 255 bytes per stored byte (a run of 255s
/// extending a match length), plus a few for the sequence it ends; a piece's length
/// prefix only lowers the ratio.
const MAX_LZ4_RATIO: u64 = 256;

/// Checks `blob` and returns its bytes: the stored slice itself when it is raw.
pub(crate) fn read<'a>(
    owner: &Owner<'_>,
    dictionary: Dictionary<'_>,
    blob: &Blob<'a>,
) -> Result<Cow<'a, [u8]>, PayloadError> {
    if blob.codec == CODEC_RAW {
        check_crc(owner, blob)?;
        return Ok(Cow::Borrowed(blob.stored));
    }
    // A zstd block of 3 stored bytes (an RLE block with its header, plus one byte)
    // decodes to at most 128 KiB: a size beyond that ratio (or LZ4's) is a damaged
    // index, and is refused before it is allocated.
    let ratio = if blob.codec == CODEC_LZ4 {
        MAX_LZ4_RATIO
    } else {
        MAX_ZSTD_RATIO
    };
    if blob.size as u64 > (blob.stored.len() as u64).saturating_mul(ratio) {
        return Err(owner.bad(format!(
            "{} stored bytes cannot decode to the declared {}",
            blob.stored.len(),
            blob.size
        )));
    }
    let mut out = vec![0u8; blob.len()];
    decode_into(owner, dictionary, blob, &mut out)?;
    Ok(Cow::Owned(out))
}
