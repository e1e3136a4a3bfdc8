#!/usr/bin/env bash
# A real cluster with a real dataplane, for people with a Docker engine: builds kind from its Go
# module, creates a cluster, builds the image, loads it and deploys config/default. Not run by CI
# (there is no Docker engine there); the local control plane covers everything but packets.
#
# kind's default CNI, kindnet, enforces NetworkPolicy (since kind v0.24), so denied traffic is
# really dropped here, which the local control plane (no nodes, no CNI) cannot show.
set -euo pipefail

KIND_VERSION=${APPNETPOL_KIND_VERSION:-v0.33.0}
CLUSTER=${APPNETPOL_KIND_CLUSTER:-appnetpol}
IMAGE=appnetpol:dev
CACHE_ROOT=${APPNETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appnetpol}
KIND_DIR="$CACHE_ROOT/kind-$KIND_VERSION"
KIND="$KIND_DIR/kind"

log() { echo "kind-up: $*" >&2; }
fail() { log "$*"; exit 1; }

cd "$(dirname "$0")/.."

command -v docker >/dev/null 2>&1 || fail "this needs a Docker engine; none was found (no docker command)."
docker info >/dev/null 2>&1 || fail "this needs a Docker engine; none was found ('docker info' failed: is the daemon running and may you use it?)."
command -v kubectl >/dev/null 2>&1 || fail "kubectl is not installed."

if [[ ! -x $KIND ]]; then
  command -v go >/dev/null 2>&1 || fail "Go is needed to build kind $KIND_VERSION; install Go 1.24 or newer."
  log "building kind $KIND_VERSION into $KIND_DIR"
  mkdir -p "$KIND_DIR"
  GOBIN="$KIND_DIR" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "sigs.k8s.io/kind@$KIND_VERSION"
fi

if "$KIND" get clusters | grep -qx "$CLUSTER"; then
  log "cluster $CLUSTER exists; reusing it"
else
  "$KIND" create cluster --name "$CLUSTER" --wait 120s
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

docker build -t "$IMAGE" .
"$KIND" load docker-image "$IMAGE" --name "$CLUSTER"

# The Kf stand-in CRDs too: this cluster has no Kf. Then the operator, then the sample scenario.
kubectl apply --server-side -k crds/kf
kubectl apply --server-side -k config/default
kubectl wait --for=condition=Established --timeout=60s crd --all
# The CF API serves HTTPS from the Secret appnetpol-cf-api-tls: a self-signed certificate will do here
# (a real cluster issues one, e.g. with cert-manager: config/examples/cf-api-certificate.yaml).
if ! kubectl -n appnetpol-system get secret appnetpol-cf-api-tls >/dev/null 2>&1; then
  tls_dir=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=appnetpol-cf-api \
    -addext subjectAltName=DNS:appnetpol-cf-api.appnetpol-system.svc -keyout "$tls_dir/tls.key" -out "$tls_dir/tls.crt" 2>/dev/null
  kubectl -n appnetpol-system create secret tls appnetpol-cf-api-tls --cert "$tls_dir/tls.crt" --key "$tls_dir/tls.key"
  rm -rf "$tls_dir"
fi
kubectl -n appnetpol-system rollout status deployment/appnetpol-controller --timeout=180s
kubectl -n appnetpol-system rollout status deployment/appnetpol-cf-api --timeout=180s
kubectl apply --server-side -k config/self-protection
kubectl apply -k config/samples
kubectl wait --for=condition=Ready --timeout=60s -n partner-cp appnetpol/partner-api

cat <<EOF

appnetpol runs in kind cluster "$CLUSTER" (kubectl context kind-$CLUSTER).

See a packet dropped: partner-api may receive from billing-cp/billing-backend on TCP 5080 only.
  kubectl -n partner-cp run partner-api --image=busybox:1.36 --labels=app.kubernetes.io/name=partner-api,kf.dev/networkpolicy=app \\
    --command -- sh -c 'echo allowed > /tmp/index.html && httpd -p 5080 -h /tmp && httpd -f -p 6000 -h /tmp'
  kubectl -n partner-cp wait --for=condition=Ready pod/partner-api
  ip=\$(kubectl -n partner-cp get pod partner-api -o jsonpath='{.status.podIP}')
  # Allowed: billing-backend to port 5080 prints "allowed".
  kubectl -n billing-cp run billing-backend --rm -i --restart=Never --image=busybox:1.36 \\
    --labels=app.kubernetes.io/name=billing-backend,kf.dev/networkpolicy=app -- wget -T 3 -qO- http://\$ip:5080
  # Dropped: the same caller to port 6000, and any other app to 5080, time out ("download timed out").
  kubectl -n billing-cp run billing-backend --rm -i --restart=Never --image=busybox:1.36 \\
    --labels=app.kubernetes.io/name=billing-backend,kf.dev/networkpolicy=app -- wget -T 3 -qO- http://\$ip:6000
  kubectl -n billing-cp run intruder --rm -i --restart=Never --image=busybox:1.36 -- wget -T 3 -qO- http://\$ip:5080
  # kindnet programs the policies as nftables rules on each node:
  docker exec $CLUSTER-control-plane nft list ruleset | less

Remove everything: $KIND delete cluster --name $CLUSTER
EOF
