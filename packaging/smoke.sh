#!/usr/bin/env bash
# Smoke test of an installed TrialDesk, run from a folder outside the checkout:
#   bash packaging/smoke.sh /path/to/trialdesk
# (the wheel's console script in a fresh venv, or the bundle's executable). It checks
# --version, builds the demo, opens the window offscreen until it is shown, re-imports
# the demo's scan values for one participant (nothing changes) and verifies the trail.
set -euo pipefail
exe=$(readlink -f "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export QT_QPA_PLATFORM=offscreen TRIALDESK_DB="$work/demo.sqlite"
for key in TRIALDESK_USER TRIALDESK_PASSWORD TRIALDESK_PASSPHRASE; do unset "$key"; done

"$exe" --version
"$exe" --json demo > demo.json
export TRIALDESK_USER=cora TRIALDESK_PASSWORD=demo-coordinator

# The window: shown, then closed by the smoke hook after its first paint.
TRIALDESK_SMOKE_QUIT_AFTER_SHOWN=1 timeout 120 "$exe" --user cora < /dev/null
"$exe" export long.csv --kind long > /dev/null
python3 - <<'PY'
import csv
rows = [r for r in csv.DictReader(open("long.csv")) if r["participant"] == "P001"
        and r["visit"] == "baseline" and r["import_file"].endswith(".tsv")]
measures = sorted({r["measure"] for r in rows})
with open("scans.csv", "w", newline="") as fh:
    out = csv.writer(fh)
    out.writerow(["participant", "visit", *measures])
    out.writerow(["P001", "baseline", *[next(r["value"] for r in rows if r["measure"] == m)
                                        for m in measures]])
PY
"$exe" --json import scans scans.csv > import.json
python3 -c "import json; r = json.load(open('import.json')); \
assert r['errors'] == [] and r['inserted'] == 0 and r['unchanged'] > 0, r; print('import ok:', r['unchanged'], 'unchanged')"
"$exe" audit verify
echo "smoke test passed: $exe"
