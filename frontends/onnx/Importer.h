//===- Importer.h - What the ONNX op converters share -----------*- C++ -*-===//
//
// One converter per op (and opset range) turns a NodeProto into dl ops. It
// sees the node through NodeContext: inputs as MLIR values (with their
// compile-time values when known, so shape computations fold at import),
// typed attribute getters, and an error stream that names the node.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_ONNX_IMPORTER_H
#define DLC_FRONTENDS_ONNX_IMPORTER_H

#include "dialects/dl/DlOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

namespace dlc::onnx {

/// The newest default-domain opset the converters know. Newer models are
/// refused rather than imported with semantics we have not read.
constexpr int64_t kMaxOpset = 22;

/// Maps an ONNX element type to ours; null for the ones dl has no type for.
mlir::Type elementTypeOf(mlir::MLIRContext &context, int32_t onnxType);
/// "FLOAT16", "UINT8"... for messages.
std::string onnxTypeName(int32_t onnxType);

/// Integers other than i1: the types of shapes, axes and indices.
bool isIndexLike(mlir::Type type);
/// The elements of an integer attribute, sign-extended.
llvm::SmallVector<int64_t> intsOf(mlir::DenseElementsAttr value);

class NodeContext {
public:
  NodeContext(const ::onnx::NodeProto &node, int64_t opset,
              mlir::OpBuilder &builder, mlir::Location loc,
              llvm::SmallVector<mlir::Value> inputs)
      : node(node), opset(opset), b(builder), loc(loc),
        inputs(std::move(inputs)) {}

  const ::onnx::NodeProto &node;
  int64_t opset;
  mlir::OpBuilder &b;
  mlir::Location loc;
  /// The model is imported for training (ImportOptions::training).
  bool training = false;

  //===--- inputs --------------------------------------------------------===//
  unsigned numInputs() const { return inputs.size(); }
  /// False for a missing optional input (absent or named "").
  bool has(unsigned i) const { return i < inputs.size() && inputs[i]; }
  /// Null for an absent input (the importer checked the required ones
  /// against the op's schema before the converter runs).
  mlir::Value in(unsigned i) const {
    return i < inputs.size() ? inputs[i] : mlir::Value();
  }
  mlir::RankedTensorType type(unsigned i) const {
    return llvm::cast<mlir::RankedTensorType>(inputs[i].getType());
  }
  int64_t rank(unsigned i) const { return type(i).getRank(); }
  /// The input's value when it is known at compile time.
  mlir::DenseElementsAttr constant(unsigned i) const;
  /// An integer input needed at compile time (axes, a shape, bounds). Emits
  /// an error saying how to provide it when it is not known.
  mlir::FailureOr<llvm::SmallVector<int64_t>> ints(unsigned i,
                                                   llvm::StringRef what);
  /// ints() for an optional input: `values` stays as it is when the input
  /// is absent.
  mlir::LogicalResult optionalInts(unsigned i, llvm::StringRef what,
                                   llvm::SmallVectorImpl<int64_t> &values);
  /// A numeric input needed at compile time (scales, a region), as doubles;
  /// errors as ints() does.
  mlir::FailureOr<llvm::SmallVector<double>> numbers(unsigned i,
                                                     llvm::StringRef what);
  /// A scalar (or one-element) input known at compile time, as a double.
  mlir::FailureOr<double> scalar(unsigned i, llvm::StringRef what);

