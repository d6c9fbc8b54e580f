//===- Status.cpp - Errors as values --------------------------------------===//

#include "dlc/Status.h"

#include <cstdarg>
#include <cstdio>

namespace dlc::rt {

std::string format(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string result(length > 0 ? length : 0, '\0');
  std::vsnprintf(result.data(), result.size() + 1, fmt, args);
  va_end(args);
  return result;
}

} // namespace dlc::rt
