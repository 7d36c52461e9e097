"""Real Paddle inference models for the tests, in both formats (driven by scripts/paddle-models.sh).

  onnx2code ONNX WORK NAME   (convert venv: Paddle 3.3 + x2paddle)  x2paddle turns the ONNX model
                             into a paddle.nn.Layer (WORK/x2paddle_code.py) and its weights
                             (WORK/weights.npz, plain arrays: no pickle, so numpy 1 and 2 both read
                             them); WORK/meta.json holds the input spec and the probe shapes
  digits WORK DATA           (convert venv) a small paddle.nn CNN trained, seeded, on the 8x8
                             digits scikit-learn ships (its data file is read; sklearn is not
                             imported); writes WORK like onnx2code and the held-out test set DATA/
                             (inputs.npy [N,1,8,8] float32, labels.txt: one class index a line)
  export WORK OUT            (any Paddle venv) paddle.jit.save of WORK's Layer with its weights:
                             Paddle 3.x writes OUT/inference.json + .pdiparams (PIR), Paddle 2.x
                             OUT/inference.pdmodel + .pdiparams (+ .pdiparams.info); then loads
                             OUT with paddle.inference and checks it against the Layer run eagerly
  inference-yml NAME OUT [DICT]  OUT/inference.yml as PaddleOCR 3.x ships beside a PIR model

Why x2paddle and not PaddleOCR's network definitions: the ONNX files are what the project ships
(and what the embedded runner measures), x2paddle maps them op by op (opset 9), so the Paddle
models compute the same graph with the same weights; PaddleOCR's own PPLCNetV3/SVTR definitions
would need a hand-written map from ONNX initializers to parameter names for each architecture.
"""

import importlib.util
import itertools
import json
import os
import re
import shutil
import sys

import numpy as np

# x2paddle's ONNX Reshape with a computed shape becomes paddle.reshape(x, shape=<Tensor>). Paddle
# 3.x (PIR) keeps the known dimensions through it; Paddle 2.x's static graph loses all of them, and
# then LayerNorm / conv2d refuse [-1, -1, -1] at export, and Paddle 2.6's oneDNN passes
# (operator_reshape2_onednn_fuse_pass after fc) fail at run time ("dimensions are invalid"). So for
# 2.x each such reshape is given a static shape list, as PaddleOCR's own exported models have:
# the Layer is run eagerly on two probe inputs (different batch and width), and each output
# dimension is a constant when the probes agree, 0 (copy the input's) when it equals the input's
# in both, or -1 (at most one). A reshape that does not fit that keeps its tensor shape, with the
# probed dimensions set on its output.
MODELS = {
    'ppocrv4-rec': {'probes': [[[1, 3, 48, 320]], [[2, 3, 48, 160]]]},
    'ppocr-cls': {'probes': [[[1, 3, 48, 192]], [[2, 3, 48, 192]]]},
}


def log(msg):
    print(f'paddle_models: {msg}', file=sys.stderr, flush=True)


