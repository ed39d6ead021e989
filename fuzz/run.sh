#!/usr/bin/env bash
# Runs the fuzz targets for a while (default 5 minutes each) on the seed corpus.
#   fuzz/run.sh [seconds per target]
# cargo fuzz needs nightly flags: on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in roster_file roster_memory normalizers; do
  # roster_memory reads the roster corpus (its hostile workbooks included).
  corpus="corpus/$target"
  [ "$target" = roster_memory ] && corpus="corpus/roster_file"
  mkdir -p "$corpus"
  echo "== $target, ${seconds}s"
  # -malloc_limit_mb: any single allocation over 512 MiB is a crash, whatever the target.
  cargo fuzz run "$target" "$corpus" -- -max_total_time="$seconds" -max_len=262144 \
    -rss_limit_mb=2048 -malloc_limit_mb=512
done
