#!/usr/bin/env bash
# Proves a backup restores to a server that serves the same agenda (issue 14, docs/operations.md):
# `agora dev` loads the demo on a throwaway cluster; its database is dumped with
# `pg_dump -Fc` and restored with `pg_restore` into a new database; `agora serve` on the
# restored one must answer the published agenda (JSON and iCalendar), the workspace offer and
# the audit log's first page exactly as the original did. Prints what it compared; exits 1 on
# any difference. Run by hand (`make backup-restore-check`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh >/dev/null
swift build --product agora >&2
bin="$(swift build --show-bin-path)/agora"
source scripts/demo-server.sh
demo_server_start "$bin" >&2
token=$(grep -oE 'agora_[A-Za-z0-9_-]+' "$demo_log" | head -n 1)
pg_url=$(grep -oE 'postgresql://[^ ]+' <<<"$(tr '\0' ' ' < /proc/$demo_server_pid/environ)" | head -n 1)
[[ -n $token && -n $pg_url ]] || { echo "no demo token or database URL" >&2; exit 1; }
pg_port=$(sed -E 's|.*:([0-9]+)/.*|\1|' <<<"$pg_url")

# What clients read before: the review hearing's published agenda and its exports.
issue=$(curl -fsS "$demo_base/issues" | python3 -c 'import json,sys; print(next(i["id"] for i in json.load(sys.stdin)["items"] if i["slug"] == "water-informal-settlements"))')
forum=$(curl -fsS "$demo_base/issues/$issue/forums" | python3 -c 'import json,sys; print(next(f["id"] for f in json.load(sys.stdin)["items"] if f["status"] == "agenda_published"))')
paths=("/forums/$forum/agenda" "/forums/$forum/agenda.ics" "/forums/$forum/workspaces" "/audit?limit=50")
mkdir -p "$demo_tmp/before" "$demo_tmp/after"
fetch() {  # BASE DIR: each path's body and ETag
  local base=$1 dir=$2 n=0
  for path in "${paths[@]}"; do
    n=$((n + 1))
    curl -fsS -D "$dir/$n.headers" -H "Authorization: Bearer $token" "$base$path" -o "$dir/$n.body"
    grep -i '^etag:' "$dir/$n.headers" | tr -d '\r' > "$dir/$n.etag" || true
  done
}
fetch "$demo_base" "$demo_tmp/before"

# Backup, then restore into a new database, as docs/operations.md says.
pg_dump -Fc -f "$demo_tmp/agora.dump" "$pg_url"
scripts/pg-cluster.sh ensure-db "$pg_port" restored >&2
restored_url="${pg_url%/*}/restored"
pg_restore --no-owner --exit-on-error -d "$restored_url" "$demo_tmp/agora.dump"

restored_port=$(scripts/pg-cluster.sh free-port)
# The same public URL as the original, which the exports' links name.
DATABASE_URL="$restored_url" AGORA_PUBLIC_URL="$demo_base" AGORA_LOG_LEVEL=warning "$bin" serve --port "$restored_port" >"$demo_tmp/restored.log" 2>&1 &
restored_pid=$!
trap 'kill $restored_pid 2>/dev/null || true; demo_server_cleanup' EXIT
deadline=$((SECONDS + 60))
until curl -fsS "http://127.0.0.1:$restored_port/readyz" >/dev/null 2>&1; do
  ((SECONDS < deadline)) || { echo "the restored server did not start" >&2; cat "$demo_tmp/restored.log" >&2; exit 1; }
  sleep 0.2
done
fetch "http://127.0.0.1:$restored_port" "$demo_tmp/after"

status=0
n=0
for path in "${paths[@]}"; do
  n=$((n + 1))
  if cmp -s "$demo_tmp/before/$n.body" "$demo_tmp/after/$n.body" && cmp -s "$demo_tmp/before/$n.etag" "$demo_tmp/after/$n.etag"; then
    echo "same after restore: GET $path ($(wc -c < "$demo_tmp/after/$n.body") bytes$( [[ -s $demo_tmp/after/$n.etag ]] && echo ", $(cat "$demo_tmp/after/$n.etag")"))"
  else
    echo "DIFFERENT after restore: GET $path"; diff <(head -c 2000 "$demo_tmp/before/$n.body") <(head -c 2000 "$demo_tmp/after/$n.body") | head -5 || true; status=1
  fi
done
exit "$status"
