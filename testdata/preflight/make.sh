#!/bin/sh
# Regenerates the preflight demo packages (docs/PREFLIGHT.md) from the
# directories beside this script, with the example signer and the test PKI:
#
#   story.zip  the seeds' story: a 03:00 cron job reaching a retired SFTP
#              host, sudo and a unit that no longer exists in the upgrade
#              script, a migration without a lock, a hard-coded password,
#              removed, deprecated and required config keys, loose
#              dependency constraints, a recommended reboot
#              (story-metadata.json; check with story-inventory.toml)
#   clean.zip  the same product done right (clean-metadata.json; check
#              with clean-inventory.toml: no error, no warning)
#
# Run from anywhere: sh testdata/preflight/make.sh
# ECDSA signatures are randomized, so each run writes different bytes with
# the same manifest; tests/preflight.rs checks that each package's manifest
# lists exactly its directory.
set -eu
cd "$(dirname "$0")/../.."
for p in story clean; do
  cargo run -q --example sign -- --name dten-full-upgrade --version 4.2.0 \
    --key testdata/pki/signer-p256.key --cert testdata/pki/signer-p256-chain.pem \
    --signature-name dten-2026 --metadata "testdata/preflight/$p-metadata.json" \
    --created 2026-11-20T00:00:00Z --out "testdata/preflight/$p.zip" "testdata/preflight/$p"
done
