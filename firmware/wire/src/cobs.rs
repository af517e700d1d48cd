//! Consistent Overhead Byte Stuffing: encodes any bytes without zeros, at
//! a cost of one byte per 254 (plus one).

/// Why a COBS operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CobsError {
    /// The output buffer is too small.
    Overflow,
    /// The input is not valid COBS (a zero, or a code pointing past the end).
    Malformed,
}

/// Bytes needed to encode `len` bytes.
pub const fn max_encoded_len(len: usize) -> usize {
    len + len / 254 + 1
}

/// Encodes `input` into `out`; returns the encoded length.
pub fn encode(input: &[u8], out: &mut [u8]) -> Result<usize, CobsError> {
    if out.len() < max_encoded_len(input.len()) {
        return Err(CobsError::Overflow);
    }
    let mut code_at = 0;
    let mut code: u8 = 1;
    let mut o = 1;
    for &byte in input {
        if byte == 0 {
            out[code_at] = code;
            code_at = o;
            o += 1;
            code = 1;
        } else {
            out[o] = byte;
            o += 1;
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = o;
                o += 1;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    Ok(o)
}

/// Decodes `input` (without delimiters) into `out`; returns the length.
pub fn decode(input: &[u8], out: &mut [u8]) -> Result<usize, CobsError> {
    let mut i = 0;
    let mut o = 0;
    while i < input.len() {
        let code = input[i];
        if code == 0 {
            return Err(CobsError::Malformed);
        }
        i += 1;
        let run = usize::from(code) - 1;
        if i + run > input.len() {
            return Err(CobsError::Malformed);
        }
        if o + run > out.len() {
            return Err(CobsError::Overflow);
        }
        for &b in &input[i..i + run] {
            if b == 0 {
                return Err(CobsError::Malformed);
            }
            out[o] = b;
            o += 1;
        }
        i += run;
        // A code below 0xFF stands for a zero, except at the very end.
        if code != 0xFF && i < input.len() {
            if o >= out.len() {
                return Err(CobsError::Overflow);
            }
            out[o] = 0;
            o += 1;
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let mut enc = [0u8; 1024];
        let n = encode(data, &mut enc).unwrap();
        assert!(!enc[..n].contains(&0), "{data:?} → {:?}", &enc[..n]);
        let mut dec = [0u8; 1024];
        let m = decode(&enc[..n], &mut dec).unwrap();
        assert_eq!(&dec[..m], data);
    }

    #[test]
    fn known_vectors() {
        let mut out = [0u8; 16];
        let n = encode(&[0x11, 0x22, 0x00, 0x33], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x03, 0x11, 0x22, 0x02, 0x33]);
        let n = encode(&[0x00], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x01, 0x01]);
        let n = encode(&[], &mut out).unwrap();
        assert_eq!(&out[..n], &[0x01]);
    }

    #[test]
    fn round_trips() {
        round_trip(&[]);
        round_trip(&[0, 0, 0]);
        let long: [u8; 600] = core::array::from_fn(|i| (i % 255 + 1) as u8);
        round_trip(&long);
        let mixed: [u8; 600] = core::array::from_fn(|i| (i % 7) as u8);
        round_trip(&mixed);
    }

    #[test]
    fn malformed_input_is_refused() {
        let mut out = [0u8; 16];
        assert_eq!(decode(&[0x05, 1, 2], &mut out), Err(CobsError::Malformed));
        assert_eq!(decode(&[0x02, 0], &mut out), Err(CobsError::Malformed));
        assert_eq!(decode(&[0x00], &mut out), Err(CobsError::Malformed));
        assert_eq!(encode(&[1; 20], &mut out), Err(CobsError::Overflow));
    }
}
