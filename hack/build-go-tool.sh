#!/usr/bin/env bash
# Builds a Go tool the tests need, test/tools/<tool> (a small main whose go.mod and go.sum pin every
# module), into a cache outside the repository, keyed by a hash of its sources; does nothing when that
# build exists. Prints the binary's path on its last line.
#
#   hack/build-go-tool.sh status          # kstatus and Argo CD's Lua interpreter (test/e2e/gitops-status)
#   hack/build-go-tool.sh netpol-oracle   # cyclonus' NetworkPolicy matcher (the reachability differential test)
#   hack/build-go-tool.sh cf-api-load     # vegeta's constant-rate attacker (npm run bench:cf-api)
set -euo pipefail

tool=${1:?usage: hack/build-go-tool.sh TOOL (a directory of test/tools)}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../test/tools/$tool" && pwd)
CACHE_ROOT=${APPNETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appnetpol}
key=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
bin="$CACHE_ROOT/tools/$tool-$key/$tool"

if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-go-tool: Go is not installed. Install Go 1.24 or newer (https://go.dev/doc/install) and run again." >&2
  exit 127
fi
mkdir -p "$(dirname "$bin")"
# One build at a time per tool: a second caller waits, then finds the binary.
exec 9>"$(dirname "$bin")/.build.lock"
flock 9
if [[ ! -x $bin ]]; then
  echo "build-go-tool: building $tool" >&2
  # -mod=readonly: exactly the versions go.mod and go.sum pin, never an upgrade.
  (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$bin.partial" .)
  mv "$bin.partial" "$bin"
fi
echo "$bin"
