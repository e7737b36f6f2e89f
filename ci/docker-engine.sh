#!/usr/bin/env bash
# Install the Docker engine from the system packages and start dockerd if it is not running.
# No image registry is needed: the lab's image is built locally (see hvrepl/lab/docker_backend.py).
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ]; then
    echo "docker engine missing and not root: install docker.io yourself" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  mkdir -p /var/log
  (dockerd >/var/log/hvrepl-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
fi
docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/hvrepl-dockerd.log" >&2; exit 1; }
echo "docker engine ready: $(docker version --format '{{.Server.Version}}')"
