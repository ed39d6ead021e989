#!/usr/bin/env bash
# Roster import benchmark, same run: `territoires sync FILE --json` vs the same import
# scripted the way an administrator would in Python (bench/import_pandas.py: pandas
# read_excel with openpyxl, then psycopg COPY + upsert), on a generated 20,000-row .xlsx,
# each run on a fresh copy of the same PostgreSQL database. Reports the time split into
# reading, validating (planning) and applying, and end to end (wall clock of the whole
# command, process start included).
#
#   bench/import.sh
#
# Environment (all optional):
#   ROWS=20000           roster rows (bench/gen_roster.py)
#   RUNS=3               runs of each side, alternated; the table shows medians
#   ROSTER_REFERENCE=1   the file holds the 7 reference coordinators (nobody is
#                        deactivated); 0 leaves them out: 7/7 deactivated, so the
#                        deactivation guard refuses it and territoires gets --force
#   SYNC_EXTRA_ARGS=     more arguments for `territoires sync`
#   BENCH_DB=territoires_import   prefix of the databases (template, one copy per run)
#   KEEP_DB=1  BENCH_BUILD=0  TERRITOIRES_BIN=…  PG_BASE_URL=…
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS="${ROWS:-20000}"
RUNS="${RUNS:-3}"
ROSTER_REFERENCE="${ROSTER_REFERENCE:-1}"
DB="${BENCH_DB:-territoires_import}"
PY_SIDE="python (pandas + openpyxl + psycopg)"
RS_SIDE="territoires sync"

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT_DIR"
RUN_DIR="$OUT_DIR/import-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"
RESULTS="$RUN_DIR/results.jsonl"
: >"$RESULTS"

warn_if_busy
ensure_base_tools
ensure_venv
ensure_binary

# The roster, generated once per size and generator version.
gen_args=(--rows "$ROWS")
suffix=""
if [[ "$ROSTER_REFERENCE" == 0 ]]; then gen_args+=(--no-reference); suffix="-noref"; fi
ROSTER="$OUT_DIR/roster-$ROWS$suffix.xlsx"
if [[ ! -s "$ROSTER" || "$BENCH_DIR/gen_roster.py" -nt "$ROSTER" ]]; then
  log "generating $ROSTER"
  "$VENV_PY" "$BENCH_DIR/gen_roster.py" "$ROSTER" "${gen_args[@]}"
fi

# Does this build have the sync subcommand?
RUST=1
if ! "$TERRITOIRES_BIN" sync --help >"$RUN_DIR/sync-help.txt" 2>&1; then
  if grep -qiE "unrecognized subcommand|unexpected argument|no such (sub)?command" "$RUN_DIR/sync-help.txt"; then
    RUST=0
    log "SKIPPING territoires: this build has no 'sync' subcommand yet ($(head -1 "$RUN_DIR/sync-help.txt"))"
  else
    cat "$RUN_DIR/sync-help.txt" >&2
    fail "territoires sync --help failed"
  fi
fi
sync_args=(--json)
if [[ "$ROSTER_REFERENCE" == 0 ]]; then sync_args+=(--force); fi
# shellcheck disable=SC2206
sync_args+=(${SYNC_EXTRA_ARGS:-})

log "template database ${DB}_tpl: migrate, seed"
fresh_db "${DB}_tpl"
migrate_db "${DB}_tpl"
seed_db "${DB}_tpl"

now_ms() { date +%s%3N; }

# fingerprint DB: what the roster looks like after an import (both sides must agree).
fingerprint() {
  psql "$(db_url "$1")" -X -At -v ON_ERROR_STOP=1 -c "
    SELECT count(*) FILTER (WHERE active) || ' active, ' ||
           count(*) FILTER (WHERE NOT active) || ' inactive, ' ||
           (SELECT count(*) FROM coordinator_assignments WHERE ended_at IS NULL) ||
           ' current assignments, md5 ' ||
           md5(string_agg(concat_ws('|', c.employee_id, c.first_name, c.last_name, c.title,
                                    c.email, c.phone, c.active,
                                    (SELECT string_agg(t.number::text, ',' ORDER BY t.number)
                                     FROM coordinator_assignments a
                                     JOIN territories t ON t.id = a.territory_id
                                     WHERE a.coordinator_id = c.id AND a.ended_at IS NULL)),
                          E'\n' ORDER BY c.email))
    FROM coordinators c"
}

