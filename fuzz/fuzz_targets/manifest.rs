//! Manifest parsing on arbitrary bytes. A manifest that parses must
//! serialize (`to_json`, what `PackageBuilder` writes) to one that parses
//! back to the same manifest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgverify::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::fuzz_parse(data) {
        let again = Manifest::fuzz_parse(&m.to_json()).expect("to_json output parses");
        assert_eq!(again, m, "to_json does not round-trip");
    }
});
