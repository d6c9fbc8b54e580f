//===- CublasLt.cpp - GEMMs through cuBLASLt, opened at run time ----------===//

#include "CublasLt.h"
#include "Library.h"

#include <cstring>
#include <map>
#include <vector>

namespace dlc::rt::cuda {

namespace {

// The cuBLASLt ABI this file uses (values from cublasLt.h, cublas_api.h and
// library_types.h of CUDA 12 and 13).
using cublasStatus_t = int;
using cublasLtHandle_t = struct cublasLtContext *;
using cublasLtMatmulDesc_t = struct cublasLtMatmulDescOpaque *;
using cublasLtMatrixLayout_t = struct cublasLtMatrixLayoutOpaque *;
using cublasLtMatmulPreference_t = struct cublasLtMatmulPreferenceOpaque *;
struct cublasLtMatmulAlgo_t {
  uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  cublasStatus_t state;
  float wavesCount;
  int reserved[4];
};
constexpr int CUDA_R_32F = 0, CUDA_R_64F = 1;
constexpr int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
              CUBLAS_COMPUTE_64F = 70;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
constexpr int CUBLASLT_MATMUL_DESC_TRANSA = 3, CUBLASLT_MATMUL_DESC_TRANSB = 4,
              CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
              CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8;
constexpr int CUBLASLT_EPILOGUE_DEFAULT = 1, CUBLASLT_EPILOGUE_BIAS = 4,
              CUBLASLT_EPILOGUE_RELU_BIAS = 6, CUBLASLT_EPILOGUE_GELU_BIAS = 36,
              CUBLASLT_EPILOGUE_BGRADA = 256, CUBLASLT_EPILOGUE_BGRADB = 512;
constexpr int CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
              CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;
constexpr int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;
constexpr size_t kWorkspaceBytes = 32u << 20;

struct LtApi {
  cublasStatus_t (*create)(cublasLtHandle_t *);
  cublasStatus_t (*destroy)(cublasLtHandle_t);
  cublasStatus_t (*descCreate)(cublasLtMatmulDesc_t *, int compute, int scale);
  cublasStatus_t (*descDestroy)(cublasLtMatmulDesc_t);
  cublasStatus_t (*descSet)(cublasLtMatmulDesc_t, int attr, const void *,
                            size_t);
  cublasStatus_t (*layoutCreate)(cublasLtMatrixLayout_t *, int type,
                                 uint64_t rows, uint64_t cols, int64_t ld);
  cublasStatus_t (*layoutDestroy)(cublasLtMatrixLayout_t);
  cublasStatus_t (*layoutSet)(cublasLtMatrixLayout_t, int attr, const void *,
                              size_t);
  cublasStatus_t (*prefCreate)(cublasLtMatmulPreference_t *);
  cublasStatus_t (*prefDestroy)(cublasLtMatmulPreference_t);
  cublasStatus_t (*prefSet)(cublasLtMatmulPreference_t, int attr,
                            const void *, size_t);
  cublasStatus_t (*heuristic)(cublasLtHandle_t, cublasLtMatmulDesc_t,
                              cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
                              cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
                              cublasLtMatmulPreference_t, int requested,
                              cublasLtMatmulHeuristicResult_t *, int *found);
  cublasStatus_t (*matmul)(cublasLtHandle_t, cublasLtMatmulDesc_t,
                           const void *alpha, const void *a,
                           cublasLtMatrixLayout_t, const void *b,
                           cublasLtMatrixLayout_t, const void *beta,
                           const void *c, cublasLtMatrixLayout_t, void *d,
                           cublasLtMatrixLayout_t, const cublasLtMatmulAlgo_t *,
                           void *workspace, size_t workspaceBytes,
                           CUstream stream);
};

/// What a cuBLASLt call is prepared from: a plan GEMM's shape, or the
/// shape of a helper call the runtime makes on its own.
struct GemmShape {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool transA = false, transB = false;
  int64_t strideA = 0, strideB = 0, strideC = 0;
  double alpha = 1, beta = 0;
  plan::Epilogue epilogue = plan::Epilogue::None;

