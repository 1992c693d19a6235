//! Preflight on arbitrary input: the inventory reader, the manifest's
//! operator metadata and the payload scan with the checks. No panic, hang
//! or unbounded allocation; findings are sorted and capped per code.
//!
//! Input: a mode byte, a chunk-size byte, then the rest. Mode % 3 == 0: the
//! rest is an inventory (TOML). Mode % 3 == 1: the rest is a manifest
//! (JSON) checked against a fixed inventory with an empty payload. Mode % 3
//! == 2: the rest is the content of one payload entry whose name (mode / 3
//! picks it) decides how it is read, scanned in chunks and checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgverify::{Inventory, Manifest, Preflight, MAX_FINDINGS_PER_CODE};

const PATHS: &[&str] = &[
    "scripts/upgrade.sh", "cron.d/dten", "dten.cron", "config/dten.properties", "app.yaml",
    "config.json", "sql/001.sql", "systemd/dten.timer", "systemd/dten.service", "bin/tool",
    "etc/cron.daily/dten", "README.md", "tool.py", ".env",
];

const INVENTORY: &str = "version = 1\n[installed]\np = \"1.0\"\nopenssl = \"3.0.11-1~deb12u2\"\n[system]\nunits = [\"a.service\"]\nsudo = false\n[config]\n\"a.b\" = true\n[network]\nreachable = [\"db.internal\", \"*.corp.example\"]\n";

const MANIFEST: &[u8] = br#"{"format": 1, "package": {"name": "p", "version": "1.1"}, "files": []}"#;

fuzz_target!(|data: &[u8]| {
    let (Some(mode), Some(chunk)) = (data.first(), data.get(1)) else {
        return;
    };
    let rest = &data[2..];
    let inventory = Inventory::from_toml(INVENTORY, "fuzz.toml").expect("the fixed inventory loads");
    let preflight = match mode % 3 {
        0 => {
            let _ = Inventory::from_toml(&String::from_utf8_lossy(rest), "fuzz.toml");
            return;
        }
        1 => match Manifest::fuzz_parse(rest) {
            Ok(m) => Preflight::fuzz_run(&m, &inventory, &[], 1),
            Err(_) => return,
        },
        _ => {
            let path = PATHS[usize::from(mode / 3) % PATHS.len()];
            let m = Manifest::fuzz_parse(MANIFEST).expect("the fixed manifest parses");
            Preflight::fuzz_run(&m, &inventory, &[(path, rest)], usize::from(*chunk) + 1)
        }
    };
    let findings = preflight.findings();
    for pair in findings.windows(2) {
        assert!(pair[0].severity <= pair[1].severity, "findings sorted by severity");
    }
    for f in findings {
        let same = findings.iter().filter(|g| g.code == f.code).count();
        assert!(same <= MAX_FINDINGS_PER_CODE + 1, "{} capped", f.code);
        let _ = f.message.len();
    }
});
