#!/usr/bin/env bash
# The whole suite three times in a row while busy loops keep every core loaded: the suite must be
# green for the right reasons on a busy machine, not only on a quiet one.
#   npm run test:stress            # 3 runs; STRESS_RUNS=5 for more
# One Docker engine serves all runs: started here when none is up (and stopped at the end),
# otherwise used and left running. The busy loops are this script's children and end with it.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${STRESS_RUNS:-3}"
export PPG_TEST_LOGS="${PPG_TEST_LOGS:-$PWD/.test-logs}"
mkdir -p "$PPG_TEST_LOGS"
busy=()
docker_started=0

cleanup() {
  local pid
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null; done
  wait "${busy[@]}" 2>/dev/null
  if [ "$docker_started" = 1 ]; then bash scripts/docker-env.sh stop >>"$PPG_TEST_LOGS/docker-env.log" 2>&1; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$(node --version)" in v24.*) ;; *) echo "Node 24 is required: run it as 'npm run test:stress' after 'npm ci'" >&2; exit 2 ;; esac

export PPG_DOCKERD_LOG="${PPG_DOCKERD_LOG:-$PPG_TEST_LOGS/dockerd.log}"
unset PPG_DOCKER_STARTED
if env_out=$(bash scripts/docker-env.sh start 2>>"$PPG_TEST_LOGS/docker-env.log"); then
  eval "$env_out"
  [ "${PPG_DOCKER_STARTED:-0}" = 1 ] && docker_started=1
else
  eval "$env_out"
  [ "${PPG_DOCKER_STARTED:-0}" = 1 ] && docker_started=1
  echo "no Docker engine or test image (see $PPG_TEST_LOGS/docker-env.log): the runs will report it" >&2
fi

cores=$(nproc)
for _ in $(seq 1 "$cores"); do
  bash -c 'while :; do :; done' &
  busy+=($!)
done
echo "stress: $cores busy loop(s) running (pids ${busy[*]}); load before the first run: $(cut -d' ' -f1-3 /proc/loadavg)"

results=()
green=0
for i in $(seq 1 "$runs"); do
  echo
  echo "════════ stress run $i/$runs ════════"
  t0=$SECONDS
  PPG_TEST_LOGS="$PPG_TEST_LOGS/stress-$i" bash scripts/test.sh
  rc=$?
  results+=("run $i: $([ "$rc" = 0 ] && echo green || echo "RED (exit $rc)") in $((SECONDS - t0)) s, load $(cut -d' ' -f1 /proc/loadavg)")
  [ "$rc" = 0 ] && green=$((green + 1))
done

echo
echo "════════ stress summary: $green of $runs green under $cores busy loop(s) ════════"
printf '  %s\n' "${results[@]}"
[ "$green" = "$runs" ]
