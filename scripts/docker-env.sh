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
#   source scripts/docker-env.sh start      # same as the eval form, in the current shell
#
# No registry is reachable on the project's machines, so the image is made from Debian trixie
# with debootstrap (mirror taken from the machine's apt sources) and `docker import`; its root
# file system is cached as a tarball so later runs only re-import it.
#
# Environment:
#   PPG_DOCKER_RUN   runtime dir (socket, pid, exec root)   default /tmp/ppg-docker
#   PPG_CACHE        persistent cache (docker data, rootfs)  default ~/.cache/paddle-perf-gate
#   PPG_TEST_IMAGE   tag of the test image                   default ppg-test/ort:trixie
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
    [ -f "$tarball" ] || build_rootfs "$tarball"
    log "importing $tarball as $image"
    DOCKER_HOST="$host" docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["/usr/bin/python3"]' "$tarball" "$image" >&2
    if ! DOCKER_HOST="$host" docker run --rm --network none "$image" python3 -c 'import numpy, onnxruntime' >/dev/null 2>&1; then
      log "the imported image cannot import numpy + onnxruntime; removing it and the cached rootfs"
      DOCKER_HOST="$host" docker rmi "$image" >/dev/null 2>&1 || true
      rm -f "$tarball"
      return 1
    fi
    log "test image $image ready"
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
    ensure_image
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
    *) log "usage: docker-env.sh start|stop|image"; return 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: run in a subshell (set -e must not leak) and export DOCKER_HOST here.
  _ppg_out=$( (_ppg_main "$@") ) && eval "$_ppg_out"
  unset _ppg_out
else
  _ppg_main "$@"
fi
