//! ed25519 signing keys, their text file format, and signatures over artefact digests.
//!
//! Key files are UTF-8 text, one key per line, `#` comments and blank lines
//! ignored:
//!
//! ```text
//! bantong-ed25519-secret-v1 <key id> <base64 of the 32-byte secret seed>
//! bantong-ed25519-public-v1 <key id> <base64 of the 32-byte public key>
//! ```
//!
//! The key id is the first 16 hex digits of SHA-256 over the public key bytes;
//! it is checked when a file is read. A trusted-keys file is a list of public
//! key lines. What is signed is `"bantong-signature-v1\n"` followed by the 32
//! digest bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey as DalekSigning, VerifyingKey};
use rand::rngs::OsRng;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;

const SECRET_TAG: &str = "bantong-ed25519-secret-v1";
const PUBLIC_TAG: &str = "bantong-ed25519-public-v1";
const SIGNATURE_DOMAIN: &[u8] = b"bantong-signature-v1\n";

/// First 8 bytes of SHA-256 of a public key, shown as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    fn of(key: &VerifyingKey) -> Self {
        let hash = Sha256::digest(key.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&hash[..8]);
        Self(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a key file or signature text was rejected, or a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A line of a key file is malformed.
    #[error("key file line {line}: {message}")]
    KeyFile {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The signature names a key that is not trusted.
    #[error("signed by unknown key {0}")]
    UnknownKey(KeyId),
    /// The signature does not match the digest under the named key.
    #[error("signature by key {0} does not match the artefact")]
    Mismatch(KeyId),
    /// A signature text is malformed.
    #[error("malformed signature: {0}")]
    Malformed(String),
}

/// A secret ed25519 signing key. Its `Debug` output hides the secret; the
/// memory is wiped on drop.
#[derive(Clone)]
pub struct SigningKey(DalekSigning);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.key_id())
    }
}

impl SigningKey {
    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The key id of the public key.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.0.verifying_key())
    }

    /// The key file line (with a trailing newline). Keep it secret.
    pub fn to_text(&self) -> String {
        let seed = self.0.to_bytes();
        format!("{SECRET_TAG} {} {}\n", self.key_id(), BASE64.encode(seed))
    }

    /// Reads a secret key file holding exactly one key.
    pub fn from_text(text: &str) -> Result<Self, SignatureError> {
        let mut keys = key_lines(text, SECRET_TAG)?;
        match (keys.pop(), keys.is_empty()) {
            (Some((line, id, bytes)), true) => {
                let key = Self(DalekSigning::from_bytes(&bytes));
                check_id(line, &id, key.key_id())?;
                Ok(key)
            }
            _ => Err(SignatureError::KeyFile {
                line: 1,
                message: "a secret key file must hold exactly one key".to_owned(),
            }),
        }
    }
}

/// A public ed25519 key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl PublicKey {
    /// Its key id.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.0)
    }

    /// The key file line (with a trailing newline).
    pub fn to_text(&self) -> String {
        format!(
            "{PUBLIC_TAG} {} {}\n",
            self.key_id(),
            BASE64.encode(self.0.as_bytes())
        )
    }
}

/// The public keys whose signatures are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys(BTreeMap<KeyId, PublicKey>);

impl TrustedKeys {
    /// No keys: nothing verifies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a file of public key lines (possibly none).
    pub fn from_text(text: &str) -> Result<Self, SignatureError> {
        let mut keys = Self::new();
        for (line, id, bytes) in key_lines(text, PUBLIC_TAG)? {
            let key = VerifyingKey::from_bytes(&bytes)
                .ok()
                .filter(|k| !k.is_weak())
                .ok_or_else(|| SignatureError::KeyFile {
                    line,
                    message: "not a usable ed25519 public key".to_owned(),
                })?;
            let key = PublicKey(key);
            check_id(line, &id, key.key_id())?;
            keys.insert(key);
        }
        Ok(keys)
    }

    /// Trusts `key`.
    pub fn insert(&mut self, key: PublicKey) {
        self.0.insert(key.key_id(), key);
    }

