"""Imports one-node GridSample models with dlc, runs them with dlrun on the
CPU and compares them with onnxruntime for every mode, padding mode and
corner alignment, on grids reaching past the image.

  grid_sample_check.py DLC DLRUN DIR
"""
import itertools
import os
import sys

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

from dlc_run import close, compile_and_run


def main():
    dlc, dlrun, out = sys.argv[1:4]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    grid = rng.uniform(-1.6, 1.6, (2, 4, 6, 2)).astype(np.float32)
    os.makedirs(out, exist_ok=True)
    cases = list(itertools.product(["bilinear", "nearest", "bicubic"],
                                   ["zeros", "border", "reflection"], [0, 1]))
    matched = 0
    for n, (mode, padding, corners) in enumerate(cases):
        d = os.path.join(out, str(n))
        os.makedirs(d, exist_ok=True)
        node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode,
                                padding_mode=padding, align_corners=corners)
        graph = helper.make_graph(
            [node], "grid_sample",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape),
             helper.make_tensor_value_info("grid", TensorProto.FLOAT,
                                           grid.shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        path = os.path.join(d, "model.onnx")
        onnx.save(helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 16)]), path)
        want = onnxruntime.InferenceSession(
            path, providers=["CPUExecutionProvider"]).run(
                None, {"x": x, "grid": grid})[0]
        got, = compile_and_run(dlc, dlrun, path, d, {"x": x, "grid": grid},
                               ["y"])
        ok = close(got, want)
        matched += ok
        print(f"{'ok' if ok else 'MISMATCH'} {mode} {padding} "
              f"align_corners={corners}")
    print(f"{matched} of {len(cases)} grid samplings match onnxruntime")
    return 0 if matched == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
