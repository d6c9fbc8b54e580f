//===- Gemm.cpp - Matrix products on the CPU ------------------------------===//

#include "CpuKernels.h"

#include <algorithm>
#include <vector>

#if DLC_HAVE_CBLAS
#include <cblas.h>
#endif

namespace dlc::rt::cpu {

namespace {

#if DLC_HAVE_CBLAS
void product(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, const float *b, float beta,
             float *c) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              transA ? m : k, b, transB ? k : n, beta, c, n);
}
void product(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
             double alpha, const double *a, const double *b, double beta,
             double *c) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              transA ? m : k, b, transB ? k : n, beta, c, n);
}
#else
/// Without BLAS: i-k-j loops, which stream rows of B and C.
template <typename T>
void product(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
             T alpha, const T *a, const T *b, T beta, T *c) {
  std::vector<T> row(n);
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), T(0));
    for (int64_t p = 0; p < k; ++p) {
      T aip = transA ? a[p * m + i] : a[i * k + p];
      if (aip == T(0))
        continue;
      if (transB)
        for (int64_t j = 0; j < n; ++j)
          row[j] += aip * b[j * k + p];
      else
        for (int64_t j = 0; j < n; ++j)
          row[j] += aip * b[p * n + j];
    }
    for (int64_t j = 0; j < n; ++j)
      c[i * n + j] = alpha * row[j] + (beta == T(0) ? T(0) : beta * c[i * n + j]);
  }
}
#endif

} // namespace

template <typename T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
          const T *a, const T *b, T beta, T *c) {
  if (m == 0 || n == 0)
    return;
  // BLAS rejects a leading dimension of 0; an empty sum leaves beta * C.
  if (k == 0) {
    for (int64_t i = 0; i < m * n; ++i)
      c[i] = beta == T(0) ? T(0) : beta * c[i];
    return;
  }
  product(transA, transB, m, n, k, alpha, a, b, beta, c);
}
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float,
                          const float *, const float *, float, float *);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double,
                           const double *, const double *, double, double *);

/// The sums over K of each row of a rows x K matrix stored as is, or with
/// `kMajor` as its K x rows transpose: in K order and in double, as
/// reduce_sum sums.
template <typename T>
static void sumsOverK(const T *matrix, int64_t rows, int64_t k, bool kMajor,
                      T *sums) {
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t p = 0; p < k; ++p)
      sum += double(kMajor ? matrix[p * rows + r] : matrix[r * k + p]);
    sums[r] = T(sum);
  }
}

template <typename T>
static void addEpilogue(const plan::Gemm &g, Context &ctx) {
  View b = ctx.view(g.b()), c = ctx.view(g.c());
  if (g.epilogue() == plan::Epilogue::None)
    return;
  // The bias gradients: the sums over K of op(A)'s rows (M x K, stored
  // K x M when transposed) or of op(B)'s columns (op(B)^T is N x K, stored
  // K x N unless B is transposed).
  if (g.epilogue() == plan::Epilogue::BiasGradA) {
    sumsOverK(ctx.view(g.a()).as<T>(), g.m(), g.k(), g.trans_a(),
              ctx.view(g.bias()).as<T>());
    return;
  }
  if (g.epilogue() == plan::Epilogue::BiasGradB) {
    sumsOverK(b.as<T>(), g.n(), g.k(), !g.trans_b(),
              ctx.view(g.bias()).as<T>());
    return;
  }
  const T *bias = ctx.view(g.bias()).as<T>();
  T *out = c.as<T>();
  bool relu = g.epilogue() == plan::Epilogue::BiasRelu;
  bool gelu = g.epilogue() == plan::Epilogue::BiasGeluTanh;
  for (uint64_t i = 0; i < c.count; ++i) {
    T v = out[i] + bias[i % g.n()];
    // As dl.relu: anything not above zero, NaN included, becomes zero. GELU
    // rounds once, from the rounded sum, as the separate kernel did.
    out[i] = relu && !(v > T(0)) ? T(0) : gelu ? T(geluTanh(double(v))) : v;
  }
}

template <typename T> static void runTyped(const plan::Gemm &g, Context &ctx) {
  View a = ctx.view(g.a()), b = ctx.view(g.b()), c = ctx.view(g.c());
  for (int64_t i = 0; i < g.batch(); ++i)
    gemm<T>(g.trans_a(), g.trans_b(), g.m(), g.n(), g.k(), T(g.alpha()),
            a.as<T>() + i * g.stride_a(), b.as<T>() + i * g.stride_b(),
            T(g.beta()), c.as<T>() + i * g.stride_c());
  addEpilogue<T>(g, ctx);
  // The residual is added last, to the rounded product (and bias), as the
  // add the GEMM absorbed did.
  if (g.with_addend()) {
    const T *addend = ctx.view(g.addend()).as<T>();
    T *out = c.as<T>();
    for (uint64_t i = 0; i < c.count; ++i)
      out[i] = addend[i] + out[i];
  }
}

Status runGemm(const plan::Gemm &g, Context &ctx) {
  if (ctx.view(g.c()).dtype == DType::F64)
    runTyped<double>(g, ctx);
  else
    runTyped<float>(g, ctx);
  return Status::ok();
}

} // namespace dlc::rt::cpu
