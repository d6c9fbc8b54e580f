//===- Schema.h - Nodes against libonnx's operator schemas ------*- C++ -*-===//

#ifndef DLC_FRONTENDS_ONNX_SCHEMA_H
#define DLC_FRONTENDS_ONNX_SCHEMA_H

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace dlc::onnx {

/// Why `node` does not fit its op's schema at `opset` (a required input
/// missing, too many inputs), or empty when it does or the op is unknown to
/// libonnx.
std::string checkArity(const ::onnx::NodeProto &node, int64_t opset);

} // namespace dlc::onnx

#endif // DLC_FRONTENDS_ONNX_SCHEMA_H
