#!/usr/bin/env bash
# Fails when docs/dialect-ops.md differs from what ODS generates now
# (`make docs` updates it).
set -euo pipefail
generated=${1:?usage: check-docs.sh BUILD/dialects/dl/DlOps.md DOCS/dialect-ops.md}
committed=${2:?}
if ! diff -q "$generated" "$committed" >/dev/null; then
  echo "check-docs: $committed is stale; run 'make docs'" >&2
  diff -u "$committed" "$generated" | head -20 >&2
  exit 1
fi
echo "check-docs: ok"
