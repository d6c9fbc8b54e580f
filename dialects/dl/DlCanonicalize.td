//===- DlCanonicalize.td - Declarative rewrites of dl ops -*- tablegen -*-===//

#ifndef DL_CANONICALIZE_TD
#define DL_CANONICALIZE_TD

include "mlir/IR/PatternBase.td"
include "dialects/dl/DlOps.td"

// log(softmax(x)) underflows to -inf where log_softmax stays finite.
def LogOfSoftmax : Pat<(Dl_LogOp (Dl_SoftmaxOp $x, $axis)),
                       (Dl_LogSoftmaxOp $x, $axis)>;

#endif // DL_CANONICALIZE_TD
