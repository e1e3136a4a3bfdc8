#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager) from Go modules
# into a cache outside the repository, keyed by version. Does nothing when the binaries exist.
# Prints the directory that holds them on its last line.
set -euo pipefail

K8S_VERSION=${APPNETPOL_K8S_VERSION:-v1.36.3}
ETCD_VERSION=${APPNETPOL_ETCD_VERSION:-v3.6.16}
CACHE_ROOT=${APPNETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appnetpol}
BIN_DIR="$CACHE_ROOT/control-plane/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

log() { echo "build-control-plane: $*" >&2; }

if [[ -x $BIN_DIR/etcd && -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kube-controller-manager ]]; then
  echo "$BIN_DIR"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. Install Go 1.24 or newer (https://go.dev/doc/install, or 'apt-get install golang-go' where new enough) and run again."
  exit 127
fi

mkdir -p "$BIN_DIR"
# One build at a time per cache: a second caller waits, then finds the binaries.
exec 9>"$BIN_DIR/.build.lock"
flock 9
if [[ -x $BIN_DIR/etcd && -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kube-controller-manager ]]; then
  echo "$BIN_DIR"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
ldflags="-s -w"

if [[ ! -x $BIN_DIR/etcd ]]; then
  log "building etcd $ETCD_VERSION"
  mkdir "$work/etcd"
  (
    cd "$work/etcd"
    go mod init appnetpol.local/etcd-build >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/etcd.partial" go.etcd.io/etcd/server/v3
  )
  mv "$BIN_DIR/etcd.partial" "$BIN_DIR/etcd"
fi

if [[ ! -x $BIN_DIR/kube-apiserver || ! -x $BIN_DIR/kube-controller-manager ]]; then
  log "building kube-apiserver and kube-controller-manager $K8S_VERSION (a cold build takes a while)"
  mkdir "$work/k8s"
  (
    cd "$work/k8s"
    go mod init appnetpol.local/k8s-build >/dev/null 2>&1
    # k8s.io/kubernetes points its staging modules at local paths; pin each to its published v0.x.y.
    gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    staging_version="v0.${K8S_VERSION#v1.}"
    {
      echo "require k8s.io/kubernetes $K8S_VERSION"
      sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 '"$staging_version"'#p' "$gomod"
    } >>go.mod
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" >&2
    vpkg=k8s.io/component-base/version
    minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
    kflags="$ldflags -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean"
    for cmd in kube-apiserver kube-controller-manager; do
      go build -trimpath -ldflags "$kflags" -o "$BIN_DIR/$cmd.partial" "k8s.io/kubernetes/cmd/$cmd"
      mv "$BIN_DIR/$cmd.partial" "$BIN_DIR/$cmd"
    done
  )
fi

echo "$BIN_DIR"
