//===- dl-opt.cpp - mlir-opt for the dl dialect and dlc's passes ----------===//
//
// Parses IR, runs the passes named on the command line and prints the result;
// the lit tests drive every dialect and pass through it.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::dl::registerDlcPasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::dl::DlDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "dlc optimizer driver\n", registry));
}
