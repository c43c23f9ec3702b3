#!/usr/bin/env bash
# Label quality on the development set (issue 16): the CheXpert labeler's phrases for seven findings
# with Sieve's shipped cue lists, scored against the set's gold labels by `sieve evaluate`.
#   bash scripts/evaluate.sh [--settings TEXT_SETTINGS.yaml]
# Needs ../shared/data beside the repository; writes only under $OUT (default
# ~/.cache/sieve/evaluate), never into the repository (the report texts' licence forbids it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
cargo build --release -p sieve-server --quiet
out="${OUT:-$SIEVE_CACHE/evaluate}"
python3 scripts/evaluate_iu.py "$out"
rules=()
for file in "$out"/rules/*.csv; do rules+=(--rules "$file"); done
"$TARGET_DIR/release/sieve" evaluate "${rules[@]}" \
  --reports "$out/reports.jsonl" --gold "$out/gold.csv" \
  --disagreements "$out/disagreements.csv" "$@"
