//===- Tensor.h - Tensors in host memory ------------------------*- C++ -*-===//

#ifndef DLC_TENSOR_H
#define DLC_TENSOR_H

#include "dlc/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc::rt {

/// Element types; the numbering matches the plan format.
enum class DType : uint8_t { F32 = 0, F64, F16, BF16, I32, I64, Bool };

const char *dtypeName(DType dtype); ///< "f32", "i64", "bool", ...
uint64_t dtypeSize(DType dtype);    ///< bytes per element
bool isFloat(DType dtype);

/// One element at `p` as double (exact for every dtype but i64 beyond 2^53).
double loadElement(const uint8_t *p, DType dtype);
/// Stores `value` at `p` converted to `dtype`: floats round to nearest,
/// integers truncate toward zero and saturate (NaN becomes 0), bool is
/// `value != 0`.
void storeElement(uint8_t *p, DType dtype, double value);

/// A dense row-major tensor owned by the host.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  uint64_t numElements() const;
  /// Element `i` converted to double (for printing and comparing).
  double at(uint64_t i) const;
  void set(uint64_t i, double value);
};

/// "[64, 10]".
std::string formatShape(const std::vector<int64_t> &shape);

/// Elements of `shape`, or nullopt when a dimension is negative or the
/// product overflows.
std::optional<uint64_t> checkedNumElements(const std::vector<int64_t> &shape);

/// Compares `actual` with `expected` elementwise: same dtype and shape, and
/// |a - e| <= atol + rtol * |e| with tolerances chosen per dtype (exact for
/// integers and bool). On a mismatch the Status names the first bad index,
/// both values and how many elements differ.
Status compareTensors(const HostTensor &actual, const HostTensor &expected,
                      double rtol = -1, double atol = -1);

/// Half-precision conversions (round to nearest even).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToBfloat16(float value);

} // namespace dlc::rt

#endif // DLC_TENSOR_H
