//! Preflight end to end inside the crate: the scan fed through the content
//! sink API (as the pipeline feeds it, in chunks, from several threads),
//! then the checks against an inventory. The story and clean fixtures are
//! in `testdata/preflight/`; each check is also run on small realistic
//! snippets, both ways (it fires / it stays quiet); and the bounds hold
//! whatever an entry holds. Test code only: `mod tests` is declared under
//! #[cfg(test)] in `mod.rs`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::manifest::{FileEntry, Manifest, PackageInfo};
use crate::sink::Sink;

use super::finding::{Finding, FindingCode as Code, Preflight, Severity, MAX_FINDINGS_PER_CODE};
use super::inventory::Inventory;
use super::observe::Observations;
use super::observe::{Seen, MAX_KEPT};
use super::scan::{MAX_LINE, SCAN_BYTES, SNIFF_BYTES};
use super::{check, Scan};

fn testdata(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/preflight")
        .join(p)
}

/// Every file under `dir`, as (payload path, bytes), sorted by path.
fn payload(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn entry(path: &str, len: usize) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        size: len as u64,
        sha256: [0; 32],
        mode: None,
    }
}

/// Feeds `files` through the scan as verified entries, in chunks of `chunk` bytes.
fn scan(files: &[(String, Vec<u8>)], chunk: usize) -> Observations {
    let s = Scan::new();
    for (path, bytes) in files {
        feed(&s, path, bytes, chunk, true);
    }
    s.finish()
}

fn feed(s: &Scan, path: &str, bytes: &[u8], chunk: usize, verified: bool) {
    let mut e = s.entry(&entry(path, bytes.len())).unwrap();
    for c in bytes.chunks(chunk.max(1)) {
        e.chunk(c).unwrap();
    }
    e.end(verified).unwrap();
}

fn manifest(
    name: &str,
    version: &str,
    files: &[(String, Vec<u8>)],
    metadata: Map<String, Value>,
) -> Manifest {
    Manifest::new(
        PackageInfo {
            name: name.to_owned(),
            version: version.to_owned(),
            created: None,
        },
        files.iter().map(|(p, b)| entry(p, b.len())).collect(),
        metadata,
    )
}

fn metadata_file(name: &str) -> Map<String, Value> {
    match serde_json::from_slice(&std::fs::read(testdata(name)).unwrap()).unwrap() {
        Value::Object(o) => o,
        _ => panic!("{name} is not an object"),
    }
}

fn fixture(dir: &str, meta: &str, inventory: &str, version: &str) -> Preflight {
    let files = payload(&testdata(dir));
    let m = manifest("dten-full-upgrade", version, &files, metadata_file(meta));
    let inv = Inventory::load(testdata(inventory)).unwrap();
    check(&m, &inv, &scan(&files, 4096))
}

