#!/usr/bin/env bash
# Benchmarks on a synthetic corpus (default 1,000,000 reports): import + index throughput and peak
# memory (`sieve import`), then the search page's latency (`sieve bench-search`). Release build.
# Usage: bash scripts/bench.sh [REPORTS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
reports="${1:-1000000}"
cd "$ROOT"
cargo build --release -p sieve-server
sieve="$TARGET_DIR/release/sieve"
work="$SIEVE_CACHE/bench"
mkdir -p "$work"
corpus="$work/corpus-$reports.jsonl"
[[ -f "$corpus" ]] || "$sieve" gen-corpus --reports "$reports" --seed 7 --out "$corpus"
rm -rf "$work/data"
"$sieve" --data-dir "$work/data" project create Bench --irb BENCH-1 >/dev/null
say "import + index of $reports reports ($(du -h "$corpus" | cut -f1))"
/usr/bin/time -f "import + index: %e s wall, peak memory (max RSS) %M KB" \
  "$sieve" --data-dir "$work/data" import Bench "$corpus"
say "search page latency"
"$sieve" --data-dir "$work/data" bench-search Bench --rounds 20 2>/dev/null