def onnx2code(onnx_path, work, name):
    import onnx
    import paddle
    from x2paddle.convert import onnx2paddle

    os.makedirs(work, exist_ok=True)
    # disable_feedback: x2paddle otherwise reports each conversion to a web service.
    onnx2paddle(onnx_path, work, disable_feedback=True)
    code_path = os.path.join(work, 'x2paddle_code.py')
    code = open(code_path, encoding='utf-8').read()
    custom = 'from x2paddle.op_mapper.onnx2paddle import onnx_custom_layer as x2paddle_nn\n'
    if custom in code:
        code = code.replace(custom, '')
        if 'x2paddle_nn' in code:
            raise SystemExit(f'{onnx_path}: the converted model uses x2paddle custom layers; the exporters cannot load it without x2paddle')
    open(code_path, 'w', encoding='utf-8').write(code)
    classes = re.findall(r'^class (\w+)\(paddle\.nn\.Layer\)', code, re.M)
    if len(classes) != 1:
        raise SystemExit(f'{code_path}: expected one paddle.nn.Layer class, found {classes}')
    model = onnx.load(onnx_path)
    inits = {i.name for i in model.graph.initializer}
    inputs = [
        {
            'name': i.name,
            'shape': [d.dim_value if d.dim_value > 0 else -1 for d in i.type.tensor_type.shape.dim],
            'dtype': 'float32',
        }
        for i in model.graph.input
        if i.name not in inits
    ]
    params = paddle.load(os.path.join(work, 'model.pdparams'))
    np.savez(os.path.join(work, 'weights.npz'), **{k: np.asarray(v) for k, v in params.items()})
    os.remove(os.path.join(work, 'model.pdparams'))
    # x2paddle's own static export (inference_model/, from paddle.jit.save in this Paddle) is not used.
    shutil.rmtree(os.path.join(work, 'inference_model'), ignore_errors=True)
    meta = {'name': name, 'code': 'x2paddle_code.py', 'class': classes[0], 'inputs': inputs, 'probes': MODELS[name]['probes']}
    json.dump(meta, open(os.path.join(work, 'meta.json'), 'w'), indent=1)
    log(f'{name}: x2paddle code and {len(params)} weights in {work} (input {inputs})')


DIGITS_CODE = '''import paddle


class DigitsNet(paddle.nn.Layer):
    """8x8 grey digits (values 0..1) -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.conv1 = paddle.nn.Conv2D(1, 16, 3, padding=1)
        self.conv2 = paddle.nn.Conv2D(16, 32, 3, padding=1)
        self.pool = paddle.nn.MaxPool2D(2)
        self.fc1 = paddle.nn.Linear(32 * 2 * 2, 64)
        self.fc2 = paddle.nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(paddle.nn.functional.relu(self.conv1(x)))
        x = self.pool(paddle.nn.functional.relu(self.conv2(x)))
        x = paddle.flatten(x, 1)
        return paddle.nn.functional.softmax(self.fc2(paddle.nn.functional.relu(self.fc1(x))), axis=-1)
'''


def digits(work, data):
    import gzip
    import importlib.util as iu

    import paddle

    spec = iu.find_spec('sklearn')
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit('scikit-learn (for its digits data file) is not installed in this venv')
    csv = os.path.join(spec.submodule_search_locations[0], 'datasets', 'data', 'digits.csv.gz')
    table = np.loadtxt(gzip.open(csv, 'rt'), delimiter=',', dtype=np.float32)
    x = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    y = table[:, 64].astype(np.int64)
    order = np.random.RandomState(0).permutation(len(y))
    test, train = order[:360], order[360:]

    os.makedirs(work, exist_ok=True)
    open(os.path.join(work, 'digits_net.py'), 'w').write(DIGITS_CODE)
    # Deterministic: fixed seeds and order; paddle-models.sh runs this with one thread.
    paddle.seed(0)
    rng = np.random.RandomState(1)
    net = _load_layer(work, {'code': 'digits_net.py', 'class': 'DigitsNet'})
    opt = paddle.optimizer.Adam(learning_rate=0.005, parameters=net.parameters())
    net.train()
    for epoch in range(30):
        perm = rng.permutation(train)
        for i in range(0, len(perm), 64):
            b = perm[i : i + 64]
            prob = net(paddle.to_tensor(x[b]))
            loss = paddle.nn.functional.nll_loss(paddle.log(prob + 1e-9), paddle.to_tensor(y[b]))
            loss.backward()
            opt.step()
            opt.clear_grad()
    net.eval()
    with paddle.no_grad():
        pred = net(paddle.to_tensor(x[test])).numpy().argmax(-1)
    np.savez(os.path.join(work, 'weights.npz'), **{k: v.numpy() for k, v in net.state_dict().items()})
    meta = {
        'name': 'digits',
        'code': 'digits_net.py',
        'class': 'DigitsNet',
        'inputs': [{'name': 'x', 'shape': [-1, 1, 8, 8], 'dtype': 'float32'}],
        'probes': [[[1, 1, 8, 8]], [[2, 1, 8, 8]]],
    }
    json.dump(meta, open(os.path.join(work, 'meta.json'), 'w'), indent=1)
    os.makedirs(data, exist_ok=True)
    np.save(os.path.join(data, 'inputs.npy'), np.ascontiguousarray(x[test]))
    with open(os.path.join(data, 'labels.txt'), 'w') as f:
        f.write(''.join(f'{int(c)}\n' for c in y[test]))
    right = int((pred == y[test]).sum())
    log(f'digits: trained on {len(train)} of scikit-learn\'s 8x8 digits; {right} of {len(test)} held-out right ({right / len(test):.1%})')


