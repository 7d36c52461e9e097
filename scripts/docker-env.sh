#!/usr/bin/env bash
# A private Docker engine for the docker-runner tests, plus the locally built test image.
#
#   eval "$(scripts/docker-env.sh start)"   # starts dockerd (installing docker.io if absent),
#                                           # makes sure the test image exists, prints
#                                           # `export DOCKER_HOST=...` and `export PPG_DOCKER_STARTED=1`
#                                           # (0 when an engine was already up there: not ours to
#                                           # stop) on stdout; logs go to stderr
#   scripts/docker-env.sh stop              # stops that dockerd and removes its runtime dir
#                                           # (only call it when PPG_DOCKER_STARTED was 1)
#   scripts/docker-env.sh image             # (re)builds / re-imports the test image only
#   scripts/docker-env.sh paddle [3.3 2.6]  # (re)builds / re-imports the Paddle images only
#   source scripts/docker-env.sh start      # same as the eval form, in the current shell
#
# No registry is reachable on the project's machines, so the image is made from Debian trixie
# with debootstrap (mirror taken from the machine's apt sources) and `docker import`; its root
# file system is cached as a tarball so later runs only re-import it.
#
# `start` also makes the Paddle CPU images ppg-test/paddle:3.3-cpu and ppg-test/paddle:2.6-cpu the
# same way, like the official paddlepaddle/paddle images: a Debian bookworm root file system
# (debootstrap --variant=minbase: python3 3.11.2, pip, libgomp1; cached as bookworm-rootfs-*.tar) into
# which the pins of scripts/requirements/paddle-<v>.txt (paddlepaddle, numpy, Pillow) are installed
# offline (--no-index --no-deps) from the wheels scripts/python-env.sh fetches on the host. Each
# image carries a hash of those pins and packages as the label ppg.requirements: a change rebuilds
# it; a current one is left as it is. After an import the image must run
# `paddle.utils.run_check()` with --network none, or it is removed with its cached tarball.
#
# Environment:
#   PPG_DOCKER_RUN   runtime dir (socket, pid, exec root)   default /tmp/ppg-docker
#   PPG_CACHE        persistent cache (docker data, rootfs)  default ~/.cache/paddle-perf-gate
#   PPG_TEST_IMAGE   tag of the test image                   default ppg-test/ort:trixie
#   PPG_PADDLE_VERSIONS  the Paddle images `start` makes     default "3.3 2.6" ("" for none)
#   PPG_DEBIAN_MIRROR  override the mirror read from /etc/apt/sources.list*
#   PPG_DOCKERD_LOG  the engine's log                        default $PPG_DOCKER_RUN/dockerd.log

