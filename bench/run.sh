#!/usr/bin/env bash
# Kubus side by side with raw goja, expr, cel-go and grule on the same decisions (README.md), and
# the HTTP load benchmark against a running `kubus serve` when KUBUS_URL is set.
#
#   bench/run.sh                   # both parts; the engines with -count 5 -cpu 1
#   COUNT=10 CPU=2 bench/run.sh    # other -count / -cpu (CPU= for the machine's default)
#   bench/run.sh engines           # only the engine comparison
#   KUBUS_URL=http://127.0.0.1:8080 KUBUS_KEY=... bench/run.sh http
set -euo pipefail
cd "$(dirname "$0")"

COUNT="${COUNT:-5}"
CPU="${CPU-1}"

# compare_engines runs the comparison benchmarks (each checked by the tests to give identical
# answers) and prints the means as a markdown table, with ratios to raw goja.
compare_engines() {
  local out
  out="$(mktemp)"
  local cpu=()
  if [ -n "$CPU" ]; then cpu=(-test.cpu "$CPU"); fi
  # Pinned to one core when taskset exists (PIN= to turn it off, PIN=1 for another core): on this
  # VM the second vCPU runs the same benchmark ~1.7x slower, and an unpinned process lands on
  # either, which made earlier runs bimodal.
  local pin=()
  if [ -n "${PIN-0}" ] && command -v taskset >/dev/null; then pin=(taskset -c "${PIN-0}"); fi
  go test -c -o "$out.test" .
  "${pin[@]}" "$out.test" -test.run '^$' -test.bench . -test.benchmem -test.count "$COUNT" "${cpu[@]}" | tee "$out"
  echo
  go run ./cmd/table < "$out"
  # benchstat, when installed, adds confidence intervals and p-values per engine against goja
  # (the first column): go install golang.org/x/perf/cmd/benchstat@latest
  local benchstat="${BENCHSTAT:-$HOME/go/bin/benchstat}"
  if [ -x "$benchstat" ]; then
    echo
    "$benchstat" -col /engine "$out"
  fi
  rm -f "$out" "$out.test"
}

# ---------------------------------------------------------------------------------------------
# http_bench: the HTTP load benchmark. Without KUBUS_URL it builds kubus, makes a key in a fresh
# store, starts `kubus serve ../examples/travel-insurance` on 127.0.0.1 and stops it afterwards;
# with KUBUS_URL (and KUBUS_KEY) it loads that server instead.
#
#   LOAD_CONNS connection counts (default 1,8,32); LOAD_DURATION per count (default 10s)
#   With wrk installed (apt-get install wrk) it runs the same load with wrk too.
#
# It POSTs {"input": <examples/travel-insurance/input.json>, "options": {}} to
# .../api/rulesets/travel-insurance/execute and prints requests/s, p50, p99 and errors, then the
# engine-only figure on the same cores (BenchmarkExecuteTravelInsuranceParallel), so the HTTP
# overhead shows as a ratio.
# ---------------------------------------------------------------------------------------------
http_bench() {
  tmp="$(mktemp -d)"
  pid=""
  # EXIT, not RETURN: a failing command under set -e leaves the function without returning.
  trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
  printf '{"input": %s, "options": {}}\n' "$(cat ../examples/travel-insurance/input.json)" > "$tmp/body.json"
  go build -o "$tmp/load" ./cmd/load # built first, so that compiling is not part of the first run
  local url="${KUBUS_URL:-}" key="${KUBUS_KEY:-}"
  if [ -z "$url" ]; then
    (cd .. && go build -o "$tmp/kubus" ./runner)
    key="$("$tmp/kubus" keys create bench --scope 'execute:*' --store "$tmp/kubus.db" 2>/dev/null)"
    local port=$((20000 + RANDOM % 20000))
    url="http://127.0.0.1:$port"
    "$tmp/kubus" serve ../examples/travel-insurance --store "$tmp/kubus.db" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "kubus serve ../examples/travel-insurance on $url (GOMAXPROCS $(nproc))"
  fi
  local target="${url%/}/api/rulesets/travel-insurance/execute"
  echo "load generator: cmd/load (Go's net/http client, on the same cores as the server)"
  "$tmp/load" -url "$target" -key "$key" \
    -body "$tmp/body.json" -conns "${LOAD_CONNS:-1,8,32}" -duration "${LOAD_DURATION:-10s}"
  if command -v wrk >/dev/null; then
    # wrk (Debian's package) costs the shared cores far less per request than a Go client.
    echo
    echo "load generator: wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("$tmp/body.json", "r")
wrk.body = f:read("*a")
f:close()
LUA
    echo "| connections | requests/s | p50 | p99 | errors |"
    echo "|---:|---:|---:|---:|---:|"
    local c conns="${LOAD_CONNS:-1,8,32}"
    for c in ${conns//,/ }; do
      # One wrk thread: a second one competes with the server for the two cores and its own
      # scheduling shows up as the server's p99.
      wrk -t 1 -c "$c" -d "${LOAD_DURATION:-10s}" --latency -s "$tmp/post.lua" "$target" > "$tmp/wrk.txt"
      awk -v c="$c" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {err=$4} END {printf "| %s | %.0f | %s | %s | %d |\n", c, rps, p50, p99, err}' "$tmp/wrk.txt"
    done
  fi
  if [ -n "$pid" ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; fi
  echo
  echo "engine only, same machine (no HTTP, no JSON):"
  (cd .. && go test ./engine -run '^$' -bench 'ExecuteTravelInsuranceParallel' -cpu "$(nproc)" -count 1 | grep -E 'Benchmark')
}

case "${1:-all}" in
  engines) compare_engines ;;
  http) http_bench ;;
  all) compare_engines; echo; http_bench ;;
  *) echo "usage: $0 [all|engines|http]" >&2; exit 2 ;;
esac
