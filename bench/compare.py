#!/usr/bin/env python3
"""Whole-process benchmark: the example verifier against peers on the same files.

Generates the packages at run time (never committed) in a scratch directory,
signs them with the example signer, then times, alternating in one run,
`verify FILE`, `verify - < FILE`, `openssl dgst -sha256 FILE`, `unzip -tq
FILE`, and `7zz t` / `jarsigner -verify` where installed. Prints medians,
ratios to the peers, peak RSS, and checks the targets of issue 3.

Usage: bench/compare.py [--runs N] [--scale F] [--keep DIR] [--quick]
  --scale 0.1 makes every package a tenth the size (for a smoke run).
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKI = os.path.join(ROOT, "testdata", "pki")
VERIFY = os.path.join(ROOT, "target", "release", "examples", "verify")
SIGN = os.path.join(ROOT, "target", "release", "examples", "sign")
MiB = 1 << 20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def content(rng, size, compressible):
    """Deterministic bytes: random, or a mix that deflates to about a third."""
    if not compressible:
        return rng.randbytes(size)
    words = [rng.randbytes(rng.randint(3, 9)) for _ in range(512)]
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.25:
            out += rng.randbytes(4096)
        else:
            out += b" ".join(rng.choices(words, k=600))
    return bytes(out[:size])


def make_tree(path, sizes, rng, compressible):
    for i, size in enumerate(sizes):
        sub = os.path.join(path, "d%03d" % (i % 97))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "f%06d" % i), "wb") as f:
            f.write(content(rng, size, compressible))


def gib_sizes(scale, rng):
    """The 1 GiB packages' file sizes: 200 files from 1 KiB to 64 MiB
    summing to 1 GiB (times `scale`), plus 5,000 tiny files drawn from
    `rng` (random.Random(20261124) in every benchmark)."""
    big = [int(1024 * (64 * 1024) ** (i / 199)) for i in range(200)]
    big = [max(1024, int(x * (1 << 30) / sum(big) * scale)) for x in big]
    tiny = [rng.randint(16, 256) for _ in range(int(5000 * min(1, scale * 10)))]
    return big + tiny


def package(work, name, sizes, stored, fill):
    """`work/name.zip`: kept if it is there, else its tree written by
    `fill(tree, sizes, rng)` and signed (stored or deflated)."""
    out = os.path.join(work, name + ".zip")
    if not os.path.exists(out):
        tree = os.path.join(work, name + ".d")
        shutil.rmtree(tree, ignore_errors=True)
        log("generating", name, "(%d files, %.0f MiB)" % (len(sizes), sum(sizes) / MiB))
        fill(tree, sizes, random.Random(name))
        sign(tree, out, stored)
        shutil.rmtree(tree)
    return out


def sign(tree, out, stored):
    cmd = [SIGN, "--name", "bench", "--version", "1",
           "--key", os.path.join(PKI, "signer-p256.key"),
           "--cert", os.path.join(PKI, "signer-p256-chain.pem"),
           "--out", out, tree]
    if stored:
        cmd.insert(1, "--stored")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def timed(cmd, stdin_path=None, ok=(0,)):
    """Wall time and peak RSS (KiB) of one run, via /usr/bin/time; an exit
    status outside `ok` stops the benchmark."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdin=stdin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if stdin_path:
        stdin.close()
    if p.returncode not in ok:
        raise SystemExit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.decode()[-2000:]))
    rss = int(p.stderr.decode().strip().splitlines()[-1])
    return wall, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep", help="directory to keep the generated packages in")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--examples", "--quiet"], cwd=ROOT, check=True)
    work = args.keep or tempfile.mkdtemp(prefix="pkgverify-bench-")
    os.makedirs(work, exist_ok=True)
    rng = random.Random(20261124)
    s = args.scale
    gib = gib_sizes(s, rng)

    packages = {}
    specs = [
        ("stored-1g", gib, True, True),
        ("deflated-1g", gib, True, False),
        ("small-200k", [rng.randint(1000, 20000) for _ in range(20)], False, False),
        ("entries-1k", [64] * 1000, False, True),
        ("entries-100k", [64] * int(100000 * min(1, s * 10)), False, True),
    ]
    for name, sizes, compressible, stored in specs:
        fill = lambda tree, sizes, rng, c=compressible: make_tree(tree, sizes, rng, c)
        packages[name] = package(work, name, sizes, stored, fill)

    root = ["--root", os.path.join(PKI, "root-g2.pem")]
    have = lambda tool: shutil.which(tool) is not None
    results = {}
    for name, pkg in packages.items():
        cmds = {
            "verify file": ([VERIFY] + root + [pkg], None),
            "verify stdin": ([VERIFY] + root + ["-"], pkg),
            "openssl dgst -sha256": (["openssl", "dgst", "-sha256", pkg], None),
            "unzip -tq": (["unzip", "-tq", pkg], None),
        }
        if have("7zz"):
            cmds["7zz t"] = (["7zz", "t", pkg], None)
        if have("jarsigner") and not name.startswith("entries"):
            cmds["jarsigner -verify"] = (["jarsigner", "-verify", pkg], None)
        runs = {k: [] for k in cmds}
        for _ in range(args.runs):
            for k, (cmd, stdin) in cmds.items():
                runs[k].append(timed(cmd, stdin))
        med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        rss = {k: max(r for _, r in v) for k, v in runs.items()}
        results[name] = (med, rss)
        size = os.path.getsize(pkg)
        print("\n%s  (%.1f MiB file)" % (name, size / MiB))
        for k in cmds:
            ratios = "  ".join("%.2fx %s" % (med[k] / med[p], p.split()[0])
                               for p in ("openssl dgst -sha256", "unzip -tq") if p != k)
            print("  %-22s median %7.3f s  peak RSS %7.1f MiB  %s" % (k, med[k], rss[k] / 1024, ratios))

    print("\nTargets (issue 3):")
    def check(label, value, target):
        print("  %-58s %6.2f  (target <= %.2f) %s" % (label, value, target, "ok" if value <= target else "MISSED"))
    m = results["stored-1g"][0]
    check("stored, file / openssl dgst", m["verify file"] / m["openssl dgst -sha256"], 0.50)
    check("stored, stdin / openssl dgst", m["verify stdin"] / m["openssl dgst -sha256"], 1.0)
    m = results["deflated-1g"][0]
    check("deflated, file / unzip -tq", m["verify file"] / m["unzip -tq"], 0.28)
    if "jarsigner -verify" in m:
        check("deflated, file / jarsigner -verify", m["verify file"] / m["jarsigner -verify"], 0.36)
    check("deflated, stdin / unzip -tq", m["verify stdin"] / m["unzip -tq"], 0.5)
    m = results["small-200k"][0]
    check("200 KB, file / unzip -tq", m["verify file"] / m["unzip -tq"], 2.0)
    per1k = results["entries-1k"][0]["verify file"] / 1000
    n100k = len([1 for _ in range(int(100000 * min(1, s * 10)))])
    per100k = results["entries-100k"][0]["verify file"] / n100k
    check("time per entry, 100k entries / 1k entries", per100k / per1k, 1.5)
    worst = max(r for name, (_, rss) in results.items() for k, r in rss.items() if k.startswith("verify") and name != "entries-100k")
    check("peak RSS of the verifier, MiB (100k-entry package aside)", worst / 1024, 16)
    print("  %-58s %6.1f MiB" % ("peak RSS on the 100k-entry package", max(r for k, r in results["entries-100k"][1].items() if k.startswith("verify")) / 1024))
    print("\npackages in", work)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
