//! Unit tests of the `.btpkg` format.

use super::*;
use crate::signing::keygen;

const WASM: &[u8] = b"\0asm\x0d\x00\x01\x00rest-of-component";

fn manifest() -> Manifest {
    Manifest::parse(
        r#"
id = "queue"
version = "1.2.0"
wit = "0.1.0"
name = { zh = "排队叫号", en = "Queue calling" }
[config.schema]
type = "object"
properties = { max = { type = "integer", default = 10 } }
"#,
    )
    .unwrap()
}

fn signed() -> (Package, TrustedKeys) {
    let (secret, public) = keygen();
    let mut package = Package::new(manifest(), WASM.to_vec()).unwrap();
    package.sign(&secret);
    (package, [public].into_iter().collect())
}

#[test]
fn round_trip_and_verify() {
    let (package, trusted) = signed();
    let bytes = package.encode();
    assert!(bytes.starts_with(b"BTPKG\0\x00\x01\x01"));
    let back = Package::decode(&bytes).unwrap();
    assert_eq!(back, package);
    let verified = back.verify(&trusted).unwrap();
    assert_eq!(verified.digest, package.digest());
    assert_eq!(Some(verified.key_id), package.signature().map(|s| s.key_id));
    assert_eq!(
        package.digest(),
        Digest::of(package.manifest(), WASM).unwrap()
    );
}

#[test]
fn verification_fails_when_unsigned_unknown_or_altered() {
    let unsigned = Package::new(manifest(), WASM.to_vec()).unwrap();
    let (_, trusted) = signed();
    assert_eq!(unsigned.verify(&trusted), Err(PackageError::Unsigned));
    let decoded = Package::decode(&unsigned.encode()).unwrap();
    assert_eq!(decoded.signature(), None);

    let (package, trusted) = signed();
    assert!(matches!(
        package.verify(&TrustedKeys::new()),
        Err(PackageError::Signature(SignatureError::UnknownKey(_)))
    ));

    // Flip one byte of the wasm inside the file.
    let mut bytes = package.encode();
    let at = bytes.len() - Signature::LEN - 6;
    bytes[at] ^= 0x20;
    let altered = Package::decode(&bytes).unwrap();
    assert!(matches!(
        altered.verify(&trusted),
        Err(PackageError::Signature(SignatureError::Mismatch(_)))
    ));

    // Change the manifest (still valid) and re-encode with the old signature.
    let mut other = manifest();
    other.version = semver::Version::new(9, 9, 9);
    let mut forged = Package::new(other, WASM.to_vec()).unwrap();
    forged.signature = package.signature;
    let forged = Package::decode(&forged.encode()).unwrap();
    assert!(forged.verify(&trusted).is_err());
}

#[test]
fn decoding_errors_are_clear() {
    let (package, _) = signed();
    let bytes = package.encode();
    let error = |b: &[u8]| Package::decode(b).unwrap_err().to_string();
    assert_eq!(error(b""), "package is truncated in the header");
    assert_eq!(
        error(b"PK\x03\x04zip!"),
        "not a bantong package (bad magic bytes)"
    );
    assert_eq!(
        error(b"BTPKG\0\x00\x02"),
        "unsupported package format 2 (supported: 1)"
    );
    assert_eq!(error(&bytes[..8]), "package is truncated in the manifest");
    assert_eq!(error(&bytes[..20]), "package is truncated in the manifest");
    assert_eq!(
        error(&[&bytes[..8], &[2, 0, 0, 0, 0]].concat()),
        "expected the manifest section, found the wasm section"
    );
    assert_eq!(
        error(&[&bytes[..8], &[1, 0xff, 0xff, 0xff, 0xff]].concat()),
        "manifest section is 4294967295 bytes; at most 1048576 are allowed"
    );
    assert_eq!(
        error(&[bytes.as_slice(), b"x"].concat()),
        "1 unexpected bytes after the last section"
    );
    let unsigned = Package::new(manifest(), WASM.to_vec()).unwrap().encode();
    assert_eq!(
        error(&[unsigned.as_slice(), &[9, 0, 0, 0, 0]].concat()),
        "expected the signature section, found unknown section tag 0x09"
    );
    assert_eq!(
        error(&[unsigned.as_slice(), &[3, 0, 0, 0, 1, 0]].concat()),
        "malformed signature: the signature section must be 72 bytes, not 1"
    );
}

#[test]
fn contents_are_checked() {
    assert_eq!(
        Package::new(manifest(), b"not wasm".to_vec()),
        Err(PackageError::NotWasm)
    );
    // A manifest section that is not a valid manifest.
    let mut bytes = b"BTPKG\0\x00\x01".to_vec();
    put_section(&mut bytes, TAG_MANIFEST, br#"{"id":"x"}"#);
    put_section(&mut bytes, TAG_WASM, WASM);
    let error = Package::decode(&bytes).unwrap_err().to_string();
    assert!(
        error.starts_with("manifest section: missing field `version`"),
        "{error}"
    );
}

#[test]
fn canonical_manifest_is_stored() {
    let package = Package::new(manifest(), WASM.to_vec()).unwrap();
    assert_eq!(
        package.manifest_bytes(),
        package.manifest().canonical_bytes().unwrap().as_slice()
    );
    assert_eq!(package.wasm(), WASM);
}