#[track_caller]
fn has(
    p: &Preflight,
    code: Code,
    severity: Severity,
    path: Option<&str>,
    line: Option<u64>,
    words: &[&str],
) {
    let found = p.findings().iter().find(|f| {
        f.code == code
            && f.severity == severity
            && f.path.as_deref() == path
            && f.line == line
            && words.iter().all(|w| f.message.contains(w))
    });
    assert!(
        found.is_some(),
        "no {code} {severity} at {path:?}:{line:?} with {words:?} in\n{}",
        show(p.findings())
    );
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "  {} {} {:?}:{:?} {}",
                f.severity, f.code, f.path, f.line, f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_story_package_tells_every_finding() {
    let p = fixture(
        "story",
        "story-metadata.json",
        "story-inventory.toml",
        "4.2.0",
    );
    let e = Severity::Error;
    let w = Severity::Warning;
    has(
        &p,
        Code::ConfigRemoved,
        e,
        None,
        None,
        &["dten.legacy.mode", "true"],
    );
    has(
        &p,
        Code::ConfigRequired,
        e,
        None,
        None,
        &["dten.hybrid.enable", "does not set it"],
    );
    has(
        &p,
        Code::EndpointUnreachable,
        e,
        None,
        None,
        &["data-import", "sftp-legacy.dten.example"],
    );
    has(
        &p,
        Code::EndpointUnreachable,
        e,
        Some("scripts/import.sh"),
        Some(7),
        &["sftp connects to sftp-legacy.dten.example"],
    );
    has(
        &p,
        Code::HardcodedCredential,
        e,
        Some("config/dten.properties"),
        Some(7),
        &["dten.db.password", "9 characters"],
    );
    has(
        &p,
        Code::PrivilegeAssumption,
        e,
        Some("scripts/upgrade.sh"),
        Some(9),
        &["sudo", "sudo = false"],
    );
    has(
        &p,
        Code::UnitMissing,
        e,
        Some("scripts/upgrade.sh"),
        Some(16),
        &["restart", "dten-sync.service"],
    );
    has(
        &p,
        Code::LooseConstraint,
        w,
        None,
        None,
        &["postgresql >=14", "14.10"],
    );
    has(
        &p,
        Code::ConfigDeprecated,
        w,
        None,
        None,
        &["dten.sync.interval", "dten.sync.period"],
    );
    has(&p, Code::Reboot, w, None, None, &["recommends a reboot"]);
    has(
        &p,
        Code::MigrationWithoutLock,
        w,
        Some("sql/002-add-column.sql"),
        Some(3),
        &["ALTER TABLE"],
    );
    has(
        &p,
        Code::ScheduledTask,
        Severity::Info,
        Some("cron.d/dten-import"),
        Some(4),
        &["data-import", "0 3 * * *", "scripts/import.sh"],
    );
    // And nothing else: every finding of the story is listed above.
    assert_eq!(p.findings().len(), 12, "\n{}", show(p.findings()));
    assert!(!p.passed());
    // The secret itself appears nowhere.
    assert!(p.findings().iter().all(|f| !f.message.contains("Dten2019")));
    // Sorted: errors, then warnings, then infos; within them by location.
    let order: Vec<Severity> = p.findings().iter().map(|f| f.severity).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn the_clean_package_gives_no_error_and_no_warning() {
    let p = fixture(
        "clean",
        "clean-metadata.json",
        "clean-inventory.toml",
        "4.2.1",
    );
    assert!(
        p.findings().iter().all(|f| f.severity == Severity::Info),
        "\n{}",
        show(p.findings())
    );
    assert!(p.passed());
    has(
        &p,
        Code::ScheduledTask,
        Severity::Info,
        Some("cron.d/dten-report"),
        Some(3),
        &["usage-report", "30 4 * * *"],
    );
}

#[test]
fn chunking_threads_and_entry_order_do_not_change_the_observations() {
    let files = payload(&testdata("story"));
    let whole = scan(&files, usize::MAX);
    for chunk in [1, 2, 7, 64, 4095] {
        assert_eq!(scan(&files, chunk), whole, "chunk {chunk}");
    }
    let mut reversed = files.clone();
    reversed.reverse();
    assert_eq!(scan(&reversed, 3), whole);
    let s = Scan::new();
    std::thread::scope(|t| {
        for (i, (path, bytes)) in files.iter().enumerate() {
            let s = &s;
            t.spawn(move || feed(s, path, bytes, 5 + i, true));
        }
    });
    assert_eq!(s.finish(), whole);
}

#[test]
fn entries_that_did_not_verify_leave_nothing() {
    let files = payload(&testdata("story"));
    let s = Scan::new();
    for (path, bytes) in &files {
        feed(&s, path, bytes, 100, false);
    }
    // An entry abandoned mid-way (the pipeline stopped) is never ended.
    let mut e = s.entry(&entry("scripts/x.sh", 10)).unwrap();
    e.chunk(b"sudo reboot\n").unwrap();
    drop(e);
    assert_eq!(s.finish(), Observations::default());
}

#[test]
fn binary_entries_are_not_scanned() {
    let files = payload(&testdata("story"));
    let obs = scan(&files, 4096);
    assert!(obs.iter().all(|o| o.path != "bin/dten-agent"));
    // A NUL after the first 8 KiB does not make an entry binary.
    let mut late = "sudo true\n".repeat(SNIFF_BYTES / 10 + 1).into_bytes();
    late.push(0);
    let obs = scan(&[("x.sh".into(), late)], 1000);
    assert!(obs.iter().any(|o| matches!(o.seen, Seen::Privilege { .. })));
}

// ---- each check on snippets: it fires, it stays quiet ------------------------

const INVENTORY: &str = r#"version = 1
[installed]
dten-full-upgrade = "4.1.0"
[system]
units = ["dten-agent.service", "postgresql.service", "postgresql@.service", "nginx.service"]
sudo = false
[network]
reachable = ["updates.dten.example", "db.internal", "*.corp.example"]
"#;

/// The findings of `code` for one file `path` holding `text`, with no metadata.
fn snippet(code: Code, path: &str, text: &str) -> Vec<Finding> {
    let files = vec![(path.to_owned(), text.as_bytes().to_vec())];
    let m = manifest("dten-full-upgrade", "4.2.0", &files, Map::new());
    let inv = Inventory::from_toml(INVENTORY, "inventory.toml").unwrap();
    check(&m, &inv, &scan(&files, 3))
        .findings()
        .iter()
        .filter(|f| f.code == code)
        .cloned()
        .collect()
}

/// (file, content, line where it fires): the check must fire there.
type Fires<'a> = &'a [(&'a str, &'a str, u64)];
/// (file, content): the check must stay quiet.
type Quiet<'a> = &'a [(&'a str, &'a str)];

#[track_caller]
fn both_ways(code: Code, fires: Fires<'_>, quiet: Quiet<'_>) {
    for (path, text, line) in fires {
        let f = snippet(code, path, text);
        assert!(
            f.iter()
                .any(|f| f.path.as_deref() == Some(*path) && f.line == Some(*line)),
            "{code} should fire at {path}:{line} for {text:?}, got\n{}",
            show(&f)
        );
    }
    for (path, text) in quiet {
        let f = snippet(code, path, text);
        assert!(
            f.is_empty(),
            "{code} should stay quiet for {path}: {text:?}, got\n{}",
            show(&f)
        );
    }
}

#[test]
fn privilege_assumption_both_ways() {
    both_ways(
        Code::PrivilegeAssumption,
        &[
            ("a.sh", "#!/bin/sh\nsudo systemctl restart nginx\n", 2),
            ("a.sh", "cd /opt && sudo -u dten ./migrate\n", 1),
            ("a.sh", "echo ok; su - dten -c 'id'\n", 1),
            ("a.sh", "OUT=$(sudo cat /etc/shadow)\n", 1),
            ("a.sh", "if true; then sudo true; fi\n", 1),
            ("a.sh", "x | /usr/bin/sudo tee /etc/x\n", 1),
            (
                "install",
                "#!/bin/bash\n\nfind . -print0 | xargs -0 sudo chown dten\n",
                3,
            ),
            // A NUL early in a script does not hide it (dash skips it).
            ("upgrade", "#!/bin/sh\n# \0\nsudo true\n", 3),
            ("a.sh", "\0\nsudo true\n", 2),
        ],
        &[
            ("a.sh", "# run with sudo if needed\n"),
            ("a.sh", "echo \"do not use sudo here\"\n"),
            ("a.sh", "ssh -t pseudo-terminal.corp.example true\n"),
            ("a.sh", "cp sudoers.d/dten /tmp/x\n"),
            ("a.sh", "visudo -c -f /etc/sudoers\n"),
            ("a.sh", "result=success; echo $result\n"),
            ("a.sh", "usermod -aG sudo dten\n"),
            ("a.sh", "dten-agent --help | grep -q sudo\n"),
            ("README.md", "sudo ./install.sh\n"),
            ("app.conf", "run_as = sudo\n"),
        ],
    );
}

#[test]
fn unit_missing_both_ways() {
    both_ways(
        Code::UnitMissing,
        &[
            ("a.sh", "systemctl restart dten-sync.service\n", 1),
            ("a.sh", "systemctl --no-block stop dten-sync\n", 1),
            ("a.sh", "systemctl enable --now dten-report.timer\n", 1),
            ("a.sh", "service dten-legacy restart\n", 1),
            ("a.sh", "/etc/init.d/dten-legacy stop\n", 1),
            (
                "a.sh",
                "sudo systemctl reload-or-restart nginx dten-web\n",
                1,
            ),
            (
                "u.service",
                "[Service]\nExecStartPost=/bin/systemctl restart dten-sync.service\n",
                2,
            ),
        ],
        &[
            ("a.sh", "systemctl restart dten-agent.service\n"),
            (
                "etc/init.d/dten-legacy",
                "#!/bin/sh\n/etc/init.d/dten-legacy start\n",
            ),
            ("a.sh", "systemctl restart postgresql\n"),
            ("a.sh", "systemctl daemon-reload\n"),
            ("a.sh", "invoke-rc.d lighttpd reload || true\n"),
            ("a.sh", "systemctl try-restart dten-sync.service || :\n"),
            ("a.sh", "systemctl is-active dten-sync.service || true\n"),
            ("a.sh", "systemctl restart \"$UNIT\"\n"),
            ("a.sh", "# systemctl restart dten-sync.service\n"),
            ("a.sh", "echo 'systemctl restart dten-sync.service'\n"),
            ("a.sh", "systemctl status dten-*\n"),
            ("a.sh", "service --status-all\n"),
            // systemd ignores the failure of a `-` command, as `|| true`.
            (
                "systemd/dten-agent.service",
                "[Service]\nExecStartPre=-/bin/systemctl stop dten-sync.service\n",
            ),
            // An instance of a template the system has.
            ("a.sh", "systemctl restart postgresql@14-main\n"),
        ],
    );
}

#[test]
fn units_the_package_ships_are_not_missing() {
    let files = vec![
        (
            "scripts/a.sh".to_owned(),
            b"systemctl enable --now dten-report.timer\n".to_vec(),
        ),
        (
            "systemd/dten-report.timer".to_owned(),
            b"[Timer]\nOnCalendar=daily\n".to_vec(),
        ),
    ];
    let m = manifest("dten-full-upgrade", "4.2.0", &files, Map::new());
    let inv = Inventory::from_toml(INVENTORY, "inventory.toml").unwrap();
    let p = check(&m, &inv, &scan(&files, 10));
    assert!(
        p.findings().iter().all(|f| f.code != Code::UnitMissing),
        "{}",
        show(p.findings())
    );
}

#[test]
fn endpoint_unreachable_both_ways() {
    both_ways(
        Code::EndpointUnreachable,
        &[
            ("a.sh", "sftp -b batch dten@sftp-legacy.dten.example\n", 1),
            (
                "a.sh",
                "scp report.csv ops@files.partner.example:/drop/\n",
                1,
            ),
            (
                "a.sh",
                "rsync -az ./data/ backup.partner.example:/srv/dten/\n",
                1,
            ),
            (
                "a.sh",
                "curl -fsS https://telemetry.vendor.example/ping\n",
                1,
            ),
            (
                "a.sh",
                "wget -q -O - http://mirror.partner.example/x.tgz | tar xz\n",
                1,
            ),
            ("a.sh", "ssh -p 2222 -i key deploy@10.20.30.40 uptime\n", 1),
            ("a.sh", "nc -z legacy-db.partner.example 5432\n", 1),
            (
                "a.sh",
                "HOST=sftp.partner.example\nsftp \"dten@$HOST\"\n",
                2,
            ),
            (
                "a.sh",
                "psql -h pg.partner.example -d dten -c 'select 1'\n",
                1,
            ),
            (
                "a.sh",
                "git clone https://git.partner.example/dten/tools.git\n",
                1,
            ),
            (
                "dten.cron",
                "15 2 * * * curl -s https://hooks.partner.example/nightly\n",
                1,
            ),
        ],
        &[
            ("a.sh", "curl -fsS https://updates.dten.example/v4/\n"),
            ("a.sh", "ssh build.corp.example true\n"),
            ("a.sh", "curl http://localhost:8080/health\n"),
            ("a.sh", "curl -o out.txt \"$URL\"\n"),
            ("a.sh", "# sftp dten@sftp-legacy.dten.example\n"),
            ("a.sh", "nc -l 9000\n"),
            ("a.sh", "scp local.txt /tmp/copy.txt\n"),
            ("a.sh", "psql -h \"$PGHOST\" -d dten\n"),
            ("a.sh", "echo see https://docs.vendor.example/\n"),
            ("a.sh", "curl --help\n"),
        ],
    );
}

#[test]
fn external_endpoint_both_ways() {
    both_ways(
        Code::ExternalEndpoint,
        &[
            (
                "dten.properties",
                "dten.sync.url=https://sync.partner.example/api\n",
                1,
            ),
            ("app.yaml", "database:\n  host: pg.partner.example\n", 2),
            ("a.env", "SERVER=smtp.partner.example\n", 1),
            ("a.sh", "cat > /etc/dten/sync.conf <<EOF\nurl = https://sync.partner.example/\nEOF\n", 2),
            ("a.sh", "echo \"https://sync.partner.example/\" > /etc/dten/sync.url\n", 1),
            ("a.sh", "SYNC=https://sync.partner.example/api\n", 1),
            (
                "config.json",
                "{\n  \"endpoint\": \"metrics.partner.example:9090\"\n}\n",
                2,
            ),
            ("tool.py", "BASE = \"https://api.partner.example/v1\"\n", 1),
            ("context.xml", "<Resource name=\"db\" host=\"pg.partner.example\"/>\n", 1),
        ],
        &[
            ("dten.properties", "dten.sync.period=900\n"),
            ("dten.properties", "dten.db.host=db.internal\n"),
            ("systemd/dten-agent.service", "[Unit]\nDocumentation=https://docs.partner.example/agent man:dten-agent(8)\n"),
            ("nginx/dten.conf", "location / {\n    proxy_pass http://backend;\n}\n"),
            (
                "dten.properties",
                "# dten.sync.url=https://old.partner.example\n",
            ),
            ("app.yaml", "host: localhost\nport: 5432\n"),
            ("a.env", "SERVER_NAME=dten\n"),
            ("a.env", "DB_HOST=${DB_HOST}\n"),
            (
                "schema.xml",
                "<x xmlns=\"http://www.w3.org/2001/XMLSchema\"/>\n",
            ),
            (
                "README.md",
                "See https://docs.vendor.example/ for details.\n",
            ),
            (
                "app.conf",
                "logfile = /var/log/dten/app.log\nserver = nginx\n",
            ),
            ("a.sh", "cp dten.conf.example /etc/dten/dten.conf\n"),
            ("app.yaml", "url: https://updates.dten.example/v4\n"),
            ("a.sh", "echo \"see https://docs.vendor.example/\"\n"),
            ("a.sh", "warn \"See <https://wiki.debian.org/Teams/Dpkg/FAQ>.\" >&2\n"),
            ("a.sh", "sed -n 's/^Alias name: *debian://ip'\n"),
            ("a.sh", "cat <<EOF\nFor more information, refer to https://wiki.postgresql.org/wiki/Apt\nEOF\n"),
            ("a.sh", "update-xmlcatalog --add --id \"http://www.oasis-open.org/catalog.dtd\"\n"),
            ("tool.py", "# https://docs.python.org/3/library/os.html\n"),
            ("node_modules/x/package.json", "{\"homepage\": \"https://github.com/x/x\", \"repository\": {\"url\": \"git+https://github.com/x/x.git\"}}\n"),
            ("settings.xml", "<!-- Licensed under\n    http://www.apache.org/licenses/LICENSE-2.0\n-->\n<x/>\n"),
        ],
    );
}

#[test]
fn hardcoded_credential_both_ways() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";
    both_ways(
        Code::HardcodedCredential,
        &[
            ("dten.properties", "dten.db.password=Dten2019!\n", 1),
            ("a.sh", "export DB_PASSWORD='s3cr3t'\n", 1),
            ("app.yaml", "auth:\n  apiToken: \"9f8e7d6c5b4a\"\n", 2),
            ("config.json", "{\"client_secret\": \"abc123def\"}\n", 1),
            ("a.sh", "mysql -uroot -pSecret dten < x.sql\n", 1),
            ("a.sh", "dten-cli login --password=hunter2\n", 1),
            ("a.sh", "sshpass -p hunter2 ssh dten@db.internal\n", 1),
            (
                "a.sh",
                "curl -u admin:hunter2 https://updates.dten.example/\n",
                1,
            ),
            ("a.env", "API_KEY=changeme\n", 1),
            (
                "gpg.conf",
                "passphrase = \"correct horse battery staple\"\n",
                1,
            ),
            ("deploy_key", pem, 1),
            ("notes.txt", "key id AKIAZ7Q3N4K2LMW5R8TP\n", 1),
            ("a.sql", "CREATE USER dten IDENTIFIED BY 'Tr0ub4dor';\n", 1),
            (
                "app.conf",
                "sync = https://dten:hunter2@sync.corp.example/\n",
                1,
            ),
            ("tool.py", "PASSWORD = \"hunter2\"\n", 1),
            ("redis/redis.conf", "bind 127.0.0.1\nrequirepass Sup3rS3cret\n", 2),
            ("home/.netrc", "machine ftp.corp.example login dten password hunter22\n", 1),
            ("home/.pgpass", "db.internal:5432:dten:dten:Tr0ub4dor\n", 1),
            ("a.sh", "curl -H \"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x\" https://updates.dten.example/\n", 1),
            ("a.sh", "wget --header=\"Authorization: Basic ZHRlbjpodW50ZXIy\" https://updates.dten.example/\n", 1),
            // A name that starts like documentation, with a configuration extension.
            ("config/license-server.conf", "password = hunter22\n", 1),
            ("news-feed.yml", "api_token: 9f8e7d6c5b4a\n", 1),
            ("a.sh", "ROOT_PASSWORD2='Dten2019!'\n", 1),
            ("app.yaml", "aws_secret_access_key: wJalrXUtnFEMIK7MDENGbPxRfiCY\n", 1),
            ("app.ini", "X-Api-Key = 9f8e7d6c5b4a3\n", 1),
            (
                "settings.xml",
                "<server>\n  <password>hunter2</password>\n</server>\n",
                2,
            ),
            (
                "tomcat-users.xml",
                "<user username=\"admin\" password=\"s3cret\" roles=\"x\"/>\n",
                1,
            ),
        ],
        &[
            ("a.sh", "DB_PASSWORD=\"$1\"\n"),
            ("a.sh", "export PGPASSWORD=\"${DB_PASSWORD}\"\n"),
            ("a.sh", "TOKEN=$(cat /run/secrets/token)\n"),
            (
                "dten.properties",
                "dten.db.password_file=/etc/dten/db.pass\n",
            ),
            ("dten.properties", "dten.db.password=\n"),
            ("app.yaml", "password: \"{{ vault_db_password }}\"\n"),
            ("app.ini", "password = <your password here>\n"),
            ("app.ini", "password = ********\n"),
            ("app.ini", "; password = hunter2\n"),
            ("app.conf", "password_min_length = 12\ntoken_ttl = 3600\n"),
            ("a.sh", "read -rs -p 'Password: ' PASSWORD\n"),
            ("a.sh", "mysql -uroot -p dten\n"),
            ("a.sh", "psql --no-password dten\n"),
            ("tool.py", "password = os.environ[\"DB_PASSWORD\"]\n"),
            (
                "style.py",
                "    styles = {\n        Token:              '#ffffff',\n    }\n",
            ),
            (
                "client.py",
                "    def f():\n        oauth_token=\"ad180jjd733klru7\",\n",
            ),
            ("oid.py", "CHALLENGE_PASSWORD: \"challengePassword\",\n"),
            ("a.sh", "cat_passwd='getent passwd'\n"),
            (
                "a.sh",
                "sftp -b - -o \"ControlPath=$C\" \"ignored\" <<-EOF\n",
            ),
            ("url.py", "    'http://user:s3cret@host.example:80/path'\n"),
            ("README.md", "Set `password=...` in dten.properties.\n"),
            (
                "cert.pem",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            ),
            ("notes.txt", "AWS docs use AKIAIOSFODNN7EXAMPLE\n"),
            ("app.conf", "require_password = true\n"),
            ("redis/redis.conf", "# requirepass foobared\nrequirepass \"\"\n"),
            ("home/.pgpass", "db.internal:5432:*:dten:*\n"),
            ("nginx/site.conf", "ssl_password_file /etc/keys/global.pass;\nauth_basic \"Restricted Area\";\n"),
            ("app.conf", "token bucket size 100\n"),
            ("a.sh", "curl -H \"Authorization: Bearer $TOKEN\" https://updates.dten.example/\n"),
            ("a.sh", "curl -H 'Accept: application/json' https://updates.dten.example/\n"),
            ("etc/nsswitch.conf", "passwd:         files systemd\n"),
            // Keys about a credential, not holding one (the last word decides).
            ("postgresql.conf", "password_encryption = scram-sha-256\n"),
            (
                "auth.yaml",
                "token_expiry_seconds: 3600\ntoken_refresh_interval: 86400\npassword_reset_token_validity: 7200\n",
            ),
            ("auth.yaml", "password_hash_algo: bcrypt\npassword_encoder: argon2\n"),
            ("auth.yaml", "token_issuer: https://auth.corp.example\ntoken_audience: dten\ntoken_signing_alg: RS256\n"),
            ("app.conf", "secret_backend = vault\ntoken_cookie = dten_session\n"),
            ("a.sh", "PASS_COLOR='\\033[0;32m'\nPASS_MSG=\"OK\"\nSECRET_SUFFIX=.enc\n"),
            ("tool.py", "PASSWORD_CHARS = \"abcdefghijklmnop\"\nTOKEN_SCOPE = \"read:all\"\n"),
            (
                "openssl.cnf",
                "challengePassword\t\t= A challenge password\n",
            ),
            ("openssl.cnf", "secret = # disable PBM\n"),
            (
                "settings.xml",
                "<!--\n  <password>hunter2</password>\n  password = hunter2\n-->\n",
            ),
        ],
    );
}

#[test]
fn migration_without_lock_both_ways() {
    both_ways(
        Code::MigrationWithoutLock,
        &[
            ("001.sql", "-- add\nALTER TABLE t ADD COLUMN c int;\n", 2),
            ("002.sql", "BEGIN;\nCREATE INDEX i ON t (c);\nCOMMIT;\n", 2),
            (
                "a.sh",
                "psql -d dten -c 'ALTER TABLE jobs DROP COLUMN x'\n",
                1,
            ),
            (
                "a.sh",
                "mysql dten <<'SQL'\nUPDATE t SET a = 1;\nDROP TABLE old_jobs;\nSQL\n",
                3,
            ),
        ],
        &[
            (
                "001.sql",
                "SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN c int;\n",
            ),
            (
                "002.sql",
                "SELECT pg_advisory_lock(42);\nCREATE INDEX i ON t (c);\n",
            ),
            (
                "003.sql",
                "INSERT INTO t VALUES (1);\nUPDATE t SET c = 2;\n",
            ),
            ("004.sql", "-- ALTER TABLE t ADD COLUMN c int;\n"),
            (
                "005.sql",
                "SELECT set_config('lock_timeout', '3s', false);\nALTER TABLE t ADD COLUMN c int;\n",
            ),
            (
                "a.sh",
                "export PGOPTIONS=\"-c lock_timeout=5s\"\npsql -d dten -c 'ALTER TABLE t ADD c int'\n",
            ),
            (
                "a.sh",
                "flock /run/dten.lock psql -d dten -f 001.sql\npsql -c 'ALTER TABLE t ADD c int'\n",
            ),
            ("a.sh", "echo 'remember to ALTER TABLE later'\n"),
            (
                "a.sh",
                "flyway -url=jdbc:postgresql://db.internal/dten migrate\n",
            ),
            ("README.md", "ALTER TABLE statements run at install.\n"),
        ],
    );
}

#[test]
fn scheduled_task_both_ways() {
    both_ways(
        Code::ScheduledTask,
        &[
            (
                "cron.d/dten-clean",
                "# clean\n10 1 * * * root /opt/dten/bin/clean\n",
                2,
            ),
            (
                "etc/crontab",
                "SHELL=/bin/sh\n@daily dten /opt/dten/bin/rotate\n",
                2,
            ),
            ("dten.cron", "*/5 * * * * /opt/dten/bin/poll\n", 1),
            (
                "a.sh",
                "(crontab -l; echo \"0 3 * * * /opt/dten/import.sh\") | crontab -\n",
                1,
            ),
            (
                "a.sh",
                "crontab - <<EOF\n30 2 * * * /opt/dten/bin/sync\nEOF\n",
                2,
            ),
            (
                "a.sh",
                "cat > /etc/cron.d/dten <<EOF\n0 4 * * * root /opt/dten/bin/x\nEOF\n",
                2,
            ),
            (
                "systemd/dten-report.timer",
                "[Timer]\nOnCalendar=*-*-* 03:00:00\nPersistent=true\n",
                2,
            ),
            (
                "etc/cron.daily/dten",
                "#!/bin/sh\n/opt/dten/bin/rotate\n",
                1,
            ),
            (
                "a.sh",
                "echo '15 4 * * * root /opt/dten/bin/x' >> /etc/cron.d/dten2\n",
                1,
            ),
            (
                "a.sh",
                "echo \"0 5 * * * /opt/dten/bin/y\" | sudo tee -a /var/spool/cron/crontabs/root\n",
                1,
            ),
        ],
        &[
            ("a.sh", "# 0 3 * * * /opt/dten/import.sh\n"),
            ("a.sh", "echo '0 3 * * * /opt/dten/import.sh'\n"),
            ("cron.d/dten", "# nothing scheduled any more\nMAILTO=root\n"),
            ("a.sh", "crontab -l\n"),
            ("README.md", "Runs at 0 3 * * * every day.\n"),
            (
                "systemd/dten.service",
                "[Service]\nExecStart=/opt/dten/bin/agent\n",
            ),
        ],
    );
    // Undeclared ones are warnings; declared ones info.
    let f = snippet(
        Code::ScheduledTask,
        "dten.cron",
        "*/5 * * * * /opt/dten/bin/poll\n",
    );
    assert!(
        f.iter().all(|f| f.severity == Severity::Warning),
        "{}",
        show(&f)
    );
}

#[test]
fn manifest_checks() {
    let inv = Inventory::from_toml(
        r#"version = 1
[installed]
dten-full-upgrade = "4.2.3"
openssl = "1.1.1w-0+deb11u1"
[system]
units = []
[config]
"dten.hybrid.enable" = "false"
"#,
        "i.toml",
    )
    .unwrap();
    let meta = |json: &str| match serde_json::from_str(json).unwrap() {
        Value::Object(o) => o,
        _ => panic!(),
    };
    let run = |json: &str, version: &str| {
        check(
            &manifest("dten-full-upgrade", version, &[], meta(json)),
            &inv,
            &Observations::default(),
        )
    };
    let p = run(
        r#"{"requires": {"packages": {"openssl": ">=3.0, <4", "libpq": "^15"}}}"#,
        "4.3.0",
    );
    has(
        &p,
        Code::RequiresUnsatisfied,
        Severity::Error,
        None,
        None,
        &["openssl >=3.0, <4", "1.1.1w-0+deb11u1"],
    );
    has(
        &p,
        Code::RequiresUnsatisfied,
        Severity::Error,
        None,
        None,
        &["libpq ^15", "does not list libpq"],
    );
    let p = run(
        r#"{"upgrade_from": [">=4.0.0, <4.2.0"], "requires": {"min_version": "4.3.0"}}"#,
        "4.4.0",
    );
    has(
        &p,
        Code::UpgradePath,
        Severity::Error,
        None,
        None,
        &["only from \">=4.0.0, <4.2.0\"", "4.2.3"],
    );
    has(
        &p,
        Code::UpgradePath,
        Severity::Error,
        None,
        None,
        &["4.3.0 or later", "4.2.3"],
    );
    let p = run("{}", "4.1.0");
    has(
        &p,
        Code::UpgradePath,
        Severity::Error,
        None,
        None,
        &["older than the installed 4.2.3", "downgrade"],
    );
    assert!(run("{}", "4.2.3").findings().is_empty());
    let p = run(
        r#"{"config": {"required": {"dten.hybrid.enable": true}}}"#,
        "4.3.0",
    );
    has(
        &p,
        Code::ConfigRequired,
        Severity::Error,
        None,
        None,
        &["dten.hybrid.enable", "= true", "\"false\""],
    );
    let p = run(r#"{"services": ["dten-agent"], "reboot": true}"#, "4.3.0");
    has(
        &p,
        Code::UnitMissing,
        Severity::Error,
        None,
        None,
        &["dten-agent.service"],
    );
    has(
        &p,
        Code::Reboot,
        Severity::Warning,
        None,
        None,
        &["requires a reboot"],
    );
    let p = run(
        r#"{"requires": {"packages": {"openssl": "newest"}}, "reboot": "maybe"}"#,
        "4.3.0",
    );
    has(
        &p,
        Code::MetadataInvalid,
        Severity::Error,
        None,
        None,
        &["requires.packages.openssl", "vendor wrote this key wrongly"],
    );
    has(
        &p,
        Code::MetadataInvalid,
        Severity::Error,
        None,
        None,
        &["`reboot`"],
    );
    // A product that is not installed: info without an upgrade path, error with one.
    let other = |json: &str| {
        check(
            &manifest("dten-new", "1.0.0", &[], meta(json)),
            &inv,
            &Observations::default(),
        )
    };
    has(
        &other("{}"),
        Code::UpgradePath,
        Severity::Info,
        None,
        None,
        &["new installation"],
    );
    has(
        &other(r#"{"upgrade_from": [">=0.9"]}"#),
        Code::UpgradePath,
        Severity::Error,
        None,
        None,
        &["does not list dten-new"],
    );
}

#[test]
fn privilege_severity_follows_the_inventory() {
    let files = vec![("a.sh".to_owned(), b"sudo true\n".to_vec())];
    let m = manifest("p", "1.0.0", &files, Map::new());
    let obs = scan(&files, 4);
    for (sudo, severity) in [
        ("sudo = false", Severity::Error),
        ("sudo = true", Severity::Info),
        ("", Severity::Warning),
    ] {
        let inv =
            Inventory::from_toml(&format!("version = 1\n[system]\n{sudo}\n"), "i.toml").unwrap();
        let p = check(&m, &inv, &obs);
        has(
            &p,
            Code::PrivilegeAssumption,
            severity,
            Some("a.sh"),
            Some(1),
            &["sudo"],
        );
    }
}

// ---- bounds -------------------------------------------------------------------

#[test]
fn a_100_mib_single_line_entry_is_read_within_the_bounds() {
    let s = Scan::new();
    let mut e = s.entry(&entry("huge.sh", 100 << 20)).unwrap();
    let chunk = vec![b'a'; 1 << 16];
    e.chunk(b"sudo true\npassword=").unwrap();
    for _ in 0..(100 << 4) {
        e.chunk(&chunk).unwrap();
    }
    e.end(true).unwrap();
    let obs = s.finish();
    // Line 1 is seen; line 2 (the long one) is read up to MAX_LINE: its
    // value is a literal credential cut short, and nothing past it exists.
    let kinds: Vec<(u64, &Seen)> = obs.iter().map(|o| (o.line, &o.seen)).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(
        matches!(kinds.iter().find(|(l, _)| *l == 2), Some((_, Seen::Credential { what })) if what.contains(&format!("({} characters)", MAX_LINE - "password=".len())))
    );
}

#[test]
fn the_line_buffer_and_the_scanned_bytes_stay_bounded() {
    let mut lines = super::scan::tests_support::lines();
    let mut detect = super::scan::tests_support::detect("x.sh");
    let chunk = vec![b'x'; 1 << 16];
    for _ in 0..64 {
        lines.feed(&chunk, &mut detect);
        assert!(super::scan::tests_support::buffered(&lines) <= MAX_LINE);
    }
    assert_eq!(super::scan::tests_support::seen(&lines), SCAN_BYTES);
}

#[test]
fn a_million_hosts_keep_the_findings_capped() {
    let s = Scan::new();
    let mut e = s.entry(&entry("hosts.sh", 0)).unwrap();
    for i in 0..1_000_000u32 {
        e.chunk(format!("curl -s https://h{i}.partner.example/\n").as_bytes())
            .unwrap();
    }
    e.end(true).unwrap();
    // And many entries, each with a credential, from several threads.
    std::thread::scope(|t| {
        for k in 0..4 {
            let s = &s;
            t.spawn(move || {
                for i in 0..100 {
                    feed(
                        s,
                        &format!("conf/{k}-{i:03}.properties"),
                        b"db.password=hunter2\n",
                        7,
                        true,
                    );
                }
            });
        }
    });
    let obs = s.finish();
    assert_eq!(
        obs.iter()
            .filter(|o| matches!(o.seen, Seen::Host { .. }))
            .count(),
        MAX_KEPT
    );
    assert_eq!(
        obs.iter()
            .filter(|o| matches!(o.seen, Seen::Credential { .. }))
            .count(),
        MAX_KEPT
    );
    // The credentials kept are the first by path, whatever the threads did.
    let first = obs
        .iter()
        .find(|o| matches!(o.seen, Seen::Credential { .. }))
        .unwrap();
    assert_eq!(first.path, "conf/0-000.properties");
    // Only the first SCAN_BYTES were read: about 35,000 lines, not a million.
    let scanned_lines = SCAN_BYTES / "curl -s https://h0.partner.example/\n".len() as u64;
    assert!(obs.dropped(0) + MAX_KEPT as u64 <= scanned_lines + 1);
    assert!(obs.dropped(0) > 10_000);
    assert_eq!(obs.dropped(1), 300);

    let m = manifest("p", "1.0.0", &[], Map::new());
    let inv = Inventory::from_toml(INVENTORY, "i.toml").unwrap();
    let p = check(&m, &inv, &obs);
    let unreachable: Vec<&Finding> = p
        .findings()
        .iter()
        .filter(|f| f.code == Code::EndpointUnreachable)
        .collect();
    // The hosts not kept connect too: they are counted as what they are,
    // unreachable endpoints (an error), not as mere names.
    assert_eq!(unreachable.len(), MAX_FINDINGS_PER_CODE + 1);
    let credentials: Vec<&Finding> = p
        .findings()
        .iter()
        .filter(|f| f.code == Code::HardcodedCredential)
        .collect();
    assert_eq!(credentials.len(), MAX_FINDINGS_PER_CODE + 1);
    assert!(
        credentials
            .iter()
            .any(|f| f.message.starts_with("and 300 more")),
        "{}",
        show(p.findings())
    );
    assert!(p
        .findings()
        .iter()
        .any(|f| f.code == Code::EndpointUnreachable
            && f.severity == Severity::Error
            && f.message
                .starts_with(&format!("and {} more", obs.dropped(0)))));
    assert!(!p
        .findings()
        .iter()
        .any(|f| f.code == Code::ExternalEndpoint));
}

/// Harmless observations (hosts the inventory lists as reachable, units it
/// has) never crowd a finding out of the bounds: with the inventory known
/// while scanning, they are not kept at all. Many reachable hosts, then one
/// unreachable: the unreachable one is still an error; many restarts of a
/// unit the system has are no finding.
#[test]
fn harmless_observations_do_not_crowd_out_findings() {
    let inv = std::sync::Arc::new(Inventory::from_toml(INVENTORY, "i.toml").unwrap());
    let s = Scan::for_inventory(std::sync::Arc::clone(&inv));
    let mut files: Vec<(String, Vec<u8>)> = (0..150)
        .map(|i| {
            (
                format!("scripts/a{i:03}.sh"),
                b"#!/bin/sh\ncurl -fsS https://updates.dten.example/ping\nsystemctl restart dten-agent.service\n".to_vec(),
            )
        })
        .collect();
    let mut many = String::from("#!/bin/sh\n");
    for _ in 0..150 {
        many.push_str(
            "curl -fsS https://updates.dten.example/ping\nsystemctl restart dten-agent.service\n",
        );
    }
    many.push_str("scp x backup@retired.dten.example:/in/\n");
    files.push(("scripts/zz.sh".into(), many.into_bytes()));
    for (path, bytes) in &files {
        feed(&s, path, bytes, 64, true);
    }
    let obs = s.finish();
    let m = manifest("p", "1.0.0", &[], Map::new());
    let p = check(&m, &inv, &obs);
    let codes: Vec<(Code, Severity)> = p.findings().iter().map(|f| (f.code, f.severity)).collect();
    assert!(
        codes.contains(&(Code::EndpointUnreachable, Severity::Error)),
        "{}",
        show(p.findings())
    );
    assert!(!p.passed());
    assert!(
        !codes
            .iter()
            .any(|(c, _)| *c == Code::UnitMissing || *c == Code::ExternalEndpoint),
        "{}",
        show(p.findings())
    );
}

/// Lines built from the fragments the scanner reacts to, in every kind of
/// entry, chunked at random: nothing panics and the caps hold. (The fuzz
/// target `preflight` does this with coverage guidance.)
#[test]
fn arbitrary_fragments_never_panic() {
    const FRAGMENTS: &[&str] = &[
        "sudo ",
        "su -c '",
        "\"",
        "'",
        "$",
        "${",
        "}",
        "$(",
        ")",
        "`",
        "\\",
        "<<",
        "<<-EOF",
        "EOF",
        "EOF\n",
        ";",
        "&&",
        "|",
        "#",
        "\n",
        "\r\n",
        " ",
        "=",
        ": ",
        "password",
        "_file",
        "host",
        "https://",
        "user:pw@",
        "[::1]",
        "é",
        "\u{1b}",
        "systemctl restart ",
        "service x stop",
        "curl ",
        "sftp ",
        "scp a b:c",
        "ALTER TABLE ",
        "/*",
        "*/",
        "--",
        "0 3 * * * ",
        "@daily ",
        "crontab -",
        "echo ",
        "OnCalendar=",
        "Unit=",
        "ExecStart=",
        "-----BEGIN RSA PRIVATE KEY-----",
        "AKIA",
        "ghp_",
        "xoxb-",
        "psql -h ",
        "mysql -p",
        "--password=",
        "flock ",
        "a.example",
        "\u{0}",
        "\t",
        "{",
        "[",
        "]",
        ",",
        "-",
        "*",
        "~",
        "1:2.3-4~5",
    ];
    const PATHS: &[&str] = &[
        "a.sh",
        "cron.d/x",
        "x.cron",
        "a.properties",
        "a.yaml",
        "a.json",
        "a.sql",
        "x.timer",
        "x.service",
        "bin/tool",
        "etc/cron.daily/x",
        "README.md",
        "a.py",
        ".env",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let mut text = String::new();
        for _ in 0..(next() % 400) {
            text.push_str(FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]);
        }
        let path = PATHS[round % PATHS.len()];
        let files = vec![(path.to_owned(), text.into_bytes())];
        let obs = scan(&files, 1 + (next() % 97) as usize);
        for kind in 0..6 {
            assert!(obs.iter().filter(|o| o.seen.kind() == kind).count() <= MAX_KEPT);
        }
        let m = manifest("p", "1.0", &files, Map::new());
        let inv = Inventory::from_toml(INVENTORY, "i.toml").unwrap();
        let _ = check(&m, &inv, &obs);
    }
}

/// Installed versions as tools print them: a leading `v` is the version
/// that follows it (`kubectl`, `node`); text before the number cannot be
/// compared, and a check that needs it says so (an error), never guesses.
#[test]
fn installed_versions_with_a_prefix() {
    let inv = Inventory::from_toml(
        "version = 1\n[installed]\nkubectl = \"v1.20.0\"\nnode = \"v18.19.1\"\n",
        "i.toml",
    )
    .unwrap();
    let meta: Map<String, Value> = serde_json::from_str(
        r#"{"requires": {"packages": {"kubectl": ">=1.25, <1.30", "node": ">=18, <21"}}}"#,
    )
    .unwrap();
    let p = check(
        &manifest("p", "1.0.0", &[], meta),
        &inv,
        &Observations::default(),
    );
    let unsatisfied: Vec<&Finding> = p
        .findings()
        .iter()
        .filter(|f| f.code == Code::RequiresUnsatisfied)
        .collect();
    assert_eq!(unsatisfied.len(), 1, "{}", show(p.findings()));
    assert!(
        unsatisfied[0].message.contains("kubectl 1.20.0"),
        "{}",
        unsatisfied[0].message
    );
    // Text before the number: the inventory is taken (installed versions
    // are the system's words), and a check that needs the comparison is an
    // error that says it cannot be made, never a guess.
    for bad in ["OpenSSL 1.1.1w", "version 3", "trunk", "~1.0"] {
        let text = format!("version = 1\n[installed]\nx = \"{bad}\"\np = \"{bad}\"\n");
        let inv = Inventory::from_toml(&text, "i.toml").unwrap();
        let meta: Map<String, Value> = serde_json::from_str(
            r#"{"requires": {"packages": {"x": ">=1.0, <9"}}, "upgrade_from": [">=1.0"]}"#,
        )
        .unwrap();
        let p = check(
            &manifest("p", "2.0.0", &[], meta),
            &inv,
            &Observations::default(),
        );
        for code in [Code::RequiresUnsatisfied, Code::UpgradePath] {
            let f = p
                .findings()
                .iter()
                .find(|f| f.code == code)
                .unwrap_or_else(|| panic!("{bad}: {}", show(p.findings())));
            assert_eq!(f.severity, Severity::Error);
            assert!(f.message.contains("cannot be"), "{bad}: {}", f.message);
        }
    }
    // An epoch is a number before a colon: still a version.
    let inv =
        Inventory::from_toml("version = 1\n[installed]\nx = \"1:2.3-4\"\n", "i.toml").unwrap();
    let meta: Map<String, Value> =
        serde_json::from_str(r#"{"requires": {"packages": {"x": ">=2.0, <3"}}}"#).unwrap();
    let p = check(
        &manifest("p", "1.0.0", &[], meta),
        &inv,
        &Observations::default(),
    );
    assert!(
        !p.findings()
            .iter()
            .any(|f| f.code == Code::RequiresUnsatisfied),
        "{}",
        show(p.findings())
    );
}

/// A line cut at the line bound, or an entry cut at the scan bound, does
/// not make a host of a cut token (`updates.dten.example` cut to
/// `updates.dt`): the cut line is read up to its last separator.
#[test]
fn a_cut_line_names_no_cut_host() {
    let inv = Inventory::from_toml(INVENTORY, "i.toml").unwrap();
    let m = manifest("p", "1.0.0", &[], Map::new());
    let mut line_cut = String::from("#!/bin/sh\ncurl -H \"X-Pad: ");
    line_cut.push_str(&"A".repeat(MAX_LINE - 30));
    line_cut.push_str("\" https://updates.dten.example/x\n");
    let mut entry_cut = String::from("#!/bin/sh\n");
    while (entry_cut.len() as u64) < SCAN_BYTES - 20 {
        entry_cut.push_str("echo ok\n");
    }
    entry_cut.push_str("curl https://updates.dten.example/x\n");
    for (what, text) in [("line", line_cut), ("entry", entry_cut)] {
        let files = vec![("a.sh".to_owned(), text.into_bytes())];
        let obs = scan(&files, 4096);
        let p = check(&m, &inv, &obs);
        assert!(
            !p.findings()
                .iter()
                .any(|f| matches!(f.code, Code::EndpointUnreachable | Code::ExternalEndpoint)),
            "{what}: {}",
            show(p.findings())
        );
    }
}

/// A unit the package ships as a template provides its instances.
#[test]
fn a_shipped_template_provides_its_instances() {
    let inv = Inventory::from_toml(INVENTORY, "i.toml").unwrap();
    let files = vec![
        (
            "systemd/dten-worker@.service".to_owned(),
            b"[Service]\nExecStart=/opt/dten/bin/worker %i\n".to_vec(),
        ),
        (
            "scripts/post.sh".to_owned(),
            b"#!/bin/sh\nsystemctl enable --now dten-worker@1.service\nsystemctl restart dten-gone@1.service\n".to_vec(),
        ),
    ];
    let m = manifest("dten-full-upgrade", "4.2.0", &files, Map::new());
    let p = check(&m, &inv, &scan(&files, 7));
    let missing: Vec<&Finding> = p
        .findings()
        .iter()
        .filter(|f| f.code == Code::UnitMissing)
        .collect();
    assert_eq!(missing.len(), 1, "{}", show(p.findings()));
    assert!(
        missing[0].message.contains("dten-gone@1.service"),
        "{}",
        missing[0].message
    );
}

/// LF, CRLF and a lone CR each end a line, however the bytes are chunked:
/// a CR-only `.properties` file is read line by line, and CRLF counts once.
#[test]
fn line_endings_lf_crlf_and_cr() {
    for chunk in 1..=9 {
        for (text, line) in [
            ("a=1\rdb.password=hunter22\r", 2),
            ("a=1\r\nb=2\r\ndb.password=hunter22\r\n", 3),
            ("a=1\n\rdb.password=hunter22\n", 3),
            ("a=1\r\n\r\ndb.password=hunter22", 3),
        ] {
            let files = vec![("app.properties".to_owned(), text.as_bytes().to_vec())];
            let obs = scan(&files, chunk);
            let lines: Vec<u64> = obs
                .iter()
                .filter(|o| matches!(o.seen, Seen::Credential { .. }))
                .map(|o| o.line)
                .collect();
            assert_eq!(lines, vec![line], "chunk {chunk}: {text:?}");
        }
    }
}

/// The manifest's `services` may name a unit the package ships itself: it
/// is not missing, by the same rule as a script's `systemctl` (one rule).
#[test]
fn a_service_the_package_ships_is_not_missing() {
    let inv = Inventory::from_toml(INVENTORY, "i.toml").unwrap();
    let files = vec![(
        "systemd/dten-report.service".to_owned(),
        b"[Service]\nExecStart=/opt/dten/bin/report\n".to_vec(),
    )];
    let meta: Map<String, Value> =
        serde_json::from_str(r#"{"services": ["dten-report.service", "dten-gone.service"]}"#)
            .unwrap();
    let m = manifest("dten-full-upgrade", "4.2.0", &files, meta);
    let p = check(&m, &inv, &scan(&files, 64));
    let missing: Vec<&Finding> = p
        .findings()
        .iter()
        .filter(|f| f.code == Code::UnitMissing)
        .collect();
    assert_eq!(missing.len(), 1, "{}", show(p.findings()));
    assert!(
        missing[0].message.contains("dten-gone.service"),
        "{}",
        missing[0].message
    );
}
