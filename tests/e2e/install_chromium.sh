#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (Playwright for Python drives /usr/bin/chromium; it
# never downloads a browser of its own). Exit 0: installed. Exit 75: cannot install on this machine (not root, no
# apt, Debian unreachable): the browser tests skip, or fail with CI=true. Any other failure is a real error.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
cannot() { echo "install_chromium: $*" >&2; exit 75; }
command -v apt-get >/dev/null || cannot "no apt-get on this machine"
[ "$(id -u)" = 0 ] || cannot "apt-get needs root (or install the chromium package yourself)"
export DEBIAN_FRONTEND=noninteractive
update() {
  timeout 180 apt-get update -qq -o Acquire::Retries=2 -o Acquire::http::Timeout=20 \
    || cannot "apt-get update failed (Debian unreachable?)"
}
install() { timeout 600 apt-get install -y -qq --no-install-recommends -o Acquire::Retries=2 chromium >/dev/null; }
# A fresh machine has no package index yet; an old index may name a version the mirror no longer has.
apt-cache show chromium >/dev/null 2>&1 || update
apt-cache show chromium >/dev/null 2>&1 || cannot "no chromium in the package index (Debian unreachable?)"
install || { update; install; } || cannot "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || { echo "install_chromium: chromium installed but $CHROMIUM is missing" >&2; exit 1; }
