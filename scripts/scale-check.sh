#!/usr/bin/env bash
# Agora scaled out: two `agora serve` behind nginx and two `agora scheduler`, on one PostgreSQL,
# all on loopback, under a mixed load for a minute, while one API server is restarted (SIGTERM)
# and one scheduler is killed (SIGKILL) and started again.
#
# The load (scripts/scale-load.py, through nginx): agenda reads with and without If-None-Match,
# nominations by network focal points, workspace bookings racing four organisations for each
# slot, agenda publishes (which notify webhook and e-mail subscribers and speakers), and token
# revocations. Then it checks, and prints as its last lines (`name: value`):
#   - the answers by status class: no 5xx but 503, and no transport errors, once each POST
#     that nginx answered 502 (or dropped) has been sent again with its Idempotency-Key, as
#     clients are told to; such retries must be few and only at the restart;
#   - no double booking (SQL over the active bookings) and at most one 201 per raced slot;
#   - every notice done (none dead), each webhook one received and verified by the Standard
#     Webhooks receiver (scripts/webhook-receiver.py), each e-mail one at the SMTP sink
#     (scripts/smtp-test-server.py) under its Message-ID; duplicates only with the same id;
#   - a token revoked through one server refused by the other within 2 s (each way);
#   - a publish through one server changing the other's cached agenda within 2 s (each way).
# Exits 1 if any check fails. Takes about two minutes.
#
#   scripts/scale-check.sh [--skip-build]
# Env: AGORA_BINARY (default: this tree's debug build), AGORA_PYTHON (a Python with
# standardwebhooks and aiosmtpd; scripts/test-tools.sh sets it), AGORA_SCALE_SECONDS (60).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${AGORA_SCALE_SECONDS:-60}
if [[ -z ${AGORA_BINARY:-} ]]; then
  [[ ${1:-} == --skip-build ]] || swift build --product agora
  AGORA_BINARY="$(swift build --show-bin-path)/agora"
fi
if [[ -z ${AGORA_PYTHON:-} ]]; then source scripts/test-tools.sh; fi
nginx=/usr/sbin/nginx
# Installed by the project's install step (which keeps the package from starting its service).
[[ -x $nginx ]] || scripts/install-deps.sh

tmp=$(mktemp -d)
chmod 755 "$tmp"
server_pids=(); scheduler_pids=(); nginx_pid=; load_pid=
peer_pids=()
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
  local pid
  for pid in "$load_pid" "$nginx_pid" "${server_pids[@]}" "${scheduler_pids[@]}"; do
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "$load_pid" "$nginx_pid" "${server_pids[@]}" "${scheduler_pids[@]}"; do
    if [[ -n $pid ]]; then wait "$pid" 2>/dev/null || true; fi
  done
  for pid in "${peer_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  scripts/pg-cluster.sh stop "$tmp/data" >/dev/null 2>&1 || true
  if [[ -n ${AGORA_SCALE_KEEP:-} ]]; then echo "scale-check: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "scale-check: $*" >&2; exit 1; }
# wait_ready PORT PID: /readyz answers 200 within 20 s, the process still alive.
wait_ready() {
  local deadline=$((SECONDS + 20))
  until curl -sf -o /dev/null "http://127.0.0.1:$1/readyz"; do
    kill -0 "$2" 2>/dev/null || fail "the process on port $1 exited; see $tmp"
    ((SECONDS < deadline)) || fail "nothing ready on port $1 after 20 s"
    sleep 0.05
  done
}
event() { echo "$1 $(date +%s.%N)" >>"$tmp/events"; }

pg_port=$(scripts/pg-cluster.sh free-port)
scripts/pg-cluster.sh init "$tmp/data" --throwaway >/dev/null
scripts/pg-cluster.sh start "$tmp/data" "$pg_port" "$tmp/run" --throwaway >/dev/null
scripts/pg-cluster.sh ensure-db "$pg_port" agora >/dev/null
export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/agora"
psql_() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
export AGORA_LOG_LEVEL=warning
"$AGORA_BINARY" migrate >/dev/null
token=$("$AGORA_BINARY" token create --secretariat --name scale)

