//===- Data.h - Datasets from files -----------------------------*- C++ -*-===//
//
// IDX files (the MNIST family's format), plain or gzip-compressed. gzip is
// read through the system's libz.so.1, opened at run time, so the runtime
// builds without zlib's headers.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_DATA_H
#define DLC_DATA_H

#include "dlc/Tensor.h"

namespace dlc::rt {

/// The most bytes a compressed dataset file may expand to (4 GiB), so a
/// small file that claims much more (a gzip bomb) is refused, not inflated.
constexpr uint64_t kMaxDecompressedBytes = uint64_t(4) << 30;

/// The bytes of `path`, decompressed when they start with the gzip magic;
/// decompressing past `limit` bytes is an error.
Expected<std::vector<uint8_t>>
readMaybeGzip(const std::string &path,
              uint64_t limit = kMaxDecompressedBytes);

/// Parses an IDX file: magic 0 0 TYPE RANK, RANK big-endian u32 dimensions,
/// then the data. Unsigned bytes (the images and labels of MNIST-style sets)
/// become i32; f32 and f64 data keep their type. The size must match the
/// dimensions exactly.
Expected<HostTensor> parseIdx(const std::vector<uint8_t> &bytes);
Expected<HostTensor> readIdx(const std::string &path);

} // namespace dlc::rt

#endif // DLC_DATA_H
