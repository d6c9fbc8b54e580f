#!/usr/bin/env python3
"""Every op of the CPU backend against numpy on random inputs: broadcasting,
odd shapes and each dtype the op claims.

usage: ops_test.py DLC DLRUN [KERNEL_SIM]

With KERNEL_SIM (tools/kernel-sim), every plan's CUDA kernels also compile
with NVRTC and run on the CPU against the CPU backend."""

import math
import sys

import numpy as np

from harness import Runner, entry, tensor_type

rng = np.random.default_rng(20261121)


def rand(*shape, dtype=np.float32, low=-2.0, high=2.0):
    if np.issubdtype(dtype, np.integer):
        return rng.integers(int(low), int(high) + 1, size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


def one(runner, name, inputs, op_text, expected, **kw):
    """One op producing %r, checked against `expected`."""
    expected = np.asarray(expected)
    body = f"  %r = {op_text} : {{type}}"
    body = body.replace("{type}", op_type(inputs, expected, op_text))
    runner.run_module(name, entry(inputs, {"r": ("%r", expected)}, body),
                      inputs, {"r": expected}, **kw)


def op_type(inputs, expected, op_text):
    """The op's type signature: unary ops print one type, the rest the
    functional type of operands and result."""
    operands = [tok[1:].rstrip(",") for tok in op_text.split()
                if tok.startswith("%")]
    types = [tensor_type(inputs[o]) for o in operands]
    return f"({', '.join(types)}) -> {tensor_type(expected)}"


def unary_cases(runner):
    erf = np.vectorize(math.erf)
    refs = {
        "neg": lambda x: -x, "abs": np.abs, "exp": np.exp,
        "log": np.log, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
        "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "relu": lambda x: np.maximum(x, 0),
        "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
        "floor": np.floor, "cos": np.cos, "sin": np.sin,
        "tan": np.tan, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
        "asinh": np.arcsinh, "erf": erf, "round": np.round,
        "asin": np.arcsin, "acos": np.arccos, "atanh": np.arctanh,
        "acosh": np.arccosh,
    }
    # Arguments inside each function's domain (and away from tan's poles).
    domains = {"log": (0.1, 3), "sqrt": (0.1, 3), "rsqrt": (0.1, 3),
               "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9),
               "acosh": (1.1, 3), "tan": (-1.2, 1.2)}
    for dtype in (np.float32, np.float64):
        for name, ref in refs.items():
            low, high = domains.get(name, (-3, 3))
            x = rand(3, 5, 7, dtype=dtype, low=low, high=high)
            expected = ref(x.astype(np.float64)).astype(dtype)
            body = f"  %r = dl.{name} %x : {tensor_type(x)}"
            runner.run_module(f"{name}-{x.dtype}",
                              entry({"x": x}, {"r": ("%r", expected)}, body),
                              {"x": x}, {"r": expected})
    # f16 elementwise: each result rounds to half precision.
    for name in ("neg", "abs", "exp", "tanh", "relu", "sigmoid"):
        x = rand(4, 6, dtype=np.float16)
        expected = refs[name](x.astype(np.float64)).astype(np.float16)
        body = f"  %r = dl.{name} %x : {tensor_type(x)}"
        runner.run_module(f"{name}-float16",
                          entry({"x": x}, {"r": ("%r", expected)}, body),
                          {"x": x}, {"r": expected})
    x = rand(4, 6)
    c = math.sqrt(2 / math.pi)
    xd = x.astype(np.float64)
    expected = (0.5 * xd * (1 + np.tanh(c * (xd + 0.044715 * xd**3)))).astype(
        np.float32)
    body = f"  %r = dl.gelu %x approximation = tanh : {tensor_type(x)}"
    runner.run_module("gelu-tanh", entry({"x": x}, {"r": ("%r", expected)},
                                         body), {"x": x}, {"r": expected})
    for dtype in (np.int32, np.int64):
        for name, ref in (("neg", np.negative), ("abs", np.abs),
                          ("relu", lambda v: np.maximum(v, 0))):
            x = rand(9, dtype=dtype, low=-50, high=50)
            body = f"  %r = dl.{name} %x : {tensor_type(x)}"
            runner.run_module(f"{name}-{x.dtype}",
                              entry({"x": x}, {"r": ("%r", ref(x))}, body),
                              {"x": x}, {"r": ref(x)})


def binary_cases(runner):
    refs = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
            "div": np.divide, "pow": np.power, "max": np.maximum,
            "min": np.minimum}
    shapes = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)),
              ((1,), (2, 3)), ((2, 1, 4), (3, 1)), ((), (3,))]
    for name, ref in refs.items():
        for dtype in (np.float32, np.float64):
            for i, (sa, sb) in enumerate(shapes):
                a = rand(*sa, dtype=dtype, low=0.5 if name == "pow" else -2)
                b = rand(*sb, dtype=dtype, low=0.5, high=2) if name in (
                    "div", "pow") else rand(*sb, dtype=dtype)
                expected = ref(a.astype(np.float64),
                               b.astype(np.float64)).astype(dtype)
                one(runner, f"{name}-{np.dtype(dtype)}-{i}", {"a": a, "b": b},
                    f"dl.{name} %a, %b", expected)
    for name in ("add", "mul", "max"):
        a, b = rand(3, 4, dtype=np.float16), rand(4, dtype=np.float16)
        expected = refs[name](a.astype(np.float64), b).astype(np.float16)
        one(runner, f"{name}-float16", {"a": a, "b": b}, f"dl.{name} %a, %b",
            expected)
    for name in ("add", "sub", "mul", "div", "max", "min"):
        for dtype in (np.int32, np.int64):
            a = rand(4, 5, dtype=dtype, low=-100, high=100)
            b = rand(5, dtype=dtype, low=1, high=9)
            if name == "div":
                expected = np.trunc(a / b).astype(dtype)  # C division
            else:
                expected = refs[name](a, b).astype(dtype)
            one(runner, f"{name}-{np.dtype(dtype)}", {"a": a, "b": b},
                f"dl.{name} %a, %b", expected)


