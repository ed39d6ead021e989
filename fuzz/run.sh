#!/usr/bin/env bash
# Runs both fuzz targets for a while (default 5 minutes each) on the seed corpus.
#   fuzz/run.sh [seconds per target]
# cargo fuzz needs nightly flags: on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in roster_file normalizers; do
  mkdir -p "corpus/$target"
  echo "== $target, ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048
done
