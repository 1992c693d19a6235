#!/bin/sh
# Daily usage report, uploaded to the update service.
set -eu
REPORT=$(mktemp)
/opt/dten/bin/dten-agent report --output "$REPORT"
curl -fsS --retry 3 -T "$REPORT" https://updates.dten.example/v4/reports/
rm -f "$REPORT"
