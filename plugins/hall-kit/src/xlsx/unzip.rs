//! A small ZIP reader and inflater, for the tests to check what was
//! written.

use super::deflate::{DISTANCE_CODES, LENGTH_CODES, WINDOW};
use super::zip::{
    CENTRAL_HEADER_SIGNATURE, DOS_DATE, DOS_TIME, END_SIGNATURE, LOCAL_HEADER_SIGNATURE,
    METHOD_DEFLATED, METHOD_STORED, U32_FULL, ZIP64_END_SIGNATURE, ZIP64_EXTRA_ID,
    ZIP64_LOCATOR_SIGNATURE, crc32,
};

pub(super) fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// Values of the ZIP64 extra field in `extra`, if any.
fn zip64_values(extra: &[u8]) -> Vec<u64> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at);
        let len = usize::from(u16_at(extra, at + 2));
        if id == ZIP64_EXTRA_ID {
            return (0..len / 8)
                .map(|i| u64_at(extra, at + 4 + 8 * i))
                .collect();
        }
        at += 4 + len;
    }
    Vec::new()
}

/// Reads every entry through the central directory, checking the local
/// headers, sizes and CRCs; returns (name, method, contents).
pub(super) fn unzip_entries(bytes: &[u8]) -> Vec<(String, u16, Vec<u8>)> {
    let end = bytes.len() - 22;
    assert_eq!(
        u32_at(bytes, end),
        END_SIGNATURE,
        "no comment, so EOCD is last"
    );
    assert_eq!(u16_at(bytes, end + 20), 0);
    let mut count = u64::from(u16_at(bytes, end + 10));
    let mut dir_size = u64::from(u32_at(bytes, end + 12));
    let mut dir_offset = u64::from(u32_at(bytes, end + 16));
    if end >= 20 && u32_at(bytes, end - 20) == ZIP64_LOCATOR_SIGNATURE {
        let record = u64_at(bytes, end - 20 + 8) as usize;
        assert_eq!(u32_at(bytes, record), ZIP64_END_SIGNATURE);
        assert_eq!(u64_at(bytes, record + 4), 44);
        assert_eq!(u64_at(bytes, record + 24), u64_at(bytes, record + 32));
        count = u64_at(bytes, record + 32);
        dir_size = u64_at(bytes, record + 40);
        dir_offset = u64_at(bytes, record + 48);
        assert_eq!(record as u64, dir_offset + dir_size);
    } else {
        assert_eq!(end as u64, dir_offset + dir_size);
    }
    let mut entries = Vec::new();
    let mut at = dir_offset as usize;
    for _ in 0..count {
        assert_eq!(u32_at(bytes, at), CENTRAL_HEADER_SIGNATURE);
        let method = u16_at(bytes, at + 10);
        assert_eq!(u16_at(bytes, at + 12), DOS_TIME);
        assert_eq!(u16_at(bytes, at + 14), DOS_DATE);
        let crc = u32_at(bytes, at + 16);
        let mut compressed = u64::from(u32_at(bytes, at + 20));
        let mut size = u64::from(u32_at(bytes, at + 24));
        let name_len = usize::from(u16_at(bytes, at + 28));
        let extra_len = usize::from(u16_at(bytes, at + 30));
        let comment_len = usize::from(u16_at(bytes, at + 32));
        let mut offset = u64::from(u32_at(bytes, at + 42));
        let name = &bytes[at + 46..at + 46 + name_len];
        let mut values =
            zip64_values(&bytes[at + 46 + name_len..at + 46 + name_len + extra_len]).into_iter();
        if size == U32_FULL {
            size = values.next().unwrap();
        }
        if compressed == U32_FULL {
            compressed = values.next().unwrap();
        }
        if offset == U32_FULL {
            offset = values.next().unwrap();
        }
        at += 46 + name_len + extra_len + comment_len;

        let local = offset as usize;
        assert_eq!(u32_at(bytes, local), LOCAL_HEADER_SIGNATURE);
        assert_eq!(u16_at(bytes, local + 8), method);
        assert_eq!(u32_at(bytes, local + 14), crc);
        let local_name_len = usize::from(u16_at(bytes, local + 26));
        let local_extra_len = usize::from(u16_at(bytes, local + 28));
        assert_eq!(&bytes[local + 30..local + 30 + local_name_len], name);
        let data_start = local + 30 + local_name_len + local_extra_len;
        if u64::from(u32_at(bytes, local + 18)) == U32_FULL {
            let values = zip64_values(&bytes[local + 30 + local_name_len..data_start]);
            assert_eq!(values, vec![size, compressed]);
        } else {
            assert_eq!(u64::from(u32_at(bytes, local + 18)), compressed);
            assert_eq!(u64::from(u32_at(bytes, local + 22)), size);
        }
        let body = &bytes[data_start..data_start + compressed as usize];
        let data = match method {
            METHOD_STORED => body.to_vec(),
            METHOD_DEFLATED => inflate(body),
            other => panic!("unexpected method {other}"),
        };
        assert_eq!(data.len() as u64, size);
        assert_eq!(
            crc32(&data),
            crc,
            "CRC of {}",
            String::from_utf8_lossy(name)
        );
        entries.push((String::from_utf8(name.to_vec()).unwrap(), method, data));
    }
    assert_eq!(at as u64, dir_offset + dir_size);
    entries
}

