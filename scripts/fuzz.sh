#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 1m), one after another.
# A crasher is written by Go to the package's testdata/fuzz/<Target>/ and
# from then on runs as a regression test in plain `go test`. Not part of CI.
#   FUZZTIME=10m scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
fuzztime=${FUZZTIME:-1m}
targets=(
  "./bot FuzzHandle"
  "./internal/gazetteer FuzzResolve"
  "./internal/gazetteer FuzzDetect"
  "./internal/extract FuzzExtract"
  "./internal/extract FuzzPlainText"
  "./internal/feed FuzzParse"
  "./internal/feed FuzzItemDate"
  "./internal/article FuzzCanonicalURL"
  "./internal/english FuzzWords"
)
status=0
for t in "${targets[@]}"; do
  set -- $t
  echo "== $2 ($1) for $fuzztime"
  if ! go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" 2>&1 | grep -v '^fuzz: elapsed'; then
    status=1
  fi
done
exit $status
