#!/usr/bin/env bash
# Python virtual environments for the tests, from PyPI, every package pinned (transitive ones too).
#
#   eval "$(bash scripts/python-env.sh)"            # all of them; prints one `export ...` line
#   eval "$(bash scripts/python-env.sh tools)"      # only the named ones (tools paddle-3.3 ...)
#
# prints (paths $PPG_CACHE/venvs/<name>-<hash of its pins>/bin/python):
#   PPG_MOTO_PYTHON      tools       moto[server] (the S3 tests' server) + numpy
#   PPG_TOOLS_PYTHON     tools       the same interpreter, for anything else a test runs in Python
#   PPG_PADDLE33_PYTHON  paddle-3.3  paddlepaddle 3.3.1 + numpy 2 + Pillow (as in ppg-test/paddle:3.3-cpu)
#   PPG_PADDLE26_PYTHON  paddle-2.6  paddlepaddle 2.6.2 + numpy 1.26 + Pillow (as in ppg-test/paddle:2.6-cpu)
#   PPG_CONVERT_PYTHON   convert     paddlepaddle 3.3.1 + x2paddle + onnx (scripts/paddle-models.sh)
#   PPG_ORACLE_PYTHON    oracle      paddlepaddle 3.3.1 + paddleocr 2.10.0 (installed without its
#                                    declared deps) + what its recognition path imports: opencv
#                                    (headless 4.x), scikit-image, pyclipper, shapely, rapidfuzz, PyYAML
#   PPG_PADDLEOCR_DIR    oracle      the installed paddleocr package directory: put it on sys.path
#                                    to import `ppocr...` and `tools.infer.predict_rec` from it
# Logs go to stderr; stdout is only the export line.
#
# Pins: scripts/requirements/<name>.txt, a `pip freeze` of a resolved environment (exact `==` for
# every package). Installed with --no-deps from that list, so nothing is resolved at install
# time and what is listed is exactly what is there. The wheels are fetched once (binary wheels
# only, for this interpreter) into $PPG_CACHE/wheels and installed offline (--no-index); the same
# wheel directory feeds the Paddle images (scripts/docker-env.sh). pip's own cache is not used:
# the wheel directory is the cache. A venv is made once per set of pins and interpreter (its
# directory is named by their hash), so a warm run starts no pip at all.
#
# The interpreter is Debian's /usr/bin/python3 (3.11 on Debian 12), not pyenv's: it is the
# CPython the Paddle images run (Debian bookworm's python3.11), so a `runner: local` venv and
# the docker images run the same interpreter with the same wheels, and it is on every machine of
# this kind without pyenv. python3-venv is installed with apt when `-m venv` is missing.
#
# Environment:
#   PPG_CACHE        persistent cache (wheels, venvs)          default ~/.cache/paddle-perf-gate
#   PPG_BASE_PYTHON  the interpreter the venvs are made from   default /usr/bin/python3
#   PPG_WHEEL_SEED   a directory of wheels already downloaded  default ~/.cache/ppg-wheels
#                    (looked in before the index; optional)
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${PPG_CACHE:-${HOME:-/root}/.cache/paddle-perf-gate}"
wheels="$cache/wheels"
venvs="$cache/venvs"
base="${PPG_BASE_PYTHON:-/usr/bin/python3}"
seed="${PPG_WHEEL_SEED:-${HOME:-/root}/.cache/ppg-wheels}"
reqs="scripts/requirements"
all=(tools paddle-3.3 paddle-2.6 convert oracle)
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

log() { echo "python-env: $*" >&2; }

ensure_base() {
  if "$base" -c 'import ensurepip, venv' >/dev/null 2>&1; then return 0; fi
  if [ "$base" != /usr/bin/python3 ]; then log "$base cannot make virtual environments (no venv/ensurepip)"; return 1; fi
  log "installing python3-venv (Debian's python3 has no ensurepip)"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >&2
}

# The wheels a requirement file names, into $wheels: offline when they are all there already.
# Also run alone: scripts/docker-env.sh fetches the images' wheels with `python-env.sh fetch NAME`.
fetch_wheels() {
  local py="$1" req="$2" links=(--find-links "$wheels")
  [ -d "$seed" ] && links+=(--find-links "$seed")
  mkdir -p "$wheels"
  if "$py" -m pip download -q --no-cache-dir --disable-pip-version-check --no-index --no-deps --only-binary :all: \
    "${links[@]}" -d "$wheels" -r "$req" >/dev/null 2>&1; then
    return 0
  fi
  log "downloading the wheels of $req into $wheels"
  "$py" -m pip download -q --no-cache-dir --disable-pip-version-check --no-deps --only-binary :all: \
    "${links[@]}" -d "$wheels" -r "$req" >&2
}