source scripts/notice-peers.sh
peer receiver webhook-receiver.py
receiver="http://127.0.0.1:$(head -n 1 "$tmp/receiver-port")"
peer smtp smtp-test-server.py --maildir "$tmp/mail" --lifetime 3600
smtp_port=$(head -n 1 "$tmp/smtp-port")

# The API servers. A 1 s quiet period, so agenda-change notices are due soon after the load.
export AGORA_TRUSTED_PROXIES=127.0.0.1 AGORA_RATE_LIMIT_ANONYMOUS=0 AGORA_WEBHOOK_ALLOW=127.0.0.0/8 \
  AGORA_NOTICE_QUIET_PERIOD=1 AGORA_SHUTDOWN_TIMEOUT=10
api_ports=("$(scripts/pg-cluster.sh free-port)" "$(scripts/pg-cluster.sh free-port)")
[[ ${api_ports[0]} != "${api_ports[1]}" ]] || api_ports[1]=$(scripts/pg-cluster.sh free-port)
start_server() {  # INDEX
  "$AGORA_BINARY" serve --port "${api_ports[$1]}" >>"$tmp/serve-$1.log" 2>&1 &
  server_pids[$1]=$!
}
start_server 0
start_server 1
wait_ready "${api_ports[0]}" "${server_pids[0]}"
wait_ready "${api_ports[1]}" "${server_pids[1]}"

# nginx in front, as deploy/nginx/agora.conf sets it up (retries on another server only when
# nothing was sent or the method is idempotent: nginx's default for proxy_next_upstream).
nginx_port=$(scripts/pg-cluster.sh free-port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $tmp/nginx-access.log;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    upstream agora_api {
        least_conn;
        server 127.0.0.1:${api_ports[0]} max_fails=2 fail_timeout=5s;
        server 127.0.0.1:${api_ports[1]} max_fails=2 fail_timeout=5s;
        keepalive 64;
        keepalive_timeout 50s;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        client_max_body_size 2m;
        location / {
            proxy_pass http://agora_api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Request-ID \$request_id;
            proxy_set_header If-None-Match \$http_if_none_match;
            proxy_set_header If-Match \$http_if_match;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 http_504;
            proxy_next_upstream_tries 2;
            proxy_buffering off;
        }
    }
}
NGINX
"$nginx" -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" &
nginx_pid=$!
base="http://127.0.0.1:$nginx_port"
wait_ready "$nginx_port" "$nginx_pid"

# The schedulers: short leases, so a notice stranded by the kill comes back within seconds.
export AGORA_NOTICE_LEASE=3 AGORA_WEBHOOK_TIMEOUT=1 AGORA_NOTICE_POLL=1 AGORA_NOTICE_BATCH=20 \
  AGORA_NOTICE_CONCURRENCY=20 AGORA_NOTICE_MAX_ATTEMPTS=50 AGORA_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  AGORA_MAIL_DIR="$tmp/mail-drop" AGORA_PUBLIC_URL="$base"
start_scheduler() {  # INDEX
  "$AGORA_BINARY" scheduler >>"$tmp/scheduler-$1.log" 2>&1 &
  scheduler_pids[$1]=$!
}
start_scheduler 0
start_scheduler 1

"$AGORA_PYTHON" scripts/scale-load.py setup "$base" "$token" "$receiver" "$tmp/state.json"

# The load runs in the background while this shell restarts server 0 and kills scheduler 0.
: >"$tmp/events"
"$AGORA_PYTHON" scripts/scale-load.py load "$base" "$tmp/state.json" "$seconds" "$tmp/events" "$tmp/load.json" &
load_pid=$!
load_started=$SECONDS
# sleep_until OFFSET: until OFFSET seconds into the load (short polls; the load may end sooner).
sleep_until() {
  while ((SECONDS - load_started < $1)) && kill -0 "$load_pid" 2>/dev/null; do sleep 0.1; done
}

