"""Runs Paddle inference models over NPY inputs with paddle.inference, as a user's script would.

  python run_predictor.py JOBS.json

JOBS.json: a list of {prog, params, inputs, out, onednn: bool, batch}; prog is inference.json or
inference.pdmodel. Each job's first output, over all batches, is concatenated along axis 0 and
saved (float32) to `out`. One thread. Prints one JSON line per job: the Paddle version, the
input and output names. The jobs run one after another in this one process (one Paddle start).
"""
import json
import sys

import numpy as np
import paddle
import paddle.inference as pi

for job in json.load(open(sys.argv[1])):
    config = pi.Config(job['prog'], job['params'])
    config.disable_glog_info()
    config.enable_mkldnn() if job['onednn'] else config.disable_mkldnn()
    config.set_cpu_math_library_num_threads(1)
    predictor = pi.create_predictor(config)
    x = np.load(job['inputs'])
    name = predictor.get_input_names()[0]
    results = []
    for first in range(0, len(x), job['batch']):
        chunk = np.ascontiguousarray(x[first : first + job['batch']])
        handle = predictor.get_input_handle(name)
        handle.reshape(list(chunk.shape))
        handle.copy_from_cpu(chunk)
        predictor.run()
        results.append(predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu())
    np.save(job['out'], np.concatenate(results).astype(np.float32))
    print(json.dumps({'paddle': paddle.__version__, 'inputs': predictor.get_input_names(), 'outputs': predictor.get_output_names()}), flush=True)