dump_roster() { # DB FILE
  psql "$(db_url "$1")" -X -q -v ON_ERROR_STOP=1 -c "\\copy (
    SELECT c.employee_id, c.first_name, c.last_name, c.title, c.email, c.phone, c.active,
           (SELECT string_agg(t.number::text, ',' ORDER BY t.number)
            FROM coordinator_assignments a JOIN territories t ON t.id = a.territory_id
            WHERE a.coordinator_id = c.id AND a.ended_at IS NULL) AS territories
    FROM coordinators c ORDER BY c.email) TO '$2' WITH (FORMAT csv, HEADER)"
}

run_python() { # RUN
  local db="${DB}_py_$1" start end
  copy_db "${DB}_tpl" "$db"
  start=$(now_ms)
  DATABASE_URL="$(db_url "$db")" "$VENV_PY" "$BENCH_DIR/import_pandas.py" "$ROSTER" \
    >"$RUN_DIR/python-$1.json" 2>"$RUN_DIR/python-$1.err" \
    || { cat "$RUN_DIR/python-$1.err" >&2; fail "import_pandas.py failed (run $1)"; }
  end=$(now_ms)
  python3 "$BENCH_DIR/benchlib.py" import-result "$PY_SIDE" "$1" "$((end - start))" \
    "$RUN_DIR/python-$1.json" >>"$RESULTS"
  PY_FINGERPRINT=$(fingerprint "$db")
  if [[ "$1" == 1 ]]; then dump_roster "$db" "$RUN_DIR/roster-after-python.csv"; fi
  log "  python run $1: $((end - start)) ms — $PY_FINGERPRINT"
  psql_admin -c "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
}

run_rust() { # RUN
  local db="${DB}_rs_$1" start end status=0
  copy_db "${DB}_tpl" "$db"
  start=$(now_ms)
  DATABASE_URL="$(db_url "$db")" "$TERRITOIRES_BIN" sync "$ROSTER" "${sync_args[@]}" \
    >"$RUN_DIR/territoires-$1.json" 2>"$RUN_DIR/territoires-$1.err" || status=$?
  end=$(now_ms)
  if [[ $status -ne 0 ]]; then
    cat "$RUN_DIR/territoires-$1.json" "$RUN_DIR/territoires-$1.err" >&2
    fail "territoires sync exited with $status (run $1)"
  fi
  python3 "$BENCH_DIR/benchlib.py" import-result "$RS_SIDE" "$1" "$((end - start))" \
    "$RUN_DIR/territoires-$1.json" >>"$RESULTS"
  RS_FINGERPRINT=$(fingerprint "$db")
  if [[ "$1" == 1 ]]; then dump_roster "$db" "$RUN_DIR/roster-after-territoires.csv"; fi
  log "  territoires run $1: $((end - start)) ms — $RS_FINGERPRINT"
  psql_admin -c "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
}

log "importing $ROSTER ($ROWS rows), $RUNS run(s) per side"
for run in $(seq "$RUNS"); do
  if ((RUST)); then run_rust "$run"; fi
  run_python "$run"
done

MISMATCH=0
if ((RUST)) && [[ "$RS_FINGERPRINT" != "$PY_FINGERPRINT" ]]; then
  MISMATCH=1
fi

{
  echo "## Roster import: $ROWS rows (.xlsx), PostgreSQL"
  echo
  machine_line "$("$VENV_PY" -c 'import sys, pandas, openpyxl, psycopg; print(f"Python {sys.version.split()[0]}, pandas {pandas.__version__}, openpyxl {openpyxl.__version__}, psycopg {psycopg.__version__}")')"
  echo
  python3 "$BENCH_DIR/benchlib.py" import-table "$RESULTS" --baseline "$PY_SIDE"
  echo
  if ((!RUST)); then
    echo "territoires: not measured, this build has no \`sync\` subcommand."
  elif ! grep -q '"has_timings": true' <(grep "\"$RS_SIDE\"" "$RESULTS"); then
    echo "territoires: its --json output carries no \`timings\`: end to end only."
  fi
  echo "Database after the import — python: $PY_FINGERPRINT"
  if ((RUST)); then echo "Database after the import — territoires: $RS_FINGERPRINT"; fi
  if ((MISMATCH)); then
    echo
    echo "**WARNING: the two imports did not leave the same roster** (diff of"
    echo "$RUN_DIR/roster-after-python.csv and roster-after-territoires.csv):"
    echo '```'
    diff "$RUN_DIR/roster-after-python.csv" "$RUN_DIR/roster-after-territoires.csv" | head -20 || true
    echo '```'
  fi
} | tee "$RUN_DIR/results.md"
log "raw results: $RUN_DIR"
