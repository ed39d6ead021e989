#!/usr/bin/env bash
# Times the commune matcher in process: France index build time and size, and the mean
# time per lookup of each input of issue 13 (api/examples/matcher_bench.rs).
# Usage: bench/matcher.sh [--release]   (default: the release profile; figures in
# bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:---release}"
if [ "$profile" = "--dev" ]; then profile=""; fi
cargo run --locked -q $profile -p territoires --example matcher_bench
