# Shared by the scripts: where things are built and the tools every build needs, installed on demand.
# Every install step is idempotent: a second run finds the tool and does nothing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIEVE_CACHE="${SIEVE_CACHE:-$HOME/.cache/sieve}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE_ROOT="${SIEVE_SITE_ROOT:-$TARGET_DIR/site}"
export CARGO_TARGET_DIR="$TARGET_DIR"
export PATH="$SIEVE_CACHE/tools/bin:$HOME/.cargo/bin:$PATH"
# SIEVE_PROFILE=release builds an optimised server (the Dockerfile does); debug builds it fast.
SIEVE_PROFILE="${SIEVE_PROFILE:-debug}"
case "$SIEVE_PROFILE" in
  debug) SERVER_FLAGS=() ;;
  release) SERVER_FLAGS=(--release) ;;
  *) echo "error: SIEVE_PROFILE must be debug or release, not $SIEVE_PROFILE" >&2; exit 1 ;;
esac
# SIEVE_BUNDLE=release builds the browser bundle small (the `wasm-release` profile, without the
# 5.7 MB of function names, then brotli at its best): start.sh and the Dockerfile do. debug builds
# it fast and keeps the names for stack traces (the test command). Either way the files are named
# after their content and precompressed (publish_bundle). wasm-opt -Oz is not run: it shrinks the
# wasm by 13% but the brotli and gzip forms grow by 12% and 17%, and it takes 2 minutes.
SIEVE_BUNDLE="${SIEVE_BUNDLE:-$SIEVE_PROFILE}"
case "$SIEVE_BUNDLE" in
  debug) WASM_FLAGS=(); WASM_DIR=debug; BINDGEN_FLAGS=(); BROTLI_QUALITY=5 ;;
  release)
    WASM_FLAGS=(--profile wasm-release); WASM_DIR=wasm-release
    BINDGEN_FLAGS=(--remove-name-section --remove-producers-section); BROTLI_QUALITY=11 ;;
  *) echo "error: SIEVE_BUNDLE must be debug or release, not $SIEVE_BUNDLE" >&2; exit 1 ;;
esac
SIEVE_BIN="$TARGET_DIR/$SIEVE_PROFILE/sieve"
# Read at compile time by leptos: identical for every build (also set in .cargo/config.toml).
export LEPTOS_OUTPUT_NAME=sieve

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_build_tools() {
  command -v cargo >/dev/null || { echo "error: cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local wanted
  wanted="$(wasm_bindgen_version)"
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wanted" ]]; then
    say "installing wasm-bindgen-cli $wanted into $SIEVE_CACHE/tools (once; about 10 minutes)"
    cargo install wasm-bindgen-cli --version "=$wanted" --root "$SIEVE_CACHE/tools"
  fi
  # brotli writes the bundle's .br files (gzip is everywhere); without it browsers get gzip.
  if ! command -v brotli >/dev/null && command -v apt-get >/dev/null; then
    say "installing brotli from Debian (once): it compresses the browser bundle"
    local sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq brotli
  fi
}

# Builds the browser bundle (wasm + JS glue + CSS) into $SITE_ROOT/pkg and the server binary.
build_all() {
  cd "$ROOT"
  say "building the browser side (wasm, $SIEVE_BUNDLE)"
  cargo build -p sieve-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate "${WASM_FLAGS[@]}"
  local staging
  staging="$(mktemp -d "$TARGET_DIR/bundle.XXXXXX")"
  wasm-bindgen --target web --no-typescript "${BINDGEN_FLAGS[@]}" --out-dir "$staging" --out-name sieve \
    "$TARGET_DIR/wasm32-unknown-unknown/$WASM_DIR/sieve_app.wasm"
  mv -f "$staging/sieve_bg.wasm" "$staging/sieve.wasm"
  cp style/main.css "$staging/sieve.css"
  publish_bundle "$staging"
  rm -rf "$staging"
  say "building the server"
  cargo build -p sieve-server "${SERVER_FLAGS[@]}"
}

# Publishes the bundle in $1 (sieve.js, sieve.wasm, sieve.css) under names that carry its content's
# hash, pkg/sieve.<hash>.{js,wasm,css}, so that browsers may keep the files for a year: a new build
# is a new name. Each file's brotli and gzip forms are written beside it and sent as they are
# (server/src/bundle.rs). The hash goes last into $SITE_ROOT/bundle.txt, where the server reads it at
# start. The previous bundle stays, so that a server started before this build still finds its own;
# older ones are removed (files of other names are left alone).
publish_bundle() {
  local staging="$1" pkg="$SITE_ROOT/pkg"
  local hash previous file name extension
  hash="$(cat "$staging/sieve.js" "$staging/sieve.wasm" "$staging/sieve.css" | sha256sum | cut -c1-16)"
  previous="$(cat "$SITE_ROOT/bundle.txt" 2>/dev/null || true)"
  mkdir -p "$pkg"
  for file in "$pkg"/sieve.????????????????.*; do
    [[ -e "$file" ]] || continue
    name="${file##*/}"
    if [[ "$name" != "sieve.$hash."* && ( -z "$previous" || "$name" != "sieve.$previous."* ) ]]; then
      rm -f "$file"
    fi
  done
  say "compressing the browser bundle (gzip, brotli -q $BROTLI_QUALITY)"
  for extension in js wasm css; do
    file="$pkg/sieve.$hash.$extension"
    cp "$staging/sieve.$extension" "$file"
    gzip -9 -n -k -f "$file"
    if command -v brotli >/dev/null; then
      brotli -q "$BROTLI_QUALITY" -k -f "$file"
    fi
  done
  echo "$hash" >"$SITE_ROOT/bundle.txt.new"
  mv -f "$SITE_ROOT/bundle.txt.new" "$SITE_ROOT/bundle.txt"
  say "browser bundle: $(du -b "$pkg/sieve.$hash.wasm" | cut -f1) bytes of wasm, sent as $(du -b "$pkg/sieve.$hash.wasm.br" 2>/dev/null | cut -f1) (br) or $(du -b "$pkg/sieve.$hash.wasm.gz" | cut -f1) (gzip)"
}

# bubblewrap: the local backend runs every training job in a sandbox made with it (core/src/training/sandbox.rs).
ensure_sandbox() {
  if ! command -v bwrap >/dev/null; then
    say "installing bubblewrap from Debian (once): training jobs run in its sandbox"
    local sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq bubblewrap
  fi
}

# Debian's Chromium for the browser tests, and Playwright from npm (never its own browser download).
ensure_browser_tools() {
  if [[ ! -x /usr/bin/chromium ]]; then
    say "installing Chromium from Debian (once)"
    local sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
  fi
  command -v npm >/dev/null || { echo "error: npm not found: install Node.js 20 or later" >&2; exit 1; }
  say "installing Playwright (npm ci)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
}

# Debian's Slurm and munge: the Slurm backend's tests start a real single-node cluster with them.
ensure_slurm() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing Slurm and munge from Debian (once)"
    local sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurm-wlm munge
  fi
}

