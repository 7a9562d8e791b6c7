#!/usr/bin/env bash
# What checking a token costs: GET /organisations/{id} by 32 concurrent wrk connections, once
# with a secretariat token (checked from the in-memory cache after the first request) and
# once anonymously (the organisation is public), against a release build of `agora serve` on
# a throwaway cluster, and once with an unknown token (answered 401 from the negative cache).
# Prints the rates and, last, the authenticated/anonymous ratio. Environment: SECONDS_PER_RUN.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${SECONDS_PER_RUN:-10}

scripts/install-deps.sh wrk
swift build -c release --product agora >&2
agora="$(swift build -c release --show-bin-path)/agora"

tmp=$(mktemp -d)
chmod 755 "$tmp"
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  scripts/pg-cluster.sh stop "$tmp/data" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port=$(scripts/pg-cluster.sh free-port)
scripts/pg-cluster.sh init "$tmp/data" --throwaway >&2
scripts/pg-cluster.sh start "$tmp/data" "$pg_port" "$tmp/run" --throwaway >&2
export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
export AGORA_LOG_LEVEL=warning
"$agora" migrate >&2
token=$("$agora" token create --secretariat --name bench)

port=$(scripts/pg-cluster.sh free-port)
"$agora" serve --port "$port" >&2 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

id=$(curl -sf -X POST "http://127.0.0.1:$port/organisations" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"name": "Bench organisation", "country": "KE", "constituency": "ngo"}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
url="http://127.0.0.1:$port/organisations/$id"

rate() { wrk -t2 -c32 -d"${duration}s" "$@" "$url" | awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }'; }
authenticated=$(rate -H "Authorization: Bearer $token")
anonymous=$(rate)
# A flood of one unknown token (well formed, so it is not refused by its shape): after the
# first 401 it is refused from the negative cache, with no database query each.
unknown_token="agora_$(python3 -c 'print("u" * 43)')"
unknown=$(rate -H "Authorization: Bearer $unknown_token")
echo "authenticated GET /organisations/{id}: $authenticated req/s"
echo "anonymous GET /organisations/{id}: $anonymous req/s"
echo "unknown token (401) GET /organisations/{id}: $unknown req/s"
echo "token-check authenticated/anonymous ratio: $(python3 -c "print(f'{$authenticated / $anonymous:.3f}')")"
