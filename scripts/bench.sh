#!/usr/bin/env bash
# Benchmarks on a synthetic corpus (default 1,000,000 reports): import + index throughput and peak
# memory (`sieve import`), the search page's latency (`sieve bench-search`), then phrase rules: the
# offline labeler against a Python regex loop (`sieve label`) and soft labels (`sieve bench-labels`),
# label set exports (`sieve bench-export`), and the confirmation queue under 50 concurrent
# affiliates (`sieve bench-queue`).
# Release build.
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
say "phrase rules: offline labeler vs a Python regular-expression loop, and soft labels on the server"
rules="$work/rules"
python3 scripts/bench_rules.py make "$ROOT/scripts/data/chexpert_phrases.csv" "$rules"
rule_args=()
for file in "$rules"/*.csv; do rule_args+=(--rules "$file"); done
"$sieve" label "${rule_args[@]}" --reports "$corpus" --out "$work/labels.jsonl"
# The Python loop is about 400 times slower: it runs on the first 20,000 reports only.
head -n 20000 "$corpus" > "$work/corpus-20k.jsonl"
python3 scripts/bench_rules.py regex "$rules" "$work/corpus-20k.jsonl"
"$sieve" --data-dir "$work/data" bench-labels Bench "${rule_args[@]}" --changes 40 2>/dev/null
say "label set export: 100,000 studies"
"$sieve" bench-export --reports 100000 --rounds 5 2>/dev/null
say "confirmation queue: 50 affiliates labeling at once over HTTP"
# As fast as they can (a closed loop: its latency is 50 / throughput), then reading each study
# 20-60 ms (about 1,100 answers/s), the load the target is stated for.
"$sieve" bench-queue --reports 60000 --affiliates 50 --seconds 20 2>/dev/null
"$sieve" bench-queue --reports 60000 --affiliates 50 --seconds 20 --think-ms 40 2>/dev/null
