//===- Safetensors.h - safetensors files ------------------------*- C++ -*-===//
//
// The checkpoint format of the ecosystem: an 8-byte header length, a JSON
// header mapping names to dtype, shape and data offsets, then the data.
// Reading validates the header (JSON syntax, dtypes, offsets inside the file,
// sizes matching shapes, no overlaps).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_SAFETENSORS_H
#define DLC_SAFETENSORS_H

#include "dlc/Tensor.h"

#include <map>

namespace dlc::rt {

struct TensorFile {
  std::map<std::string, HostTensor> tensors;
  std::map<std::string, std::string> metadata; ///< "__metadata__" strings
};

Expected<TensorFile> parseSafetensors(const std::vector<uint8_t> &bytes);
Expected<TensorFile> readSafetensors(const std::string &path);
std::vector<uint8_t> encodeSafetensors(const TensorFile &file);
Status writeSafetensors(const std::string &path, const TensorFile &file);

} // namespace dlc::rt

#endif // DLC_SAFETENSORS_H
