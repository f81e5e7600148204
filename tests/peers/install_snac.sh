#!/usr/bin/env bash
# Installs snac2 (a small ActivityPub server with the Mastodon client API) from Debian bookworm-backports.
# Exit 0: installed. Exit 75: cannot install on this machine (not root, no apt, Debian unreachable): the tests
# skip. Any other failure is a real error.
set -euo pipefail

SNAC_VERSION="${SNAC_VERSION:-2.75-2~bpo12+1}"   # Debian package version, bookworm-backports
BACKPORTS_LIST=/etc/apt/sources.list.d/chorus-bookworm-backports.list

if command -v snac >/dev/null && [ "$(dpkg-query -W -f='${Version}' snac2 2>/dev/null)" = "$SNAC_VERSION" ]; then
  exit 0
fi
cannot() { echo "install_snac: $*" >&2; exit 75; }
command -v apt-get >/dev/null || cannot "no apt-get on this machine"
[ "$(id -u)" = 0 ] || cannot "apt-get needs root"
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || cannot "snac2 is pinned for Debian bookworm, this is ${VERSION_CODENAME:-unknown}"

if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # the Debian mirror this machine already uses, with the backports suite added
  mirror="$( { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
            | awk '/^URIs:/ {print $2} /^deb / {print $2}' | grep -v security | head -n 1 || true)"
  [ -n "$mirror" ] || cannot "no Debian mirror configured in apt's sources"
  echo "deb $mirror bookworm-backports main" > "$BACKPORTS_LIST"
fi
export DEBIAN_FRONTEND=noninteractive
timeout 120 apt-get update -qq -o Acquire::Retries=2 -o Acquire::http::Timeout=20 \
  || cannot "apt-get update failed (Debian unreachable?)"
# apt-get update exits 0 even when a mirror is unreachable: an unknown package means no index was fetched.
apt-cache show snac2 >/dev/null 2>&1 || cannot "no snac2 in the package index (bookworm-backports unreachable?)"
apt-cache show "snac2=$SNAC_VERSION" >/dev/null 2>&1 || {
  echo "install_snac: snac2=$SNAC_VERSION is no longer in bookworm-backports: update SNAC_VERSION. Candidates:" >&2
  apt-cache policy snac2 >&2
  exit 1
}
timeout 240 apt-get install -y -qq --no-install-recommends -o Acquire::Retries=2 "snac2=$SNAC_VERSION" >/dev/null \
  || cannot "apt-get install snac2=$SNAC_VERSION failed"
