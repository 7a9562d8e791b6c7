#!/usr/bin/env bash
# The scheduler never loses a notice, whatever instant it dies at. `make test` runs this.
#
# 1,000 webhook notices go to a loopback receiver that verifies each signature with the
# Standard Webhooks reference library (scripts/webhook-receiver.py), while `agora scheduler`
# is killed with SIGKILL at random moments 20 times and started again. Afterwards every notice
# must be done and received at least once; a duplicate may only repeat a webhook-id (the
# receiver drops it). Prints the counts as its last lines; exits 1 if one was lost.
#
#   scripts/notice-crash-check.sh [--skip-build]
# Env: AGORA_BINARY (default: this tree's debug build), AGORA_PYTHON (a Python with
# standardwebhooks; scripts/test-tools.sh sets it), AGORA_CRASH_NOTICES (1000),
# AGORA_CRASH_KILLS (20).
set -euo pipefail
cd "$(dirname "$0")/.."

notices=${AGORA_CRASH_NOTICES:-1000}
kills=${AGORA_CRASH_KILLS:-20}
if [[ -z ${AGORA_BINARY:-} ]]; then
  [[ ${1:-} == --skip-build ]] || swift build --product agora
  AGORA_BINARY="$(swift build --show-bin-path)/agora"
fi
if [[ -z ${AGORA_PYTHON:-} ]]; then source scripts/test-tools.sh; fi

tmp=$(mktemp -d)
chmod 755 "$tmp"
scheduler_pid=
receiver_pid=
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
  if [[ -n $scheduler_pid ]]; then kill -9 "$scheduler_pid" 2>/dev/null || true; fi
  if [[ -n $receiver_pid ]]; then kill "$receiver_pid" 2>/dev/null || true; fi
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
"$AGORA_BINARY" migrate >/dev/null

# The receiver stops when its standard input closes: hold a FIFO open for it.
mkfifo "$tmp/receiver-in"
"$AGORA_PYTHON" scripts/webhook-receiver.py <"$tmp/receiver-in" >"$tmp/receiver-port" 2>"$tmp/receiver.log" &
receiver_pid=$!
exec 3>"$tmp/receiver-in"
deadline=$((SECONDS + 30))
until [[ -s $tmp/receiver-port ]]; do
  ((SECONDS < deadline)) || { echo "crash-check: the receiver did not start" >&2; cat "$tmp/receiver.log" >&2; exit 1; }
  sleep 0.05
done
receiver="http://127.0.0.1:$(head -n 1 "$tmp/receiver-port")"
secret="whsec_$(head -c 32 /dev/urandom | base64)"
curl -fsS -X POST "$receiver/_register" -d "{\"path\": \"/hooks/crash\", \"secret\": \"$secret\"}" >/dev/null

# A forum with one webhook subscription, and the notices for it.
psql_ <<SQL
INSERT INTO policy_issue (slug, title, reports_to) VALUES ('crash-check', 'Crash check', 'Economic and Social Council');
INSERT INTO venue (name, city, country, time_zone) VALUES ('Palais des Nations', 'Geneva', 'CH', 'Europe/Zurich');
INSERT INTO forum (issue_id, kind, title, venue_id, starts_at, ends_at, status)
  SELECT i.id, 'conference', 'Crash check', v.id, now() + interval '30 days', now() + interval '31 days', 'announced'
  FROM policy_issue i, venue v;
INSERT INTO account (name) VALUES ('Integrator');
INSERT INTO subscription (forum_id, channel, url, owner_account, secret, confirmed_at)
  SELECT f.id, 'webhook', '$receiver/hooks/crash', a.id, '$secret', now() FROM forum f, account a;
INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
  SELECT s.id, 'proceedings.transmitted', jsonb_build_object('forum', s.forum_id::text, 'n', n), 'crash:' || n
  FROM subscription s, generate_series(1, $notices) AS n;
SQL

# Short leases, so notices stranded by a kill come back within seconds.
export AGORA_WEBHOOK_ALLOW=127.0.0.0/8 AGORA_NOTICE_LEASE=3 AGORA_WEBHOOK_TIMEOUT=1 AGORA_NOTICE_POLL=1 \
  AGORA_NOTICE_BATCH=20 AGORA_NOTICE_CONCURRENCY=20 AGORA_NOTICE_MAX_ATTEMPTS=50 AGORA_LOG_LEVEL=warning AGORA_MAIL_DIR="$tmp/mail"
start_scheduler() {
  "$AGORA_BINARY" scheduler >>"$tmp/scheduler.log" 2>&1 &
  scheduler_pid=$!
}
for ((kill = 1; kill <= kills; kill++)); do
  start_scheduler
  # A random moment: 50 to 450 ms into this scheduler's life (intervals, not waits for an event).
  sleep "0.$(printf '%02d' $((RANDOM % 40 + 5)))"
  if ! kill -9 "$scheduler_pid" 2>/dev/null; then
    echo "crash-check: the scheduler stopped by itself:" >&2; tail -n 20 "$tmp/scheduler.log" >&2; exit 1
  fi
  wait "$scheduler_pid" 2>/dev/null || true
done
killed_with_work=$(psql_ -c "SELECT count(*) FROM notice WHERE state <> 'done'")

start_scheduler
deadline=$((SECONDS + 180))
until [[ $(psql_ -c "SELECT count(*) FROM notice WHERE state <> 'done'") == 0 ]]; do
  if ((SECONDS > deadline)); then
    echo "crash-check: notices still not done after 180 s:" >&2
    psql_ -c "SELECT state, count(*), max(last_error) FROM notice GROUP BY state" >&2
    tail -n 20 "$tmp/scheduler.log" >&2
    exit 1
  fi
  sleep 0.2
done
kill -TERM "$scheduler_pid"
wait "$scheduler_pid" 2>/dev/null || true
scheduler_pid=

psql_ -c "SELECT public_id FROM notice ORDER BY id" >"$tmp/sent-ids"
curl -fsS "$receiver/_received" >"$tmp/received.json"
"$AGORA_PYTHON" - "$tmp/sent-ids" "$tmp/received.json" "$notices" "$kills" "$killed_with_work" <<'PY'
import json, sys
sent = {line.strip() for line in open(sys.argv[1]) if line.strip()}
received = json.load(open(sys.argv[2]))
accepted = [r for r in received if r["accepted"]]
ids = [r["id"] for r in accepted]
unique = set(ids)
lost = sent - unique
strangers = unique - sent
unverified = sum(1 for r in received if not r["verified"])
# A duplicate is the same webhook-id again: the receiver drops it.
duplicates = len(ids) - len(unique)
print(f"crash-check: {sys.argv[3]} notices, scheduler killed {sys.argv[4]} times (SIGKILL), {sys.argv[5]} not yet done when the last one died")
print(f"received: {len(received)}  unique: {len(unique)}  duplicates (same webhook-id): {duplicates}  unverified: {unverified}  unknown ids: {len(strangers)}")
print(f"lost: {len(lost)}")
sys.exit(1 if lost or unverified or strangers or len(sent) != int(sys.argv[3]) else 0)
PY