  static GemmShape of(const plan::Gemm &g) {
    return {g.batch(),    g.m(),        g.n(),
            g.k(),        g.trans_a(),  g.trans_b(),
            g.stride_a(), g.stride_b(), g.stride_c(),
            g.alpha(),    g.with_addend() ? 1.0 : g.beta(),
            g.epilogue()};
  }
};

class LtGemm final : public GemmCall {
public:
  LtGemm(const LtApi &api, cublasLtHandle_t handle, CUdeviceptr workspace)
      : api(api), handle(handle), workspace(workspace) {}
  ~LtGemm() override {
    for (cublasLtMatrixLayout_t layout : {layoutA, layoutB, layoutC})
      if (layout)
        api.layoutDestroy(layout);
    if (desc)
      api.descDestroy(desc);
  }

  Status enqueue(CUstream stream, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c,
                 CUdeviceptr bias, CUdeviceptr addend) override {
    // Without the fused epilogue, the bias gradient is ones[1 x K] @ op(B),
    // or op(A) @ ones[K x 1].
    if (biasGrad)
      if (Status s = biasFromA
                         ? biasGrad->enqueue(stream, a, ones, bias, 0, 0)
                         : biasGrad->enqueue(stream, ones, b, bias, 0, 0);
          !s)
        return s;
    if (hasBias)
      api.descSet(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias));
    // Broadcast operands (batch stride 0) run as one call per batch item.
    for (int64_t item = 0; item < calls; ++item) {
      CUdeviceptr ai = a + item * strideA * elementBytes;
      CUdeviceptr bi = b + item * strideB * elementBytes;
      CUdeviceptr ci = c + item * strideC * elementBytes;
      // cuBLASLt's C (read with beta) is the addend where there is one.
      CUdeviceptr input = addend ? addend + item * strideC * elementBytes : ci;
      // Column-major C^T = op(B)^T op(A)^T: B goes first.
      if (cublasStatus_t s = api.matmul(
              handle, desc, alpha.data(), reinterpret_cast<void *>(bi), layoutB,
              reinterpret_cast<void *>(ai), layoutA, beta.data(),
              reinterpret_cast<void *>(input), layoutC,
              reinterpret_cast<void *>(ci), layoutC, &algo,
              reinterpret_cast<void *>(workspace), kWorkspaceBytes, stream))
        return Status::error("cublasLtMatmul failed (cublasStatus " +
                             std::to_string(s) + ")");
    }
    return Status::ok();
  }

  const LtApi &api;
  cublasLtHandle_t handle;
  CUdeviceptr workspace;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t layoutA = nullptr, layoutB = nullptr,
                         layoutC = nullptr;
  cublasLtMatmulAlgo_t algo{};
  std::vector<uint8_t> alpha, beta;
  bool hasBias = false;
  int64_t calls = 1, strideA = 0, strideB = 0, strideC = 0;
  uint64_t elementBytes = 4;
  /// BiasGradB or BiasGradA where cuBLASLt offers no fused algorithm: a
  /// second GEMM, with a vector of ones.
  std::unique_ptr<GemmCall> biasGrad;
  bool biasFromA = false;
  CUdeviceptr ones = 0;
};

class LtLibrary final : public Cublas {
public:
  LtLibrary(const DriverApi &driver) : driver(driver) {}
  ~LtLibrary() override {
    for (const auto &[key, vector] : onesVectors)
      if (vector)
        driver.cuMemFree(vector);
    if (handle)
      api.destroy(handle);
    if (workspace)
      driver.cuMemFree(workspace);
  }

  Expected<std::unique_ptr<GemmCall>> prepare(const plan::Gemm &g,
                                              plan::DType dtype,
                                              Precision precision) override {
    GemmShape shape = GemmShape::of(g);
    Expected<std::unique_ptr<LtGemm>> call = prepareLt(shape, dtype, precision);
    bool fromA = g.epilogue() == plan::Epilogue::BiasGradA;
    if (call || (g.epilogue() != plan::Epilogue::BiasGradB && !fromA))
      return call ? Expected<std::unique_ptr<GemmCall>>(std::move(*call))
                  : Expected<std::unique_ptr<GemmCall>>(call.status());
    // The bias-gradient epilogues have limits of their own (layouts,
    // types); outside them: the plain GEMM and the sums as a GEMM with a
    // vector of ones, ones[1 x K] @ op(B) or op(A) @ ones[K x 1].
    GemmShape plainShape = shape;
    plainShape.epilogue = plan::Epilogue::None;
    GemmShape sumsShape;
    sumsShape.m = fromA ? g.m() : 1;
    sumsShape.n = fromA ? 1 : g.n();
    sumsShape.k = g.k();
    sumsShape.transA = fromA && g.trans_a();
    sumsShape.transB = !fromA && g.trans_b();
    sumsShape.strideC = sumsShape.m * sumsShape.n;
    Expected<std::unique_ptr<LtGemm>> plain =
        prepareLt(plainShape, dtype, precision);
    Expected<std::unique_ptr<LtGemm>> sums =
        prepareLt(sumsShape, dtype, precision);
    if (!plain)
      return plain.status();
    if (!sums)
      return sums.status();
    Expected<CUdeviceptr> ones = onesOf(g.k(), dtype == plan::DType::F64);
    if (!ones)
      return ones.status();
    (*plain)->biasGrad = std::move(*sums);
    (*plain)->biasFromA = fromA;
    (*plain)->ones = *ones;
    return std::unique_ptr<GemmCall>(std::move(*plain));
  }

