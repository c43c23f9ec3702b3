#!/usr/bin/env bash
# Builds Sieve and starts it on its embedded defaults: SQLite and the index under ./data,
# a demo project, http://127.0.0.1:3000. Extra arguments go to `sieve serve` (e.g. --addr 0.0.0.0:8080).
set -euo pipefail
# The browser bundle is built small for users (about 0.8 MB sent on a first load; see lib.sh).
export SIEVE_BUNDLE="${SIEVE_BUNDLE:-release}"
source "$(dirname "$0")/lib.sh"
ensure_build_tools
ensure_sandbox
build_all
cd "$ROOT"
exec "$SIEVE_BIN" serve --demo --site-root "$SITE_ROOT" "$@"
