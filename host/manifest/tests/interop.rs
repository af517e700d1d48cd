//! A package built and signed by an independent implementation of the format
//! (`fuzz/make_seeds.py`, Python) decodes and verifies here.

use bantong_manifest::{Package, TrustedKeys};

const PACKAGE: &[u8] = include_bytes!("data/interop.btpkg");
const TRUSTED: &str = include_str!("data/interop.pub");
const DIGEST: &str = include_str!("data/interop.digest");

#[test]
fn python_signed_package_verifies() {
    let trusted = TrustedKeys::from_text(TRUSTED).unwrap();
    let package = Package::decode(PACKAGE).unwrap();
    assert_eq!(package.manifest().id, "door-service");
    let verified = package.verify(&trusted).unwrap();
    assert_eq!(verified.digest.to_string(), DIGEST.trim());
    assert_eq!(Some(verified.key_id), package.signature().map(|s| s.key_id));
    assert_eq!(package.encode(), PACKAGE);
}

#[test]
fn one_flipped_bit_anywhere_after_the_header_is_caught() {
    let trusted = TrustedKeys::from_text(TRUSTED).unwrap();
    // Every byte of the manifest and wasm bodies, and of the signature.
    for at in 8..PACKAGE.len() {
        let mut bytes = PACKAGE.to_vec();
        bytes[at] ^= 0x01;
        if let Ok(package) = Package::decode(&bytes) {
            assert!(
                package.verify(&trusted).is_err(),
                "flip at byte {at} went unnoticed"
            );
        }
    }
}
