"""Imports one-node Einsum models with dlc, runs them with dlrun on the CPU
and compares each result with numpy.einsum.

  einsum_check.py DLC DLRUN DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

from dlc_run import close, compile_and_run

# (equation, input shapes): transposes, sums, traces and diagonals, inner,
# outer and batched products, attention's shapes, three operands, implicit
# outputs and ellipses that broadcast.
CASES = [
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("bii->bi", [(2, 3, 3)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 8), (2, 3, 5, 8)]),
    ("bhqk,bhkd->bqhd", [(2, 3, 4, 5), (2, 3, 5, 8)]),
    ("bqd,dhe->bhqe", [(2, 4, 6), (6, 3, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("abc,cd->", [(2, 3, 4), (4, 5)]),
    ("ijk,ikj->i", [(3, 4, 5), (3, 5, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk->...ik", [(2, 2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 5)]),
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),
]


def main():
    dlc, dlrun, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    matched = 0
    for n, (equation, shapes) in enumerate(CASES):
        d = os.path.join(out, str(n))
        os.makedirs(d, exist_ok=True)
        names = [f"x{i}" for i in range(len(shapes))]
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        node = helper.make_node("Einsum", names, ["y"], equation=equation)
        graph = helper.make_graph(
            [node], "einsum",
            [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(s))
             for name, s in zip(names, shapes)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.save(model, os.path.join(d, "model.onnx"))
        got, = compile_and_run(dlc, dlrun, os.path.join(d, "model.onnx"), d,
                               dict(zip(names, arrays)), ["y"])
        want = np.einsum(equation, *[a.astype(np.float64) for a in arrays])
        ok = close(got, want)
        matched += ok
        print(f"{'ok' if ok else 'MISMATCH'} {equation} {got.shape}")
    print(f"{matched} of {len(CASES)} equations match numpy")
    return 0 if matched == len(CASES) else 1


if __name__ == "__main__":
    sys.exit(main())