def _load_layer(work, meta):
    spec = importlib.util.spec_from_file_location('ppg_model_code', os.path.join(work, meta['code']))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, meta['class'])()


def export(work, out):
    import paddle

    meta = json.load(open(os.path.join(work, 'meta.json')))
    paddle.disable_static()
    net = _load_layer(work, meta)
    weights = np.load(os.path.join(work, 'weights.npz'))
    missing, unused = _set_weights(net, {k: weights[k] for k in weights.files})
    if missing:
        raise SystemExit(f'{work}: no weights for {missing}')
    # x2paddle's parameter file also holds copies the Layer never reads (its own export ignores them too).
    if unused:
        log(f'{meta["name"]}: {len(unused)} of {len(weights.files)} stored arrays are not parameters of the Layer (left out)')
    net.eval()
    specs = [paddle.static.InputSpec(shape=i['shape'], dtype=i['dtype'], name=i['name']) for i in meta['inputs']]
    probes = [[np.random.RandomState(s).uniform(-1, 1, shape).astype(np.float32) for shape in probe] for s, probe in enumerate(meta['probes'])]
    with paddle.no_grad():
        eager = [net(*[paddle.to_tensor(a) for a in probe]).numpy() for probe in probes]
    major = int(paddle.__version__.split('.')[0])
    if major >= 3:
        static = paddle.jit.to_static(net, input_spec=specs, full_graph=True)
        paddle.jit.save(static, os.path.join(out, 'inference'))
    else:
        with _static_reshapes(net, probes):
            static = paddle.jit.to_static(net, input_spec=specs)
            paddle.jit.save(static, os.path.join(out, 'inference'))
    files = sorted(os.listdir(out))
    # Loaded back through paddle.inference (oneDNN on and off): the saved model must compute what the Layer does.
    import paddle.inference as pi

    prog = os.path.join(out, 'inference.json' if major >= 3 else 'inference.pdmodel')
    for mkldnn in (True, False):
        config = pi.Config(prog, os.path.join(out, 'inference.pdiparams'))
        config.disable_glog_info()
        config.enable_mkldnn() if mkldnn else config.disable_mkldnn()
        predictor = pi.create_predictor(config)
        for probe, want in zip(probes, eager):
            for name, a in zip(predictor.get_input_names(), probe):
                h = predictor.get_input_handle(name)
                h.reshape(a.shape)
                h.copy_from_cpu(a)
            predictor.run()
            got = predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()
            diff = float(np.abs(got - want).max()) if got.shape == want.shape else float('inf')
            if not diff <= 1e-4:
                raise SystemExit(f'{prog}: paddle.inference (oneDNN {"on" if mkldnn else "off"}) differs from the eager Layer on {want.shape}: max abs {diff}')
    log(f'{meta["name"]}: Paddle {paddle.__version__} wrote {out}: {", ".join(files)}; paddle.inference matches the Layer (oneDNN on and off)')


def _set_weights(net, weights):
    """By structured name (digits) or by parameter name (x2paddle names each parameter as its ONNX initializer)."""
    missing, used = [], set()
    for structured, tensor in net.state_dict().items():
        key = structured if structured in weights else tensor.name if tensor.name in weights else None
        if key is None:
            missing.append(structured)
            continue
        if list(tensor.shape) != list(weights[key].shape):
            raise SystemExit(f'weight {key}: shape {list(weights[key].shape)}, the Layer wants {list(tensor.shape)}')
        tensor.set_value(weights[key].astype(tensor.numpy().dtype))
        used.add(key)
    return missing, sorted(set(weights) - used)


