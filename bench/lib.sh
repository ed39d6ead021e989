# Shared by the bench/*.sh scripts (sourced, not run). Bash, `set -euo pipefail` set by
# the caller. Everything a script starts is recorded and stopped by `bench_cleanup`,
# which the callers install as their EXIT trap.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
# PostgreSQL server URL without a database name (trust auth in the reference setup).
PG_BASE_URL="${PG_BASE_URL:-postgres://postgres@127.0.0.1:5432}"
OUT_DIR="${BENCH_OUT:-$BENCH_DIR/out}"
TERRITOIRES_BIN="${TERRITOIRES_BIN:-$REPO_DIR/target/release/territoires}"

BENCH_PIDS=()
BENCH_DBS=()

log() { printf '\033[1m[bench %s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { printf '\033[31m[bench] FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

bench_cleanup() {
  local status=$?
  local pid child
  for pid in "${BENCH_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      # Its children first (wrk under a subshell, PostGraphile's cluster workers).
      for child in $(pgrep -P "$pid" 2>/dev/null || true); do kill -TERM "$child" 2>/dev/null || true; done
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ "${KEEP_DB:-0}" != 1 ]]; then
    local db
    for db in "${BENCH_DBS[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  exit "$status"
}

psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql "$PG_BASE_URL/postgres" -X -q -v ON_ERROR_STOP=1 "$@"; }
db_url() { echo "$PG_BASE_URL/$1"; }

# Tools ---------------------------------------------------------------------------------

need_cmd() { command -v "$1" >/dev/null 2>&1; }

apt_install() { # package
  if [[ $(id -u) -ne 0 ]]; then fail "install the Debian package $1 (apt-get install $1)"; fi
  log "installing $1 (apt)"
  apt-get install -y -qq "$1" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq "$1" >/dev/null
  }
}

ensure_apt_tool() { # command package
  need_cmd "$1" && return 0
  apt_install "$2"
  need_cmd "$1" || fail "could not install $2"
}

ensure_base_tools() {
  ensure_apt_tool psql postgresql-client
  ensure_apt_tool curl curl
  need_cmd python3 || fail "python3 is needed"
  psql_admin -c 'SELECT 1' >/dev/null 2>&1 \
    || fail "PostgreSQL is not reachable at $PG_BASE_URL (set PG_BASE_URL)"
}

ensure_wrk() { ensure_apt_tool wrk wrk; }

ensure_postgraphile() {
  need_cmd npm || fail "npm is needed for PostGraphile (Node 20)"
  local dir="$BENCH_DIR/postgraphile"
  if [[ ! -x "$dir/node_modules/.bin/postgraphile" ]] \
    || ! grep -q '"version": "4.14.1"' "$dir/node_modules/postgraphile/package.json" 2>/dev/null; then
    log "installing PostGraphile 4.14.1 (npm ci in bench/postgraphile)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  POSTGRAPHILE_BIN="$dir/node_modules/.bin/postgraphile"
}

ensure_venv() {
  local venv="$BENCH_DIR/.venv" stamp="$BENCH_DIR/.venv/.requirements"
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating bench/.venv"
    python3 -m venv "$venv" 2>/dev/null || {
      rm -rf "$venv"
      apt_install python3-venv # Debian ships venv apart
      python3 -m venv "$venv"
    }
  fi
  if ! cmp -s "$BENCH_DIR/requirements.txt" "$stamp"; then
    log "installing bench/requirements.txt into bench/.venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$BENCH_DIR/requirements.txt"
    cp "$BENCH_DIR/requirements.txt" "$stamp"
  fi
  # shellcheck disable=SC2034 # used by the scripts that source this file
  VENV_PY="$venv/bin/python"
}

# The release binary: built with cargo unless BENCH_BUILD=0 (or TERRITOIRES_BIN is given
# and exists). Cargo rebuilds only what changed, and may wait on the shared target lock.
ensure_binary() {
  if [[ "${BENCH_BUILD:-auto}" != 0 ]]; then
    need_cmd cargo || fail "cargo is needed to build territoires (or set BENCH_BUILD=0 TERRITOIRES_BIN=…)"
    log "cargo build --release -p territoires"
    (cd "$REPO_DIR" && cargo build --release -p territoires --quiet) \
      || fail "the release build failed"
  fi
  [[ -x "$TERRITOIRES_BIN" ]] || fail "no binary at $TERRITOIRES_BIN"
}

