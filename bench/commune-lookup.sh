#!/usr/bin/env bash
# HTTP latency of `communeLookup` (issue 13): what residents type — exact names, typos,
# postal codes with separators, names with codes, communes outside the département —
# cycled by 32 connections, with the response cache off (RESPONSE_CACHE_MB=0) so every
# request runs the matcher. Prints a markdown table (requests/s, p50, p99); raw wrk
# output goes to bench/out/commune-lookup-STAMP/.
#
#   bench/commune-lookup.sh
#
# Environment (all optional):
#   DURATION=20 WARMUP=5 CONNECTIONS=32 THREADS=2
#   BENCH_DB=territoires_bench_lookup
#   BENCH_BUILD=0 TERRITOIRES_BIN=…   use a given binary (default: cargo build --release)
#   PG_BASE_URL=postgres://postgres@127.0.0.1:5432
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DB="${BENCH_DB:-territoires_bench_lookup}"

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT_DIR"
RUN_DIR="$OUT_DIR/commune-lookup-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"

warn_if_busy
ensure_base_tools
ensure_wrk
ensure_binary

fresh_db "$DB"
migrate_db "$DB"
seed_db "$DB"
port="$(free_port)"
start_territoires "$DB" "$port" RESPONSE_CACHE_MB=0
url="http://127.0.0.1:$port/graphql"

query='query($t: String!) { communeLookup(text: $t) { reason message match { name territory { number coordinator { fullName email } } } candidates { score commune { __typename } } } }'
body="$RUN_DIR/bodies.jsonl"
python3 - "$query" >"$body" <<'PY'
import json, sys
texts = ["Nanterre", "nantere", "courbevois", "colombs", "Antonny", "boulogne-bilancourt",
         "issy-les-moulinaux", "92 130", "92-130", "Sevres 92310", "st cloud 92210",
         "Clichy-la-Garenne", "villedavray", "boiscolombes", "Saint", "Paris",
         "L'Haÿ-les-Roses", "Vannes", "Vincennes", "xyzzy"]
for text in texts:
    print(json.dumps({"query": sys.argv[1], "variables": {"t": text}}))
PY
# Every text answers without a GraphQL error before anything is timed.
while IFS= read -r line; do
  answer="$(curl -fsS -H 'Content-Type: application/json' -d "$line" "$url")"
  [[ "$answer" != *'"errors"'* ]] || fail "error answer to $line: $answer"
done <"$body"

export BENCH_BODIES="$body"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" -s "$BENCH_DIR/wrk/graphql.lua" "$url" \
  >/dev/null 2>&1 || true
wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" \
  --timeout 10s -s "$BENCH_DIR/wrk/graphql.lua" "$url" >"$RUN_DIR/wrk.txt" 2>&1
if grep -q "Non-2xx or 3xx" "$RUN_DIR/wrk.txt"; then
  cat "$RUN_DIR/wrk.txt" >&2
  fail "some answers were errors"
fi

echo
echo "$(machine_line "communeLookup, 20 texts cycled, $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s, response cache off")"
echo
echo "| requests/s | p50 | p99 |"
echo "|---|---|---|"
echo "| $(awk '/^Requests\/sec:/ {print $2}' "$RUN_DIR/wrk.txt") | $(awk '$1 == "50%" {print $2}' "$RUN_DIR/wrk.txt") | $(awk '$1 == "99%" {print $2}' "$RUN_DIR/wrk.txt") |"
