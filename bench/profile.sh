#!/usr/bin/env bash
# Profiles the directory and lookup paths with callgrind: instructions per request (a
# count, not a time: repeatable on a busy machine) and the functions that dominate.
#
#   bench/profile.sh [directory|lookup] [requests]      (BIN=… for another binary)
#
# Serves the release binary under valgrind with the response cache off (every request
# resolved from the in-memory directory), on a PostgreSQL database seeded by
# bench/seed.sql, and subtracts a run with no request (start-up and loading).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
query="${1:-directory}"
requests="${2:-30}"
pg="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
db="territoires_profile"
out="$(mktemp -d)"
trap 'rm -rf "$out"; psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 2; }
# BIN=path/to/territoires profiles another build (e.g. to compare two versions).
if [ -z "${BIN:-}" ]; then
  (cd "$repo" && cargo build --release -q -p territoires)
fi
bin="${BIN:-$repo/target/release/territoires}"
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
DATABASE_URL="$pg/$db" "$bin" migrate 2>/dev/null
psql -X -q -f "$here/seed.sql" "$pg/$db" >/dev/null

body="$out/body.json"
case "$query" in
  directory) python3 -c 'import json,sys; print(json.dumps({"query": open(sys.argv[1]).read()}))' "$here/queries/territoires/directory.graphql" > "$body" ;;
  lookup) python3 -c 'import json,sys; print(json.dumps({"query": open(sys.argv[1]).read(), "variables": {"name": "sevres"}}))' "$here/queries/territoires/lookup.graphql" > "$body" ;;
  *) echo "usage: $0 [directory|lookup] [requests]"; exit 2 ;;
esac

# Instructions of a run serving $1 requests.
profile() {
  local n="$1" file="$out/callgrind.$1" port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  DATABASE_URL="$pg/$db" RESPONSE_CACHE_MB=0 SYNC_SCHEDULE=false RUST_LOG=warn BIND_ADDR="127.0.0.1:$port" \
    valgrind --tool=callgrind --callgrind-out-file="$file" "$bin" serve >"$out/valgrind.$n.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  for _ in $(seq 1 "$n"); do
    curl -fsS -XPOST "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' -d @"$body" -o /dev/null
  done
  kill -INT "$pid"; wait "$pid" || true
  callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}

base="$(profile 0)"
total="$(profile "$requests")"
per_request=$(( (total - base) / requests ))
echo "$query: $per_request instructions per request (callgrind, cache off, $requests requests)"
echo
echo "Functions by own instructions (whole run):"
callgrind_annotate "$out/callgrind.$requests" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '2,26p' | cut -c1-160
