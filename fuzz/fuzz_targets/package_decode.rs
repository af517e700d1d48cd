//! Fuzzes `.btpkg` decoding: arbitrary bytes must give a clear error or a
//! package that re-encodes to exactly the same bytes.

#![no_main]

use bantong_manifest::{Package, TrustedKeys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(package) = Package::decode(data) {
        let encoded = package.encode();
        assert_eq!(encoded, data, "decode then encode is the identity");
        let again = Package::decode(&encoded).expect("re-decodes");
        assert_eq!(again.digest(), package.digest());
        assert!(package.verify(&TrustedKeys::new()).is_err());
    }
});
