//===- Einsum.cpp - ONNX Einsum as transposes, sums and matmuls -----------===//
//
// An Einsum equation names each input's axes with letters ("bhqd,bhkd->
// bhqk"). It lowers to ops dl has: a letter repeated within one input takes
// the diagonal (a gather), a letter no other operand or the output needs is
// summed out at once, and the inputs are contracted two at a time as one
// batched matmul: letters both share and still need are the batch, letters
// only they share are the contraction, the rest the rows and columns. What
// is left is transposed into the output's order.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include <cctype>
#include <map>

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

/// An axis' label: a letter's character code, or kEllipsis + k for the k-th
/// of the axes "..." stands for (right-aligned across the inputs, as numpy
/// broadcasts them).
using Label = int;
constexpr Label kEllipsis = 256;

struct Operand {
  Value value;
  SmallVector<Label> labels;
};

/// Parses one term ("b...ij") for a tensor of `rank`; `ellipsisRank` is the
/// number of axes "..." stands for in the widest input.
FailureOr<SmallVector<Label>> parseTerm(NodeContext &ctx, StringRef term,
                                        int64_t rank, int64_t ellipsisRank) {
  SmallVector<Label> labels;
  size_t dots = term.find("...");
  StringRef before = term.substr(0, dots), after;
  if (dots != StringRef::npos)
    after = term.substr(dots + 3);
  int64_t letters = int64_t(before.size() + after.size());
  for (char c : before.str() + after.str())
    if (!std::isalpha(static_cast<unsigned char>(c)))
      return ctx.error() << "the equation's term '" << term << "' has '" << c
                         << "', not a letter",
             failure();
  // The output's "..." stands for every axis it does in the inputs.
  int64_t spanned = rank < 0 ? ellipsisRank : rank - letters;
  if (rank >= 0 && (spanned < 0 || (dots == StringRef::npos && spanned)))
    return ctx.error() << "the term '" << term << "' names " << letters
                       << " axes of an input of rank " << rank,
           failure();
  for (char c : before)
    labels.push_back(Label(c));
  if (dots != StringRef::npos)
    for (int64_t k = ellipsisRank - spanned; k < ellipsisRank; ++k)
      labels.push_back(kEllipsis + Label(k));
  for (char c : after)
    labels.push_back(Label(c));
  return labels;
}

Value transposed(NodeContext &ctx, Operand &x, ArrayRef<Label> order) {
  SmallVector<int64_t> perm;
  for (Label l : order)
    perm.push_back(llvm::find(x.labels, l) - x.labels.begin());
  x.labels.assign(order.begin(), order.end());
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= int64_t(i) == p;
  if (!identity)
    x.value = ctx.make<TransposeOp>(x.value, ArrayRef<int64_t>(perm));
  return x.value;
}

/// Takes the diagonal of every letter `x` repeats.
LogicalResult takeDiagonals(NodeContext &ctx, Operand &x) {
  for (size_t p = 0; p < x.labels.size(); ++p) {
    auto q = std::find(x.labels.begin() + p + 1, x.labels.end(), x.labels[p]);
    if (q == x.labels.end())
      continue;
    auto shape = cast<RankedTensorType>(x.value.getType()).getShape();
    int64_t n = shape[p];
    if (shape[q - x.labels.begin()] != n)
      return ctx.error() << "'" << char(x.labels[p])
                         << "' is repeated over axes of sizes " << n << " and "
                         << shape[q - x.labels.begin()],
             failure();
    // The two axes last, as one of n * n, whose diagonal is every n + 1st.
    Label l = x.labels[p];
    SmallVector<Label> order;
    for (auto [i, other] : llvm::enumerate(x.labels))
      if (int64_t(i) != int64_t(p) && i != size_t(q - x.labels.begin()))
        order.push_back(other);
    order.append({l, l});
    SmallVector<int64_t> perm;
    SmallVector<bool> used(x.labels.size());
    for (Label o : order)
      for (auto [i, have] : llvm::enumerate(x.labels))
        if (have == o && !used[i]) {
          perm.push_back(i), used[i] = true;
          break;
        }
    Value v = ctx.make<TransposeOp>(x.value, ArrayRef<int64_t>(perm));
    if (!v)
      return failure();
    SmallVector<int64_t> flat;
    for (int64_t i : ArrayRef<int64_t>(perm).drop_back(2))
      flat.push_back(shape[i]);
    flat.push_back(n * n);
    SmallVector<int64_t> diagonal;
    for (int64_t i = 0; i < n; ++i)
      diagonal.push_back(i * (n + 1));
    x.value = ctx.make<GatherOp>(
        ctx.reshape(v, flat),
        ctx.intConstant({n}, ctx.b.getIntegerType(64), diagonal),
        uint64_t(flat.size() - 1));
    order.pop_back();
    x.labels = order;
    if (!x.value)
      return failure();
    p = size_t(-1); // start over: the axes moved
  }
  return success();
}

