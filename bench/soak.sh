#!/usr/bin/env bash
# Soak test of territoires alone: 64 connections for 60 s (or more) on the directory and
# lookup queries, then: zero errors (non-2xx, socket errors, GraphQL errors in the
# answers checked after the load), throughput, p99, and the server's RSS before and
# after (from /proc/PID/status VmRSS), sampled every few seconds in between.
# Exits non-zero on any error or if memory grew more than allowed.
#
#   bench/soak.sh
#
# Environment (all optional):
#   SOAK_SECONDS=60         length of the soak
#   CONNECTIONS=64 THREADS=2
#   SOAK_MODE=mixed         mixed: one wrk, every connection alternates directory and lookup
#                           split: two wrk at once, half the connections on each query
#                           (gives a p99 per query)
#   WARMUP=10               seconds of load before the "before" RSS (fills caches, pools)
#   RSS_GROWTH_MAX_PCT=10   allowed RSS growth between before and after (and at least
#   RSS_GROWTH_MIN_KB=8192  this many KiB, allocator noise)
#   DIRECTORY_QUERY=directory   (directory-no-projects for builds without Territory.projects)
#   TERRITOIRES_ENV="RESPONSE_CACHE_MB=0"   environment of the server (VAR=VALUE words)
#   BENCH_DB=territoires_soak  KEEP_DB=1  BENCH_BUILD=0  TERRITOIRES_BIN=…  PG_BASE_URL=…
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOAK_SECONDS="${SOAK_SECONDS:-60}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SOAK_MODE="${SOAK_MODE:-mixed}"
WARMUP="${WARMUP:-10}"
RSS_GROWTH_MAX_PCT="${RSS_GROWTH_MAX_PCT:-10}"
RSS_GROWTH_MIN_KB="${RSS_GROWTH_MIN_KB:-8192}"
DIRECTORY_QUERY="${DIRECTORY_QUERY:-directory}"
DB="${BENCH_DB:-territoires_soak}"

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

case "$SOAK_MODE" in mixed | split) ;; *) fail "SOAK_MODE is mixed or split" ;; esac
mkdir -p "$OUT_DIR"
RUN_DIR="$OUT_DIR/soak-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"
Q="$BENCH_DIR/queries/territoires"

warn_if_busy
ensure_base_tools
ensure_wrk
ensure_binary

log "fresh database $DB: migrate, seed"
fresh_db "$DB"
migrate_db "$DB"
seed_db "$DB"

port=$(free_port)
URL="http://127.0.0.1:$port/graphql"
log "starting territoires on :$port ${TERRITOIRES_ENV:-}"
# shellcheck disable=SC2086 # TERRITOIRES_ENV is a list of VAR=VALUE words
start_territoires "$DB" "$port" ${TERRITOIRES_ENV:-}
PID=$TERRITOIRES_PID
rss_start=$(rss_kb "$PID")

lib() { python3 "$BENCH_DIR/benchlib.py" "$@"; }
lib bodies "$Q/$DIRECTORY_QUERY.graphql" "$RUN_DIR/directory.bodies"
lib bodies "$Q/lookup.graphql" "$RUN_DIR/lookup.bodies" --names "$BENCH_DIR/queries/lookup-names.txt"
# Mixed: directory, lookup, directory, lookup… (each lookup name once per cycle).
directory_body=$(cat "$RUN_DIR/directory.bodies")
while IFS= read -r lookup; do
  printf '%s\n%s\n' "$directory_body" "$lookup"
done <"$RUN_DIR/lookup.bodies" >"$RUN_DIR/mixed.bodies"

log "checking the answers"
lib verify "$URL" "$RUN_DIR/directory.bodies" territoires "$DIRECTORY_QUERY" "$RUN_DIR/directory.verify.json" \
  || fail "territoires does not answer $DIRECTORY_QUERY (a build without Territory.projects? try DIRECTORY_QUERY=directory-no-projects)"
lib verify "$URL" "$RUN_DIR/lookup.bodies" territoires lookup "$RUN_DIR/lookup.verify.json"

# soak SECONDS TAG: runs the load; results in $RUN_DIR/TAG-*.txt
soak() {
  if [[ "$SOAK_MODE" == mixed ]]; then
    run_wrk "$URL" "$RUN_DIR/mixed.bodies" "$1" "$CONNECTIONS" "$THREADS" "$RUN_DIR/$2-mixed.txt"
  else
    local half=$((CONNECTIONS / 2)) t=$(((THREADS + 1) / 2)) a b
    run_wrk "$URL" "$RUN_DIR/directory.bodies" "$1" "$half" "$t" "$RUN_DIR/$2-directory.txt" &
    a=$!
    run_wrk "$URL" "$RUN_DIR/lookup.bodies" "$1" "$((CONNECTIONS - half))" "$t" "$RUN_DIR/$2-lookup.txt" &
    b=$!
    BENCH_PIDS+=("$a" "$b")
    wait "$a" || fail "wrk (directory) failed"
    wait "$b" || fail "wrk (lookup) failed"
  fi
}

