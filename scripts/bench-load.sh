#!/usr/bin/env bash
# Compares the load probe with wrk on this machine, one after the other
# against the same loopback server: req/s, p50/p95/p99 and their ratios.
#
#   scripts/bench-load.sh                 # wrk -t2 -c100 -d10s, then the probe
#   scripts/bench-load.sh -c 50 -d 5s     # other connections / duration
#   scripts/bench-load.sh -probe-first    # swap the order
#   scripts/bench-load.sh -rounds 3       # alternate 3 times, judge the medians
#   scripts/bench-load.sh -server-delay 5ms  # latency accuracy, machine not saturated
#
# Needs wrk (Debian: apt-get install wrk) and Go.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "bench-load: wrk not found (apt-get install wrk)" >&2; exit 1; }

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/benchserver" ./internal/tools/benchserver
go build -o "$bin/benchload" ./internal/tools/benchload
"$bin/benchload" -server "$bin/benchserver" "$@"
