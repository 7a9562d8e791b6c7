#!/usr/bin/env bash
# Make sure the Debian packages the build and the local PostgreSQL clusters need are present.
# CI starts from a fresh machine, so this really installs what is missing (non-interactively).
set -euo pipefail

# libpq-dev: libpq-fe.h + libpq for the Swift binding; pkgconf: pkg-config, which SwiftPM
# needs to find libpq; libssl-dev: TLS; postgresql: initdb/pg_ctl/postgres for our clusters;
# curl: the scripts wait for a server's /readyz; zlib1g-dev: gzip for cached agenda representations (compress-nio).
packages=(libpq-dev libssl-dev pkgconf postgresql curl zlib1g-dev)

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
"${sudo[@]}" apt-get update
# The postgresql package may create and start a default cluster (15/main on port 5432);
# that is harmless: our own clusters use other ports and their own data directories.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
