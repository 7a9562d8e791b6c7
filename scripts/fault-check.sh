#!/usr/bin/env bash
# PostgreSQL restarted under load, and Agora rides it out without a restart of its own.
# `make test` runs this (and `make fault-check` on its own).
#
# `agora serve` on a private cluster, under load from 4 clients (each creating organisations
# and reading them back), while the cluster is stopped (fast shutdown: every session ends) and
# started again a few seconds later. Checks:
#   - every answer was 200, 201 or 503, and every 503 was application/problem+json;
#   - no request took longer than the statement timeout (5 s here): they fail fast;
#   - /readyz answered 503 while the database was down and 200 within 5 s of its return;
#   - nothing is half-written: every organisation answered 201 exists, every organisation has
#     its audit entry, and one answered 503 at the instant of the stop may exist, whole;
#   - creating works again afterwards, without restarting Agora.
# Prints the figures as its last lines; exits 1 if a check fails.
#
#   scripts/fault-check.sh [--skip-build]
# Env: AGORA_BINARY (default: this tree's debug build).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z ${AGORA_BINARY:-} ]]; then
  [[ ${1:-} == --skip-build ]] || swift build --product agora
  AGORA_BINARY="$(swift build --show-bin-path)/agora"
fi

tmp=$(mktemp -d)
chmod 755 "$tmp"
server_pid=
load_pid=
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
  if [[ -n $load_pid ]]; then kill "$load_pid" 2>/dev/null || true; fi
  if [[ -n $server_pid ]]; then kill -9 "$server_pid" 2>/dev/null || true; fi
  scripts/pg-cluster.sh stop "$tmp/data" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port=$(scripts/pg-cluster.sh free-port)
scripts/pg-cluster.sh init "$tmp/data" --throwaway >/dev/null
scripts/pg-cluster.sh start "$tmp/data" "$pg_port" "$tmp/run" --throwaway >/dev/null
scripts/pg-cluster.sh ensure-db "$pg_port" agora >/dev/null
export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/agora"
psql_() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
export AGORA_LOG_LEVEL=error AGORA_RATE_LIMIT_ANONYMOUS=0 AGORA_STATEMENT_TIMEOUT=5
"$AGORA_BINARY" migrate >/dev/null
token=$("$AGORA_BINARY" token create --secretariat --name fault-check | grep -o 'agora_[A-Za-z0-9_-]*' | head -n 1)

api_port=$(scripts/pg-cluster.sh free-port)
"$AGORA_BINARY" serve --port "$api_port" >"$tmp/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$api_port"
deadline=$((SECONDS + 60))
until curl -fsS "$base/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
    echo "fault-check: agora serve did not start:" >&2; cat "$tmp/server.log" >&2; exit 1
  fi
  sleep 0.1
done

# ready_status: /readyz's status, or 000 if nothing answered within 6 s.
ready_status() { curl -s -o /dev/null -m 6 -w '%{http_code}' "$base/readyz" || true; }

# The load runs until $tmp/stop exists; it writes one line per answer to $tmp/answers.
python3 - "$base" "$token" "$tmp" <<'PY' &
import http.client, json, os, sys, threading, time, uuid
base, token, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = base.removeprefix("http://").split(":")
lock = threading.Lock()
out = open(os.path.join(tmp, "answers"), "w")

def record(kind, status, seconds, content_type, created):
    with lock:
        out.write(json.dumps({"kind": kind, "status": status, "seconds": seconds,
                              "type": content_type, "created": created}) + "\n")
        out.flush()

