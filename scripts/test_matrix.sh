#!/usr/bin/env bash
# Every test tier on both ComfyUI hosts (run by `./dev test` without arguments, after the hosts are installed):
#   lint         ruff (repo config) and tsc --checkJs over web/        once
#   js           node --test tests/js/                                 once
#   unit         pytest tests/unit (pure, no ComfyUI)                  once, on 0.3.75
#   integration  pytest -m "not browser" tests/integration             on 0.3.75 and 0.8.0, concurrently
#   browser      pytest -m browser tests/integration                   0.3.75 classic; 0.8.0 classic and Nodes 2.0
# Prints the wall time of each step, per host and in total. LWB_MATRIX_SERIAL=1 runs the two integration tiers
# one after the other (to compare); LWB_MATRIX_K=EXPR passes `-k EXPR` to every pytest step. Host dirs: LWB_HOST_DIR_0_3_75 / LWB_HOST_DIR_0_8_0 (default <repo>/.comfyhost*).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
declare -A DIR=([0.3.75]=${LWB_HOST_DIR_0_3_75:-$REPO/.comfyhost} [0.8.0]=${LWB_HOST_DIR_0_8_0:-$REPO/.comfyhost-0.8.0})
LOGS=$(mktemp -d)
rc=0
declare -a REPORT=()
matrix_start=$(date +%s)

# step NAME CMD...: run CMD, record its time and status.
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "== $name"
  "$@"; local code=$?
  [ "$code" = 0 ] || rc=1
  REPORT+=("$(printf '%-40s %5ss  %s' "$name" $(( $(date +%s) - t0 )) "$([ "$code" = 0 ] && echo ok || echo "FAILED ($code)")")")
}

# on HOST NODES_2 PYTEST_ARGS...: pytest from tests/ on one host, own temp dir.
on() {
  local host=$1 nodes2=$2; shift 2
  (cd "$REPO/tests" && LWB_HOST=$host LWB_HOST_DIR=${DIR[$host]} LWB_NODES_2=$nodes2 \
    "${DIR[$host]}/venv/bin/python" -m pytest -q --basetemp="$LOGS/tmp-$host-$nodes2-$RANDOM" \
    ${LWB_MATRIX_K:+-k "$LWB_MATRIX_K"} "$@")
}

lint() {
  local code=0
  "${DIR[0.3.75]}/venv/bin/ruff" check "$REPO" || code=1
  (cd "$REPO" && tests/browser/node_modules/.bin/tsc -p tsconfig.json) && echo "tsc: no findings" || code=1
  return $code
}

# Both hosts' integration tiers at once, each into its own log (printed after, one host at a time).
integration_both() {
  local code=0 pids=() t0
  t0=$(date +%s)
  for host in 0.3.75 0.8.0; do
    ( s=$(date +%s); on "$host" 0 -m "not browser" integration > "$LOGS/integration-$host.log" 2>&1; c=$?
      echo "$c $(( $(date +%s) - s ))" > "$LOGS/integration-$host.rc" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for host in 0.3.75 0.8.0; do
    read -r c secs < "$LOGS/integration-$host.rc"
    echo "-- integration on $host (${secs}s, exit $c)"; cat "$LOGS/integration-$host.log"
    REPORT+=("$(printf '%-40s %5ss  %s' "  integration $host (concurrent)" "$secs" "$([ "$c" = 0 ] && echo ok || echo "FAILED ($c)")")")
    [ "$c" = 0 ] || code=1
  done
  return $code
}

step "lint (ruff, tsc)" lint
step "js (node --test)" node --test "$REPO/tests/js/"
step "unit (0.3.75)" on 0.3.75 0 unit
if [ "${LWB_MATRIX_SERIAL:-0}" = 1 ]; then
  step "integration 0.3.75" on 0.3.75 0 -m "not browser" integration
  step "integration 0.8.0" on 0.8.0 0 -m "not browser" integration
else
  step "integration 0.3.75 + 0.8.0" integration_both
fi
step "browser 0.3.75 classic" on 0.3.75 0 -m browser integration
step "browser 0.8.0 classic" on 0.8.0 0 -m browser integration
step "browser 0.8.0 Nodes 2.0" on 0.8.0 1 -m browser integration

echo
echo "== wall time per step ($(uptime))"
printf '%s\n' "${REPORT[@]}"
echo "total: $(( $(date +%s) - matrix_start ))s, exit $rc"
rm -rf "$LOGS"
exit $rc