pub(super) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    unzip_entries(bytes)
        .into_iter()
        .map(|(name, _, data)| (name, data))
        .collect()
}

pub(super) fn part(bytes: &[u8], name: &str) -> String {
    let (_, data) = unzip(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no part {name}"));
    String::from_utf8(data).unwrap()
}

struct BitReader<'a> {
    bytes: &'a [u8],
    bit: usize,
}

impl BitReader<'_> {
    fn bits(&mut self, count: u32) -> u32 {
        let mut value = 0;
        for i in 0..count {
            let byte = self.bytes[self.bit / 8];
            value |= u32::from((byte >> (self.bit % 8)) & 1) << i;
            self.bit += 1;
        }
        value
    }

    /// A Huffman code, most significant bit first.
    fn code_bit(&mut self, code: u32) -> u32 {
        (code << 1) | self.bits(1)
    }
}

/// Inflates stored and fixed-Huffman blocks (all the writer makes).
pub(super) fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut input = BitReader { bytes, bit: 0 };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = input.bits(1) == 1;
        match input.bits(2) {
            0 => {
                input.bit = input.bit.div_ceil(8) * 8;
                let at = input.bit / 8;
                let len = usize::from(u16_at(bytes, at));
                assert_eq!(!u16_at(bytes, at + 2), len as u16);
                out.extend_from_slice(&bytes[at + 4..at + 4 + len]);
                input.bit = (at + 4 + len) * 8;
            }
            1 => loop {
                let mut code = input.bits(7).reverse_bits() >> 25;
                let symbol = if code <= 0b001_0111 {
                    256 + code
                } else {
                    code = input.code_bit(code);
                    match code {
                        0x30..=0xBF => code - 0x30,
                        0xC0..=0xC7 => 280 + code - 0xC0,
                        _ => 144 + input.code_bit(code) - 0x190,
                    }
                };
                match symbol {
                    0..=255 => out.push(symbol as u8),
                    256 => break,
                    _ => {
                        let (base, extra) = LENGTH_CODES[symbol as usize - 257];
                        let length = usize::from(base) + input.bits(u32::from(extra)) as usize;
                        let code = input.bits(5).reverse_bits() >> 27;
                        let (base, extra) = DISTANCE_CODES[code as usize];
                        let distance = usize::from(base) + input.bits(u32::from(extra)) as usize;
                        assert!(distance <= out.len() && distance <= WINDOW);
                        for _ in 0..length {
                            out.push(out[out.len() - distance]);
                        }
                    }
                }
            },
            other => panic!("block type {other} is never written"),
        }
        if last {
            // Nothing may follow the last block but its padding.
            assert_eq!(input.bit.div_ceil(8), bytes.len());
            return out;
        }
    }
}
