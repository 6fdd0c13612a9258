#!/usr/bin/env bash
# `make cluster-quickstart`: the quickstart campaign on the local control plane, in real
# containers on its real node (root, Debian): starts the cluster with the node unless it
# runs already, puts the tiny model and task on the node's checkpoint volume, installs the
# chart with the locally built images, and applies examples/cluster-quickstart.yaml in the
# namespace `quickstart`, which enforces the restricted Pod Security Standard. A person
# approves each run; the lines printed at the end say how. Leaves everything running.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
DIR="${KINTERN_CLUSTER_DIR:-.kintern/cluster}"
VOLUME=/var/lib/kintern-quickstart   # the path in examples/cluster-quickstart-volume.yaml
NAMESPACE=quickstart

if ! "$PYTHON" -m kintern.devcluster env --state-dir "$DIR" >/dev/null 2>&1; then
  "$PYTHON" -m kintern.devcluster up --state-dir "$DIR" --real-node >/dev/null
fi
eval "$("$PYTHON" -m kintern.devcluster env --state-dir "$DIR")"
if ! kubectl get node kintern-real-node >/dev/null 2>&1; then
  echo "the cluster in $DIR has no real node: make cluster-down, then make cluster-up REAL_NODE=1" >&2
  exit 1
fi

"$PYTHON" -m kintern.local.quickstart "$VOLUME/quickstart"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)"
helm status kintern -n kintern-system >/dev/null 2>&1 \
  || helm install kintern charts/kintern -n kintern-system --create-namespace --wait \
    --timeout 5m --set trainer.image.tag="$version-cpu"   # the real node has no GPU
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label namespace "$NAMESPACE" --overwrite \
  pod-security.kubernetes.io/enforce=restricted >/dev/null
kubectl apply -f examples/cluster-quickstart-volume.yaml
kubectl apply -n "$NAMESPACE" -f examples/cluster-quickstart.yaml

cat <<NEXT

The campaign runs in namespace $NAMESPACE. In this shell:
  eval "\$($PYTHON -m kintern.devcluster env --state-dir $DIR)"
  kubectl get ptc,trun -n $NAMESPACE                  # runs wait in AwaitingApproval
  kubectl kintern approve quickstart-baseline -n $NAMESPACE   # or kubectl annotate trun/...
  kubectl logs job/trun-quickstart-lr1 -n $NAMESPACE  # a trainer's log
  kintern report quickstart -n $NAMESPACE             # report.md and report.png
NEXT
