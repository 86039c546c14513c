#!/usr/bin/env bash
# Regenerate the reference outputs of state-machine-cat for the golden corpus:
#   tests/golden/NNN-*.smcat        -> NNN-*.json          (smcat -T json)
#   tests/golden/errors/NNN-*.smcat -> NNN-*.smcat-error   (smcat's error message: it rejects them)
# Needs node and npm: runs the state-machine-cat the tests pin (tests/node/package-lock.json,
# installed with `npm ci` when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node_dir="$here/../node"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
smcat="$node_dir/node_modules/.bin/smcat"
[ -x "$smcat" ] || (cd "$node_dir" && npm ci --silent --no-audit --no-fund)
"$smcat" --version
for input in "$here"/*.smcat; do
    if ! "$smcat" -T json "$input" -o "${input%.smcat}.json" 2>"$work/err"; then
        echo "smcat rejects $input:" >&2; cat "$work/err" >&2; exit 1
    fi
done
for input in "$here"/errors/*.smcat; do
    if "$smcat" -T json "$input" -o - >/dev/null 2>"$work/err"; then
        echo "smcat accepts $input, which the error corpus says it rejects" >&2; exit 1
    fi
    grep -v "EBADENGINE\|npm warn" "$work/err" | sed '/^\s*$/d' > "${input%.smcat}.smcat-error"
done
echo "reference outputs written"
