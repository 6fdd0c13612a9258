#!/usr/bin/env bash
# Makes the local base images that the Dockerfiles build FROM when no image registry is
# reachable: a minimal Debian bookworm root filesystem from Debian's packages
# (debootstrap), and a Python 3.11 image on top of it. Only these local bases carry this
# machine's extra CA certificates (so pip inside a build can reach the package index);
# the project's Dockerfiles never do. Idempotent: an image that exists is kept.
# Prints the build arguments that select the local bases. Called by hack/images/build.sh.
set -euo pipefail

DEBIAN_IMAGE="${KINTERN_LOCAL_DEBIAN:-kintern-local/debian:bookworm}"
PYTHON_IMAGE="${KINTERN_LOCAL_PYTHON:-kintern-local/python:3.11-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { printf '[base-images] %s\n' "$*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

debian_base() {
  have "$DEBIAN_IMAGE" && { log "$DEBIAN_IMAGE: present"; return; }
  command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install debootstrap"; exit 1; }
  local rootfs; rootfs="$(mktemp -d "${TMPDIR:-/tmp}/kintern-rootfs-XXXXXX")"
  trap 'rm -rf "$rootfs"' RETURN
  log "$DEBIAN_IMAGE: debootstrap bookworm from $MIRROR"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$MIRROR" >&2
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
}

python_base() {
  have "$PYTHON_IMAGE" && { log "$PYTHON_IMAGE: present"; return; }
  local ctx; ctx="$(mktemp -d "${TMPDIR:-/tmp}/kintern-pybase-XXXXXX")"
  trap 'rm -rf "$ctx"' RETURN
  mkdir -p "$ctx/ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $DEBIAN_IMAGE
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-venv python3-pip python-is-python3 \\
 && update-ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
  log "$PYTHON_IMAGE: Debian's Python 3.11"
  docker build --network host -q -t "$PYTHON_IMAGE" "$ctx" >/dev/null
}

debian_base
python_base
echo "--build-arg PYTHON_IMAGE=$PYTHON_IMAGE"
