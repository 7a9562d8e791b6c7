#!/usr/bin/env bash
# PostgresClient against libpq's own benchmark client, in one go on one throwaway cluster:
#   pgbench -S -c 16 -j 2 -T 10             (simple protocol)
#   pgbench -S -M prepared -c 16 -j 2 -T 10 (prepared statements: the C client at its best)
#   the same lookup through PostgresClient from 16 tasks for 10 s (release build)
# alternated ROUNDS times (default 1). The last line is the ratio of PostgresClient's best
# rate to pgbench -M prepared's best rate. Environment: ROUNDS, SECONDS_PER_RUN, CLIENTS,
# EVENT_LOOPS.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${ROUNDS:-1}
duration=${SECONDS_PER_RUN:-10}
clients=${CLIENTS:-16}
loops=${EVENT_LOOPS:-2}

scripts/install-deps.sh
swift build -c release --product postgres-client-bench >&2
bench_bin="$(swift build -c release --show-bin-path)/postgres-client-bench"

tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() { scripts/pg-cluster.sh stop "$tmp/data" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(scripts/pg-cluster.sh free-port)
scripts/pg-cluster.sh init "$tmp/data" --throwaway >&2
# max_connections leaves room for both clients' 16 sessions.
scripts/pg-cluster.sh start "$tmp/data" "$port" "$tmp/run" --throwaway >&2
bindir=$(scripts/pg-cluster.sh bindir)
pgbench="$bindir/pgbench"
"$pgbench" -i -s 10 -q -h 127.0.0.1 -p "$port" -U postgres postgres >/dev/null 2>&1
url="postgresql://postgres@127.0.0.1:$port/postgres"

pgbench_rate() {
  "$pgbench" -S "$@" -c "$clients" -j 2 -T "$duration" -h 127.0.0.1 -p "$port" -U postgres postgres 2>/dev/null \
    | awk '/^tps = / { printf "%.0f\n", $3 }'
}

best_simple=0; best_prepared=0; best_client=0
for round in $(seq 1 "$rounds"); do
  simple=$(pgbench_rate)
  prepared=$(pgbench_rate -M prepared)
  client=$("$bench_bin" "$url" "$clients" "$duration" "$loops" | awk '{ print $2 }')
  echo "round $round: pgbench simple $simple q/s, pgbench prepared $prepared q/s, postgres-client $client q/s"
  (( simple > best_simple )) && best_simple=$simple
  (( prepared > best_prepared )) && best_prepared=$prepared
  (( client > best_client )) && best_client=$client
done

echo "pgbench -S (simple): $best_simple q/s"
echo "pgbench -S -M prepared: $best_prepared q/s"
echo "postgres-client: $best_client q/s"
echo "postgres-client/pgbench-prepared ratio: $(python3 -c "print(f'{$best_client / $best_prepared:.2f}')")"
