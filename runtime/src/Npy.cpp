//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "dlc/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dlc::rt {

Expected<std::vector<uint8_t>> readFile(const std::string &path) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return Status::error(format("cannot open '%s': %s", path.c_str(),
                                std::strerror(errno)));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return Status::error(format("cannot read '%s'", path.c_str()));
  return bytes;
}

Status writeFileAtomic(const std::string &path,
                       const std::vector<uint8_t> &bytes) {
  std::string temp = path + ".tmpXXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0)
    return Status::error(format("cannot create a temporary file next to "
                                "'%s': %s",
                                path.c_str(), std::strerror(errno)));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return Status::error(format("cannot write '%s': %s", path.c_str(),
                                  std::strerror(error)));
    }
    written += size_t(n);
  }
  // The data reaches the disk before the name points at it.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return Status::error(
        format("cannot write '%s': %s", path.c_str(), std::strerror(error)));
  }
  ::chmod(temp.c_str(), 0644);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return Status::error(format("cannot rename to '%s': %s", path.c_str(),
                                std::strerror(error)));
  }
  return Status::ok();
}

namespace {

/// The header is a Python dict literal; this reads exactly the subset numpy
/// writes (string keys; string, bool and int-tuple values).
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  Status parse(std::string &descr, bool &fortran, std::vector<int64_t> &shape) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail("expected '{'");
    while (true) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (Status s = parseString(key); !s)
        return s;
      skipSpace();
      if (!eat(':'))
        return fail("expected ':' after '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (Status s = parseString(descr); !s)
          return s;
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (text.compare(pos, 4, "True") == 0) {
          fortran = true;
          pos += 4;
        } else if (text.compare(pos, 5, "False") == 0) {
          fortran = false;
          pos += 5;
        } else {
          return fail("fortran_order must be True or False");
        }
        haveOrder = true;
      } else if (key == "shape") {
        if (Status s = parseShape(shape); !s)
          return s;
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat('}'))
        break;
      return fail("expected ',' or '}'");
    }
    skipSpace();
    if (pos != text.size())
      return fail("trailing characters after the dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return fail("the header needs 'descr', 'fortran_order' and 'shape'");
    return Status::ok();
  }

private:
  Status fail(const std::string &what) {
    return Status::error(format("bad header at character %zu: %s", pos,
                                what.c_str()));
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n'))
      ++pos;
  }
  bool eat(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  Status parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return fail("expected a string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string::npos)
      return fail("unterminated string");
    out = text.substr(pos, end - pos);
    pos = end + 1;
    return Status::ok();
  }
  Status parseShape(std::vector<int64_t> &shape) {
    if (!eat('('))
      return fail("shape must be a tuple");
    while (true) {
      skipSpace();
      if (eat(')'))
        return Status::ok();
      size_t start = pos;
      int64_t value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (value > (int64_t(1) << 50))
          return fail("dimension too large");
        value = value * 10 + (text[pos++] - '0');
      }
      if (pos == start)
        return fail("expected a dimension");
      shape.push_back(value);
      skipSpace();
      if (eat(','))
        continue;
      if (eat(')'))
        return Status::ok();
      return fail("expected ',' or ')' in shape");
    }
  }

  const std::string &text;
  size_t pos = 0;
};

struct DescrEntry {
  const char *descr;
  DType dtype;
};
const DescrEntry kDescrs[] = {
    {"f4", DType::F32}, {"f8", DType::F64}, {"f2", DType::F16},
    {"i4", DType::I32}, {"i8", DType::I64}, {"b1", DType::Bool},
};

} // namespace

Expected<HostTensor> parseNpy(const std::vector<uint8_t> &bytes) {
  static const uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    return Status::error("not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = bytes[8] | size_t(bytes[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return Status::error("truncated .npy header");
    headerLength = bytes[8] | size_t(bytes[9]) << 8 |
                   size_t(bytes[10]) << 16 | size_t(bytes[11]) << 24;
    headerStart = 12;
  } else {
    return Status::error(format(".npy version %u is not supported", major));
  }
  if (headerLength > bytes.size() - headerStart)
    return Status::error("truncated .npy header");
  std::string header(bytes.begin() + headerStart,
                     bytes.begin() + headerStart + headerLength);
  std::string descr;
  bool fortran = false;
  HostTensor tensor;
  if (Status s = HeaderParser(header).parse(descr, fortran, tensor.shape); !s)
    return s;
  if (fortran)
    return Status::error("Fortran-ordered arrays are not supported "
                         "(save with np.ascontiguousarray)");
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '|' &&
                            descr[0] != '='))
    return Status::error("dtype '" + descr +
                         "' is not supported (little-endian f2, f4, f8, i4, "
                         "i8 or b1)");
  bool known = false;
  for (const DescrEntry &entry : kDescrs)
    if (descr.compare(1, 2, entry.descr) == 0) {
      tensor.dtype = entry.dtype;
      known = true;
    }
  if (!known)
    return Status::error("dtype '" + descr +
                         "' is not supported (f2, f4, f8, i4, i8 or b1)");
  std::optional<uint64_t> count = checkedNumElements(tensor.shape);
  if (!count)
    return Status::error("shape " + formatShape(tensor.shape) +
                         " is too large");
  uint64_t dataBytes = *count * dtypeSize(tensor.dtype);
  uint64_t available = bytes.size() - headerStart - headerLength;
  if (available != dataBytes)
    return Status::error(format(
        "the data is %llu bytes but shape %s of %s needs %llu",
        (unsigned long long)available, formatShape(tensor.shape).c_str(),
        dtypeName(tensor.dtype), (unsigned long long)dataBytes));
  tensor.data.assign(bytes.begin() + headerStart + headerLength, bytes.end());
  return tensor;
}

Expected<HostTensor> readNpy(const std::string &path) {
  Expected<std::vector<uint8_t>> bytes = readFile(path);
  if (!bytes)
    return bytes.status();
  Expected<HostTensor> tensor = parseNpy(*bytes);
  if (!tensor)
    return tensor.status().withContext(path);
  return tensor;
}

std::vector<uint8_t> encodeNpy(const HostTensor &tensor) {
  const char *descr = "<f4";
  switch (tensor.dtype) {
  case DType::F32: descr = "<f4"; break;
  case DType::F64: descr = "<f8"; break;
  case DType::F16: descr = "<f2"; break;
  case DType::BF16: descr = "<V2"; break; // numpy has no bfloat16
  case DType::I32: descr = "<i4"; break;
  case DType::I64: descr = "<i8"; break;
  case DType::Bool: descr = "|b1"; break;
  }
  std::string shape = "(";
  for (int64_t dim : tensor.shape)
    shape += std::to_string(dim) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                uint8_t(header.size() & 0xff),
                                uint8_t(header.size() >> 8)};
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), tensor.data.begin(), tensor.data.end());
  return bytes;
}

Status writeNpy(const std::string &path, const HostTensor &tensor) {
  return writeFileAtomic(path, encodeNpy(tensor));
}

} // namespace dlc::rt
