#!/usr/bin/env bash
# Checks what can be checked of deploy/ on this machine (issue 14):
#   - the systemd units with `systemd-analyze verify` (on copies naming a real `agora` binary and
#     the example environment file, since the installed paths do not exist here);
#   - deploy/nginx/agora.conf with `nginx -t` (Debian's nginx, installed when missing);
#   - the compose file and the environment example as YAML and as settings the code reads.
# The container image and compose stack are not built or run: no container engine runs here.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

agora="$(swift build --show-bin-path 2>/dev/null)/agora"
[[ -x $agora ]] || agora=/bin/true   # verify needs an executable; the units' own checks do not care which
for unit in deploy/systemd/*.service; do
  sed -e "s|/usr/local/bin/agora|$agora|" -e "s|/etc/agora/agora.env|$PWD/deploy/agora.env.example|" \
      -e "s|file:///usr/local/share/doc/agora/operations.md|file://$PWD/docs/operations.md|" "$unit" > "$tmp/$(basename "$unit")"
done
if out=$(cd "$tmp" && systemd-analyze verify ./*.service 2>&1) && [[ -z $out ]]; then
  echo "systemd-analyze verify: $(ls deploy/systemd | wc -l) units OK"
else
  echo "systemd-analyze verify:"; echo "$out"; status=1
fi
for unit in "$tmp"/*.service; do
  echo "  $(basename "$unit"): exposure $(systemd-analyze security --offline=true "$unit" 2>/dev/null | tail -1 | grep -oE '[0-9]+\.[0-9]+ [A-Z]+' || echo '?')"
done

if ! command -v nginx >/dev/null; then
  sudo=(); ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update >/dev/null && "${sudo[@]}" apt-get install -y --no-install-recommends nginx-light >/dev/null; } || true
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -x $nginx_bin ]]; then
  cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events {}
http { access_log off; client_body_temp_path $tmp; include $PWD/deploy/nginx/agora.conf; }
CONF
  if "$nginx_bin" -t -q -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.out"; then echo "nginx -t: deploy/nginx/agora.conf OK"
  else echo "nginx -t:"; cat "$tmp/nginx.out"; status=1; fi
else
  echo "nginx -t: skipped (nginx could not be installed)"
fi

python3 - <<'PY' || status=1
import re, pathlib, subprocess, sys
import yaml
compose = yaml.safe_load(open("deploy/compose.yaml"))
services = compose["services"]
assert {"postgres", "migrate", "api-1", "api-2", "scheduler-1", "scheduler-2", "nginx"} <= set(services), services.keys()
for name in ("api-1", "api-2", "scheduler-1", "scheduler-2"):
    assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
# The API servers trust nginx's own address, and nothing wider.
nginx_address = services["nginx"]["networks"]["default"]["ipv4_address"]
assert services["api-1"]["environment"]["AGORA_TRUSTED_PROXIES"] == nginx_address, "AGORA_TRUSTED_PROXIES is not nginx's address"
print("compose.yaml: parses; migrate runs before the 2 API servers and the 2 schedulers; they trust nginx's address alone")
# Every setting the code reads is in the environment example, and nothing else is.
read = set(re.findall(r"AGORA_[A-Z_]+", subprocess.run(["grep", "-rhoE", r"\"AGORA_[A-Z_]+\"", "Sources"], capture_output=True, text=True).stdout))
read |= {"AGORA_SQL_DIR"}
read -= {"AGORA_MI"}   # the migrator's advisory-lock key, spelt out in a comment, not a setting
example = set(re.findall(r"^#?(AGORA_[A-Z_]+)=", open("deploy/agora.env.example").read(), re.M))
missing, unknown = read - example, example - read
if missing or unknown:
    print(f"agora.env.example: missing {sorted(missing)}, unknown {sorted(unknown)}"); sys.exit(1)
print(f"agora.env.example: all {len(example)} AGORA_ settings the code reads, and DATABASE_URL")
PY
exit "$status"
