//===- MLIRGenImpl.h - State shared by MLIRGen and the builtins -*- C++ -*-===//
//
// Internal to the DSL frontend: MLIRGen.cpp walks statements and expressions,
// Builtins.cpp maps each builtin function to dl ops.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_DSL_MLIRGENIMPL_H
#define DLC_FRONTENDS_DSL_MLIRGENIMPL_H

#include "frontends/dsl/MLIRGen.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

namespace dlc::dsl {

/// What a DSL expression evaluates to: a compile-time number, string or list,
/// or a tensor (an SSA value of the function being built).
struct Val {
  enum class Kind { Invalid, Number, String, List, Tensor };
  Kind kind = Kind::Invalid;
  double number = 0;
  bool isInteger = false;
  std::string string;
  std::vector<Val> list;
  mlir::Value tensor;
  SrcPos pos;

  static Val num(double value, bool isInteger, SrcPos pos) {
    Val v;
    v.kind = Kind::Number;
    v.number = value;
    v.isInteger = isInteger;
    v.pos = pos;
    return v;
  }
  static Val of(mlir::Value value, SrcPos pos) {
    Val v;
    v.kind = value ? Kind::Tensor : Kind::Invalid;
    v.tensor = value;
    v.pos = pos;
    return v;
  }
  bool ok() const { return kind != Kind::Invalid; }
  bool isTensor() const { return kind == Kind::Tensor; }
  mlir::RankedTensorType type() const {
    return llvm::cast<mlir::RankedTensorType>(tensor.getType());
  }
};

/// A builtin call's evaluated arguments, with typed accessors that report a
/// wrong kind of argument at its position.
class CallArgs;

class MLIRGen {
public:
  MLIRGen(mlir::MLIRContext &context, const Module &module,
          const MLIRGenOptions &options);
  mlir::OwningOpRef<mlir::ModuleOp> run();

  // Used by the builtins.
  mlir::Location loc(SrcPos pos);
  mlir::InFlightDiagnostic error(SrcPos pos);
  mlir::OpBuilder &getBuilder() { return builder; }
  mlir::MLIRContext *getContext() { return &context; }
  /// Creates a dl op by name and infers its result types (or uses
  /// `resultTypes`), then verifies it; on failure the diagnostics name the
  /// operands' origins and the result is null.
  mlir::Operation *emitOp(llvm::StringRef name, SrcPos pos,
                          mlir::ValueRange operands,
                          llvm::ArrayRef<mlir::NamedAttribute> attributes,
                          unsigned numResults = 1,
                          mlir::TypeRange resultTypes = {});
  mlir::Value emit(llvm::StringRef name, SrcPos pos, mlir::ValueRange operands,
                   llvm::ArrayRef<mlir::NamedAttribute> attributes = {},
                   mlir::Type resultType = {});
  /// A tensor from a number (a scalar of `element`) or the tensor itself.
  mlir::Value asTensor(const Val &value, mlir::Type element);
  /// Parses "f32", "i64"... ; reports an error at `pos` otherwise.
  mlir::Type parseDtype(llvm::StringRef name, SrcPos pos);
  /// Numbers the dropout ops so that each draws its own mask by default.
  unsigned nextDropoutSeed() { return ++dropoutCount; }

private:
  friend class CallArgs;
  Val evalExpr(const Expr &expr);
  Val evalCall(const CallExpr &call);
  Val evalBinary(const BinaryExpr &expr);
  Val callBlock(const DefStmt &def, const CallExpr &call);
  bool runStmt(const Stmt &stmt);
  bool declareParam(const ParamStmt &stmt);
  bool declareInput(const InputStmt &stmt, mlir::Type &type);
  bool evalShape(const TensorTypeSpec &spec, mlir::RankedTensorType &type);
  bool lowerTrain(const TrainStmt &stmt);
  mlir::Location originOf(mlir::Value value);
  Val lookup(const std::string &name, SrcPos pos);

  mlir::MLIRContext &context;
  const Module &ast;
  const MLIRGenOptions &options;
  mlir::OpBuilder builder;
  mlir::ModuleOp module;
  mlir::Block *body = nullptr; ///< The entry block of @forward.
  mlir::Block *paramInsertion = nullptr;

  /// Names visible now: the innermost scope is the back.
  std::vector<llvm::StringMap<Val>> scopes;
  llvm::StringMap<Val> constants;
  llvm::StringMap<const DefStmt *> blocks;
  /// `fc1.` while lowering a block called `as fc1`.
  std::vector<std::string> paramPrefix;
  llvm::StringMap<unsigned> autoScopeCounts;
  llvm::StringMap<SrcPos> paramDecls;
  unsigned paramCount = 0;
  std::vector<std::pair<std::string, Val>> outputs;
  std::vector<mlir::Location> inputLocs;
  bool failed = false;
  bool returned = false;
  Val returnValue;
  unsigned blockDepth = 0;
  unsigned dropoutCount = 0;
  std::vector<std::pair<std::string, Val>> trainResults;
};

/// Evaluated arguments of a builtin call.
class CallArgs {
public:
  CallArgs(MLIRGen &gen, const CallExpr &call, std::vector<Val> args,
           llvm::StringMap<Val> kwargs)
      : gen(gen), call(call), args(std::move(args)), kwargs(std::move(kwargs)) {}

  /// Fails (reporting once) unless the call has between `min` and `max`
  /// positional arguments and only the listed keywords.
  bool check(unsigned min, unsigned max,
             std::initializer_list<llvm::StringRef> keywords);
  size_t size() const { return args.size(); }
  mlir::Value tensor(unsigned index, llvm::StringRef what);
  /// Keyword `name`, or positional `index` when given, or the default.
  std::optional<int64_t> integer(llvm::StringRef name, int index = -1);
  std::optional<double> number(llvm::StringRef name, int index = -1);
  std::optional<bool> flag(llvm::StringRef name);
  std::optional<std::string> string(llvm::StringRef name);
  /// An integer list; a single integer `n` stands for `[n] * repeat`.
  std::optional<llvm::SmallVector<int64_t>> ints(llvm::StringRef name,
                                                 int index = -1,
                                                 unsigned repeat = 0);
  bool has(llvm::StringRef name, int index = -1) const;
  /// An integer list of axes (one integer too with `repeat`), each
  /// normalized for `rank`.
  std::optional<llvm::SmallVector<int64_t>> axisList(llvm::StringRef name,
                                                     int index, int64_t rank,
                                                     unsigned repeat = 0);
  /// Normalizes a possibly negative axis for `rank`; reports when out of range.
  std::optional<int64_t> axis(int64_t axis, int64_t rank, SrcPos pos);
  /// The single axis argument `name` (or positional `index`), `fallback`
  /// when absent, normalized for `rank`.
  std::optional<int64_t> axisArg(llvm::StringRef name, int index,
                                 int64_t fallback, int64_t rank);
  SrcPos posOf(llvm::StringRef name, int index = -1) const;
  const Val *find(llvm::StringRef name, int index) const;
  MLIRGen &gen;
  const CallExpr &call;
  std::vector<Val> args;
  llvm::StringMap<Val> kwargs;
  bool reported = false;
};

/// Lowers a call of builtin `name`; returns std::nullopt when there is no
/// such builtin, an invalid Val after reporting an error.
std::optional<Val> lowerBuiltin(llvm::StringRef name, CallArgs &args);

/// Every builtin's name, for "did you mean" hints and the docs.
llvm::ArrayRef<llvm::StringRef> builtinNames();

} // namespace dlc::dsl

#endif // DLC_FRONTENDS_DSL_MLIRGENIMPL_H
