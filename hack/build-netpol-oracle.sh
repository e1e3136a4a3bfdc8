#!/usr/bin/env bash
# Builds test/tools/netpol-oracle (cyclonus' NetworkPolicy matcher behind a JSON interface, pinned by
# its go.mod and go.sum) into a cache outside the repository, keyed by the tool's sources. Does nothing
# when that build exists. Prints the binary's path on its last line.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/test/tools/netpol-oracle"
CACHE_ROOT=${APPNETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appnetpol}
key=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
bin="$CACHE_ROOT/netpol-oracle/$key/netpol-oracle"

if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-netpol-oracle: Go is not installed; install Go 1.24 or newer and run again." >&2
  exit 127
fi
echo "build-netpol-oracle: building the NetworkPolicy oracle (cyclonus matcher)" >&2
mkdir -p "$(dirname "$bin")"
(cd "$src" && GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin.partial" .)
mv "$bin.partial" "$bin"
echo "$bin"
