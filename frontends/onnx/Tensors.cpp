//===- Tensors.cpp - ONNX tensors into MLIR attributes --------------------===//
//
// A TensorProto's data comes inline (raw_data or one of the typed repeated
// fields) or from a file beside the model. Every size is checked against the
// data actually present before anything is allocated, and external files are
// read only from inside the model's directory.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using ::onnx::TensorProto;

namespace dlc::onnx {

Type elementTypeOf(MLIRContext &context, int32_t onnxType) {
  Builder b(&context);
  switch (onnxType) {
  case TensorProto::FLOAT: return b.getF32Type();
  case TensorProto::DOUBLE: return b.getF64Type();
  case TensorProto::FLOAT16: return b.getF16Type();
  case TensorProto::BFLOAT16: return b.getBF16Type();
  case TensorProto::INT32: return b.getIntegerType(32);
  case TensorProto::INT64: return b.getIntegerType(64);
  case TensorProto::BOOL: return b.getI1Type();
  default: return nullptr;
  }
}

std::string onnxTypeName(int32_t onnxType) {
  if (TensorProto::DataType_IsValid(onnxType))
    return TensorProto::DataType_Name(
        static_cast<TensorProto::DataType>(onnxType));
  return "type " + std::to_string(onnxType);
}

namespace {

/// Limits on what one tensor in a model may claim, so a small hostile file
/// cannot make us allocate gigabytes: 2^31 elements, rank 16.
constexpr uint64_t kMaxElements = uint64_t(1) << 31;
constexpr int kMaxRank = 16;

/// Reads `length` bytes at `offset` of `location`, a path relative to the
/// model's directory that must resolve (symlinks included) inside it.
FailureOr<std::vector<char>> readExternal(StringRef modelDir,
                                          StringRef location, uint64_t offset,
                                          std::optional<uint64_t> length,
                                          std::string &error) {
  if (location.empty() || llvm::sys::path::is_absolute(location) ||
      llvm::any_of(llvm::make_range(llvm::sys::path::begin(location),
                                    llvm::sys::path::end(location)),
                   [](StringRef part) { return part == ".."; })) {
    error = "external data location '" + location.str() +
            "' must be a relative path inside the model's directory";
    return failure();
  }
  SmallString<256> dir, path;
  if (llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, dir)) {
    error = "cannot resolve the model's directory '" + modelDir.str() + "'";
    return failure();
  }
  SmallString<256> joined(dir);
  llvm::sys::path::append(joined, location);
  if (llvm::sys::fs::real_path(joined, path)) {
    error = "external data file '" + location.str() + "' cannot be opened";
    return failure();
  }
  StringRef resolved = path;
  if (!resolved.starts_with(dir) || resolved.size() <= dir.size() ||
      !llvm::sys::path::is_separator(resolved[dir.size()])) {
    error = "external data location '" + location.str() +
            "' leaves the model's directory (through a symlink)";
    return failure();
  }
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    error = "cannot read external data '" + location.str() +
            "': " + file.getError().message();
    return failure();
  }
  uint64_t size = (*file)->getBufferSize();
  uint64_t want = length ? *length : (offset <= size ? size - offset : 0);
  if (offset > size || want > size - offset) {
    error = "external data '" + location.str() + "' holds " +
            std::to_string(size) + " bytes, the tensor needs " +
            std::to_string(want) + " at offset " + std::to_string(offset);
    return failure();
  }
  const char *start = (*file)->getBufferStart() + offset;
  return std::vector<char>(start, start + want);
}

/// The typed repeated field's elements as little-endian bytes of the
/// element type (ONNX stores 16-bit floats and small integers in int32_data).
std::vector<char> typedFieldBytes(const TensorProto &t, uint64_t elemBytes) {
  std::vector<char> bytes;
  auto append = [&](const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    bytes.insert(bytes.end(), c, c + n);
  };
  switch (t.data_type()) {
  case TensorProto::FLOAT:
    for (float v : t.float_data()) append(&v, 4);
    break;
  case TensorProto::DOUBLE:
    for (double v : t.double_data()) append(&v, 8);
    break;
  case TensorProto::INT64:
    for (int64_t v : t.int64_data()) append(&v, 8);
    break;
  default: // INT32, FLOAT16, BFLOAT16, BOOL: one int32 per element.
    for (int32_t v : t.int32_data()) append(&v, elemBytes);
    break;
  }
  return bytes;
}

} // namespace

FailureOr<DenseElementsAttr> readTensor(const TensorProto &t,
                                        StringRef modelDir,
                                        MLIRContext &context,
                                        std::string &error) {
  Type elementType = elementTypeOf(context, t.data_type());
  if (!elementType) {
    error = "element type " + onnxTypeName(t.data_type()) + " is not supported";
    return failure();
  }
  if (t.dims_size() > kMaxRank) {
    error = "rank " + std::to_string(t.dims_size()) + " exceeds " +
            std::to_string(kMaxRank);
    return failure();
  }
  SmallVector<int64_t> shape;
  uint64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) {
      error = "negative dimension " + std::to_string(d);
      return failure();
    }
    if (d != 0 && count > kMaxElements / uint64_t(d)) {
      error = "more than 2^31 elements";
      return failure();
    }
    count *= uint64_t(d);
    shape.push_back(d);
  }
  bool isBool = elementType.isInteger(1);
  uint64_t elemBytes = isBool ? 1 : elementType.getIntOrFloatBitWidth() / 8;

  std::vector<char> bytes;
  if (t.data_location() == TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
    for (const auto &entry : t.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset" || entry.key() == "length") {
        char *end = nullptr;
        unsigned long long v = std::strtoull(entry.value().c_str(), &end, 10);
        if (entry.value().empty() || *end) {
          error = "external data " + entry.key() + " '" + entry.value() +
                  "' is not a number";
          return failure();
        }
        (entry.key() == "offset" ? offset : length.emplace()) = v;
      }
    }
    FailureOr<std::vector<char>> data =
        readExternal(modelDir, location, offset, length, error);
    if (failed(data))
      return failure();
    bytes = std::move(*data);
  } else if (t.has_raw_data()) {
    bytes.assign(t.raw_data().begin(), t.raw_data().end());
  } else {
    bytes = typedFieldBytes(t, elemBytes);
  }
  if (bytes.size() != count * elemBytes) {
    error = "holds " + std::to_string(bytes.size()) + " bytes of data, its " +
            std::to_string(count) + " elements need " +
            std::to_string(count * elemBytes);
    return failure();
  }
  auto type = RankedTensorType::get(shape, elementType);
  if (isBool) {
    SmallVector<bool> values(count);
    for (uint64_t i = 0; i < count; ++i)
      values[i] = bytes[i] != 0;
    return DenseElementsAttr::get(type, ArrayRef<bool>(values));
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(bytes.data(), bytes.size()));
}

} // namespace dlc::onnx
