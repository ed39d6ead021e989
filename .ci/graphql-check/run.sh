#!/usr/bin/env bash
# Starts the service on a throw-away SQLite database and checks its live schema and the
# example operations with graphql-js (see check.mjs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --locked -q -p territoires
bin="$repo/target/debug/territoires"
export DATABASE_URL="sqlite://$work/territoires.db"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"$bin" migrate
EDITOR_TOKEN="$("$bin" token create --role editor --name ci-editor 2>/dev/null)"
ADMIN_TOKEN="$("$bin" token create --role admin --name ci-admin 2>/dev/null)"
export EDITOR_TOKEN ADMIN_TOKEN

RUST_LOG=warn BIND_ADDR="127.0.0.1:$port" "$bin" serve &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# The schema frontends already build on: schema.graphql at the base revision. On a
# branch, that is where it forked from origin/main (or a local main); on main itself (HEAD = origin/main, as
# in CI after a merge), the previous commit. GRAPHQL_BASE_REV overrides it.
base_rev="${GRAPHQL_BASE_REV:-}"
if [ -z "$base_rev" ]; then
  head="$(git -C "$repo" rev-parse -q --verify HEAD || true)"
  for ref in origin/main main; do
    main="$(git -C "$repo" rev-parse -q --verify "$ref" || true)"
    if [ -n "$main" ] && [ "$main" != "$head" ]; then
      base_rev="$(git -C "$repo" merge-base HEAD "$ref" || echo "$ref")"
      break
    fi
  done
  if [ -z "$base_rev" ] && git -C "$repo" rev-parse -q --verify 'HEAD^' >/dev/null; then
    base_rev='HEAD^'
  fi
fi
base_schema=""
if [ -n "$base_rev" ] && git -C "$repo" show "$base_rev:schema.graphql" >"$work/base.graphql" 2>/dev/null; then
  base_schema="$work/base.graphql"
  echo "base schema: schema.graphql at $base_rev"
else
  echo "skip breaking-change check: no schema.graphql at a base revision (shallow clone or first commit?)"
fi

(cd "$here" && npm ci --silent --no-audit --no-fund)
node "$here/check.mjs" "http://127.0.0.1:$port/graphql" "$repo" "$base_schema"
