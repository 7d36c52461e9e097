#!/usr/bin/env bash
# The main job on the embedded default, twice, as a reviewer would see it:
#   1. examples/demo/gate.yml — PP-OCRv4 rec + direction classifier on the shipped Chinese test set;
#      no baseline yet, so the run reports and is promoted as the baseline (exit 0);
#   2. examples/demo/gate-wide.yml — the same models with a wider recognition input, compared
#      with that baseline: a real latency regression, so the gate fails (exit 1).
# Runs the bundled CLI (dist/cli.js), the same code the action runs. No Docker, no S3, no GPU.
set -u
cd "$(dirname "$0")/.."
cli=(node dist/cli.js)
rm -rf .perf-gate/demo-baselines   # the demo starts from "no baseline yet"
t0=$(date +%s)

echo "━━━ 1/2  baseline run: examples/demo/gate.yml --promote ━━━"
"${cli[@]}" run --config examples/demo/gate.yml --promote
first=$?
echo "(exit code $first)"
echo
echo "━━━ 2/2  candidate run: examples/demo/gate-wide.yml (wider input) ━━━"
"${cli[@]}" run --config examples/demo/gate-wide.yml
second=$?
echo "(exit code $second)"
echo
echo "demo took $(( $(date +%s) - t0 )) s; reports under perf-gate-out/demo and perf-gate-out/demo-wide"
if [ "$first" -eq 0 ] && [ "$second" -eq 1 ]; then
  echo "as expected: the baseline run passed (0) and the wider input was caught as a regression (1)"
  exit 0
fi
echo "unexpected exit codes: $first and $second (expected 0 then 1)" >&2
exit 1
