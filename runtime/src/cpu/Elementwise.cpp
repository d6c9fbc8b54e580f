//===- Elementwise.cpp - The elementwise instruction interpreter ----------===//
//
// Runs a program of elementwise instructions over blocks of output elements:
// each register holds one block of values as double, each instruction is one
// loop over the block. An instruction whose dtype is narrower than double
// rounds its result to that type, so every intermediate value is what the
// same computation in the declared types gives (correctly rounded for +, -,
// *, / and sqrt, which double rounding does not disturb).
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"
#include "Philox.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace dlc::rt::cpu {

namespace {

constexpr int64_t kBlock = 512;

/// The value `v` takes in `dtype`: what storing and reloading it gives.
double roundTo(double v, DType dtype) {
  uint8_t element[8];
  storeElement(element, dtype, v);
  return loadElement(element, dtype);
}

/// `n` elements of `view` from `start` into `out`: typed loops for the common
/// float types, the generic load otherwise.
void loadBlock(const View &view, uint64_t start, int64_t n, double *out) {
  if (view.dtype == DType::F32) {
    const float *p = view.as<float>() + start;
    for (int64_t e = 0; e < n; ++e)
      out[e] = p[e];
  } else if (view.dtype == DType::F64) {
    std::memcpy(out, view.as<double>() + start, n * sizeof(double));
  } else if (view.dtype == DType::Bool) {
    const uint8_t *p = view.data + start;
    for (int64_t e = 0; e < n; ++e)
      out[e] = p[e] ? 1.0 : 0.0;
  } else {
    size_t bytes = dtypeSize(view.dtype);
    for (int64_t e = 0; e < n; ++e)
      out[e] = loadElement(view.data + (start + e) * bytes, view.dtype);
  }
}

void storeBlock(const View &view, uint64_t start, int64_t n, const double *in) {
  if (view.dtype == DType::F32) {
    float *p = view.as<float>() + start;
    for (int64_t e = 0; e < n; ++e)
      p[e] = float(in[e]);
  } else if (view.dtype == DType::F64) {
    std::memcpy(view.as<double>() + start, in, n * sizeof(double));
  } else if (view.dtype == DType::Bool) {
    uint8_t *p = view.data + start;
    for (int64_t e = 0; e < n; ++e)
      p[e] = in[e] != 0;
  } else {
    size_t bytes = dtypeSize(view.dtype);
    for (int64_t e = 0; e < n; ++e)
      storeElement(view.data + (start + e) * bytes, view.dtype, in[e]);
  }
}

/// Element `offset` of `view`.
inline double loadAt(const View &view, int64_t offset) {
  if (view.dtype == DType::F32)
    return view.as<float>()[offset];
  return loadElement(view.data + offset * dtypeSize(view.dtype), view.dtype);
}

void roundBlock(double *r, int64_t n, DType dtype) {
  if (dtype == DType::F64)
    return;
  if (dtype == DType::F32) {
    for (int64_t e = 0; e < n; ++e)
      r[e] = double(float(r[e]));
    return;
  }
  // Comparisons' results: what storing and reloading a bool gives.
  if (dtype == DType::Bool) {
    for (int64_t e = 0; e < n; ++e)
      r[e] = r[e] != 0 ? 1.0 : 0.0;
    return;
  }
  for (int64_t e = 0; e < n; ++e)
    r[e] = roundTo(r[e], dtype);
}

bool isInteger(DType dtype) {
  return dtype == DType::I32 || dtype == DType::I64 || dtype == DType::Bool;
}

double geluErf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

} // namespace