# One line describing the run: date, machine, versions, commit, load before the run.
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
machine_line() {
  local dirty=""
  git -C "$REPO_DIR" diff --quiet HEAD -- api sync entity migration 2>/dev/null || dirty="+uncommitted"
  echo "$(date -Iseconds) · $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))" \
    "· load average before the run $LOAD_AT_START" \
    "· PostgreSQL $(psql_admin -At -c 'SHOW server_version' | cut -d' ' -f1)" \
    "· territoires binary of $(date -r "$TERRITOIRES_BIN" '+%F %H:%M' 2>/dev/null || echo '?')," \
    "tree at $(git -C "$REPO_DIR" rev-parse --short HEAD)$dirty${1:+ · $1}"
}

warn_if_busy() {
  local one
  one=$(cut -d' ' -f1 /proc/loadavg)
  if python3 -c "import sys; sys.exit(0 if float('$one') > 1.0 else 1)"; then
    log "WARNING: load average $one before the run: other work on this machine will skew the figures"
  fi
}

free_port() { python3 "$BENCH_DIR/benchlib.py" free-port; }

# Databases ------------------------------------------------------------------------------

# fresh_db NAME: drops NAME if a previous run left it, creates it, records it for cleanup.
fresh_db() {
  psql_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
  psql_admin -c "CREATE DATABASE \"$1\"" >/dev/null
  BENCH_DBS+=("$1")
}

# copy_db TEMPLATE NAME
copy_db() {
  psql_admin -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >/dev/null
  psql_admin -c "CREATE DATABASE \"$2\" TEMPLATE \"$1\"" >/dev/null
  BENCH_DBS+=("$2")
}

migrate_db() { # NAME
  DATABASE_URL="$(db_url "$1")" "$TERRITOIRES_BIN" migrate >"$OUT_DIR/migrate-$1.log" 2>&1 \
    || { cat "$OUT_DIR/migrate-$1.log" >&2; fail "territoires migrate failed on $1"; }
}

seed_db() { # NAME
  psql "$(db_url "$1")" -X -q -v ON_ERROR_STOP=1 -f "$BENCH_DIR/seed.sql" >"$OUT_DIR/seed-$1.log" 2>&1 \
    || { cat "$OUT_DIR/seed-$1.log" >&2; fail "bench/seed.sql failed on $1"; }
}

# Servers --------------------------------------------------------------------------------

wait_http() { # URL what [seconds]
  local deadline=$((SECONDS + ${3:-60}))
  until curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data '{"query":"{__typename}"}' "$1"; do
    ((SECONDS < deadline)) || fail "$2 did not answer at $1 within ${3:-60} s"
    sleep 0.3
  done
}

# start_territoires DB PORT [VAR=VALUE…] → sets TERRITOIRES_PID
start_territoires() {
  local db=$1 port=$2 log="$OUT_DIR/territoires-$2.log"
  shift 2
  env DATABASE_URL="$(db_url "$db")" BIND_ADDR="127.0.0.1:$port" RUST_LOG="${RUST_LOG:-warn}" \
    "$@" "$TERRITOIRES_BIN" serve >"$log" 2>&1 &
  TERRITOIRES_PID=$!
  BENCH_PIDS+=("$TERRITOIRES_PID")
  wait_http "http://127.0.0.1:$port/graphql" "territoires (log: $log)" 120
}

# start_postgraphile DB PORT WORKERS → sets POSTGRAPHILE_PID
# The production options PostGraphile recommends (no watch mode, no GraphiQL, no query
# log), default inflection so the generated names are the documented ones.
start_postgraphile() {
  local log="$OUT_DIR/postgraphile-$2.log" workers=()
  if [[ "${3:-1}" -gt 1 ]]; then workers=(--cluster-workers "$3"); fi
  NODE_ENV=production "$POSTGRAPHILE_BIN" \
    --connection "$(db_url "$1")" --schema public \
    --host 127.0.0.1 --port "$2" \
    --disable-query-log --disable-graphiql \
    --dynamic-json --no-setof-functions-contain-nulls --no-ignore-rbac \
    --legacy-relations omit \
    "${workers[@]}" >"$log" 2>&1 &
  POSTGRAPHILE_PID=$!
  BENCH_PIDS+=("$POSTGRAPHILE_PID")
  wait_http "http://127.0.0.1:$2/graphql" "PostGraphile (log: $log)" 120
}

# rss_kb PID: resident set size of the process (and its children, e.g. cluster workers).
rss_kb() {
  local total=0 pid rss
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${rss:-0}))
  done
  echo "$total"
}

# run_wrk URL BODIES SECONDS CONNECTIONS THREADS OUTPUT
# (wrk runs in the background so that a signal reaches the script's trap at once.)
run_wrk() {
  local pid status=0
  BENCH_BODIES="$2" wrk --latency -t "$5" -c "$4" -d "${3}s" --timeout 10s \
    -s "$BENCH_DIR/wrk/graphql.lua" "$1" >"$6" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || status=$?
  ((status == 0)) || { cat "$6" >&2; fail "wrk failed ($status)"; }
}
