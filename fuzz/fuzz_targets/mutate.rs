//! Structure-aware: starts from a valid signed package and applies an edit
//! script decoded from the input, so the fuzzer reaches the signature,
//! manifest, digest and content paths that random bytes never do.
//!
//! Input: one mode byte, then (modes 2 and 3) a 16-bit length and that many
//! bytes of manifest, then edit operations (see `apply_edits`).
//! * mode 0 / 1: the P-256 fixture package, deflated / stored;
//! * mode 2 / 3: a package whose manifest is the given bytes (none: the
//!   manifest that lists the fixture payload exactly), signed with
//!   Ed25519 (deflated / stored), which reaches the manifest parser and the
//!   manifest-vs-archive checks behind a trusted signature.
//!
//! Oracles: no panic; anything that verifies reads the same in the zip
//! crate; one-pass (`verify_reader`) and seekable verification agree; a
//! P-256 fixture that still verifies after edits carries the original
//! manifest. Set `PKGVERIFY_FUZZ_DUMP=FILE` to write the edited
//! package (for turning a finding into a regression test).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgverify::Compression;
use pkgverify_fuzz::{apply_edits, header_fields, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.u8() % 4;
    let mut bytes = match mode {
        0 | 1 => pkgverify_fuzz::p256_packages()[usize::from(mode)].clone(),
        _ => {
            let n = usize::from(input.u16());
            let mut manifest = input.bytes(n).to_vec();
            if manifest.is_empty() {
                manifest = pkgverify_fuzz::fixture_manifest();
            }
            let compression = if mode == 2 {
                Compression::Deflated
            } else {
                Compression::Stored
            };
            pkgverify_fuzz::ed25519_package(&manifest, compression)
        }
    };
    let fields = header_fields(&bytes);
    apply_edits(&mut bytes, &fields, &mut input);
    if let Some(path) = std::env::var_os("PKGVERIFY_FUZZ_DUMP") {
        std::fs::write(path, &bytes).expect("dump");
    }
    let verifier = pkgverify_fuzz::trusted_verifier();
    let seekable = verifier.verify_bytes(&bytes);
    let stream = verifier.verify_reader(bytes.as_slice());
    pkgverify_fuzz::assert_same_verdict(&bytes, &stream, &seekable);
    match seekable {
        Ok(p) => {
            pkgverify_fuzz::assert_one_reading(&bytes, &p);
            if mode < 2 {
                let original = pkgverify_fuzz::trusted_verifier()
                    .verify_bytes(&pkgverify_fuzz::p256_packages()[usize::from(mode)])
                    .expect("fixture verifies");
                assert_eq!(
                    p.manifest(),
                    original.manifest(),
                    "another manifest verified"
                );
            }
        }
        Err(r) => {
            let _ = (r.kind(), r.to_string(), r.progress());
        }
    }
});
