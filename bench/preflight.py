#!/usr/bin/env python3
"""Preflight benchmark: what `--preflight` adds to verification (issue 17).

Uses the 1 GiB stored and deflated packages of bench/compare.py (generated
at run time the same way, or reused with --keep DIR), and a third 1 GiB
package of text (shell scripts and configuration lines, the scan's worst
case: every entry is text, and the scan reads the first 1 MiB of each).
Times, alternating in one run: `verify FILE` and `verify - < FILE`, each
with and without `--preflight INVENTORY`, and `openssl dgst -sha256 FILE`
and `unzip -tq FILE` for scale. Prints medians, the cost of the scan by
difference, and peak RSS.

Usage: bench/preflight.py [--runs N] [--scale F] [--keep DIR]
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import MiB, PKI, ROOT, VERIFY, gib_sizes, make_tree, package, timed  # noqa: E402

# Lines of the kind an upgrade package's scripts and configuration hold,
# with hosts, credentials-like keys, units and SQL the scan looks at.
LINES = [
    "#!/bin/sh",
    "set -eu",
    "systemctl restart dten-agent.service",
    "curl -fsS https://updates.dten.example/v2/manifest -o /tmp/m.json",
    "rsync -a /var/lib/dten/ backup@db.internal:/srv/backup/dten/",
    "dten.sync.period = 30",
    "dten.endpoint.url = https://api.partner.example/v1",
    "DB_PASSWORD=\"${DB_PASSWORD:?}\"",
    "ALTER TABLE events ADD COLUMN source text;",
    "echo \"upgrading $(hostname) at $(date -u)\"",
    "if [ -f /etc/dten/dten.conf ]; then . /etc/dten/dten.conf; fi",
    "# see https://docs.dten.example/upgrade for details",
]


def text_tree(path, sizes, rng):
    for i, size in enumerate(sizes):
        sub = os.path.join(path, "d%03d" % (i % 97))
        os.makedirs(sub, exist_ok=True)
        out = bytearray()
        while len(out) < size:
            out += ("\n".join(rng.choices(LINES, k=64)) + "\n").encode()
        ext = (".sh", ".conf", ".sql")[i % 3]
        with open(os.path.join(sub, "f%06d%s" % (i, ext)), "wb") as f:
            f.write(bytes(out[:size]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep", help="directory holding (or to keep) the generated packages")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--examples", "--quiet"], cwd=ROOT, check=True)
    work = args.keep or tempfile.mkdtemp(prefix="pkgverify-bench-")
    os.makedirs(work, exist_ok=True)
    s = args.scale
    sizes = gib_sizes(s, random.Random(20261124))
    packages = {}
    binary = lambda tree, sizes, rng: make_tree(tree, sizes, rng, True)
    for name, stored, fill in (
        ("stored-1g", True, binary),
        ("deflated-1g", False, binary),
        ("text-1g", False, text_tree),
    ):
        packages[name] = package(work, name, sizes, stored, fill)

    inventory = os.path.join(work, "inventory.toml")
    with open(inventory, "w") as f:
        f.write('version = 1\n[system]\nunits = ["dten-agent.service"]\nsudo = false\n'
                '[network]\nreachable = ["updates.dten.example", "db.internal"]\n')
    root = ["--root", os.path.join(PKI, "root-g2.pem"), "--quiet"]
    pre = ["--preflight", inventory]
    for name, pkg in packages.items():
        cmds = {
            "verify file": ([VERIFY] + root + [pkg], None),
            "verify file --preflight": ([VERIFY] + root + pre + [pkg], None),
            "verify stdin": ([VERIFY] + root + ["-"], pkg),
            "verify stdin --preflight": ([VERIFY] + root + pre + ["-"], pkg),
            "openssl dgst -sha256": (["openssl", "dgst", "-sha256", pkg], None),
            "unzip -tq": (["unzip", "-tq", pkg], None),
        }
        runs = {k: [] for k in cmds}
        for _ in range(args.runs):
            for k, (cmd, stdin) in cmds.items():
                # Exit 3 (a preflight error) is an answer here, not a failure.
                runs[k].append(timed(cmd, stdin, ok=(0, 3)))
        med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        rss = {k: max(r for _, r in v) for k, v in runs.items()}
        print("\n%s  (%.1f MiB file)" % (name, os.path.getsize(pkg) / MiB))
        for k in cmds:
            print("  %-26s median %7.3f s  peak RSS %7.1f MiB  %.2fx openssl  %.2fx unzip"
                  % (k, med[k], rss[k] / 1024, med[k] / med["openssl dgst -sha256"], med[k] / med["unzip -tq"]))
        for mode in ("file", "stdin"):
            base, with_scan = med["verify " + mode], med["verify %s --preflight" % mode]
            print("  %-26s %+7.3f s (%+.0f%%)" % ("scan cost, " + mode, with_scan - base, 100 * (with_scan - base) / base))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
