#!/usr/bin/env bash
# Retakes the administrator's guide screenshots, docs/images/console-*.png (1280×800),
# from the console's browser test, on PostgreSQL (PG_URL, as for run.sh). The normal test
# run takes the same pictures into a temporary folder and never compares pixels: only
# this script changes docs/images/. Review the pictures, then commit them with the guide.
# Times shown (imports, journal, next run) and the token value are those of the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
(cd "$repo" && cargo build --locked -q -p territoires)
cd "$here"
npm ci --silent --no-audit --no-fund
mkdir -p "$repo/docs/images"
SCREENSHOTS_DIR="$repo/docs/images" node --test --test-reporter=spec tests/console.test.mjs
ls -l "$repo"/docs/images/console-*.png
du -ch "$repo"/docs/images/console-*.png | tail -1
