#!/usr/bin/env bash
# The whole suite, on a fresh machine of this project's kind: it starts what the real tests need
# (a private dockerd with the locally built test image; the S3 server is started by the S3 tests
# themselves) and stops only what it started, whatever happens: an engine that was already
# running (another run's, a developer's) is used and left running.
#   static checks: typecheck, lint, format, dist/ is current
#   pinned Python venvs (scripts/python-env.sh): moto, Paddle 3.3 and 2.6, the converter, PaddleOCR
#   the real Paddle models (scripts/paddle-models.sh) and, with the engine, the Paddle images
#   then vitest over __tests__/ (Node 24 from the `node` dev dependency)
# Quiet: the terminal gets each step's verdict, vitest's summary and the failures; the engine's
# setup (apt, debootstrap, dockerd) and what tests print go to log files under $PPG_TEST_LOGS
# (default .test-logs/), named when something fails. PPG_TEST_VERBOSE=1 prints everything.
set -uo pipefail
cd "$(dirname "$0")/.."

started_at=$SECONDS
export PPG_TEST_LOGS="${PPG_TEST_LOGS:-$PWD/.test-logs}"
mkdir -p "$PPG_TEST_LOGS"
step() { printf '\n━━━ %s ━━━\n' "$*"; }
fail=0

finish() {
  local rc=$?
  [ "$fail" = 0 ] || rc=1
  stop_docker
  local s=$((SECONDS - started_at))
  printf '\nsuite time: %dm%02ds (%s)\n' $((s / 60)) $((s % 60)) "$([ "$rc" = 0 ] && echo green || echo "RED; logs under $PPG_TEST_LOGS")"
  exit "$rc"
}

step "node $(node --version)"
case "$(node --version)" in v24.*) ;; *) echo "Node 24 is required (npm scripts use the node dev dependency): run 'npm ci' first" >&2; exit 2 ;; esac

docker_started=0
stop_docker() {
  # Only an engine this run started; PPG_DOCKER_STARTED=0 means it was up before and is someone else's.
  if [ "$docker_started" = 1 ]; then
    bash scripts/docker-env.sh stop >>"$PPG_TEST_LOGS/docker-env.log" 2>&1 || echo "could not stop the dockerd this run started; see $PPG_TEST_LOGS/docker-env.log" >&2
    docker_started=0
  fi
}
trap finish EXIT
trap 'exit 130' INT TERM

step "typecheck";       npm run -s typecheck || fail=1
step "lint";            npm run -s lint || fail=1
step "format";          npm run -s format:check >"$PPG_TEST_LOGS/format.log" 2>&1 && echo "ok" || { cat "$PPG_TEST_LOGS/format.log"; fail=1; }
step "dist is current"; npm run -s check:dist || fail=1

step "debian tools"
# qemu-user: the bf16 test runs the real Paddle on an emulated CPU without AVX-512.
if command -v qemu-x86_64 >/dev/null 2>&1; then echo "qemu-x86_64 present"; else
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq qemu-user; } >"$PPG_TEST_LOGS/apt-qemu.log" 2>&1 \
    && echo "installed qemu-user" || { echo "!!! could not install qemu-user (see $PPG_TEST_LOGS/apt-qemu.log): the emulated-CPU bf16 test will skip" >&2; }
fi

step "python environments"
# Pinned venvs from PyPI (scripts/requirements/*.txt): moto for the S3 tests, Paddle 3.3 / 2.6,
# the model converter, PaddleOCR. Cached; a warm run starts no pip.
py_t0=$SECONDS
if py_out=$(bash scripts/python-env.sh 2>"$PPG_TEST_LOGS/python-env.log"); then
  eval "$py_out"
  # `python3` for the tests is the tools venv (numpy for the reference checks, the local runner's
  # scripts): a fresh machine's own python3 has no numpy.
  export PATH="$(dirname "$PPG_TOOLS_PYTHON"):$PATH"
  echo "ok in $((SECONDS - py_t0)) s: moto $("$PPG_MOTO_PYTHON" -c 'import moto; print(moto.__version__)') for the S3 tests; venvs under $(dirname "$(dirname "$(dirname "$PPG_PADDLE33_PYTHON")")")"
else
  echo "!!! the Python environments could not be made: the S3 store and real-Paddle tests will fail" >&2
  echo "    last lines of $PPG_TEST_LOGS/python-env.log:" >&2
  tail -n 8 "$PPG_TEST_LOGS/python-env.log" | sed 's/^/    /' >&2
  fail=1
fi

step "paddle models"
# PP-OCR rec / cls converted from the shipped ONNX, and the digits model trained in Paddle, in
# both formats (scripts/paddle-models.sh); cached: a warm run only checks a stamp.
pm_t0=$SECONDS
if [ -n "${PPG_CONVERT_PYTHON:-}" ] && pm_out=$(bash scripts/paddle-models.sh 2>"$PPG_TEST_LOGS/paddle-models.log"); then
  eval "$pm_out"
  echo "ok in $((SECONDS - pm_t0)) s: $PPG_PADDLE_MODELS"
else
  echo "!!! the Paddle models could not be made: the real-Paddle tests will fail in CI (CI=true) and skip loudly elsewhere" >&2
  [ -f "$PPG_TEST_LOGS/paddle-models.log" ] && tail -n 8 "$PPG_TEST_LOGS/paddle-models.log" | sed 's/^/    /' >&2
  fail=1
fi

step "docker engine"
: >"$PPG_TEST_LOGS/docker-env.log"
export PPG_DOCKERD_LOG="${PPG_DOCKERD_LOG:-$PPG_TEST_LOGS/dockerd.log}"
unset PPG_DOCKER_STARTED # only what docker-env.sh says now counts, never an inherited value
env_out=$(bash scripts/docker-env.sh start 2>>"$PPG_TEST_LOGS/docker-env.log")
env_rc=$?
# The export line comes before the image step, so an engine started here is stopped even when
# the image could not be made.
eval "$env_out"
[ "${PPG_DOCKER_STARTED:-0}" = 1 ] && docker_started=1
if [ "$env_rc" = 0 ]; then
  echo "DOCKER_HOST=$DOCKER_HOST ($([ "$docker_started" = 1 ] && echo "started by this run, stopped after it" || echo "already running: used and left running"))"
  grep -E '^docker-env: (test image|paddle image|importing|debootstrap)' "$PPG_TEST_LOGS/docker-env.log" | tail -n 4
else
  echo "!!! no Docker engine or test images (ORT, Paddle): the docker runner tests will fail in CI (CI=true) and skip loudly elsewhere" >&2
  grep -E 'COULD NOT BE MADE' "$PPG_TEST_LOGS/docker-env.log" | sed 's/^/    /' >&2
  echo "    last lines of $PPG_TEST_LOGS/docker-env.log:" >&2
  tail -n 8 "$PPG_TEST_LOGS/docker-env.log" | sed 's/^/    /' >&2
fi

step "tests"
vitest run || fail=1
