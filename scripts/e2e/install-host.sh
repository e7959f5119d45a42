#!/usr/bin/env bash
# Installs what the e2e tests (test/e2e/) need to run the real extension in a real VS Code extension host, offline:
#   - Debian packages: chromium (headless browser = the workbench client), ripgrep (code-server's search binary and
#     the seed for @vscode/ripgrep's download cache), libkrb5-dev (kerberos native module), build-essential, python3,
#     pkg-config (node-gyp builds of code-server's native modules)
#   - code-server@4.100.3 (= VS Code 1.100.3, the last code-server that runs on Node 20) into .cache/e2e-host/
#
# Idempotent: a marker file records a finished install; a second run only re-checks the pieces and takes ~1 s.
#
# Usage: scripts/e2e/install-host.sh [--check]
#   --check   install nothing; exit 1 and name what is missing if the host is not complete.
# Env: E2E_HOST_DIR (default <repo>/.cache/e2e-host), CODE_SERVER_VERSION (default 4.100.3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
DIR="${E2E_HOST_DIR:-$ROOT/.cache/e2e-host}"
MARKER="$DIR/.installed-code-server-$CODE_SERVER_VERSION"
CS_BIN="$DIR/node_modules/.bin/code-server"
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

APT_PACKAGES=(chromium ripgrep libkrb5-dev build-essential python3 pkg-config)
# The files the tests use from those packages (a package can be "installed" yet broken; check what we use).
declare -A APT_FILES=(
  [chromium]=/usr/bin/chromium
  [ripgrep]=/usr/bin/rg
  [libkrb5-dev]=/usr/include/gssapi/gssapi.h
  [build-essential]=/usr/bin/make
  [python3]=/usr/bin/python3
  [pkg-config]=/usr/bin/pkg-config
)

log() { printf '[install-host] %s\n' "$*" >&2; }
die() { printf '[install-host] ERROR: %s\n' "$*" >&2; exit 1; }

missing_apt() {
  local p out=()
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || [[ ! -e "${APT_FILES[$p]}" ]]; then
      out+=("$p")
    fi
  done
  echo "${out[@]:-}"
}

host_complete() {
  [[ -f "$MARKER" && -x "$CS_BIN" && -f "$DIR/node_modules/code-server/lib/vscode/out/server-main.js" ]]
}

# ---- Node ------------------------------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not on PATH (Node 20 is required: code-server $CODE_SERVER_VERSION needs engines.node 20)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$NODE_MAJOR" == "20" ]] || log "warning: node $(node -v); code-server $CODE_SERVER_VERSION declares engines.node 20"

# ---- Debian packages -------------------------------------------------------------------------------------------
MISSING="$(missing_apt)"
if [[ -n "$MISSING" ]]; then
  if (( CHECK_ONLY )); then
    die "missing Debian packages: $MISSING (run: bash scripts/e2e/install-host.sh)"
  fi
  command -v apt-get >/dev/null || die "missing Debian packages: $MISSING, and apt-get is not available"
  [[ "$(id -u)" == 0 ]] || die "missing Debian packages: $MISSING; installing them needs root (apt-get install)"
  log "installing Debian packages: $MISSING"
  mkdir -p "$DIR"
  APT_LOG="$DIR/apt.log"
  apt-get update -qq >"$APT_LOG" 2>&1 || { tail -n 20 "$APT_LOG" >&2; die "apt-get update failed (missing: $MISSING)"; }
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $MISSING >>"$APT_LOG" 2>&1 \
    || { tail -n 20 "$APT_LOG" >&2; die "apt-get install failed for: $MISSING (log: $APT_LOG)"; }
  MISSING="$(missing_apt)"
  [[ -z "$MISSING" ]] || die "still missing after apt-get install: $MISSING"
else
  log "Debian packages present: ${APT_PACKAGES[*]}"
fi

# ---- code-server -----------------------------------------------------------------------------------------------
if host_complete; then
  log "code-server $CODE_SERVER_VERSION present in $DIR"
  exit 0
fi
if (( CHECK_ONLY )); then
  die "code-server $CODE_SERVER_VERSION is not installed in $DIR (run: bash scripts/e2e/install-host.sh)"
fi

log "installing code-server@$CODE_SERVER_VERSION into $DIR (about 1-2 minutes: native modules build from source)"
rm -f "$MARKER"
mkdir -p "$DIR"
cd "$DIR"
echo '{"name":"clan-backups-e2e-host","private":true}' > package.json

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache file exists in $TMPDIR. Seed it from the
# Debian rg (code-server 4.100.x pins @vscode/ripgrep 1.15.11 / ripgrep v13.0.0-10).
RG_TMP="$DIR/.rg-tmp"
rm -rf "$RG_TMP"
mkdir -p "$RG_TMP/vscode-ripgrep-cache-1.15.11" "$RG_TMP/pkg"
cp /usr/bin/rg "$RG_TMP/pkg/rg"
tar czf "$RG_TMP/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$RG_TMP/pkg" rg

# npm_config_yes=true: node-pty's postinstall runs `npx node-gyp` (the user npmrc may say yes=false).
# npm_config_nodedir=/usr: node-gyp uses /usr/include/node instead of downloading headers.
# --unsafe-perm: code-server's postinstall refuses to run as root without it.
INSTALL_LOG="$DIR/install.log"
if ! TMPDIR="$RG_TMP" npm_config_yes=true npm_config_nodedir="${npm_config_nodedir:-/usr}" \
     npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
     npm install --no-save --unsafe-perm --foreground-scripts "code-server@$CODE_SERVER_VERSION" >"$INSTALL_LOG" 2>&1; then
  tail -n 40 "$INSTALL_LOG" >&2
  hints=()
  grep -q 'gssapi/gssapi.h' "$INSTALL_LOG" && hints+=("libkrb5-dev headers (gssapi/gssapi.h)")
  grep -q 'Downloading ripgrep failed' "$INSTALL_LOG" && hints+=("the @vscode/ripgrep download cache (seeded from /usr/bin/rg)")
  grep -q 'npx canceled' "$INSTALL_LOG" && hints+=("npm_config_yes=true for node-pty's npx node-gyp")
  grep -qE 'ENOTFOUND registry|E404|ETIMEDOUT' "$INSTALL_LOG" && hints+=("the npm registry (network)")
  die "npm install code-server@$CODE_SERVER_VERSION failed; see $INSTALL_LOG${hints:+; missing: ${hints[*]}}"
fi
rm -rf "$RG_TMP"

[[ -x "$CS_BIN" ]] || die "code-server binary missing after install: $CS_BIN"
# code-server writes config/logs under HOME/XDG even for --version: keep them in a scratch dir.
SCRATCH="$(mktemp -d)"
VERSION_OUT="$(HOME="$SCRATCH" XDG_CONFIG_HOME="$SCRATCH/config" XDG_DATA_HOME="$SCRATCH/data" \
  "$CS_BIN" --config "$SCRATCH/config.yaml" --version 2>&1 || true)"
rm -rf "$SCRATCH"
grep -q "^$CODE_SERVER_VERSION " <<<"$VERSION_OUT" || die "code-server --version printed: $VERSION_OUT"
echo "$VERSION_OUT" > "$MARKER"
log "installed: $VERSION_OUT"
