#!/usr/bin/env bash
# Builds the server, installs the locked Node packages and runs the Node tests against
# PostgreSQL (PG_URL, default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
(cd "$repo" && cargo build --locked -q -p territoires)
cd "$here"
npm ci --silent --no-audit --no-fund
exec npm test --silent -- "$@"