# Prints a free TCP port on the loopback interface.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until a URL answers 200, or fails after $2 seconds.
wait_for() {
  python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request
url, deadline = sys.argv[1], time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        if urllib.request.urlopen(url, timeout=2).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
PY
}

# Schemathesis (from PyPI) in a virtual environment under the cache, for fuzzing the REST API.
SCHEMATHESIS_VERSION=4.32.5
# Reference implementations the agreement measures are checked against (scripts/agreement_reference.py).
AGREEMENT_REFERENCES="scikit-learn==1.5.2 statsmodels==0.14.4 krippendorff==0.8.1 irrCAC==0.4.4"

ensure_agreement_references() {
  local venv="$SIEVE_CACHE/refvenv"
  if ! "$venv/bin/python" -c "import sklearn, statsmodels, krippendorff, irrCAC" 2>/dev/null \
    || [[ "$(cat "$venv/installed" 2>/dev/null)" != "$AGREEMENT_REFERENCES" ]]; then
    say "installing the agreement reference implementations into $venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # the list is one package per word
    "$venv/bin/pip" install --quiet --disable-pip-version-check $AGREEMENT_REFERENCES
    echo "$AGREEMENT_REFERENCES" >"$venv/installed"
  fi
  REFERENCE_PYTHON="$venv/bin/python"
}

ensure_schemathesis() {
  local venv="$SIEVE_CACHE/venv"
  if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  SCHEMATHESIS="$venv/bin/schemathesis"
}

# An MLLP client no one here wrote, for the live feed's tests: `mllp_send` of python-hl7 (PyPI `hl7`).
HL7_CLIENT_VERSION=0.4.5

ensure_mllp_client() {
  local venv="$SIEVE_CACHE/hl7venv"
  if [[ "$(cat "$venv/installed" 2>/dev/null)" != "$HL7_CLIENT_VERSION" ]] || [[ ! -x "$venv/bin/mllp_send" ]]; then
    say "installing python-hl7 $HL7_CLIENT_VERSION (mllp_send) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "hl7==$HL7_CLIENT_VERSION"
    echo "$HL7_CLIENT_VERSION" >"$venv/installed"
  fi
  export SIEVE_MLLP_SEND="$venv/bin/mllp_send"
}
