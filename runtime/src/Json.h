//===- Json.h - A small strict JSON reader and writer -----------*- C++ -*-===//
//
// Enough JSON for safetensors headers and the plan's training configuration:
// strict RFC 8259 syntax, nesting limited so hostile input cannot exhaust the
// stack.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_JSON_H
#define DLC_RUNTIME_JSON_H

#include "dlc/Status.h"

#include <map>
#include <memory>
#include <vector>

namespace dlc::rt::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  bool integral = false; // the number was written without '.', 'e' or 'E'
  int64_t integer = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object; // in file order

  const Value *find(const std::string &key) const;
};

Expected<Value> parse(const std::string &text);

/// `text` as a JSON string literal, quotes included.
std::string quote(const std::string &text);

} // namespace dlc::rt::json

#endif // DLC_RUNTIME_JSON_H
