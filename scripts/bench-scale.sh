#!/usr/bin/env bash
# Measures what one large `readyctl check` costs: wall time against the
# ideal (items / concurrency x server delay) and peak RSS, medians of
# several runs, for checklists of N http items against a loopback server
# that answers every request after a fixed delay (issue 16 §2).
#
#   scripts/bench-scale.sh                       # 1000@100 and 10000@500, 5 runs each
#   scripts/bench-scale.sh -runs 9               # more runs per size
#   scripts/bench-scale.sh -sizes "2000:200"     # ITEMS:CONCURRENCY, space-separated
#   scripts/bench-scale.sh -delay 50ms           # server service time (default 50ms)
#   scripts/bench-scale.sh -bin ./readyctl       # an already built binary (e.g. another branch's)
#
# Targets (issue 16): 10000 items at concurrency 500 within 1.3x ideal and
# under 120 MiB; 1000 items at concurrency 100 within 1.15x ideal and under
# 35 MiB. Every run must be ready with every item passed: a fast run with a
# wrong verdict is a failed run, and the script exits 1.
#
# cpu_s is user+system time of the readyctl process: on a busy machine it
# says more than wall time about what a change saved.
#
# Needs Go, /usr/bin/time (GNU time) and jq. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
sizes="1000:100 10000:500"
delay=50ms
bin=""
while [ $# -gt 0 ]; do
	case "$1" in
	-runs) runs=$2; shift 2 ;;
	-sizes) sizes=$2; shift 2 ;;
	-delay) delay=$2; shift 2 ;;
	-bin) bin=$2; shift 2 ;;
	*) echo "bench-scale: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -x /usr/bin/time ] || { echo "bench-scale: GNU time not found (apt-get install time)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-scale: jq not found (apt-get install jq)" >&2; exit 1; }

tmp=$(mktemp -d)
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "$bin" ]; then
	go build -o "$tmp/readyctl" ./cmd/readyctl
	bin=$tmp/readyctl
fi
go build -o "$tmp/benchserver" ./internal/tools/benchserver

"$tmp/benchserver" -addr 127.0.0.1:0 -delay "$delay" >"$tmp/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
	grep -q 'listening on' "$tmp/server.out" 2>/dev/null && break
	sleep 0.05
done
addr=$(sed -n 's/^listening on //p' "$tmp/server.out")
[ -n "$addr" ] || { echo "bench-scale: server did not start" >&2; cat "$tmp/server.out" >&2; exit 1; }

# delay in milliseconds, for the ideal
case "$delay" in
*ms) delay_ms=${delay%ms} ;;
*s) delay_ms=$(awk -v s="${delay%s}" 'BEGIN{print s*1000}') ;;
*) echo "bench-scale: -delay must end in ms or s" >&2; exit 2 ;;
esac

# checklist ITEMS > file: one section, ITEMS plain GET items, the target
# through a variable like a real checklist.
checklist() {
	awk -v n="$1" -v addr="$addr" 'BEGIN {
		print "version: 1"
		print "name: scale " n
		print "vars:"
		print "  target: http://" addr
		print "sections:"
		print "  - id: scale"
		print "    title: Scale"
		print "    items:"
		for (i = 1; i <= n; i++) {
			printf "      - id: item-%d\n", i
			printf "        http: {url: \"${target}/item/%d\"}\n", i
		}
	}'
}

median() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

status=0
printf '%-7s %-5s %-5s %8s %8s %6s %8s %11s   %s\n' items conc runs ideal_s wall_s ratio cpu_s maxrss_MiB "wall min-max, rss min-max"
for spec in $sizes; do
	n=${spec%%:*}
	c=${spec##*:}
	checklist "$n" >"$tmp/c$n.yaml"
	ideal=$(awk -v n="$n" -v c="$c" -v d="$delay_ms" 'BEGIN{printf "%.3f", (int((n+c-1)/c))*d/1000}')
	: >"$tmp/wall" && : >"$tmp/rss" && : >"$tmp/cpu"
	for r in $(seq 0 "$runs"); do
		code=0
		/usr/bin/time -v -o "$tmp/time" "$bin" check -f "$tmp/c$n.yaml" --concurrency "$c" \
			--format json -o json="$tmp/report.json" >/dev/null 2>"$tmp/stderr" || code=$?
		pass=$(jq -r '.summary.pass' "$tmp/report.json" 2>/dev/null || echo "?")
		if [ "$code" != 0 ] || [ "$pass" != "$n" ]; then
			echo "bench-scale: $n items: exit $code, $pass passed (want exit 0, $n passed)" >&2
			jq -r '[.items[] | select(.status != "pass") | .reason + ": " + .message] | group_by(.) | map("\(length)x \(.[0])") | .[]' "$tmp/report.json" 2>/dev/null | head -5 >&2 || true
			tail -5 "$tmp/stderr" >&2
			status=1
		fi
		[ "$r" = 0 ] && continue # warm-up: page cache, server accept queue
		awk -F': ' '/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
			print s
		}' "$tmp/time" >>"$tmp/wall"
		awk -F': ' '/Maximum resident set size/ {printf "%.1f\n", $2/1024}' "$tmp/time" >>"$tmp/rss"
		awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f\n", s}' "$tmp/time" >>"$tmp/cpu"
		rm -f "$tmp/report.json"
	done
	wall=$(median <"$tmp/wall")
	rss=$(median <"$tmp/rss")
	cpu=$(median <"$tmp/cpu")
	ratio=$(awk -v w="$wall" -v i="$ideal" 'BEGIN{printf "%.2f", w/i}')
	printf '%-7s %-5s %-5s %8s %8s %6s %8s %11s   %s-%s s, %s-%s MiB\n' "$n" "$c" "$runs" "$ideal" "$wall" "$ratio" "$cpu" "$rss" \
		"$(sort -g "$tmp/wall" | head -1)" "$(sort -g "$tmp/wall" | tail -1)" \
		"$(sort -g "$tmp/rss" | head -1)" "$(sort -g "$tmp/rss" | tail -1)"
done
exit $status
