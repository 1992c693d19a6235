//! One-pass verification of a stream (`Verifier::verify_reader`) of
//! arbitrary bytes against the tests' trust store, compared with seekable
//! verification of the same bytes (`assert_same_verdict`): both accept the
//! same manifest, or both reject with the same error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let v = pkgverify_fuzz::trusted_verifier();
    let stream = v.verify_reader(data);
    let seekable = v.verify_bytes(data);
    pkgverify_fuzz::assert_same_verdict(data, &stream, &seekable);
});
