#!/usr/bin/env bash
# Memory and the soak (issue 14), by hand on a release build, nothing else running:
#   1. `agora serve`'s RSS idle: just started, and again once the agenda dataset is loaded
#      and read once (target: under 64 MB);
#   2. a mixed load at 64 connections for MAX_SECONDS (default 20): the maximum rate, and
#      RSS during and after it, with the peak (VmHWM) (target: under 200 MB);
#   3. the soak: the same mix at about half that maximum rate for SOAK_MINUTES (default 30),
#      RSS and the pool's connections sampled every 10 s, printed at the start, the middle
#      and the end, with their range; every answer must be 2xx or 3xx.
# The mix, per 10 requests: 3 cached agendas (JSON, iCalendar, frab XML), 1 agenda
# revalidated with If-None-Match (304), 2 organisation lists, 1 organisation created by the
# secretariat, 1 organisation read, 1 forum read, 1 /readyz (a database round trip).
#   bench/soak.sh            (make bench-soak)
# Env: SOAK_MINUTES (30), MAX_SECONDS (20), SOAK_CONNECTIONS (16).
set -euo pipefail
cd "$(dirname "$0")/.."

soak_minutes=${SOAK_MINUTES:-30}
max_seconds=${MAX_SECONDS:-20}
soak_connections=${SOAK_CONNECTIONS:-16}

scripts/install-deps.sh wrk
swift build -c release --product agora >&2
agora="$(swift build -c release --show-bin-path)/agora"

tmp=$(mktemp -d)
chmod 755 "$tmp"
server=
sampler=
cleanup() {
  if [[ -n $sampler ]]; then kill "$sampler" 2>/dev/null || true; fi
  if [[ -n $server ]]; then kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; fi
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
export AGORA_LOG_LEVEL=warning AGORA_RATE_LIMIT_ANONYMOUS=0
"$agora" migrate >&2
token=$("$agora" token create --secretariat --name soak)

port=$(scripts/pg-cluster.sh free-port)
base="http://127.0.0.1:$port"
"$agora" serve --port "$port" >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/readyz" >/dev/null || { echo "agora did not become ready" >&2; cat "$tmp/server.log" >&2; exit 1; }

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server/status"; }
peak_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$server/status"; }
pool_connections() { curl -sf "$base/metrics" | awk '$1 == "postgres_pool_connections" { print $2 }'; }

echo "soak: $(nproc) cores; agora serve (release) pid $server"
echo "idle RSS, just started:                 $(rss_mb) MB"
forum=$(python3 bench/agenda/dataset.py "$base" "$token")
organisation=$(curl -fsS -X POST "$base/organisations" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name": "Soak reference", "country": "KE", "constituency": "ngo"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
etag=$(curl -fsS -D - -o /dev/null "$base/forums/$forum/agenda" | awk 'tolower($1) == "etag:" { sub(/\r$/, "", $2); print $2 }')
for path in agenda agenda.ics schedule.xml; do curl -sf -o /dev/null "$base/forums/$forum/$path"; done
echo "idle RSS, dataset loaded and read once: $(rss_mb) MB"

# The mix as a wrk script: a request cycle of 10, a unique name for each organisation
# created, and an optional fixed delay (ms) per request, which sets the soak's rate.
cat >"$tmp/mix.lua" <<LUA
local paths = {
  "/forums/$forum/agenda", "/forums/$forum/agenda.ics", "/forums/$forum/schedule.xml",
  "/forums/$forum/agenda", "/organisations?limit=20", "/organisations?country=KE&limit=5",
  "CREATE", "/organisations/$organisation", "/forums/$forum", "/readyz",
}
local counter = 0
local thread_id = 0
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
end
function request()
  counter = counter + 1
  local path = paths[(counter - 1) % #paths + 1]
  if path == "CREATE" then
    local body = string.format('{"name": "Soak %d-%d-%d", "country": "KE", "constituency": "ngo"}', id, counter, math.random(1, 1000000000))
    return wrk.format("POST", "/organisations", {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
  end
  if counter % #paths == 4 then
    return wrk.format("GET", path, {["If-None-Match"] = '$etag'})
  end
  return wrk.format("GET", path)
end
function delay()
  return pause
end
LUA

# Runs wrk with the mix; prints its summary line and fails on any error answer.
run_mix() {  # CONNECTIONS DURATION_SECONDS
  local out
  out=$(wrk -t2 -c"$1" -d"$2s" --latency -s "$tmp/mix.lua" "$base")
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
requests = int(re.search(r"(\d+) requests in", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors = re.search(r"Socket errors: (.*)", out)
def latency(p):
    value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
print(f"{rate:.0f} req/s, {requests} requests, p50 {latency(50):.2f} ms, p99 {latency(99):.2f} ms, "
      f"non-2xx/3xx: {non2xx.group(1) if non2xx else 0}, socket errors: {errors.group(1) if errors else 'none'}")
sys.exit(1 if non2xx or errors else 0)
PY
}

# Samples RSS and the pool's connections every 10 s into $tmp/samples while the load runs.
sample() {
  local started=$SECONDS
  while kill -0 "$server" 2>/dev/null; do
    echo "$((SECONDS - started)) $(rss_mb) $(pool_connections)" >>"$tmp/samples"
    sleep 10
  done
}

status=0
echo "--- maximum: wrk -t2 -c64 -d${max_seconds}s, the mix"
rm -f "$tmp/samples"; sample & sampler=$!
max_line=$(run_mix 64 "$max_seconds") || status=1
kill "$sampler"; sampler=
echo "c64: $max_line"
max_rss=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$tmp/samples")
echo "RSS under load at c64: sampled up to $max_rss MB; after it $(rss_mb) MB; peak (VmHWM) $(peak_mb) MB"
max_rate=$(sed -E 's/^([0-9]+) req.*/\1/' <<<"$max_line")

# Half the maximum: each connection waits so that all together make about max/2 a second
# (the wait, less the 2-3 ms a request itself takes at that rate).
delay_ms=$(python3 -c "print(max(0, round($soak_connections * 1000 / ($max_rate / 2) - 2.5)))")
echo "--- soak: ${soak_minutes} min at about half of $max_rate req/s: wrk -t2 -c$soak_connections with a ${delay_ms} ms delay per request"
rm -f "$tmp/samples"; sample & sampler=$!
soak_line=$(SOAK_DELAY_MS=$delay_ms run_mix "$soak_connections" "$((soak_minutes * 60))") || status=1
kill "$sampler"; sampler=
echo "soak: $soak_line"
python3 - "$tmp/samples" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if len(line.split()) == 3]
def show(label, row): print(f"  {label:<7} t={int(row[0]):>5} s   RSS {float(row[1]):>6.1f} MB   pool connections {row[2]}")
show("start", rows[0]); show("middle", rows[len(rows) // 2]); show("end", rows[-1])
rss = [float(r[1]) for r in rows]; pool = [int(float(r[2])) for r in rows]
print(f"  over {len(rows)} samples: RSS {min(rss):.1f}-{max(rss):.1f} MB, pool connections {min(pool)}-{max(pool)}")
PY
echo "after the soak: RSS $(rss_mb) MB, peak (VmHWM) $(peak_mb) MB"
exit "$status"
