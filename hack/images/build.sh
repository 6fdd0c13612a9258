#!/usr/bin/env bash
# Builds the Kintern images from the repository root and tags them <registry>/<name>:<tag>,
# the names the chart's values point at: operator, agent, trainer (for GPUs, with vLLM),
# and trainer-cpu (<registry>/trainer:<tag>-cpu: no vLLM, for CPU nodes and the tests).
#   IMAGE_REGISTRY  registry prefix (default ghcr.io/kintern, the chart's default)
#   IMAGE_TAG       tag (default: the package version, which is the chart's appVersion)
#   IMAGE_BASES     public | local | auto (default): public bases from Docker Hub; local
#                   bases made from Debian packages (hack/images/base-images.sh); auto uses
#                   the public ones when a registry answers and the local ones otherwise.
#   IMAGES          which to build (default "operator agent trainer")
# Called by `make images`.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)"
REGISTRY="${IMAGE_REGISTRY:-ghcr.io/kintern}"
TAG="${IMAGE_TAG:-$version}"
BASES="${IMAGE_BASES:-auto}"
read -r -a WANTED <<<"${IMAGES:-operator agent trainer}"

log() { printf '[images] %s\n' "$*" >&2; }

docker info >/dev/null 2>&1 || {
  log "no Docker engine answers (start dockerd, or run hack/images/dockerd.sh)"; exit 1
}

if [[ "$BASES" == auto ]]; then
  if timeout 60 docker pull -q python:3.12-slim-bookworm >/dev/null 2>&1; then
    BASES=public
  else
    BASES=local
    log "no image registry answers: building on local bases made from Debian packages"
  fi
fi
# Each image carries the digest of the sources it was built from; the end-to-end tests
# refuse images built from other sources.
digest="$(PYTHONPATH=. python3 -m kintern.images source-digest)"
base_args=()
if [[ "$BASES" == local ]]; then
  python_base="$(bash hack/images/base-images.sh | sed -n 's/^--build-arg PYTHON_IMAGE=//p')"
  base_args=(--build-arg "PYTHON_IMAGE=$python_base" --build-arg "PYTORCH_IMAGE=$python_base")
fi

# build_args NAME: the Dockerfile, the image reference and extra build arguments.
image_spec() {
  case "$1" in
    operator) echo "operator/Dockerfile $REGISTRY/operator:$TAG" ;;
    agent) echo "agent/Dockerfile $REGISTRY/agent:$TAG" ;;
    trainer) echo "trainer-image/Dockerfile $REGISTRY/trainer:$TAG" ;;
    trainer-cpu) echo "trainer-image/Dockerfile $REGISTRY/trainer:$TAG-cpu VLLM_VERSION=" ;;
    *) log "unknown image $1 (operator, agent, trainer, trainer-cpu)"; exit 2 ;;
  esac
}

for name in "${WANTED[@]}"; do
  read -r dockerfile image extra <<<"$(image_spec "$name")"
  extra_args=()
  [[ -n "${extra:-}" ]] && extra_args=(--build-arg "$extra")
  start=$SECONDS
  log "$image: building from $dockerfile"
  docker build --network host -q "${base_args[@]}" "${extra_args[@]}" \
    --label "dev.kintern.source-digest=$digest" -f "$dockerfile" -t "$image" . >/dev/null
  size="$(docker image inspect --format '{{.Size}}' "$image")"
  log "$image: built in $((SECONDS - start)) s, $((size / 1000000)) MB"
  echo "$image"
done
# The builds these replaced are untagged now; remove them (only Kintern's, by their label).
docker image prune -f --filter "label=dev.kintern.source-digest" >/dev/null