double geluTanh(double x) {
  const double c = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

Status runElementwise(const plan::Elementwise &op, Context &ctx) {
  std::vector<View> outputs;
  for (uint32_t index : *op.outputs())
    outputs.push_back(ctx.view(index));
  return runProgram(op, ctx, outputs);
}

Status runProgram(const plan::Elementwise &op, Context &ctx,
                  const std::vector<View> &outputs, const View *first) {
  const std::vector<int64_t> &outShape = outputs[0].shape;
  size_t rank = outShape.size();
  uint64_t total = outputs[0].count;

  // Per input: its view, its first element and its strides over the
  // output's dimensions (0 where it broadcasts), from the plan's input view
  // where it has one.
  std::vector<View> inputs;
  std::vector<std::vector<int64_t>> inStrides;
  std::vector<int64_t> inOffsets;
  // Inputs of the output's own shape, read in order, load at its index.
  std::vector<bool> dense;
  const auto *views = op.views() && op.views()->size() ? op.views() : nullptr;
  for (uint32_t i = 0; i < op.inputs()->size(); ++i) {
    View in = i == 0 && first ? *first : ctx.view(op.inputs()->Get(i));
    const plan::InputView *view = views ? views->Get(i) : nullptr;
    std::vector<int64_t> strides(rank, 0);
    if (view && view->strides()) {
      strides.assign(view->strides()->begin(), view->strides()->end());
      inOffsets.push_back(view->offset());
      dense.push_back(false);
    } else {
      std::vector<int64_t> own = stridesOf(in.shape);
      for (size_t d = 0; d < in.shape.size(); ++d) {
        size_t od = rank - in.shape.size() + d;
        strides[od] = in.shape[d] == 1 && outShape[od] != 1 ? 0 : own[d];
      }
      inOffsets.push_back(0);
      dense.push_back(in.shape == outShape);
    }
    inputs.push_back(std::move(in));
    inStrides.push_back(std::move(strides));
  }
  size_t numInputs = inputs.size();
  size_t numRegisters = numInputs + op.code()->size();
  std::vector<double> regs(numRegisters * kBlock);
  // Inputs that read one element for all (scalars: an optimizer's learning
  // rate and step) fill their register once; the other broadcast or viewed
  // inputs walk their offsets along with the output's multi-index.
  std::vector<size_t> walking;
  for (size_t r = 0; r < numInputs; ++r) {
    if (dense[r])
      continue;
    if (std::all_of(inStrides[r].begin(), inStrides[r].end(),
                    [](int64_t s) { return s == 0; }))
      std::fill_n(&regs[r * kBlock], kBlock, loadAt(inputs[r], inOffsets[r]));
    else
      walking.push_back(r);
  }
  std::vector<int64_t> index(rank, 0); // the multi-index of the block start
  std::vector<int64_t> offsets(walking.size());

  for (uint64_t start = 0; start < total; start += kBlock) {
    int64_t n = int64_t(std::min<uint64_t>(kBlock, total - start));
    // Inputs of the output's shape load as one typed loop each.
    for (size_t r = 0; r < numInputs; ++r)
      if (dense[r])
        loadBlock(inputs[r], start, n, &regs[r * kBlock]);
    if (!walking.empty()) {
      for (size_t k = 0; k < walking.size(); ++k) {
        size_t r = walking[k];
        offsets[k] = inOffsets[r];
        for (size_t d = 0; d < rank; ++d)
          offsets[k] += index[d] * inStrides[r][d];
      }
      for (int64_t e = 0; e < n; ++e) {
        for (size_t k = 0; k < walking.size(); ++k)
          regs[walking[k] * kBlock + e] = loadAt(inputs[walking[k]], offsets[k]);
        // The next element: the last dimension first, carrying over.
        for (size_t d = rank; d-- > 0;) {
          bool carry = ++index[d] == outShape[d];
          for (size_t k = 0; k < walking.size(); ++k)
            offsets[k] += inStrides[walking[k]][d] *
                          (carry ? 1 - outShape[d] : 1);
          if (!carry)
            break;
          index[d] = 0;
        }
      }
    }

    size_t reg = numInputs;
    for (const plan::Instr *instr : *op.code()) {
      double *r = &regs[reg * kBlock];
      const double *a = &regs[instr->a() * kBlock];
      const double *b = &regs[std::min<size_t>(instr->b(), reg) * kBlock];
      const double *c = &regs[std::min<size_t>(instr->c(), reg) * kBlock];
      DType dtype = toDType(instr->dtype());
      bool integer = isInteger(dtype);
      double imm = instr->imm();
      switch (instr->op()) {
      case plan::ElemOp::Add: for (int64_t e = 0; e < n; ++e) r[e] = a[e] + b[e]; break;
      case plan::ElemOp::Sub: for (int64_t e = 0; e < n; ++e) r[e] = a[e] - b[e]; break;
      case plan::ElemOp::Mul: for (int64_t e = 0; e < n; ++e) r[e] = a[e] * b[e]; break;
      case plan::ElemOp::Div:
        if (integer) {
          for (int64_t e = 0; e < n; ++e) {
            if (b[e] == 0)
              return Status::error("integer division by zero");
            r[e] = std::trunc(a[e] / b[e]);
          }
        } else {
          for (int64_t e = 0; e < n; ++e) r[e] = a[e] / b[e];
        }
        break;
      case plan::ElemOp::Pow: for (int64_t e = 0; e < n; ++e) r[e] = std::pow(a[e], b[e]); break;
      case plan::ElemOp::Max:
        for (int64_t e = 0; e < n; ++e)
          r[e] = std::isnan(a[e]) || std::isnan(b[e]) ? NAN : std::max(a[e], b[e]);
        break;
      case plan::ElemOp::Min:
        for (int64_t e = 0; e < n; ++e)
          r[e] = std::isnan(a[e]) || std::isnan(b[e]) ? NAN : std::min(a[e], b[e]);
        break;
      case plan::ElemOp::Neg: for (int64_t e = 0; e < n; ++e) r[e] = -a[e]; break;
      case plan::ElemOp::Abs: for (int64_t e = 0; e < n; ++e) r[e] = std::fabs(a[e]); break;
      case plan::ElemOp::Exp: for (int64_t e = 0; e < n; ++e) r[e] = std::exp(a[e]); break;
      case plan::ElemOp::Log: for (int64_t e = 0; e < n; ++e) r[e] = std::log(a[e]); break;
      case plan::ElemOp::Sqrt: for (int64_t e = 0; e < n; ++e) r[e] = std::sqrt(a[e]); break;
      case plan::ElemOp::Rsqrt: for (int64_t e = 0; e < n; ++e) r[e] = 1.0 / std::sqrt(a[e]); break;
      case plan::ElemOp::Tanh: for (int64_t e = 0; e < n; ++e) r[e] = std::tanh(a[e]); break;
      case plan::ElemOp::Sigmoid: for (int64_t e = 0; e < n; ++e) r[e] = 1.0 / (1.0 + std::exp(-a[e])); break;
      case plan::ElemOp::Floor: for (int64_t e = 0; e < n; ++e) r[e] = std::floor(a[e]); break;
      case plan::ElemOp::Cos: for (int64_t e = 0; e < n; ++e) r[e] = std::cos(a[e]); break;
      case plan::ElemOp::Sin: for (int64_t e = 0; e < n; ++e) r[e] = std::sin(a[e]); break;
      case plan::ElemOp::Tan: for (int64_t e = 0; e < n; ++e) r[e] = std::tan(a[e]); break;
      case plan::ElemOp::Asin: for (int64_t e = 0; e < n; ++e) r[e] = std::asin(a[e]); break;
      case plan::ElemOp::Acos: for (int64_t e = 0; e < n; ++e) r[e] = std::acos(a[e]); break;
      case plan::ElemOp::Atan: for (int64_t e = 0; e < n; ++e) r[e] = std::atan(a[e]); break;
      case plan::ElemOp::Sinh: for (int64_t e = 0; e < n; ++e) r[e] = std::sinh(a[e]); break;
      case plan::ElemOp::Cosh: for (int64_t e = 0; e < n; ++e) r[e] = std::cosh(a[e]); break;
      case plan::ElemOp::Asinh: for (int64_t e = 0; e < n; ++e) r[e] = std::asinh(a[e]); break;
      case plan::ElemOp::Acosh: for (int64_t e = 0; e < n; ++e) r[e] = std::acosh(a[e]); break;
      case plan::ElemOp::Atanh: for (int64_t e = 0; e < n; ++e) r[e] = std::atanh(a[e]); break;
      case plan::ElemOp::Erf: for (int64_t e = 0; e < n; ++e) r[e] = std::erf(a[e]); break;
      // The default rounding mode rounds ties to even.
      case plan::ElemOp::Round: for (int64_t e = 0; e < n; ++e) r[e] = std::nearbyint(a[e]); break;
      case plan::ElemOp::IsNan: for (int64_t e = 0; e < n; ++e) r[e] = std::isnan(a[e]); break;
      case plan::ElemOp::IsInf: for (int64_t e = 0; e < n; ++e) r[e] = std::isinf(a[e]); break;
      case plan::ElemOp::Relu: for (int64_t e = 0; e < n; ++e) r[e] = a[e] > 0 ? a[e] : 0.0; break;
      case plan::ElemOp::GeluErf: for (int64_t e = 0; e < n; ++e) r[e] = geluErf(a[e]); break;
      case plan::ElemOp::GeluTanh: for (int64_t e = 0; e < n; ++e) r[e] = geluTanh(a[e]); break;
      case plan::ElemOp::CmpEq: for (int64_t e = 0; e < n; ++e) r[e] = a[e] == b[e]; break;
      case plan::ElemOp::CmpNe: for (int64_t e = 0; e < n; ++e) r[e] = a[e] != b[e]; break;
      case plan::ElemOp::CmpLt: for (int64_t e = 0; e < n; ++e) r[e] = a[e] < b[e]; break;
      case plan::ElemOp::CmpLe: for (int64_t e = 0; e < n; ++e) r[e] = a[e] <= b[e]; break;
      case plan::ElemOp::CmpGt: for (int64_t e = 0; e < n; ++e) r[e] = a[e] > b[e]; break;
      case plan::ElemOp::CmpGe: for (int64_t e = 0; e < n; ++e) r[e] = a[e] >= b[e]; break;
      case plan::ElemOp::Select: for (int64_t e = 0; e < n; ++e) r[e] = a[e] != 0 ? b[e] : c[e]; break;
      case plan::ElemOp::Cast: for (int64_t e = 0; e < n; ++e) r[e] = a[e]; break;
      case plan::ElemOp::Const: for (int64_t e = 0; e < n; ++e) r[e] = imm; break;
      case plan::ElemOp::Dropout: {
        double scale = imm < 1 ? 1.0 / (1.0 - imm) : 0.0;
        for (int64_t e = 0; e < n; ++e)
          r[e] = dropoutKeeps(uint64_t(instr->iarg()), ctx.step, start + e, imm)
                     ? a[e] * scale
                     : 0.0;
        break;
      }
      default:
        return Status::error("unknown elementwise instruction");
      }
      // Integer results truncate; every result takes its type's precision.
      if (integer && instr->op() != plan::ElemOp::Div)
        for (int64_t e = 0; e < n; ++e)
          r[e] = std::isnan(r[e]) ? 0 : r[e];
      roundBlock(r, n, dtype);
      ++reg;
    }

    for (size_t o = 0; o < outputs.size(); ++o) {
      const double *r = &regs[op.results()->Get(o) * kBlock];
      storeBlock(outputs[o], start, n, r);
    }
  }
  return Status::ok();
}

} // namespace dlc::rt::cpu