  /// A device vector of `count` ones, shared by the GEMMs that need one.
  Expected<CUdeviceptr> onesOf(int64_t count, bool f64) {
    CUdeviceptr &vector = onesVectors[{count, f64}];
    if (vector)
      return vector;
    std::vector<uint8_t> host(size_t(count) * (f64 ? 8 : 4));
    for (int64_t i = 0; i < count; ++i) {
      if (f64) {
        double one = 1;
        std::memcpy(host.data() + i * 8, &one, 8);
      } else {
        float one = 1;
        std::memcpy(host.data() + i * 4, &one, 4);
      }
    }
    if (CUresult r = driver.cuMemAlloc(&vector, host.size()))
      return Status::error(errorMessage(driver, "cuMemAlloc (ones)", r));
    if (CUresult r = driver.cuMemcpyHtoD(vector, host.data(), host.size()))
      return Status::error(errorMessage(driver, "cuMemcpyHtoD (ones)", r));
    return vector;
  }

  Expected<std::unique_ptr<LtGemm>> prepareLt(const GemmShape &g,
                                              plan::DType dtype,
                                              Precision precision) {
    bool f64 = dtype == plan::DType::F64;
    if (dtype != plan::DType::F32 && !f64)
      return Status::error("cuBLASLt GEMMs take f32 or f64");
    auto call = std::make_unique<LtGemm>(api, handle, workspace);
    call->elementBytes = f64 ? 8 : 4;
    int type = f64 ? CUDA_R_64F : CUDA_R_32F;
    int compute = f64 ? CUBLAS_COMPUTE_64F
                  : precision == Precision::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                 : CUBLAS_COMPUTE_32F;
    auto scalar = [&](double value) {
      std::vector<uint8_t> bytes(call->elementBytes);
      if (f64) {
        std::memcpy(bytes.data(), &value, 8);
      } else {
        float f = float(value);
        std::memcpy(bytes.data(), &f, 4);
      }
      return bytes;
    };
    call->alpha = scalar(g.alpha);
    call->beta = scalar(g.beta);
    if (api.descCreate(&call->desc, compute, type))
      return Status::error("cublasLtMatmulDescCreate failed");
    // The column-major call's first operand is B.
    int transFirst = g.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    int transSecond = g.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    api.descSet(call->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transFirst,
                sizeof(int));
    api.descSet(call->desc, CUBLASLT_MATMUL_DESC_TRANSB, &transSecond,
                sizeof(int));
    // The column-major call's first operand is our B: our BiasGradB is
    // cuBLASLt's BGRADA, the reduction of its A over K, and our BiasGradA
    // its BGRADB.
    int epilogue = g.epilogue == plan::Epilogue::Bias ? CUBLASLT_EPILOGUE_BIAS
                   : g.epilogue == plan::Epilogue::BiasRelu
                       ? CUBLASLT_EPILOGUE_RELU_BIAS
                   : g.epilogue == plan::Epilogue::BiasGradB
                       ? CUBLASLT_EPILOGUE_BGRADA
                   : g.epilogue == plan::Epilogue::BiasGradA
                       ? CUBLASLT_EPILOGUE_BGRADB
                   // cuBLASLt's GELU is the tanh form.
                   : g.epilogue == plan::Epilogue::BiasGeluTanh
                       ? CUBLASLT_EPILOGUE_GELU_BIAS
                       : CUBLASLT_EPILOGUE_DEFAULT;
    call->hasBias = g.epilogue != plan::Epilogue::None;
    api.descSet(call->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
                sizeof(int));

    uint64_t m = g.m, n = g.n, k = g.k;
    // Row-major B (K x N, or N x K transposed) is column-major N x K / K x N.
    bool ok =
        !api.layoutCreate(&call->layoutB, type, g.transB ? k : n,
                          g.transB ? n : k, g.transB ? k : n) &&
        !api.layoutCreate(&call->layoutA, type, g.transA ? m : k,
                          g.transA ? k : m, g.transA ? m : k) &&
        !api.layoutCreate(&call->layoutC, type, n, m, n);
    if (!ok)
      return Status::error("cublasLtMatrixLayoutCreate failed");
    bool broadcast = g.batch > 1 && (g.strideA == 0 || g.strideB == 0);
    if (g.batch > 1 && !broadcast) {
      int32_t count = int32_t(g.batch);
      int64_t strides[3] = {g.strideB, g.strideA, g.strideC};
      cublasLtMatrixLayout_t layouts[3] = {call->layoutB, call->layoutA,
                                           call->layoutC};
      for (int i = 0; i < 3; ++i) {
        api.layoutSet(layouts[i], CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                      sizeof(count));
        api.layoutSet(layouts[i], CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                      &strides[i], sizeof(int64_t));
      }
    } else if (broadcast) {
      call->calls = g.batch;
      call->strideA = g.strideA;
      call->strideB = g.strideB;
      call->strideC = g.strideC;
    }

    cublasLtMatmulPreference_t preference = nullptr;
    api.prefCreate(&preference);
    uint64_t workspaceBytes = kWorkspaceBytes;
    api.prefSet(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                &workspaceBytes, sizeof(workspaceBytes));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    cublasStatus_t s = api.heuristic(handle, call->desc, call->layoutB,
                                     call->layoutA, call->layoutC,
                                     call->layoutC, preference, 1, &result,
                                     &found);
    api.prefDestroy(preference);
    if (s || found == 0)
      return Status::error(format("cuBLASLt has no algorithm for a %s GEMM "
                                  "%lld x %lld x %lld",
                                  f64 ? "f64" : "f32", (long long)m,
                                  (long long)n, (long long)k));
    call->algo = result.algo;
    return call;
  }

