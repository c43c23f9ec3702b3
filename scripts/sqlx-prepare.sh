#!/usr/bin/env bash
# Regenerates .sqlx/, the query descriptions that let `query!` check SQL at compile time without a
# database. Run it after changing a query or a migration, and commit .sqlx/.
# With --check, only verifies that the committed .sqlx/ matches the queries and migrations.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 - "$scratch/schema.db" migrations/*.sql <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
for path in sorted(sys.argv[2:]):
    connection.executescript(open(path).read())
connection.commit()
PY
mkdir -p "$scratch/queries"
# Touching the crate makes the query macros run again and write their descriptions.
touch core/src/lib.rs
DATABASE_URL="sqlite:$scratch/schema.db" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$scratch/queries" \
  cargo check -p sieve-core --all-targets --quiet
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r "$scratch/queries" .sqlx >/dev/null; then
    echo "error: .sqlx/ is out of date with the queries or migrations: run scripts/sqlx-prepare.sh and commit .sqlx/" >&2
    exit 1
  fi
  echo ".sqlx/ is up to date ($(ls .sqlx | wc -l) queries)"
else
  rm -rf .sqlx && cp -r "$scratch/queries" .sqlx
  echo "wrote $(ls .sqlx | wc -l) query descriptions to .sqlx/"
fi
