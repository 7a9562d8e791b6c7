# Sourced (not run) by scripts that need a real `agora dev`, with its demo data, on a
# throwaway PostgreSQL cluster: scripts/check-api.sh and scripts/render-proceedings.sh.
#
#   source scripts/demo-server.sh
#   demo_server_start "$bin"     # sets demo_tmp, demo_base (http://127.0.0.1:PORT), demo_log
#
# Everything listens on loopback; the EXIT trap stops the server and the cluster and deletes
# their directory, whatever happens. The caller may keep its own files under $demo_tmp.

demo_tmp=$(mktemp -d)
chmod 755 "$demo_tmp"   # mktemp dirs are mode 700; the postgres user needs to get inside
demo_log="$demo_tmp/agora.log"
demo_base=
demo_server_pid=

# shellcheck disable=SC2317  # called by the trap below
demo_server_cleanup() {
  if [[ -n $demo_server_pid ]]; then kill "$demo_server_pid" 2>/dev/null || true; wait "$demo_server_pid" 2>/dev/null || true; fi
  scripts/pg-cluster.sh stop "$demo_tmp/data" || true
  rm -rf "$demo_tmp"
}
trap demo_server_cleanup EXIT
trap 'exit 130' INT   # turn signals into a normal exit so the EXIT trap runs
trap 'exit 143' TERM

# demo_server_start BIN: a cluster, then `BIN dev` on a free port, waited for with a deadline
# (not a fixed sleep) until /readyz answers.
demo_server_start() {
  local bin=$1 pg_port api_port deadline
  pg_port=$(scripts/pg-cluster.sh free-port)
  scripts/pg-cluster.sh init "$demo_tmp/data" --throwaway
  scripts/pg-cluster.sh start "$demo_tmp/data" "$pg_port" "$demo_tmp/run" --throwaway
  scripts/pg-cluster.sh ensure-db "$pg_port" agora
  api_port=$(scripts/pg-cluster.sh free-port)
  DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/agora" AGORA_LOG_LEVEL=${AGORA_LOG_LEVEL:-warning} AGORA_MAIL_DIR="$demo_tmp/mail" \
    "$bin" dev --port "$api_port" >"$demo_log" 2>&1 &
  demo_server_pid=$!
  demo_base="http://127.0.0.1:$api_port"
  deadline=$((SECONDS + 120))
  until curl -fsS "$demo_base/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$demo_server_pid" 2>/dev/null || ((SECONDS > deadline)); then
      echo "agora dev did not start:" >&2; cat "$demo_log" >&2; return 1
    fi
    sleep 0.2
  done
}
