#!/usr/bin/env bash
# Territoires vs PostGraphile 4.14.1 on the same PostgreSQL database, same run:
# throughput and latency (p50/p99) of the full directory query and of a commune lookup
# under 32 connections (wrk, 2 threads). Prints a markdown table; keeps the raw results
# in bench/out/.
#
#   bench/directory.sh
#
# Environment (all optional):
#   DURATION=20            seconds measured per server × query (per round)
#   ROUNDS=1               rounds per query, servers interleaved (on a busy machine, e.g.
#                          ROUNDS=3 DURATION=10: other load then hits every server alike)
#   WARMUP=5               seconds of warm-up per server × query (not measured)
#   CONNECTIONS=32 THREADS=2
#   DIRECTORY_QUERY=directory   query file stem in bench/queries/{territoires,postgraphile}/
#                               (directory-no-projects for builds without Territory.projects)
#   POSTGRAPHILE_WORKERS="1 2"  PostGraphile configurations measured: 1 = one Node process,
#                               N > 1 = --cluster-workers N; the ratio is taken against the best
#   TERRITOIRES_UNCACHED=1      also measure territoires with its response cache off
#                               (RESPONSE_CACHE_MB=0: every request resolved from the
#                               in-memory directory); 0 = the default configuration only
#   BENCH_DB=territoires_bench  database created (dropped first if left over, dropped at exit)
#   KEEP_DB=1                   keep the database at exit
#   BENCH_BUILD=0               do not run cargo build (use TERRITOIRES_BIN as it is)
#   TERRITOIRES_BIN=…           default target/release/territoires
#   PG_BASE_URL=postgres://postgres@127.0.0.1:5432
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-20}"
ROUNDS="${ROUNDS:-1}"
WARMUP="${WARMUP:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DIRECTORY_QUERY="${DIRECTORY_QUERY:-directory}"
POSTGRAPHILE_WORKERS="${POSTGRAPHILE_WORKERS:-1 2}"
TERRITOIRES_UNCACHED="${TERRITOIRES_UNCACHED:-1}"
DB="${BENCH_DB:-territoires_bench}"

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT_DIR"
STAMP="$(date +%Y%m%d-%H%M%S)"
RUN_DIR="$OUT_DIR/directory-$STAMP"
mkdir -p "$RUN_DIR"
RESULTS="$RUN_DIR/results.jsonl"
: >"$RESULTS"

for side in territoires postgraphile; do
  for q in "$DIRECTORY_QUERY" lookup; do
    [[ -f "$BENCH_DIR/queries/$side/$q.graphql" ]] || fail "missing bench/queries/$side/$q.graphql"
  done
done

warn_if_busy
ensure_base_tools
ensure_wrk
ensure_postgraphile
ensure_binary

log "fresh database $DB: migrate, seed"
fresh_db "$DB"
migrate_db "$DB"
seed_db "$DB"

# Servers: name → URL, PID.
declare -A URL PID
SERVERS=()
port=$(free_port)
log "starting territoires on :$port"
start_territoires "$DB" "$port"
SERVERS+=(territoires); URL[territoires]="http://127.0.0.1:$port/graphql"; PID[territoires]=$TERRITOIRES_PID
if [[ "$TERRITOIRES_UNCACHED" == 1 ]]; then
  port=$(free_port)
  log "starting territoires-uncached (RESPONSE_CACHE_MB=0) on :$port"
  start_territoires "$DB" "$port" RESPONSE_CACHE_MB=0
  SERVERS+=(territoires-uncached); URL[territoires-uncached]="http://127.0.0.1:$port/graphql"
  PID[territoires-uncached]=$TERRITOIRES_PID
fi

for workers in $POSTGRAPHILE_WORKERS; do
  name="postgraphile"
  if ((workers > 1)); then name="postgraphile-${workers}w"; fi
  port=$(free_port)
  log "starting $name (PostGraphile 4.14.1, $workers process(es)) on :$port"
  start_postgraphile "$DB" "$port" "$workers"
  SERVERS+=("$name"); URL[$name]="http://127.0.0.1:$port/graphql"; PID[$name]=$POSTGRAPHILE_PID