sleep_until $((seconds * 3 / 10))
event restart-begin
kill -TERM "${server_pids[0]}"
server_status=0
wait "${server_pids[0]}" || server_status=$?
((server_status == 0)) || fail "server 0 exited with status $server_status after SIGTERM (a graceful stop exits 0)"
event server-stopped
start_server 0
wait_ready "${api_ports[0]}" "${server_pids[0]}"
event restart-end

sleep_until $((seconds * 5 / 10))
# Killed while it holds notices, if that happens within 10 s (short polls).
kill_deadline=$((SECONDS + 10))
in_flight=0
until in_flight=$(psql_ -c "SELECT count(*) FROM notice WHERE state = 'running'") && ((in_flight > 0 || SECONDS > kill_deadline)); do
  ((SECONDS <= kill_deadline)) || { in_flight=0; break; }
  sleep 0.02
done
event scheduler-kill
kill -KILL "${scheduler_pids[0]}"
wait "${scheduler_pids[0]}" 2>/dev/null || true
# Started again a few seconds later: its leases have run out by then, and the other one has
# been working alone meanwhile.
sleep_until $((seconds * 5 / 10 + 4))
start_scheduler 0
event scheduler-restarted

load_status=0
wait "$load_pid" || load_status=$?
load_pid=
((load_status == 0)) || fail "the load stopped with status $load_status"

# Each server refuses a token revoked through the other, and drops its cached agenda when the
# other publishes (each backend directly, not through nginx).
a="http://127.0.0.1:${api_ports[0]}" b="http://127.0.0.1:${api_ports[1]}"
revocation_ab=$("$AGORA_PYTHON" scripts/scale-load.py revocation "$a" "$b" "$tmp/state.json")
revocation_ba=$("$AGORA_PYTHON" scripts/scale-load.py revocation "$b" "$a" "$tmp/state.json")
cache_ab=$("$AGORA_PYTHON" scripts/scale-load.py cache "$a" "$b" "$tmp/state.json")
cache_ba=$("$AGORA_PYTHON" scripts/scale-load.py cache "$b" "$a" "$tmp/state.json")

# Every notice due is done: wait for the schedulers (speaker reminders due days from now are not
# due; they are counted apart).
due="run_at <= now() + interval '1 hour'"
deadline=$((SECONDS + 90))
until [[ $(psql_ -c "SELECT count(*) FROM notice WHERE state NOT IN ('done', 'cancelled', 'dead') AND $due") == 0 ]]; do
  if ((SECONDS > deadline)); then
    echo "scale-check: notices still not done after 90 s:" >&2
    psql_ -c "SELECT state, kind, count(*), max(last_error) FROM notice GROUP BY state, kind" >&2
    break
  fi
  sleep 0.2
done
for i in 0 1; do
  kill -TERM "${scheduler_pids[$i]}" 2>/dev/null || true
  wait "${scheduler_pids[$i]}" 2>/dev/null || true
  scheduler_pids[i]=
done

psql_ -F ' ' -c "SELECT public_id, channel, state, kind FROM notice WHERE $due ORDER BY id" >"$tmp/notices"
psql_ -c "SELECT count(*) FROM notice WHERE NOT ($due)" >"$tmp/notices-later"
psql_ -F ' ' -c "SELECT public_id, kind, attempt, last_error FROM notice WHERE state = 'dead'" >"$tmp/notices-dead"
active="status IN ('booked', 'checked_in')"
psql_ -c "SELECT count(*) FROM workspace_booking a JOIN workspace_booking b
  ON a.room_id = b.room_id AND a.id < b.id AND a.during && b.during WHERE a.$active AND b.$active" >"$tmp/overlaps"
psql_ -c "SELECT count(*) FROM workspace_booking WHERE $active" >"$tmp/bookings"
curl -fsS "$receiver/_received" >"$tmp/received.json"
# What nginx said beyond the expected (a server refusing connections while it restarts).
grep -v -e 'connect() failed (111' -e 'upstream server temporarily disabled' "$tmp/nginx-error.log" | sed 's/^/scale-check: nginx: /' >&2 || true

