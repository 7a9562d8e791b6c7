#!/usr/bin/env bash
# `make test`: run `swift test` against a throwaway PostgreSQL cluster that is removed
# afterwards, whatever the outcome; then, each on a cluster of its own, the notice crash check
# (scripts/notice-crash-check.sh), PostgreSQL restarted under load (scripts/fault-check.sh),
# two servers and two schedulers side by side under load with a restart and a kill
# (scripts/scale-check.sh), and the server held to its OpenAPI document with schemathesis
# (scripts/check-api.sh). Extra arguments go to `swift test`; with arguments (a filtered
# run) the checks after it are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The frab schema checkers and headless Chromium that some tests hand real exports to.
source scripts/test-tools.sh

# mktemp dirs are mode 700; the postgres user needs to get inside.
tmp=$(mktemp -d)
chmod 755 "$tmp"
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
  scripts/pg-cluster.sh stop "$tmp/data" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT    # turn signals into a normal exit so the EXIT trap runs
trap 'exit 143' TERM

port=$(scripts/pg-cluster.sh free-port)
# Throwaway cluster: fsync etc. off, since its data is discarded after the run.
scripts/pg-cluster.sh init "$tmp/data" --throwaway
scripts/pg-cluster.sh start "$tmp/data" "$port" "$tmp/run" --throwaway
export AGORA_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"

# One build of everything, tests and the `agora` binary alike (which the command-line tests
# run): building the binary apart would compile every module twice, once without testing.
swift build --build-tests
AGORA_BINARY="$(swift build --show-bin-path)/agora"
export AGORA_BINARY

# Keep the tests' exit status (set -e would exit before we could return it ourselves).
status=0
swift test --skip-build "$@" || status=$?
if (($# == 0)); then
  # The scheduler killed at random moments loses no notice (prints its counts).
  scripts/notice-crash-check.sh --skip-build || status=$?
  scripts/fault-check.sh --skip-build || status=$?
  scripts/scale-check.sh --skip-build || status=$?
  scripts/check-api.sh --skip-build || status=$?
fi
exit "$status"
