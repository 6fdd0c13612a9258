#!/usr/bin/env bash
# End to end on a kind cluster, for machines with Docker (`make kind-e2e`): builds the
# operator, agent and trainer images, loads them into a fresh kind cluster, installs
# charts/kintern, runs hack/kind-e2e/campaign.yaml to completion and checks that it
# Succeeded with a score. Needs docker, kind, kubectl and helm on PATH, and internet
# access from the cluster (the campaign pulls a small model and data sets from the Hub).
# kind cannot start its nodes on machines whose VM lacks CAP_SYS_RESOURCE (kind's node
# containers are privileged); there, `make test` runs the same path on a real kubelet
# node instead (tests/e2e).
#
#   KEEP_CLUSTER=1   leave the cluster running afterwards (default: delete it)
#   CLUSTER=name     kind cluster name (default: kintern-e2e)
#   TIMEOUT=45m      how long the campaign may take
set -euo pipefail

CLUSTER="${CLUSTER:-kintern-e2e}"
TIMEOUT="${TIMEOUT:-45m}"
TAG="e2e-$(git rev-parse --short HEAD 2>/dev/null || echo local)"
NAMESPACE=kintern-system
CAMPAIGN_NS=kintern-e2e
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[kind-e2e] %s\n' "$*" >&2; }

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { log "needs $tool on PATH"; exit 2; }
done

cleanup() {
  if [[ "${KEEP_CLUSTER:-0}" == 1 ]]; then
    log "cluster kept: kind delete cluster --name $CLUSTER"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
}

diagnose() {
  log "campaign did not succeed; state for the bug report:"
  kubectl get ptc,trun,jobs,pods -n "$CAMPAIGN_NS" -o wide || true
  kubectl describe ptc/kind-e2e -n "$CAMPAIGN_NS" || true
  kubectl logs -n "$NAMESPACE" deployment/kintern --tail=200 || true
  kubectl logs -n "$CAMPAIGN_NS" job/kind-e2e-agent --tail=200 || true
}

log "building images with tag $TAG"
IMAGE_REGISTRY=kintern IMAGE_TAG="$TAG" IMAGE_BASES=public \
  IMAGES="operator agent trainer-cpu" bash hack/images/build.sh

log "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --config hack/kind-e2e/kind.yaml --wait 120s
trap cleanup EXIT
for image in "operator:$TAG" "agent:$TAG" "trainer:$TAG-cpu"; do
  kind load docker-image --name "$CLUSTER" "kintern/$image"
done

log "installing the chart"
helm install kintern charts/kintern \
  --namespace "$NAMESPACE" --create-namespace --wait --timeout 5m \
  --set operator.image.repository=kintern/operator \
  --set operator.image.tag="$TAG" \
  --set operator.image.pullPolicy=Never \
  --set agent.image.repository=kintern/agent \
  --set agent.image.tag="$TAG" \
  --set trainer.image.repository=kintern/trainer \
  --set trainer.image.tag="$TAG-cpu"

log "running the campaign (up to $TIMEOUT)"
kubectl create namespace "$CAMPAIGN_NS"
kubectl apply -n "$CAMPAIGN_NS" -f hack/kind-e2e/checkpoints.yaml
kubectl apply -n "$CAMPAIGN_NS" -f hack/kind-e2e/campaign.yaml
if ! kubectl wait -n "$CAMPAIGN_NS" ptc/kind-e2e --timeout="$TIMEOUT" \
    --for=jsonpath='{.status.phase}'=Succeeded; then
  diagnose
  exit 1
fi
score="$(kubectl get -n "$CAMPAIGN_NS" ptc/kind-e2e -o jsonpath='{.status.best.score}')"
if [[ -z "$score" ]]; then
  diagnose
  log "the campaign Succeeded without a best score"
  exit 1
fi
kubectl get -n "$CAMPAIGN_NS" ptc,trun
log "passed: best score $score"
