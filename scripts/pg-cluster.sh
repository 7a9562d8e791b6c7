#!/usr/bin/env bash
# Manage a private PostgreSQL cluster (for tests and `make run`), independent of any
# system cluster.
#   pg-cluster.sh init DATADIR [--throwaway]
#   pg-cluster.sh start DATADIR PORT SOCKDIR [--throwaway]
#   pg-cluster.sh stop DATADIR
#   pg-cluster.sh ensure-db PORT DBNAME      create the database if it does not exist
#   pg-cluster.sh free-port
# --throwaway trades durability for speed; only for test clusters whose data we discard.
set -euo pipefail

die() { echo "pg-cluster: $*" >&2; exit 1; }

# Server binaries: pg_config's bindir if it holds initdb (it may belong to a libpq-only
# install), else the highest /usr/lib/postgresql/N/bin (Debian does not put them on PATH).
find_bindir() {
  local dir
  if command -v pg_config >/dev/null && dir=$(pg_config --bindir) && [[ -x $dir/initdb ]]; then
    echo "$dir"; return
  fi
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -n $dir && -x $dir/initdb ]] || die "PostgreSQL server binaries not found (run scripts/install-deps.sh)"
  echo "$dir"
}
bindir=$(find_bindir)

# PostgreSQL refuses to run as root, so as root we run it as the `postgres` user.
# cd / first: the caller's working directory may not be readable by postgres.
as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Create DIR if needed and hand it to the user the server runs as.
own_dir() {
  mkdir -p "$1"
  if ((EUID == 0)); then chown postgres:postgres "$1"; fi
}

# postgres must be able to reach DIR through every parent directory.
check_reachable() {
  as_pg test -x "$1" ||
    die "$1 is not reachable by the postgres user; make its parent directories mode 755"
}

is_running() { as_pg "$bindir/pg_ctl" status -D "$1" >/dev/null 2>&1; }

cmd=${1:-}; shift || true
case $cmd in
  init)
    [[ $# -ge 1 ]] || die "usage: init DATADIR [--throwaway]"
    datadir=$(realpath -m "$1")
    [[ -f $datadir/PG_VERSION ]] && exit 0
    mkdir -p "$(dirname "$datadir")"
    check_reachable "$(dirname "$datadir")"
    own_dir "$datadir"
    chmod 700 "$datadir"   # initdb insists on 0700/0750
    nosync=()
    [[ ${2:-} == --throwaway ]] && nosync=(--no-sync)   # skip fsync of the new files
    as_pg "$bindir/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      "${nosync[@]}" >/dev/null
    ;;
  start)
    [[ $# -ge 3 ]] || die "usage: start DATADIR PORT SOCKDIR [--throwaway]"
    datadir=$(realpath -m "$1"); port=$2; sockdir=$(realpath -m "$3")
    is_running "$datadir" && exit 0
    # A Unix socket path is limited to 107 bytes.
    (( ${#sockdir} + 20 <= 107 )) || die "socket dir path too long: $sockdir"
    own_dir "$sockdir"
    chmod 755 "$sockdir"
    # The log lives next to the data dir; pg_ctl opens it as postgres, so create it for them.
    log=$(dirname "$datadir")/postgres.log
    touch "$log"
    if ((EUID == 0)); then chown postgres:postgres "$log"; fi
    opts="-c listen_addresses=127.0.0.1 -p $port -k '$sockdir'"
    if [[ ${4:-} == --throwaway ]]; then
      # Test suites run in parallel, each with its own pools and listeners: room for them all.
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    fi
    if ! as_pg "$bindir/pg_ctl" start -D "$datadir" -l "$log" -w -o "$opts" >/dev/null; then
      echo "pg-cluster: PostgreSQL failed to start; end of $log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    ;;
  stop)
    [[ $# -ge 1 ]] || die "usage: stop DATADIR"
    datadir=$(realpath -m "$1")
    # Not running (or never created) is fine: stopping is idempotent.
    if [[ -d $datadir ]] && is_running "$datadir"; then
      as_pg "$bindir/pg_ctl" stop -D "$datadir" -m fast -w >/dev/null
    fi
    ;;
  ensure-db)
    [[ $# -eq 2 ]] || die "usage: ensure-db PORT DBNAME"
    port=$1; db=$2
    # Over TCP as the postgres role: auth is trust, so no need to switch OS user.
    exists=$("$bindir/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db'")
    [[ $exists == 1 ]] || "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
    ;;
  bindir)
    # Where the server binaries (pgbench among them) are.
    echo "$bindir"
    ;;
  free-port)
    # Let the kernel pick an unused port.
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    ;;
  *)
    die "usage: pg-cluster.sh init|start|stop|ensure-db|bindir|free-port ..."
    ;;
esac