  const DriverApi &driver;
  LtApi api{};
  cublasLtHandle_t handle = nullptr;
  CUdeviceptr workspace = 0;
  std::map<std::pair<int64_t, bool>, CUdeviceptr> onesVectors;
};

} // namespace

Expected<std::unique_ptr<Cublas>> Cublas::create(const DriverApi &driver) {
  auto library = std::make_unique<LtLibrary>(driver);
  LtApi &api = library->api;
  std::string status;
  if (!openLibrary(
          {"libcublasLt.so", "libcublasLt.so.13", "libcublasLt.so.12",
           "/usr/local/cuda/lib64/libcublasLt.so"},
          {symbol(api.create, "cublasLtCreate"),
           symbol(api.destroy, "cublasLtDestroy"),
           symbol(api.descCreate, "cublasLtMatmulDescCreate"),
           symbol(api.descDestroy, "cublasLtMatmulDescDestroy"),
           symbol(api.descSet, "cublasLtMatmulDescSetAttribute"),
           symbol(api.layoutCreate, "cublasLtMatrixLayoutCreate"),
           symbol(api.layoutDestroy, "cublasLtMatrixLayoutDestroy"),
           symbol(api.layoutSet, "cublasLtMatrixLayoutSetAttribute"),
           symbol(api.prefCreate, "cublasLtMatmulPreferenceCreate"),
           symbol(api.prefDestroy, "cublasLtMatmulPreferenceDestroy"),
           symbol(api.prefSet, "cublasLtMatmulPreferenceSetAttribute"),
           symbol(api.heuristic, "cublasLtMatmulAlgoGetHeuristic"),
           symbol(api.matmul, "cublasLtMatmul")},
          status))
    return Status::error("cuBLASLt: " + status);
  if (api.create(&library->handle))
    return Status::error("cublasLtCreate failed");
  if (CUresult r = driver.cuMemAlloc(&library->workspace, kWorkspaceBytes))
    return Status::error(errorMessage(driver, "cuMemAlloc (GEMM workspace)", r));
  return std::unique_ptr<Cublas>(std::move(library));
}

} // namespace dlc::rt::cuda
