#!/usr/bin/env bash
# RSS and goroutines of a real `readyctl serve` over many rounds: 100 http
# items against a loopback target (a second readyctl serve's /healthz),
# interval 10ms, sampled from /proc and /metrics as the rounds go by.
#
#   scripts/serve-soak.sh [ROUNDS]      # default 1000; needs curl, Linux
set -euo pipefail
rounds=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
(cd "$root" && go build -o "$work/readyctl" ./cmd/readyctl)
export XDG_CONFIG_HOME=$work/config

port() { # the address a serve logged
	for _ in $(seq 100); do
		a=$(sed -n 's/.*msg=serving address=\([^ ]*\).*/\1/p' "$1" | head -1)
		[ -n "$a" ] && { echo "$a"; return; }
		sleep 0.1
	done
	echo "no address in $1" >&2; exit 1
}

cat >"$work/target.yaml" <<'YAML'
version: 1
name: target
sections: [{id: s, items: [{id: self, tcp: {address: "127.0.0.1:1"}}]}]
YAML
"$work/readyctl" serve -f "$work/target.yaml" --listen 127.0.0.1:0 --interval 1h 2>"$work/target.log" &
pids+=($!)
target=$(port "$work/target.log")

{
	printf 'version: 1\nname: soak\nsections:\n  - id: s\n    items:\n'
	for i in $(seq 0 99); do
		printf '      - id: item-%d\n        http: {url: "http://%s/healthz"}\n' "$i" "$target"
	done
} >"$work/soak.yaml"
"$work/readyctl" serve -f "$work/soak.yaml" --listen 127.0.0.1:0 --interval 10ms --concurrency 100 2>"$work/soak.log" &
pid=$!
pids+=($pid)
addr=$(port "$work/soak.log")

start=$(date +%s.%N)
printf '%8s %10s %10s %10s\n' round rss_mib goroutines heap_mib
next=50
while :; do
	m=$(curl -fsS "http://$addr/metrics")
	n=$(awk '/^readyctl_rounds_total/ {s += $2} END {print s+0}' <<<"$m")
	if [ "$n" -ge "$next" ] || [ "$n" -ge "$rounds" ]; then
		rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
		g=$(awk '/^go_goroutines/ {print $2}' <<<"$m")
		heap=$(awk '/^go_memstats_heap_inuse_bytes/ {printf "%.1f", $2/1048576}' <<<"$m")
		printf '%8d %10s %10s %10s\n' "$n" "$rss" "$g" "$heap"
		next=$((next < 100 ? 100 : next + 100))
	fi
	[ "$n" -ge "$rounds" ] && break
	sleep 0.05
done
end=$(date +%s.%N)
peak=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
echo "$rounds rounds of 100 items in $(echo "$end - $start" | bc) s; peak RSS $peak MiB"
# grep -c exits 1 when it counts nothing: that is the good case.
errors=$(grep -c 'level=ERROR' "$work/soak.log" || true)
echo "errors logged: $errors"
[ "$errors" = 0 ]
