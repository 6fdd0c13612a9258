#!/usr/bin/env bash
# Installs the Debian packages that the images and the real node need, when missing:
# Docker (the engine builds the images), debootstrap (local base images), containerd,
# runc and the CNI plugins (the real node), iptables and iproute2 (its network). Then
# makes sure a Docker engine answers, starting dockerd when none does (machines without
# systemd, such as CI containers). Called by `make images` and `make realnode`.
set -euo pipefail

PACKAGES=(docker.io debootstrap containerd runc containernetworking-plugins iptables iproute2)

log() { printf '[host-packages] %s\n' "$*" >&2; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null || ((EUID != 0)); then
    log "missing packages: ${missing[*]} (install them as root with apt-get, or the equivalent)"
    exit 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers: starting dockerd (log: /var/log/kintern-dockerd.log)"
  nohup dockerd >/var/log/kintern-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
  done
  log "dockerd did not start; see /var/log/kintern-dockerd.log"
  exit 1
fi
