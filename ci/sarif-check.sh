#!/usr/bin/env bash
# Validates `jailconf lint --format sarif` with Microsoft's SARIF Multitool
# (the reference SARIF 2.1.0 validator, from the npm registry). Fails on any
# error or warning it reports.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${JAILCONF_BIN:-}
if [ -z "$bin" ]; then
    cargo build --quiet --bin jailconf
    bin="${CARGO_TARGET_DIR:-target}/debug/jailconf"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --prefix "$work" --no-audit --no-fund --silent @microsoft/sarif-multitool@5.7.0 >/dev/null
tool="$work/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
chmod u+x "$tool"

# Findings of every kind: all lint fixtures, linted together per folder.
status=0
for dir in fixtures/lint/*/; do
    code=$(basename "$dir")
    log="$work/$code.sarif"
    # Exit status 1 only means findings were reported.
    "$bin" lint --format sarif "$dir" > "$log" || [ $? -eq 1 ]
    "$tool" validate "$log" --output "$work/$code.validation.sarif" >/dev/null
    problems=$(python3 - "$work/$code.validation.sarif" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
for run in runs:
    for result in run.get("results", []):
        if result.get("level", "warning") in ("error", "warning"):
            args = result.get("message", {}).get("arguments", [])
            print(result.get("ruleId"), result.get("level"), *args)
PY
)
    if [ -n "$problems" ]; then
        echo "SARIF of fixtures/lint/$code is invalid:"
        echo "$problems"
        status=1
    fi
done
[ $status -eq 0 ] && echo "SARIF valid for $(ls -d fixtures/lint/*/ | wc -l) fixture folders"
exit $status
