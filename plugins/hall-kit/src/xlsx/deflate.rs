//! DEFLATE (RFC 1951): one block with the fixed Huffman codes, matches
//! found through hash chains over a 32 KiB window.

use super::zip::crc32_update;

/// The farthest back a match may start.
pub(super) const WINDOW: usize = 32_768;
const HASH_BITS: u32 = 15;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// How many earlier positions with the same hash are tried, at most.
const MAX_CHAIN: usize = 16;
/// No position.
const NONE: usize = usize::MAX;
/// Base length and extra bits of length symbols 257 to 285.
pub(super) const LENGTH_CODES: [(u16, u8); 29] = [
    (3, 0),
    (4, 0),
    (5, 0),
    (6, 0),
    (7, 0),
    (8, 0),
    (9, 0),
    (10, 0),
    (11, 1),
    (13, 1),
    (15, 1),
    (17, 1),
    (19, 2),
    (23, 2),
    (27, 2),
    (31, 2),
    (35, 3),
    (43, 3),
    (51, 3),
    (59, 3),
    (67, 4),
    (83, 4),
    (99, 4),
    (115, 4),
    (131, 5),
    (163, 5),
    (195, 5),
    (227, 5),
    (258, 0),
];
/// Base distance and extra bits of distance codes 0 to 29.
pub(super) const DISTANCE_CODES: [(u16, u8); 30] = [
    (1, 0),
    (2, 0),
    (3, 0),
    (4, 0),
    (5, 1),
    (7, 1),
    (9, 2),
    (13, 2),
    (17, 3),
    (25, 3),
    (33, 4),
    (49, 4),
    (65, 5),
    (97, 5),
    (129, 6),
    (193, 6),
    (257, 7),
    (385, 7),
    (513, 8),
    (769, 8),
    (1025, 9),
    (1537, 9),
    (2049, 10),
    (3073, 10),
    (4097, 11),
    (6145, 11),
    (8193, 12),
    (12289, 12),
    (16385, 13),
    (24577, 13),
];

/// Bytes a position needs after it before it is encoded: the longest
/// match, and three more for the hashes of the positions inside it.
pub(super) const LOOKAHEAD: usize = MAX_MATCH + MIN_MATCH;

/// A DEFLATE compressor fed in pieces; the output, a raw stream (no zlib
/// header), is the same however the input was cut.
///
/// Besides its output it holds at most two windows of input history, the
/// last piece written, and its hash chains (256 KiB on 32-bit targets,
/// 512 KiB on 64-bit ones).
pub(super) struct Deflater {
    bits: BitWriter,
    /// Input from position `base` on: history, then bytes not encoded yet.
    pub(super) buffer: Vec<u8>,
    base: usize,
    /// The position of the next byte to encode.
    next: usize,
    chains: Chains,
    /// The CRC-32 register over all input.
    crc: u32,
    size: u64,
}

/// A finished entry: the compressed bytes, and the CRC-32 and size of
/// the input.
pub(super) struct Packed {
    pub(super) bytes: Vec<u8>,
    pub(super) crc: u32,
    pub(super) size: u64,
}

impl Deflater {
    pub(super) fn new() -> Self {
        let mut bits = BitWriter {
            out: Vec::new(),
            pending: 0,
            count: 0,
        };
        bits.put(1, 1); // BFINAL: the last block
        bits.put(1, 2); // BTYPE 01: fixed Huffman codes
        Self {
            bits,
            buffer: Vec::new(),
            base: 0,
            next: 0,
            chains: Chains {
                head: vec![NONE; 1 << HASH_BITS],
                previous: vec![NONE; WINDOW],
            },
            crc: !0,
            size: 0,
        }
    }

    /// Compresses the next piece of input.
    pub(super) fn write(&mut self, data: &[u8]) {
        self.crc = crc32_update(self.crc, data);
        self.size += data.len() as u64;
        self.buffer.extend_from_slice(data);
        self.encode(false);
    }

    /// The compressed stream.
    pub(super) fn finish(mut self) -> Packed {
        self.encode(true);
        self.bits.symbol(256); // end of block
        Packed {
            bytes: self.bits.finish(),
            crc: !self.crc,
            size: self.size,
        }
    }

    /// Encodes the buffered input, all of it at the end, else up to
    /// [`LOOKAHEAD`] before its end; then drops history older than the
    /// window once there is a window of it.
    fn encode(&mut self, to_end: bool) {
        let end = self.base + self.buffer.len();
        let stop = if to_end {
            end
        } else {
            end.saturating_sub(LOOKAHEAD)
        };
        while self.next < stop {
            let Some(&byte) = self.buffer.get(self.next - self.base) else {
                break;
            };
            let (length, distance) = self
                .chains
                .longest_match(&self.buffer, self.base, self.next);
            if length >= MIN_MATCH {
                self.bits.length(length);
                self.bits.distance(distance);
                for inside in self.next..self.next + length {
                    self.chains.insert(&self.buffer, self.base, inside);
                }
                self.next += length;
            } else {
                self.chains.insert(&self.buffer, self.base, self.next);
                self.bits.symbol(u16::from(byte));
                self.next += 1;
            }
        }
        let keep = self.next.saturating_sub(WINDOW);
        if keep - self.base.min(keep) >= WINDOW {
            self.buffer.drain(..keep - self.base);
            self.base = keep;
        }
    }
}

