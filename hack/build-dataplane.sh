#!/usr/bin/env bash
# Prepares the NetworkPolicy dataplane the traffic tests run: installs the kernel tools kube-router drives
# (iptables, ipset, iproute2, conntrack) and the tests' DNS server (dnsmasq) from Debian packages when
# missing, and builds kube-router from its Go module into the cache the control plane uses, keyed by
# version. Does nothing that is already done. Prints the kube-router binary's directory on its last line.
set -euo pipefail

KUBE_ROUTER_VERSION=${APPNETPOL_KUBE_ROUTER_VERSION:-v2.1.0}
CACHE_ROOT=${APPNETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appnetpol}
BIN_DIR="$CACHE_ROOT/dataplane/kube-router-$KUBE_ROUTER_VERSION"
MODULE=github.com/cloudnativelabs/kube-router/v2

log() { echo "build-dataplane: $*" >&2; }

# command -> Debian package that provides it
declare -A packages=([iptables]=iptables [ipset]=ipset [ip]=iproute2 [conntrack]=conntrack [dnsmasq]=dnsmasq-base)
missing=()
for cmd in "${!packages[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${packages[$cmd]}")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1 || [[ $(id -u) != 0 ]]; then
    log "missing ${missing[*]}: install them with your package manager (as root) and run again."
    exit 127
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [[ -x $BIN_DIR/kube-router ]]; then
  echo "$BIN_DIR"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. Install Go 1.24 or newer (https://go.dev/doc/install) and run again."
  exit 127
fi

log "building kube-router $KUBE_ROUTER_VERSION"
mkdir -p "$BIN_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 'go install module@version' builds with the module's own go.mod: exactly the dependencies it was released with.
export GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$work"
vpkg=$MODULE/pkg/version
go install -trimpath -ldflags "-s -w -X $vpkg.Version=$KUBE_ROUTER_VERSION -X $vpkg.BuildDate=release" \
  "$MODULE/cmd/kube-router@$KUBE_ROUTER_VERSION" >&2
mv "$work/kube-router" "$BIN_DIR/kube-router"

echo "$BIN_DIR"
