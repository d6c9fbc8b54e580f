//===- Replay.cpp - A fuzz target as a test over saved inputs -------------===//
//
// Built without libFuzzer, a fuzz target is an ordinary program that feeds
// it every file named on the command line (directories: every file inside,
// recursively): the seed corpus and each crash ever found. `make test` runs
// it, so every input that once crashed stays a regression test.
//
// usage: fuzz-<target> FILE_OR_DIR...
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

int main(int argc, char **argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path path(argv[i]);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (const auto &entry : fs::recursive_directory_iterator(path, ec))
        if (entry.is_regular_file())
          files.push_back(entry.path());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 1;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR... (no inputs found)\n",
                 argv[0]);
    return 1;
  }
  for (const fs::path &file : files) {
    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::printf("%zu inputs replayed without a crash\n", files.size());
  return 0;
}
