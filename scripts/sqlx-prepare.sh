#!/usr/bin/env bash
# Regenerates .sqlx/, the query descriptions that let `query!` check SQL at compile time
# without a database. Run it after changing a query or a migration, and commit .sqlx/.
set -euo pipefail
cd "$(dirname "$0")/.."
schema_db="$(mktemp -d)/schema.db"
python3 - "$schema_db" migrations/*.sql <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
for path in sorted(sys.argv[2:]):
    connection.executescript(open(path).read())
connection.commit()
PY
rm -rf .sqlx && mkdir -p .sqlx
# Touching the crates forces the query macros to run again and write their descriptions.
touch core/src/lib.rs
DATABASE_URL="sqlite:$schema_db" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" \
  cargo check --workspace --all-targets --quiet
echo "wrote $(ls .sqlx | wc -l) query descriptions to .sqlx/"
