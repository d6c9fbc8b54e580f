//===- IdxTest.cpp - IDX files, plain and gzip ----------------------------===//

#include "dlc/Data.h"
#include "dlc/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

using namespace dlc::rt;

namespace {

std::vector<uint8_t> idxBytes(std::vector<uint32_t> dims, size_t data) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(uint8_t(d >> shift));
  for (size_t i = 0; i < data; ++i)
    bytes.push_back(uint8_t(i * 7));
  return bytes;
}

TEST(Idx, ReadsUnsignedBytesAsI32) {
  Expected<HostTensor> t = parseIdx(idxBytes({2, 3}, 6));
  ASSERT_TRUE(t) << t.status().message();
  EXPECT_EQ(t->dtype, DType::I32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->at(5), 35);
}

TEST(Idx, RejectsDamagedFiles) {
  auto message = [](const std::vector<uint8_t> &bytes) {
    Expected<HostTensor> t = parseIdx(bytes);
    return t ? std::string("accepted") : t.status().message();
  };
  EXPECT_NE(message({1, 2, 3, 4}).find("bad magic"), std::string::npos);
  EXPECT_NE(message(idxBytes({2, 3}, 5)).find("needs 6"), std::string::npos);
  EXPECT_NE(message({0, 0, 8, 3, 0, 0}).find("truncated"), std::string::npos);
  std::vector<uint8_t> bytes = idxBytes({2}, 2);
  bytes[2] = 0x0B;
  EXPECT_NE(message(bytes).find("not supported"), std::string::npos);
}

// The gzip path through libz.so.1, on a file compressed by the system's gzip.
TEST(Idx, ReadsGzipCompressedFiles) {
  std::string path = testing::TempDir() + "idx-test.idx";
  ASSERT_TRUE(writeFileAtomic(path, idxBytes({4, 2}, 8)));
  ASSERT_EQ(std::system(("gzip -f " + path).c_str()), 0);
  Expected<HostTensor> t = readIdx(path + ".gz");
  ASSERT_TRUE(t) << t.status().message();
  EXPECT_EQ(t->shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(t->at(7), 49);
  // A damaged stream is an error, not a crash.
  Expected<std::vector<uint8_t>> gz = readFile(path + ".gz");
  ASSERT_TRUE(gz);
  gz->resize(gz->size() / 2);
  ASSERT_TRUE(writeFileAtomic(path + ".bad.gz", *gz));
  EXPECT_FALSE(readIdx(path + ".bad.gz"));
  std::remove((path + ".gz").c_str());
  std::remove((path + ".bad.gz").c_str());
}

// A small file that inflates past the limit (a gzip bomb) is refused once
// the limit is reached, not decompressed whole.
TEST(Idx, RefusesDecompressingPastTheLimit) {
  std::string path = testing::TempDir() + "idx-bomb";
  ASSERT_TRUE(writeFileAtomic(path, std::vector<uint8_t>(1 << 20, 0)));
  ASSERT_EQ(std::system(("gzip -f " + path).c_str()), 0);
  Expected<std::vector<uint8_t>> small = readMaybeGzip(path + ".gz", 1 << 16);
  ASSERT_FALSE(small);
  EXPECT_NE(small.status().message().find("decompresses to more than 65536 "
                                          "bytes"),
            std::string::npos);
  Expected<std::vector<uint8_t>> whole = readMaybeGzip(path + ".gz");
  ASSERT_TRUE(whole) << whole.status().message();
  EXPECT_EQ(whole->size(), size_t(1) << 20);
  std::remove((path + ".gz").c_str());
}

} // namespace

namespace {

// The Fashion-MNIST test set from the Debian package (installed by
// scripts/bootstrap.sh): 10000 images of 28x28 and their labels 0..9.
TEST(Idx, ReadsFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  Expected<HostTensor> images = readIdx(dir + "t10k-images-idx3-ubyte.gz");
  if (!images && images.status().message().find("cannot open") == 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ASSERT_TRUE(images) << images.status().message();
  EXPECT_EQ(images->shape, (std::vector<int64_t>{10000, 28, 28}));
  Expected<HostTensor> labels = readIdx(dir + "t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(labels) << labels.status().message();
  ASSERT_EQ(labels->shape, (std::vector<int64_t>{10000}));
  std::vector<int> counts(10, 0);
  for (uint64_t i = 0; i < 10000; ++i) {
    double label = labels->at(i);
    ASSERT_GE(label, 0);
    ASSERT_LE(label, 9);
    ++counts[int(label)];
  }
  for (int count : counts)
    EXPECT_EQ(count, 1000); // the test set is balanced
}

} // namespace
