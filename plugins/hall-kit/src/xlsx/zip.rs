//! The ZIP container: entries one after the other, their CRC-32s, the
//! central directory, and ZIP64 records only when a size or offset passes
//! 4 GiB.

use super::deflate::{Deflater, Packed};

pub(super) const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4B50;
pub(super) const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4B50;
pub(super) const END_SIGNATURE: u32 = 0x0605_4B50;
pub(super) const ZIP64_END_SIGNATURE: u32 = 0x0606_4B50;
pub(super) const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4B50;
/// The ZIP64 extended information extra field.
pub(super) const ZIP64_EXTRA_ID: u16 = 0x0001;
/// Version 2.0: DEFLATE.
const VERSION_DEFLATE: u16 = 20;
/// Version 4.5: ZIP64.
pub(super) const VERSION_ZIP64: u16 = 45;
pub(super) const METHOD_STORED: u16 = 0;
pub(super) const METHOD_DEFLATED: u16 = 8;
/// 00:00:00 in MS-DOS time.
pub(super) const DOS_TIME: u16 = 0;
/// 1980-01-01 in MS-DOS date: (year − 1980) << 9 | month << 5 | day.
pub(super) const DOS_DATE: u16 = (1 << 5) | 1;
/// What does not fit a 32-bit field (and marks it as kept in ZIP64).
pub(super) const U32_FULL: u64 = 0xFFFF_FFFF;
/// What does not fit a 16-bit entry count.
const U16_FULL: u64 = 0xFFFF;

/// A ZIP archive being written: entries one after the other, the central
/// directory kept aside until [`Zip::finish`].
pub(super) struct Zip {
    out: Vec<u8>,
    directory: Vec<u8>,
    entries: u64,
    force_zip64: bool,
}

impl Zip {
    pub(super) fn new(force_zip64: bool) -> Self {
        Self {
            out: Vec::new(),
            directory: Vec::new(),
            entries: 0,
            force_zip64,
        }
    }

    /// Adds an entry, deflated when that makes it smaller.
    pub(super) fn add(&mut self, name: &str, data: &[u8]) {
        let mut deflater = Deflater::new();
        deflater.write(data);
        let packed = deflater.finish();
        if packed.bytes.len() < data.len() {
            self.put(name, METHOD_DEFLATED, &packed);
        } else {
            let stored = Packed {
                bytes: data.to_vec(),
                ..packed
            };
            self.put(name, METHOD_STORED, &stored);
        }
    }

    /// Adds an entry compressed by `deflater` (always deflated: it is XML,
    /// and the input is gone).
    pub(super) fn add_deflated(&mut self, name: &str, deflater: Deflater) {
        self.put(name, METHOD_DEFLATED, &deflater.finish());
    }

    /// Writes an entry's local header and body, and keeps its central
    /// directory header for [`Zip::finish`].
    fn put(&mut self, name: &str, method: u16, packed: &Packed) {
        let (body, crc, size) = (&packed.bytes, packed.crc, packed.size);
        let compressed = body.len() as u64;
        let offset = self.out.len() as u64;
        let big_sizes = self.force_zip64 || size >= U32_FULL || compressed >= U32_FULL;
        let big_offset = self.force_zip64 || offset >= U32_FULL;
        let version = if big_sizes || big_offset {
            VERSION_ZIP64
        } else {
            VERSION_DEFLATE
        };
        // Our part names are short ASCII.
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let name = name
            .as_bytes()
            .get(..usize::from(name_len))
            .unwrap_or_default();
        let field32 = |value: u64, big: bool| if big { U32_FULL as u32 } else { value as u32 };

        let out = &mut self.out;
        put32(out, LOCAL_HEADER_SIGNATURE);
        put16(out, version);
        put16(out, 0); // flags
        put16(out, method);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, field32(compressed, big_sizes));
        put32(out, field32(size, big_sizes));
        put16(out, name_len);
        put16(out, if big_sizes { 20 } else { 0 });
        out.extend_from_slice(name);
        if big_sizes {
            put16(out, ZIP64_EXTRA_ID);
            put16(out, 16);
            put64(out, size);
            put64(out, compressed);
        }
        out.extend_from_slice(body);

