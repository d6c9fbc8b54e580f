//===- Tensor.cpp - Tensors in host memory --------------------------------===//

#include "dlc/Tensor.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace dlc::rt {

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::Bool: return "bool";
  }
  return "?";
}

uint64_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::Bool:
    return 1;
  }
  return 1;
}

bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64 || dtype == DType::F16 ||
         dtype == DType::BF16;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else { // subnormal: normalize
      int shift = 0;
      while (!(mantissa & 0x400)) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3ff;
      bits = sign | uint32_t(127 - 15 - shift + 1) << 23 | mantissa << 13;
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000 | mantissa << 13;
  } else {
    bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
  }
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

uint16_t floatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint16_t sign = (bits >> 16) & 0x8000;
  uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude >= 0x7f800000) // inf or nan
    return sign | 0x7c00 | (magnitude > 0x7f800000 ? 0x200 : 0);
  if (magnitude >= 0x477ff000) // rounds to inf
    return sign | 0x7c00;
  if (magnitude < 0x38800000) { // subnormal or zero in half
    float f;
    std::memcpy(&f, &magnitude, 4);
    // Scale so the half subnormal unit is 1, then round to nearest even.
    float scaled = f * 16777216.0f; // 2^24
    return sign | uint16_t(std::nearbyint(scaled));
  }
  uint32_t rounded = magnitude + 0xfff + ((magnitude >> 13) & 1);
  return sign | uint16_t((rounded - 0x38000000) >> 13);
}

float bfloat16ToFloat(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float result;
  std::memcpy(&result, &wide, 4);
  return result;
}

uint16_t floatToBfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffff) > 0x7f800000)
    return uint16_t(bits >> 16) | 0x40;
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

std::optional<uint64_t> checkedNumElements(const std::vector<int64_t> &shape) {
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return std::nullopt;
    if (dim != 0 && count > (uint64_t(1) << 62) / uint64_t(dim))
      return std::nullopt;
    count *= uint64_t(dim);
  }
  return count;
}

uint64_t HostTensor::numElements() const {
  return checkedNumElements(shape).value_or(0);
}

namespace {

/// A C cast that saturates instead of invoking undefined behaviour on
/// out-of-range values.
template <typename I> I toInteger(double v) {
  if (std::isnan(v))
    return 0;
  constexpr double lo = double(std::numeric_limits<I>::min());
  constexpr double hi = double(std::numeric_limits<I>::max());
  if (v <= lo)
    return std::numeric_limits<I>::min();
  if (v >= hi)
    return std::numeric_limits<I>::max();
  return I(v);
}

} // namespace

double loadElement(const uint8_t *p, DType dtype) {
  switch (dtype) {
  case DType::F32: { float v; std::memcpy(&v, p, 4); return v; }
  case DType::F64: { double v; std::memcpy(&v, p, 8); return v; }
  case DType::F16: { uint16_t v; std::memcpy(&v, p, 2); return halfToFloat(v); }
  case DType::BF16: { uint16_t v; std::memcpy(&v, p, 2); return bfloat16ToFloat(v); }
  case DType::I32: { int32_t v; std::memcpy(&v, p, 4); return v; }
  case DType::I64: { int64_t v; std::memcpy(&v, p, 8); return double(v); }
  case DType::Bool: return *p ? 1.0 : 0.0;
  }
  return 0;
}

void storeElement(uint8_t *p, DType dtype, double value) {
  switch (dtype) {
  case DType::F32: { float v = float(value); std::memcpy(p, &v, 4); return; }
  case DType::F64: std::memcpy(p, &value, 8); return;
  case DType::F16: { uint16_t v = floatToHalf(float(value)); std::memcpy(p, &v, 2); return; }
  case DType::BF16: { uint16_t v = floatToBfloat16(float(value)); std::memcpy(p, &v, 2); return; }
  case DType::I32: { int32_t v = toInteger<int32_t>(value); std::memcpy(p, &v, 4); return; }
  case DType::I64: { int64_t v = toInteger<int64_t>(value); std::memcpy(p, &v, 8); return; }
  case DType::Bool: *p = value != 0; return;
  }
}

double HostTensor::at(uint64_t i) const {
  return loadElement(data.data() + i * dtypeSize(dtype), dtype);
}

void HostTensor::set(uint64_t i, double value) {
  storeElement(data.data() + i * dtypeSize(dtype), dtype, value);
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

Status compareTensors(const HostTensor &actual, const HostTensor &expected,
                      double rtol, double atol) {
  if (actual.dtype != expected.dtype)
    return Status::error(format("dtype %s, expected %s",
                                dtypeName(actual.dtype),
                                dtypeName(expected.dtype)));
  if (actual.shape != expected.shape)
    return Status::error("shape " + formatShape(actual.shape) + ", expected " +
                         formatShape(expected.shape));
  // Defaults: a few ulps of accumulated rounding for each float width.
  if (rtol < 0)
    rtol = actual.dtype == DType::F64   ? 1e-9
           : actual.dtype == DType::F32 ? 1e-4
           : actual.dtype == DType::F16 ? 1e-2
           : actual.dtype == DType::BF16 ? 2e-2
                                         : 0;
  if (atol < 0)
    atol = actual.dtype == DType::F64   ? 1e-12
           : actual.dtype == DType::F32 ? 1e-5
           : isFloat(actual.dtype)      ? 1e-3
                                        : 0;
  uint64_t bad = 0, first = 0;
  double worst = 0;
  for (uint64_t i = 0, n = actual.numElements(); i < n; ++i) {
    double a = actual.at(i), e = expected.at(i);
    bool same = (std::isnan(a) && std::isnan(e)) || a == e ||
                std::fabs(a - e) <= atol + rtol * std::fabs(e);
    if (!same) {
      if (!bad++)
        first = i;
      worst = std::max(worst, std::fabs(a - e));
    }
  }
  if (!bad)
    return Status::ok();
  return Status::error(format(
      "%llu of %llu elements differ (rtol %g, atol %g); first at index %llu: "
      "%.9g, expected %.9g; largest difference %.3g",
      (unsigned long long)bad, (unsigned long long)actual.numElements(), rtol,
      atol, (unsigned long long)first, actual.at(first), expected.at(first),
      worst));
}

} // namespace dlc::rt
