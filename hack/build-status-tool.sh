#!/usr/bin/env bash
# Builds appnetpol-status (test/tools/status: kstatus from sigs.k8s.io/cli-utils and Argo CD's Lua
# interpreter, both pinned in its go.mod/go.sum) into a cache outside the repository, keyed by a hash
# of its sources. Does nothing when the binary exists. Prints the binary's path on its last line.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../test/tools/status" && pwd)
CACHE_ROOT=${APPNETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appnetpol}
key=$(cat "$SRC_DIR/go.mod" "$SRC_DIR/go.sum" "$SRC_DIR/main.go" | sha256sum | cut -c1-16)
BIN="$CACHE_ROOT/tools/status-$key/appnetpol-status"

if [[ -x $BIN ]]; then
  echo "$BIN"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-status-tool: Go is not installed. Install Go 1.24 or newer (https://go.dev/doc/install) and run again." >&2
  exit 127
fi
echo "build-status-tool: building appnetpol-status" >&2
mkdir -p "$(dirname "$BIN")"
# -mod=readonly: exactly the versions go.mod and go.sum pin, never an upgrade.
(cd "$SRC_DIR" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$BIN.partial" .)
mv "$BIN.partial" "$BIN"
echo "$BIN"
