//===- Schema.cpp - Nodes against libonnx's operator schemas --------------===//
//
// libonnx's schema headers need C++ exceptions, which the rest of the
// compiler (like LLVM) is built without; this file alone is compiled with
// them, and its interface is plain.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Schema.h"

#include <onnx/defs/schema.h>

/// The node's inputs against the op's ONNX schema (from libonnx): every
/// required input present and, for opsets the library knows, no more than
/// the op takes. Converters rely on it: they read the required inputs
/// without checking. Empty when the node fits, or when the library does not
/// know the op (its converter then reports what it needs).
std::string dlc::onnx::checkArity(const ::onnx::NodeProto &node, int64_t opset) {
  const ::onnx::OpSchema *schema =
      ::onnx::OpSchemaRegistry::Schema(node.op_type(), int(opset), "");
  if (!schema)
    return "";
  int given = node.input_size();
  const auto &formals = schema->inputs();
  for (size_t i = 0; i < formals.size(); ++i) {
    auto option = formals[i].GetOption();
    int index = int(i);
    if (option == ::onnx::OpSchema::Single &&
        (index >= given || node.input(index).empty()))
      return "input " + std::to_string(index) + " ('" + formals[i].GetName() +
             "') is required but missing";
    if (option == ::onnx::OpSchema::Variadic &&
        given - index < formals[i].GetMinArity())
      return "needs at least " +
             std::to_string(index + formals[i].GetMinArity()) +
             " input(s), got " + std::to_string(given);
  }
  // Newer opsets than the library's may take more inputs (ReduceMean's axes
  // in 18), so the upper bound is checked only where the schema is current.
  static const int known =
      ::onnx::OpSchemaRegistry::DomainToVersionRange::Instance()
          .Map()
          .at(::onnx::ONNX_DOMAIN)
          .second;
  if (opset <= known && given > schema->max_input())
    return "takes at most " + std::to_string(schema->max_input()) +
           " input(s), got " + std::to_string(given);
  return "";
}

