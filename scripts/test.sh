#!/usr/bin/env bash
# The whole suite, on a fresh machine of this project's kind: it starts what the real tests need
# (a private dockerd with the locally built test image; the S3 server is started by the S3 tests
# themselves) and stops what it started, whatever happens.
#   static checks: typecheck, lint, format, dist/ is current
#   then vitest over __tests__/ (Node 24 from the `node` dev dependency)
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n━━━ %s ━━━\n' "$*"; }
fail=0

step "node $(node --version)"
case "$(node --version)" in v24.*) ;; *) echo "Node 24 is required (npm scripts use the node dev dependency): run 'npm ci' first" >&2; exit 2 ;; esac

step "typecheck";     npm run -s typecheck || fail=1
step "lint";          npm run -s lint || fail=1
step "format";        npm run -s format:check || fail=1
step "dist is current"; npm run -s check:dist || fail=1

step "S3 server (moto)"
if python3 -c 'import moto.server' 2>/dev/null; then echo "moto $(python3 -c 'import moto; print(moto.__version__)') available"; else
  echo "moto is not importable from python3: the S3 store tests will fail (they need a real S3 server)" >&2; fi

step "docker engine"
docker_started=0
stop_docker() { [ "$docker_started" = 1 ] && bash scripts/docker-env.sh stop || true; }
trap stop_docker EXIT
if env_out=$(bash scripts/docker-env.sh start); then
  eval "$env_out"
  docker_started=1
  echo "DOCKER_HOST=$DOCKER_HOST"
else
  echo "!!! no Docker engine could be started: the docker runner tests will fail in CI (CI=true) and skip loudly elsewhere" >&2
fi

step "tests"
vitest run || fail=1

exit $fail
