//===- Parser.h - Parser of the model DSL -----------------------*- C++ -*-===//
//
// Recursive descent over the tokens into the AST. After an error it skips to
// the next statement and goes on, so one run reports several mistakes.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_DSL_PARSER_H
#define DLC_FRONTENDS_DSL_PARSER_H

#include "frontends/dsl/AST.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

namespace dlc::dsl {

/// Receives each error with the position it points at.
using ErrorSink = llvm::function_ref<void(SrcPos, const llvm::Twine &)>;

/// Parses `buffer`; returns null if any error was reported.
std::unique_ptr<Module> parseModule(llvm::StringRef buffer,
                                    llvm::StringRef filename,
                                    ErrorSink onError);

} // namespace dlc::dsl

#endif // DLC_FRONTENDS_DSL_PARSER_H
