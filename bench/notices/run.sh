#!/usr/bin/env bash
# Notice delivery throughput (issue 12): a release build of `agora scheduler` delivers 10,000
# webhook notices to a loopback receiver that verifies every Standard Webhooks signature
# (scripts/webhook-receiver.py, standardwebhooks), then 2,000 e-mails to a loopback SMTP server
# (scripts/smtp-test-server.py, aiosmtpd). It prints notices per second for each (from the
# moment the notices are committed to the moment the last is done in the outbox), and, last,
# `lost: N` (notices the peers did not receive). Targets: ≥ 1,000 webhook notices/s, ≥ 300
# e-mails/s, lost: 0.
# Run by hand, nothing else running. Environment: WEBHOOK_NOTICES (10000), EMAIL_NOTICES (2000), SMTP_SINKS (2),
# AGORA_NOTICE_CONCURRENCY (64), AGORA_NOTICE_BATCH (64), AGORA_SMTP_CONNECTIONS (8).
set -euo pipefail
cd "$(dirname "$0")/../.."

webhooks=${WEBHOOK_NOTICES:-10000}
emails=${EMAIL_NOTICES:-2000}

scripts/install-deps.sh
source scripts/test-tools.sh
swift build -c release --product agora >&2
agora="$(swift build -c release --show-bin-path)/agora"

tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
peer_pids=()
cleanup() {
  for pid in "${pids[@]}" "${peer_pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
  scripts/pg-cluster.sh stop "$tmp/data" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
[[ -n ${KEEP_LOG:-} ]] && trap 'cp "$tmp/scheduler.log" "$KEEP_LOG" 2>/dev/null; cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port=$(scripts/pg-cluster.sh free-port)
scripts/pg-cluster.sh init "$tmp/data" --throwaway >&2
scripts/pg-cluster.sh start "$tmp/data" "$pg_port" "$tmp/run" --throwaway >&2
scripts/pg-cluster.sh ensure-db "$pg_port" agora >&2
export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/agora"
psql_() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
"$agora" migrate >&2

source scripts/notice-peers.sh
peer receiver webhook-receiver.py
receiver="http://127.0.0.1:$(head -n 1 "$tmp/receiver-port")"
# SMTP_SINKS servers share one port (SO_REUSEPORT), each with a maildir of its own: one aiosmtpd
# event loop tops out near 250 messages/s on this machine, below what is measured.
peer smtp smtp-test-server.py --maildir "$tmp/mail" --lifetime 3600 --no-decode --reuse-port
smtp_port=$(head -n 1 "$tmp/smtp-port")
for n in $(seq 2 "${SMTP_SINKS:-2}"); do
  peer "smtp$n" smtp-test-server.py --maildir "$tmp/mail$n" --lifetime 3600 --no-decode --reuse-port --port "$smtp_port"
done
webhook_forum "$receiver" /hooks/bench
psql_ <<SQL
INSERT INTO subscription (forum_id, channel, address, language, confirmed_at)
  SELECT f.id, 'email', 'reader-' || n || '@example.org', CASE WHEN n % 2 = 0 THEN 'fr' ELSE 'en' END, now()
  FROM forum f, generate_series(1, 50) AS n;
SQL

AGORA_WEBHOOK_ALLOW=127.0.0.0/8 AGORA_SMTP_URL="smtp://127.0.0.1:$smtp_port?starttls=never" \
  AGORA_SMTP_CONNECTIONS=${AGORA_SMTP_CONNECTIONS:-8} AGORA_NOTICE_CONCURRENCY=${AGORA_NOTICE_CONCURRENCY:-64} \
  AGORA_NOTICE_BATCH=${AGORA_NOTICE_BATCH:-64} AGORA_LOG_LEVEL=${AGORA_LOG_LEVEL:-warning} "$agora" scheduler >"$tmp/scheduler.log" 2>&1 &
pids+=($!)
sleep 1   # let it connect and find the outbox empty, so the timing starts with the notices

deliver() {  # LABEL COUNT SQL: commits COUNT notices, waits until the outbox has none left, prints the rate
  # From just before the insert to the last notice's done_at (both this machine's clock); the
  # outbox is looked at only twice a second, so the looking costs the machine little.
  local label=$1 count=$2 sql=$3 start elapsed
  start=$(date +%s.%N)
  psql_ -c "$sql"
  until [[ $(psql_ -c "SELECT count(*) FROM notice WHERE state NOT IN ('done', 'dead', 'cancelled')") == 0 ]]; do sleep 0.5; done
  elapsed=$(psql_ -c "SELECT extract(epoch FROM max(done_at)) - $start FROM notice WHERE dedupe_key LIKE '$4%'")
  python3 -c "print(f'$label: $count in {$elapsed:.2f} s, {$count / $elapsed:.0f} notices/s')"
}
deliver "webhook notices" "$webhooks" "
  INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
  SELECT s.id, 'proceedings.transmitted', jsonb_build_object('forum', s.forum_id::text, 'body', 'General Assembly',
         'documentReference', 'A/81/' || n, 'transmittedOn', '2027-02-01'), 'bench-hook:' || n
  FROM subscription s, generate_series(1, $webhooks) AS n WHERE s.channel = 'webhook'" bench-hook:
deliver "e-mails" "$emails" "
  INSERT INTO notice (recipient_subscription, kind, payload, dedupe_key)
  SELECT s.id, 'proceedings.transmitted', jsonb_build_object('forum', s.forum_id::text, 'body', 'General Assembly',
         'documentReference', 'A/81/' || n, 'transmittedOn', '2027-02-01'), 'bench-mail:' || n
  FROM (SELECT id, forum_id, row_number() OVER (ORDER BY id) AS k FROM subscription WHERE channel = 'email') s,
       generate_series(1, $emails) AS n WHERE n % 50 = s.k - 1" bench-mail:

received=$(curl -fsS "$receiver/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['unique'])")
mails=$(find "$tmp"/mail* -name '*.json' | wc -l)
failed=$(psql_ -c "SELECT count(*) FROM notice WHERE state <> 'done'")
echo "webhooks received: $received of $webhooks; e-mails received: $mails of $emails; not done in the outbox: $failed"
echo "lost: $((webhooks - received + emails - mails))"
