//! RFC 3161 token checking on arbitrary bytes, against the test TSA root,
//! over the timestamped demo package's signature: never a panic, and a token
//! that checks as trusted is one whose time the checker can show.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pkgverify::{Timestamp, TimestampStatus, TrustStore, UnixTime};

struct Setup {
    tsa: TrustStore,
    signature: Vec<u8>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");
        let mut tsa = TrustStore::new();
        tsa.load_anchors(format!("{root}/pki/tsa-root.pem")).expect("tsa-root.pem");
        let file = std::fs::File::open(format!("{root}/Full-upgrade-package-dten-timestamped.zip"))
            .expect("the timestamped demo package");
        let mut zip = zip::ZipArchive::new(file).expect("a ZIP");
        let mut signature = Vec::new();
        std::io::Read::read_to_end(
            &mut zip.by_name("signatures/dten-2026.sig").expect("its .sig"),
            &mut signature,
        )
        .expect("readable");
        Setup { tsa, signature }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_811_808_000));
    if let Ok(t) = Timestamp::check(data, &s.signature, &s.tsa, now) {
        let (low, high) = t.window();
        assert!(low <= t.time && t.time <= high);
        if t.status == TimestampStatus::Trusted {
            assert!(t.problem.is_none() && t.time <= now);
        }
    }
});
