//===- OnnxImport.h - ONNX models into the dl dialect -----------*- C++ -*-===//
//
// Reads an ONNX model (protobuf, with external data from its own directory)
// into a module in the form the DSL frontend produces: an entry function
// @forward whose arguments are the graph's inputs and whose results are its
// outputs, initializers as dl.constant (or dl.param on request).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_ONNX_ONNXIMPORT_H
#define DLC_FRONTENDS_ONNX_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dlc::onnx {

struct ImportOptions {
  /// Shapes for inputs whose dimensions the model leaves symbolic or unknown.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Values for graph inputs that decide shapes (a Reshape's target, a
  /// Slice's bounds): such an input becomes a constant and leaves the
  /// program's inputs. .npy or ONNX TensorProto (.pb) files.
  std::map<std::string, std::string> inputValues;
};

/// Imports the model at `path`. On failure prints every problem found (all
/// unsupported nodes at once) to llvm::errs() and returns null.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context,
                                              llvm::StringRef path,
                                              const ImportOptions &options);

} // namespace dlc::onnx

#endif // DLC_FRONTENDS_ONNX_ONNXIMPORT_H
