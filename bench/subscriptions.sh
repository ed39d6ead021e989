#!/usr/bin/env bash
# Subscription fan-out (issue 11): SUBSCRIBERS clients subscribe to `dataChanged`, each
# on its own connection (graphql-ws over WebSocket; with TRANSPORTS=ws,sse as many again
# over graphql-sse, distinct connections mode), then an EDITOR makes CHANGES real writes
# (`updatePartner` over HTTP, one at a time; PostgreSQL's NOTIFY trigger on data_version
# tells the server), and the script measures, per write, when each subscriber got the
# new data version: p50/p95/p99/max, the time until the last subscriber had it, and the
# server's RSS and CPU time. Prints markdown; raw results go to
# bench/out/subscriptions-STAMP/.
#
#   bench/subscriptions.sh            # release build (cargo build --release)
#   bench/subscriptions.sh --dev      # debug build (target/debug/territoires)
#
# Environment (all optional):
#   SUBSCRIBERS=1000   per transport
#   TRANSPORTS=ws      ws, sse or ws,sse
#   CHANGES=20 GAP_MS=250 OPEN_BATCH=100
#   BENCH_DB=territoires_bench_subscriptions
#   BENCH_BUILD=0 TERRITOIRES_BIN=…   use a given binary
#   PG_BASE_URL=postgres://postgres@127.0.0.1:5432
#
# The server's bounds are raised for the run (defaults: SUBSCRIPTIONS_MAX=1000 in total,
# MAX_CONNECTIONS=512, beyond which a connection waits to be accepted): both are set to
# the number of subscribers plus a margin.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "${1:-}" == --dev ]]; then
  TERRITOIRES_BIN="$REPO_DIR/target/debug/territoires"
  build_dev=1
fi
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
TRANSPORTS="${TRANSPORTS:-ws}"
DB="${BENCH_DB:-territoires_bench_subscriptions}"

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT_DIR"
RUN_DIR="$OUT_DIR/subscriptions-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"

warn_if_busy
ensure_base_tools
if [[ "${build_dev:-0}" == 1 && "${BENCH_BUILD:-auto}" != 0 ]]; then
  log "cargo build -p territoires"
  (cd "$REPO_DIR" && cargo build -p territoires --quiet) || fail "the debug build failed"
  [[ -x "$TERRITOIRES_BIN" ]] || fail "no binary at $TERRITOIRES_BIN"
else
  ensure_binary
fi

# The clients: graphql-ws, graphql-sse and ws as locked in tests/node.
need_cmd node || fail "Node 20 is needed"
node_dir="$REPO_DIR/tests/node"
if [[ ! -f "$node_dir/node_modules/graphql-ws/package.json" || ! -f "$node_dir/node_modules/graphql-sse/package.json" ]]; then
  log "installing the locked Node packages (npm ci in tests/node)"
  (cd "$node_dir" && npm ci --silent --no-audit --no-fund)
fi

# One socket per subscriber on each side (the server and the client both run here),
# plus the server's database pool and the client's HTTP connection.
transports_n=$(tr ',' '\n' <<<"$TRANSPORTS" | grep -c .)
total=$((SUBSCRIBERS * transports_n))
need_fds=$((total + 256))
if (($(ulimit -n) < need_fds)); then
  ulimit -n "$need_fds" 2>/dev/null \
    || fail "ulimit -n is $(ulimit -n) (hard limit $(ulimit -Hn)): $total subscribers need about $need_fds open files per process"
fi
log "open-file limit $(ulimit -n) for the server and the client ($total subscribers)"

fresh_db "$DB"
migrate_db "$DB"
seed_db "$DB"
editor_token="$(DATABASE_URL="$(db_url "$DB")" "$TERRITOIRES_BIN" token create --role editor --name bench-fanout)"
[[ -n "$editor_token" ]] || fail "no EDITOR token"

port="$(free_port)"
start_territoires "$DB" "$port" \
  SUBSCRIPTIONS_MAX="$((total + 64))" \
  MAX_CONNECTIONS="$((total + 128))"
url="http://127.0.0.1:$port/graphql"

log "$total subscribers ($TRANSPORTS), ${CHANGES:-20} writes"
status=0
GRAPHQL_URL="$url" EDITOR_TOKEN="$editor_token" SERVER_PID="$TERRITOIRES_PID" \
  SUBSCRIBERS="$SUBSCRIBERS" TRANSPORTS="$TRANSPORTS" RESULT_JSON="$RUN_DIR/result.json" \
  node "$BENCH_DIR/subscriptions/fanout.mjs" >"$RUN_DIR/report.md" || status=$?

echo
echo "$(machine_line "$(basename "$TERRITOIRES_BIN") build in $(dirname "$TERRITOIRES_BIN" | xargs basename), load average after the run $(cut -d' ' -f1-3 /proc/loadavg)")"
echo
cat "$RUN_DIR/report.md"
((status == 0)) || fail "some subscribers missed a write or failed (see $RUN_DIR)"
