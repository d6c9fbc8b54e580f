//===- FormatsTest.cpp - NPY and safetensors, good and damaged ------------===//

#include "dlc/Npy.h"
#include "dlc/Safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace dlc::rt;

namespace {

HostTensor sample() {
  HostTensor t;
  t.dtype = DType::F32;
  t.shape = {2, 3};
  t.data.resize(24);
  for (int i = 0; i < 6; ++i)
    t.set(i, i * 0.5);
  return t;
}

std::vector<uint8_t> npyWithHeader(const std::string &header, size_t data) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                uint8_t(header.size()), 0};
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + data, 0);
  return bytes;
}

TEST(Npy, RoundTrips) {
  HostTensor t = sample();
  Expected<HostTensor> back = parseNpy(encodeNpy(t));
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->shape, t.shape);
  EXPECT_EQ(back->data, t.data);
  HostTensor scalar;
  scalar.dtype = DType::I64;
  scalar.data.resize(8);
  scalar.set(0, -7);
  Expected<HostTensor> s = parseNpy(encodeNpy(scalar));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->at(0), -7);
}

TEST(Npy, RejectsDamagedFiles) {
  auto message = [](const std::vector<uint8_t> &bytes) {
    Expected<HostTensor> t = parseNpy(bytes);
    return t ? std::string("accepted") : t.status().message();
  };
  EXPECT_NE(message({1, 2, 3}).find("bad magic"), std::string::npos);
  std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(message(npyWithHeader(good, 24)), "accepted");
  EXPECT_NE(message(npyWithHeader(good, 20)).find("needs 24"), std::string::npos);
  EXPECT_NE(message(npyWithHeader("{'descr': '>f4', 'fortran_order': False, "
                                  "'shape': (2,), }", 8))
                .find("not supported"),
            std::string::npos);
  EXPECT_NE(message(npyWithHeader("{'descr': '<f4', 'fortran_order': True, "
                                  "'shape': (2,), }", 8))
                .find("Fortran"),
            std::string::npos);
  EXPECT_NE(message(npyWithHeader("{'descr': '<u1', 'fortran_order': False, "
                                  "'shape': (2,), }", 2))
                .find("not supported"),
            std::string::npos);
  EXPECT_NE(message(npyWithHeader("{'descr': '<f4', 'shape': (2,), }", 8))
                .find("needs"),
            std::string::npos);
  EXPECT_NE(message(npyWithHeader("{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (99999999999999999999,), }", 8))
                .find("too large"),
            std::string::npos);
  std::vector<uint8_t> truncated = npyWithHeader(good, 24);
  truncated.resize(12);
  EXPECT_NE(message(truncated).find("truncated"), std::string::npos);
}

TEST(Safetensors, RoundTripsWithMetadata) {
  TensorFile file;
  file.tensors["a.w"] = sample();
  file.tensors["b"] = sample();
  file.metadata["step"] = "12";
  Expected<TensorFile> back = parseSafetensors(encodeSafetensors(file));
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->tensors.size(), 2u);
  EXPECT_EQ(back->tensors["a.w"].data, file.tensors["a.w"].data);
  EXPECT_EQ(back->metadata["step"], "12");
}

std::vector<uint8_t> withHeader(const std::string &json, size_t data) {
  std::vector<uint8_t> bytes(8);
  for (int i = 0; i < 8; ++i)
    bytes[i] = uint8_t(uint64_t(json.size()) >> (8 * i));
  bytes.insert(bytes.end(), json.begin(), json.end());
  bytes.resize(bytes.size() + data, 0);
  return bytes;
}

TEST(Safetensors, RejectsDamagedHeaders) {
  auto message = [](const std::vector<uint8_t> &bytes) {
    Expected<TensorFile> f = parseSafetensors(bytes);
    return f ? std::string("accepted") : f.status().message();
  };
  EXPECT_EQ(message(withHeader(
                R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8)),
            "accepted");
  EXPECT_NE(message(withHeader(
                R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8))
                .find("outside"),
            std::string::npos);
  EXPECT_NE(message(withHeader(
                R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8))
                .find("needs 12"),
            std::string::npos);
  EXPECT_NE(message(withHeader(
                R"({"w":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", 8))
                .find("not supported"),
            std::string::npos);
  EXPECT_NE(message(withHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                               8))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(message(withHeader(R"({"w": [1, 2)", 0)).find("JSON"),
            std::string::npos);
  EXPECT_NE(message(withHeader(std::string(100, '[') + std::string(100, ']'), 0))
                .find("deeply"),
            std::string::npos);
  std::vector<uint8_t> huge = withHeader("{}", 0);
  huge[7] = 0x7f;
  EXPECT_NE(message(huge).find("exceeds"), std::string::npos);
}

} // namespace