def call(connection, method, path, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, time.monotonic() - started, response.getheader("Content-Type", ""), data

def worker(n):
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    i = 0
    while not os.path.exists(os.path.join(tmp, "stop")) and i < 100_000:
        i += 1
        name = f"Fault {n}-{i} {uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        try:
            status, seconds, content_type, data = call(connection, "POST", "/organisations",
                                                      {"name": name, "country": "KE", "constituency": "ngo"})
            created = json.loads(data)["id"] if status == 201 else None
            record("create", status, seconds, content_type, created or name)
            status, seconds, content_type, _ = call(connection, "GET", "/organisations?limit=5")
            record("read", status, seconds, content_type, None)
        except (OSError, http.client.HTTPException) as error:
            # A connection the server closed without an answer: a failure of the check (status
            # 0), recorded with how long it took; the load goes on over a new connection.
            record("error", 0, time.monotonic() - started, type(error).__name__, None)
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
        time.sleep(0.005)

threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
for thread in threads: thread.start()
for thread in threads: thread.join()
PY
load_pid=$!

answers() { if [[ -f $tmp/answers ]]; then wc -l <"$tmp/answers"; else echo 0; fi; }
wait_answers() {  # N: until the load has recorded N more answers than now, within 30 s
  local target=$(($(answers) + $1)) deadline=$((SECONDS + 30))
  until (($(answers) >= target)); do
    ((SECONDS < deadline)) || { echo "fault-check: the load stalled" >&2; exit 1; }
    sleep 0.05
  done
}
wait_answers 200

scripts/pg-cluster.sh stop "$tmp/data" >/dev/null
wait_answers 100
down_ready=$(ready_status)
sleep 2   # the database stays away a while: an interval, not a wait for an event

scripts/pg-cluster.sh start "$tmp/data" "$pg_port" "$tmp/run" --throwaway >/dev/null
back=$(date +%s.%N)
recovered=
until [[ $(ready_status) == 200 ]]; do
  if (($(date +%s) - ${back%.*} > 30)); then break; fi
  sleep 0.05
done
[[ $(ready_status) == 200 ]] && recovered=$(python3 -c "import time; print(f'{time.time() - $back:.2f}')")
restarted_at=$(answers)
wait_answers 200
touch "$tmp/stop"
wait "$load_pid"
load_pid=

psql_ -c "SELECT id FROM organisation" >"$tmp/stored"
psql_ -c "SELECT o.id FROM organisation o WHERE NOT EXISTS (SELECT 1 FROM audit_entry a
  WHERE a.object_type = 'organisation' AND lower(a.object_id) = o.id::text AND a.action = 'organisation.create')" >"$tmp/unaudited"
server_alive=yes
kill -0 "$server_pid" 2>/dev/null || server_alive=no
kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || server_alive=no   # a graceful stop exits 0
server_pid=

python3 - "$tmp" "$restarted_at" "$down_ready" "${recovered:-never}" "$server_alive" <<'PY'
import json, os, sys
tmp, restarted_at, down_ready, recovered, alive = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
answers = [json.loads(line) for line in open(os.path.join(tmp, "answers"))]
stored = {line.strip().lower() for line in open(os.path.join(tmp, "stored")) if line.strip()}
unaudited = [line.strip() for line in open(os.path.join(tmp, "unaudited")) if line.strip()]
by_status = {}
for a in answers:
    by_status[a["status"]] = by_status.get(a["status"], 0) + 1
created = {a["created"].lower() for a in answers if a["kind"] == "create" and a["status"] == 201}
refused_creates = [a for a in answers if a["kind"] == "create" and a["status"] != 201]
unexpected = {s: n for s, n in by_status.items() if s not in (200, 201, 503)}
not_problem = sum(1 for a in answers if a["status"] == 503 and not a["type"].startswith("application/problem+json"))
slowest = max(a["seconds"] for a in answers)
missing = created - stored
# Stored but never answered 201: a commit whose answer the stop cut off (answered 503).
ambiguous = len(stored - created)
after = [a for a in answers[restarted_at:] if a["kind"] == "create"]
recovered_creates = sum(1 for a in after if a["status"] == 201)
failures = []
if unexpected: failures.append(f"answers other than 200, 201 and 503: {unexpected}")
if not_problem: failures.append(f"{not_problem} 503 answers not application/problem+json")
if slowest >= 5: failures.append(f"a request took {slowest:.2f} s (statement timeout 5 s)")
if by_status.get(503, 0) == 0: failures.append("no 503 at all: the stop did not reach the load")
if down_ready != "503": failures.append(f"/readyz answered {down_ready} with the database down")
if recovered == "never" or float(recovered) > 5: failures.append(f"/readyz back to 200 after {recovered} s (limit 5 s)")
if missing: failures.append(f"{len(missing)} organisations answered 201 are not stored")
if unaudited: failures.append(f"{len(unaudited)} organisations without their audit entry")
if ambiguous > len(refused_creates): failures.append(f"{ambiguous} stored organisations were never answered 201")
if recovered_creates == 0: failures.append("nothing was created after the database came back")
if alive != "yes": failures.append("agora serve died")
for failure in failures: print(f"fault-check: FAILED: {failure}", file=sys.stderr)
print(f"fault-check: PostgreSQL stopped (fast) and started again under load of 4 clients; {len(answers)} answers")
print("answers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
print(f"slowest request: {slowest * 1000:.0f} ms (statement timeout 5000 ms)")
print(f"/readyz with the database down: {down_ready}; back to 200 {recovered} s after the database's return")
print(f"organisations answered 201: {len(created)}, stored: {len(stored)}, committed but answered 503: {ambiguous}, without audit entry: {len(unaudited)}")
print(f"created after the return, without restarting agora: {recovered_creates}")
print(f"failures: {len(failures)}")
sys.exit(1 if failures else 0)
PY
