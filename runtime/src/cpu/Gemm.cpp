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

template <typename T>
static void addEpilogue(const plan::Gemm &g, Context &ctx) {
  View b = ctx.view(g.b()), c = ctx.view(g.c());
  if (g.epilogue() == plan::Epilogue::None)
    return;
  if (g.epilogue() == plan::Epilogue::BiasGradA) {
    // Row sums of op(A) over K, in K order and in double as reduce_sum.
    const T *av = ctx.view(g.a()).as<T>();
    T *sums = ctx.view(g.bias()).as<T>();
    for (int64_t i = 0; i < g.m(); ++i) {
      double sum = 0;
      for (int64_t p = 0; p < g.k(); ++p)
        sum += double(g.trans_a() ? av[p * g.m() + i] : av[i * g.k() + p]);
      sums[i] = T(sum);
    }
    return;
  }
  if (g.epilogue() == plan::Epilogue::BiasGradB) {
    // Column sums of op(B) over K, accumulated in double as reduce_sum does.
    const T *bv = b.as<T>();
    T *sums = ctx.view(g.bias()).as<T>();
    for (int64_t j = 0; j < g.n(); ++j) {
      double sum = 0;
      for (int64_t p = 0; p < g.k(); ++p)
        sum += double(g.trans_b() ? bv[j * g.k() + p] : bv[p * g.n() + j]);
      sums[j] = T(sum);
    }
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
