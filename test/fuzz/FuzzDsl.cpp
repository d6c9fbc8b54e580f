//===- FuzzDsl.cpp - The model language, through the whole compiler -------===//

#include "CompileModule.h"
#include "FuzzTarget.h"

#include "frontends/dsl/MLIRGen.h"
#include "frontends/dsl/Parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto ast = dlc::dsl::parseModule(
      text, "fuzz.dl", [](dlc::dsl::SrcPos, const llvm::Twine &) {});
  if (!ast)
    return 0;
  if (ast->name.empty())
    ast->name = "fuzz";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      dlc::dsl::mlirGen(dlc::fuzz::context(), *ast, {});
  if (module)
    dlc::fuzz::compileModule(*module);
  return 0;
}
