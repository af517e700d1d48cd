//! Content digests of plugin artefacts: SHA-256 over the manifest's canonical bytes and the wasm.
//!
//! The hashed message is
//!
//! ```text
//! "bantong-artefact-v1\n"
//! u64 big-endian length of the manifest bytes, the manifest bytes,
//! u64 big-endian length of the wasm bytes, the wasm bytes
//! ```
//!
//! The length prefixes make the encoding injective: moving bytes from one
//! part to the other changes the digest, as does any change to either part.

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::str::FromStr;

use crate::error::Result;
use crate::manifest::Manifest;

const DOMAIN: &[u8] = b"bantong-artefact-v1\n";

/// A SHA-256 artefact digest, shown as `sha256:<64 hex digits>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of a manifest's canonical bytes and wasm bytes.
    pub fn compute(manifest_canonical: &[u8], wasm: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(DOMAIN);
        hasher.update((manifest_canonical.len() as u64).to_be_bytes());
        hasher.update(manifest_canonical);
        hasher.update((wasm.len() as u64).to_be_bytes());
        hasher.update(wasm);
        Self(hasher.finalize().into())
    }

    /// The digest of `manifest` (in canonical form) with `wasm`.
    pub fn of(manifest: &Manifest, wasm: &[u8]) -> Result<Self> {
        Ok(Self::compute(&manifest.canonical_bytes()?, wasm))
    }

    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Why a digest text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a digest: expected sha256: followed by 64 lowercase hex digits")]
pub struct DigestParseError(pub String);

impl FromStr for Digest {
    type Err = DigestParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = || DigestParseError(text.to_owned());
        let hex_part = text.strip_prefix("sha256:").ok_or_else(fail)?;
        if hex_part.len() != 64 || hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(fail());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| fail())?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value() {
        // Pinned (and checked with Python's hashlib) so that an accidental change to the encoding is noticed:
        // host and edge agents must agree on it forever.
        let digest = Digest::compute(b"{}", b"\0asm");
        assert_eq!(
            digest.to_string(),
            "sha256:e4b3b09cdd3e6e17e1fb05e4eb71a7436f5c6392db941b7c854539dc69033107"
        );
    }

    #[test]
    fn any_change_changes_the_digest() {
        let base = Digest::compute(b"ab", b"cd");
        assert_ne!(base, Digest::compute(b"a", b"bcd"));
        assert_ne!(base, Digest::compute(b"abc", b"d"));
        assert_ne!(base, Digest::compute(b"ab", b"ce"));
        assert_ne!(base, Digest::compute(b"ac", b"cd"));
        assert_eq!(base, Digest::compute(b"ab", b"cd"));
    }

    #[test]
    fn text_round_trips() {
        let digest = Digest::compute(b"m", b"w");
        let text = digest.to_string();
        assert_eq!(text.parse::<Digest>(), Ok(digest));
        assert!(text.to_uppercase().parse::<Digest>().is_err());
        assert!(text[..70].parse::<Digest>().is_err());
        assert!("sha512:00".parse::<Digest>().is_err());
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
    }
}
