#!/usr/bin/env bash
# How the wall time of examples/matrix/gate.yml (2 models × 3 variants, embedded runner) scales
# from 1 to 3 shards run side by side on this machine, then merged by `aggregate`.
#   0. one untimed run --promote: prepares the datasets (a shared, warm cache afterwards) and
#      records each variant's seconds in the store, so the shards are balanced by durations;
#   1. the whole gate in one process; 2 and 3: that many shards at once, then the aggregate.
# Prints one line per shard count: wall seconds of the shards, of the aggregate, and each shard's.
# Runs the bundled CLI (dist/cli.js). Usage: scripts/shard-scaling.sh [max-shards]
set -eu
cd "$(dirname "$0")/.."
max=${1:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/ppg-shard-scaling-XXXXXX")
trap 'rm -rf "$work"' EXIT
export PPG_CACHE_DIR="$work/cache"
cfg=${PPG_SCALING_CONFIG:-examples/matrix/gate.yml}
cli=(node dist/cli.js)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

"${cli[@]}" run --config "$cfg" --store-dir "$work/store" --out "$work/warm" --promote --quiet >/dev/null 2>"$work/warm.err"
echo "cores: $(nproc) · load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $(seq 1 "$max"); do
  t0=$(now)
  if [ "$n" -eq 1 ]; then
    "${cli[@]}" run --config "$cfg" --store-dir "$work/store" --out "$work/n1" --quiet >/dev/null 2>"$work/n1.err" || [ $? -eq 1 ]
    echo "1 shard (plain run): $(secs "$t0" "$(now)") s"
    continue
  fi
  pids=() ends=()
  for i in $(seq 1 "$n"); do
    ( "${cli[@]}" run --config "$cfg" --store-dir "$work/store" --shard "$i/$n" --out "$work/n$n-s$i" --quiet >/dev/null 2>"$work/n$n-s$i.err"
      echo "$(now)" >"$work/n$n-s$i.end" ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  dirs=()
  for i in $(seq 1 "$n"); do dirs+=("$work/n$n-s$i"); ends+=("$(secs "$t0" "$(cat "$work/n$n-s$i.end")")"); done
  "${cli[@]}" aggregate "${dirs[@]}" --config "$cfg" --store-dir "$work/store" --out "$work/n$n-agg" >/dev/null 2>&1 || [ $? -eq 1 ]
  t2=$(now)
  split=$(for i in $(seq 1 "$n"); do node -e 'const d=require(process.argv[1]); process.stdout.write(d.selected.length+"")' "$work/n$n-s$i/shard.json"; echo -n ' '; done)
  echo "$n shards: $(secs "$t0" "$t1") s side by side (each: ${ends[*]} s; variants per shard: ${split% }) + aggregate $(secs "$t1" "$t2") s"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
