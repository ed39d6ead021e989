#!/usr/bin/env bash
# Retakes the administrator's guide screenshots, docs/images/console-*.png (1280×800),
# from the console's browser test, and tests/node/screenshots/graphiql.png, on PostgreSQL
# (PG_URL, as for run.sh). The normal test run takes the same pictures into a temporary
# folder and never compares pixels: only this script (SCREENSHOTS=1) changes them.
# Review the pictures, then commit them with the guide. Times shown (imports, journal,
# next run) and the token value are those of the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
(cd "$repo" && cargo build --locked -q -p territoires)
cd "$here"
npm ci --silent --no-audit --no-fund
SCREENSHOTS=1 node --test --test-concurrency=1 --test-reporter=spec tests/console.test.mjs tests/graphiql.test.mjs
ls -l "$repo"/docs/images/console-*.png "$here/screenshots/graphiql.png"
du -ch "$repo"/docs/images/console-*.png | tail -1
