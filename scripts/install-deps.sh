#!/usr/bin/env bash
# Make sure the Debian packages the build and the local PostgreSQL clusters need are present
# (plus any named as arguments: `scripts/install-deps.sh wrk`).
# CI starts from a fresh machine, so this really installs what is missing (non-interactively).
set -euo pipefail

# libpq-dev: libpq-fe.h + libpq for the Swift binding; pkgconf: pkg-config, which SwiftPM
# needs to find libpq; libssl-dev: TLS; postgresql: initdb/pg_ctl/postgres for our clusters;
# curl: the scripts wait for a server's /readyz; zlib1g-dev: gzip for cached agenda representations (compress-nio);
# nginx: the load balancer of scripts/scale-check.sh (run as the caller, on its own config).
packages=(libpq-dev libssl-dev pkgconf postgresql curl zlib1g-dev nginx)
# Extra packages a caller needs as well (the benchmarks: wrk).
packages+=("$@")

missing=()
for pkg in "${packages[@]}"; do
  # dpkg-query fails for unknown packages; treat that like "not installed".
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
# The API check (scripts/check-api.sh) installs schemathesis with pip into a virtual
# environment: any Python 3 with venv will do, Debian's if there is no other.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then missing+=(python3 python3-venv); fi

if ((${#missing[@]} == 0)); then
  echo "dependencies present"
  exit 0
fi

# apt needs root; use sudo only when we are not root already (containers often lack sudo).
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "installing: ${missing[*]}"
# Packages must not start their services (nginx on port 80, which may be taken): the scripts
# run their own servers. policy-rc.d's 101 ("action forbidden") tells invoke-rc.d so, for the
# length of this install, unless the machine already has its own policy.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" apt-get update
# The postgresql package may create and start a default cluster (15/main on port 5432);
# that is harmless: our own clusters use other ports and their own data directories.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
