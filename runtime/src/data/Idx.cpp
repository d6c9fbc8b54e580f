//===- Idx.cpp - IDX files, plain or gzip-compressed ----------------------===//

#include "dlc/Data.h"
#include "dlc/Npy.h"

#include <cstring>
#include <dlfcn.h>

namespace dlc::rt {

namespace {

/// The three zlib entry points gzip reading needs, from libz.so.1.
struct Zlib {
  using GzFile = void *;
  GzFile (*gzopen)(const char *, const char *) = nullptr;
  int (*gzread)(GzFile, void *, unsigned) = nullptr;
  int (*gzclose)(GzFile) = nullptr;
  const char *(*gzerror)(GzFile, int *) = nullptr;
};

const Zlib *zlib(std::string &why) {
  static Zlib table;
  static std::string error;
  static bool loaded = [] {
    void *handle = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      error = "cannot open libz.so.1 to read gzip data";
      return false;
    }
    table.gzopen = reinterpret_cast<decltype(table.gzopen)>(
        dlsym(handle, "gzopen"));
    table.gzread = reinterpret_cast<decltype(table.gzread)>(
        dlsym(handle, "gzread"));
    table.gzclose = reinterpret_cast<decltype(table.gzclose)>(
        dlsym(handle, "gzclose"));
    table.gzerror = reinterpret_cast<decltype(table.gzerror)>(
        dlsym(handle, "gzerror"));
    if (!table.gzopen || !table.gzread || !table.gzclose || !table.gzerror) {
      error = "libz.so.1 lacks gzopen/gzread/gzclose/gzerror";
      return false;
    }
    return true;
  }();
  why = error;
  return loaded ? &table : nullptr;
}

uint32_t bigEndian32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

} // namespace

Expected<std::vector<uint8_t>> readMaybeGzip(const std::string &path,
                                             uint64_t limit) {
  Expected<std::vector<uint8_t>> raw = readFile(path);
  if (!raw)
    return raw;
  if (raw->size() < 2 || (*raw)[0] != 0x1f || (*raw)[1] != 0x8b)
    return raw;
  std::string why;
  const Zlib *z = zlib(why);
  if (!z)
    return Status::error(path + ": " + why);
  Zlib::GzFile file = z->gzopen(path.c_str(), "rb");
  if (!file)
    return Status::error("cannot open '" + path + "' for gzip reading");
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int got;
  while ((got = z->gzread(file, chunk, sizeof(chunk))) > 0) {
    if (bytes.size() + uint64_t(got) > limit) {
      z->gzclose(file);
      return Status::error(format("%s: decompresses to more than %llu bytes, "
                                  "the most a dataset file may have",
                                  path.c_str(), (unsigned long long)limit));
    }
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  std::string message;
  if (got < 0) {
    int code = 0;
    message = z->gzerror(file, &code);
  }
  z->gzclose(file);
  if (got < 0)
    return Status::error(path + ": corrupt gzip data (" + message + ")");
  return bytes;
}

Expected<HostTensor> parseIdx(const std::vector<uint8_t> &bytes) {
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    return Status::error("not an IDX file (bad magic)");
  uint8_t type = bytes[2], rank = bytes[3];
  size_t header = 4 + 4 * size_t(rank);
  if (rank == 0 || bytes.size() < header)
    return Status::error("truncated IDX header");
  HostTensor tensor;
  for (uint8_t d = 0; d < rank; ++d)
    tensor.shape.push_back(bigEndian32(&bytes[4 + 4 * d]));
  uint64_t elementSize;
  switch (type) {
  case 0x08: elementSize = 1; tensor.dtype = DType::I32; break;
  case 0x0D: elementSize = 4; tensor.dtype = DType::F32; break;
  case 0x0E: elementSize = 8; tensor.dtype = DType::F64; break;
  default:
    return Status::error(format("IDX element type 0x%02x is not supported "
                                "(unsigned bytes, f32 or f64)",
                                type));
  }
  std::optional<uint64_t> count = checkedNumElements(tensor.shape);
  if (!count || *count > (uint64_t(1) << 40))
    return Status::error("IDX dimensions too large");
  if (bytes.size() - header != *count * elementSize)
    return Status::error(format("the IDX data is %zu bytes but shape %s "
                                "needs %llu",
                                bytes.size() - header,
                                formatShape(tensor.shape).c_str(),
                                (unsigned long long)(*count * elementSize)));
  tensor.data.resize(*count * dtypeSize(tensor.dtype));
  const uint8_t *data = bytes.data() + header;
  for (uint64_t i = 0; i < *count; ++i) {
    if (type == 0x08) {
      int32_t value = data[i];
      std::memcpy(&tensor.data[i * 4], &value, 4);
    } else {
      // IDX stores multi-byte values big-endian.
      for (uint64_t k = 0; k < elementSize; ++k)
        tensor.data[i * elementSize + k] =
            data[i * elementSize + (elementSize - 1 - k)];
    }
  }
  return tensor;
}

Expected<HostTensor> readIdx(const std::string &path) {
  Expected<std::vector<uint8_t>> bytes = readMaybeGzip(path);
  if (!bytes)
    return bytes.status();
  Expected<HostTensor> tensor = parseIdx(*bytes);
  if (!tensor)
    return tensor.status().withContext(path);
  return tensor;
}

} // namespace dlc::rt
