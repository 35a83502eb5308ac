//! LZ4 blocks decoded by liblz4 (C, through `lz4-sys`): about a fifth faster than
//! `lz4_flex` on the libraries and extension modules decoded at start-up (numpy 2.3's
//! OpenBLAS, 25 MB: 5.6 against 6.9 ms into a warm buffer; the bench's numpy app
//! started 2 to 3 ms sooner in interleaved runs). `LZ4_decompress_safe` is liblz4's
//! decoder for untrusted input: whatever the block holds, it reads no byte outside
//! `block` and writes none outside `out`, and reports a malformed block or one that
//! does not fit as a negative count. The one `unsafe` block of this crate is here.
#![allow(unsafe_code)]

/// The number of bytes `block` decodes to in `out`, or None when liblz4 refuses it
/// (malformed, or larger than `out`).
pub(crate) fn decompress_into(block: &[u8], out: &mut [u8]) -> Option<usize> {
    let src_len = i32::try_from(block.len()).ok()?;
    let capacity = i32::try_from(out.len()).ok()?;
    // SAFETY: liblz4 reads at most `src_len` bytes from `block` and writes at most
    // `capacity` bytes to `out`, both lengths of the slices given (see above).
    let n = unsafe {
        lz4_sys::LZ4_decompress_safe(
            block.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            src_len,
            capacity,
        )
    };
    usize::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::decompress_into;

    /// xorshift64*: the same numbers on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Bytes with runs, repeats and noise, so that blocks hold literals and matches of
    /// many lengths and offsets.
    fn sample(rng: &mut Rng, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            match rng.below(3) {
                0 => out.extend((0..1 + rng.below(30)).map(|_| rng.next() as u8)),
                1 => out.extend(std::iter::repeat_n(rng.next() as u8, 1 + rng.below(300))),
                _ if out.len() > 8 => {
                    let start = rng.below(out.len() - 4);
                    let n = (4 + rng.below(200)).min(out.len() - start);
                    out.extend_from_within(start..start + n);
                }
                _ => out.extend(b"\x7fELF"),
            }
        }
        out.truncate(len);
        out
    }

    /// Intact blocks decode to their data, and where both decoders accept a block
    /// (damaged by bytes flipped, cut short or lengthened; decoded into an output of the
    /// original size, one byte less and one more), they decode it to the same bytes.
    /// Each takes some damaged blocks that the other refuses (of these 9,000 decodings,
    /// 21 liblz4 alone and 123 lz4_flex alone): the reader takes liblz4's bytes, else
    /// lz4_flex's (`blob::lz4_piece`), and either way exactly the declared size.
    #[test]
    fn intact_blocks_decode_alike_and_so_do_damaged_ones_both_take() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut both, mut only_liblz4, mut only_flex) = (0, 0, 0);
        for round in 0..3000 {
            let len = 1 + rng.below(5000);
            let data = sample(&mut rng, len);
            let mut block = lz4_flex::block::compress(&data);
            let damaged = round % 4 != 0;
            if damaged {
                match rng.below(3) {
                    0 => {
                        for _ in 0..1 + rng.below(3) {
                            let at = rng.below(block.len());
                            block[at] ^= 1 << rng.below(8);
                        }
                    }
                    1 => block.truncate(rng.below(block.len())),
                    _ => block.extend((0..1 + rng.below(8)).map(|_| rng.next() as u8)),
                }
            }
            for size in [data.len(), data.len().saturating_sub(1), data.len() + 1] {
                let mut ours = vec![0u8; size];
                let mut theirs = vec![0u8; size];
                let n = decompress_into(&block, &mut ours);
                let m = lz4_flex::block::decompress_into(&block, &mut theirs).ok();
                if !damaged {
                    let fits = size >= data.len();
                    assert_eq!(n, fits.then_some(data.len()), "round {round}, size {size}");
                    assert_eq!(m, fits.then_some(data.len()), "round {round}, size {size}");
                }
                match (n, m) {
                    (Some(n), Some(m)) => {
                        assert_eq!(n, m, "round {round}, size {size}");
                        assert_eq!(ours[..n], theirs[..n], "round {round}, size {size}");
                        both += 1;
                    }
                    (Some(_), None) => only_liblz4 += 1,
                    (None, Some(_)) => only_flex += 1,
                    (None, None) => {}
                }
            }
        }
        assert!(both > 2250, "{both} {only_liblz4} {only_flex}");
        assert!(
            only_liblz4 + only_flex < 300,
            "{both} {only_liblz4} {only_flex}"
        );
    }
}
