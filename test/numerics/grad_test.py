#!/usr/bin/env python3
"""Every op's gradient rule against central finite differences, in f64 on
the CPU backend.

Each case is a tiny model: parameters P feed one op, and the loss is
sum(op(P...) * R) with R a random input, so every output element weighs in
differently. `dlc --gradients` compiles the gradient program; the finite
differences evaluate the loss that same program returns at P +- h with
h = 1e-6 (so ops that train differently, batch norm, are checked as they
train).
In f64 the two agree to about 1e-8 relative (the truncation error of the
central difference is O(h^2) and the rounding error O(eps/h) ~ 1e-10); the
check uses rtol 1e-5 and atol 1e-7.

usage: grad_test.py DLC DLRUN [KERNEL_SIM]

With KERNEL_SIM (tools/kernel-sim), every gradient plan's CUDA kernels also
compile with NVRTC and run on the CPU against the CPU backend."""

import os
import subprocess
import sys
import tempfile

import numpy as np

from harness import check_cuda_kernels, tensor_type, write_safetensors

rng = np.random.default_rng(99)
H = 1e-6


def module(params, extra_inputs, body, result, train, buffers=None):
    """`body` computes %y from %p0.. (params), the buffers and the extra
    inputs."""
    attrs = ' attributes {dl.train = {loss = "loss"}}' if train else ""
    decls = "".join(f"  dl.param @p{i} : {tensor_type(v)} init<zeros>\n"
                    for i, v in enumerate(params))
    decls += "".join(f"  dl.param @{k} : {tensor_type(v)} init<zeros> role = buffer\n"
                     for k, v in (buffers or {}).items())
    inputs = dict(extra_inputs)
    inputs["r"] = result
    args = ", ".join(f'%{k}: {tensor_type(v)} {{dl.name = "{k}"}}'
                     for k, v in inputs.items())
    loads = "".join(f"    %p{i} = dl.load_param @p{i} : {tensor_type(v)}\n"
                    for i, v in enumerate(params))
    loads += "".join(f"    %{k} = dl.load_param @{k} : {tensor_type(v)}\n"
                     for k, v in (buffers or {}).items())
    rank = result.ndim
    scalar = tensor_type(np.float64(0))
    loss = (f"    %m = dl.mul %y, %r : ({tensor_type(result)}, "
            f"{tensor_type(result)}) -> {tensor_type(result)}\n")
    if rank:
        loss += (f"    %loss = dl.reduce_sum %m axes = {list(range(rank))} : "
                 f"{tensor_type(result)} -> {scalar}\n")
    else:
        loss += f"    %loss = dl.reshape %m : {tensor_type(result)} to {scalar}\n"
    return (f"module{attrs} {{\n{decls}  func.func @forward({args}) -> "
            f'({scalar} {{dl.name = "loss"}}) {{\n{loads}{body}\n{loss}'
            f"    return %loss : {scalar}\n  }}\n}}\n")


