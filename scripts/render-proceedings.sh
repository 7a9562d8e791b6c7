#!/usr/bin/env bash
# Renders the demo hearing's proceedings page in a real browser (headless Chromium from
# Debian) to a PNG, and checks that the browser saw the document: its heading, the statements,
# the evidence table and the transmission. Runs `agora dev` (demo data) against a throwaway
# PostgreSQL; everything stays on loopback.
#   scripts/render-proceedings.sh [OUT.png]     (default .build/proceedings.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/proceedings.png}

scripts/install-deps.sh
if ! command -v chromium >/dev/null; then
  sudo=(); ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update
  # fonts-dejavu-core: the page's serif face, so the PNG does not depend on what else is installed.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi
swift build --product agora
bin="$(swift build --product agora --show-bin-path)/agora"

source scripts/demo-server.sh
demo_server_start "$bin"
tmp=$demo_tmp
base=$demo_base
# The demo issue's hearing, found the way an API client would.
issue=$(curl -fsS "$base/issues" | python3 -c 'import json,sys; print(next(i["id"] for i in json.load(sys.stdin)["items"] if i["slug"] == "water-informal-settlements"))')
hearing=$(curl -fsS "$base/issues/$issue/forums" | python3 -c 'import json,sys; print(next(f["id"] for f in json.load(sys.stdin)["items"] if f["kind"] == "hearing" and f["status"] == "concluded"))')
page="$base/forums/$hearing/proceedings.html"

chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/chrome")
"${chrome[@]}" --dump-dom "$page" >"$tmp/dom.html" 2>"$tmp/chrome.log"
for expected in "<h1>Hearing on water in informal settlements</h1>" "Who spoke, by constituency" "Course corrections" \
                "Evidence: partnership commitments" "Transmitted to the Economic and Social Council"; do
  grep -qF "$expected" "$tmp/dom.html" || { echo "the browser's document lacks: $expected" >&2; exit 1; }
done
mkdir -p "$(dirname "$out")"
"${chrome[@]}" --window-size=1000,1900 --screenshot="$out" "$page" 2>>"$tmp/chrome.log"
[[ -s $out ]] || { echo "no screenshot written" >&2; cat "$tmp/chrome.log" >&2; exit 1; }
echo "proceedings page: $page"
echo "rendered by $(chromium --version) to $out ($(stat -c %s "$out") bytes)"
