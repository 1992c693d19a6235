//! Archive structure checks on arbitrary bytes: `verify_bytes` with an empty
//! trust store (the structure, path and layout checks run first; nothing can
//! verify). Must never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let result = pkgverify_fuzz::empty_verifier().verify_bytes(data);
    let report = pkgverify::Report::new(&result);
    let _ = report.to_json();
    match result {
        Ok(_) => panic!("verified against an empty trust store"),
        Err(r) => {
            let _ = (r.kind(), r.to_string(), r.error().path());
        }
    }
});
