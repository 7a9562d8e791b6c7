#!/usr/bin/env bash
# The agenda's read path (issue 11): `wrk -t2 -c32` against a release build of `agora serve` on
# a throwaway cluster, with the reference dataset (bench/agenda/dataset.py: 60 sessions of 30
# minutes over 2 days in 3 rooms, 90 speakers). For each case it prints req/s, p50 and p99
# latency, and CPU-ms per request: the CPU time of the agora process and of the PostgreSQL
# processes (read from /proc), divided by the requests served.
#   cached /agenda, /agenda.ics, /schedule.xml  — the server as deployed
#   uncached /agenda                            — a second server with AGORA_AGENDA_CACHE_ENTRIES=0,
#                                                 so every request builds the representation
#   draft /agenda?version=draft                 — the secretariat's draft, built from the tables
# Run by hand, nothing else running. Environment: SECONDS_PER_RUN (default 15).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${SECONDS_PER_RUN:-15}

scripts/install-deps.sh wrk
swift build -c release --product agora >&2
agora="$(swift build -c release --show-bin-path)/agora"

tmp=$(mktemp -d)
chmod 755 "$tmp"
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
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

start_server() {  # PORT [ENV=VALUE…]: starts `agora serve`, waits until ready, sets $server
  local port=$1
  shift
  env "$@" "$agora" serve --port "$port" >&2 &
  server=$!
  servers+=("$server")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  echo "agora did not become ready" >&2
  exit 1
}

cached_port=$(scripts/pg-cluster.sh free-port)
start_server "$cached_port"
cached_pid=$server
forum=$(python3 bench/agenda/dataset.py "http://127.0.0.1:$cached_port" "$token")
uncached_port=$(scripts/pg-cluster.sh free-port)
start_server "$uncached_port" AGORA_AGENDA_CACHE_ENTRIES=0
uncached_pid=$server

ticks=$(getconf CLK_TCK)
postmaster=$(head -n 1 "$tmp/data/postmaster.pid")
# CPU ticks of a process: utime + stime, and for the postmaster also its exited children's.
cpu_ticks() {
  local total=0 pid fields
  for pid in "$@" "$postmaster" $(pgrep -P "$postmaster"); do
    [[ -r /proc/$pid/stat ]] || continue
    read -ra fields < <(sed 's/^.*) //' "/proc/$pid/stat")
    total=$((total + fields[11] + fields[12]))
    if [[ $pid == "$postmaster" ]]; then total=$((total + fields[13] + fields[14])); fi
  done
  echo "$total"
}

measure() {  # NAME PID URL [wrk args…]
  local name=$1 pid=$2 url=$3
  shift 3
  curl -sf "$@" -o /dev/null "$url"   # warm: the first request may build and cache
  local before after out
  before=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c32 -d"${duration}s" --latency "$@" "$url")
  after=$(cpu_ticks "$pid")
  python3 - "$name" "$before" "$after" "$ticks" <<PY
import re, sys
name, before, after, ticks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = """$out"""
requests = int(re.search(r"(\d+) requests in", out).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
def latency(p):
    value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
cpu_ms = (after - before) * 1000 / ticks
print(f"{name:<34} {rate:>9.0f} req/s   p50 {latency(50):>7.2f} ms   p99 {latency(99):>7.2f} ms   "
      f"{cpu_ms / requests:.4f} CPU-ms/req ({requests} requests{', ' + errors.group(1) + ' non-2xx' if errors else ''})")
PY
}

echo "agenda: 60 sessions, 90 speakers, 3 rooms, 2 days; wrk -t2 -c32 -d${duration}s; $(nproc) cores"
measure "cached GET /agenda" "$cached_pid" "http://127.0.0.1:$cached_port/forums/$forum/agenda"
measure "cached GET /agenda (gzip)" "$cached_pid" "http://127.0.0.1:$cached_port/forums/$forum/agenda" -H "Accept-Encoding: gzip"
measure "cached GET /agenda.ics" "$cached_pid" "http://127.0.0.1:$cached_port/forums/$forum/agenda.ics"
measure "cached GET /schedule.xml" "$cached_pid" "http://127.0.0.1:$cached_port/forums/$forum/schedule.xml"
measure "uncached GET /agenda (a build each)" "$uncached_pid" "http://127.0.0.1:$uncached_port/forums/$forum/agenda"
measure "draft GET /agenda?version=draft" "$uncached_pid" "http://127.0.0.1:$uncached_port/forums/$forum/agenda?version=draft" \
  -H "Authorization: Bearer $token"
