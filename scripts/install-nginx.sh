#!/usr/bin/env bash
# Install nginx (Debian's nginx-light) once: the Chroma proxy tests start it in front of
# `chroma run` from deploy/nginx-chroma.conf. Safe to run again: skipped when present.
set -euo pipefail

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi
if [ -x "$NGINX" ]; then
    echo "nginx: present ($NGINX)"
else
    echo "apt-get: installing nginx-light"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends nginx-light
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v envsubst >/dev/null 2>&1 || echo "envsubst: missing (apt-get install gettext-base) - only the README's steps use it"
"$NGINX" -v
