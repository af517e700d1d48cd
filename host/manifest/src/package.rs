//! The `.btpkg` plugin package: manifest, component and optional signature in one file.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! magic    6 bytes  "BTPKG\0"
//! format   u16      1
//! then sections, each: tag u8, length u32, bytes, in this order:
//!   0x01 manifest   canonical JSON manifest, at most 1 MiB     (required)
//!   0x02 wasm       the component, starting "\0asm", ≤ 64 MiB (required)
//!   0x03 signature  72 bytes: key id (8), ed25519 signature   (optional)
//! nothing after the last section
//! ```
//!
//! The digest covers the stored manifest bytes and the wasm bytes exactly, so
//! a package verifies only if neither changed since it was signed.

use crate::digest::Digest;
use crate::error::ManifestError;
use crate::manifest::Manifest;
use crate::signing::{self, KeyId, Signature, SignatureError, SigningKey, TrustedKeys};

const MAGIC: &[u8; 6] = b"BTPKG\0";
const FORMAT: u16 = 1;
const TAG_MANIFEST: u8 = 1;
const TAG_WASM: u8 = 2;
const TAG_SIGNATURE: u8 = 3;
const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// Why a package could not be built, decoded or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// The file does not start with the package magic.
    #[error("not a bantong package (bad magic bytes)")]
    BadMagic,
    /// The package uses a format version this crate does not read.
    #[error("unsupported package format {0} (supported: {FORMAT})")]
    UnsupportedFormat(u16),
    /// The file ends inside a header or section.
    #[error("package is truncated in the {0}")]
    Truncated(&'static str),
    /// A required section is missing, or sections are out of order.
    #[error("expected the {expected} section, found {found}")]
    UnexpectedSection {
        /// The section that should come next.
        expected: &'static str,
        /// What was there instead.
        found: String,
    },
    /// A section is larger than allowed.
    #[error("{section} section is {size} bytes; at most {max} are allowed")]
    TooLarge {
        /// Which section.
        section: &'static str,
        /// Its declared size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Bytes follow the last section.
    #[error("{0} unexpected bytes after the last section")]
    TrailingBytes(usize),
    /// The wasm section is not a WebAssembly binary.
    #[error("wasm section does not start with the WebAssembly magic \"\\0asm\"")]
    NotWasm,
    /// The manifest section is invalid.
    #[error("manifest section: {0}")]
    Manifest(#[from] ManifestError),
    /// The signature section is malformed, or verification failed.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Verification was asked of a package without a signature.
    #[error("package is not signed")]
    Unsigned,
}

/// What a successful verification established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The artefact's digest.
    pub digest: Digest,
    /// The trusted key that signed it.
    pub key_id: KeyId,
}

/// A plugin artefact: manifest, component bytes and optional signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    wasm: Vec<u8>,
    signature: Option<Signature>,
}

impl Package {
    /// Largest manifest section.
    pub const MAX_MANIFEST_BYTES: usize = Manifest::MAX_BYTES;
    /// Largest wasm section.
    pub const MAX_WASM_BYTES: usize = 64 * 1024 * 1024;

