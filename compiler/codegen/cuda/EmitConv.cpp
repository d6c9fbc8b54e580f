//===- EmitConv.cpp - Convolution and pooling, forward and backward -------===//
//
// A convolution and both its gradients are GEMMs whose operands are windows
// of the image (ImplicitGemm): the forward pass multiplies each output
// pixel's window by the filters, the input gradient each input pixel's
// window of the output gradient by the filters transposed (gather form: no
// two threads write one address, no atomics), and the weight gradient sums
// the output gradient times the windows over the batch's pixels, split
// between blocks so the few weights still fill the device. The bias
// gradient is extra blocks of the weight gradient's kernel.
// Pooling gradients are gathers too, visiting the windows in the order the
// CPU backend adds them.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"
#include "compiler/codegen/cuda/ImplicitGemm.h"

#include <limits>

namespace dlc::cuda {

namespace {

/// The geometry of a convolution; `x` is NCHW, `w` OIHW and `y` the output.
struct ConvGeometry {
  int64_t n, c, h, wd, o, cg, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw, groups;
  int64_t og() const { return o / groups; }
  int64_t window() const { return kh * kw; }
};

template <typename Op>
ConvGeometry geometry(const Op &op, const std::vector<int64_t> &x,
                      const std::vector<int64_t> &w,
                      const std::vector<int64_t> &y) {
  return {x[0], x[1], x[2], x[3], w[0], w[1], w[2], w[3], y[2], y[3],
          op.stride()->Get(0), op.stride()->Get(1), op.padding()->Get(0),
          op.padding()->Get(1), op.dilation()->Get(0), op.dilation()->Get(1),
          op.groups()};
}

std::string I(int64_t v) { return integer(v); }

/// Sets `v` to input pixel (iy, ix) of channel `ci` of group `g` of image
/// `b`, the window position `r` (ky * kw + kx) of output pixel `p`; padding
/// leaves it zero.
void loadWindow(KernelWriter &w, const ConvGeometry &g, const char *r,
                const char *p) {
  w.line(std::string("int ky = ") + r + " / " + I(g.kw) + ", kx = " + r +
         " % " + I(g.kw) + ";");
  w.line(std::string("int iy = ") + p + " / " + I(g.wo) + " * " + I(g.sh) +
         " - " + I(g.pt) + " + ky * " + I(g.dh) + ", ix = " + p + " % " +
         I(g.wo) + " * " + I(g.sw) + " - " + I(g.pl) + " + kx * " + I(g.dw) +
         ";");
  w.line("if (iy >= 0 && iy < " + I(g.h) + " && ix >= 0 && ix < " + I(g.wd) +
         ")");
  w.line("  v = x[((b * " + I(g.c) + " + g * " + I(g.cg) + " + ci) * " +
         I(g.h) + " + iy) * " + I(g.wd) + " + ix];");
}

/// How the kernel's summary line describes the tiling.
std::string asGemm(const GemmTiling &t) {
  return " as an implicit GEMM (" + std::to_string(t.tm) + "x" +
         std::to_string(t.tn) + " tiles" +
         (t.splits > 1 ? ", k split " + std::to_string(t.splits) + " ways"
                       : std::string()) +
         ")";
}

} // namespace

bool emitConv2d(KernelWriter &w, const plan::Conv2d &op, std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &weight = w.input(op.weight(), "w");
  if (op.has_bias())
    w.input(op.bias(), "bias");
  const Operand &y = w.output(op.output(), "y");
  if (!floatKernelType(x.dtype, "conv2d", error) ||
      !writeEpilogue(w, y, error))
    return false;
  ConvGeometry g = geometry(op, x.shape, weight.shape, y.shape);
  std::string T = computeType(x.dtype), index = w.index();
  int64_t pixels = g.ho * g.wo;
  // C[output pixel][output channel] over (input channel, window position).
  ImplicitGemm gemm;
  gemm.m = g.n * pixels, gemm.n = g.og(), gemm.k = g.cg * g.window();
  gemm.groups = g.groups, gemm.type = T;
  gemm.loadA = [&](KernelWriter &w) {
    w.line(index + " b = m / " + I(pixels) + ";");
    w.line("int p = m % " + I(pixels) + ", ci = k / " + I(g.window()) +
           ", r = k % " + I(g.window()) + ";");
    loadWindow(w, g, "r", "p");
  };
  gemm.loadB = [&](KernelWriter &w) {
    w.line("v = w[(g * " + I(g.og()) + " + n) * " + I(gemm.k) + " + k];");
  };
  gemm.store = [&](KernelWriter &w, const std::string &value) {
    w.line("int oc = g * " + I(g.og()) + " + n;");
    w.line(index + " i = (m / " + I(pixels) + " * " + I(g.o) + " + oc) * " +
           I(pixels) + " + m % " + I(pixels) + ";");
    w.line(T + " out = " + value + ";");
    if (op.has_bias())
      w.line("out += bias[oc];");
    // ReLU as the CPU backend computes it (NaN becomes 0).
    if (op.relu())
      w.line("out = out > 0 ? out : 0;");
    w.line("y[i] = " + epilogued(w, "out", "i") + ";");
  };
  GemmTiling tiling = launchImplicitGemm(w, gemm);
  writeImplicitGemm(w, gemm, tiling);
  w.summary = "conv2d " + std::to_string(g.kh) + "x" + std::to_string(g.kw) +
              ", stride " + std::to_string(g.sh) + "x" + std::to_string(g.sw) +
              ", groups " + std::to_string(g.groups) +
              (op.relu() ? ", ReLU" : "") + asGemm(tiling);
  return true;
}

bool emitConv2dGrad(KernelWriter &w, const plan::Conv2dGrad &op,
                    std::string &error) {
  const Operand &dy = w.input(op.grad(), "dy");
  const Operand &other = w.input(op.other(), op.wrt_weight() ? "x" : "w");
  const Operand &out = w.output(op.output(), op.wrt_weight() ? "dw" : "dx");
  if (op.with_bias_grad())
    w.output(op.bias_grad(), "db");
  if (!floatKernelType(dy.dtype, "conv2d gradients", error))
    return false;
  const std::vector<int64_t> &xs = op.wrt_weight() ? other.shape : out.shape;
  const std::vector<int64_t> &ws = op.wrt_weight() ? out.shape : other.shape;
  ConvGeometry g = geometry(op, xs, ws, dy.shape);
  std::string T = computeType(dy.dtype), index = w.index();
  int64_t pixels = g.ho * g.wo, inputPixels = g.h * g.wd;

  ImplicitGemm gemm;
  gemm.groups = g.groups, gemm.type = T;
  if (!op.wrt_weight()) {
    if (!writeEpilogue(w, out, error))
      return false;
    // C[input pixel][input channel] over (output channel, window position):
    // the output pixels whose windows reach the input pixel.
    gemm.m = g.n * inputPixels, gemm.n = g.cg, gemm.k = g.og() * g.window();
    gemm.loadA = [&](KernelWriter &w) {
      w.line(index + " b = m / " + I(inputPixels) + ";");
      w.line("int p = m % " + I(inputPixels) + ", oc = g * " + I(g.og()) +
             " + k / " + I(g.window()) + ", r = k % " + I(g.window()) + ";");
      w.line("int ky = r / " + I(g.kw) + ", kx = r % " + I(g.kw) + ";");
      w.line("int ty = p / " + I(g.wd) + " + " + I(g.pt) + " - ky * " +
             I(g.dh) + ", tx = p % " + I(g.wd) + " + " + I(g.pl) +
             " - kx * " + I(g.dw) + ";");
      std::string strided = (g.sh > 1 ? " && ty % " + I(g.sh) + " == 0" : "") +
                            (g.sw > 1 ? " && tx % " + I(g.sw) + " == 0" : "");
      w.line("int oy = ty / " + I(g.sh) + ", ox = tx / " + I(g.sw) + ";");
      w.line("if (ty >= 0 && tx >= 0" + strided + " && oy < " + I(g.ho) +
             " && ox < " + I(g.wo) + ")");
      w.line("  v = dy[((b * " + I(g.o) + " + oc) * " + I(g.ho) + " + oy) * " +
             I(g.wo) + " + ox];");
    };
    gemm.loadB = [&](KernelWriter &w) {
      w.line("v = w[((g * " + I(g.og()) + " + k / " + I(g.window()) + ") * " +
             I(g.cg) + " + n) * " + I(g.window()) + " + k % " +
             I(g.window()) + "];");
    };
    gemm.store = [&](KernelWriter &w, const std::string &value) {
      w.line(index + " i = (m / " + I(inputPixels) + " * " + I(g.c) +
             " + g * " + I(g.cg) + " + n) * " + I(inputPixels) + " + m % " +
             I(inputPixels) + ";");
      w.line("dx[i] = " + epilogued(w, value, "i") + ";");
    };
    GemmTiling tiling = launchImplicitGemm(w, gemm);
    writeImplicitGemm(w, gemm, tiling);
    w.summary = "conv2d input gradient" + asGemm(tiling);
    return true;
  }

  // C[output channel][(input channel, window position)] over the batch's
  // output pixels.
  gemm.m = g.og(), gemm.n = g.cg * g.window(), gemm.k = g.n * pixels;
  gemm.aAlongK = true;
  gemm.loadA = [&](KernelWriter &w) {
    w.line(index + " b = k / " + I(pixels) + ";");
    w.line("v = dy[(b * " + I(g.o) + " + g * " + I(g.og()) + " + m) * " +
           I(pixels) + " + k % " + I(pixels) + "];");
  };
  gemm.loadB = [&](KernelWriter &w) {
    w.line(index + " b = k / " + I(pixels) + ";");
    w.line("int p = k % " + I(pixels) + ", ci = n / " + I(g.window()) +
           ", r = n % " + I(g.window()) + ";");
    loadWindow(w, g, "r", "p");
  };
  gemm.store = [&](KernelWriter &w, const std::string &value) {
    w.line("dw[(g * " + I(g.og()) + " + m) * " + I(gemm.n) + " + n] = " +
           value + ";");
  };
  GemmTiling tiling =
      launchImplicitGemm(w, gemm, op.with_bias_grad() ? g.o : 0);
  if (op.with_bias_grad()) {
    // A block per output channel after the GEMM's, summing dy in double as
    // a reduction step does.
    std::string t = I(GemmTiling::kThreads);
    w.use(kBlockReduce);
    w.open("if (blockIdx.x >= " + I(tiling.blocks) + ")");
    w.line("int oc = blockIdx.x - " + I(tiling.blocks) + ";");
    w.line("double acc = 0;");
    w.open("for (" + index + " e = threadIdx.x; e < " + I(g.n * pixels) +
           "; e += " + t + ")");
    w.line(index + " b = e / " + I(pixels) + ", p = e % " + I(pixels) + ";");
    w.line("acc += dy[(b * " + I(g.o) + " + oc) * " + I(pixels) + " + p];");
    w.close();
    w.line("acc = dlc_block_reduce<" + t + ">(acc, dlc_sum());");
    w.line("if (threadIdx.x == 0)");
    w.line("  db[oc] = (" + T + ")acc;");
    w.line("return;");
    w.close();
  }
  writeImplicitGemm(w, gemm, tiling);
  w.summary = std::string(op.with_bias_grad()
                              ? "conv2d weight and bias gradients"
                              : "conv2d weight gradient") +
              asGemm(tiling);
  return true;
}

namespace {

struct PoolGeometry {
  int64_t h, w, ho, wo, k[2], s[2], pad[4];
};

template <typename Op>
PoolGeometry poolGeometry(const Op &op, const std::vector<int64_t> &in,
                          const std::vector<int64_t> &out) {
  PoolGeometry p;
  p.h = in[2], p.w = in[3], p.ho = out[2], p.wo = out[3];
  for (int i = 0; i < 2; ++i) {
    p.k[i] = op.kernel()->Get(i);
    p.s[i] = op.stride()->Get(i);
  }
  for (int i = 0; i < 4; ++i)
    p.pad[i] = op.padding()->Get(i);
  return p;
}

/// Declares y0, y1, x0, x1 (the window clipped to the input) and `padded`
/// (its size clipped to the padded input only) for output (oy, ox).
void window(KernelWriter &w, const PoolGeometry &p) {
  w.line("int y0 = oy * " + I(p.s[0]) + " - " + I(p.pad[0]) + ", x0 = ox * " +
         I(p.s[1]) + " - " + I(p.pad[1]) + ";");
  w.line("int y1 = min(y0 + " + I(p.k[0]) + ", " + I(p.h + p.pad[2]) +
         "), x1 = min(x0 + " + I(p.k[1]) + ", " + I(p.w + p.pad[3]) + ");");
  w.line("int padded = (y1 - y0) * (x1 - x0);");
  w.line("y0 = max(y0, 0), x0 = max(x0, 0);");
  w.line("y1 = min(y1, " + I(p.h) + "), x1 = min(x1, " + I(p.w) + ");");
}

std::string divisor(bool countIncludePad) {
  return countIncludePad ? "max(padded, 1)"
                         : "max((y1 - y0) * (x1 - x0), 1)";
}

} // namespace

bool emitPool2d(KernelWriter &w, const plan::Pool2d &op, std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &y = w.output(op.output(), "y");
  if (!floatKernelType(x.dtype, "pooling", error) ||
      !writeEpilogue(w, y, error))
    return false;
  PoolGeometry p = poolGeometry(op, x.shape, y.shape);
  bool isMax = op.kind() == plan::PoolKind::Max;
  std::string T = computeType(x.dtype);
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  w.line("int ox = " + coordinate("i", y.shape, 3) + ", oy = " +
         coordinate("i", y.shape, 2) + ";");
  w.line("const " + T + " *plane = x + (i / " + I(p.ho * p.wo) + ") * " +
         I(p.h * p.w) + ";");
  window(w, p);
  w.line(T + " acc = " +
         (isMax ? literal(-std::numeric_limits<double>::infinity(), x.dtype)
                : std::string("0")) +
         ";");
  w.open("for (int iy = y0; iy < y1; ++iy)");
  w.open("for (int ix = x0; ix < x1; ++ix)");
  w.line(T + " v = plane[iy * " + I(p.w) + " + ix];");
  w.line(isMax ? "acc = v != v || v > acc ? v : acc;" : "acc += v;");
  w.close();
  w.close();
  if (!isMax)
    w.line("acc /= (" + T + ")" + divisor(op.count_include_pad()) + ";");
  w.line("y[i] = " + epilogued(w, "acc", "i") + ";");
  w.close();
  w.summary = std::string(isMax ? "max" : "avg") + "_pool2d " +
              std::to_string(p.k[0]) + "x" + std::to_string(p.k[1]);
  return true;
}

bool emitPool2dGrad(KernelWriter &w, const plan::Pool2dGrad &op,
                    std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &dy = w.input(op.grad(), "dy");
  const Operand &dx = w.output(op.output(), "dx");
  if (!floatKernelType(dy.dtype, "pooling gradients", error) ||
      !writeEpilogue(w, dx, error))
    return false;
  PoolGeometry p = poolGeometry(op, dx.shape, dy.shape);
  bool isMax = op.kind() == plan::PoolKind::Max;
  std::string T = computeType(dy.dtype);
  (void)x;
  w.launchThreads(dx.count);
  w.forEach("i", dx.count);
  w.line("int ix = " + coordinate("i", dx.shape, 3) + ", iy = " +
         coordinate("i", dx.shape, 2) + ";");
  w.line(w.index() + " plane = i / " + I(p.h * p.w) + ";");
  // The outputs whose unclipped window [o*s - pad, o*s - pad + k) holds iy.
  w.line("int top = iy + " + I(p.pad[0]) + " - " + I(p.k[0] - 1) +
         ", left = ix + " + I(p.pad[1]) + " - " + I(p.k[1] - 1) + ";");
  w.line("int oyBegin = top <= 0 ? 0 : (top + " + I(p.s[0] - 1) + ") / " +
         I(p.s[0]) + ";");
  w.line("int oxBegin = left <= 0 ? 0 : (left + " + I(p.s[1] - 1) + ") / " +
         I(p.s[1]) + ";");
  w.line("int oyEnd = min((iy + " + I(p.pad[0]) + ") / " + I(p.s[0]) + " + 1, " +
         I(p.ho) + ");");
  w.line("int oxEnd = min((ix + " + I(p.pad[1]) + ") / " + I(p.s[1]) + " + 1, " +
         I(p.wo) + ");");
  w.line(T + " acc = 0;");
  w.open("for (int oy = oyBegin; oy < oyEnd; ++oy)");
  w.open("for (int ox = oxBegin; ox < oxEnd; ++ox)");
  window(w, p);
  w.line(T + " grad = dy[(plane * " + I(p.ho) + " + oy) * " + I(p.wo) +
         " + ox];");
  if (isMax) {
    // The forward pass's choice: the first maximum, or the last NaN.
    w.line("const " + T + " *in = x + plane * " + I(p.h * p.w) + ";");
    w.line(T + " best = " +
           literal(-std::numeric_limits<double>::infinity(), dy.dtype) + ";");
    w.line("int where = y0 * " + I(p.w) + " + x0;");
    w.open("for (int wy = y0; wy < y1; ++wy)");
    w.open("for (int wx = x0; wx < x1; ++wx)");
    w.line(T + " v = in[wy * " + I(p.w) + " + wx];");
    w.open("if (v != v || v > best)");
    w.line("best = v;");
    w.line("where = wy * " + I(p.w) + " + wx;");
    w.close();
    w.close();
    w.close();
    w.line("if (where == iy * " + I(p.w) + " + ix)");
    w.line("  acc += grad;");
  } else {
    w.line("acc += grad / (" + T + ")" + divisor(op.count_include_pad()) + ";");
  }
  w.close();
  w.close();
  w.line("dx[i] = " + epilogued(w, "acc", "i") + ";");
  w.close();
  w.summary = std::string(isMax ? "max" : "avg") + "_pool2d gradient " +
              std::to_string(p.k[0]) + "x" + std::to_string(p.k[1]);
  return true;
}

// dl.im2col: a thread per element of the windows matrix, reading its
// pixel or writing zero. dl.col2im in gather form, as the direct input
// gradient: a thread per image pixel adds the entries that read it, in a
// fixed order, so no two threads write one address.
bool emitIm2Col(KernelWriter &w, const plan::Im2Col &op, std::string &error) {
  const Operand &in = w.input(op.input(), op.col2im() ? "cols" : "x");
  const Operand &out = w.output(op.output(), op.col2im() ? "x" : "cols");
  if (!floatKernelType(in.dtype, op.col2im() ? "col2im" : "im2col", error))
    return false;
  const std::vector<int64_t> &image = op.col2im() ? out.shape : in.shape;
  int64_t n = image[0], c = image[1], h = image[2], wd = image[3];
  int64_t kh = op.kernel()->Get(0), kw = op.kernel()->Get(1);
  int64_t sh = op.stride()->Get(0), sw = op.stride()->Get(1);
  int64_t pt = op.padding()->Get(0), pl = op.padding()->Get(1);
  int64_t dh = op.dilation()->Get(0), dw = op.dilation()->Get(1);
  int64_t wo = (wd + pl + op.padding()->Get(3) - dw * (kw - 1) - 1) / sw + 1;
  int64_t pixels = (op.col2im() ? in.shape[0] : out.shape[0]);
  int64_t ho = n && wo ? pixels / n / wo : 0;
  int64_t patch = c * kh * kw;
  auto I = [](int64_t v) { return integer(v); };
  std::string T = computeType(in.dtype);
  std::string idx = w.index();
  w.launchThreads(out.count);
  w.forEach("e", out.count);
  if (!op.col2im()) {
    w.line(idx + " p = e / " + I(patch) + ", r = e % " + I(patch) + ";");
    w.line(idx + " b = p / " + I(ho * wo) + ", oy = p / " + I(wo) + " % " +
           I(ho) + ", ox = p % " + I(wo) + ";");
    w.line(idx + " ci = r / " + I(kh * kw) + ", i = r / " + I(kw) + " % " +
           I(kh) + ", j = r % " + I(kw) + ";");
    w.line(idx + " iy = oy * " + I(sh) + " - " + I(pt) + " + i * " + I(dh) +
           ";");
    w.line(idx + " ix = ox * " + I(sw) + " - " + I(pl) + " + j * " + I(dw) +
           ";");
    w.line("cols[e] = iy >= 0 && iy < " + I(h) + " && ix >= 0 && ix < " +
           I(wd) + " ? x[((b * " + I(c) + " + ci) * " + I(h) + " + iy) * " +
           I(wd) + " + ix] : (" + T + ")0;");
  } else {
    w.line(idx + " b = e / " + I(c * h * wd) + ", ci = e / " + I(h * wd) +
           " % " + I(c) + ", iy = e / " + I(wd) + " % " + I(h) +
           ", ix = e % " + I(wd) + ";");
    w.line(T + " sum = 0;");
    w.open("for (int i = 0; i < " + I(kh) + "; ++i)");
    w.line(idx + " ty = iy + " + I(pt) + " - i * " + I(dh) + ";");
    w.line("if (ty < 0 || ty % " + I(sh) + " != 0 || ty / " + I(sh) +
           " >= " + I(ho) + ") continue;");
    w.open("for (int j = 0; j < " + I(kw) + "; ++j)");
    w.line(idx + " tx = ix + " + I(pl) + " - j * " + I(dw) + ";");
    w.line("if (tx < 0 || tx % " + I(sw) + " != 0 || tx / " + I(sw) +
           " >= " + I(wo) + ") continue;");
    w.line("sum += cols[((b * " + I(ho) + " + ty / " + I(sh) + ") * " + I(wo) +
           " + tx / " + I(sw) + ") * " + I(patch) + " + (ci * " + I(kh) +
           " + i) * " + I(kw) + " + j];");
    w.close();
    w.close();
    w.line("x[e] = sum;");
  }
  w.close();
  w.summary = op.col2im() ? "col2im" : "im2col";
  return true;
}

} // namespace dlc::cuda
