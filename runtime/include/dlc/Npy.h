//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes version 1-3 .npy files of little-endian, C-ordered arrays
// of the runtime's dtypes. The header is validated in full: magic, version,
// length, dict syntax, dtype, order and that the data size matches the shape.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_NPY_H
#define DLC_NPY_H

#include "dlc/Tensor.h"

namespace dlc::rt {

Expected<HostTensor> parseNpy(const std::vector<uint8_t> &bytes);
Expected<HostTensor> readNpy(const std::string &path);
std::vector<uint8_t> encodeNpy(const HostTensor &tensor);
/// Written through a temporary file and a rename: whole or not at all.
Status writeNpy(const std::string &path, const HostTensor &tensor);

/// Reads a whole file; the error names the file.
Expected<std::vector<uint8_t>> readFile(const std::string &path);
/// Writes `bytes` to `path` via `path.tmpXXXX`, fsync and rename.
Status writeFileAtomic(const std::string &path,
                       const std::vector<uint8_t> &bytes);

} // namespace dlc::rt

#endif // DLC_NPY_H
