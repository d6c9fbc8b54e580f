//===- OnnxImport.h - ONNX models into the dl dialect -----------*- C++ -*-===//
//
// Reads an ONNX model (protobuf, with external data from its own directory)
// into a module in the form the DSL frontend produces: an entry function
// @forward whose arguments are the graph's inputs and whose results are its
// outputs, initializers as dl.constant (or dl.param on request), and adds a
// loss and optimizer settings for training it.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_ONNX_ONNXIMPORT_H
#define DLC_FRONTENDS_ONNX_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <map>
#include <optional>
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
  /// The size of every input's symbolic leading dimension (--batch), for
  /// inputs --input-shape does not name.
  std::optional<int64_t> batch;
  /// Float initializers become dl.params with their values (trainable and
  /// saved in checkpoints) instead of constants; batch-norm running
  /// statistics become buffers.
  bool paramsFromInitializers = false;
  /// Batch normalization normalizes with the batch's statistics and updates
  /// the running ones (implies paramsFromInitializers).
  bool training = false;
};

/// How an imported model trains (dlc --train on an ONNX model).
struct TrainOptions {
  /// cross_entropy (logits [N, C], integer labels [N]) or mse (a target of
  /// the output's shape).
  std::string loss = "cross_entropy";
  /// The name of the label input the loss adds to @forward.
  std::string label = "label";
  /// The graph output the loss reads; empty when the graph has one output.
  std::string output;
  /// sgd, adam or adamw, with settings by name (lr, weight_decay, ...).
  std::string optimizer = "sgd";
  llvm::StringMap<double> settings;
};

/// Imports the model at `path`. On failure prints every problem found (all
/// unsupported nodes at once) to llvm::errs() and returns null.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context,
                                              llvm::StringRef path,
                                              const ImportOptions &options);

/// Adds the loss (a result named "loss", plus "accuracy" for cross-entropy),
/// its label input and the module attribute `dl.train` to an imported
/// module, as the DSL's `train` section does. Prints the problem and fails
/// on a bad combination (unknown output, label name taken, wrong shapes).
mlir::LogicalResult addTraining(mlir::ModuleOp module,
                                const TrainOptions &options);

} // namespace dlc::onnx

#endif // DLC_FRONTENDS_ONNX_ONNXIMPORT_H
