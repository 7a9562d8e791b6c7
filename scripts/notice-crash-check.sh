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
peer_pids=()
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
  if [[ -n $scheduler_pid ]]; then kill -9 "$scheduler_pid" 2>/dev/null || true; fi
  for pid in "${peer_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
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

source scripts/notice-peers.sh
peer receiver webhook-receiver.py
receiver="http://127.0.0.1:$(head -n 1 "$tmp/receiver-port")"
webhook_forum "$receiver" /hooks/crash
psql_ -c "INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
  SELECT s.id, 'proceedings.transmitted', jsonb_build_object('forum', s.forum_id::text, 'n', n), 'crash:' || n
  FROM subscription s, generate_series(1, $notices) AS n"

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