class GradRunner:
    def __init__(self, dlc, dlrun):
        self.dlc, self.dlrun = dlc, dlrun
        self.work = tempfile.mkdtemp(prefix="dlc-grad-")
        self.failures, self.passed = [], 0

    def run(self, command):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(" ".join(command) + "\n" + result.stderr)

    def check(self, name, params, body, out_shape, extra=None, buffers=None):
        """Finite differences evaluate the loss of the gradient program
        itself, so ops that behave differently in training (batch norm) are
        differentiated as they train."""
        extra = extra or {}
        buffers = buffers or {}
        r = rng.standard_normal(out_shape)
        base = os.path.join(self.work, name)
        try:
            with open(f"{base}.grad.mlir", "w") as f:
                f.write(module(params, extra, body, r, True, buffers))
            self.run([self.dlc, f"{base}.grad.mlir", "--gradients", "-o",
                      f"{base}.grad.dlp"])
            feeds = []
            for key, value in list(extra.items()) + [("r", r)]:
                # Named as kernel-sim looks for a plan's inputs.
                np.save(f"{base}.grad.in.{key}.npy", value)
                feeds.append(f"--input={key}=@{base}.grad.in.{key}.npy")

            def run_plan(plan, values, outputs):
                tensors = {f"p{i}": v for i, v in enumerate(values)}
                tensors.update(buffers)
                write_safetensors(f"{base}.safetensors", tensors)
                command = [self.dlrun, plan, "--device", "cpu", "--params",
                           f"{base}.safetensors", "--program",
                           "gradients"] + feeds
                for key in outputs:
                    command.append(f"--output={key}=@{base}.out.{key.replace(':', '_')}.npy")
                self.run(command)
                return [np.load(f"{base}.out.{k.replace(':', '_')}.npy")
                        for k in outputs]

            grads = run_plan(f"{base}.grad.dlp", params,
                             [f"grad:p{i}" for i in range(len(params))])
            for i, p in enumerate(params):
                numeric = np.zeros_like(p)
                for index in np.ndindex(p.shape):
                    values = [v.copy() for v in params]
                    values[i][index] += H
                    up = run_plan(f"{base}.grad.dlp", values, ["loss"])[0]
                    values[i][index] -= 2 * H
                    down = run_plan(f"{base}.grad.dlp", values, ["loss"])[0]
                    numeric[index] = (up - down) / (2 * H)
                if not np.allclose(grads[i], numeric, rtol=1e-5, atol=1e-7):
                    raise RuntimeError(
                        f"gradient of p{i} differs:\nanalytic\n{grads[i]}\n"
                        f"numeric\n{numeric}")
            self.passed += 1
        except RuntimeError as error:
            self.failures.append(name)
            print(f"FAIL {name}\n{error}", file=sys.stderr)


def t(shape):
    return tensor_type(np.zeros(shape))