def compare_select_cast_cases(runner):
    a = rand(4, 5, dtype=np.int32, low=-3, high=3)
    b = rand(5, dtype=np.int32, low=-3, high=3)
    for direction, ref in (("eq", np.equal), ("ne", np.not_equal),
                           ("lt", np.less), ("le", np.less_equal),
                           ("gt", np.greater), ("ge", np.greater_equal)):
        one(runner, f"compare-{direction}", {"a": a, "b": b},
            f"dl.compare {direction}, %a, %b", ref(a, b))
    c = rand(3, 4) > 0
    x, y = rand(3, 4), rand(4)
    one(runner, "select", {"c": c, "x": x, "y": y}, "dl.select %c, %x, %y",
        np.where(c, x, y))
    casts = [(rand(6, low=-9, high=9), np.int32, lambda v: np.trunc(v)),
             (rand(6, dtype=np.int64, low=-9, high=9), np.float32, None),
             (rand(6), np.bool_, lambda v: v != 0),
             (rand(6) > 0, np.float32, None),
             (rand(6), np.float16, None),
             (rand(6).astype(np.float16), np.float32, None),
             (rand(6), np.float64, None)]
    for i, (x, target, fix) in enumerate(casts):
        expected = (fix(x) if fix else x).astype(target)
        body = (f"  %r = dl.cast %x : {tensor_type(x)} to "
                f"{tensor_type(expected)}")
        runner.run_module(f"cast-{i}", entry({"x": x}, {"r": ("%r", expected)},
                                             body), {"x": x}, {"r": expected})


def matmul_cases(runner):
    cases = [((5, 7), (7, 3), False, False), ((7, 5), (7, 3), True, False),
             ((5, 7), (3, 7), False, True), ((7, 5), (3, 7), True, True),
             ((2, 4, 6), (6, 3), False, False), ((2, 4, 6), (2, 6, 3), False, False),
             ((2, 3, 4, 5), (2, 3, 6, 5), False, True),
             ((4, 1, 3, 5), (4, 2, 5, 6), False, False), ((1, 0), (0, 3), False, False)]
    for dtype in (np.float32, np.float64):
        for i, (sa, sb, ta, tb) in enumerate(cases):
            a, b = rand(*sa, dtype=dtype), rand(*sb, dtype=dtype)
            ea = np.swapaxes(a, -1, -2) if ta else a
            eb = np.swapaxes(b, -1, -2) if tb else b
            expected = np.matmul(ea.astype(np.float64), eb).astype(dtype)
            attrs = []
            if ta:
                attrs.append("transpose_lhs")
            if tb:
                attrs.append("transpose_rhs")
            attr = " {" + ", ".join(attrs) + "}" if attrs else ""
            one(runner, f"matmul-{np.dtype(dtype)}-{i}", {"a": a, "b": b},
                f"dl.matmul %a, %b{attr}", expected)
        # The weight gradient with the bias gradient (column sums of the
        # right operand) from one GEMM.
        for ta in (False, True):
            a = rand(*((9, 5) if ta else (5, 9)), dtype=dtype)
            b = rand(9, 4, dtype=dtype)
            product = ((a.T if ta else a).astype(np.float64) @ b).astype(dtype)
            sums = b.astype(np.float64).sum(axis=0).astype(dtype)
            inputs = {"a": a, "b": b}
            attr = " {transpose_lhs}" if ta else ""
            body = (f"  %w, %s = dl.matmul_bias_grad %a, %b{attr} : "
                    f"({tensor_type(a)}, {tensor_type(b)}) -> "
                    f"({tensor_type(product)}, {tensor_type(sums)})")
            runner.run_module(
                f"matmul_bias_grad-{np.dtype(dtype)}-{int(ta)}",
                entry(inputs, {"w": ("%w", product), "s": ("%s", sums)}, body),
                inputs, {"w": product, "s": sums})
        # The GEMM epilogues: bias, bias and ReLU, bias and a residual.
        a, b = rand(6, 5, dtype=dtype), rand(4, 5, dtype=dtype)
        bias, s = rand(4, dtype=dtype), rand(6, 4, dtype=dtype)
        product = a.astype(np.float64) @ b.T.astype(np.float64) + bias
        inputs = {"a": a, "b": b, "c": bias}
        one(runner, f"matmul_bias-{np.dtype(dtype)}", inputs,
            "dl.matmul_bias %a, %b, %c {transpose_rhs}", product.astype(dtype))
        one(runner, f"matmul_bias_relu-{np.dtype(dtype)}", inputs,
            "dl.matmul_bias %a, %b, %c {relu, transpose_rhs}",
            np.maximum(product, 0).astype(dtype))
        # GELU's tanh form from the rounded sum, as the elementwise kernel.
        rounded = product.astype(dtype).astype(np.float64)
        gelu = 0.5 * rounded * (1 + np.tanh(np.sqrt(2 / np.pi) *
                                            (rounded + 0.044715 * rounded ** 3)))
        one(runner, f"matmul_bias_gelu_tanh-{np.dtype(dtype)}", inputs,
            "dl.matmul_bias %a, %b, %c {gelu_tanh, transpose_rhs}",
            gelu.astype(dtype))
        one(runner, f"matmul_bias_addend-{np.dtype(dtype)}", {**inputs, "s": s},
            "dl.matmul_bias %a, %b, %c addend %s {transpose_rhs}",
            (s + product.astype(dtype)).astype(dtype))