_ppg_main() {
  set -euo pipefail
  local cmd="${1:-start}"
  local run_dir="${PPG_DOCKER_RUN:-/tmp/ppg-docker}"
  local cache="${PPG_CACHE:-${HOME:-/root}/.cache/paddle-perf-gate}"
  local image="${PPG_TEST_IMAGE:-ppg-test/ort:trixie}"
  local sock="$run_dir/docker.sock"
  local dockerd_log="${PPG_DOCKERD_LOG:-$run_dir/dockerd.log}"
  local host="unix://$sock"
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

  log() { echo "docker-env: $*" >&2; }

  engine_up() { DOCKER_HOST="$host" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

  install_docker() {
    if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then return 0; fi
    log "installing docker.io (dockerd absent)"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker.io >&2
  }

  install_debootstrap() {
    command -v debootstrap >/dev/null 2>&1 && return 0
    log "installing debootstrap"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq debootstrap >&2
  }

  # The Debian mirror this machine already uses (one-line or deb822 sources), never a fixed host.
  debian_mirror() {
    if [ -n "${PPG_DEBIAN_MIRROR:-}" ]; then echo "$PPG_DEBIAN_MIRROR"; return; fi
    local f uri=""
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      case "$f" in
        *.sources)
          uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f") ;;
        *)
          uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' "$f" | head -n1) ;;
      esac
      if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    log "no Debian mirror found in /etc/apt/sources.list*; set PPG_DEBIAN_MIRROR"
    return 1
  }

  build_rootfs() {
    local tarball="$1" mirror dir rc
    install_debootstrap
    mirror=$(debian_mirror)
    dir=$(mktemp -d /tmp/ppg-rootfs.XXXXXX)
    log "debootstrap trixie (python3-onnxruntime, python3-numpy) from $mirror into $dir (about 90 s)"
    rc=0
    $sudo debootstrap --variant=minbase --include=python3-onnxruntime,python3-numpy trixie "$dir" "$mirror" >&2 || rc=$?
    if [ "$rc" != 0 ]; then
      # debootstrap cannot resolve a virtual dependency (libre2-11-absl*); apt inside finishes it.
      log "debootstrap exited $rc; completing with apt-get install -f"
      $sudo cp /etc/resolv.conf "$dir/etc/resolv.conf"
      $sudo chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -f >&2
      $sudo rm -f "$dir/etc/resolv.conf"
    fi
    # ORT cannot start in a bare chroot (no /proc): check the packages here, the import after `docker import`.
    if [ "$($sudo chroot "$dir" dpkg-query -W -f='${Status}\n' python3-onnxruntime python3-numpy | grep -c '^install ok installed$')" != 2 ]; then
      log "python3-onnxruntime / python3-numpy are not fully installed in the rootfs"; $sudo rm -rf "$dir"; return 1
    fi
    $sudo chroot "$dir" apt-get clean >&2 || true
    mkdir -p "$(dirname "$tarball")"
    $sudo tar -C "$dir" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    $sudo rm -rf "$dir"
  }

  ensure_image() {
    if DOCKER_HOST="$host" docker image inspect "$image" >/dev/null 2>&1; then
      log "test image $image present"
      return 0
    fi
    local tarball="$cache/trixie-ort-rootfs.tar"
    # Explicit returns: start calls this in an `||` list, where set -e does not apply.
    [ -f "$tarball" ] || build_rootfs "$tarball" || return 1
    log "importing $tarball as $image"
    DOCKER_HOST="$host" docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["/usr/bin/python3"]' "$tarball" "$image" >&2 || return 1
    if ! DOCKER_HOST="$host" docker run --rm --network none "$image" python3 -c 'import numpy, onnxruntime' >/dev/null 2>&1; then
      log "the imported image cannot import numpy + onnxruntime; removing it and the cached rootfs"
      DOCKER_HOST="$host" docker rmi "$image" >/dev/null 2>&1 || true
      rm -f "$tarball"
      return 1
    fi
    log "test image $image ready"
  }

  # The bookworm base of the Paddle images: python3 (3.11, as in the harness's target images), pip,
  # and libgomp1 (Paddle's libcommon.so and oneDNN link it; the wheel does not bundle it).
  local bookworm_packages="python3,python3-pip,libgomp1"
  build_bookworm_rootfs() {
    local tarball="$1" mirror dir
    install_debootstrap
    mirror=$(debian_mirror)
    dir=$(mktemp -d /tmp/ppg-rootfs.XXXXXX)
    log "debootstrap bookworm ($bookworm_packages) from $mirror into $dir (about 60 s)"
    if ! $sudo debootstrap --variant=minbase --include="$bookworm_packages" bookworm "$dir" "$mirror" >&2; then
      log "debootstrap bookworm failed"; $sudo rm -rf "$dir"; return 1
    fi
    $sudo chroot "$dir" apt-get clean >&2 || true
    mkdir -p "$(dirname "$tarball")"
    $sudo tar -C "$dir" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    $sudo rm -rf "$dir"
  }

  # The root file system of ppg-test/paddle:<version>-cpu: the bookworm base plus the pinned wheels,
  # installed offline. The wheels are fetched (once, cached) by python-env.sh on the host.
  build_paddle_rootfs() {
    local version="$1" req="$2" tarball="$3" wheels dir base
    base="$cache/bookworm-rootfs-$(echo "$bookworm_packages" | sha256sum | cut -c1-8).tar" # a new package list, a new base
    # Explicit returns throughout: called in an `||` list, where set -e does not apply.
    [ -f "$base" ] || build_bookworm_rootfs "$base" || return 1
    wheels=$(bash "$here/python-env.sh" fetch "paddle-$version") || { log "could not fetch the wheels of $req"; return 1; }
    dir=$(mktemp -d /tmp/ppg-rootfs.XXXXXX)
    log "installing $(grep -c '==' "$req") pinned wheels of $req into the bookworm rootfs ($dir), offline"
    $sudo tar -C "$dir" -xf "$base" || { log "cannot unpack $base"; $sudo rm -rf "$dir"; return 1; }
    # Hard links when the cache and /tmp share a file system (no copy of ~0.5 GB), else a copy.
    $sudo cp -al "$wheels" "$dir/tmp/ppg-wheels" 2>/dev/null || $sudo cp -a "$wheels" "$dir/tmp/ppg-wheels"
    $sudo cp "$req" "$dir/tmp/ppg-requirements.txt"
    if ! $sudo chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root python3 -m pip install -q --no-cache-dir \
      --disable-pip-version-check --break-system-packages --no-index --no-deps --find-links /tmp/ppg-wheels \
      -r /tmp/ppg-requirements.txt >&2; then
      log "pip install into the paddle-$version rootfs failed"; $sudo rm -rf "$dir"; return 1
    fi
    $sudo rm -rf "$dir/tmp/ppg-wheels" "$dir/tmp/ppg-requirements.txt" "$dir/root/.cache"
    $sudo tar -C "$dir" -cf "$tarball.part" . || { $sudo rm -rf "$dir" "$tarball.part"; return 1; }
    mv "$tarball.part" "$tarball"
    $sudo rm -rf "$dir"
  }

  ensure_paddle_image() {
    local version="$1" tag="ppg-test/paddle:$1-cpu" req="$here/requirements/paddle-$1.txt" sha tarball
    [ -f "$req" ] || { log "no requirement file $req for Paddle $version"; return 1; }
    sha=$({ grep -v '^[[:space:]]*#' "$req"; echo "$bookworm_packages"; } | sha256sum | cut -c1-16) # comments left out
    if [ "$(DOCKER_HOST="$host" docker image inspect "$tag" --format '{{index .Config.Labels "ppg.requirements"}}' 2>/dev/null)" = "$sha" ]; then
      log "paddle image $tag present (requirements $sha)"
      return 0
    fi
    tarball="$cache/paddle-$version-cpu-rootfs-$sha.tar"
    [ -f "$tarball" ] || build_paddle_rootfs "$version" "$req" "$tarball" || return 1
    log "importing $tarball as $tag"
    DOCKER_HOST="$host" docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c "LABEL ppg.requirements=$sha" \
      -c 'CMD ["/usr/bin/python3"]' "$tarball" "$tag" >&2 || return 1
    if ! DOCKER_HOST="$host" docker run --rm --network none "$tag" \
      python3 -c 'import numpy, PIL, paddle; paddle.utils.run_check(); print("paddle", paddle.__version__, "numpy", numpy.__version__)' >&2; then
      log "the imported $tag cannot import and run paddle; removing it and its cached rootfs"
      DOCKER_HOST="$host" docker rmi "$tag" >/dev/null 2>&1 || true
      rm -f "$tarball"
      return 1
    fi
    log "paddle image $tag ready"
    # Of the other root file systems of this version (other pins), the most recent one stays.
    # (grep finds no other on a first build: under pipefail that is not a failure of this image.)
    { ls -t "$cache/paddle-$version-cpu-rootfs-"*.tar 2>/dev/null | grep -vxF "$tarball" || true; } | tail -n +2 | while IFS= read -r old; do
      log "removing the older $old"
      rm -f "$old"
    done
    return 0
  }

  ensure_paddle_images() {
    local version rc=0
    for version in "$@"; do
      ensure_paddle_image "$version" || { log "PADDLE IMAGE ppg-test/paddle:$version-cpu COULD NOT BE MADE (see above)"; rc=1; }
    done
    return "$rc"
  }

  start() {
    local started=0
    if engine_up; then
      log "dockerd already running at $host (not started here: leave it running)"
    else
      started=1
      install_docker
      mkdir -p "$run_dir" "$cache/docker-data"
      rm -f "$sock"
      log "starting dockerd (data $cache/docker-data, socket $sock)"
      # No bridge/iptables: containers run with network none, and CI machines may lack netfilter.
      # Not root: the socket's group is ours, so the tests can reach the engine without sudo.
      $sudo setsid dockerd --data-root "$cache/docker-data" --exec-root "$run_dir/exec" \
        --pidfile "$run_dir/dockerd.pid" -H "$host" --storage-driver=overlay2 \
        --iptables=false --ip6tables=false --bridge=none --ip-masq=false \
        ${sudo:+--group "$(id -gn)"} \
        >"$dockerd_log" 2>&1 </dev/null &
      local i
      for i in $(seq 1 60); do
        engine_up && break
        sleep 0.5
      done
      if ! engine_up; then
        log "dockerd did not come up; see $dockerd_log"; tail -n 20 "$dockerd_log" >&2
        stop >&2 || true # nothing half-started is left behind
        return 1
      fi
    fi
    # Printed before the image step: a caller that started the engine must stop it even when the
    # image cannot be made.
    echo "export DOCKER_HOST=$host PPG_DOCKER_STARTED=$started"
    local rc=0
    ensure_image || rc=1
    # shellcheck disable=SC2086 # a space-separated list of versions
    ensure_paddle_images ${PPG_PADDLE_VERSIONS-3.3 2.6} || rc=1
    return "$rc"
  }

  stop() {
    local pidfile="$run_dir/dockerd.pid" pid i
    if [ ! -f "$pidfile" ]; then log "no dockerd pidfile at $pidfile (nothing to stop)"; return 0; fi
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      # Sweep containers the tests may have left (they should not), then stop the engine.
      DOCKER_HOST="$host" docker ps -aq --filter label=paddle-perf-gate=1 2>/dev/null \
        | xargs -r env DOCKER_HOST="$host" docker rm -f >/dev/null 2>&1 || true
      $sudo kill -TERM "$pid"
      for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then log "dockerd $pid still up after 20 s; killing"; $sudo kill -KILL "$pid"; fi
    fi
    # containerd started by dockerd exits with it; its runtime dir (socket, pidfile, exec root,
    # default log) is ours to remove. Data and the test image stay in $cache for the next run.
    $sudo rm -rf "$run_dir"
    log "dockerd stopped"
  }

  case "$cmd" in
    start) start ;;
    stop) stop ;;
    image) engine_up || { log "no engine at $host: run start first"; return 1; }; ensure_image ;;
    paddle)
      engine_up || { log "no engine at $host: run start first"; return 1; }
      shift
      # shellcheck disable=SC2086 # a space-separated list of versions
      if [ $# -gt 0 ]; then ensure_paddle_images "$@"; else ensure_paddle_images ${PPG_PADDLE_VERSIONS-3.3 2.6}; fi ;;
    *) log "usage: docker-env.sh start|stop|image|paddle [VERSION...]"; return 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: run in a subshell (set -e must not leak) and export DOCKER_HOST here.
  _ppg_out=$( (_ppg_main "$@") ) && eval "$_ppg_out"
  unset _ppg_out
else
  _ppg_main "$@"
fi
