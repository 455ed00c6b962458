#!/usr/bin/env bash
# Install the Debian packages VPSelect needs, when any is missing.
#   system-deps.sh run    what the app needs to run (WeasyPrint's libraries and a font)
#   system-deps.sh test   that plus what the tests need (Chromium, pdftoppm)
#   system-deps.sh scale  that plus nginx and PgBouncer for scripts/scale-out.sh
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [[ ${1:-test} == test || ${1:-test} == scale ]]; then
  packages+=(chromium chromium-l10n poppler-utils)
fi
if [[ ${1:-test} == scale ]]; then
  packages+=(nginx-light pgbouncer)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
