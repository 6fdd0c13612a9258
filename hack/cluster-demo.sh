#!/usr/bin/env bash
# `make cluster-demo`: starts the local control plane (unless it runs already), applies the
# CRDs and the example campaign, and shows what kubectl shows. Leaves the cluster running.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
DIR="${KINTERN_CLUSTER_DIR:-.kintern/cluster}"

bash hack/build-controlplane.sh etcd kwok kubernetes >/dev/null
if ! "$PYTHON" -m kintern.devcluster env --state-dir "$DIR" >/dev/null 2>&1; then
  "$PYTHON" -m kintern.devcluster up --state-dir "$DIR" >/dev/null
fi
eval "$("$PYTHON" -m kintern.devcluster env --state-dir "$DIR")"

set -x
kubectl apply -f crds/
kubectl wait --for=condition=Established --timeout=60s \
  crd/posttrainingcampaigns.kintern.dev crd/trainingruns.kintern.dev
kubectl apply -f examples/campaign.yaml
kubectl get nodes -L nvidia.com/gpu.product -L kintern.dev/pool
kubectl get ptc
{ set +x; } 2>/dev/null
echo
echo "The cluster keeps running. Use it:  eval \"\$($PYTHON -m kintern.devcluster env)\""
echo "Stop it:                          make cluster-down"
