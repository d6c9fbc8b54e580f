//===- RecurrentOps.cpp - ONNX RNN, GRU and LSTM, unrolled ----------------===//
//
// Shapes are static, so a recurrent layer unrolls over its sequence: the
// input's projection for every step is one GEMM up front (with both
// biases where the cell adds them unchanged), and each step adds the
// hidden state's projection and applies the cell's gates. Steps past a
// sequence's length (sequence_lens, known at compile time) keep the state
// and output zeros, as ONNX defines. Y stacks the steps' states.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

enum class Cell { Rnn, Gru, Lstm };

int64_t gateCount(Cell cell) {
  return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
}

/// One direction's weights and state, as [rows, columns] matrices.
struct Direction {
  Value w, r;         // [gates * h, input], [gates * h, h]
  Value wBias, rBias; // [gates * h], null when B is absent
  Value peephole;     // [3 * h] (LSTM: i, o, f), null when absent
  Value h, c;         // [batch, h]
  bool reverse = false;
  SmallVector<std::string> activations;
};

class Unroller {
public:
  Unroller(NodeContext &ctx, Cell cell, int64_t hidden, double clip)
      : ctx(ctx), cell(cell), hidden(hidden), clip(clip),
        elt(ctx.type(0).getElementType()) {}

  /// Columns [gate * h, (gate + 1) * h) of a [rows, gates * h] value.
  Value gate(Value v, int64_t index) {
    auto shape = cast<RankedTensorType>(v.getType()).getShape();
    return ctx.make<SliceOp>(v, ArrayRef<int64_t>{0, index * hidden},
                             ArrayRef<int64_t>{shape[0], (index + 1) * hidden},
                             ArrayRef<int64_t>{1, 1});
  }
  /// Elements [index * h, (index + 1) * h) of a vector.
  Value part(Value v, int64_t index) {
    return ctx.make<SliceOp>(v, ArrayRef<int64_t>{index * hidden},
                             ArrayRef<int64_t>{(index + 1) * hidden},
                             ArrayRef<int64_t>{1});
  }

  Value activate(Value v, StringRef f) {
    if (!v)
      return v;
    if (clip > 0)
      v = ctx.make<MinOp>(ctx.make<MaxOp>(v, ctx.scalarOf(elt, -clip)),
                          ctx.scalarOf(elt, clip));
    if (f == "Sigmoid")
      return SigmoidOp::create(ctx.b, ctx.loc, v);
    if (f == "Tanh")
      return TanhOp::create(ctx.b, ctx.loc, v);
    return ReluOp::create(ctx.b, ctx.loc, v); // checked: Relu
  }
  Value add(Value a, Value b) { return a && b ? ctx.make<AddOp>(a, b) : a; }
  Value mul(Value a, Value b) { return ctx.make<MulOp>(a, b); }

  /// x @ m^T for x [rows, k], m [n, k].
  Value times(Value x, Value m) {
    return ctx.make<MatmulOp>(x, m, false, true);
  }

