#!/bin/bash
# Upgrades DTEN in place; run by the installer as the dten user.
set -euo pipefail

DTEN_HOME=/opt/dten
log() { echo "[upgrade] $*"; }

log "installing files"
sudo install -m 0644 config/dten.properties /etc/dten/dten.properties
cp -r lib "$DTEN_HOME/"

log "applying schema changes"
psql -v ON_ERROR_STOP=1 -d dten -f sql/002-add-column.sql

log "restarting services"
systemctl restart dten-sync.service
systemctl restart dten-agent.service
log "done"