/// Compresses `data` in one piece.
#[cfg(test)]
pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut deflater = Deflater::new();
    deflater.write(data);
    deflater.finish().bytes
}

/// For each hash of three bytes, the last position it was seen at, and
/// for each position (modulo the window) the one before it with the same
/// hash.
struct Chains {
    head: Vec<usize>,
    previous: Vec<usize>,
}

impl Chains {
    /// The hash of the three bytes at `index` in `buffer`, if there are
    /// three.
    fn hash(buffer: &[u8], index: usize) -> Option<usize> {
        match buffer.get(index..index.checked_add(3)?)? {
            &[a, b, c] => {
                let key = u32::from_le_bytes([a, b, c, 0]);
                Some((key.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize)
            }
            _ => None,
        }
    }

    /// Records that the three bytes at `position` were seen there
    /// (`buffer` starts at position `base`).
    fn insert(&mut self, buffer: &[u8], base: usize, position: usize) {
        let Some(hash) = Self::hash(buffer, position - base) else {
            return;
        };
        if let (Some(head), Some(previous)) = (
            self.head.get_mut(hash),
            self.previous.get_mut(position % WINDOW),
        ) {
            *previous = *head;
            *head = position;
        }
    }

    /// The longest earlier copy of the bytes at `position` within the
    /// window, as (length, distance); a length below [`MIN_MATCH`] means
    /// none (`buffer` starts at position `base`).
    fn longest_match(&self, buffer: &[u8], base: usize, position: usize) -> (usize, usize) {
        let index = position - base;
        let (Some(hash), Some(target)) = (Self::hash(buffer, index), buffer.get(index..)) else {
            return (0, 0);
        };
        let limit = target.len().min(MAX_MATCH);
        let mut best = (0, 0);
        let mut candidate = self.head.get(hash).copied().unwrap_or(NONE);
        let mut tries = MAX_CHAIN;
        // Every position in a chain is before `position`, and the links
        // of those within the window are still intact: a link is only
        // overwritten by the position a whole window later.
        while candidate < position && tries > 0 {
            let distance = position - candidate;
            if distance > WINDOW {
                break;
            }
            let Some(earlier) = candidate
                .checked_sub(base)
                .and_then(|start| buffer.get(start..))
            else {
                break;
            };
            // Only a longer match is worth comparing in full.
            if earlier.get(best.0) == target.get(best.0) {
                let length = earlier
                    .iter()
                    .zip(target)
                    .take(limit)
                    .take_while(|(a, b)| a == b)
                    .count();
                if length > best.0 {
                    best = (length, distance);
                    if length == limit {
                        break;
                    }
                }
            }
            let next = self
                .previous
                .get(candidate % WINDOW)
                .copied()
                .unwrap_or(NONE);
            if next >= candidate {
                break;
            }
            candidate = next;
            tries -= 1;
        }
        best
    }
}

/// Bits packed into bytes least significant first, as DEFLATE wants.
struct BitWriter {
    out: Vec<u8>,
    pending: u64,
    count: u32,
}

impl BitWriter {
    /// The low `bits` bits of `value`, least significant first.
    fn put(&mut self, value: u32, bits: u32) {
        self.pending |= u64::from(value) << self.count;
        self.count += bits;
        while self.count >= 8 {
            self.out.push(self.pending as u8);
            self.pending >>= 8;
            self.count -= 8;
        }
    }

    /// A Huffman code of `bits` bits, most significant first.
    fn code(&mut self, code: u32, bits: u32) {
        self.put(code.reverse_bits() >> (32 - bits), bits);
    }

    /// A literal/length symbol (0 to 287) in the fixed code.
    fn symbol(&mut self, symbol: u16) {
        let symbol = u32::from(symbol);
        match symbol {
            0..=143 => self.code(0x30 + symbol, 8),
            144..=255 => self.code(0x190 + symbol - 144, 9),
            256..=279 => self.code(symbol - 256, 7),
            _ => self.code(0xC0 + symbol - 280, 8),
        }
    }

    /// A match length, 3 to 258: its symbol and extra bits.
    fn length(&mut self, length: usize) {
        let index = LENGTH_CODES
            .partition_point(|&(base, _)| usize::from(base) <= length)
            .saturating_sub(1);
        if let Some(&(base, extra)) = LENGTH_CODES.get(index) {
            self.symbol(257 + index as u16);
            self.put((length - usize::from(base)) as u32, u32::from(extra));
        }
    }

    /// A match distance, 1 to 32,768: its code and extra bits.
    fn distance(&mut self, distance: usize) {
        let index = DISTANCE_CODES
            .partition_point(|&(base, _)| usize::from(base) <= distance)
            .saturating_sub(1);
        if let Some(&(base, extra)) = DISTANCE_CODES.get(index) {
            self.code(index as u32, 5);
            self.put((distance - usize::from(base)) as u32, u32::from(extra));
        }
    }

    /// The bytes, the last one padded with zero bits.
    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.pending as u8);
        }
        self.out
    }
}