"$AGORA_PYTHON" - "$tmp" "$revocation_ab" "$revocation_ba" "$cache_ab" "$cache_ba" "$in_flight" <<'PY'
import glob, json, os, sys
tmp = sys.argv[1]
revocation_ab, revocation_ba, cache_ab, cache_ba, in_flight = (int(v) for v in sys.argv[2:7])
load = json.load(open(os.path.join(tmp, "load.json")))
failed = []

# Answers by status class, over every kind of request.
classes, by_kind = {}, []
for kind, counts in sorted(load["counts"].items()):
    by_kind.append(f"{kind} " + " ".join(f"{s}={n}" for s, n in sorted(counts.items())))
    for status, n in counts.items():
        name = "transport-error" if status == "0" else status[0] + "xx"
        classes[name] = classes.get(name, 0) + n
events = {name: float(at) for name, at in load["events"]}
# The restart window: from the SIGTERM to a few seconds after the new server is ready (nginx
# takes a server it found down out for fail_timeout), with a second of slack before.
window = (events.get("restart-begin", 0) - 1, events.get("restart-end", 0) + 6)
bad = [f for f in load["failures"] if f[2] != 503]
outside = [f for f in load["failures"] if f[2] == 503 and not window[0] <= f[0] <= window[1]]
for f in load["failures"]:
    print(f"scale-check: {f[1]} answered {f[2]} at +{f[0] - load['started']:.1f} s: {f[3]}", file=sys.stderr)
if bad:
    failed.append("5xx other than 503, or transport errors")
if outside:
    failed.append("503 outside the restart window")
# POSTs nginx answered 502 (or dropped) at the instant server 0's listener closed, sent again
# with their Idempotency-Key: only in the restart window, and few.
retried = load.get("retried_posts", [])
for r in retried:
    print(f"scale-check: POST {r[1]} sent again with its Idempotency-Key after {r[2] or 'a dropped connection'} at +{r[0] - load['started']:.1f} s", file=sys.stderr)
if any(not window[0] <= r[0] <= window[1] for r in retried):
    failed.append("a POST needed its retry outside the restart window")
if len(retried) > 5:
    failed.append("more than 5 POSTs needed their retry")
print("scale-check: answers by request: " + "; ".join(by_kind))
def at(name):
    return f"+{events.get(name, 0) - load['started']:.1f} s"
print(f"scale-check: server 0 SIGTERM at {at('restart-begin')}, exited at {at('server-stopped')}, ready again at {at('restart-end')}; "
      f"scheduler 0 SIGKILL at {at('scheduler-kill')} with {in_flight} notices running, started again at {at('scheduler-restarted')}")

# Bookings.
races = load["races"]
overlaps = int(open(os.path.join(tmp, "overlaps")).read())
if overlaps or races["double"]:
    failed.append("double booking")
if races["created"] == 0 or races["conflict"] == 0:
    failed.append("the booking races did not race (no 201 or no 409 booking-conflict)")

# Notices.
notices = [line.split(" ", 3) for line in open(os.path.join(tmp, "notices")) if line.strip()]
dead = [line.strip() for line in open(os.path.join(tmp, "notices-dead")) if line.strip()]
for line in dead:
    print(f"scale-check: dead notice: {line}", file=sys.stderr)
not_done = [n for n in notices if n[2] not in ("done", "cancelled")]
webhook_ids = {n[0] for n in notices if n[1] == "webhook" and n[2] == "done"}
mail_ids = {n[0] for n in notices if n[1] == "email" and n[2] == "done"}
received = json.load(open(os.path.join(tmp, "received.json")))
accepted = [r["id"] for r in received if r["accepted"]]
unverified = sum(1 for r in received if not r["verified"])
hook_lost = webhook_ids - set(accepted)
hook_strangers = set(accepted) - webhook_ids
hook_duplicates = len(accepted) - len(set(accepted))
mails = []
for path in glob.glob(os.path.join(tmp, "mail", "*.decoded")):
    mails.append(json.load(open(path))["messageID"].strip("<>").split("@")[0].lower())
