//===- DlDialect.cpp - Registration of the dl dialect ---------------------===//

#include "dialects/dl/DlDialect.h"
#include "dialects/dl/DlOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::dl;

#include "dialects/dl/DlDialect.cpp.inc"
#include "dialects/dl/DlEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/dl/DlAttributes.cpp.inc"

void DlDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/dl/DlOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/dl/DlAttributes.cpp.inc"
      >();
}

Operation *DlDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}

//===----------------------------------------------------------------------===//
// #dl.init
//===----------------------------------------------------------------------===//

unsigned InitAttr::getNumArgs(InitKind kind) {
  switch (kind) {
  case InitKind::Constant:
    return 1;
  case InitKind::Normal:
  case InitKind::Uniform:
    return 2;
  default:
    return 0;
  }
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, DenseF64ArrayAttr argsAttr,
                               uint64_t seed) {
  if (!argsAttr)
    return emitError() << "initializer arguments are missing";
  ArrayRef<double> args = argsAttr.asArrayRef();
  unsigned want = getNumArgs(kind);
  if (args.size() != want)
    return emitError() << "initializer '" << stringifyInitKind(kind)
                       << "' takes " << want << " argument(s), got "
                       << args.size();
  if (kind == InitKind::Normal && !(args[1] >= 0))
    return emitError() << "normal initializer needs std >= 0, got " << args[1];
  if (kind == InitKind::Uniform && !(args[0] <= args[1]))
    return emitError() << "uniform initializer needs low <= high, got ["
                       << args[0] << ", " << args[1] << "]";
  return success();
}

/// `<kind [(arg, ...)] [, seed = N]>`
Attribute InitAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<InitKind> kind = symbolizeInitKind(keyword);
  if (!kind) {
    parser.emitError(kindLoc, "unknown initializer '") << keyword << "'";
    return {};
  }
  SmallVector<double> args;
  if (succeeded(parser.parseOptionalLParen())) {
    auto parseArg = [&]() { return parser.parseFloat(args.emplace_back()); };
    if (parser.parseCommaSeparatedList(parseArg) || parser.parseRParen())
      return {};
  }
  uint64_t seed = 0;
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("seed") || parser.parseEqual() ||
       parser.parseInteger(seed)))
    return {};
  if (parser.parseGreater())
    return {};
  MLIRContext *context = parser.getContext();
  return parser.getChecked<InitAttr>(
      context, *kind, DenseF64ArrayAttr::get(context, args), seed);
}

void InitAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyInitKind(getKind());
  if (!getArgs().empty()) {
    printer << "(";
    llvm::interleaveComma(getArgs().asArrayRef(), printer.getStream(), [&](double arg) {
      printer.printFloat(llvm::APFloat(arg));
    });
    printer << ")";
  }
  if (getSeed() != 0)
    printer << ", seed = " << getSeed();
  printer << ">";
}
