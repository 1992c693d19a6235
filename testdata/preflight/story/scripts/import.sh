#!/bin/sh
# Nightly import of partner data from the SFTP drop.
set -eu
REMOTE=sftp-legacy.dten.example
INCOMING=/var/lib/dten/incoming
mkdir -p "$INCOMING"
sftp -b /opt/dten/etc/import.batch "dten@$REMOTE:/incoming"
/opt/dten/bin/dten-import --from "$INCOMING" --quiet
