#!/usr/bin/env bash
# Installs the Debian packages the test suites use as oracles: nix-instantiate (Nix syntax), systemd-analyze
# (calendar events), borg (repository locations and exclude patterns), shellcheck (hook scripts).
# Idempotent: does nothing when every tool is already there.
set -euo pipefail
need=()
command -v nix-instantiate >/dev/null || need+=(nix-bin)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v borg >/dev/null || need+=(borgbackup)
command -v shellcheck >/dev/null || need+=(shellcheck)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies present: nix-instantiate systemd-analyze borg shellcheck"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
