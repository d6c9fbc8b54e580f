//===- Library.h - Opening a shared library's entry points ------*- C++ -*-===//
//
// libcuda, NVRTC and cuBLASLt are opened with dlopen when first needed, so
// one dlrun binary runs on machines with and without them. Each library's
// functions live in one table of pointers filled from a list of symbols.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_CUDA_LIBRARY_H
#define DLC_RUNTIME_CUDA_LIBRARY_H

#include <initializer_list>
#include <string>

namespace dlc::rt::cuda {

struct Symbol {
  void **slot;
  const char *name;
};

template <typename F> Symbol symbol(F *&slot, const char *name) {
  return {reinterpret_cast<void **>(&slot), name};
}

/// Opens the first of `names` that dlopen finds and resolves every symbol
/// from it. False with `status` ("libnvrtc.so.13 lacks nvrtcGetCUBIN") when
/// none opens or a symbol is missing.
bool openLibrary(std::initializer_list<const char *> names,
                 std::initializer_list<Symbol> symbols, std::string &status);

} // namespace dlc::rt::cuda

#endif // DLC_RUNTIME_CUDA_LIBRARY_H
