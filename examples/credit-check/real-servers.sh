#!/usr/bin/env bash
# Starts the credit check's outside world on 127.0.0.1, loaded with the same data as its testcases:
# PostgreSQL (port 55432) with fixtures/crm.sql, FerretDB (port 27018, built from tools/ferretdb)
# with fixtures/loans.json, and a static web server (port 18090) answering as the bureau from
# bureau/. examples/credit-check/kubus.yaml points the ruleset at them. Ctrl-C stops everything and
# removes what it made. Needs Debian's postgresql package, Go and python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }
work=$(mktemp -d /tmp/kubus-credit-check.XXXXXX)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi   # initdb refuses to run as root
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "== PostgreSQL on 127.0.0.1:55432, database crm"
mkdir "$work/pg" && [ -z "${as_pg[*]}" ] || chown postgres "$work/pg"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U kubus --auth=trust >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
  -o "-p 55432 -c listen_addresses=127.0.0.1 -k $work/pg" start >/dev/null
"$pgbin/createdb" -h 127.0.0.1 -p 55432 -U kubus crm
"$pgbin/psql" -q -h 127.0.0.1 -p 55432 -U kubus -d crm -v ON_ERROR_STOP=1 -f "$here/fixtures/crm.sql"

echo "== FerretDB on 127.0.0.1:27018, database loanbook"
(cd "$repo/tools/ferretdb" && go build -o "$work/ferretdb-kubus" .)
"$work/ferretdb-kubus" -listen 127.0.0.1:27018 -state "$work/ferret" \
  -seed "loanbook.loans=$here/fixtures/loans.json" > "$work/ferret.addr" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/ferret.addr" ] && break; sleep 0.1; done
[ -s "$work/ferret.addr" ] || { echo "FerretDB did not start" >&2; exit 1; }

echo "== the bureau on http://127.0.0.1:18090"
python3 -m http.server 18090 --bind 127.0.0.1 --directory "$here/bureau" >/dev/null 2>&1 &
pids+=($!)

cat <<MSG

Ready. In another terminal, from $repo:

  go run ./runner run examples/credit-check --input examples/credit-check/input.json \\
    --config examples/credit-check/kubus.yaml --explain

Ctrl-C here stops the three servers and removes $work.
MSG
wait