/// Sums out the labels of `x` that `keep` does not hold.
void sumOutExcept(NodeContext &ctx, Operand &x, ArrayRef<Label> keep) {
  SmallVector<int64_t> axes;
  SmallVector<Label> kept;
  for (auto [i, l] : llvm::enumerate(x.labels)) {
    if (llvm::is_contained(keep, l))
      kept.push_back(l);
    else
      axes.push_back(i);
  }
  if (axes.empty() || !x.value)
    return;
  x.value = ctx.make<ReduceSumOp>(x.value, axes, false);
  x.labels = kept;
}

/// Contracts `a` and `b` into one operand whose labels are those of `keep`
/// they hold.
Operand contract(NodeContext &ctx, Operand a, Operand b, ArrayRef<Label> keep) {
  auto in = [](const Operand &x, Label l) {
    return llvm::is_contained(x.labels, l);
  };
  SmallVector<Label> aKeep(keep), bKeep(keep);
  aKeep.append(b.labels.begin(), b.labels.end());
  bKeep.append(a.labels.begin(), a.labels.end());
  sumOutExcept(ctx, a, aKeep);
  sumOutExcept(ctx, b, bKeep);
  if (!a.value || !b.value)
    return {};
  SmallVector<Label> batch, rows, sum, cols;
  for (Label l : a.labels) {
    bool kept = llvm::is_contained(keep, l);
    if (in(b, l))
      (kept ? batch : sum).push_back(l);
    else
      rows.push_back(l);
  }
  for (Label l : b.labels)
    if (!in(a, l))
      cols.push_back(l);
  auto sizes = [](const Operand &x) {
    return cast<RankedTensorType>(x.value.getType()).getShape();
  };
  auto sizeOf = [&](const Operand &x, Label l) {
    return sizes(x)[llvm::find(x.labels, l) - x.labels.begin()];
  };
  auto product = [&](const Operand &x, ArrayRef<Label> labels) {
    int64_t p = 1;
    for (Label l : labels)
      p *= sizeOf(x, l);
    return p;
  };
  SmallVector<Label> aOrder(batch), bOrder(batch);
  aOrder.append(rows), aOrder.append(sum);
  bOrder.append(sum), bOrder.append(cols);
  SmallVector<int64_t> aShape, bShape, outShape;
  for (Label l : batch) {
    int64_t sa = sizeOf(a, l), sb = sizeOf(b, l);
    aShape.push_back(sa), bShape.push_back(sb);
    outShape.push_back(std::max(sa, sb));
  }
  int64_t m = product(a, rows), k = product(a, sum), n = product(b, cols);
  aShape.append({m, k});
  bShape.append({k, n});
  for (Label l : rows)
    outShape.push_back(sizeOf(a, l));
  for (Label l : cols)
    outShape.push_back(sizeOf(b, l));
  Value av = transposed(ctx, a, aOrder), bv = transposed(ctx, b, bOrder);
  if (!av || !bv)
    return {};
  Value product2 = ctx.make<MatmulOp>(ctx.reshape(av, aShape),
                                      ctx.reshape(bv, bShape), false, false);
  if (!product2)
    return {};
  Operand result{ctx.reshape(product2, outShape), batch};
  result.labels.append(rows);
  result.labels.append(cols);
  return result;
}