def main():
    g = GradRunner(sys.argv[1], sys.argv[2])
    x = lambda *s, low=-2.0, high=2.0: rng.uniform(low, high, s)

    unary = {"neg": {}, "abs": {}, "exp": {}, "tanh": {}, "sigmoid": {},
             "relu": {}, "log": {"low": 0.5}, "sqrt": {"low": 0.5},
             "rsqrt": {"low": 0.5}}
    for name, bounds in unary.items():
        p = x(2, 3, **bounds)
        g.check(name, [p], f"    %y = dl.{name} %p0 : {t((2, 3))}", (2, 3))

    binary = ["add", "sub", "mul", "div", "max", "min", "pow"]
    for name in binary:
        for i, (sa, sb, so) in enumerate((((2, 3), (2, 3), (2, 3)),
                                          ((2, 3), (3,), (2, 3)),
                                          ((2, 1), (1, 3), (2, 3)))):
            low = 0.5 if name in ("div", "pow") else -2
            a, b = x(*sa, low=low), x(*sb, low=low)
            g.check(f"{name}-{i}", [a, b],
                    f"    %y = dl.{name} %p0, %p1 : ({t(sa)}, {t(sb)}) -> {t(so)}",
                    so)

    c = rng.random((2, 3)) > 0.5
    g.check("select", [x(2, 3), x(3)],
            f"    %y = dl.select %c, %p0, %p1 : ({tensor_type(c)}, {t((2, 3))}, "
            f"{t((3,))}) -> {t((2, 3))}", (2, 3), extra={"c": c})

    for ta in (False, True):
        for tb in (False, True):
            sa = (3, 2) if ta else (2, 3)
            sb = (4, 3) if tb else (3, 4)
            attrs = [n for n, on in (("transpose_lhs", ta), ("transpose_rhs", tb)) if on]
            attr = " {" + ", ".join(attrs) + "}" if attrs else ""
            g.check(f"matmul-{int(ta)}{int(tb)}", [x(*sa), x(*sb)],
                    f"    %y = dl.matmul %p0, %p1{attr} : ({t(sa)}, {t(sb)}) -> {t((2, 4))}",
                    (2, 4))
    g.check("matmul-batched", [x(2, 2, 3), x(3, 2)],
            f"    %y = dl.matmul %p0, %p1 : ({t((2, 2, 3))}, {t((3, 2))}) -> {t((2, 2, 2))}",
            (2, 2, 2))

    for name in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_prod"):
        for axes, keep, out in (([1], False, (2, 4)), ([0, 2], True, (1, 3, 1))):
            g.check(f"{name}-{axes}", [x(2, 3, 4)],
                    f"    %y = dl.{name} %p0 axes = {axes}{' keepdims' if keep else ''}"
                    f" : {t((2, 3, 4))} -> {t(out)}", out)
    # A product's gradient where its inputs hold no, one and two zeros: the
    # product of the others, whatever they hold.
    p = x(3, 4)
    p[1, 2] = 0.0
    p[2, 0] = p[2, 3] = 0.0
    g.check("reduce_prod-zeros", [p],
            f"    %y = dl.reduce_prod %p0 axes = [1] : {t((3, 4))} -> {t((3,))}",
            (3,))
    for name in ("softmax", "log_softmax"):
        for axis in (0, 1):
            g.check(f"{name}-{axis}", [x(3, 4)],
                    f"    %y = dl.{name} %p0 axis = {axis} : {t((3, 4))}", (3, 4))
    g.check("layer_norm", [x(2, 3, 4), 1 + 0.2 * x(4), x(4)],
            f"    %y = dl.layer_norm %p0, %p1, %p2 axis = 2 epsilon = 1.0e-05 : "
            f"({t((2, 3, 4))}, {t((4,))}, {t((4,))}) -> {t((2, 3, 4))}", (2, 3, 4))
    labels = np.array([2, 0, 3], dtype=np.int32)
    for reduction in ("", " reduction = sum"):
        g.check(f"cross_entropy{reduction.replace(' ', '_')}", [x(3, 4)],
                f"    %y = dl.cross_entropy %p0, %l{reduction} : ({t((3, 4))}, "
                f"{tensor_type(labels)}) -> {t(())}", (), extra={"l": labels})
    g.check("mse", [x(2, 3), x(2, 3)],
            f"    %y = dl.mse %p0, %p1 : ({t((2, 3))}, {t((2, 3))}) -> {t(())}", ())
    g.check("reshape", [x(2, 6)],
            f"    %y = dl.reshape %p0 : {t((2, 6))} to {t((3, 4))}", (3, 4))
    g.check("transpose", [x(2, 3, 4)],
            f"    %y = dl.transpose %p0 permutation = [2, 0, 1] : {t((2, 3, 4))} -> {t((4, 2, 3))}",
            (4, 2, 3))
    g.check("broadcast_to", [x(3, 1)],
            f"    %y = dl.broadcast_to %p0 : {t((3, 1))} to {t((2, 3, 4))}", (2, 3, 4))
    for approximation in ("", " approximation = tanh"):
        p = x(2, 3)
        p[0, 0] = 0.0  # the exact form's special case at 0
        g.check(f"gelu{approximation.replace(' ', '_')}", [p],
                f"    %y = dl.gelu %p0{approximation} : {t((2, 3))}", (2, 3))
    g.check("slice", [x(4, 5)],
            f"    %y = dl.slice %p0 start = [1, 0] limit = [3, 4] step = [1, 1] : "
            f"{t((4, 5))} -> {t((2, 4))}", (2, 4))
    g.check("slice-strided", [x(7, 5)],
            f"    %y = dl.slice %p0 start = [1, 0] limit = [7, 5] step = [3, 2] : "
            f"{t((7, 5))} -> {t((2, 3))}", (2, 3))
    g.check("slice-strided-exact", [x(6,)],
            f"    %y = dl.slice %p0 start = [0] limit = [6] step = [2] : "
            f"{t((6,))} -> {t((3,))}", (3,))
    g.check("concat", [x(2, 1), x(2, 3), x(2, 2)],
            f"    %y = dl.concat %p0, %p1, %p2 axis = 1 : ({t((2, 1))}, {t((2, 3))}, "
            f"{t((2, 2))}) -> {t((2, 6))}", (2, 6))
    tokens = np.array([[1, 3, 1], [0, 1, 3]], dtype=np.int32)  # repeats add up
    g.check("gather", [x(4, 2)],
            f"    %y = dl.gather %p0, %i axis = 0 : ({t((4, 2))}, "
            f"{tensor_type(tokens)}) -> {t((2, 3, 2))}", (2, 3, 2),
            extra={"i": tokens})
    conv_cases = [
        ((2, 2, 5, 5), (3, 2, 3, 3), "stride = [1, 1] padding = [1, 1, 1, 1]", (2, 3, 5, 5)),
        ((1, 4, 6, 7), (4, 2, 2, 3), "stride = [2, 1] padding = [0, 1, 1, 0] groups = 2", (1, 4, 3, 6)),
        ((1, 1, 7, 7), (2, 1, 3, 3), "stride = [2, 2] dilation = [2, 1]", (1, 2, 2, 3)),
        # Many output channels: the CUDA input gradient splits its sum over
        # them between two blocks.
        ((1, 1, 3, 3), (16, 1, 3, 3), "padding = [1, 1, 1, 1]", (1, 16, 3, 3)),
    ]
    for i, (sx, sw, attrs, so) in enumerate(conv_cases):
        g.check(f"conv2d-{i}", [x(*sx), x(*sw), x(sw[0])],
                f"    %y = dl.conv2d %p0, %p1, %p2 {attrs} : ({t(sx)}, {t(sw)}, "
                f"{t((sw[0],))}) -> {t(so)}", so)
    # With the ReLU epilogue: the mask reads the result.
    sx, sw, attrs, so = conv_cases[0]
    g.check("conv2d-relu", [x(*sx), x(*sw), x(sw[0])],
            f"    %y = dl.conv2d %p0, %p1, %p2 {attrs} {{relu}} : ({t(sx)}, "
            f"{t(sw)}, {t((sw[0],))}) -> {t(so)}", so)
    # The windows of a convolution as a matrix, and back (each the other's
    # adjoint, so each one's gradient is the other).
    window_cases = [
        ((2, 2, 5, 5), "kernel = [3, 3] padding = [1, 1, 1, 1]", (50, 18)),
        ((1, 1, 7, 7), "kernel = [3, 3] stride = [2, 2] dilation = [2, 1]", (6, 9)),
    ]
    for i, (si, attrs, sc) in enumerate(window_cases):
        g.check(f"im2col-{i}", [x(*si)],
                f"    %y = dl.im2col %p0 {attrs} : {t(si)} -> {t(sc)}", sc)
        g.check(f"col2im-{i}", [x(*sc)],
                f"    %y = dl.col2im %p0 {attrs} : {t(sc)} -> {t(si)}", si)
    # Distinct values so the maximum in each window is unique.
    pool_input = rng.permutation(36).reshape(1, 1, 6, 6) / 7.0
    for kind, extra in (("max", ""), ("avg", ""), ("avg", " {count_include_pad}")):
        for attrs, so in (("kernel = [2, 2]", (1, 1, 3, 3)),
                          ("kernel = [3, 3] stride = [2, 2] padding = [1, 1, 1, 1]",
                           (1, 1, 3, 3))):
            g.check(f"{kind}_pool2d-{attrs.count('=')}{extra.strip()}", [pool_input.copy()],
                    f"    %y = dl.{kind}_pool2d %p0 {attrs}{extra} : {t((1, 1, 6, 6))} -> {t(so)}",
                    so)
    for shape in ((4, 3), (2, 3, 2, 2)):
        channels = (3,)
        stats = "(" + ", ".join([t(shape)] + [t(channels)] * 4) + ")"
        g.check(f"batch_norm_training-{len(shape)}d", [x(*shape), 1 + 0.2 * x(3), x(3)],
                f"    %y, %nm, %nv = dl.batch_norm_training %p0, %p1, %p2, %rm, %rv "
                f"epsilon = 1.0e-05 momentum = 1.0e-01 : {stats} -> "
                f"({t(shape)}, {t(channels)}, {t(channels)})", shape,
                buffers={"rm": np.zeros(3), "rv": np.ones(3)})
    g.check("chain", [x(2, 3), x(3)],
            f"    %a = dl.mul %p0, %p0 : ({t((2, 3))}, {t((2, 3))}) -> {t((2, 3))}\n"
            f"    %b = dl.add %a, %p1 : ({t((2, 3))}, {t((3,))}) -> {t((2, 3))}\n"
            f"    %y = dl.tanh %b : {t((2, 3))}", (2, 3))

    total = g.passed + len(g.failures)
    print(f"gradient rules against finite differences: {g.passed} of {total} "
          f"cases match")
    status = 0
    if g.failures:
        print("failed: " + ", ".join(g.failures))
        status = 1
    if len(sys.argv) > 3:
        status |= check_cuda_kernels(g.dlrun, sys.argv[3], g.work)
    return status


if __name__ == "__main__":
    sys.exit(main())