  /// One step of `d` from the input's projection `x` ([batch, gates * h],
  /// biases added); updates d.h (and d.c).
  LogicalResult step(Direction &d, Value x, bool linearBeforeReset) {
    ArrayRef<std::string> f = d.activations;
    if (cell == Cell::Rnn) {
      d.h = activate(add(x, times(d.h, d.r)), f[0]);
      return success(d.h != nullptr);
    }
    if (cell == Cell::Lstm) {
      Value gates = add(x, times(d.h, d.r));
      if (!gates)
        return failure();
      auto peep = [&](Value g, int64_t index, Value c) {
        return d.peephole ? add(g, mul(c, part(d.peephole, index))) : g;
      };
      Value i = activate(peep(gate(gates, 0), 0, d.c), f[0]);
      Value forget = activate(peep(gate(gates, 2), 2, d.c), f[0]);
      Value candidate = activate(gate(gates, 3), f[1]);
      d.c = add(mul(forget, d.c), mul(i, candidate));
      Value o = activate(peep(gate(gates, 1), 1, d.c), f[0]);
      d.h = mul(o, activate(d.c, f[2]));
      return success(d.h && d.c);
    }
    // GRU: update z, reset r, candidate; Rb of the candidate stays inside
    // (before or after the reset).
    Value rz =
        times(d.h, ctx.make<SliceOp>(d.r, ArrayRef<int64_t>{0, 0},
                                     ArrayRef<int64_t>{2 * hidden, hidden},
                                     ArrayRef<int64_t>{1, 1}));
    if (!rz)
      return failure();
    Value z = activate(add(gate(x, 0), gate(rz, 0)), f[0]);
    Value r = activate(add(gate(x, 1), gate(rz, 1)), f[0]);
    Value rh = ctx.make<SliceOp>(d.r, ArrayRef<int64_t>{2 * hidden, 0},
                                 ArrayRef<int64_t>{3 * hidden, hidden},
                                 ArrayRef<int64_t>{1, 1});
    Value rhBias = d.rBias ? part(d.rBias, 2) : Value();
    Value recurrent = linearBeforeReset ? mul(r, add(times(d.h, rh), rhBias))
                                        : add(times(mul(r, d.h), rh), rhBias);
    Value candidate = activate(add(gate(x, 2), recurrent), f[1]);
    Value one = ctx.scalarOf(elt, 1);
    d.h = add(mul(ctx.make<SubOp>(one, z), candidate), mul(z, d.h));
    return success(d.h != nullptr);
  }

  NodeContext &ctx;
  Cell cell;
  int64_t hidden;
  double clip;
  Type elt;
};

