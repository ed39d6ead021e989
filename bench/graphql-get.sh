#!/usr/bin/env bash
# HTTP caching of anonymous reads: throughput of one public query sent
#   - as POST (answered from the response cache),
#   - as GET (response cache, with ETag and Cache-Control),
#   - as GET with If-None-Match (304 Not Modified, no body),
# against the same server and database, under wrk. Prints a markdown table; raw wrk
# output goes to bench/out/graphql-get-STAMP/.
#
#   bench/graphql-get.sh
#
# Environment (all optional):
#   DURATION=10 WARMUP=3 CONNECTIONS=32 THREADS=2
#   QUERY=lookup            query file stem in bench/queries/territoires/ (lookup, directory)
#   BENCH_DB=territoires_bench_get
#   BENCH_BUILD=0 TERRITOIRES_BIN=…   use a given binary (default: cargo build --release)
#   PG_BASE_URL=postgres://postgres@127.0.0.1:5432
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
QUERY="${QUERY:-lookup}"
DB="${BENCH_DB:-territoires_bench_get}"

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT_DIR"
RUN_DIR="$OUT_DIR/graphql-get-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"

warn_if_busy
ensure_base_tools
ensure_wrk
ensure_binary

query_file="$BENCH_DIR/queries/territoires/$QUERY.graphql"
[[ -f "$query_file" ]] || fail "missing $query_file"
query="$(cat "$query_file")"

fresh_db "$DB"
migrate_db "$DB"
seed_db "$DB"
port="$(free_port)"
start_territoires "$DB" "$port"
url="http://127.0.0.1:$port/graphql"

# The lookup asks for one commune (the first name of bench/queries/lookup-names.txt): HTTP
# caching is per URL, so one request is what a cache sees repeated.
variables='{}'
if [[ "$QUERY" == lookup ]]; then
  variables="$(python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1]}))' "$(grep -v "^#" "$BENCH_DIR/queries/lookup-names.txt" | grep -m1 .)")"
fi
body="$RUN_DIR/body.jsonl"
python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$query" "$variables" >"$body"
get_url="$url?$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlencode({"query": sys.argv[1], "variables": sys.argv[2]}))' "$query" "$variables")"
etag="$(curl -fsS -D - -o /dev/null "$get_url" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')"
[[ -n "$etag" ]] || fail "no ETag on GET $get_url"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$get_url")"
[[ "$status" == 304 ]] || fail "If-None-Match answered $status, not 304"

# rps OUTPUT: requests per second from wrk's summary.
rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }

measure() { # name, then wrk arguments after the common ones
  local name=$1 pid status=0
  shift
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$@" >/dev/null 2>&1 || true
  wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s "$@" \
    >"$RUN_DIR/$name.txt" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || status=$?
  ((status == 0)) || { cat "$RUN_DIR/$name.txt" >&2; fail "wrk failed ($status)"; }
  if grep -q "Non-2xx or 3xx" "$RUN_DIR/$name.txt"; then
    cat "$RUN_DIR/$name.txt" >&2
    fail "$name: some answers were errors"
  fi
}

log "POST (response cache)"
BENCH_BODIES="$body" measure post -s "$BENCH_DIR/wrk/graphql.lua" "$url"
log "GET (response cache, ETag)"
measure get "$get_url"
log "GET + If-None-Match (304)"
measure get-304 -H "If-None-Match: $etag" "$get_url"

echo
echo "$(machine_line "query $QUERY, $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s each")"
echo
echo "| request | requests/s | p99 latency |"
echo "|---|---|---|"
for name in post get get-304; do
  echo "| $name | $(rps "$RUN_DIR/$name.txt") | $(p99 "$RUN_DIR/$name.txt") |"
done