    /// The trusted key with this id.
    pub fn get(&self, id: &KeyId) -> Option<&PublicKey> {
        self.0.get(id)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<PublicKey> for TrustedKeys {
    fn from_iter<I: IntoIterator<Item = PublicKey>>(iter: I) -> Self {
        let mut keys = Self::new();
        for key in iter {
            keys.insert(key);
        }
        keys
    }
}

/// `(line number, key id text, key bytes)` of every key line with `tag`.
fn key_lines(text: &str, tag: &str) -> Result<Vec<(usize, String, [u8; 32])>, SignatureError> {
    let mut keys = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let fail = |message: String| SignatureError::KeyFile { line, message };
        let parts: Vec<&str> = content.split_whitespace().collect();
        let [found_tag, id, key] = parts[..] else {
            return Err(fail(format!("expected \"{tag} <key id> <base64 key>\"")));
        };
        if found_tag != tag {
            return Err(fail(format!("expected a line starting with {tag:?}")));
        }
        let bytes = BASE64
            .decode(key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| fail("the key must be 32 bytes in standard base64".to_owned()))?;
        keys.push((line, id.to_owned(), bytes));
    }
    Ok(keys)
}

fn check_id(line: usize, written: &str, actual: KeyId) -> Result<(), SignatureError> {
    if written == actual.to_string() {
        Ok(())
    } else {
        Err(SignatureError::KeyFile {
            line,
            message: format!("key id {written:?} does not match the key (its id is {actual})"),
        })
    }
}

/// A signature over an artefact digest, with the id of the key that made it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The signing key's id.
    pub key_id: KeyId,
    /// The 64-byte ed25519 signature.
    pub bytes: [u8; 64],
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl Signature {
    /// Length of [`Signature::to_bytes`].
    pub const LEN: usize = 72;

    /// Key id then signature: 72 bytes.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..8].copy_from_slice(&self.key_id.0);
        out[8..].copy_from_slice(&self.bytes);
        out
    }

    /// Reads the 72-byte form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        let (id, sig) = bytes
            .split_first_chunk::<8>()
            .ok_or_else(|| SignatureError::Malformed(format!("{} bytes", bytes.len())))?;
        let sig = <[u8; 64]>::try_from(sig)
            .map_err(|_| SignatureError::Malformed(format!("{} bytes", bytes.len())))?;
        Ok(Self {
            key_id: KeyId(*id),
            bytes: sig,
        })
    }
}

/// `<key id>:<base64 signature>`
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.key_id, BASE64.encode(self.bytes))
    }
}

impl FromStr for Signature {
    type Err = SignatureError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || SignatureError::Malformed("expected <key id>:<base64>".to_owned());
        let (id, sig) = text.split_once(':').ok_or_else(malformed)?;
        let mut key_id = [0u8; 8];
        hex::decode_to_slice(id, &mut key_id).map_err(|_| malformed())?;
        let sig = BASE64.decode(sig).map_err(|_| malformed())?;
        let bytes = <[u8; 64]>::try_from(sig).map_err(|_| malformed())?;
        Ok(Self {
            key_id: KeyId(key_id),
            bytes,
        })
    }
}

/// A new random key pair from the operating system's generator.
pub fn keygen() -> (SigningKey, PublicKey) {
    let key = SigningKey(DalekSigning::generate(&mut OsRng));
    let public = key.public_key();
    (key, public)
}

fn message(digest: &Digest) -> Vec<u8> {
    [SIGNATURE_DOMAIN, digest.as_bytes()].concat()
}

/// Signs `digest`.
pub fn sign(key: &SigningKey, digest: &Digest) -> Signature {
    Signature {
        key_id: key.key_id(),
        bytes: key.0.sign(&message(digest)).to_bytes(),
    }
}

/// Checks `signature` over `digest` against the trusted keys; returns the
/// signer's key id.
pub fn verify(
    trusted: &TrustedKeys,
    digest: &Digest,
    signature: &Signature,
) -> Result<KeyId, SignatureError> {
    let key = trusted
        .get(&signature.key_id)
        .ok_or(SignatureError::UnknownKey(signature.key_id))?;
    let sig = ed25519_dalek::Signature::from_bytes(&signature.bytes);
    key.0
        .verify_strict(&message(digest), &sig)
        .map_err(|_| SignatureError::Mismatch(signature.key_id))?;
    Ok(signature.key_id)
}

#[cfg(test)]
#[path = "signing_tests.rs"]
mod tests;