mail_lost = mail_ids - set(mails)
mail_strangers = set(mails) - mail_ids
mail_duplicates = len(mails) - len(set(mails))
for name, ids in (("webhook notice never received", hook_lost), ("e-mail notice never received", mail_lost),
                  ("webhook delivery of no notice", hook_strangers), ("e-mail of no notice", mail_strangers)):
    for i in sorted(ids)[:20]:
        print(f"scale-check: {name}: {i}", file=sys.stderr)
if not_done or dead:
    failed.append("notices not done")
if hook_lost or mail_lost:
    failed.append("lost notices")
if hook_strangers or mail_strangers or unverified:
    failed.append("unknown or unverified deliveries")
if not webhook_ids or not mail_ids:
    failed.append("no webhook or no e-mail notice at all")

# Revocation and caches across servers (-1: not within 10 s).
def late(ms):
    return ms < 0 or ms > 2000
if late(revocation_ab) or late(revocation_ba):
    failed.append("a revoked token still accepted by the other server after 2 s")
if late(cache_ab) or late(cache_ba):
    failed.append("a publish did not reach the other server's agenda within 2 s")
revocations = load["revocations"]
if revocations["not_refused"]:
    failed.append("a token revoked under load still accepted after 3 s")
if revocations["revoked"] == 0:
    failed.append("no token revoked under load")

for reason in failed:
    print(f"scale-check: FAILED: {reason}", file=sys.stderr)
lat = sorted(revocations["latencies_ms"]) or [0]
later = int(open(os.path.join(tmp, "notices-later")).read())
print(f"duration: {load['seconds']:.0f} s")
print("responses: " + " ".join(f"{k}={v}" for k, v in sorted(classes.items())))
print(f"5xx other than 503: {len(bad)}")
print(f"503: {sum(1 for f in load['failures'] if f[2] == 503)} ({len(outside)} outside the restart window)")
print(f"POSTs answered 502 or dropped by nginx at the restart instant, then sent again with their Idempotency-Key: {len(retried)}")
print(f"booking races: {races['rounds']} rounds over {races['slots']} slots, {races['won']} won once, {races['none']} not won, {races['double']} won twice; "
      f"201: {races['created']} 409 booking-conflict: {races['conflict']} other: {sum(races['other'].values())} {races['other'] or ''}".rstrip())
print(f"active bookings: {open(os.path.join(tmp, 'bookings')).read().strip()}")
print(f"overlapping bookings: {overlaps}")
print(f"notices: {len(notices)} due ({len(webhook_ids)} webhook, {len(mail_ids)} e-mail done), {len(not_done)} not done, "
      f"{len(dead)} dead, {later} due later (speaker reminders)")
print(f"webhooks received: {len(received)}  duplicates (same webhook-id): {hook_duplicates}  unverified: {unverified}  unknown: {len(hook_strangers)}")
print(f"e-mails received: {len(mails)}  duplicates (same Message-ID): {mail_duplicates}  unknown: {len(mail_strangers)}")
print(f"lost notices: {len(hook_lost) + len(mail_lost)}")
print(f"tokens revoked under load: {revocations['revoked']}, refused through nginx after p50 {lat[len(lat) // 2]} ms, "
      f"max {lat[-1]} ms, never: {revocations['not_refused']}")
print(f"revocation latency A->B: {revocation_ab} ms")
print(f"revocation latency B->A: {revocation_ba} ms")
print(f"agenda cache latency A->B: {cache_ab} ms")
print(f"agenda cache latency B->A: {cache_ba} ms")
print(f"result: {'FAILED (' + '; '.join(failed) + ')' if failed else 'ok'}")
sys.exit(1 if failed else 0)
PY