  //===--- attributes ----------------------------------------------------===//
  const ::onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  int64_t getInt(llvm::StringRef name, int64_t otherwise) const;
  double getFloat(llvm::StringRef name, double otherwise) const;
  std::string getString(llvm::StringRef name, llvm::StringRef otherwise) const;
  std::optional<llvm::SmallVector<int64_t>> getInts(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<float>> getFloats(llvm::StringRef name) const;

  //===--- results -------------------------------------------------------===//
  unsigned numOutputs() const { return node.output_size(); }
  /// Whether output i exists and something may read it.
  bool wants(unsigned i) const {
    return static_cast<int>(i) < node.output_size() && !node.output(i).empty();
  }
  void set(unsigned i, mlir::Value value) {
    if (results.size() <= i)
      results.resize(i + 1);
    results[i] = value;
  }
  llvm::ArrayRef<mlir::Value> getResults() const { return results; }

  //===--- diagnostics ---------------------------------------------------===//
  /// An error about this node; the importer prefixes the node's name, op
  /// type and opset.
  mlir::InFlightDiagnostic error() { return mlir::emitError(loc); }
  mlir::LogicalResult unsupported(const llvm::Twine &what) {
    error() << what << " is not supported";
    return mlir::failure();
  }

  //===--- building ------------------------------------------------------===//
  /// Builds an op whose result type the op infers. The generated builders
  /// abort when inference fails; here a mismatch (which user input can
  /// cause) is an error naming the node, and the result is null.
  template <typename OpTy, typename... Args> mlir::Value make(Args &&...args) {
    mlir::OperationState state(loc, OpTy::getOperationName());
    // The generated builder checks that it gets one result type; this
    // placeholder satisfies it, and inference replaces it below.
    mlir::Type placeholder = b.getNoneType();
    OpTy::build(b, state, mlir::TypeRange{placeholder},
                std::forward<Args>(args)...);
    state.types.clear();
    llvm::SmallVector<mlir::Type, 1> types;
    if (mlir::failed(OpTy::inferReturnTypes(
            b.getContext(), loc, state.operands,
            state.attributes.getDictionary(b.getContext()),
            state.getRawProperties(), state.regions, types)))
      return nullptr;
    state.addTypes(types);
    return b.create(state)->getResult(0);
  }
  mlir::Value constantOf(mlir::DenseElementsAttr value);
  /// An integer constant of `shape` holding `values` (row-major).
  mlir::Value intConstant(llvm::ArrayRef<int64_t> shape,
                          mlir::Type elementType,
                          llvm::ArrayRef<int64_t> values);
  /// A float constant of `shape` holding `values` (row-major), rounded to
  /// `elementType`.
  mlir::Value floatConstant(llvm::ArrayRef<int64_t> shape,
                            mlir::FloatType elementType,
                            llvm::ArrayRef<double> values);
  /// A scalar tensor of `elementType` holding `value`.
  mlir::Value scalarOf(mlir::Type elementType, double value);
  /// Positions along `dimension` of a tensor of `shape` (i64 unless
  /// `elementType` says otherwise): what one-hot masks compare with.
  mlir::Value iota(llvm::ArrayRef<int64_t> shape, int64_t dimension,
                   mlir::Type elementType = {});
  mlir::Value reshape(mlir::Value value, llvm::ArrayRef<int64_t> shape);
  mlir::Value castTo(mlir::Value value, mlir::Type elementType);
  mlir::Value broadcastTo(mlir::Value value, llvm::ArrayRef<int64_t> shape);
  /// Normalizes a possibly negative axis for `rank`; emits an error naming
  /// `what` when it is out of range.
  mlir::FailureOr<int64_t> axis(int64_t axis, int64_t rank,
                                llvm::StringRef what = "axis");

private:
  llvm::SmallVector<mlir::Value> inputs;
  llvm::SmallVector<mlir::Value> results;
};

using Converter = mlir::LogicalResult (*)(NodeContext &);

/// Converters by op type; each entry applies from its opset up to the next
/// entry's (ONNX changes an op's semantics only at new versions).
class ConverterTable {
public:
  void add(llvm::StringRef opType, int64_t sinceVersion, Converter convert);
  /// The converter for `opType` at `opset`; null when there is none.
  Converter lookup(llvm::StringRef opType, int64_t opset) const;
  /// (op type, first opset) of every entry, sorted, for the docs.
  std::vector<std::pair<std::string, int64_t>> entries() const;

private:
  llvm::StringMap<std::vector<std::pair<int64_t, Converter>>> table;
};

/// The table, filled once by the op families below.
const ConverterTable &converters();

void registerElementwiseOps(ConverterTable &table);
void registerReductionOps(ConverterTable &table);
void registerNNOps(ConverterTable &table);
void registerShapeOps(ConverterTable &table);
void registerLossOps(ConverterTable &table);
void registerIndexOps(ConverterTable &table);
void registerResampleOps(ConverterTable &table);
void registerEinsumOps(ConverterTable &table);
void registerRecurrentOps(ConverterTable &table);
void registerScatterOps(ConverterTable &table);

/// Integer indices `idx` into an axis of size `dim` with the negative ones
/// counted from its end, as ONNX's indexing ops read them (a select that
/// fuses into the consumer's kernel). Null after an error.
mlir::Value wrapIndices(NodeContext &ctx, mlir::Value idx, int64_t dim);

/// Pads `x` along `axis` by `before` and `after` elements (cropping where
/// they are negative) in Pad's `mode` (constant: `value`, a scalar).
/// Null after an error.
mlir::Value padAxis(NodeContext &ctx, mlir::Value x, int64_t axis,
                    int64_t before, int64_t after, llvm::StringRef mode,
                    mlir::Value value);

/// Reads a TensorProto (data inline or in a file beside the model, which
/// must stay inside `modelDir`) into an attribute of its shape and type.
mlir::FailureOr<mlir::DenseElementsAttr>
readTensor(const ::onnx::TensorProto &tensor, llvm::StringRef modelDir,
           mlir::MLIRContext &context, std::string &error);

} // namespace dlc::onnx

#endif // DLC_FRONTENDS_ONNX_IMPORTER_H