def conv2d_reference(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[2]),
                    (padding[1], padding[3])))
    ho = (h + padding[0] + padding[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + padding[1] + padding[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * dilation[0]:i * dilation[0] + stride[0] * (ho - 1) + 1:stride[0],
                           j * dilation[1]:j * dilation[1] + stride[1] * (wo - 1) + 1:stride[1]]
                y[:, g * og:(g + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv_cases(runner):
    cases = [dict(x=(2, 3, 7, 6), w=(4, 3, 3, 3), stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1, bias=True),
             dict(x=(1, 4, 9, 9), w=(6, 2, 3, 2), stride=(2, 3), padding=(0, 1, 2, 0), dilation=(1, 1), groups=2, bias=False),
             dict(x=(2, 2, 8, 8), w=(2, 2, 3, 3), stride=(1, 1), padding=(2, 2, 2, 2), dilation=(2, 2), groups=1, bias=True),
             dict(x=(1, 3, 5, 5), w=(3, 1, 2, 2), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=3, bias=True),
             # Deep channels, few pixels: too few tiles to fill a GPU, so
             # the CUDA kernel splits the sum over channels between blocks
             # (9 ways; 2 ways per group in the grouped case).
             dict(x=(1, 64, 4, 4), w=(8, 64, 3, 3), stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1, bias=True),
             dict(x=(2, 32, 3, 3), w=(8, 16, 3, 3), stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=2, bias=True),
             # No input channels: an empty sum, the bias alone.
             dict(x=(1, 0, 4, 4), w=(2, 0, 3, 3), stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1, bias=True)]
    for dtype in (np.float32, np.float64):
        for i, c in enumerate(cases):
            x, w = rand(*c["x"], dtype=dtype), rand(*c["w"], dtype=dtype)
            b = rand(c["w"][0], dtype=dtype) if c["bias"] else None
            expected = conv2d_reference(x.astype(np.float64), w, b, c["stride"],
                                        c["padding"], c["dilation"],
                                        c["groups"]).astype(dtype)
            inputs = {"x": x, "w": w}
            operands = "%x, %w"
            if b is not None:
                inputs["b"] = b
                operands += ", %b"
            text = (f"dl.conv2d {operands} stride = {list(c['stride'])} "
                    f"padding = {list(c['padding'])} dilation = "
                    f"{list(c['dilation'])} groups = {c['groups']}")
            one(runner, f"conv2d-{np.dtype(dtype)}-{i}", inputs, text, expected)
            # The same through im2col and a GEMM (dlc --conv=gemm), where
            # it applies (one group).
            if c["groups"] == 1:
                one(runner, f"conv2d_gemm-{np.dtype(dtype)}-{i}", inputs, text,
                    expected, dlc_flags=["--conv=gemm"])
    # im2col and col2im against numpy, col2im as im2col's adjoint.
    x = rand(2, 3, 5, 6)
    kh, kw, (sh, sw), (pt, pl, pb, pr), (dh, dw) = 2, 3, (2, 1), (1, 0, 1, 2), (1, 2)
    ho = (5 + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (6 + pl + pr - dw * (kw - 1) - 1) // sw + 1
    padded = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    cols = np.zeros((2 * ho * wo, 3 * kh * kw), np.float32)
    for b in range(2):
        for oy in range(ho):
            for ox in range(wo):
                window = padded[b, :, oy * sh:oy * sh + dh * (kh - 1) + 1:dh,
                                ox * sw:ox * sw + dw * (kw - 1) + 1:dw]
                cols[(b * ho + oy) * wo + ox] = window.reshape(-1)
    attrs = (f"kernel = [{kh}, {kw}] stride = [{sh}, {sw}] padding = "
             f"[{pt}, {pl}, {pb}, {pr}] dilation = [{dh}, {dw}]")
    body = f"  %r = dl.im2col %x {attrs} : {tensor_type(x)} -> {tensor_type(cols)}"
    runner.run_module("im2col", entry({"x": x}, {"r": ("%r", cols)}, body),
                      {"x": x}, {"r": cols})
    c = rand(*cols.shape)
    image = np.zeros((2, 3, 5 + pt + pb, 6 + pl + pr))
    for b in range(2):
        for oy in range(ho):
            for ox in range(wo):
                image[b, :, oy * sh:oy * sh + dh * (kh - 1) + 1:dh,
                      ox * sw:ox * sw + dw * (kw - 1) + 1:dw] += \
                    c[(b * ho + oy) * wo + ox].reshape(3, kh, kw)
    image = image[:, :, pt:pt + 5, pl:pl + 6].astype(np.float32)
    body = f"  %r = dl.col2im %c {attrs} : {tensor_type(c)} -> {tensor_type(image)}"
    runner.run_module("col2im", entry({"c": c}, {"r": ("%r", image)}, body),
                      {"c": c}, {"r": image})


def pool_reference(x, kind, kernel, stride, padding, ceil, count_pad, out_hw):
    n, c, h, w = x.shape
    ho, wo = out_hw
    y = np.zeros((n, c, ho, wo))
    for oy in range(ho):
        for ox in range(wo):
            y0, x0 = oy * stride[0] - padding[0], ox * stride[1] - padding[1]
            y1 = min(y0 + kernel[0], h + padding[2])
            x1 = min(x0 + kernel[1], w + padding[3])
            size = (y1 - y0) * (x1 - x0)
            y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, h), min(x1, w)
            window = x[:, :, y0:y1, x0:x1]
            if kind == "max":
                y[:, :, oy, ox] = window.max(axis=(2, 3))
            else:
                count = size if count_pad else (y1 - y0) * (x1 - x0)
                y[:, :, oy, ox] = window.sum(axis=(2, 3)) / count
    return y


def pool_out(size, k, s, before, after, ceil):
    span = size + before + after - k
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + before:
        out -= 1
    return out


def pool_cases(runner):
    cases = [((2, 3, 8, 8), (2, 2), None, (0, 0, 0, 0), False, False),
             ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1, 1, 1), False, False),
             ((1, 2, 7, 7), (3, 2), (2, 2), (0, 0, 0, 0), True, False),
             ((1, 1, 6, 5), (3, 3), (2, 2), (1, 1, 1, 1), True, True)]
    for kind in ("max", "avg"):
        for i, (shape, kernel, stride, padding, ceil, count_pad) in enumerate(cases):
            x = rand(*shape)
            s = stride or kernel
            ho = pool_out(shape[2], kernel[0], s[0], padding[0], padding[2], ceil)
            wo = pool_out(shape[3], kernel[1], s[1], padding[1], padding[3], ceil)
            expected = pool_reference(x.astype(np.float64), kind, kernel, s,
                                      padding, ceil, count_pad,
                                      (ho, wo)).astype(np.float32)
            attrs = f" kernel = {list(kernel)}"
            if stride:
                attrs += f" stride = {list(stride)}"
            attrs += f" padding = {list(padding)}"
            extra = []
            if ceil:
                extra.append("ceil_mode")
            if count_pad and kind == "avg":
                extra.append("count_include_pad")
            attr_dict = " {" + ", ".join(extra) + "}" if extra else ""
            body = (f"  %r = dl.{kind}_pool2d %x{attrs}{attr_dict} : "
                    f"{tensor_type(x)} -> {tensor_type(expected)}")
            runner.run_module(f"{kind}_pool2d-{i}",
                              entry({"x": x}, {"r": ("%r", expected)}, body),
                              {"x": x}, {"r": expected})


def reduction_cases(runner):
    x = rand(3, 4, 5)
    for name, ref in (("reduce_sum", np.sum), ("reduce_mean", np.mean),
                      ("reduce_max", np.max), ("reduce_prod", np.prod)):
        for axes in ([0], [2], [0, 2], [0, 1, 2]):
            for keep in (False, True):
                expected = ref(x.astype(np.float64), axis=tuple(axes),
                               keepdims=keep).astype(np.float32)
                body = (f"  %r = dl.{name} %x axes = {axes}"
                        f"{' keepdims' if keep else ''} : {tensor_type(x)} -> "
                        f"{tensor_type(expected)}")
                runner.run_module(f"{name}-{axes}-{keep}",
                                  entry({"x": x}, {"r": ("%r", expected)}, body),
                                  {"x": x}, {"r": expected})
    xi = rand(4, 6, dtype=np.int64, low=-99, high=99)
    expected = xi.sum(axis=1)
    body = f"  %r = dl.reduce_sum %x axes = [1] : {tensor_type(xi)} -> {tensor_type(expected)}"
    runner.run_module("reduce_sum-i64", entry({"x": xi}, {"r": ("%r", expected)}, body),
                      {"x": xi}, {"r": expected})
    # Integer products wrap, as numpy's do; over a 0-sized axis they are 1.
    for dtype in (np.int32, np.int64):
        xi = rand(4, 30, dtype=dtype, low=-99, high=99)
        expected = np.prod(xi, axis=1, dtype=dtype)
        body = (f"  %r = dl.reduce_prod %x axes = [1] : {tensor_type(xi)} -> "
                f"{tensor_type(expected)}")
        runner.run_module(f"reduce_prod-{np.dtype(dtype)}",
                          entry({"x": xi}, {"r": ("%r", expected)}, body),
                          {"x": xi}, {"r": expected})
    x0 = rand(3, 0, 2)
    expected = np.prod(x0, axis=1)
    body = (f"  %r = dl.reduce_prod %x axes = [1] : {tensor_type(x0)} -> "
            f"{tensor_type(expected)}")
    runner.run_module("reduce_prod-empty", entry({"x": x0}, {"r": ("%r", expected)}, body),
                      {"x": x0}, {"r": expected})
    for axis in (0, 1, 2):
        expected = np.argmax(x, axis=axis).astype(np.int64)
        body = (f"  %r = dl.argmax %x axis = {axis} : {tensor_type(x)} -> "
                f"{tensor_type(expected)}")
        runner.run_module(f"argmax-{axis}", entry({"x": x}, {"r": ("%r", expected)},
                                                 body), {"x": x}, {"r": expected})
    for dtype in (np.float32, np.float64):
        x = rand(3, 4, 5, dtype=dtype, low=-30, high=30)
        for axis in (0, 2):
            xd = x.astype(np.float64)
            shifted = xd - xd.max(axis=axis, keepdims=True)
            log_sum = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
            for name, expected in (("softmax", np.exp(shifted - log_sum)),
                                   ("log_softmax", shifted - log_sum)):
                expected = expected.astype(dtype)
                body = f"  %r = dl.{name} %x axis = {axis} : {tensor_type(x)}"
                runner.run_module(f"{name}-{np.dtype(dtype)}-{axis}",
                                  entry({"x": x}, {"r": ("%r", expected)}, body),
                                  {"x": x}, {"r": expected})


def softmax_prologue_cases(runner):
    """A softmax whose input an elementwise prologue computes in its kernel
    (dl-fuse-softmax-prologue): a square, masked, along an inner axis (a
    thread per row) and the last (a block per row), both forms."""
    for dtype in (np.float32, np.float64):
        x = rand(3, 4, 40, dtype=dtype, low=-3, high=3)
        m = rand(40) > 0.3
        a = np.where(m, x * x, x).astype(np.float64)
        for axis in (1, 2):
            shifted = a - a.max(axis=axis, keepdims=True)
            log_sum = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
            for name, expected in (("softmax", np.exp(shifted - log_sum)),
                                   ("log_softmax", shifted - log_sum)):
                expected = expected.astype(dtype)
                t = tensor_type(x)
                body = (f"  %a = dl.mul %x, %x : ({t}, {t}) -> {t}\n"
                        f"  %b = dl.select %m, %a, %x : ({tensor_type(m)}, {t}, {t}) -> {t}\n"
                        f"  %r = dl.{name} %b axis = {axis} : {t}")
                inputs = {"x": x, "m": m}
                runner.run_module(f"{name}-prologue-{np.dtype(dtype)}-{axis}",
                                  entry(inputs, {"r": ("%r", expected)}, body),
                                  inputs, {"r": expected})


def attention_cases(runner):
    """q @ k^T, a softmax over the keys and the product with v, which
    dl-fuse-attention makes one kernel (dl.fused_attention): plain, with
    the scores scaled and masked in its body, and with the heads' merge (a
    transpose after) stored by the kernel, and with the probabilities
    read elsewhere too (masked; the kernel writes them); small heads, heads of
    more than 32 keys, 32 columns and 16 query rows (the kernel's loops
    over lanes and row blocks), and heads too long for shared memory (the
    kernel that sweeps the keys in tiles, the last one partial: online
    softmax, or two sweeps when it writes the probabilities)."""
    shapes = [((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6)),
              ((1, 2, 20, 40), (1, 2, 45, 40), (1, 2, 45, 36)),
              ((1, 2, 20, 40), (1, 2, 300, 40), (1, 2, 300, 36))]
    for dtype in (np.float32, np.float64):
        for i, (sq, sk, sv) in enumerate(shapes):
            q, k, v = (rand(*shape, dtype=dtype) for shape in (sq, sk, sv))
            scale = np.array(0.3, dtype=dtype)
            low = np.array(-1e9, dtype=dtype)
            mask = rand(sq[-2], sk[-2]) > 0.3
            mask[:, 0] = True  # every row keeps a key
            scores = np.matmul(q.astype(np.float64), np.swapaxes(k, -1, -2))
            tq, tk, tv = tensor_type(q), tensor_type(k), tensor_type(v)
            ts = tensor_type(scores.astype(dtype))
            product = (f"  %s = dl.matmul %q, %k {{transpose_rhs}} : ({tq}, {tk}) -> {ts}\n")
            weighted = (f"  %r = dl.matmul %p, %v : ({ts}, {tv}) -> "
                        f"{tensor_type(np.zeros(sq[:-1] + sv[-1:], dtype))}")
            for form in ("plain", "masked", "merged", "probabilities"):
                a = scores
                body = product
                inputs = {"q": q, "k": k, "v": v}
                if form in ("masked", "probabilities"):
                    a = np.where(mask, scores * 0.3, -1e9)
                    body += (f"  %a = dl.mul %s, %c : ({ts}, {tensor_type(scale)}) -> {ts}\n"
                             f"  %b = dl.select %m, %a, %l : ({tensor_type(mask)}, {ts}, "
                             f"{tensor_type(low)}) -> {ts}\n"
                             f"  %p = dl.softmax %b axis = 3 : {ts}\n")
                    inputs.update(c=scale, m=mask, l=low)
                else:
                    body += f"  %p = dl.softmax %s axis = 3 : {ts}\n"
                e = np.exp(a - a.max(axis=-1, keepdims=True))
                expected = np.matmul(e / e.sum(axis=-1, keepdims=True), v)
                expected = expected.astype(dtype)
                tail = weighted
                if form == "merged":
                    # Heads and rows swapped after: the kernel's stores.
                    merged = np.ascontiguousarray(expected.transpose(0, 2, 1, 3))
                    tail = (weighted.replace("%r =", "%o =") + "\n"
                            f"  %r = dl.transpose %o permutation = [0, 2, 1, 3] : "
                            f"{tensor_type(expected)} -> {tensor_type(merged)}")
                    expected = merged
                outputs = {"r": ("%r", expected)}
                if form == "probabilities":
                    outputs["p"] = ("%p", (e / e.sum(axis=-1, keepdims=True))
                                    .astype(dtype))
                runner.run_module(f"attention-{form}-{np.dtype(dtype)}-{i}",
                                  entry(inputs, outputs, body + tail), inputs,
                                  {name: value for name, (_, value)
                                   in outputs.items()},
                                  kernel="attention")


def attention_grad_cases(runner):
    """Attention's backward pass as the gradient rules write it (the
    products by v and by the probabilities, the softmax's gradient, the
    mask's and scale's gradient after it, the products by k and q), which
    dl-fuse-attention-grad makes one kernel (dl.fused_attention_grad):
    plain, masked and scaled, with the heads merged (the gradient read
    through a copy splitting its heads, the gradients written through
    copies merging theirs), and packed (those joined as one projection's
    rows); queries and keys differing in number, values in width, and heads
    of more than 32 keys and columns."""
    shapes = {"plain": ((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6)),
              "masked": ((1, 2, 20, 40), (1, 2, 45, 40), (1, 2, 45, 36)),
              "merged": ((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6)),
              "packed": ((2, 2, 40, 8), (2, 2, 40, 8), (2, 2, 40, 8))}
    swap = "permutation = [0, 2, 1, 3]"
    for dtype in (np.float32, np.float64):
        for form, (sq, sk, sv) in shapes.items():
            q, k, v = (rand(*shape, dtype=dtype) for shape in (sq, sk, sv))
            g = rand(*sq[:-1], sv[-1], dtype=dtype)
            scale = np.array(0.3, dtype=dtype)
            low, zero = np.array(-1e9, dtype=dtype), np.array(0, dtype=dtype)
            mask = rand(sq[-2], sk[-2]) > 0.3
            mask[:, 0] = True  # every row keeps a key
            q64, k64, v64, g64 = (x.astype(np.float64) for x in (q, k, v, g))
            a = np.matmul(q64, np.swapaxes(k64, -1, -2))
            if form == "masked":
                a = np.where(mask, a * 0.3, -1e9)
            e = np.exp(a - a.max(axis=-1, keepdims=True))
            p = e / e.sum(axis=-1, keepdims=True)
            dp = np.matmul(g64, np.swapaxes(v64, -1, -2))
            ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
            if form == "masked":
                ds = np.where(mask, ds, 0) * 0.3
            grads = [np.matmul(ds, k64), np.matmul(np.swapaxes(ds, -1, -2), q64),
                     np.matmul(np.swapaxes(p, -1, -2), g64)]

            ty = {x: tensor_type(y) for x, y in
                  (("q", q), ("k", k), ("v", v), ("g", g),
                   ("s", a.astype(dtype)), ("c", scale), ("m", mask))}
            ts, tq, tk, tv, tg = ty["s"], ty["q"], ty["k"], ty["v"], ty["g"]
            inputs = {"q": q, "k": k, "v": v}
            body = f"  %s = dl.matmul %q, %k {{transpose_rhs}} : ({tq}, {tk}) -> {ts}\n"
            if form == "masked":
                inputs.update(c=scale, m=mask, l=low, z=zero)
                tc, tm = ty["c"], ty["m"]
                body += (f"  %a = dl.mul %s, %c : ({ts}, {tc}) -> {ts}\n"
                         f"  %b = dl.select %m, %a, %l : ({tm}, {ts}, {tc}) -> {ts}\n"
                         f"  %p = dl.softmax %b axis = 3 : {ts}\n")
            else:
                body += f"  %p = dl.softmax %s axis = 3 : {ts}\n"
            body += f"  %o = dl.matmul %p, %v : ({ts}, {tv}) -> {tg}\n"
            # The gradient arrives with its heads merged and is split.
            merged = form in ("merged", "packed")
            if merged:
                gm = np.ascontiguousarray(g.transpose(0, 2, 1, 3))
                inputs["gm"] = gm
                body += (f"  %g = dl.transpose %gm {swap} : "
                         f"{tensor_type(gm)} -> {tg}\n")
            else:
                inputs["g"] = g
            body += (f"  %dp = dl.matmul %g, %v {{transpose_rhs}} : ({tg}, {tv}) -> {ts}\n"
                     f"  %dv = dl.matmul %p, %g {{transpose_lhs}} : ({ts}, {tg}) -> {tv}\n"
                     f"  %dx = dl.softmax_grad %p, %dp axis = 3 : {ts}\n")
            if form == "masked":
                body += (f"  %d0 = dl.select %m, %dx, %z : ({tm}, {ts}, {tc}) -> {ts}\n"
                         f"  %ds = dl.mul %d0, %c : ({ts}, {tc}) -> {ts}\n")
            elif form == "merged":
                inputs["c"] = scale
                body += f"  %ds = dl.mul %dx, %c : ({ts}, {ty['c']}) -> {ts}\n"
                grads = [0.3 * grads[0], 0.3 * grads[1], grads[2]]
            else:
                body = body.replace("%dx =", "%ds =")
            body += (f"  %dq = dl.matmul %ds, %k : ({ts}, {tk}) -> {tq}\n"
                     f"  %dk = dl.matmul %ds, %q {{transpose_lhs}} : ({ts}, {tq}) -> {tk}\n")
            outputs = {"o": ("%o", np.matmul(p, v64).astype(dtype))}
            names = ("dq", "dk", "dv")
            if merged:
                grads = [np.ascontiguousarray(x.transpose(0, 2, 1, 3))
                         for x in grads]
                for name, x in zip(names, grads):
                    t0 = tq if name == "dq" else tk if name == "dk" else tv
                    body += (f"  %m{name} = dl.transpose %{name} {swap} : "
                             f"{t0} -> {tensor_type(x.astype(dtype))}\n")
            if form == "packed":
                rows = [x.reshape(*x.shape[:2], -1) for x in grads]
                joined = np.concatenate(rows, axis=-1).astype(dtype)
                tr = tensor_type(rows[0].astype(dtype))
                for name, x in zip(names, grads):
                    body += (f"  %r{name} = dl.reshape %m{name} : "
                             f"{tensor_type(x.astype(dtype))} to {tr}\n")
                body += (f"  %qkv = dl.concat %rdq, %rdk, %rdv axis = 2 : "
                         f"({tr}, {tr}, {tr}) -> {tensor_type(joined)}\n")
                outputs["qkv"] = ("%qkv", joined)
            else:
                prefix = "%m" if merged else "%"
                for name, x in zip(names, grads):
                    outputs[name] = (prefix + name, x.astype(dtype))
            expected = {name: x for name, (_, x) in outputs.items()}
            runner.run_module(f"attention_grad-{form}-{np.dtype(dtype)}",
                              entry(inputs, outputs, body), inputs, expected,
                              kernel="attention_grad")


def softmax_grad_cases(runner):
    """dl.softmax_grad for softmax and log-softmax results, along an inner
    and the last axis."""
    for dtype in (np.float32, np.float64):
        for axis in (1, 2):
            x = rand(3, 4, 40, dtype=np.float64, low=-5, high=5)
            shifted = x - x.max(axis=axis, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
            dy = rand(3, 4, 40, dtype=dtype)
            g = dy.astype(np.float64)
            for log in (False, True):
                y = (log_p if log else np.exp(log_p)).astype(dtype)
                yd = y.astype(np.float64)
                if log:
                    dx = g - np.exp(yd) * g.sum(axis=axis, keepdims=True)
                else:
                    dx = yd * (g - (g * yd).sum(axis=axis, keepdims=True))
                dx = dx.astype(dtype)
                inputs = {"y": y, "g": dy}
                body = (f"  %r = dl.softmax_grad %y, %g axis = {axis}"
                        f"{' {log}' if log else ''} : {tensor_type(y)}")
                runner.run_module(
                    f"softmax_grad-{np.dtype(dtype)}-{axis}-{int(log)}",
                    entry(inputs, {"r": ("%r", dx)}, body), inputs, {"r": dx})


def sum_squares_cases(runner):
    """dl.sum_squares over tensors of several shapes, a scalar among
    them, with more than one partial."""
    for dtype in (np.float32, np.float64):
        inputs = {"a": rand(70, 90, dtype=dtype), "b": rand(13, dtype=dtype),
                  "c": rand(dtype=dtype), "d": rand(3, 4, 5, dtype=dtype)}
        total = sum(float((v.astype(np.float64) ** 2).sum())
                    for v in inputs.values())
        count = sum(v.size for v in inputs.values())
        partials = min(max((count + 4095) // 4096, 1), 1024)
        expected = np.array(total, dtype=dtype)
        types = ", ".join(tensor_type(v) for v in inputs.values())
        body = (f"  %r, %p = dl.sum_squares %a, %b, %c, %d : ({types}) -> "
                f"({tensor_type(expected)}, tensor<{partials}xf64>)")
        runner.run_module(f"sum_squares-{np.dtype(dtype)}",
                          entry(inputs, {"r": ("%r", expected)}, body),
                          inputs, {"r": expected})


def layer_norm_backward_cases(runner):
    """dl.layer_norm_grad and dl.layer_norm_param_grad against the
    gradient formula in float64."""
    for dtype in (np.float32, np.float64):
        x = rand(2, 3, 8, dtype=dtype, low=-5, high=5)
        dy = rand(2, 3, 8, dtype=dtype)
        for axis in (1, 2):
            tail = x.shape[axis:]
            g = rand(*tail, dtype=dtype)
            xd, dyd = x.astype(np.float64), dy.astype(np.float64)
            axes = tuple(range(axis, 3))
            mean = xd.mean(axis=axes, keepdims=True)
            var = ((xd - mean) ** 2).mean(axis=axes, keepdims=True)
            rstd = 1 / np.sqrt(var + 1e-5)
            xhat = (xd - mean) * rstd
            dxhat = dyd * g
            dx = rstd * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                         - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
            rows = tuple(range(axis))
            expected = {"dx": dx.astype(dtype),
                        "mean": mean.reshape(x.shape[:axis]).astype(dtype),
                        "rstd": rstd.reshape(x.shape[:axis]).astype(dtype),
                        "dg": (dyd * xhat).sum(axis=rows).astype(dtype),
                        "db": dyd.sum(axis=rows).astype(dtype)}
            inputs = {"x": x, "dy": dy, "g": g}
            t = {k: tensor_type(v) for k, v in {**inputs, **expected}.items()}
            body = (f"  %dx, %mean, %rstd = dl.layer_norm_grad %x, %dy, %g "
                    f"axis = {axis} epsilon = 1.0e-05 : ({t['x']}, {t['dy']}, "
                    f"{t['g']}) -> ({t['dx']}, {t['mean']}, {t['rstd']})\n"
                    f"  %dg, %db = dl.layer_norm_param_grad %x, %dy, %mean, "
                    f"%rstd axis = {axis} : ({t['x']}, {t['dy']}, {t['mean']}, "
                    f"{t['rstd']}) -> ({t['dg']}, {t['db']})")
            runner.run_module(
                f"layer_norm_backward-{np.dtype(dtype)}-{axis}",
                entry(inputs, {k: ("%" + k, v) for k, v in expected.items()},
                      body),
                inputs, expected)
            # With an addend: the gradient rounded to the dtype, then added.
            a = rand(*x.shape, dtype=dtype)
            summed = {"dx": (a + expected["dx"]).astype(dtype)}
            inputs = {"x": x, "dy": dy, "g": g, "a": a}
            body = (f"  %dx, %mean, %rstd = dl.layer_norm_grad %x, %dy, %g "
                    f"addend %a axis = {axis} epsilon = 1.0e-05 : ({t['x']}, "
                    f"{t['dy']}, {t['g']}, {t['x']}) -> ({t['dx']}, "
                    f"{t['mean']}, {t['rstd']})")
            runner.run_module(
                f"layer_norm_grad_addend-{np.dtype(dtype)}-{axis}",
                entry(inputs, {"dx": ("%dx", summed["dx"])}, body),
                inputs, summed)


def normalization_cases(runner):
    x = rand(2, 3, 8, low=-5, high=5)
    for axis in (1, 2):
        tail = x.shape[axis:]
        g, b = rand(*tail), rand(*tail)
        xd = x.astype(np.float64)
        axes = tuple(range(axis, 3))
        mean = xd.mean(axis=axes, keepdims=True)
        var = ((xd - mean) ** 2).mean(axis=axes, keepdims=True)
        expected = ((xd - mean) / np.sqrt(var + 1e-5) * g + b).astype(np.float32)
        one(runner, f"layer_norm-{axis}", {"x": x, "g": g, "b": b},
            f"dl.layer_norm %x, %g, %b axis = {axis} epsilon = 1.0e-05",
            expected)
    layer_norm_backward_cases(runner)
    x = rand(4, 3, 2, 5)
    s, b, m = rand(3), rand(3), rand(3)
    v = rand(3, low=0.5, high=2)
    shape = (1, 3, 1, 1)
    expected = ((x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + 1e-3)
                * s.reshape(shape) + b.reshape(shape)).astype(np.float32)
    one(runner, "batch_norm_inference", {"x": x, "s": s, "b": b, "m": m, "v": v},
        "dl.batch_norm_inference %x, %s, %b, %m, %v epsilon = 1.0e-03",
        expected)


def loss_cases(runner):
    for dtype in (np.float32, np.float64):
        logits = rand(6, 5, dtype=dtype, low=-10, high=10)
        for label_type in (np.int32, np.int64):
            labels = rng.integers(0, 5, size=6).astype(label_type)
            xd = logits.astype(np.float64)
            m = xd.max(axis=1, keepdims=True)
            lse = np.log(np.exp(xd - m).sum(axis=1)) + m[:, 0]
            per = lse - xd[np.arange(6), labels]
            for reduction, value in (("mean", per.mean()), ("sum", per.sum())):
                expected = np.array(value, dtype=dtype)
                text = "dl.cross_entropy %l, %y"
                if reduction == "sum":
                    text += " reduction = sum"
                one(runner, f"cross_entropy-{np.dtype(dtype)}-{np.dtype(label_type)}-{reduction}",
                    {"l": logits, "y": labels}, text, expected)
        # Accuracy: ties go to the first maximum, a NaN is the maximum (as
        # np.argmax), an out-of-range label never matches.
        logits = rand(8, 4, dtype=dtype, low=-3, high=3)
        logits[1, :] = 1.0
        logits[2, 2] = np.nan
        labels = np.array([0, 0, 2, 1, 3, 0, 9, 2], np.int32)
        for i in (3, 4):
            labels[i] = np.argmax(logits[i])
        hits = np.argmax(logits, axis=1) == labels
        expected = np.array(hits.mean(), dtype=dtype)
        one(runner, f"accuracy-{np.dtype(dtype)}", {"l": logits, "y": labels},
            "dl.accuracy %l, %y", expected)
        # The loss, its gradient and the accuracy from one fused kernel.
        logits = rand(6, 5, dtype=dtype, low=-4, high=4)
        labels = rng.integers(0, 5, size=6).astype(np.int64)
        labels[:3] = np.argmax(logits[:3], axis=1)
        dloss = np.array(2.0, dtype=dtype)
        xd = logits.astype(np.float64)
        e = np.exp(xd - xd.max(axis=1, keepdims=True))
        soft = e / e.sum(axis=1, keepdims=True)
        onehot = np.eye(5)[labels]
        loss = np.array((-np.log(soft[np.arange(6), labels])).mean(), dtype=dtype)
        grad = ((soft - onehot) * 2.0 / 6).astype(dtype)
        accuracy = np.array((np.argmax(logits, axis=1) == labels).mean(),
                            dtype=dtype)
        inputs = {"l": logits, "y": labels, "g": dloss}
        body = (f"  %loss, %grad, %acc = dl.cross_entropy_with_grad %l, %y, %g : "
                f"({tensor_type(logits)}, {tensor_type(labels)}, "
                f"{tensor_type(dloss)}) -> ({tensor_type(loss)}, "
                f"{tensor_type(grad)}, {tensor_type(accuracy)})")
        runner.run_module(
            f"cross_entropy_with_grad_accuracy-{np.dtype(dtype)}",
            entry(inputs, {"loss": ("%loss", loss), "grad": ("%grad", grad),
                           "acc": ("%acc", accuracy)}, body),
            inputs, {"loss": loss, "grad": grad, "acc": accuracy})
        p, t = rand(4, 3, dtype=dtype), rand(4, 3, dtype=dtype)
        diff = p.astype(np.float64) - t
        one(runner, f"mse-{np.dtype(dtype)}", {"p": p, "t": t}, "dl.mse %p, %t",
            np.array((diff ** 2).mean(), dtype=dtype))


def shape_cases(runner):
    x = rand(2, 3, 4)
    for perm in ([1, 0, 2], [2, 0, 1], [0, 1, 2]):
        expected = np.transpose(x, perm)
        body = (f"  %r = dl.transpose %x permutation = {perm} : "
                f"{tensor_type(x)} -> {tensor_type(expected)}")
        runner.run_module(f"transpose-{perm}", entry({"x": x}, {"r": ("%r", expected)},
                                                    body), {"x": x}, {"r": expected})
    expected = x.reshape(4, 6)
    body = f"  %r = dl.reshape %x : {tensor_type(x)} to {tensor_type(expected)}"
    runner.run_module("reshape", entry({"x": x}, {"r": ("%r", expected)}, body),
                      {"x": x}, {"r": expected})
    y = rand(3, 1)
    expected = np.broadcast_to(y, (2, 3, 5)).copy()
    body = f"  %r = dl.broadcast_to %y : {tensor_type(y)} to {tensor_type(expected)}"
    runner.run_module("broadcast_to", entry({"y": y}, {"r": ("%r", expected)}, body),
                      {"y": y}, {"r": expected})
    a, b, c = rand(2, 1, 4), rand(2, 3, 4), rand(2, 2, 4)
    expected = np.concatenate([a, b, c], axis=1)
    one(runner, "concat", {"a": a, "b": b, "c": c}, "dl.concat %a, %b, %c axis = 1",
        expected)
    z = rand(5, 7, 3)
    for i, (start, limit, step) in enumerate((([1, 0, 0], [4, 7, 3], [1, 2, 1]),
                                              ([0, 6, 1], [5, 7, 3], [2, 1, 1]))):
        expected = z[tuple(slice(s, l, st) for s, l, st in zip(start, limit, step))]
        body = (f"  %r = dl.slice %z start = {start} limit = {limit} step = "
                f"{step} : {tensor_type(z)} -> {tensor_type(expected)}")
        runner.run_module(f"slice-{i}", entry({"z": z}, {"r": ("%r", expected)}, body),
                          {"z": z}, {"r": expected})
    table = rand(6, 4)
    for axis, idx in ((0, rng.integers(0, 6, size=(2, 3))),
                      (1, rng.integers(0, 4, size=(5,)))):
        idx = idx.astype(np.int32)
        expected = np.take(table, idx, axis=axis)
        one(runner, f"gather-{axis}", {"t": table, "i": idx},
            f"dl.gather %t, %i axis = {axis}", expected)
    for axis, (shape, idx) in enumerate((((6, 4), rng.integers(0, 6, size=(2, 5))),
                                         ((3, 4), rng.integers(0, 4, size=(7,))))):
        idx = idx.astype(np.int64)
        updates = rand(*np.take(np.zeros(shape), idx, axis=axis).shape)
        expected = np.zeros(shape, dtype=np.float64)
        if axis == 0:
            np.add.at(expected, idx, updates)
        else:
            np.add.at(expected, (slice(None), idx), updates)
        one(runner, f"scatter_add-{axis}", {"u": updates, "i": idx},
            f"dl.scatter_add %u, %i axis = {axis}", expected.astype(np.float32))
    for axis in (0, 1):
        expected = np.broadcast_to(
            np.arange(3 if axis == 0 else 4).reshape((-1, 1) if axis == 0 else (1, -1)),
            (3, 4)).astype(np.int64)
        body = f"  %r = dl.iota dimension = {axis} : {tensor_type(expected)}"
        w = rand(1)
        runner.run_module(f"iota-{axis}", entry({"w": w}, {"r": ("%r", expected)}, body),
                          {"w": w}, {"r": expected})
    expected = np.full((2, 3), 2.5, dtype=np.float32)
    body = f"  %r = dl.fill 2.5 : {tensor_type(expected)}"
    w = rand(1)
    runner.run_module("fill", entry({"w": w}, {"r": ("%r", expected)}, body),
                      {"w": w}, {"r": expected})
    x = rand(2, 3)
    const = np.array([[1.5, -2, 3], [0.25, 5, -6]], dtype=np.float32)
    body = ("  %c = dl.constant dense<[[1.5, -2.0, 3.0], [0.25, 5.0, -6.0]]> : "
            "tensor<2x3xf32>\n"
            f"  %r = dl.mul %x, %c : ({tensor_type(x)}, tensor<2x3xf32>) -> tensor<2x3xf32>")
    runner.run_module("constant", entry({"x": x}, {"r": ("%r", x * const)}, body),
                      {"x": x}, {"r": x * const})


def main():
    runner = Runner(sys.argv[1], sys.argv[2])
    for cases in (unary_cases, binary_cases, compare_select_cast_cases,
                  matmul_cases, conv_cases, pool_cases, reduction_cases,
                  sum_squares_cases, softmax_grad_cases, softmax_prologue_cases,
                  attention_cases, attention_grad_cases,
                  normalization_cases, loss_cases, shape_cases):
        cases(runner)
    status = runner.finish("ops against numpy")
    if len(sys.argv) > 3:
        status |= runner.check_cuda_kernels(sys.argv[3])
    return status


if __name__ == "__main__":
    sys.exit(main())
