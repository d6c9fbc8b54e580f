"""Imports one-node RNN, GRU and LSTM models with dlc, runs them with dlrun
on the CPU and compares every output with onnxruntime's.

  recurrent_check.py DLC DLRUN DIR
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from dlc_run import close, compile_and_run

SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 6
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}

# (label, op, attributes, options): both directions, initial states,
# peepholes, clipping, batch-first layout, GRU's two reset placements, ReLU
# cells and sequences shorter than the input.
CASES = [
    ("lstm bidirectional, states, peepholes", "LSTM",
     {"direction": "bidirectional"}, {"bias", "initial", "peephole"}),
    ("lstm batch-first, clip 0.5", "LSTM", {"layout": 1, "clip": 0.5},
     {"bias"}),
    ("lstm ragged lengths", "LSTM", {}, {"bias", "initial", "lengths"}),
    ("gru reverse", "GRU", {"direction": "reverse"}, {"bias", "initial"}),
    ("gru linear before reset, bidirectional", "GRU",
     {"direction": "bidirectional", "linear_before_reset": 1}, {"bias"}),
    ("gru ragged lengths", "GRU", {"linear_before_reset": 1},
     {"bias", "lengths"}),
    ("rnn relu, bidirectional", "RNN",
     {"direction": "bidirectional", "activations": ["Relu", "Tanh"]},
     {"bias", "initial"}),
    ("rnn batch-first, ragged lengths", "RNN", {"layout": 1},
     {"bias", "lengths"}),
]


def weights_for(op, attributes, options, rng):
    """The initializers in layout 0 (states [dirs, batch, hidden])."""
    dirs = 2 if attributes.get("direction") == "bidirectional" else 1
    g = GATES[op]
    w = {"W": rng.standard_normal((dirs, g * HIDDEN, INPUT)) * 0.5,
         "R": rng.standard_normal((dirs, g * HIDDEN, HIDDEN)) * 0.5}
    if "bias" in options:
        w["B"] = rng.standard_normal((dirs, 2 * g * HIDDEN)) * 0.5
    if "lengths" in options:
        w["sequence_lens"] = np.array([SEQ, 2, 1], np.int32)
    if "initial" in options:
        w["initial_h"] = rng.standard_normal((dirs, BATCH, HIDDEN)) * 0.5
        if op == "LSTM":
            w["initial_c"] = rng.standard_normal((dirs, BATCH, HIDDEN)) * 0.5
    if "peephole" in options:
        w["P"] = rng.standard_normal((dirs, 3 * HIDDEN)) * 0.5
    return w


def model(op, attributes, weights, layout):
    """The node in `layout` (1: batch first, states [batch, dirs, hidden])."""
    attributes = dict(attributes, layout=layout)
    order = ["X", "W", "R", "B", "sequence_lens", "initial_h"]
    if op == "LSTM":
        order += ["initial_c", "P"]
    names = [k if k == "X" or k in weights else "" for k in order]
    while names[-1] == "":
        names.pop()
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outputs, hidden_size=HIDDEN,
                            **attributes)
    inits = []
    for k, v in weights.items():
        if layout == 1 and k.startswith("initial_"):
            v = v.transpose(1, 0, 2)
        inits.append(numpy_helper.from_array(
            v if v.dtype == np.int32 else v.astype(np.float32), k))
    x = [BATCH, SEQ, INPUT] if layout == 1 else [SEQ, BATCH, INPUT]
    graph = helper.make_graph(
        [node], op.lower(),
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, x)],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
         for o in outputs], inits)
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 14)]), outputs


def main():
    dlc, dlrun, out = sys.argv[1:4]
    rng = np.random.default_rng(0)
    matched = 0
    for n, (label, op, attributes, options) in enumerate(CASES):
        d = os.path.join(out, str(n))
        os.makedirs(d, exist_ok=True)
        weights = weights_for(op, attributes, options, rng)
        layout = attributes.pop("layout", 0)
        m, outputs = model(op, attributes, weights, layout)
        path = os.path.join(d, "model.onnx")
        onnx.save(m, path)
        # onnxruntime runs sequence-first only: the oracle is the same layer
        # in layout 0, its input and outputs transposed.
        x = rng.standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
        oracle, _ = model(op, attributes, weights, 0)
        onnx.save(oracle, os.path.join(d, "oracle.onnx"))
        want = onnxruntime.InferenceSession(
            os.path.join(d, "oracle.onnx"),
            providers=["CPUExecutionProvider"]).run(None, {"X": x})
        if layout == 1:
            x = x.transpose(1, 0, 2).copy()
            want = [want[0].transpose(2, 0, 1, 3)] + \
                [w.transpose(1, 0, 2) for w in want[1:]]
        got = compile_and_run(dlc, dlrun, path, d, {"X": x}, outputs)
        ok = all(close(g, w) for g, w in zip(got, want))
        matched += ok
        print(f"{'ok' if ok else 'MISMATCH'} {label}")
    print(f"{matched} of {len(CASES)} recurrent layers match onnxruntime")
    return 0 if matched == len(CASES) else 1


if __name__ == "__main__":
    sys.exit(main())