    /// An unsigned package of `manifest` (stored in canonical form) and `wasm`.
    pub fn new(manifest: Manifest, wasm: Vec<u8>) -> Result<Self, PackageError> {
        manifest.validate()?;
        let manifest_bytes = manifest.canonical_bytes()?;
        check_size("manifest", manifest_bytes.len(), Self::MAX_MANIFEST_BYTES)?;
        check_wasm(&wasm)?;
        Ok(Self {
            manifest,
            manifest_bytes,
            wasm,
            signature: None,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest bytes as stored (canonical JSON).
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The component bytes.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The signature, if signed.
    pub fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }

    /// The artefact digest over the stored manifest bytes and the wasm.
    pub fn digest(&self) -> Digest {
        Digest::compute(&self.manifest_bytes, &self.wasm)
    }

    /// Signs the package with `key`, replacing any earlier signature.
    pub fn sign(&mut self, key: &SigningKey) {
        self.signature = Some(signing::sign(key, &self.digest()));
    }

    /// Checks the signature against `trusted`: fails when unsigned, signed by
    /// an unknown key, or when the manifest or wasm changed after signing.
    pub fn verify(&self, trusted: &TrustedKeys) -> Result<Verified, PackageError> {
        let signature = self.signature.as_ref().ok_or(PackageError::Unsigned)?;
        let digest = self.digest();
        let key_id = signing::verify(trusted, &digest, signature)?;
        Ok(Verified { digest, key_id })
    }

    /// The `.btpkg` bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.manifest_bytes.len() + self.wasm.len() + 128);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_be_bytes());
        put_section(&mut out, TAG_MANIFEST, &self.manifest_bytes);
        put_section(&mut out, TAG_WASM, &self.wasm);
        if let Some(signature) = &self.signature {
            put_section(&mut out, TAG_SIGNATURE, &signature.to_bytes());
        }
        out
    }

    /// Reads `.btpkg` bytes, validating the manifest. Never panics; sizes are
    /// checked before anything is copied.
    pub fn decode(bytes: &[u8]) -> Result<Self, PackageError> {
        let mut reader = Reader(bytes);
        if reader.take(MAGIC.len(), "header")? != MAGIC {
            return Err(PackageError::BadMagic);
        }
        let format = reader.take(2, "header")?;
        let format = u16::from_be_bytes([format[0], format[1]]);
        if format != FORMAT {
            return Err(PackageError::UnsupportedFormat(format));
        }
        let manifest_bytes = reader.section(TAG_MANIFEST, "manifest", Self::MAX_MANIFEST_BYTES)?;
        let wasm = reader.section(TAG_WASM, "wasm", Self::MAX_WASM_BYTES)?;
        let signature = if reader.0.is_empty() {
            None
        } else {
            let raw = reader.section(TAG_SIGNATURE, "signature", Signature::LEN)?;
            Some(Signature::from_bytes(raw)?)
        };
        if !reader.0.is_empty() {
            return Err(PackageError::TrailingBytes(reader.0.len()));
        }
        check_wasm(wasm)?;
        let manifest = Manifest::from_canonical(manifest_bytes)?;
        Ok(Self {
            manifest,
            manifest_bytes: manifest_bytes.to_vec(),
            wasm: wasm.to_vec(),
            signature,
        })
    }
}

fn put_section(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    // Sizes are bounded by MAX_WASM_BYTES when the package is built.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn check_size(section: &'static str, size: usize, max: usize) -> Result<(), PackageError> {
    if size > max {
        Err(PackageError::TooLarge {
            section,
            size: size as u64,
            max: max as u64,
        })
    } else {
        Ok(())
    }
}

fn check_wasm(wasm: &[u8]) -> Result<(), PackageError> {
    check_size("wasm", wasm.len(), Package::MAX_WASM_BYTES)?;
    if wasm.starts_with(WASM_MAGIC) {
        Ok(())
    } else {
        Err(PackageError::NotWasm)
    }
}

fn section_name(tag: u8) -> String {
    match tag {
        TAG_MANIFEST => "the manifest section".to_owned(),
        TAG_WASM => "the wasm section".to_owned(),
        TAG_SIGNATURE => "the signature section".to_owned(),
        other => format!("unknown section tag {other:#04x}"),
    }
}

/// A cursor over the undecoded rest of the input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, part: &'static str) -> Result<&'a [u8], PackageError> {
        if self.0.len() < n {
            return Err(PackageError::Truncated(part));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn section(
        &mut self,
        tag: u8,
        name: &'static str,
        max: usize,
    ) -> Result<&'a [u8], PackageError> {
        let header = self.take(5, name)?;
        if header[0] != tag {
            return Err(PackageError::UnexpectedSection {
                expected: name,
                found: section_name(header[0]),
            });
        }
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if name == "signature" && len != Signature::LEN {
            return Err(SignatureError::Malformed(format!(
                "the signature section must be {} bytes, not {len}",
                Signature::LEN
            ))
            .into());
        }
        check_size(name, len, max)?;
        self.take(len, name)
    }
}

#[cfg(test)]
#[path = "package_tests.rs"]
mod tests;
