#!/usr/bin/env python3
"""paddle-perf-gate harness: load one model, feed the prepared inputs, time each iteration,
sample memory, record raw predictions, write one run-result document (paddle-perf-gate/run@1).

Thin on purpose: statistics, decoding and comparison live in TypeScript. Stdlib + numpy + the
engine (paddle.inference or onnxruntime) only, so it runs unchanged inside any Paddle image.

    python3 bench.py JOB.json        (or PPG_JOB=JOB.json python3 bench.py)

stdout lines starting with PPG-PROGRESS / PPG-WARN / PPG-ERROR are for the runner; everything
else on stdout/stderr is log. Exit codes: 0 ok, 2 bad job file, 3 engine/model/data error.
"""
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

RUN_SCHEMA = "paddle-perf-gate/run@1"
JOB_SCHEMA = "paddle-perf-gate/job@1"


class HarnessError(Exception):
    """An error the user can act on: reported as one PPG-ERROR line and exit code 3."""


def say(kind, message):
    sys.stdout.write("PPG-%s %s\n" % (kind, message.replace("\n", " | ")))
    sys.stdout.flush()


def progress(message):
    say("PROGRESS", message)


# ───────────────────────────── memory ─────────────────────────────


def rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run_quiet(argv, timeout=10):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout, check=True)
        return out.stdout.decode("utf-8", "replace").strip()
    except (OSError, subprocess.SubprocessError):
        return None


