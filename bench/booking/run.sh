#!/usr/bin/env bash
# Workspace booking under contention (issue 13): 64 concurrent clients (wrk -t2 -c64) book random
# slots (30 to 120 minutes, 08:00-20:00, three days) of 20 rooms for 1,000 organisations, for
# SECONDS_PER_RUN seconds (default 20), against a release build of `agora serve` on a throwaway
# cluster. Prints attempts/s, the counts of 201 and 409 (any other status is counted apart),
# latency, and as the last line `overlaps: N`, from a SQL self-join of the active bookings.
# Targets: >= 2,000 attempts/s and overlaps: 0. Run by hand, nothing else running.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${SECONDS_PER_RUN:-20}

scripts/install-deps.sh wrk
swift build -c release --product agora >&2
agora="$(swift build -c release --show-bin-path)/agora"

tmp=$(mktemp -d)
chmod 755 "$tmp"
server=
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
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "agora did not become ready" >&2; exit 1; }

python3 bench/booking/dataset.py "http://127.0.0.1:$port" "$token" > "$tmp/dataset"
forum=$(sed -n 1p "$tmp/dataset")
python3 - "$tmp/dataset" "$tmp/ids.lua" <<'PY'
import json, sys
ids = json.loads(open(sys.argv[1]).read().splitlines()[1])
with open(sys.argv[2], "w") as out:
    out.write("rooms = {" + ",".join(f'"{r}"' for r in ids["rooms"]) + "}\n")
    out.write("organisations = {" + ",".join(f'"{o}"' for o in ids["organisations"]) + "}\n")
    out.write("days = {" + ",".join(f'"{d}"' for d in ids["days"]) + "}\n")
PY

cat "$tmp/ids.lua" - > "$tmp/book.lua" <<LUA
-- Each request: a random room, organisation, day and start; 1 to 4 half-hour slots.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  created, conflicted, other = 0, 0, 0
  math.randomseed(os.time() * 100 + id)
end
function request()
  local day = math.random(1, 3)
  local start = 8 * 60 + 30 * math.random(0, 23)
  local length = 30 * math.random(1, 4)
  local finish = math.min(start + length, 20 * 60)
  local body = string.format(
    '{"room":"%s","organisation":"%s","startsAt":"%sT%02d:%02d","endsAt":"%sT%02d:%02d","attendees":%d}',
    rooms[math.random(#rooms)], organisations[math.random(#organisations)], days[day], math.floor(start / 60), start % 60,
    days[day], math.floor(finish / 60), finish % 60, math.random(1, 20))
  return wrk.format("POST", "/forums/$forum/workspace-bookings",
    {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 elseif status == 409 then conflicted = conflicted + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local c, f, o = 0, 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); f = f + t:get("conflicted"); o = o + t:get("other") end
  io.write(string.format("attempts/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50: %.2f ms  p99: %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("201: %d\n409: %d\nother: %d\n", c, f, o))
end
LUA

echo "booking: 20 rooms, 3 days, 1000 organisations; wrk -t2 -c64 -d${duration}s; $(nproc) cores"
wrk -t2 -c64 -d"${duration}s" -s "$tmp/book.lua" "http://127.0.0.1:$port" | sed -n '/^attempts/,$p'
active=$(psql -qAt "$DATABASE_URL" -c "SELECT count(*) FROM workspace_booking WHERE status IN ('booked', 'checked_in')")
echo "active bookings: $active"
overlaps=$(psql -qAt "$DATABASE_URL" -c "
  SELECT count(*) FROM workspace_booking a JOIN workspace_booking b
    ON a.room_id = b.room_id AND a.id < b.id AND a.during && b.during
  WHERE a.status IN ('booked', 'checked_in') AND b.status IN ('booked', 'checked_in')")
echo "overlaps: $overlaps"
