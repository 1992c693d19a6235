#!/usr/bin/env python3
"""Extraction benchmark: `verify --extract` against `unzip` on the same files.

Uses the 1 GiB stored and deflated packages of bench/compare.py (generated
at run time the same way, or reused with --keep DIR), and times, alternating
in one run, each writing into a fresh directory of the same file system:

  verify --extract DIR PACKAGE            (from the file, flushed)
  verify --extract DIR --no-sync PACKAGE  (the flushes' cost, by difference)
  cat PACKAGE | verify --extract DIR -    (standard input through a pipe)
  unzip -q -o PACKAGE -d DIR

into a tmpfs (/dev/shm) by default, or --target DIR (a real disk, to see
what the flushes cost there). Prints medians, ratios to unzip, peak RSS,
and checks the targets of issue 14. The directories are removed between
runs, untimed.

Usage: bench/extract.py [--runs N] [--scale F] [--keep DIR] [--target DIR]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import MiB, PKI, ROOT, VERIFY, gib_sizes, make_tree, package  # noqa: E402

import random  # noqa: E402


def timed(cmd, shell_stdin=None):
    """Wall time and peak RSS (KiB) of the verifier (or unzip) in one run."""
    if shell_stdin:
        # cat PACKAGE | /usr/bin/time -f %M CMD...: the pipe as an operator has it.
        line = "cat %s | /usr/bin/time -f %%M %s" % (
            shlex_quote(shell_stdin), " ".join(shlex_quote(c) for c in cmd))
        full = ["sh", "-c", line]
    else:
        full = ["/usr/bin/time", "-f", "%M"] + cmd
    start = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (p.returncode, " ".join(full), p.stderr.decode()[-2000:]))
    rss = int(p.stderr.decode().strip().splitlines()[-1])
    return wall, rss


def shlex_quote(s):
    import shlex
    return shlex.quote(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep", help="directory holding (or to keep) the generated packages")
    ap.add_argument("--target", default="/dev/shm", help="file system to extract into")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--examples", "--quiet"], cwd=ROOT, check=True)
    work = args.keep or tempfile.mkdtemp(prefix="pkgverify-bench-")
    os.makedirs(work, exist_ok=True)
    s = args.scale
    sizes = gib_sizes(s, random.Random(20261124))
    packages = {}
    for name, stored in (("stored-1g", True), ("deflated-1g", False)):
        fill = lambda tree, sizes, rng: make_tree(tree, sizes, rng, True)
        packages[name] = package(work, name, sizes, stored, fill)

    scratch = tempfile.mkdtemp(prefix="pkgverify-extract-", dir=args.target)
    dest = os.path.join(scratch, "out")
    root = ["--root", os.path.join(PKI, "root-g2.pem"), "--quiet"]
    results = {}
    for name, pkg in packages.items():
        cmds = {
            "verify --extract": ([VERIFY] + root + ["--extract", dest, pkg], None),
            "verify --extract --no-sync": ([VERIFY] + root + ["--extract", dest, "--no-sync", pkg], None),
            "cat | verify --extract -": ([VERIFY] + root + ["--extract", dest, "-"], pkg),
            "unzip -q -o -d": (["unzip", "-q", "-o", pkg, "-d", dest], None),
        }
        runs = {k: [] for k in cmds}
        for _ in range(args.runs):
            for k, (cmd, stdin) in cmds.items():
                shutil.rmtree(dest, ignore_errors=True)
                subprocess.run(["sync"])
                runs[k].append(timed(cmd, stdin))
        shutil.rmtree(dest, ignore_errors=True)
        med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        rss = {k: max(r for _, r in v) for k, v in runs.items()}
        results[name] = (med, rss)
        print("\n%s  (%.1f MiB file) into %s" % (name, os.path.getsize(pkg) / MiB, args.target))
        for k in cmds:
            print("  %-28s median %7.3f s  peak RSS %7.1f MiB  %.2fx unzip"
                  % (k, med[k], rss[k] / 1024, med[k] / med["unzip -q -o -d"]))
        print("  %-28s %7.3f s" % ("flushes (by difference)", med["verify --extract"] - med["verify --extract --no-sync"]))

    print("\nTargets (issue 14):")

    def check(label, value, target):
        print("  %-50s %6.2f  (target <= %.2f) %s" % (label, value, target, "ok" if value <= target else "MISSED"))
    m = results["stored-1g"][0]
    check("stored, file / unzip", m["verify --extract"] / m["unzip -q -o -d"], 0.20)
    check("stored, stdin through a pipe / unzip", m["cat | verify --extract -"] / m["unzip -q -o -d"], 0.40)
    m = results["deflated-1g"][0]
    check("deflated, file / unzip", m["verify --extract"] / m["unzip -q -o -d"], 0.30)
    shutil.rmtree(scratch, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
