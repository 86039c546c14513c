#!/usr/bin/env bash
# Regenerate the reference outputs of state-machine-cat for the golden corpus:
#   tests/golden/NNN-*.smcat        -> NNN-*.json          (smcat -T json)
#   tests/golden/errors/NNN-*.smcat -> NNN-*.smcat-error   (smcat's error message: it rejects them)
# Needs node and npm; installs state-machine-cat@15 into a temporary directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent state-machine-cat@15 >/dev/null 2>&1)
smcat="$work/node_modules/.bin/smcat"
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
