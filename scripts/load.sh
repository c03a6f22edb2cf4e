#!/usr/bin/env bash
# The long load run: 50 guilds x 20 members sending commands through the
# fake gateway for DURATION (default 2m) while feeds are polled, with rate
# limits injected. Loopback only. Not part of CI, which runs 10 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
DISPUTEBOT_LOAD_DURATION=${DURATION:-2m} go test ./cmd/disputebot -run '^TestLoad$' -count=1 -v -timeout 30m | grep -E 'load:|PASS|FAIL|ok'
