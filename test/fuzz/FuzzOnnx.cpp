//===- FuzzOnnx.cpp - The ONNX importer, through the whole compiler -------===//
//
// The importer reads a path (external data lives beside the model), so each
// input is written to a file in a directory of this process's own.
//
//===----------------------------------------------------------------------===//

#include "CompileModule.h"
#include "FuzzTarget.h"

#include "frontends/onnx/OnnxImport.h"

#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string dir = [] {
    std::string path = "/tmp/dlc-fuzz-onnx-" + std::to_string(::getpid());
    ::mkdir(path.c_str(), 0700);
    return path;
  }();
  std::string path = dir + "/model.onnx";
  if (FILE *file = std::fopen(path.c_str(), "wb")) {
    if (size)
      std::fwrite(data, 1, size, file);
    std::fclose(file);
  } else {
    return 0;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module =
      dlc::onnx::importModel(dlc::fuzz::context(), path, {});
  if (module)
    dlc::fuzz::compileModule(*module);
  return 0;
}
