//===- Safetensors.cpp - safetensors files --------------------------------===//

#include "dlc/Safetensors.h"

#include "Json.h"
#include "dlc/Npy.h"

#include <algorithm>
#include <cstring>

namespace dlc::rt {

namespace {

struct DTypeName {
  const char *name;
  DType dtype;
};
const DTypeName kNames[] = {
    {"F32", DType::F32}, {"F64", DType::F64}, {"F16", DType::F16},
    {"BF16", DType::BF16}, {"I32", DType::I32}, {"I64", DType::I64},
    {"BOOL", DType::Bool},
};

const char *safetensorsName(DType dtype) {
  for (const DTypeName &entry : kNames)
    if (entry.dtype == dtype)
      return entry.name;
  return "F32";
}

} // namespace

Expected<TensorFile> parseSafetensors(const std::vector<uint8_t> &bytes) {
  if (bytes.size() < 8)
    return Status::error("not a safetensors file (shorter than 8 bytes)");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | bytes[i];
  if (headerSize > bytes.size() - 8 || headerSize > (100u << 20))
    return Status::error(format("the header length %llu exceeds the file",
                                (unsigned long long)headerSize));
  std::string headerText(bytes.begin() + 8, bytes.begin() + 8 + headerSize);
  Expected<json::Value> header = json::parse(headerText);
  if (!header)
    return header.status().withContext("bad header");
  if (header->kind != json::Value::Kind::Object)
    return Status::error("the header is not a JSON object");
  uint64_t dataSize = bytes.size() - 8 - headerSize;
  const uint8_t *data = bytes.data() + 8 + headerSize;

  TensorFile file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto &[name, entry] : header->object) {
    if (name == "__metadata__") {
      if (entry.kind != json::Value::Kind::Object)
        return Status::error("__metadata__ must be an object");
      for (const auto &[key, value] : entry.object) {
        if (value.kind != json::Value::Kind::String)
          return Status::error("__metadata__ values must be strings");
        file.metadata[key] = value.string;
      }
      continue;
    }
    auto bad = [&](const std::string &what) {
      return Status::error("tensor '" + name + "': " + what);
    };
    if (entry.kind != json::Value::Kind::Object)
      return bad("the entry is not an object");
    const json::Value *dtype = entry.find("dtype");
    const json::Value *shape = entry.find("shape");
    const json::Value *offsets = entry.find("data_offsets");
    if (!dtype || dtype->kind != json::Value::Kind::String)
      return bad("no dtype");
    if (!shape || shape->kind != json::Value::Kind::Array)
      return bad("no shape");
    if (!offsets || offsets->kind != json::Value::Kind::Array ||
        offsets->array.size() != 2)
      return bad("data_offsets must be [begin, end]");
    HostTensor tensor;
    bool known = false;
    for (const DTypeName &entryName : kNames)
      if (dtype->string == entryName.name) {
        tensor.dtype = entryName.dtype;
        known = true;
      }
    if (!known)
      return bad("dtype " + dtype->string + " is not supported");
    for (const json::Value &dim : shape->array) {
      if (dim.kind != json::Value::Kind::Number || !dim.integral ||
          dim.integer < 0)
        return bad("shape entries must be non-negative integers");
      tensor.shape.push_back(dim.integer);
    }
    uint64_t range[2];
    for (int i = 0; i < 2; ++i) {
      const json::Value &v = offsets->array[i];
      if (v.kind != json::Value::Kind::Number || !v.integral || v.integer < 0)
        return bad("data_offsets must be non-negative integers");
      range[i] = uint64_t(v.integer);
    }
    std::optional<uint64_t> count = checkedNumElements(tensor.shape);
    if (!count)
      return bad("the shape is too large");
    if (range[1] < range[0] || range[1] > dataSize)
      return bad(format("data_offsets [%llu, %llu] lie outside the %llu data "
                        "bytes",
                        (unsigned long long)range[0],
                        (unsigned long long)range[1],
                        (unsigned long long)dataSize));
    if (range[1] - range[0] != *count * dtypeSize(tensor.dtype))
      return bad(format("%llu bytes for shape %s of %s, which needs %llu",
                        (unsigned long long)(range[1] - range[0]),
                        formatShape(tensor.shape).c_str(),
                        dtypeName(tensor.dtype),
                        (unsigned long long)(*count *
                                             dtypeSize(tensor.dtype))));
    if (file.tensors.count(name))
      return bad("appears twice");
    tensor.data.assign(data + range[0], data + range[1]);
    file.tensors[name] = std::move(tensor);
    if (range[1] > range[0])
      ranges.emplace_back(range[0], range[1]);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return Status::error("two tensors' data overlap");
  return file;
}

Expected<TensorFile> readSafetensors(const std::string &path) {
  Expected<std::vector<uint8_t>> bytes = readFile(path);
  if (!bytes)
    return bytes.status();
  Expected<TensorFile> file = parseSafetensors(*bytes);
  if (!file)
    return file.status().withContext(path);
  return file;
}

std::vector<uint8_t> encodeSafetensors(const TensorFile &file) {
  std::string header = "{";
  if (!file.metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : file.metadata) {
      header += (first ? "" : ",") + json::quote(key) + ":" + json::quote(value);
      first = false;
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto &[name, tensor] : file.tensors) {
    if (header.size() > 1)
      header += ",";
    std::string shape;
    for (size_t i = 0; i < tensor.shape.size(); ++i)
      shape += (i ? "," : "") + std::to_string(tensor.shape[i]);
    header += json::quote(name) + ":{\"dtype\":\"" +
              safetensorsName(tensor.dtype) + "\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + tensor.data.size()) + "]}";
    offset += tensor.data.size();
  }
  header += "}";
  // The data starts 8-byte aligned, as the format recommends.
  header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<uint8_t> bytes(8);
  for (int i = 0; i < 8; ++i)
    bytes[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (const auto &[name, tensor] : file.tensors)
    bytes.insert(bytes.end(), tensor.data.begin(), tensor.data.end());
  return bytes;
}

Status writeSafetensors(const std::string &path, const TensorFile &file) {
  return writeFileAtomic(path, encodeSafetensors(file));
}

} // namespace dlc::rt
