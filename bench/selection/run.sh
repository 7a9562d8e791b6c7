#!/usr/bin/env bash
# The speaker-selection solver on seeded random instances (release build): a hearing
# (200 nominations, 12 slots, target < 10 ms) and a global conference (5,000 nominations from
# 500 networks in 12 constituencies, 40 slots, every rule on, target < 1 s). Median of N
# instances (default 10): bench/selection/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product selection-bench >&2
"$(swift build -c release --show-bin-path)/selection-bench" "$@"