log "warm-up: ${WARMUP}s at $CONNECTIONS connections ($SOAK_MODE)"
soak "$WARMUP" warmup
sleep 1
rss_before=$(rss_kb "$PID")

log "soak: ${SOAK_SECONDS}s at $CONNECTIONS connections ($SOAK_MODE); RSS before $rss_before KiB"
(
  while kill -0 "$PID" 2>/dev/null; do
    printf '%s %s\n' "$(date +%s)" "$(rss_kb "$PID")"
    sleep 5
  done
) >"$RUN_DIR/rss.txt" &
sampler=$!
BENCH_PIDS+=("$sampler")
soak "$SOAK_SECONDS" soak
sleep 1
rss_after=$(rss_kb "$PID")
kill "$sampler" 2>/dev/null || true

kill -0 "$PID" 2>/dev/null || fail "territoires is gone (log: $OUT_DIR/territoires-$port.log)"
# The answers are still right after the load.
lib verify "$URL" "$RUN_DIR/directory.bodies" territoires "$DIRECTORY_QUERY" "$RUN_DIR/directory.after.json" >/dev/null
lib verify "$URL" "$RUN_DIR/lookup.bodies" territoires lookup "$RUN_DIR/lookup.after.json" >/dev/null

RESULTS="$RUN_DIR/results.jsonl"
: >"$RESULTS"
if [[ "$SOAK_MODE" == mixed ]]; then
  lib wrk-result "$RUN_DIR/soak-mixed.txt" territoires "$DIRECTORY_QUERY+lookup" \
    --connections "$CONNECTIONS" --rss-before "$rss_before" --rss-after "$rss_after" >>"$RESULTS"
else
  lib wrk-result "$RUN_DIR/soak-directory.txt" territoires "$DIRECTORY_QUERY" \
    --connections "$((CONNECTIONS / 2))" --rss-before "$rss_before" --rss-after "$rss_after" >>"$RESULTS"
  lib wrk-result "$RUN_DIR/soak-lookup.txt" territoires lookup \
    --connections "$((CONNECTIONS - CONNECTIONS / 2))" --rss-before "$rss_before" --rss-after "$rss_after" >>"$RESULTS"
fi

python3 - "$(machine_line "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)")" "$RESULTS" "$RUN_DIR/rss.txt" "$rss_start" "$rss_before" "$rss_after" \
  "$RSS_GROWTH_MAX_PCT" "$RSS_GROWTH_MIN_KB" "$SOAK_SECONDS" "$CONNECTIONS" "$SOAK_MODE${TERRITOIRES_ENV:+, $TERRITOIRES_ENV}" \
  <<'EOF' | tee "$RUN_DIR/results.md"
import json, sys
machine, results_path, rss_path = sys.argv[1:4]
start, before, after, max_pct, min_kb, seconds, connections = map(int, sys.argv[4:11])
mode = sys.argv[11]
results = [json.loads(l) for l in open(results_path) if l.strip()]
samples = [int(l.split()[1]) for l in open(rss_path) if l.strip()]
errors = sum(r["non_2xx"] + r["socket_errors"] for r in results)
growth = after - before
allowed = max(before * max_pct // 100, min_kb)
print(f"## Soak: territoires, {connections} connections, {seconds} s ({mode})")
print()
print(machine)
print()
print("| query | connections | requests | req/s | p50 | p99 | max | errors |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for r in results:
    print(f"| {r['query']} | {r['connections']} | {r['requests']:,} | {r['rps']:,.0f} "
          f"| {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['max_ms']:.1f} ms "
          f"| {r['non_2xx'] + r['socket_errors']} |")
print()
print(f"RSS (VmRSS): {start / 1024:.1f} MiB idle after start, {before / 1024:.1f} MiB before "
      f"(after warm-up), {after / 1024:.1f} MiB after; growth {growth / 1024:+.1f} MiB "
      f"(allowed {allowed / 1024:.1f} MiB)")
if samples:
    print(f"RSS samples every 5 s (MiB): " + " ".join(f"{s / 1024:.0f}" for s in samples))
print()
verdict = []
if errors:
    verdict.append(f"{errors} error(s)")
if growth > allowed:
    verdict.append("memory grew")
print("**FAIL**: " + ", ".join(verdict) if verdict else "**PASS**: zero errors, flat memory")
sys.exit(1 if verdict else 0)
EOF
log "raw results: $RUN_DIR"
