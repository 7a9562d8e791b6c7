#!/usr/bin/env bash
# `make check-api`: hold the server to its contract. Validates openapi.yaml as OpenAPI 3.1
# (openapi-spec-validator), then runs schemathesis against a real `agora dev` (demo data) on a
# throwaway cluster: every operation, once with a secretariat token and once anonymously,
# phases examples, coverage, fuzzing and stateful, `--checks all`. Exits non-zero on any
# failure. make test runs it after `swift test`.
#
#   scripts/check-api.sh [--skip-build] [--document-from-tree] [extra schemathesis options]
# --document-from-tree fuzzes with the openapi.yaml in the tree instead of the one the server
# serves (compiled in), to iterate on the document without rebuilding. AGORA_BINARY names
# the agora binary to run (default: this tree's debug build).
# Bounds (env): AGORA_FUZZ_EXAMPLES (per operation, default 25), AGORA_FUZZ_MAX_TIME
# (seconds per run, default 150), AGORA_FUZZ_SEED (default: random; schemathesis prints it).
set -euo pipefail
cd "$(dirname "$0")/.."

skip_build=false
from_tree=false
while [[ ${1:-} == --skip-build || ${1:-} == --document-from-tree ]]; do
  if [[ $1 == --skip-build ]]; then skip_build=true; else from_tree=true; fi
  shift
done

scripts/install-deps.sh

# schemathesis and the validator, pinned, in a virtual environment under .build/ (not in git).
venv=.build/api-fuzz-venv
requirements=scripts/check-api-requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  echo "check-api: installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

document=Sources/AgoraAPI/Resources/openapi.yaml
echo "check-api: validating $document as OpenAPI 3.1"
"$venv/bin/python" - "$document" <<'PY'
import sys, yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator
with open(sys.argv[1]) as f:
    spec = yaml.safe_load(f)
validate(spec, cls=OpenAPIV31SpecValidator)
print("check-api: the document is valid OpenAPI 3.1")
PY

if [[ -n ${AGORA_BINARY:-} ]]; then
  bin=$AGORA_BINARY
else
  if ! $skip_build; then swift build --product agora; fi
  bin="$(swift build --show-bin-path)/agora"
fi

source scripts/demo-server.sh
# The fuzzer makes thousands of calls from one address, many without a token: with the
# anonymous rate limit on, most would be 429 and prove nothing about the contract. The
# limiter's own answers are tested in Tests/AgoraAPITests/LimitsTests.swift.
export AGORA_RATE_LIMIT_ANONYMOUS=0
demo_server_start "$bin"
base=$demo_base
token=$(sed -n 's/^ *export AGORA_TOKEN=//p' "$demo_log" | head -n 1)
[[ -n $token ]] || { echo "check-api: no demo token in the server's output" >&2; cat "$demo_log" >&2; exit 1; }

examples=${AGORA_FUZZ_EXAMPLES:-25}
max_time=${AGORA_FUZZ_MAX_TIME:-150}
seed=()
if [[ -n ${AGORA_FUZZ_SEED:-} ]]; then seed=(--seed "$AGORA_FUZZ_SEED"); fi

# One worker: generation is Python, bound by the GIL anyway, and CPython 3.11's ast module can
# fail under threads ("AST constructor recursion depth mismatch", fixed in later releases).
run_schemathesis() { # label, extra options...
  local label=$1; shift
  echo "check-api: schemathesis, $label"
  local location=("$base/openapi.yaml")
  if $from_tree; then location=("$document" --url "$base"); fi
  # The configuration says which refusals depend on state the document cannot describe.
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "${location[@]}" \
    --phases examples,coverage,fuzzing,stateful \
    --checks all \
    --max-examples "$examples" \
    --max-time "$max_time" \
    --workers 1 \
    --request-timeout 10 \
    --report junit --report-dir ".build/check-api/$label" \
    "${seed[@]}" "$@"
}

status=0
run_schemathesis secretariat --header "Authorization: Bearer $token" "$@" || status=$?
# A run that locked itself out (revoked or disabled its own token) would have tested little.
if ! curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/accounts/me"; then
  echo "check-api: the secretariat token no longer works after its run: the run locked itself out" >&2
  status=1
fi
run_schemathesis anonymous "$@" || status=$?
if ((status != 0)); then
  echo "check-api: schemathesis found failures (server log: last lines below)" >&2
  tail -n 40 "$demo_log" >&2
fi
exit "$status"
