//===- DlOps.cpp - Generated op definitions of the dl dialect -------------===//
//
// The hand-written parts of the ops live beside their families:
// DlElementwiseOps.cpp, DlShapeOps.cpp, DlNNOps.cpp, DlModelOps.cpp and
// DlFolds.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/dl/DlOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::dl;

#define GET_OP_CLASSES
#include "dialects/dl/DlOps.cpp.inc"

#include "dialects/dl/DlInterfaces.cpp.inc"