# The pins (comment lines left out: editing a comment rebuilds nothing) and the interpreter.
pins_of() { grep -v '^[[:space:]]*#' "$1"; }
stamp_of() { { pins_of "$reqs/$1.txt"; "$base" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1; }

# $venvs/<name>-<stamp>: one directory per set of pins, so checkouts with different pins sharing
# this cache (another branch, a PR) each keep theirs instead of rebuilding each other's.
venv_dir() { echo "$venvs/$1-$(stamp_of "$1" | cut -c1-12)"; }

ensure_venv() {
  local name="$1" req="$reqs/$1.txt" dir stamp t0=$SECONDS
  [ -f "$req" ] || { log "no requirement file $req (known: ${all[*]})"; return 2; }
  stamp=$(stamp_of "$name")
  dir=$(venv_dir "$name")
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.ppg-stamp" 2>/dev/null)" = "$stamp" ]; then
    log "$name: up to date ($dir)"
    return 0
  fi
  # Built aside and moved into place when complete (the stamp is written last): an interrupted
  # build is never used. A venv runs from anywhere through bin/python (pyvenv.cfg sits next to
  # it); only bin/ entry-point scripts name the build path, so use `bin/python -m ...`.
  local build="$dir.build.$$"
  log "$name: building $dir from $req"
  rm -rf "$build" "$dir"
  mkdir -p "$venvs"
  "$base" -m venv "$build" >&2
  fetch_wheels "$build/bin/python" "$req"
  "$build/bin/python" -m pip install -q --no-cache-dir --disable-pip-version-check --no-index --no-deps \
    --find-links "$wheels" -r "$req" >&2
  echo "$stamp" >"$build/.ppg-stamp"
  mv "$build" "$dir"
  # Of this venv's other pin sets, the most recent one stays (a branch switched back and forth).
  local old
  while IFS= read -r old; do
    [ "$old" = "$dir" ] || { log "$name: removing the older $old"; rm -rf "$old"; }
  done < <(ls -dt "$venvs/$name"-[0-9a-f]* 2>/dev/null | grep -E -- "-[0-9a-f]{12}$" | tail -n +3)
  log "$name: ready in $((SECONDS - t0)) s"
}

exports_of() {
  local dir
  dir=$(venv_dir "$1")
  case "$1" in
    tools) printf ' PPG_MOTO_PYTHON=%q PPG_TOOLS_PYTHON=%q' "$dir/bin/python" "$dir/bin/python" ;;
    paddle-3.3) printf ' PPG_PADDLE33_PYTHON=%q' "$dir/bin/python" ;;
    paddle-2.6) printf ' PPG_PADDLE26_PYTHON=%q' "$dir/bin/python" ;;
    convert) printf ' PPG_CONVERT_PYTHON=%q' "$dir/bin/python" ;;
    oracle)
      printf ' PPG_ORACLE_PYTHON=%q PPG_PADDLEOCR_DIR=%q' "$dir/bin/python" \
        "$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/paddleocr" ;;
  esac
}

main() {
  local names=("$@") name line="export"
  [ ${#names[@]} -gt 0 ] || names=("${all[@]}")
  if [ "${names[0]}" = fetch ]; then
    # python-env.sh fetch NAME...: only the wheels (for the images), with the tools venv's pip.
    shift
    ensure_base
    local py="$base"
    "$base" -m pip --version >/dev/null 2>&1 || { ensure_venv tools; py="$(venv_dir tools)/bin/python"; }
    for name in "$@"; do fetch_wheels "$py" "$reqs/$name.txt"; done
    echo "$wheels"
    return 0
  fi
  ensure_base
  mkdir -p "$cache"
  # One builder at a time: the cache is shared by every checkout on the machine.
  exec 9>"$cache/.python-env.lock"
  flock 9
  for name in "${names[@]}"; do
    ensure_venv "$name"
    line+=$(exports_of "$name")
  done
  echo "$line"
}

main "$@"