        let mut extra = Vec::new();
        if big_sizes {
            put64(&mut extra, size);
            put64(&mut extra, compressed);
        }
        if big_offset {
            put64(&mut extra, offset);
        }
        let dir = &mut self.directory;
        put32(dir, CENTRAL_HEADER_SIGNATURE);
        put16(dir, version); // made by: MS-DOS (0) in the high byte
        put16(dir, version); // needed
        put16(dir, 0); // flags
        put16(dir, method);
        put16(dir, DOS_TIME);
        put16(dir, DOS_DATE);
        put32(dir, crc);
        put32(dir, field32(compressed, big_sizes));
        put32(dir, field32(size, big_sizes));
        put16(dir, name_len);
        put16(
            dir,
            if extra.is_empty() {
                0
            } else {
                extra.len() as u16 + 4
            },
        );
        put16(dir, 0); // comment length
        put16(dir, 0); // disk number start
        put16(dir, 0); // internal attributes
        put32(dir, 0); // external attributes
        put32(dir, field32(offset, big_offset));
        dir.extend_from_slice(name);
        if !extra.is_empty() {
            put16(dir, ZIP64_EXTRA_ID);
            put16(dir, extra.len() as u16);
            dir.extend_from_slice(&extra);
        }
        self.entries += 1;
    }

    /// The archive: entries, central directory, (ZIP64 end record and
    /// locator,) end of central directory.
    pub(super) fn finish(self) -> Vec<u8> {
        let Zip {
            mut out,
            directory,
            entries,
            force_zip64,
        } = self;
        let directory_offset = out.len() as u64;
        let directory_size = directory.len() as u64;
        out.extend_from_slice(&directory);
        let zip64 = force_zip64
            || entries >= U16_FULL
            || directory_size >= U32_FULL
            || directory_offset >= U32_FULL;
        if zip64 {
            let record_offset = out.len() as u64;
            put32(&mut out, ZIP64_END_SIGNATURE);
            put64(&mut out, 44); // size of the rest of the record
            put16(&mut out, VERSION_ZIP64); // made by
            put16(&mut out, VERSION_ZIP64); // needed
            put32(&mut out, 0); // this disk
            put32(&mut out, 0); // disk with the directory
            put64(&mut out, entries); // on this disk
            put64(&mut out, entries); // in all
            put64(&mut out, directory_size);
            put64(&mut out, directory_offset);
            put32(&mut out, ZIP64_LOCATOR_SIGNATURE);
            put32(&mut out, 0); // disk with the ZIP64 end record
            put64(&mut out, record_offset);
            put32(&mut out, 1); // disks in all
        }
        let (count, size, offset) = if zip64 {
            (U16_FULL as u16, U32_FULL as u32, U32_FULL as u32)
        } else {
            (
                entries as u16,
                directory_size as u32,
                directory_offset as u32,
            )
        };
        put32(&mut out, END_SIGNATURE);
        put16(&mut out, 0); // this disk
        put16(&mut out, 0); // disk with the directory
        put16(&mut out, count); // on this disk
        put16(&mut out, count); // in all
        put32(&mut out, size);
        put32(&mut out, offset);
        put16(&mut out, 0); // comment length
        out
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) of `data`.
#[cfg(test)]
pub(super) fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

/// Runs the CRC-32 register over `data`, one byte at a time from a table
/// computed at compile time (start from `!0`, and invert the result).
pub(super) fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0_u32; 256];
        let mut index = 0;
        while index < 256 {
            let mut crc = index as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            table[index] = crc;
            index += 1;
        }
        table
    };
    data.iter().fold(crc, |crc, &byte| {
        // The index is masked to 0..=255.
        TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8)
    })
}
