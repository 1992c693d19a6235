//! Full verification of arbitrary bytes against the tests' trust store
//! (Root G2, Signing CA G2's CRL, 2027-06-01). Whatever verifies must read
//! the same in the zip crate (`assert_one_reading`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match pkgverify_fuzz::trusted_verifier().verify_bytes(data) {
        Ok(p) => pkgverify_fuzz::assert_one_reading(data, &p),
        Err(r) => {
            let _ = (r.kind(), r.to_string(), r.signatures().len());
        }
    }
});
