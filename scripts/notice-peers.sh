# Sourced by scripts/notice-crash-check.sh and bench/notices/run.sh: the notice peers on
# loopback, and a forum with a webhook subscription to notify.
# The caller provides $tmp (a directory of its own), $AGORA_PYTHON (with the peers' packages,
# see scripts/test-tools.sh) and psql_ (psql on the database, e.g. -X -q -t -A -v ON_ERROR_STOP=1).
# The caller's cleanup kills "${peer_pids[@]}".

peer_pids=()

# peer NAME SCRIPT ARGS…: starts scripts/SCRIPT, which prints its port as its first line and
# stops when its standard input closes (a FIFO this shell holds open), and waits for the port,
# with a deadline, in $tmp/NAME-port.
peer() {
  local name=$1 script=$2 fd
  shift 2
  mkfifo "$tmp/$name-in"
  "$AGORA_PYTHON" "scripts/$script" "$@" <"$tmp/$name-in" >"$tmp/$name-port" 2>"$tmp/$name.log" &
  peer_pids+=($!)
  exec {fd}>"$tmp/$name-in"
  for _ in $(seq 1 600); do [[ -s $tmp/$name-port ]] && return; sleep 0.05; done
  echo "$name did not start:" >&2; cat "$tmp/$name.log" >&2; return 1
}

# webhook_forum RECEIVER PATH: registers a fresh secret for PATH at the receiver and makes a
# forum, an account and that account's webhook subscription of the forum to RECEIVER/PATH.
webhook_forum() {
  local receiver=$1 path=$2 secret
  secret="whsec_$(head -c 32 /dev/urandom | base64)"
  curl -fsS -X POST "$receiver/_register" -d "{\"path\": \"$path\", \"secret\": \"$secret\"}" >/dev/null
  psql_ <<SQL
INSERT INTO policy_issue (slug, title, reports_to) VALUES ('notice-peers', 'Notices', 'Economic and Social Council');
INSERT INTO venue (name, city, country, time_zone) VALUES ('Palais des Nations', 'Geneva', 'CH', 'Europe/Zurich');
INSERT INTO forum (issue_id, kind, title, venue_id, starts_at, ends_at, status)
  SELECT i.id, 'conference', 'Notices', v.id, now() + interval '30 days', now() + interval '31 days', 'announced'
  FROM policy_issue i, venue v;
INSERT INTO account (name) VALUES ('Integrator');
INSERT INTO subscription (forum_id, channel, url, owner_account, secret, confirmed_at)
  SELECT f.id, 'webhook', '$receiver$path', a.id, '$secret', now() FROM forum f, account a;
SQL
}
