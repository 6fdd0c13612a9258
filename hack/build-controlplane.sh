#!/usr/bin/env bash
# Builds the local Kubernetes control plane (and Kueue) from Go modules at pinned
# versions and caches the binaries by version under the user's cache directory. A warm
# run only checks that every binary is there. Used by `make controlplane`, `make cluster-up`
# and `.ci/run`.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${HELM_VERSION:-v4.3.1}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
KUEUE_VERSION="${KUEUE_VERSION:-v0.17.0}"

CACHE_ROOT="${KINTERN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kintern}/controlplane"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

log() { printf '[build-controlplane] %s\n' "$*" >&2; }

# wrapper_build NAME VERSION MODULE@VERSION GO_MOD_EXTRA PACKAGES... : builds PACKAGES
# from a throwaway wrapper module so that `replace` directives can pin staging modules.
wrapper_dir() { mktemp -d "${TMPDIR:-/tmp}/kintern-wrap-XXXXXX"; }

# k8s_wrapper_build OUT CMD... : builds Kubernetes commands from a throwaway wrapper module
# that pins every staging module to its published twin.
k8s_wrapper_build() {
  local out="$1"; shift
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local staging_version="v0.${K8S_VERSION#v1.}"
  local dir; dir="$(wrapper_dir)"
  (
    cd "$dir"
    go mod init kintern.dev/controlplane-wrapper >/dev/null 2>&1
    go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
    local upstream_mod; upstream_mod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod"
    {
      echo "require k8s.io/kubernetes $K8S_VERSION"
      # Every staging module the upstream go.mod replaces with ./staging/... is pinned to
      # its published twin, read from that go.mod so that the list never goes stale.
      grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$upstream_mod" \
        | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
    } >>go.mod
    printf 'package main\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' >tools.go
    go mod tidy >/dev/null 2>&1 || true
    rm tools.go
    mkdir -p "$out.tmp"
    local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    for cmd in "$@"; do
      log "  go build $cmd"
      go build -trimpath -ldflags "$ldflags" -o "$out.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd"
    done
  )
  rm -rf "$dir"
}

build_kubernetes() {
  local out="$CACHE_ROOT/kubernetes-$K8S_VERSION"
  if [[ -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" && -x "$out/kube-scheduler" ]]; then
    log "kubernetes $K8S_VERSION: cached in $out"; return
  fi
  log "kubernetes $K8S_VERSION: building (cold build, tens of minutes)"
  k8s_wrapper_build "$out" kube-apiserver kube-controller-manager kube-scheduler
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# The real node's kubelet, and the pod sandbox's pause binary compiled from the C source
# that ships in the same Kubernetes module (a static binary, the whole of the pause image).
build_kubelet() {
  local out="$CACHE_ROOT/kubelet-$K8S_VERSION"
  [[ -x "$out/kubelet" && -x "$out/pause" ]] && { log "kubelet $K8S_VERSION: cached"; return; }
  log "kubelet $K8S_VERSION: building"
  k8s_wrapper_build "$out" kubelet
  local src; src="$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c"
  gcc -Os -Wall -static -DVERSION="$K8S_VERSION" -o "$out.tmp/pause" "$src"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$CACHE_ROOT/etcd-$ETCD_VERSION"
  [[ -x "$out/etcd" ]] && { log "etcd $ETCD_VERSION: cached"; return; }
  log "etcd $ETCD_VERSION: building"
  local dir; dir="$(wrapper_dir)"
  (
    cd "$dir"
    go mod init kintern.dev/etcd-wrapper >/dev/null 2>&1
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION" >>go.mod
    printf 'package main\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' >tools.go
    go mod tidy >/dev/null
    rm tools.go
    mkdir -p "$out.tmp"
    go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$dir" "$out"; mv "$out.tmp" "$out"
}

# go_install NAME VERSION PACKAGE@VERSION BINARY
go_install() {
  local name="$1" version="$2" pkg="$3" bin="$4"
  local out="$CACHE_ROOT/$name-$version"
  [[ -x "$out/$bin" ]] && { log "$name $version: cached"; return; }
  log "$name $version: building"
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" go install -trimpath -ldflags "-s -w" "$pkg"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# Prometheus and promtool from one module version: the chart's tests scrape the operator
# with the first and check the alert rules with the second.
build_prometheus() {
  local module="github.com/prometheus/prometheus"
  go_install prometheus "$PROMETHEUS_VERSION" "$module/cmd/prometheus@$PROMETHEUS_VERSION" prometheus
  go_install promtool "$PROMETHEUS_VERSION" "$module/cmd/promtool@$PROMETHEUS_VERSION" promtool
}

# Kueue's controller manager, and beside it the manifests `up --kueue` applies (CRDs,
# webhook configurations, RBAC) from the same module version, so that starting a cluster
# needs no Go module cache.
build_kueue() {
  local module="sigs.k8s.io/kueue"
  go_install kueue "$KUEUE_VERSION" "$module/cmd/kueue@$KUEUE_VERSION" kueue
  local out="$CACHE_ROOT/kueue-$KUEUE_VERSION/manifests"
  [[ -d "$out" ]] && { log "kueue $KUEUE_VERSION manifests: cached"; return; }
  log "kueue $KUEUE_VERSION: copying its manifests from the module"
  go mod download "$module@$KUEUE_VERSION"
  local src; src="$(go env GOMODCACHE)/$module@$KUEUE_VERSION/config/components"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  cp -r "$src/crd/bases" "$out.tmp/crd"
  cp -r "$src/rbac" "$out.tmp/rbac"
  cp "$src/webhook/manifests.yaml" "$out.tmp/webhooks.yaml"
  chmod -R u+w "$out.tmp"  # the module cache's files are read-only
  mv "$out.tmp" "$out"
}

main() {
  mkdir -p "$CACHE_ROOT"
  local targets=("${@:-all}")
  for t in "${targets[@]}"; do
    case "$t" in
      all) build_etcd; go_install kwok "$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" kwok
           build_kubernetes; go_install helm "$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" helm
           build_prometheus; build_kueue ;;
      etcd) build_etcd ;;
      kwok) go_install kwok "$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" kwok ;;
      kubernetes) build_kubernetes ;;
      kubelet) build_kubelet ;;
      helm) go_install helm "$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" helm ;;
      prometheus) build_prometheus ;;
      kueue) build_kueue ;;
      paths) ;;
      *) log "unknown target $t (use all, etcd, kwok, kubernetes, kubelet, helm, prometheus, kueue)"; exit 2 ;;
    esac
  done
  cat <<PATHS
KINTERN_ETCD=$CACHE_ROOT/etcd-$ETCD_VERSION/etcd
KINTERN_KUBE_BIN=$CACHE_ROOT/kubernetes-$K8S_VERSION
KINTERN_KUBELET_BIN=$CACHE_ROOT/kubelet-$K8S_VERSION
KINTERN_KWOK=$CACHE_ROOT/kwok-$KWOK_VERSION/kwok
KINTERN_HELM=$CACHE_ROOT/helm-$HELM_VERSION/helm
KINTERN_PROMETHEUS=$CACHE_ROOT/prometheus-$PROMETHEUS_VERSION/prometheus
KINTERN_PROMTOOL=$CACHE_ROOT/promtool-$PROMETHEUS_VERSION/promtool
KINTERN_KUEUE=$CACHE_ROOT/kueue-$KUEUE_VERSION/kueue
PATHS
}

main "$@"