class _static_reshapes:
    """Paddle 2.x export: reshapes to a computed shape get a static shape list (see MODELS)."""

    def __init__(self, net, probes):
        import paddle

        self.paddle = paddle
        self.original = paddle.reshape
        seen = []

        def recording(x, shape, name=None):
            y = self.original(x, shape, name)
            seen.append((list(x.shape), list(y.shape), not isinstance(shape, (list, tuple))))
            return y

        runs = []
        paddle.reshape = recording
        try:
            with paddle.no_grad():
                for probe in probes:
                    seen.clear()
                    net(*[paddle.to_tensor(a) for a in probe])
                    runs.append(list(seen))
        finally:
            paddle.reshape = self.original
        if len({len(r) for r in runs}) != 1:
            raise SystemExit('the model runs a different number of reshapes for different inputs: cannot give them static shapes')
        self.plans = []
        for calls in zip(*runs):
            ins, outs, computed = [c[0] for c in calls], [c[1] for c in calls], calls[0][2]
            target = []
            for k, d in enumerate(outs[0]):
                if all(o[k] == d for o in outs):
                    target.append(d)
                elif all(k < len(i) and o[k] == i[k] for o, i in zip(outs, ins)):
                    target.append(0)
                else:
                    target.append(-1)
            hint = [d if all(o[k] == d for o in outs) else -1 for k, d in enumerate(outs[0])]
            self.plans.append((computed, target if target.count(-1) <= 1 else None, hint))

    def __enter__(self):
        plans = itertools.cycle(self.plans)  # once per trace, however often the export traces
        original = self.original

        def static(x, shape, name=None):
            computed, target, hint = next(plans)
            if not computed:
                return original(x, shape, name)
            if target is not None:
                return original(x, target, name)
            y = original(x, shape, name)
            y.desc.set_shape(hint)
            return y

        self.paddle.reshape = static
        return self

    def __exit__(self, *exc):
        self.paddle.reshape = self.original
        return False


def inference_yml(name, out, dictionary=None):
    """What PaddleOCR 3.x / PaddleX ship beside inference.json: the model's pre- and post-processing."""
    q = lambda v: json.dumps(v, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    if name == 'ppocrv4-rec':
        chars = open(dictionary, encoding='utf-8').read().splitlines()
        lines = [
            'Global:',
            '  model_name: PP-OCRv4_mobile_rec',
            'PreProcess:',
            '  transform_ops:',
            '  - DecodeImage:',
            '      channel_first: false',
            '      img_mode: BGR',
            '  - CTCLabelEncode: null',
            '  - RecResizeImg:',
            '      image_shape: [3, 48, 320]',
            '  - KeepKeys:',
            '      keep_keys: [image, label, length]',
            'PostProcess:',
            '  name: CTCLabelDecode',
            '  character_dict:',
            *[f'  - {q(c)}' for c in chars],
        ]
    elif name == 'ppocr-cls':
        lines = [
            'Global:',
            '  model_name: ch_ppocr_mobile_v2.0_cls',
            'PreProcess:',
            '  transform_ops:',
            '  - DecodeImage:',
            '      channel_first: false',
            '      img_mode: BGR',
            '  - ClsResizeImg:',
            '      image_shape: [3, 48, 192]',
            '  - KeepKeys:',
            '      keep_keys: [image]',
            'PostProcess:',
            '  name: ClsPostProcess',
            "  label_list: ['0', '180']",
        ]
    else:
        return
    open(os.path.join(out, 'inference.yml'), 'w', encoding='utf-8').write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'onnx2code':
        onnx2code(*args)
    elif cmd == 'digits':
        digits(*args)
    elif cmd == 'export':
        export(*args)
    elif cmd == 'inference-yml':
        inference_yml(*args)
    else:
        raise SystemExit(f'usage: paddle_models.py onnx2code ONNX WORK NAME | digits WORK DATA | export WORK OUT | inference-yml NAME OUT [DICT] (got {cmd})')