done

side_of() { [[ "$1" == territoires* ]] && echo territoires || echo postgraphile; }

# Request bodies, then a check that every server answers every body with data and no
# errors, and that the servers return the same data.
log "checking the answers"
for name in "${SERVERS[@]}"; do
  side=$(side_of "$name")
  for q in "$DIRECTORY_QUERY" lookup; do
    names=()
    [[ "$q" == lookup ]] && names=(--names "$BENCH_DIR/queries/lookup-names.txt" --var name)
    python3 "$BENCH_DIR/benchlib.py" bodies "$BENCH_DIR/queries/$side/$q.graphql" \
      "$RUN_DIR/$name-$q.bodies" "${names[@]}"
    python3 "$BENCH_DIR/benchlib.py" verify "${URL[$name]}" "$RUN_DIR/$name-$q.bodies" \
      "$name" "$q" "$RUN_DIR/$name-$q.verify.json" \
      || fail "$name does not answer $q (a build without Territory.projects? try DIRECTORY_QUERY=directory-no-projects)"
  done
done
for name in "${SERVERS[@]:1}"; do
  for q in "$DIRECTORY_QUERY" lookup; do
    python3 "$BENCH_DIR/benchlib.py" equivalent \
      "$RUN_DIR/territoires-$q.verify.json" "$RUN_DIR/$name-$q.verify.json"
  done
done

for q in "$DIRECTORY_QUERY" lookup; do
  for name in "${SERVERS[@]}"; do
    log "$name / $q: warm-up ${WARMUP}s at $CONNECTIONS connections"
    run_wrk "${URL[$name]}" "$RUN_DIR/$name-$q.bodies" "$WARMUP" "$CONNECTIONS" "$THREADS" \
      "$RUN_DIR/$name-$q.warmup.txt"
  done
  # Rounds interleave the servers, so that other work on the machine hits them alike.
  for round in $(seq "$ROUNDS"); do
    for name in "${SERVERS[@]}"; do
      log "$name / $q: round $round/$ROUNDS, ${DURATION}s at $CONNECTIONS connections"
      run_wrk "${URL[$name]}" "$RUN_DIR/$name-$q.bodies" "$DURATION" "$CONNECTIONS" "$THREADS" \
        "$RUN_DIR/$name-$q.round$round.wrk.txt"
      python3 "$BENCH_DIR/benchlib.py" wrk-result "$RUN_DIR/$name-$q.round$round.wrk.txt" \
        "$name" "$q" --connections "$CONNECTIONS" --round "$round" \
        --rss-after "$(rss_kb "${PID[$name]}")" >>"$RESULTS"
    done
  done
  for name in "${SERVERS[@]}"; do
    # The answers are still right after the load.
    python3 "$BENCH_DIR/benchlib.py" verify "${URL[$name]}" "$RUN_DIR/$name-$q.bodies" \
      "$name" "$q" "$RUN_DIR/$name-$q.after.json" >/dev/null
  done
done

{
  echo "## Directory and lookup: territoires vs PostGraphile 4.14.1"
  echo
  machine_line "node $(node --version) · $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo
  rounds=""
  if ((ROUNDS > 1)); then rounds=" × $ROUNDS interleaved rounds (req/s over all rounds, p50 median of the rounds, p99 worst round)"; fi
  echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s$rounds after ${WARMUP}s warm-up, load generator on the same machine;" \
    "queries: bench/queries/*/$DIRECTORY_QUERY.graphql and lookup.graphql (36 communes in turn)."
  echo
  python3 "$BENCH_DIR/benchlib.py" table "$RESULTS" --against postgraphile
} | tee "$RUN_DIR/results.md"
log "raw results: $RUN_DIR"
