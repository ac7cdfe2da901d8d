#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser tests when it is missing (CI runs on a
# fresh machine as root). playwright-core drives it; no browser is downloaded by Playwright.
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
  "$bin" --version 2>/dev/null || true
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "error: $bin is missing and this is not root: install Debian's chromium package (apt-get install chromium)" >&2
  exit 1
fi
echo "installing chromium (Debian package) for the console's browser tests" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$bin" --version
