#!/usr/bin/env bash
# Builds Sieve: the browser bundle into target/site and the `sieve` binary into target/$SIEVE_PROFILE.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_build_tools
build_all
say "built $SIEVE_BIN and $SITE_ROOT/pkg"
