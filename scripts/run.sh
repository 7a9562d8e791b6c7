#!/usr/bin/env bash
# `make run`: build agora and run `agora dev` (migrations, API and scheduler) against a
# private PostgreSQL cluster kept under .agora/ so that its data survives between runs.
# Extra arguments go to `agora dev`. Port: AGORA_PG_PORT (default 54329).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product agora
bin="$(swift build --product agora --show-bin-path)/agora"

port=${AGORA_PG_PORT:-54329}
# As root the server runs as postgres, which must be able to enter .agora.
mkdir -p .agora
chmod 755 .agora

trap 'scripts/pg-cluster.sh stop .agora/data || true' EXIT
trap 'exit 130' INT    # turn signals into a normal exit so the EXIT trap runs
trap 'exit 143' TERM

# Durable settings (no --throwaway): this cluster keeps the developer's data.
scripts/pg-cluster.sh init .agora/data
scripts/pg-cluster.sh start .agora/data "$port" .agora/run
scripts/pg-cluster.sh ensure-db "$port" agora

export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/agora"
"$bin" dev "$@"
