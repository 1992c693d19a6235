#!/bin/bash
# Post-install steps. Does not need sudo or su: the installer runs it as dten.
set -euo pipefail

DB_PASSWORD_FILE=/etc/dten/db.pass
DB_PASSWORD="${DB_PASSWORD:-$(cat "$DB_PASSWORD_FILE")}"
export PGPASSWORD="$DB_PASSWORD"
DB_HOST=db.internal

if ! pg_isready -h "$DB_HOST" -q; then
  echo "database not ready (see pg_isready --help)" >&2
  exit 1
fi
flock /run/dten/migrate.lock psql -h "$DB_HOST" -d dten -f /opt/dten/sql/003-index.sql
systemctl try-restart dten-agent.service   # reloads the pseudo-random seed too
