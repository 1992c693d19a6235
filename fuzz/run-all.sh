#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds, one after the other, one job each.
#
#   fuzz/run-all.sh SECONDS [TARGET...]
#
# Seeds fuzz/corpus/<target>/ from testdata/ first (the demo package, the
# hostile corpus and the manifests inside them; ../shared/corpora's Go
# archive/zip files when present). libFuzzer runs in fork mode with one worker
# and goes on after a crash, so one run collects every distinct finding.
# Crashes, timeouts and OOMs land in fuzz/artifacts/<target>/, each target's
# log in fuzz/artifacts/<target>.log.
# Uses the stable toolchain with RUSTC_BOOTSTRAP=1 (cargo fuzz needs -Z flags).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run-all.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(structure manifest verify stream mutate token preflight)
export RUSTC_BOOTSTRAP=1

declare -A max_len=([structure]=65536 [verify]=65536 [stream]=65536 [manifest]=16384 [mutate]=8192 [token]=8192 [preflight]=16384)

seed() {
  local dir=corpus/$1 f
  mkdir -p "$dir"
  case $1 in
    structure|verify|stream)
      for f in ../testdata/*.zip ../testdata/hostile/*.zip ../../shared/corpora/go-archive-zip/*.zip; do
        [ -f "$f" ] && cp "$f" "$dir/seed-$(basename "$f")"
      done ;;
    manifest)
      cp ../testdata/demo-metadata.json "$dir/seed-demo-metadata.json"
      for f in ../testdata/*.zip ../testdata/hostile/*.zip; do
        unzip -p "$f" manifest.json > "$dir/seed-$(basename "$f" .zip).json" 2>/dev/null || true
        [ -s "$dir/seed-$(basename "$f" .zip).json" ] || rm -f "$dir/seed-$(basename "$f" .zip).json"
      done ;;
    preflight)
      # Mode 0: an inventory; 1: a manifest; 2 + 3k: payload entry k of the
      # target's PATHS (0 script, 1 cron.d, 3 properties, 6 sql, 7 timer).
      for f in ../testdata/preflight/*-inventory.toml; do
        { printf '\x00\x10'; cat "$f"; } > "$dir/seed-$(basename "$f")"
      done
      for f in ../testdata/preflight/*-metadata.json; do
        python3 -c 'import sys,json; m=json.load(open(sys.argv[1])); m.update({"format":1,"package":{"name":"p","version":"1.1"},"files":[]}); sys.stdout.buffer.write(b"\x01\x10"+json.dumps(m).encode())' "$f" \
          > "$dir/seed-$(basename "$f")"
      done
      for pair in 2:scripts/upgrade.sh 5:cron.d/dten-import 11:config/dten.properties 20:sql/002-add-column.sql 2:scripts/import.sh; do
        { printf "\\x$(printf %02x "${pair%%:*}")\x07"; cat "../testdata/preflight/story/${pair#*:}"; } > "$dir/seed-$(basename "${pair#*:}")"
      done ;;
    token)
      for f in ../testdata/Full-upgrade-package-dten-timestamped*.zip; do
        unzip -p "$f" signatures/dten-2026.tst > "$dir/seed-$(basename "$f" .zip).tst"
      done ;;
    mutate)
      # Mode byte: 0/1 the P-256 fixture (deflated/stored), 2/3 an Ed25519-signed
      # package whose manifest follows (16-bit length; 0 = the fixture's manifest).
      printf '\x00' > "$dir/seed-p256-deflated"
      printf '\x01' > "$dir/seed-p256-stored"
      printf '\x02\x00\x00' > "$dir/seed-ed25519-deflated"
      printf '\x03\x00\x00' > "$dir/seed-ed25519-stored"
      for f in ../testdata/*.zip ../testdata/hostile/manifest-*.zip; do
        local m
        m=$(mktemp)
        if unzip -p "$f" manifest.json > "$m" 2>/dev/null && [ "$(stat -c %s "$m")" -lt 4096 ]; then
          python3 -c 'import sys,struct; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(b"\x02"+struct.pack("<H",len(d))+d)' "$m" \
            > "$dir/seed-$(basename "$f" .zip)"
        fi
        rm -f "$m"
      done ;;
  esac
}

cargo fuzz build >/dev/null
mkdir -p artifacts
for t in "${targets[@]}"; do
  seed "$t"
  mkdir -p "artifacts/$t"
  echo "== $t: ${secs}s (log: fuzz/artifacts/$t.log)"
  start=$(date +%s)
  status=0
  cargo fuzz run "$t" "corpus/$t" -- \
    -fork=1 -ignore_crashes=1 -max_total_time="$secs" -max_len="${max_len[$t]}" \
    -rss_limit_mb=2048 -timeout=10 \
    > "artifacts/$t.log" 2>&1 || status=$?
  echo "   exit $status after $(( $(date +%s) - start ))s; last: $(grep -E '^#[0-9]+: ' "artifacts/$t.log" | tail -1)"
  ls "artifacts/$t" 2>/dev/null | sed 's/^/   finding: /' || true
done