template <Cell cell> LogicalResult convertRecurrent(NodeContext &ctx) {
  if (ctx.rank(0) != 3 || ctx.rank(1) != 3 || ctx.rank(2) != 3)
    return ctx.error() << "X, W and R must have rank 3", failure();
  int64_t gates = gateCount(cell);
  bool batchFirst = ctx.getInt("layout", 0) != 0;
  Value x = ctx.in(0);
  auto xShape = ctx.type(0).getShape();
  int64_t seq = xShape[batchFirst ? 1 : 0], batch = xShape[batchFirst ? 0 : 1],
          input = xShape[2];
  int64_t hidden = ctx.getInt("hidden_size", ctx.type(2).getDimSize(2));
  std::string direction = ctx.getString("direction", "forward");
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return ctx.error() << "direction '" << direction
                       << "' is not forward, reverse or bidirectional",
           failure();
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  auto expect = [&](unsigned i, ArrayRef<int64_t> shape, StringRef name) {
    if (ctx.type(i).getShape() == shape)
      return success();
    ctx.error() << name << " is " << formatShape(ctx.type(i).getShape())
                << ", expected " << formatShape(shape);
    return failure();
  };
  if (failed(expect(1, {dirs, gates * hidden, input}, "W")) ||
      failed(expect(2, {dirs, gates * hidden, hidden}, "R")) ||
      (ctx.has(3) && failed(expect(3, {dirs, 2 * gates * hidden}, "B"))))
    return failure();
  if (cell == Cell::Lstm && ctx.getInt("input_forget", 0))
    return ctx.unsupported("input_forget");
  if (ctx.hasAttr("activation_alpha") || ctx.hasAttr("activation_beta"))
    return ctx.unsupported("activation_alpha and activation_beta");
  SmallVector<std::string> activations;
  if (const auto *a = ctx.attr("activations"))
    for (const std::string &s : a->strings())
      activations.push_back(s);
  int64_t perDirection = cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 2 : 3;
  if (activations.empty()) {
    for (int64_t d = 0; d < dirs; ++d) {
      if (cell == Cell::Rnn)
        activations.push_back("Tanh");
      else
        activations.append({"Sigmoid", "Tanh"});
      if (cell == Cell::Lstm)
        activations.push_back("Tanh");
    }
  }
  if (int64_t(activations.size()) != perDirection * dirs)
    return ctx.error() << "activations names " << activations.size()
                       << " functions, expected " << perDirection * dirs,
           failure();
  for (const std::string &f : activations)
    if (f != "Sigmoid" && f != "Tanh" && f != "Relu")
      return ctx.unsupported("activation '" + f + "'");

  // Lengths must be known: a step past one keeps that sequence's state.
  SmallVector<int64_t> lengths(batch, seq);
  if (ctx.has(4)) {
    auto l = ctx.ints(4, "sequence_lens");
    if (failed(l))
      return failure();
    if (int64_t(l->size()) != batch)
      return ctx.error() << "sequence_lens has " << l->size()
                         << " values for a batch of " << batch,
             failure();
    for (int64_t v : *l)
      if (v < 0 || v > seq)
        return ctx.error() << "a sequence length of " << v << " is outside [0, "
                           << seq << "]",
               failure();
    lengths = *l;
  }
  bool ragged = llvm::any_of(lengths, [&](int64_t v) { return v != seq; });
  if (ragged && direction != "forward")
    return ctx.unsupported("sequence_lens shorter than the sequence in the " +
                           direction + " direction");

  Unroller u(ctx, cell, hidden, ctx.getFloat("clip", 0));
  Type elt = u.elt;
  if (batchFirst)
    x = ctx.make<TransposeOp>(x, ArrayRef<int64_t>{1, 0, 2});
  Value flatX = ctx.reshape(x, {seq * batch, input});
  // Direction d of input i, [dirs, rows, cols], as a matrix.
  auto slice3 = [&](unsigned i, int64_t d, int64_t rows, int64_t cols) {
    Value v = ctx.make<SliceOp>(ctx.in(i), ArrayRef<int64_t>{d, 0, 0},
                                ArrayRef<int64_t>{d + 1, rows, cols},
                                ArrayRef<int64_t>{1, 1, 1});
    return ctx.reshape(v, {rows, cols});
  };
  auto row = [&](unsigned i, int64_t d, int64_t from, int64_t count) {
    Value v = ctx.make<SliceOp>(ctx.in(i), ArrayRef<int64_t>{d, from},
                                ArrayRef<int64_t>{d + 1, from + count},
                                ArrayRef<int64_t>{1, 1});
    return ctx.reshape(v, {count});
  };
  Value zeros = ctx.broadcastTo(ctx.scalarOf(elt, 0), {batch, hidden});

  SmallVector<SmallVector<Value>> outputs(dirs); // [dir][time]
  SmallVector<Direction> state(dirs);
  for (int64_t d = 0; d < dirs; ++d) {
    Direction &s = state[d];
    s.reverse = direction == "reverse" || d == 1;
    s.activations.assign(activations.begin() + d * perDirection,
                         activations.begin() + (d + 1) * perDirection);
    s.w = slice3(1, d, gates * hidden, input);
    s.r = slice3(2, d, gates * hidden, hidden);
    if (ctx.has(3)) {
      s.wBias = row(3, d, 0, gates * hidden);
      s.rBias = row(3, d, gates * hidden, gates * hidden);
    }
    if (cell == Cell::Lstm && ctx.has(7)) {
      if (failed(expect(7, {dirs, 3 * hidden}, "P")))
        return failure();
      s.peephole = row(7, d, 0, 3 * hidden);
    }
    auto initial = [&](unsigned i, StringRef name) -> Value {
      if (!ctx.has(i))
        return zeros;
      if (failed(expect(i, {dirs, batch, hidden}, name)))
        return nullptr;
      return slice3(i, d, batch, hidden);
    };
    s.h = initial(5, "initial_h");
    s.c = cell == Cell::Lstm ? initial(6, "initial_c") : Value();
    if (!s.h || (cell == Cell::Lstm && !s.c))
      return failure();

    // Every step's input projection at once. The biases go in too, but for
    // GRU the candidate's recurrent bias, which the reset gate scales.
    Value projected = u.times(flatX, s.w);
    Value bias = s.wBias;
    if (s.rBias) {
      Value rb = s.rBias;
      if (cell == Cell::Gru)
        rb = ctx.make<ConcatOp>(
            ValueRange{ctx.make<SliceOp>(rb, ArrayRef<int64_t>{0},
                                         ArrayRef<int64_t>{2 * hidden},
                                         ArrayRef<int64_t>{1}),
                       ctx.broadcastTo(ctx.scalarOf(elt, 0), {hidden})},
            uint64_t(0));
      bias = u.add(bias, rb);
    }
    projected = u.add(projected, bias);
    if (!projected)
      return failure();
    projected = ctx.reshape(projected, {seq, batch, gates * hidden});

    bool linearBeforeReset = ctx.getInt("linear_before_reset", 0) != 0;
    outputs[d].assign(seq, Value());
    for (int64_t k = 0; k < seq; ++k) {
      int64_t t = s.reverse ? seq - 1 - k : k;
      Value xt = ctx.reshape(
          ctx.make<SliceOp>(projected, ArrayRef<int64_t>{t, 0, 0},
                            ArrayRef<int64_t>{t + 1, batch, gates * hidden},
                            ArrayRef<int64_t>{1, 1, 1}),
          {batch, gates * hidden});
      Value h = s.h, c = s.c;
      if (failed(u.step(s, xt, linearBeforeReset)))
        return failure();
      Value out = s.h;
      if (ragged) {
        SmallVector<bool> live;
        for (int64_t v : lengths)
          live.push_back(t < v);
        auto maskType = RankedTensorType::get({batch, 1}, ctx.b.getI1Type());
        Value mask = ctx.constantOf(
            DenseElementsAttr::get(maskType, ArrayRef<bool>(live)));
        s.h = ctx.make<SelectOp>(mask, s.h, h);
        if (c)
          s.c = ctx.make<SelectOp>(mask, s.c, c);
        out = ctx.make<SelectOp>(mask, out, zeros);
      }
      outputs[d][t] = out;
    }
  }

  // Y: [seq, dirs, batch, h], or [batch, seq, dirs, h] batch first.
  if (ctx.wants(0)) {
    SmallVector<Value> steps;
    for (int64_t t = 0; t < seq; ++t) {
      SmallVector<Value> perDir;
      for (int64_t d = 0; d < dirs; ++d)
        perDir.push_back(ctx.reshape(outputs[d][t], {1, 1, batch, hidden}));
      steps.push_back(
          dirs == 1 ? perDir[0]
                    : ctx.make<ConcatOp>(ValueRange(perDir), uint64_t(1)));
    }
    Value y = seq == 1 ? steps[0]
                       : ctx.make<ConcatOp>(ValueRange(steps), uint64_t(0));
    if (y && batchFirst)
      y = ctx.make<TransposeOp>(y, ArrayRef<int64_t>{2, 0, 1, 3});
    if (!y)
      return failure();
    ctx.set(0, y);
  }
  // Y_h, Y_c: [dirs, batch, h], or [batch, dirs, h] batch first.
  auto last = [&](bool cellState) -> Value {
    SmallVector<Value> perDir;
    for (int64_t d = 0; d < dirs; ++d)
      perDir.push_back(
          ctx.reshape(cellState ? state[d].c : state[d].h, {1, batch, hidden}));
    Value v = dirs == 1 ? perDir[0]
                        : ctx.make<ConcatOp>(ValueRange(perDir), uint64_t(0));
    if (v && batchFirst)
      v = ctx.make<TransposeOp>(v, ArrayRef<int64_t>{1, 0, 2});
    return v;
  };
  if (ctx.wants(1)) {
    Value v = last(false);
    if (!v)
      return failure();
    ctx.set(1, v);
  }
  if (cell == Cell::Lstm && ctx.wants(2)) {
    Value v = last(true);
    if (!v)
      return failure();
    ctx.set(2, v);
  }
  return success();
}

} // namespace

void dlc::onnx::registerRecurrentOps(ConverterTable &t) {
  t.add("RNN", 7, convertRecurrent<Cell::Rnn>);
  t.add("GRU", 7, convertRecurrent<Cell::Gru>);
  t.add("LSTM", 7, convertRecurrent<Cell::Lstm>);
}
