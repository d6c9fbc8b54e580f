//===- SimCublasLt.cpp - cuBLASLt of the simulated GPU --------------------===//
//
// The cuBLASLt entry points dlrun uses, declared by the toolkit's
// cublasLt.h, computing what NVIDIA documents for them on the CPU: column-
// major matrices, D = epilogue(alpha op(A) op(B) + beta C + bias), C not read
// when beta is 0, strided batches, and the bias-gradient epilogues (BGRADA:
// the rows of op(A) summed over k; BGRADB: the columns of op(B)). Shapes
// that do not fit together are refused as cuBLASLt refuses them, so a
// wrong layout in the caller fails here rather than computing something.
// Sums are in double.
//
//===----------------------------------------------------------------------===//

#include "SimStreams.h"

#include <cublasLt.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

struct cublasLtContext {};

namespace {

struct Desc {
  cublasComputeType_t compute;
  cudaDataType_t scale;
  int32_t transA = CUBLAS_OP_N, transB = CUBLAS_OP_N;
  uint32_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void *bias = nullptr;
};

struct Layout {
  cudaDataType_t type;
  uint64_t rows, cols;
  int64_t ld;
  int32_t batch = 1;
  int64_t stride = 0;
};

// The opaque descriptors are the header's structs; what they describe is
// kept here, by address.
std::map<const void *, Desc> descs;
std::map<const void *, Layout> layouts;

double load(const void *p, bool f64, int64_t index) {
  if (f64)
    return static_cast<const double *>(p)[index];
  return static_cast<const float *>(p)[index];
}

void store(void *p, bool f64, int64_t index, double value) {
  if (f64)
    static_cast<double *>(p)[index] = value;
  else
    static_cast<float *>(p)[index] = float(value);
}

/// op(X)(i, l) of a column-major X, for one batch item.
struct Operand {
  const char *base;
  bool f64, transposed;
  int64_t ld;
  double at(int64_t i, int64_t l) const {
    return load(base, f64, transposed ? l + i * ld : i + l * ld);
  }
};

/// An attribute's value into `field`, when its size is the field's.
template <typename T>
cublasStatus_t setField(T &field, const void *buffer, size_t size) {
  if (size != sizeof(T))
    return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(&field, buffer, size);
  return CUBLAS_STATUS_SUCCESS;
}

double gelu(double x) {
  // cuBLASLt's GELU is the tanh approximation.
  return 0.5 * x *
         (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

} // namespace

extern "C" {

cublasStatus_t cublasLtCreate(cublasLtHandle_t *handle) {
  *handle = new cublasLtContext();
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtDestroy(cublasLtHandle_t handle) {
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *desc,
                                        cublasComputeType_t compute,
                                        cudaDataType_t scale) {
  *desc = new cublasLtMatmulDescOpaque_t();
  descs[*desc] = Desc{compute, scale};
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t desc) {
  descs.erase(desc);
  delete desc;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t desc,
                               cublasLtMatmulDescAttributes_t attribute,
                               const void *buffer, size_t size) {
  Desc &d = descs.at(desc);
  switch (attribute) {
  case CUBLASLT_MATMUL_DESC_TRANSA: return setField(d.transA, buffer, size);
  case CUBLASLT_MATMUL_DESC_TRANSB: return setField(d.transB, buffer, size);
  case CUBLASLT_MATMUL_DESC_EPILOGUE: return setField(d.epilogue, buffer, size);
  case CUBLASLT_MATMUL_DESC_BIAS_POINTER: return setField(d.bias, buffer, size);
  default:
    return CUBLAS_STATUS_NOT_SUPPORTED; // nothing dlrun sets
  }
}

cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *layout,
                                          cudaDataType type, uint64_t rows,
                                          uint64_t cols, int64_t ld) {
  if (type != CUDA_R_32F && type != CUDA_R_64F)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  // Column-major: a column's rows must fit in the leading dimension.
  if (ld < int64_t(rows) || ld < 1)
    return CUBLAS_STATUS_INVALID_VALUE;
  *layout = new cublasLtMatrixLayoutOpaque_t();
  layouts[*layout] = Layout{type, rows, cols, ld};
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t layout) {
  layouts.erase(layout);
  delete layout;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t layout,
                                 cublasLtMatrixLayoutAttribute_t attribute,
                                 const void *buffer, size_t size) {
  Layout &l = layouts.at(layout);
  switch (attribute) {
  case CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT:
    if (cublasStatus_t s = setField(l.batch, buffer, size))
      return s;
    return l.batch >= 1 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
  case CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET:
    return setField(l.stride, buffer, size);
  default:
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t
cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *preference) {
  *preference = new cublasLtMatmulPreferenceOpaque_t();
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t preference) {
  delete preference;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulPreferenceSetAttribute(
    cublasLtMatmulPreference_t, cublasLtMatmulPreferenceAttributes_t,
    const void *, size_t) {
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t,
    cublasLtMatrixLayout_t, cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
    cublasLtMatmulPreference_t, int requested,
    cublasLtMatmulHeuristicResult_t results[], int *found) {
  if (requested < 1)
    return CUBLAS_STATUS_INVALID_VALUE;
  results[0] = cublasLtMatmulHeuristicResult_t{};
  results[0].state = CUBLAS_STATUS_SUCCESS;
  *found = 1;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmul(cublasLtHandle_t, cublasLtMatmulDesc_t desc,
                              const void *alpha, const void *a,
                              cublasLtMatrixLayout_t aDesc, const void *b,
                              cublasLtMatrixLayout_t bDesc, const void *beta,
                              const void *c, cublasLtMatrixLayout_t cDesc,
                              void *d, cublasLtMatrixLayout_t dDesc,
                              const cublasLtMatmulAlgo_t *, void *, size_t,
                              cudaStream_t stream) {
  const Desc op = descs.at(desc);
  const Layout la = layouts.at(aDesc), lb = layouts.at(bDesc),
               lc = layouts.at(cDesc), ld = layouts.at(dDesc);
  bool f64 = ld.type == CUDA_R_64F;
  if (la.type != ld.type || lb.type != ld.type || lc.type != ld.type ||
      (op.scale == CUDA_R_64F) != f64)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  bool ta = op.transA == CUBLAS_OP_T, tb = op.transB == CUBLAS_OP_T;
  int64_t m = int64_t(ld.rows), n = int64_t(ld.cols);
  int64_t k = int64_t(ta ? la.rows : la.cols);
  // op(A) is m x k, op(B) k x n, C and D m x n.
  if (int64_t(ta ? la.cols : la.rows) != m ||
      int64_t(tb ? lb.cols : lb.rows) != k ||
      int64_t(tb ? lb.rows : lb.cols) != n || lc.rows != ld.rows ||
      lc.cols != ld.cols)
    return CUBLAS_STATUS_INVALID_VALUE;
  int32_t batch = ld.batch;
  if (la.batch != batch || lb.batch != batch || lc.batch != batch)
    return CUBLAS_STATUS_INVALID_VALUE;
  uint32_t epilogue = op.epilogue;
  bool addBias = epilogue & CUBLASLT_EPILOGUE_BIAS;
  bool relu = epilogue & CUBLASLT_EPILOGUE_RELU;
  bool geluOut = epilogue & CUBLASLT_EPILOGUE_GELU;
  bool gradA = epilogue == CUBLASLT_EPILOGUE_BGRADA;
  bool gradB = epilogue == CUBLASLT_EPILOGUE_BGRADB;
  if (!gradA && !gradB && (epilogue & ~uint32_t(CUBLASLT_EPILOGUE_DEFAULT |
                                                 CUBLASLT_EPILOGUE_BIAS |
                                                 CUBLASLT_EPILOGUE_RELU |
                                                 CUBLASLT_EPILOGUE_GELU)))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  if ((addBias || gradA || gradB) && !op.bias)
    return CUBLAS_STATUS_INVALID_VALUE;
  if ((gradA || gradB) && batch != 1)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  double alphaValue = load(alpha, f64, 0), betaValue = load(beta, f64, 0);
  size_t bytes = f64 ? 8 : 4;

  // The scalars and descriptors are read now, as cuBLASLt reads them.
  dlc_sim::enqueue(stream, [=] {
    for (int32_t item = 0; item < batch; ++item) {
      Operand A{static_cast<const char *>(a) + item * la.stride * bytes, f64,
                ta, la.ld};
      Operand B{static_cast<const char *>(b) + item * lb.stride * bytes, f64,
                tb, lb.ld};
      const char *C = static_cast<const char *>(c) + item * lc.stride * bytes;
      char *D = static_cast<char *>(d) + item * ld.stride * bytes;
      // op(A) by rows and op(B) by columns, in double: the dot products
      // below then walk contiguous memory.
      std::vector<double> rowsA(size_t(m * k)), columnsB(size_t(n * k));
      for (int64_t i = 0; i < m; ++i)
        for (int64_t l = 0; l < k; ++l)
          rowsA[size_t(i * k + l)] = A.at(i, l);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t l = 0; l < k; ++l)
          columnsB[size_t(j * k + l)] = B.at(l, j);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < m; ++i) {
          const double *x = &rowsA[size_t(i * k)], *y = &columnsB[size_t(j * k)];
          double sum = 0;
          for (int64_t l = 0; l < k; ++l)
            sum += x[l] * y[l];
          double value = alphaValue * sum;
          if (betaValue != 0)
            value += betaValue * load(C, f64, i + j * lc.ld);
          if (addBias)
            value += load(op.bias, f64, i);
          if (relu)
            value = value > 0 ? value : 0;
          if (geluOut)
            value = gelu(value);
          store(D, f64, i + j * ld.ld, value);
        }
      if (gradA)
        for (int64_t i = 0; i < m; ++i) {
          double sum = 0;
          for (int64_t l = 0; l < k; ++l)
            sum += rowsA[size_t(i * k + l)];
          store(const_cast<void *>(op.bias), f64, i, sum);
        }
      if (gradB)
        for (int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (int64_t l = 0; l < k; ++l)
            sum += columnsB[size_t(j * k + l)];
          store(const_cast<void *>(op.bias), f64, j, sum);
        }
    }
    return std::string();
  });
  return CUBLAS_STATUS_SUCCESS;
}

} // extern "C"