class GpuProbe:
    """Device-wide GPU memory through NVML (pynvml) or nvidia-smi; `source` is None when neither works."""

    def __init__(self, device_id):
        self.device_id = device_id
        self.source = None
        self._nvml = None
        self._handle = None
        try:
            import pynvml  # not in Paddle's images; used when present

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(device_id)
            self._nvml = pynvml
            self.source = "nvml"
        except Exception:
            if self._smi_used() is not None:
                self.source = "nvidia-smi"

    def _smi_used(self):
        out = run_quiet(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", str(self.device_id)])
        if not out:
            return None
        try:
            return float(out.splitlines()[0].strip())
        except ValueError:
            return None

    def used_mb(self):
        if self.source == "nvml":
            try:
                return self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used / (1024.0 * 1024.0)
            except Exception:
                return None
        if self.source == "nvidia-smi":
            return self._smi_used()
        return None

    def identity(self):
        """(gpuName, driver) as the container sees them."""
        def text(v):
            return v.decode() if isinstance(v, bytes) else str(v)

        if self.source == "nvml":
            try:
                return (text(self._nvml.nvmlDeviceGetName(self._handle)), text(self._nvml.nvmlSystemGetDriverVersion()))
            except Exception:
                pass
        out = run_quiet(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader", "-i", str(self.device_id)])
        if out:
            parts = [p.strip() for p in out.splitlines()[0].split(",")]
            if len(parts) == 2:
                return parts[0], parts[1]
        return None, None


class GpuSampler(threading.Thread):
    """Samples device memory every `period` s with the timed-iteration index current at that moment."""

    def __init__(self, probe, idle_mb, clock, period=0.2):
        super().__init__(daemon=True)
        self.probe, self.idle_mb, self.clock, self.period = probe, idle_mb, clock, period
        self.iteration, self.mb = [], []
        self._stop = threading.Event()

    def run(self):
        while not self._stop.is_set():
            used = self.probe.used_mb()
            if used is not None:
                self.iteration.append(self.clock["iteration"])
                self.mb.append(round(used - self.idle_mb, 3))
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self.join(timeout=5)


# ───────────────────────────── engines ─────────────────────────────


class OrtEngine:
    name = "onnxruntime"

    def __init__(self, job, notes, threads=None):
        try:
            import onnxruntime as ort
        except Exception as e:
            raise HarnessError("onnxruntime is not importable by %s (%s)" % (sys.executable, e))
        eng = job["engine"]
        self.ort = ort
        self.model = job["model"]
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(threads or eng["threads"])
        if threads is not None:
            # The accuracy pass's all-core session: threads sleep between operators instead of
            # spinning (throughput, not latency; spinning threads starve each other on a busy machine).
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        if not eng.get("irOptim", True):
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.enable_mem_pattern = bool(eng.get("memoryOptim", True))
        available = ort.get_available_providers()
        providers = []
        if eng["device"] == "gpu":
            if eng.get("tensorrt") and "TensorrtExecutionProvider" in available:
                providers.append(("TensorrtExecutionProvider", {
                    "device_id": int(eng["deviceId"]),
                    "trt_fp16_enable": eng["precision"] == "fp16",
                    "trt_int8_enable": eng["precision"] == "int8",
                }))
            elif eng["precision"] != "fp32":
                raise HarnessError("engine onnxruntime runs precision %s only through TensorRT (engine.tensorrt: true and the TensorRT provider)" % eng["precision"])
            if "CUDAExecutionProvider" not in available:
                raise HarnessError("engine.device is gpu but this onnxruntime has no CUDAExecutionProvider (available: %s)" % ", ".join(available))
            providers.append(("CUDAExecutionProvider", {"device_id": int(eng["deviceId"])}))
        elif eng["precision"] != "fp32":
            raise HarnessError("engine onnxruntime on cpu runs fp32 only, not %s" % eng["precision"])
        providers.append("CPUExecutionProvider")
        try:
            self.sess = ort.InferenceSession(job["model"]["entry"], sess_options=so, providers=providers)
        except Exception as e:
            raise HarnessError("onnxruntime cannot load %s: %s" % (job["model"]["entry"], e))
        self.inputs = [i.name for i in self.sess.get_inputs()]
        self.outputs = [o.name for o in self.sess.get_outputs()]
        if len(self.inputs) != 1:
            raise HarnessError("the model has %d inputs (%s); the prepared dataset feeds exactly one" % (len(self.inputs), ", ".join(self.inputs)))
        self.providers = self.sess.get_providers()
        if threads is None:
            notes.append("onnxruntime providers: %s" % ", ".join(self.providers))
        shape = self.sess.get_inputs()[0].shape
        # A batch dimension fixed by the export (an int), else None (dynamic).
        self.fixed_batch = shape[0] if shape and isinstance(shape[0], int) and shape[0] > 0 else None

    def infer(self, batch):
        return self.sess.run(self.outputs, {self.inputs[0]: batch})

    def versions(self):
        v = {"engineVersion": self.ort.__version__, "cuda": None, "cudnn": None, "tensorrt": None, "paddle": None, "paddleCommit": None}
        if "CUDAExecutionProvider" in self.providers:
            try:
                from onnxruntime.capi import build_and_package_info as info

                v["cuda"] = getattr(info, "cuda_version", None) or None
                v["cudnn"] = getattr(info, "cudnn_version", None) or None
            except Exception:
                pass
        return v

    def options(self):
        return {"providers": ",".join(self.providers)}


def paddle_core(paddle):
    """Paddle's pybind module: paddle.base.core (2.6, 3.x), paddle.fluid.core (older 2.x)."""
    import importlib

    for name in ("paddle.base.core", "paddle.fluid.core"):
        try:
            return importlib.import_module(name)
        except Exception:
            continue
    return None


def paddle_major(version):
    """3 for "3.3.1", 2 for "2.6.2"; a develop build ("0.0.0") counts as the newest."""
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        return 99
    return 99 if major == 0 else major


def cpu_bf16_problem(core):
    """Why Paddle would run fp32 under a bf16 request on this CPU, or None when bf16 really runs.

    Config.enable_mkldnn_bfloat16 turns bf16 on only in a oneDNN build on a CPU with avx512_core
    and otherwise just logs and leaves it off (analysis_config.cc EnableMkldnnBfloat16:
    MayIUse(avx512_core)); its result, mkldnn_bfloat16_enabled(), has no Python binding. The same
    condition is what core.supports_bfloat16() reports (pybind.cc SupportsBfloat16), in 2.6 and 3.x."""
    if core is None or not hasattr(core, "supports_bfloat16"):
        return "this Paddle has no paddle.base.core.supports_bfloat16() to ask whether oneDNN bfloat16 runs"
    compiled = getattr(core, "is_compiled_with_onednn", None) or getattr(core, "is_compiled_with_mkldnn", None)
    if compiled is not None and not compiled():
        return "this Paddle is built without oneDNN (is_compiled_with_mkldnn() is False)"
    if not core.supports_bfloat16():
        return "this CPU lacks avx512_core (AVX-512 F, BW, VL and DQ), which Paddle's oneDNN bfloat16 needs (core.supports_bfloat16() is False)"
    return None


class PaddleEngine:
    """Paddle Inference, configured the way Paddle's own tools do it (PaddleOCR tools/infer/utility.py
    create_predictor, PaddleX's static runner): the precision goes where Paddle takes it
    (EnableUseGpu: fp32/fp16/bf16; TensorRT: its own precision_mode, int8 included; CPU bf16/int8:
    oneDNN), TensorRT gets dynamic shapes, and Paddle 3.x PIR programs (inference.json) run on the
    new IR and executor, with TensorRT through paddle.tensorrt.convert.

    Where Paddle would silently do something else than asked (a GPU request in a CPU build runs on
    the CPU; bf16 on a CPU without avx512_core runs fp32; a PIR program crashes Paddle 2.x), the
    harness asks Paddle first and refuses with the reason."""

    name = "paddle"

    def __init__(self, job, notes, shape_batches):
        try:
            import paddle
            import paddle.inference as pi
        except Exception as e:
            raise HarnessError("paddle is not importable by %s (%s)" % (sys.executable, e))
        self.paddle, self.pi = paddle, pi
        self.version = str(paddle.__version__)
        eng = job["engine"]
        self.model = self._program(job["model"], notes)
        self.calls = []
        self.work_dir = os.path.dirname(os.path.abspath(job["output"]))
        # Where Paddle writes what it derives from the model (TensorRT engines and calibration
        # tables, optimised programs): <model dir>/_opt_cache unless told, and the docker runner
        # mounts the model read-only. One directory of the job's own, for every config.
        self.cache_dir = os.path.join(self.work_dir, "paddle_opt_cache")
        os.makedirs(self.cache_dir, exist_ok=True)
        pir = self.model["format"] == "paddle-pir"
        precision_name = eng["precision"]
        P = pi.PrecisionType
        precision = {"fp32": P.Float32, "fp16": P.Half, "bf16": P.Bfloat16, "int8": P.Int8}[precision_name]
        gpu = eng["device"] == "gpu"
        trt = gpu and bool(eng.get("tensorrt"))
        device_id = int(eng.get("deviceId", 0))
        batch = int(eng["batchSize"])
        explicit = eng.get("trtShapes")
        entry, params = self.model["entry"], self.model["params"]

        if gpu:
            self._require_gpu(device_id)
        elif precision_name == "bf16":
            problem = cpu_bf16_problem(paddle_core(paddle))
            if problem:
                raise HarnessError("precision bf16 on CPU cannot run here: %s; Paddle would measure fp32 under the bf16 label (use precision fp32, or a CPU with AVX-512)" % problem)

        if trt and pir:
            # Paddle 3.x: enable_tensorrt_engine is the old-IR route; a PIR program is converted
            # into one with TensorRT engine ops, then loaded like any PIR program.
            entry, params = self._convert_pir(entry, params, precision_name, explicit, shape_batches, batch)
            notes.append("TensorRT: PIR program converted with paddle.tensorrt.convert (%s)" % precision_name)

        config = self._config(entry, params)
        if pir:
            self.call(config, "enable_new_ir", True)
            self.call(config, "enable_new_executor", True)
        if gpu:
            if trt:
                # TensorRT takes the precision (int8 included); EnableUseGpu stays fp32.
                self.call(config, "enable_use_gpu", 100, device_id, P.Float32)
                if not pir:
                    # use_calib_mode=False: int8 times an engine built from the model's own
                    # quantization scales (a QAT/PTQ model), not Paddle's calibration pass, which
                    # collects statistics in the timed runs and builds the engine only at the end.
                    self.call(config, "enable_tensorrt_engine", workspace_size=1 << 30, max_batch_size=batch,
                              min_subgraph_size=3, precision_mode=precision, use_static=False,
                              use_calib_mode=False)
                    self._dynamic_shapes(config, entry, params, explicit, shape_batches, device_id, notes)
            else:
                # fp16/bf16 without TensorRT: Paddle's GPU mixed precision (int8 is refused by gate.yml).
                self.call(config, "enable_use_gpu", 100, device_id, precision)
        else:
            self.call(config, "disable_gpu")
            if eng.get("mkldnn") or precision_name in ("bf16", "int8"):
                self.call(config, "enable_mkldnn")
                if precision_name == "bf16":
                    self.call(config, "enable_mkldnn_bfloat16")
                    fast = getattr(paddle_core(paddle), "supports_bfloat16_fast_performance", lambda: False)()
                    notes.append("bf16 on CPU: oneDNN bfloat16, %s" % ("native (avx512_bf16)" if fast else "emulated on AVX-512 (no avx512_bf16: slower than fp32)"))
                elif precision_name == "int8":
                    self.call(config, "enable_mkldnn_int8")
                    if hasattr(config, "mkldnn_int8_enabled") and not config.mkldnn_int8_enabled():
                        raise HarnessError("precision int8 on CPU: Paddle did not enable oneDNN int8 (built without oneDNN?); the run would be fp32")
                    notes.append("int8 on CPU: oneDNN runs the quantized operators of a quantized (QAT/PTQ) model")
            elif hasattr(config, "disable_mkldnn"):
                # 3.x turns oneDNN on by default; 2.6 builds may lack the switch (then it is off already).
                self.call(config, "disable_mkldnn")
            self.call(config, "set_cpu_math_library_num_threads", int(eng["threads"]))
        self.call(config, "switch_ir_optim", bool(eng.get("irOptim", True)))
        if eng.get("memoryOptim"):
            self.call(config, "enable_memory_optim")
        self.call(config, "disable_glog_info")
        try:
            self.predictor = pi.create_predictor(config)
        except Exception as e:
            raise HarnessError("paddle.inference.create_predictor failed for %s: %s: %s" % (entry, type(e).__name__, e))
        self.inputs = list(self.predictor.get_input_names())
        self.outputs = list(self.predictor.get_output_names())
        if len(self.inputs) != 1:
            raise HarnessError("the model has %d inputs (%s); the prepared dataset feeds exactly one" % (len(self.inputs), ", ".join(self.inputs)))
        self.in_handle = self.predictor.get_input_handle(self.inputs[0])
        self.out_handles = [self.predictor.get_output_handle(n) for n in self.outputs]
        notes.extend(self.calls)

    def _program(self, model, notes):
        """The program this Paddle loads. A directory that holds both inference.json (Paddle 3 PIR)
        and inference.pdmodel (2.x) comes with the .pdmodel as model.alternative: Paddle >= 3 loads
        the .json, an older Paddle the .pdmodel, and a note says which. A PIR program alone on
        Paddle 2.x is refused: 2.6 crashes (SIGSEGV) in create_predictor on a .json."""
        alternative = model.get("alternative")
        pir_capable = paddle_major(self.version) >= 3
        where = os.path.dirname(model["entry"])
        if model["format"] == "paddle-pir" and not pir_capable:
            if alternative:
                notes.append("model: %s holds %s and %s; Paddle %s loads %s (a PIR program needs Paddle 3)" % (
                    where, os.path.basename(model["entry"]), os.path.basename(alternative["entry"]), self.version, os.path.basename(alternative["entry"])))
                return dict(model, **alternative)
            raise HarnessError("%s is a Paddle 3 PIR program (format paddle-pir); Paddle %s cannot load it: run it with Paddle >= 3, or point the model path at a 2.x program (.pdmodel + .pdiparams)" % (model["entry"], self.version))
        if alternative:
            notes.append("model: %s holds %s and %s; Paddle %s loads %s" % (
                where, os.path.basename(model["entry"]), os.path.basename(alternative["entry"]), self.version, os.path.basename(model["entry"])))
        return model

    def _require_gpu(self, device_id):
        """A CPU build of Paddle takes enable_use_gpu, logs "Please use PaddlePaddle with GPU
        version" and runs on the CPU (analysis_config.cc EnableUseGpu): asked here, before anything
        is measured under a GPU label."""
        probe = self.pi.Config()
        try:
            probe.enable_use_gpu(100, device_id)
            on = probe.use_gpu()
        except Exception as e:
            raise HarnessError("engine.device is gpu, but paddle.inference.Config.enable_use_gpu(100, %d) failed: %s: %s" % (device_id, type(e).__name__, e))
        if not on:
            cuda = getattr(self.paddle, "is_compiled_with_cuda", lambda: None)()
            raise HarnessError("engine.device is gpu, but Paddle %s here %s: Config.use_gpu() is False after enable_use_gpu, so Paddle would run on the CPU (use a GPU build of Paddle, e.g. a -gpu- image, or device: cpu)" % (
                self.version, "is a CPU build (paddle.is_compiled_with_cuda() is False)" if cuda is False else "does not enable the GPU"))

    def call(self, obj, method, *args, **kwargs):
        # Record what was applied: the notes show the exact Config a result was measured under.
        shown = [repr(a) for a in args] + ["%s=%r" % kv for kv in kwargs.items()]
        self.calls.append("Config.%s(%s)" % (method, ", ".join(shown)))
        try:
            return getattr(obj, method)(*args, **kwargs)
        except Exception as e:
            raise HarnessError("paddle.inference.Config.%s(%s) failed: %s: %s" % (method, ", ".join(shown), type(e).__name__, e))

    def _config(self, entry, params):
        try:
            config = self.pi.Config(entry, params)
        except Exception as e:
            raise HarnessError("paddle.inference.Config cannot read %s + %s: %s" % (entry, params, e))
        self.call(config, "set_optim_cache_dir", self.cache_dir)
        return config

    def _input_names(self, entry, params, pir):
        """The program's input names, from a throwaway CPU predictor (nothing else names them for a .pdmodel)."""
        probe = self.pi.Config(entry, params)
        probe.disable_gpu()
        if pir:
            probe.enable_new_ir(True)
        probe.switch_ir_optim(False)
        return list(self.pi.create_predictor(probe).get_input_names())

    def _shape_range(self, explicit, shape_batches, batch):
        if explicit:
            return [int(d) for d in explicit["min"]], [int(d) for d in explicit["opt"]], [int(d) for d in explicit["max"]]
        # Every batch fed (dynamic width: the narrowest and the widest too), per axis min and max.
        shapes = [list(b.shape[1:]) for b in shape_batches()]
        lo = [min(sh[i] for sh in shapes) for i in range(len(shapes[0]))]
        hi = [max(sh[i] for sh in shapes) for i in range(len(shapes[0]))]
        return [1] + lo, [batch] + shapes[0], [batch] + hi

    def _dynamic_shapes(self, config, entry, params, explicit, shape_batches, device_id, notes):
        """TensorRT needs the shape range of every subgraph input (PP-OCR rec has a dynamic width):
        explicit min/opt/max from gate.yml for the model input, or, as PaddleOCR does, shape ranges
        collected by running the dataset's batches once, then enable_tuned_tensorrt_dynamic_shape."""
        if explicit:
            name = self._input_names(entry, params, False)[0]
            lo, opt, hi = self._shape_range(explicit, shape_batches, 1)
            self.call(config, "set_trt_dynamic_shape_info", {name: lo}, {name: hi}, {name: opt})
            return
        path = os.path.join(self.work_dir, "trt_shape_range.pbtxt")
        if os.path.exists(path):
            os.remove(path)  # never another run's shapes
        collect = self._config(entry, params)
        self.call(collect, "enable_use_gpu", 100, device_id, self.pi.PrecisionType.Float32)
        self.call(collect, "collect_shape_range_info", path)
        self.call(collect, "disable_glog_info")
        try:
            predictor = self.pi.create_predictor(collect)
            handle = predictor.get_input_handle(predictor.get_input_names()[0])
            for arr in shape_batches():
                handle.reshape(list(arr.shape))
                handle.copy_from_cpu(arr)
                predictor.run()
            del handle, predictor  # Paddle writes the shape file when the predictor goes away
            import gc

            gc.collect()
        except HarnessError:
            raise
        except Exception as e:
            raise HarnessError("collecting TensorRT shape ranges failed: %s: %s" % (type(e).__name__, e))
        if not os.path.exists(path):
            raise HarnessError("collecting TensorRT shape ranges wrote no %s" % path)
        self.call(config, "enable_tuned_tensorrt_dynamic_shape", path, True)
        notes.append("TensorRT dynamic shapes collected from the dataset into %s" % os.path.basename(path))

    def _convert_pir(self, entry, params, precision_name, explicit, shape_batches, batch):
        """paddle.tensorrt.export.convert as Paddle documents it and PaddleX calls it: the model
        PREFIX (dir/inference), TensorRTConfig(inputs=[Input(min/optim/max shapes, name)]) with the
        precision and save_model_dir, the converted program then at save_model_dir + .json/.pdiparams.
        A full path is no use: convert hands it to paddle.static.load_inference_model, which appends
        .json itself (pir_io.py load_inference_model_pir: path_prefix + ".json")."""
        try:
            import paddle.tensorrt.export as trt_export
        except Exception as e:
            raise HarnessError("TensorRT for a PIR model (inference.json) needs paddle.tensorrt (a GPU build of Paddle >= 3.0 with TensorRT): %s" % e)
        name = self._input_names(entry, params, True)[0]
        lo, opt, hi = self._shape_range(explicit, shape_batches, batch)
        modes = {"fp32": "FP32", "fp16": "FP16", "bf16": "BF16", "int8": "INT8"}
        prefix = os.path.splitext(entry)[0]
        if prefix + ".pdiparams" != params:
            raise HarnessError("paddle.tensorrt.convert reads <prefix>.json + <prefix>.pdiparams; %s does not sit beside %s as %s" % (params, entry, os.path.basename(prefix) + ".pdiparams"))
        out_prefix = os.path.join(self.work_dir, "trt", os.path.basename(prefix))
        os.makedirs(os.path.dirname(out_prefix), exist_ok=True)
        try:
            cfg = trt_export.TensorRTConfig(
                inputs=[trt_export.Input(min_input_shape=lo, optim_input_shape=opt, max_input_shape=hi, name=name)],
                precision_mode=getattr(trt_export.PrecisionMode, modes[precision_name]),
                save_model_dir=out_prefix,
                min_subgraph_size=3,
            )
            self.calls.append("paddle.tensorrt.export.convert(%r, min=%r, opt=%r, max=%r, precision=%s, save_model_dir=%r)" % (
                prefix, lo, opt, hi, modes[precision_name], out_prefix))
            trt_export.convert(prefix, cfg)
        except Exception as e:
            raise HarnessError("paddle.tensorrt.export.convert failed for %s: %s: %s" % (prefix, type(e).__name__, e))
        return out_prefix + ".json", out_prefix + ".pdiparams"

    def infer(self, batch):
        # copy_to_cpu synchronises the GPU stream, so timing these three together is honest.
        self.in_handle.reshape(list(batch.shape))
        self.in_handle.copy_from_cpu(batch)
        self.predictor.run()
        return [h.copy_to_cpu() for h in self.out_handles]

    def versions(self):
        p = self.paddle

        def safe(f):
            try:
                v = f()
                return None if v in (None, "", "False", False, "0") else str(v)
            except Exception:
                return None

        trt = safe(lambda: ".".join(str(x) for x in self.pi.get_trt_runtime_version()))
        if trt in ("0.0.0", None):
            trt = safe(lambda: ".".join(str(x) for x in self.pi.get_trt_compile_version()))
            trt = None if trt == "0.0.0" else trt
        return {
            "engineVersion": str(p.__version__),
            "paddle": str(p.__version__),
            "paddleCommit": safe(lambda: p.version.commit),
            "cuda": safe(p.version.cuda),
            "cudnn": safe(p.version.cudnn),
            "tensorrt": trt,
        }

    def options(self):
        return {}



# ───────────────────────────── the prepared dataset, read in chunks ─────────────────────────────


RANDOM_GENERATOR = "fmix32-counter@1"


def random_values(np, encoding, first, count):
    """Seeded random inputs: the counter-based generator of TypeScript's dataset/random.ts, element
    by element the same float32 values (uint32 arithmetic wraps as Math.imul does):
    h = fmix32(fmix32(i + seed * 0x9E3779B9) ^ seed); value = float32(lo + ((h >> 8) * 2**-24) * (hi - lo))."""
    lo, hi = float(encoding["range"][0]), float(encoding["range"][1])
    seed = np.uint32(int(encoding["seed"]) & 0xFFFFFFFF)
    offset = np.uint32((int(encoding["seed"]) * 0x9E3779B9) & 0xFFFFFFFF)

    def fmix32(x):
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(0x85EBCA6B)
        x = x ^ (x >> np.uint32(13))
        x = x * np.uint32(0xC2B2AE35)
        return x ^ (x >> np.uint32(16))

    index = (np.arange(first, first + count, dtype=np.uint64) + np.uint64(offset)) & np.uint64(0xFFFFFFFF)
    with np.errstate(over="ignore"):
        h = fmix32(fmix32(index.astype(np.uint32)) ^ seed)
    u = (h >> np.uint32(8)).astype(np.float64) * 2.0 ** -24
    return (lo + u * (hi - lo)).astype(np.float32)


class Samples:
    """The prepared dataset (see src/dataset/prepared.ts), memory-mapped and read in chunks: a
    float32 inputs.npy, or 8-bit pixels.bin + widths + a lookup table (encoding u8-lut), rebuilt
    here as value = lut[channel][byte] with columns from a sample's width on = pad, the same rule
    as TypeScript's dataset/samples.ts, so both give bit-identical float32 tensors."""

    def __init__(self, np, directory, encoding, shape):
        self.np = np
        self.encoding = encoding
        self.feed_batch = None
        self.feed_widths = None
        if encoding is None:
            path = os.path.join(directory, "inputs.npy")
            try:
                self.inputs = np.load(path, mmap_mode="r")
            except Exception as e:
                raise HarnessError("cannot read the prepared inputs %s: %s" % (path, e))
            if self.inputs.dtype != np.float32 or self.inputs.ndim < 2:
                raise HarnessError("%s: expected float32 [N, ...], got %s %s" % (path, self.inputs.dtype, list(self.inputs.shape)))
            self.n = int(self.inputs.shape[0])
            self.sample_shape = tuple(int(d) for d in self.inputs.shape[1:])
            return
        if encoding.get("kind") == "random":
            if shape is None or len(shape) < 2:
                raise HarnessError("the job's random dataset needs a shape [N, ...], got %r" % (shape,))
            if encoding.get("generator") != RANDOM_GENERATOR:
                raise HarnessError("the job's random dataset uses generator %r, this harness has %s" % (encoding.get("generator"), RANDOM_GENERATOR))
            self.n = int(shape[0])
            self.sample_shape = tuple(int(d) for d in shape[1:])
            return
        if encoding.get("kind") != "u8-lut" or shape is None or len(shape) != 4:
            raise HarnessError("the job's dataset.encoding must be u8-lut with a shape [N, C, H, W], got %r" % (encoding.get("kind"),))
        path = os.path.join(directory, "pixels.bin")
        self.n = int(shape[0])
        self.sample_shape = tuple(int(d) for d in shape[1:])
        c, h, w = self.sample_shape
        self.widths = np.asarray(encoding["widths"], dtype=np.int64)
        # predict_rec.py's dynamic width (dataset/prepared.ts encoding.feed): each sample's batch width.
        feed = encoding.get("feed")
        self.feed_batch = int(feed["batch"]) if feed else None
        self.feed_widths = [int(x) for x in feed["widths"]] if feed else None
        self.offsets = np.concatenate([[0], np.cumsum(self.widths * (c * h))])
        self.lut = np.asarray(encoding["lut"], dtype=np.float32)
        self.channel = np.arange(c)[:, None, None]
        self.pad = np.float32(encoding["pad"])
        try:
            self.pixels = np.memmap(path, dtype=np.uint8, mode="r")
        except Exception as e:
            raise HarnessError("cannot read the prepared pixels %s: %s" % (path, e))
        if len(self.widths) != self.n or self.pixels.shape[0] < int(self.offsets[-1]):
            raise HarnessError("%s: %d bytes for %d widths, expected %d bytes" % (path, self.pixels.shape[0], len(self.widths), int(self.offsets[-1])))

    def read(self, first, count):
        """float32 [count, ...] for samples first .. first + count - 1 (a fresh, contiguous array)."""
        np = self.np
        if self.encoding is None:
            return np.ascontiguousarray(self.inputs[first:first + count])
        if self.encoding["kind"] == "random":
            size = int(np.prod(self.sample_shape))
            values = random_values(np, self.encoding, first * size, count * size)
            return values.reshape((count,) + self.sample_shape)
        c, h, w = self.sample_shape
        out = np.full((count, c, h, w), self.pad, dtype=np.float32)
        for k in range(count):
            i = first + k
            width = int(self.widths[i])
            px = self.pixels[int(self.offsets[i]):int(self.offsets[i + 1])].reshape(c, h, width)
            out[k, :, :, :width] = self.lut[self.channel, px]
        return out

    def take(self, indices):
        np = self.np
        return np.concatenate([self.read(i, 1) for i in indices]) if indices else np.zeros((0,) + self.sample_shape, np.float32)


def spread_indices(count, n):
    """n indices spread evenly over count samples (all of them when count <= n), as dataset/samples.ts."""
    if count <= n:
        return list(range(count))
    return [(i * count) // n for i in range(n)]


CHECK_SAMPLES = 12
TIMING_SAMPLES = 256

# ───────────────────────────── predictions ─────────────────────────────


def round6(v):
    # Same rounding as TypeScript's runners/outputs.ts, so every runner writes identical documents.
    return math.floor(float(v) * 1e6 + 0.5) / 1e6


def predictions_of(task, outputs, count, np):
    """Per-sample raw predictions from the first output of a batch of `count` samples
    (the same rules as runners/outputs.ts)."""
    first = np.asarray(outputs[0])
    result = []
    for j in range(count):
        if task == "ocr-rec":
            if first.ndim != 3:
                raise HarnessError("task ocr-rec needs a [B, T, C] output; the model's first output has shape %s" % (list(first.shape),))
            steps = first[j]
            ids = steps.argmax(axis=1)
            probs = steps[np.arange(steps.shape[0]), ids]
            result.append({"kind": "ctc", "ids": [int(i) for i in ids], "probs": [round6(p) for p in probs]})
        elif task == "classification":
            scores = first[j].reshape(-1)
            k = min(5, scores.shape[0])
            # stable sort so equal scores keep class order in every engine
            top = np.argsort(-scores, kind="stable")[:k]
            result.append({"kind": "topk", "ids": [int(i) for i in top], "scores": [round6(scores[i]) for i in top]})
        else:
            # Digest: sha256 over floor(x * 1e4 + 0.5) as little-endian int64 (float64 maths), first output.
            a = first[j].astype(np.float64).reshape(-1)
            digest = hashlib.sha256(np.floor(a * 1e4 + 0.5).astype("<i8").tobytes()).hexdigest()
            result.append({"kind": "digest", "sha256": digest})
    return result



class Golden:
    """Golden outputs for drift checks, by the rule of TypeScript's runners/golden.ts: a byte budget
    split evenly over samples and float32 outputs (per_sample = max(1, bytes // 4 // (samples * outputs))),
    of a sample's `size` values the `kept = min(size, per_sample)` at floor(j * size / kept), a summary
    [elements, mean, rms, min, max] (9 significant digits), the kept values float32 little-endian,
    raw-deflated, base64."""

    def __init__(self, np, budget, samples, names):
        self.np, self.budget, self.samples, self.names = np, budget, samples, names
        self.ids = []
        self.per_sample = 0
        self.outputs = {}

    def add(self, sample_id, outputs, j):
        np = self.np
        floats = [(n, np.asarray(o)) for n, o in zip(self.names, outputs) if np.asarray(o).dtype == np.float32]
        if not self.per_sample:
            self.per_sample = max(1, self.budget // 4 // (max(1, self.samples) * max(1, len(floats))))
        self.ids.append(sample_id)
        for name, arr in floats:
            e = self.outputs.setdefault(name, {"summary": [], "kept": [], "chunks": []})
            v = arr[j].reshape(-1)
            size = int(v.shape[0])
            if size == 0:
                e["summary"].append([0, 0, 0, 0, 0])
            else:
                d = v.astype(np.float64)
                sig = lambda x: float("%.9g" % x)
                e["summary"].append([size, sig(d.mean()), sig(math.sqrt(float((d * d).mean()))), sig(d.min()), sig(d.max())])
            kept = min(size, self.per_sample)
            e["kept"].append(kept)
            e["chunks"].append(v[(np.arange(kept, dtype=np.int64) * size) // kept].astype("<f4") if kept else np.zeros(0, "<f4"))

    def result(self):
        import base64
        import zlib

        outs = []
        for name, e in self.outputs.items():
            raw = b"".join(c.tobytes() for c in e["chunks"])
            z = zlib.compressobj(9, zlib.DEFLATED, -15)
            values = base64.b64encode(z.compress(raw) + z.flush()).decode("ascii")
            outs.append({"name": name, "summary": e["summary"], "kept": e["kept"], "values": values})
        return {"ids": self.ids, "outputs": outs}


def cgroup_cpus():
    """The container's CPU limit in cores (cgroup v2 cpu.max, else v1 cfs quota), or None."""
    for path, split in (("/sys/fs/cgroup/cpu.max", True), ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", False)):
        try:
            with open(path) as f:
                text = f.read().split()
            if split:
                quota, period = text[0], text[1]
            else:
                quota = text[0]
                with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
                    period = f.read().split()[0]
            if quota in ("max", "-1"):
                return None
            return int(quota) / int(period)
        except (OSError, ValueError, IndexError, ZeroDivisionError):
            continue
    return None


def accuracy_threads(setting):
    """measure.accuracy.threads resolved: auto = the cores this process may use (its CPU affinity,
    capped by the container's CPU limit), as the embedded runner counts them."""
    if setting != "auto":
        return int(setting)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    limit = cgroup_cpus()
    if limit:
        n = min(n, max(1, int(math.ceil(limit))))
    return max(1, n)


def accuracy_pass(job, engine, samples, np, notes, predictions_file, shape_batches=None, golden=None):
    """Predicts every sample once on measure.accuracy's batch and threads (timing keeps the engine's)
    and appends each raw prediction (one JSON line) to predictions_file. Returns (count, batch, threads)."""
    eng, task, n = job["engine"], job["task"], samples.n
    execution = job["measure"].get("accuracy") or {}
    threads = accuracy_threads(execution.get("threads", "auto"))
    # auto: PaddleOCR's rec_batch_num (the embedded runner also tries smaller batches on a CPU).
    wanted = execution.get("batch", "auto")
    wanted = 6 if wanted == "auto" else int(wanted)
    cpu = eng["device"] == "cpu"
    own = cpu and threads != int(eng["threads"])
    acc = engine
    if engine.name == "onnxruntime":
        if own:
            acc = OrtEngine(job, [], threads=threads)
        fixed = acc.fixed_batch
        batch = fixed or min(wanted, n)
    else:
        fixed = None
        if own:
            acc = PaddleEngine(dict(job, engine=dict(eng, threads=threads)), [], shape_batches)
        if eng["device"] == "gpu" and eng.get("tensorrt") and wanted > int(eng["batchSize"]):
            # TensorRT's engine was built for batches up to the configured one (timing's engine: not rebuilt).
            notes.append("accuracy pass: batch %d capped at engine.batch-size %d (TensorRT's shape range)" % (wanted, int(eng["batchSize"])))
            wanted = int(eng["batchSize"])
        batch = min(wanted, n)
    if samples.feed_batch:
        fixed, batch = None, samples.feed_batch
    if not cpu:
        threads = int(eng["threads"])
    where = ("%d thread%s" % (threads, "" if threads == 1 else "s")) if cpu else "the GPU"

    def predict(e, first, count, size, keep=None):
        data = samples.read(first, count)
        out = []
        for s in range(0, count, size):
            part = data[s:s + size]
            if samples.feed_widths:
                # predict_rec.py's batch, at its own width (the columns past a line's width are padding).
                part = np.ascontiguousarray(part[..., :samples.feed_widths[first + s]])
            real = part.shape[0]
            if fixed and real < fixed:
                part = np.concatenate([part] + [part[-1:]] * (fixed - real))
            outputs = e.infer(part)
            out.extend(predictions_of(task, outputs, real, np))
            if keep is not None:
                for j in range(real):
                    keep.add(job["dataset"]["ids"][first + s + j], outputs, j)
        return out

    if samples.feed_batch:
        notes.append("accuracy pass: predict_rec.py's batches of %d, each at its own width, %s" % (batch, where))
    elif batch > 1 and not fixed:
        k = min(CHECK_SAMPLES, n)
        batched, single = predict(acc, 0, k, batch), predict(engine, 0, k, 1)
        differs = next((i for i in range(k) if batched[i] != single[i]), None)
        if differs is not None:
            say("WARN", "batched predictions differ from batch-1 predictions (sample %s): predictions run at batch 1" % differs)
            notes.append("accuracy pass: batch %d changed sample %d's prediction; ran at batch 1" % (batch, differs))
            batch = 1
        else:
            notes.append("accuracy pass: batch %d, %s; the first %d predictions checked equal to batch 1" % (batch, where, k))
    else:
        notes.append("accuracy pass: batch %d%s, %s" % (batch, " (the model fixes it)" if fixed else "", where))

    t0 = last = time.perf_counter()
    chunk = batch * 8
    done = 0
    with open(predictions_file, "w") as f:
        for first in range(0, n, chunk):
            count = min(chunk, n - first)
            for p in predict(acc, first, count, batch, golden):
                f.write(json.dumps(p, separators=(",", ":")))
                f.write("\n")
            done += count
            now = time.perf_counter()
            if now - last >= 10 and done < n:
                last = now
                rate = done / (now - t0)
                progress("predictions %d/%d, %.0f/s, about %d s left" % (done, n, rate, math.ceil((n - done) / rate)))
    progress("predictions for %d samples in %.1f s (batch %d, %s)" % (n, time.perf_counter() - t0, batch, where))
    if acc is not engine:
        del acc
    return done, batch, threads


def write_result(output, doc, ids, predictions_file, golden=None):
    """Writes the run-result document with the predictions copied line by line from
    predictions_file, so they are never all in memory; then renames it into place."""
    tmp = output + ".part"
    with open(tmp, "w") as f:
        f.write(json.dumps(doc)[:-1])
        f.write(', "outputs": {"ids": ')
        f.write(json.dumps(ids))
        f.write(', "predictions": [')
        if predictions_file:
            with open(predictions_file) as src:
                for k, line in enumerate(src):
                    if k:
                        f.write(",")
                    f.write(line.rstrip("\n"))
        f.write("]")
        if golden is not None:
            f.write(', "golden": ')
            f.write(json.dumps(golden, separators=(",", ":")))
        f.write("}}")
    os.replace(tmp, output)
    if predictions_file:
        os.remove(predictions_file)

# ───────────────────────────── environment ─────────────────────────────


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def os_name():
    try:
        with open("/etc/os-release") as f:
            fields = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
        return fields.get("PRETTY_NAME", "").strip('"') or None
    except OSError:
        return platform.platform()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ───────────────────────────── main ─────────────────────────────


def precise_enough(medians, stopping):
    """The adaptive stopping rule of src/measure/stopping.ts stopDecision, given its t table by the
    job (t975[df - 1] = Student t quantile 0.975 with df degrees of freedom): at least minRounds
    rounds, the last 3 round medians within 10 % of each other, and the 95 % interval of the
    centre of the round medians within +- precision of their median."""
    if not stopping:
        return False
    n = len(medians)
    if n < 2 or n < int(stopping["minRounds"]):
        return False
    last = medians[-3:]
    if min(last) <= 0 or max(last) / min(last) > 1.1 + 1e-12:
        return False
    t = stopping["t975"][min(n - 1, len(stopping["t975"])) - 1]
    half = t * statistics.stdev(medians) / math.sqrt(n) / statistics.median(medians)
    return half <= float(stopping["precision"])


def timed_rounds(measure, stopping, infer_next, before=None, clock=time.perf_counter):
    """Rounds of timed iterations, bounded by maxSeconds, stopped early by precise_enough.

    infer_next() prepares the next input and returns the call to time; before(total) runs before
    each timed iteration, outside the timing. clock is injectable so the stopping logic can be
    tested exactly with a scripted clock. Returns (rounds of ms, why it stopped: "precise",
    "max-seconds" or "max-rounds", measured seconds)."""
    rounds = []
    max_s = float(measure["maxSeconds"])
    m0 = clock()
    total = 0
    stop = "max-rounds"
    for r in range(int(measure["rounds"])):
        if r > 0 and clock() - m0 >= max_s:
            stop = "max-seconds"
            break
        lat = []
        r0 = clock()
        while len(lat) < int(measure["minIterationsPerRound"]) or clock() - r0 < float(measure["minRoundSeconds"]):
            if lat and clock() - m0 >= max_s:
                stop = "max-seconds"
                break
            call = infer_next()
            if before:
                before(total)
            s = clock()
            call()
            lat.append((clock() - s) * 1000.0)
            total += 1
        rounds.append(lat)
        progress("round %d/%d: %d iterations, median %.3f ms" % (r + 1, int(measure["rounds"]), len(lat), sorted(lat)[len(lat) // 2]))
        if stop == "max-seconds":
            break
        if precise_enough([statistics.median(x) for x in rounds], stopping):
            stop = "precise"
            break
    return rounds, stop, clock() - m0


def load_job():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PPG_JOB")
    if not path:
        say("ERROR", "usage: bench.py JOB.json (or PPG_JOB)")
        sys.exit(2)
    try:
        with open(path) as f:
            job = json.load(f)
    except (OSError, ValueError) as e:
        say("ERROR", "cannot read the job file %s: %s" % (path, e))
        sys.exit(2)
    if job.get("schema") != JOB_SCHEMA:
        say("ERROR", "%s: schema: expected %s, got %r" % (path, JOB_SCHEMA, job.get("schema")))
        sys.exit(2)
    return job


def main():
    job = load_job()
    launched_at = float(job.get("launchedAt") or time.time())
    notes = []
    # Seconds since launch at each phase: where the startup time goes (container, imports, load, warm-up).
    phases = [("process", time.time() - launched_at)]
    try:
        import numpy as np
    except Exception as e:
        raise HarnessError("numpy is not importable by %s (%s)" % (sys.executable, e))

    eng, measure, model = job["engine"], job["measure"], job["model"]
    samples = Samples(np, job["dataset"]["dir"], job["dataset"].get("encoding"), job["dataset"].get("shape"))
    n = samples.n
    ids = list(job["dataset"].get("ids") or ["#%d" % i for i in range(n)])
    if len(ids) != n or n == 0:
        raise HarnessError("%s holds %d samples but the manifest lists %d ids" % (job["dataset"]["dir"], n, len(ids)))
    batch_size = int(eng["batchSize"])
    # Timing iterates over a representative subset, read once: memory does not grow with the set.
    subset_indices = spread_indices(n, TIMING_SAMPLES)
    subset = samples.take(subset_indices)
    m = int(subset.shape[0])

    probe = GpuProbe(int(eng.get("deviceId", 0))) if eng["device"] == "gpu" else None
    gpu_idle = probe.used_mb() if probe and probe.source else None
    if eng["device"] == "gpu" and gpu_idle is None:
        notes.append("GPU memory not measurable: neither pynvml nor nvidia-smi works here")

    def batch_at(start, count):
        idx = [(start + k) % m for k in range(count)]
        if samples.feed_widths:
            # Dynamic width: each line at its batch's width; a timed batch at the widest of theirs.
            width = max(samples.feed_widths[subset_indices[i]] for i in idx)
            return np.ascontiguousarray(subset[idx][..., :width])
        if idx == list(range(idx[0], idx[0] + count)):
            return np.ascontiguousarray(subset[idx[0]:idx[0] + count])
        return np.ascontiguousarray(subset[idx])

    progress("loading %s with %s on %s" % (os.path.basename(model["entry"]), eng["name"], eng["device"]))
    # The batches the run feeds, for TensorRT's shape ranges: one sample and one full batch.
    # Dynamic width: the narrowest and the widest batch too, so the ranges cover every width fed.
    def shape_batches():
        batches = [batch_at(0, 1), batch_at(0, batch_size)]
        if samples.feed_widths:
            fw = [samples.feed_widths[i] for i in subset_indices]
            batches += [batch_at(fw.index(min(fw)), 1), batch_at(fw.index(max(fw)), batch_size)]
        return batches

    if eng["name"] == "paddle":
        engine = PaddleEngine(job, notes, shape_batches)
    else:
        engine = OrtEngine(job, notes)
    phases.append(("model loaded", time.time() - launched_at))

    # 1. The accuracy pass: every sample once, read in chunks, batched (PaddleOCR's default 6) on
    #    all cores (onnxruntime on CPU: a second session) or the GPU, written to disk as it goes.
    #    Batched predictions equal batch-1 ones where all inputs of a batch have one shape (the
    #    prepared tensors do: fixed width); that is checked on the first samples, and a difference
    #    makes the pass run at batch 1. A timing-only job (A/B confirmation) skips it.
    timing_only = bool(job.get("timingOnly"))
    predictions_file = job["output"] + ".predictions.part"
    predicted = 0
    accuracy_options = {}
    golden = None
    if not timing_only:
        if int(job.get("goldenBytes") or 0) > 0:
            golden = Golden(np, int(job["goldenBytes"]), n, list(engine.outputs))
        predicted, acc_batch, acc_threads = accuracy_pass(job, engine, samples, np, notes, predictions_file, shape_batches, golden)
        accuracy_options = {"accuracyBatch": acc_batch, "accuracyThreads": acc_threads}
        phases.append(("predictions", time.time() - launched_at))

    # 2. Warm-up by count and by seconds, whichever ends later.
    cursor = 0
    warm, t0 = 0, time.perf_counter()
    while warm < int(measure["warmupIterations"]) or time.perf_counter() - t0 < float(measure["warmupSeconds"]):
        engine.infer(batch_at(cursor, batch_size))
        cursor = (cursor + batch_size) % n
        warm += 1
    progress("warm-up %d iterations in %.1f s" % (warm, time.perf_counter() - t0))
    phases.append(("warm-up", time.time() - launched_at))
    notes.append("startup: " + ", ".join("%s +%.2f s" % p for p in phases))

    # 3. Rounds of timed iterations, bounded by maxSeconds.
    clock = {"iteration": 0}
    sampler = None
    if probe and probe.source and gpu_idle is not None:
        sampler = GpuSampler(probe, gpu_idle, clock)
        sampler.start()
    rss_it, rss_mb_list = [], []
    state = {"cursor": cursor, "first_timed_at": None}

    def before(total):
        # Memory is sampled between timed iterations, never inside one.
        if total % 50 == 0:
            v = rss_mb()
            if v is not None:
                rss_it.append(total)
                rss_mb_list.append(round(v, 3))
        if state["first_timed_at"] is None:
            state["first_timed_at"] = time.time()
        clock["iteration"] = total

    def infer_next():
        batch = batch_at(state["cursor"], batch_size)
        state["cursor"] = (state["cursor"] + batch_size) % n
        return lambda: engine.infer(batch)

    rounds, stop, measure_seconds = timed_rounds(measure, job.get("stopping"), infer_next, before)
    total = sum(len(r) for r in rounds)
    clock["iteration"] = total
    first_timed_at = state["first_timed_at"]
    max_s = float(measure["maxSeconds"])
    stopped_early = stop == "max-seconds"
    if stop == "precise":
        notes.append("adaptive stopping: interval within the precision after %d rounds" % len(rounds))
    v = rss_mb()
    if v is not None:
        rss_it.append(total)
        rss_mb_list.append(round(v, 3))
    if sampler:
        sampler.stop()
    if stopped_early:
        notes.append("measurement stopped at maxSeconds=%s after %d rounds" % (max_s, len(rounds)))

    gpu_name, driver = probe.identity() if probe and probe.source else (None, None)
    versions = engine.versions()
    env = {
        "engine": engine.name,
        "engineVersion": versions.get("engineVersion"),
        "device": eng["device"],
        "precision": eng["precision"],
        "threads": str(eng["threads"]),
        "batchSize": str(batch_size),
        "cpuModel": cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "paddle": versions.get("paddle"),
        "paddleCommit": versions.get("paddleCommit"),
        "cuda": versions.get("cuda"),
        "cudnn": versions.get("cudnn"),
        "tensorrt": versions.get("tensorrt"),
        "gpuName": gpu_name,
        "driver": driver,
        "driverMajor": driver.split(".")[0] if driver else None,
        "gpuMemorySource": probe.source if probe else None,
        "os": os_name(),
        # As the embedded runner records it: one sample's shape, e.g. 3x48x320.
        "inputShape": "x".join(str(int(d)) for d in samples.sample_shape),
    }
    options = {
        "threads": int(eng["threads"]), "tensorrt": bool(eng.get("tensorrt")), "mkldnn": bool(eng.get("mkldnn")),
        "irOptim": bool(eng.get("irOptim", True)), "memoryOptim": bool(eng.get("memoryOptim")), "deviceId": int(eng.get("deviceId", 0)),
    }
    options.update(engine.options())
    options.update(accuracy_options)
    # The program the engine loaded (a directory with both Paddle formats: the one this Paddle takes).
    loaded = engine.model
    files = [{"path": f["name"], "sha256": sha256_file(f["path"]), "bytes": os.path.getsize(f["path"])} for f in loaded["files"]]
    doc = {
        "schema": RUN_SCHEMA,
        "model": {"name": model["name"], "format": loaded["format"], "files": files},
        "engine": {"name": engine.name, "version": versions.get("engineVersion") or "unknown", "device": eng["device"],
                   "precision": eng["precision"], "options": options},
        "env": env,
        "timing": {
            "warmupIterations": warm,
            "batchSize": batch_size,
            "rounds": [[round(x, 6) for x in r] for r in rounds],
            "measureSeconds": round(measure_seconds, 6),
            "startupSeconds": round(max(0.0, (first_timed_at or time.time()) - launched_at), 6),
        },
        "memory": {
            "gpuIdleMb": None if gpu_idle is None else round(gpu_idle, 3),
            "gpu": {"iteration": sampler.iteration, "mb": sampler.mb} if sampler else None,
            "rss": {"iteration": rss_it, "mb": rss_mb_list},
        },
        "notes": notes,
    }
    write_result(job["output"], doc, [] if timing_only else ids, predictions_file if predicted else None,
                 golden.result() if golden is not None and predicted else None)
    progress("done: %d rounds, %d timed iterations in %.1f s" % (len(rounds), total, measure_seconds))


if __name__ == "__main__":
    try:
        main()
    except HarnessError as e:
        say("ERROR", str(e))
        sys.exit(3)
    except Exception as e:  # noqa: BLE001 - an engine's own error (CUDA OOM, TensorRT build, a bug): name it
        import traceback

        traceback.print_exc()  # to stderr: the log, and the tail of the runner's error message
        say("ERROR", "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[-1] if str(e).strip() else ""))
        sys.exit(3)
