//===- DlDialect.h - The dl dialect -----------------------------*- C++ -*-===//
//
// Include DlOps.h for the ops; this header holds the dialect class alone so
// that registration code need not see every op.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_DIALECTS_DL_DLDIALECT_H
#define DLC_DIALECTS_DL_DLDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/dl/DlDialect.h.inc"

#endif // DLC_DIALECTS_DL_DLDIALECT_H