LogicalResult convertEinsum(NodeContext &ctx) {
  std::string equation;
  for (char c : ctx.getString("equation", ""))
    if (c != ' ')
      equation += c;
  StringRef eq(equation), lhs = eq, rhs;
  bool explicitOutput = eq.contains("->");
  if (explicitOutput)
    std::tie(lhs, rhs) = eq.split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ctx.numInputs())
    return ctx.error() << "the equation '" << equation << "' has "
                       << terms.size() << " input terms for " << ctx.numInputs()
                       << " inputs",
           failure();
  int64_t ellipsisRank = 0;
  for (auto [i, term] : llvm::enumerate(terms)) {
    if (!term.contains("..."))
      continue;
    int64_t letters = int64_t(term.size()) - 3;
    ellipsisRank = std::max(ellipsisRank, ctx.rank(i) - letters);
  }
  SmallVector<Operand> operands;
  for (auto [i, term] : llvm::enumerate(terms)) {
    auto labels = parseTerm(ctx, term, ctx.rank(i), ellipsisRank);
    if (failed(labels))
      return failure();
    operands.push_back({ctx.in(i), *labels});
  }
  SmallVector<Label> output;
  if (explicitOutput) {
    auto labels = parseTerm(ctx, rhs, -1, ellipsisRank);
    if (failed(labels))
      return failure();
    output = *labels;
    for (auto [i, l] : llvm::enumerate(output)) {
      if (llvm::is_contained(ArrayRef<Label>(output).take_front(i), l))
        return ctx.error() << "the output repeats '" << char(l) << "'",
               failure();
      if (!llvm::any_of(operands, [&](const Operand &x) {
            return llvm::is_contained(x.labels, l);
          }))
        return ctx.error() << "the output's '" << char(l) << "' is in no input",
               failure();
    }
  } else {
    // numpy's implicit output: the ellipsis, then the letters used once,
    // in alphabetical order.
    for (Label k = 0; k < ellipsisRank; ++k)
      output.push_back(kEllipsis + k);
    std::map<Label, int> uses;
    for (const Operand &x : operands)
      for (Label l : x.labels)
        if (l < kEllipsis)
          ++uses[l];
    for (auto [l, count] : uses)
      if (count == 1)
        output.push_back(l);
  }
  for (Operand &x : operands)
    if (failed(takeDiagonals(ctx, x)))
      return failure();
  // Each letter's sizes must agree (an ellipsis axis of size 1 broadcasts).
  std::map<Label, int64_t> sizes;
  for (const Operand &x : operands) {
    auto shape = cast<RankedTensorType>(x.value.getType()).getShape();
    for (auto [i, l] : llvm::enumerate(x.labels)) {
      auto [it, fresh] = sizes.insert({l, shape[i]});
      if (fresh || it->second == shape[i])
        continue;
      if (l >= kEllipsis && (it->second == 1 || shape[i] == 1)) {
        it->second = std::max(it->second, shape[i]);
        continue;
      }
      return ctx.error() << "'"
                         << (l < kEllipsis ? std::string(1, char(l))
                                           : std::string("..."))
                         << "' has sizes " << it->second << " and " << shape[i],
             failure();
    }
  }
  // Contract left to right, keeping what the output and later inputs need.
  Operand acc = operands.front();
  for (size_t i = 1; i < operands.size(); ++i) {
    SmallVector<Label> keep(output);
    for (size_t j = i + 1; j < operands.size(); ++j)
      keep.append(operands[j].labels.begin(), operands[j].labels.end());
    acc = contract(ctx, acc, operands[i], keep);
    if (!acc.value)
      return failure();
  }
  sumOutExcept(ctx, acc, output);
  Value y = acc.value ? transposed(ctx, acc, output) : Value();
  // An output axis only ellipsis broadcasting made larger.
  if (y) {
    SmallVector<int64_t> shape;
    for (Label l : output)
      shape.push_back(sizes[l]);
    if (cast<RankedTensorType>(y.getType()).getShape() != ArrayRef(shape))
      y = ctx.broadcastTo(y, shape);
  }
  ctx.set(0, y);
  return success(y != nullptr);
}

} // namespace

void dlc::onnx::registerEinsumOps(ConverterTable &t) {
  t.add("Einsum", 12, convertEinsum);
}
