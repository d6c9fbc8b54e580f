//===- StepLowering.cpp - dl ops to plan steps ----------------------------===//
//
// One case per op family: elementwise ops become one-instruction Elementwise
// kernels (fusion merges them later), matmul a GEMM, the rest the kernel of
// the same name. The FLOPs counted are multiply-adds times two for
// contractions and one per element per arithmetic step elsewhere.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/PlanWriterImpl.h"
#include "dialects/dl/DlViews.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace dlc {

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

static uint64_t numElements(Value value) {
  return tensorType(value).getNumElements();
}

static std::vector<int64_t> toVector(ArrayRef<int64_t> values) {
  return std::vector<int64_t>(values.begin(), values.end());
}

uint32_t ProgramLowering::newTensor(Value value, plan::Role role,
                                    uint64_t offset, std::string name) {
  RankedTensorType type = tensorType(value);
  TensorRecord record;
  record.name = std::move(name);
  record.dtype = toPlanDType(type.getElementType());
  record.shape = toVector(type.getShape());
  record.role = role;
  record.arena = kActivations;
  record.offset = offset;
  record.bytes = type.getNumElements() * elementBytes(record.dtype);
  uint32_t index = tensors.size();
  tensors.push_back(std::move(record));
  valueTensor[value] = index;
  return index;
}

void ProgramLowering::addStep(Operation &op, plan::StepKind kind,
                              fb::Offset<void> step, uint64_t stepFlops) {
  flushElementwise();
  std::string location = formatLocation(op.getLoc());
  steps.push_back(plan::CreateStepDirect(fbb, kind, step, stepFlops,
                                         location.c_str()));
  flops += stepFlops;
}

/// The dl.fused marked `epilogue` that reads `op`'s one result, if any.
static dl::FusedOp epilogueOf(Operation &op) {
  if (op.getNumResults() != 1 || !op.getResult(0).hasOneUse())
    return {};
  auto fused = dyn_cast<dl::FusedOp>(*op.getResult(0).getUsers().begin());
  return fused && fused.getEpilogue() &&
                 fused.getInputs().front() == op.getResult(0)
             ? fused
             : dl::FusedOp();
}

void ProgramLowering::addKernel(Operation &op, StringRef name, plan::Op kind,
                                fb::Offset<void> body, uint64_t stepFlops) {
  // Pending elementwise ops become steps first: the kernel's index is that
  // of the step this one will be.
  flushElementwise();
  // An epilogue region runs in this kernel, on its result in place.
  fb::Offset<plan::Elementwise> epilogue;
  std::string kernelName = name.str();
  if (dl::FusedOp fused = epilogueOf(op)) {
    FailureOr<Program> program =
        buildProgram(fused, fused.getBody().front(), fused.getInputs(),
                     tensorType(fused.getResult(0)).getShape());
    if (succeeded(program)) {
      epiloguesRun.insert(fused);
      epilogue = program->write(fbb, {tensorOf(op.getResult(0))});
      // softmax_grad_select_mul; longer ones by their size.
      const std::vector<std::string> &names = program->names;
      kernelName += names.size() <= 3
                        ? "_" + llvm::join(names, "_")
                        : llvm::formatv("_{0}_ops", names.size()).str();
      stepFlops += numElements(fused.getResult(0)) * program->code.size();
    }
  }
  int32_t index = -1;
  std::vector<uint32_t> grid, block;
  uint64_t scratch = 0;
  if (stepKernels) {
    index = (*stepKernels)[steps.size()];
    const cuda::EmittedKernel &emitted = kernels->kernels[index];
    grid.assign(emitted.grid.begin(), emitted.grid.end());
    block.assign(emitted.block.begin(), emitted.block.end());
    scratch = emitted.scratch;
  }
  auto kernel = plan::CreateKernelDirect(
      fbb, kernelName.c_str(), index, stepKernels ? &grid : nullptr,
      stepKernels ? &block : nullptr, kind, body, epilogue, scratch);
  addStep(op, plan::StepKind::Kernel, kernel.Union(), stepFlops);
}

LogicalResult ProgramLowering::lower(func::FuncOp func) {
  for (BlockArgument arg : func.getArguments()) {
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                  "dl.name");
    auto offset = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                     "dl.offset");
    if (!name || !offset)
      return func.emitError("argument ")
             << arg.getArgNumber() << " needs dl.name and dl.offset";
    uint32_t tensor = newTensor(arg, plan::Role::Input, offset.getInt(),
                                name.getValue().str());
    inputs.emplace_back(name.getValue().str(), tensor);
  }
  Block &body = func.getBody().front();
  for (Operation &op : body.without_terminator())
    if (failed(lowerOp(op)))
      return failure();
  flushElementwise();
  Operation *ret = body.getTerminator();
  for (auto [i, value] : llvm::enumerate(ret->getOperands())) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "dl.name");
    std::string outputName =
        name ? name.getValue().str() : llvm::formatv("output{0}", i).str();
    uint32_t tensor = tensorOf(value);
    TensorRecord &record = tensors[tensor];
    if (record.role == plan::Role::Temporary) {
      record.role = plan::Role::Output;
      record.name = outputName;
    }
    outputs.emplace_back(outputName, tensor);
  }
  return success();
}

/// The instruction of a one-op elementwise kernel; nullopt for ops that are
/// not elementwise.
static std::optional<plan::Instr> elementwiseInstr(Operation &op) {
  plan::DType dtype = toPlanDType(tensorType(op.getResult(0)).getElementType());
  auto instr = [&](plan::ElemOp code, int64_t iarg = 0, double imm = 0) {
    return plan::Instr(code, dtype, 0, 1, 2, iarg, imm);
  };
  using E = plan::ElemOp;
  return llvm::TypeSwitch<Operation *, std::optional<plan::Instr>>(&op)
      .Case([&](dl::AddOp) { return instr(E::Add); })
      .Case([&](dl::SubOp) { return instr(E::Sub); })
      .Case([&](dl::MulOp) { return instr(E::Mul); })
      .Case([&](dl::DivOp) { return instr(E::Div); })
      .Case([&](dl::PowOp) { return instr(E::Pow); })
      .Case([&](dl::MaxOp) { return instr(E::Max); })
      .Case([&](dl::MinOp) { return instr(E::Min); })
      .Case([&](dl::NegOp) { return instr(E::Neg); })
      .Case([&](dl::AbsOp) { return instr(E::Abs); })
      .Case([&](dl::ExpOp) { return instr(E::Exp); })
      .Case([&](dl::LogOp) { return instr(E::Log); })
      .Case([&](dl::SqrtOp) { return instr(E::Sqrt); })
      .Case([&](dl::RsqrtOp) { return instr(E::Rsqrt); })
      .Case([&](dl::TanhOp) { return instr(E::Tanh); })
      .Case([&](dl::SigmoidOp) { return instr(E::Sigmoid); })
      .Case([&](dl::ReluOp) { return instr(E::Relu); })
      .Case([&](dl::FloorOp) { return instr(E::Floor); })
      .Case([&](dl::CosOp) { return instr(E::Cos); })
      .Case([&](dl::SinOp) { return instr(E::Sin); })
      .Case([&](dl::TanOp) { return instr(E::Tan); })
      .Case([&](dl::AsinOp) { return instr(E::Asin); })
      .Case([&](dl::AcosOp) { return instr(E::Acos); })
      .Case([&](dl::AtanOp) { return instr(E::Atan); })
      .Case([&](dl::SinhOp) { return instr(E::Sinh); })
      .Case([&](dl::CoshOp) { return instr(E::Cosh); })
      .Case([&](dl::AsinhOp) { return instr(E::Asinh); })
      .Case([&](dl::AcoshOp) { return instr(E::Acosh); })
      .Case([&](dl::AtanhOp) { return instr(E::Atanh); })
      .Case([&](dl::ErfOp) { return instr(E::Erf); })
      .Case([&](dl::RoundOp) { return instr(E::Round); })
      .Case([&](dl::IsNanOp) { return instr(E::IsNan); })
      .Case([&](dl::IsInfOp) { return instr(E::IsInf); })
      .Case([&](dl::GeluOp gelu) {
        return instr(gelu.getApproximation() == dl::GeluApproximation::Tanh
                         ? E::GeluTanh
                         : E::GeluErf);
      })
      .Case([&](dl::CastOp) { return instr(E::Cast); })
      .Case([&](dl::SelectOp) { return instr(E::Select); })
      .Case([&](dl::DropoutOp dropout) {
        return instr(E::Dropout, dropout.getSeed(),
                     dropout.getRate().convertToDouble());
      })
      .Case([&](dl::CompareOp compare) {
        switch (compare.getDirection()) {
        case dl::CompareDirection::EQ:
          return instr(E::CmpEq);
        case dl::CompareDirection::NE:
          return instr(E::CmpNe);
        case dl::CompareDirection::LT:
          return instr(E::CmpLt);
        case dl::CompareDirection::LE:
          return instr(E::CmpLe);
        case dl::CompareDirection::GT:
          return instr(E::CmpGt);
        case dl::CompareDirection::GE:
          return instr(E::CmpGe);
        }
        return instr(E::CmpEq);
      })
      .Default([](Operation *) { return std::nullopt; });
}

LogicalResult ProgramLowering::lowerElementwise(Operation &op) {
  std::vector<uint32_t> ins, outs = {tensorOf(op.getResult(0))};
  for (Value operand : op.getOperands())
    ins.push_back(tensorOf(operand));
  std::vector<plan::Instr> code;
  std::vector<uint16_t> results;
  if (isa<dl::BroadcastToOp>(op)) {
    results.push_back(0);
  } else {
    std::optional<plan::Instr> instr = elementwiseInstr(op);
    if (!instr)
      return op.emitError("'") << op.getName() << "' has no plan step";
    code.push_back(*instr);
    results.push_back(static_cast<uint16_t>(ins.size()));
  }
  auto body = plan::CreateElementwiseDirect(fbb, &ins, &outs, &code, &results);
  std::string name = ("elementwise_" + op.getName().stripDialect()).str();
  addElementwise(op, name, body, ins, outs,
                 numElements(op.getResult(0)) * code.size());
  return success();
}

/// An elementwise region's body is one register program: each op inside
/// appends one register. Its inputs are the block arguments read as they
/// are (broadcast numpy-style) and the views of them the ops read (strided
/// loads), one register each: the plain ones first in argument order, then
/// the views in order of first use.
FailureOr<ProgramLowering::Program>
ProgramLowering::buildProgram(Operation *owner, Block &block,
                              ValueRange inputs, ArrayRef<int64_t> shape) {
  struct Load {
    unsigned arg;
    std::optional<dl::StridedView> view; // over the region's dimensions
    bool operator==(const Load &other) const {
      return arg == other.arg &&
             view.has_value() == other.view.has_value() &&
             (!view || (view->offset == other.view->offset &&
                        view->strides == other.view->strides));
    }
  };
  auto loadOf = [&](Value value) -> FailureOr<Load> {
    Value root;
    std::optional<dl::StridedView> view = dl::viewChainOf(value, root, &block);
    auto arg = dyn_cast<BlockArgument>(root);
    if (!view || !arg)
      return failure();
    std::optional<SmallVector<int64_t>> strides =
        view->broadcastStrides(shape);
    if (!strides)
      return failure();
    // A view that reads what broadcasting the argument reads is the argument.
    std::optional<SmallVector<int64_t>> plain =
        dl::StridedView::contiguous(tensorType(arg).getShape())
            .broadcastStrides(shape);
    if (view->offset == 0 && plain && *plain == *strides)
      return Load{arg.getArgNumber(), std::nullopt};
    dl::StridedView read;
    read.shape.assign(shape.begin(), shape.end());
    read.strides = std::move(*strides);
    read.offset = view->offset;
    return Load{arg.getArgNumber(), std::move(read)};
  };
  std::vector<Load> loads;
  for (Operation &op : block) {
    if (dl::isViewOp(&op))
      continue;
    for (Value operand : op.getOperands()) {
      if (operand.getDefiningOp() && !dl::isViewOp(operand.getDefiningOp()))
        continue;
      FailureOr<Load> load = loadOf(operand);
      if (failed(load))
        return owner->emitError("an elementwise region reads an input it "
                                "cannot load");
      if (!llvm::is_contained(loads, *load))
        loads.push_back(std::move(*load));
    }
  }
  std::stable_sort(loads.begin(), loads.end(), [](const Load &a, const Load &b) {
    if (a.view.has_value() != b.view.has_value())
      return !a.view.has_value();
    return !a.view && a.arg < b.arg;
  });

  Program program;
  for (const Load &load : loads)
    program.ins.push_back(tensorOf(inputs[load.arg]));
  if (!loads.empty() && loads.back().view) {
    for (const Load &load : loads) {
      if (!load.view) {
        program.views.push_back(plan::CreateInputView(fbb));
        continue;
      }
      std::vector<int64_t> strides(load.view->strides.begin(),
                                   load.view->strides.end());
      program.views.push_back(
          plan::CreateInputViewDirect(fbb, load.view->offset, &strides));
    }
  }

  DenseMap<Value, uint16_t> reg;
  auto registerOf = [&](Value value) -> uint16_t {
    if (auto it = reg.find(value); it != reg.end())
      return it->second;
    FailureOr<Load> load = loadOf(value); // noted above: it exists
    return uint16_t(llvm::find(loads, *load) - loads.begin());
  };
  for (Operation &op : block.without_terminator()) {
    if (dl::isViewOp(&op)) {
      if (isa<dl::SliceOp, dl::TransposeOp>(op))
        program.names.push_back(op.getName().stripDialect().str());
      continue;
    }
    std::optional<plan::Instr> instr = elementwiseInstr(op);
    if (!instr)
      return op.emitError("'") << op.getName() << "' has no plan step";
    uint16_t operands[3] = {0, 0, 0};
    for (auto [i, operand] : llvm::enumerate(op.getOperands()))
      operands[i] = registerOf(operand);
    program.code.push_back(plan::Instr(instr->op(), instr->dtype(),
                                       operands[0], operands[1], operands[2],
                                       instr->iarg(), instr->imm()));
    reg[op.getResult(0)] =
        static_cast<uint16_t>(program.ins.size() + program.code.size() - 1);
    program.names.push_back(op.getName().stripDialect().str());
  }
  for (Value value : block.getTerminator()->getOperands())
    program.results.push_back(registerOf(value));
  return program;
}

fb::Offset<plan::Elementwise>
ProgramLowering::Program::write(fb::FlatBufferBuilder &fbb,
                                const std::vector<uint32_t> &outs) const {
  return plan::CreateElementwiseDirect(fbb, &ins, &outs, &code, &results,
                                       views.empty() ? nullptr : &views);
}

/// fused_add_relu; longer chains by their ends: fused7_mul_to_sub.
std::string ProgramLowering::Program::kernelName() const {
  if (names.size() <= 3)
    return "fused_" + llvm::join(names, "_");
  return llvm::formatv("fused{0}_{1}_to_{2}", names.size(), names.front(),
                       names.back())
      .str();
}

LogicalResult ProgramLowering::lowerFused(dl::FusedOp fused) {
  // An epilogue ran in its first input's kernel, in that buffer.
  if (fused.getEpilogue()) {
    if (!epiloguesRun.contains(fused))
      return fused.emitError("an epilogue whose kernel did not run it");
    valueTensor[fused.getResult(0)] = tensorOf(fused.getInputs().front());
    return success();
  }
  FailureOr<Program> program =
      buildProgram(fused, fused.getBody().front(), fused.getInputs(),
                   tensorType(fused.getResult(0)).getShape());
  if (failed(program))
    return failure();
  std::vector<uint32_t> outs;
  for (Value result : fused.getResults())
    outs.push_back(tensorOf(result));
  addElementwise(*fused, program->kernelName(), program->write(fbb, outs),
                 program->ins, outs,
                 numElements(fused.getResult(0)) * program->code.size());
  return success();
}

/// A softmax whose input its prologue computes: the Softmax step names the
/// output as its (unread) input.
LogicalResult ProgramLowering::lowerFusedSoftmax(dl::FusedSoftmaxOp fused) {
  Value result = fused.getResult();
  FailureOr<Program> program =
      buildProgram(fused, fused.getBody().front(), fused.getInputs(),
                   tensorType(result).getShape());
  if (failed(program))
    return failure();
  auto prologue = program->write(fbb, {});
  uint32_t output = tensorOf(result);
  auto body = plan::CreateSoftmax(fbb, output, output, fused.getAxis(),
                                  fused.getLog(), prologue);
  std::string name =
      program->kernelName() + (fused.getLog() ? "_log_softmax" : "_softmax");
  addKernel(*fused, name, plan::Op::Softmax, body.Union(),
            (5 + program->code.size()) * numElements(result));
  return success();
}

FailureOr<ProgramLowering::ScoresProgram>
ProgramLowering::lowerScoresBody(Operation *owner, Block &block, Value first,
                                 ValueRange inputs, ArrayRef<int64_t> scores,
                                 StringRef what, StringRef argument,
                                 StringRef element) {
  BlockArgument value = block.getArgument(0);
  for (Operation *user : value.getUsers())
    if (dl::isViewOp(user))
      return owner->emitError()
             << what << " reads " << argument << " through a view; its "
             << "kernel has each " << element << " alone";
  ScoresProgram result;
  if (block.getTerminator()->getOperand(0) == value)
    return result;
  SmallVector<Value> programInputs{first};
  llvm::append_range(programInputs, inputs);
  FailureOr<Program> program =
      buildProgram(owner, block, programInputs, scores);
  if (failed(program))
    return failure();
  if (value.use_empty() || program->ins.empty() ||
      program->ins[0] != tensorOf(first))
    return owner->emitError() << what << " must read " << argument;
  result.program = program->write(fbb, {});
  result.ops = program->code.size();
  return result;
}

/// Attention in one kernel. Its body, unless it only yields the scores,
/// becomes the prologue, whose first input names the output (unread) and
/// whose register 0 is the score.
LogicalResult
ProgramLowering::lowerFusedAttention(dl::FusedAttentionOp fused) {
  Value result = fused.getResult();
  FailureOr<ScoresProgram> prologue =
      lowerScoresBody(fused, fused.getBody().front(), result, fused.getInputs(),
                      fused.getScoresType().getShape(), "attention's body",
                      "the scores", "score");
  if (failed(prologue))
    return failure();
  Value probabilities = fused.getProbabilities();
  auto body = plan::CreateAttention(
      fbb, tensorOf(fused.getQuery()), tensorOf(fused.getKey()),
      tensorOf(fused.getValue()), tensorOf(result),
      probabilities ? tensorOf(probabilities) : 0, bool(probabilities),
      fused.getMergeHeads(), prologue->program);
  // Per score: the two products' multiply-adds (2 flops each), 5 for the
  // softmax, one per prologue op.
  int64_t e = tensorType(fused.getQuery()).getShape().back();
  int64_t e2 = tensorType(result).getShape().back();
  uint64_t flops = fused.getScoresType().getNumElements() *
                   (2 * e + 2 * e2 + 5 + prologue->ops);
  addKernel(*fused, "attention", plan::Op::Attention, body.Union(), flops);
  return success();
}

/// Attention's backward pass in one kernel. Its body, unless it only
/// yields the softmax's input gradient, becomes the epilogue, whose first
/// input names the query's gradient (unread) and whose register 0 is that
/// element.
LogicalResult
ProgramLowering::lowerFusedAttentionGrad(dl::FusedAttentionGradOp fused) {
  Value queryGrad = fused.getGradients()[0];
  FailureOr<ScoresProgram> epilogue =
      lowerScoresBody(fused, fused.getBody().front(), queryGrad,
                      fused.getInputs(), fused.getScoresType().getShape(),
                      "attention's gradient body", "its argument", "element");
  if (failed(epilogue))
    return failure();
  bool packed = fused.isPacked();
  auto body = plan::CreateAttentionGrad(
      fbb, tensorOf(fused.getGrad()), tensorOf(fused.getProbabilities()),
      tensorOf(fused.getQuery()), tensorOf(fused.getKey()),
      tensorOf(fused.getValue()), tensorOf(queryGrad),
      packed ? 0 : tensorOf(fused.getGradients()[1]),
      packed ? 0 : tensorOf(fused.getGradients()[2]), fused.getMergeHeads(),
      packed, epilogue->program);
  // Per score: the four products' multiply-adds (2 flops each), 3 for the
  // softmax's gradient, one per epilogue op.
  int64_t e = tensorType(fused.getQuery()).getShape().back();
  int64_t e2 = tensorType(fused.getValue()).getShape().back();
  uint64_t flops = fused.getScoresType().getNumElements() *
                   (4 * e + 4 * e2 + 3 + epilogue->ops);
  addKernel(*fused, "attention_grad", plan::Op::AttentionGrad, body.Union(),
            flops);
  return success();
}

bool ProgramLowering::overlaps(uint32_t a, uint32_t b) const {
  const TensorRecord &x = tensors[a], &y = tensors[b];
  return x.arena == y.arena && x.offset < y.offset + y.bytes &&
         y.offset < x.offset + x.bytes;
}

void ProgramLowering::addElementwise(Operation &op, StringRef name,
                                     fb::Offset<plan::Elementwise> body,
                                     std::vector<uint32_t> ins,
                                     std::vector<uint32_t> outs,
                                     uint64_t stepFlops) {
  if (!groupKernels) {
    addKernel(op, name, plan::Op::Elementwise, body.Union(), stepFlops);
    return;
  }
  // A part joins the pending group when no byte it writes is read or
  // written by another part, and it reads nothing they write: then the
  // parts may run in any order, all at once.
  auto conflicts = [&](const PendingPart &other) {
    for (uint32_t out : outs) {
      for (uint32_t in : other.ins)
        if (overlaps(out, in))
          return true;
      for (uint32_t otherOut : other.outs)
        if (overlaps(out, otherOut))
          return true;
    }
    for (uint32_t in : ins)
      for (uint32_t otherOut : other.outs)
        if (overlaps(in, otherOut))
          return true;
    return false;
  };
  if (pending.size() >= kMaxGroupParts ||
      llvm::any_of(pending, conflicts))
    flushElementwise();
  pending.push_back({&op, name.str(), body, std::move(ins), std::move(outs),
                     stepFlops});
}

void ProgramLowering::flushElementwise() {
  if (pending.empty())
    return;
  std::vector<PendingPart> parts;
  parts.swap(pending); // addKernel below flushes again: nothing left then
  if (parts.size() == 1) {
    addKernel(*parts[0].op, parts[0].name, plan::Op::Elementwise,
              parts[0].body.Union(), parts[0].flops);
    return;
  }
  std::vector<fb::Offset<plan::Elementwise>> bodies;
  uint64_t total = 0;
  bool sameName = true;
  for (const PendingPart &part : parts) {
    bodies.push_back(part.body);
    total += part.flops;
    sameName &= part.name == parts[0].name;
  }
  auto group = plan::CreateElementwiseGroupDirect(fbb, &bodies);
  std::string name = llvm::formatv("group{0}", parts.size()).str();
  if (sameName)
    name += "_" + parts[0].name;
  addKernel(*parts[0].op, name, plan::Op::ElementwiseGroup, group.Union(),
            total);
}

void ProgramLowering::lowerMatmul(Operation &op, Value lhsValue,
                                  Value rhsValue, bool transposeLhs,
                                  bool transposeRhs, Value bias,
                                  plan::Epilogue epilogue, Value addend) {
  RankedTensorType lhs = tensorType(lhsValue), rhs = tensorType(rhsValue);
  Value resultValue = op.getResult(0);
  RankedTensorType result = tensorType(resultValue);
  int64_t rank = result.getRank();
  int64_t m = result.getDimSize(rank - 2), n = result.getDimSize(rank - 1);
  int64_t k = transposeLhs ? lhs.getDimSize(lhs.getRank() - 2)
                           : lhs.getDimSize(lhs.getRank() - 1);
  int64_t batch = result.getNumElements() / std::max<int64_t>(1, m * n);
  // After dl-legalize-for-plan an operand covers the whole batch or none.
  auto stride = [&](RankedTensorType type) -> int64_t {
    int64_t matrix = type.getDimSize(type.getRank() - 2) *
                     type.getDimSize(type.getRank() - 1);
    return type.getNumElements() == matrix ? 0 : matrix;
  };
  auto gemm = plan::CreateGemm(
      fbb, tensorOf(lhsValue), tensorOf(rhsValue), tensorOf(resultValue),
      bias ? tensorOf(bias) : 0, batch, m, n, k, transposeLhs, transposeRhs,
      stride(lhs), stride(rhs), m * n, 1.0, 0.0, epilogue,
      addend ? tensorOf(addend) : 0, bool(addend));
  // The epilogue's adds (and clamps) count as one FLOP per element each;
  // the bias gradient as one add per element of B.
  uint64_t extra = 0;
  if (epilogue == plan::Epilogue::Bias || epilogue == plan::Epilogue::BiasRelu ||
      epilogue == plan::Epilogue::BiasGeluTanh)
    extra = uint64_t(result.getNumElements()) *
            (epilogue == plan::Epilogue::Bias ? 1 : 2);
  else if (epilogue == plan::Epilogue::BiasGradB)
    extra = uint64_t(tensorType(rhsValue).getNumElements());
  else if (epilogue == plan::Epilogue::BiasGradA)
    extra = uint64_t(tensorType(lhsValue).getNumElements());
  if (addend)
    extra += uint64_t(result.getNumElements());
  addStep(op, plan::StepKind::Gemm, gemm.Union(),
          2 * uint64_t(batch) * m * n * k + extra);
}

LogicalResult ProgramLowering::lowerOp(Operation &op) {
  // Values that need no step: parameters, constants and views.
  if (auto load = dyn_cast<dl::LoadParamOp>(op)) {
    auto it = params.find(load.getName());
    if (it == params.end())
      return op.emitError("unknown parameter @") << load.getName();
    valueTensor[load.getResult()] = it->second;
    return success();
  }
  // Large splats were given an activation buffer by the memory planner and
  // are filled at run time.
  if (auto constantOp = dyn_cast<dl::ConstantOp>(op);
      constantOp && !op.hasAttr("dl.offsets")) {
    valueTensor[constantOp.getResult()] = constant(constantOp);
    return success();
  }
  if (auto reshape = dyn_cast<dl::ReshapeOp>(op)) {
    uint32_t base = tensorOf(reshape.getInput());
    TensorRecord view = tensors[base];
    RankedTensorType type = tensorType(reshape.getResult());
    view.name = llvm::formatv("{0}.view{1}", view.name, counter++).str();
    view.shape = toVector(type.getShape());
    view.hasInit = false;
    view.aliasOf = tensors[base].aliasOf >= 0 ? tensors[base].aliasOf
                                              : int32_t(base);
    if (view.role == plan::Role::Input || view.role == plan::Role::Output)
      view.role = plan::Role::Temporary;
    valueTensor[reshape.getResult()] = tensors.size();
    tensors.push_back(std::move(view));
    return success();
  }
  if (auto store = dyn_cast<dl::StoreParamOp>(op)) {
    auto it = params.find(store.getName());
    if (it == params.end())
      return op.emitError("unknown parameter @") << store.getName();
    if (tensorOf(store.getValue()) == it->second)
      return success(); // its producer wrote the parameter already
    auto copy = plan::CreateCopy(fbb, tensorOf(store.getValue()), it->second);
    addStep(op, plan::StepKind::Copy, copy.Union(), 0);
    return success();
  }

  auto offsets = op.getAttrOfType<DenseI64ArrayAttr>("dl.offsets");
  if (!offsets || offsets.size() != int64_t(op.getNumResults()))
    return op.emitError("the op has no memory plan (dl.offsets)");
  for (auto [result, offset] : llvm::zip(op.getResults(), offsets.asArrayRef())) {
    // Offset -1: the memory planner has the op write the result straight
    // into the parameter it is stored to (its other readers read it there).
    if (offset < 0) {
      dl::StoreParamOp store;
      for (Operation *user : result.getUsers())
        if (auto found = dyn_cast<dl::StoreParamOp>(user))
          store = found;
      auto it = store ? params.find(store.getName()) : params.end();
      if (it == params.end())
        return op.emitError("a result planned into a parameter is not stored");
      valueTensor[result] = it->second;
      continue;
    }
    newTensor(result, plan::Role::Temporary, offset,
              llvm::formatv("{0}.{1}", op.getName().stripDialect(), counter++)
                  .str());
  }

  if (auto fused = dyn_cast<dl::FusedOp>(op))
    return lowerFused(fused);
  if (auto fused = dyn_cast<dl::FusedSoftmaxOp>(op))
    return lowerFusedSoftmax(fused);
  if (auto fused = dyn_cast<dl::FusedAttentionOp>(op))
    return lowerFusedAttention(fused);
  if (auto fused = dyn_cast<dl::FusedAttentionGradOp>(op))
    return lowerFusedAttentionGrad(fused);
  if (op.hasTrait<dl::BroadcastElementwise>() ||
      isa<dl::BroadcastToOp>(op))
    return lowerElementwise(op);
  if (auto matmul = dyn_cast<dl::MatmulOp>(op)) {
    lowerMatmul(op, matmul.getLhs(), matmul.getRhs(), matmul.getTransposeLhs(),
                matmul.getTransposeRhs(), Value(), plan::Epilogue::None);
    return success();
  }
  if (auto fused = dyn_cast<dl::MatmulBiasOp>(op)) {
    lowerMatmul(op, fused.getLhs(), fused.getRhs(), fused.getTransposeLhs(),
                fused.getTransposeRhs(), fused.getBias(),
                fused.getRelu()       ? plan::Epilogue::BiasRelu
                : fused.getGeluTanh() ? plan::Epilogue::BiasGeluTanh
                                      : plan::Epilogue::Bias,
                fused.getAddend());
    return success();
  }
  if (auto fused = dyn_cast<dl::MatmulBiasGradOp>(op)) {
    lowerMatmul(op, fused.getLhs(), fused.getRhs(), fused.getTransposeLhs(),
                /*transposeRhs=*/false, fused.getBiasGrad(),
                fused.getBiasOfLhs() ? plan::Epilogue::BiasGradA
                                     : plan::Epilogue::BiasGradB);
    return success();
  }
  if (auto constantOp = dyn_cast<dl::ConstantOp>(op)) {
    auto splat = cast<DenseElementsAttr>(constantOp.getValue());
    Type element = splat.getElementType();
    double value =
        element.isInteger(1)    ? double(splat.getSplatValue<bool>())
        : isa<FloatType>(element) ? splat.getSplatValue<APFloat>().convertToDouble()
                                  : double(splat.getSplatValue<APInt>().getSExtValue());
    auto step = plan::CreateFill(fbb, tensorOf(constantOp.getResult()), value);
    addStep(op, plan::StepKind::Fill, step.Union(), 0);
    return success();
  }
  if (auto fill = dyn_cast<dl::FillOp>(op)) {
    auto step = plan::CreateFill(fbb, tensorOf(fill.getResult()),
                                 fill.getValue().convertToDouble());
    addStep(op, plan::StepKind::Fill, step.Union(), 0);
    return success();
  }

  auto t = [&](Value value) { return tensorOf(value); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(&op)
      .Case<dl::ReduceSumOp, dl::ReduceMeanOp, dl::ReduceMaxOp,
            dl::ReduceProdOp>([&](auto r) {
        plan::ReduceKind kind =
            isa<dl::ReduceSumOp>(op)    ? plan::ReduceKind::Sum
            : isa<dl::ReduceMeanOp>(op) ? plan::ReduceKind::Mean
            : isa<dl::ReduceProdOp>(op) ? plan::ReduceKind::Prod
                                        : plan::ReduceKind::Max;
        auto axes = toVector(r.getAxes());
        auto body = plan::CreateReduceDirect(fbb, t(r.getInput()),
                                             t(r.getResult()), kind, &axes);
        addKernel(op, ("reduce_" + op.getName().stripDialect().drop_front(7))
                          .str(),
                  plan::Op::Reduce, body.Union(), numElements(r.getInput()));
        return success();
      })
      .Case([&](dl::ArgmaxOp a) {
        auto body = plan::CreateArgmax(fbb, t(a.getInput()), t(a.getResult()),
                                       a.getAxis());
        addKernel(op, "argmax", plan::Op::Argmax, body.Union(),
                  numElements(a.getInput()));
        return success();
      })
      .Case<dl::SoftmaxOp, dl::LogSoftmaxOp>([&](auto s) {
        bool log = isa<dl::LogSoftmaxOp>(op);
        auto body = plan::CreateSoftmax(fbb, t(s.getInput()), t(s.getResult()),
                                        s.getAxis(), log);
        addKernel(op, log ? "log_softmax" : "softmax", plan::Op::Softmax,
                  body.Union(), 5 * numElements(s.getInput()));
        return success();
      })
      .Case([&](dl::SoftmaxGradOp s) {
        auto body = plan::CreateSoftmaxGrad(fbb, t(s.getResult()),
                                            t(s.getGrad()), t(s.getInputGrad()),
                                            s.getAxis(), s.getLog());
        addKernel(op, s.getLog() ? "log_softmax_grad" : "softmax_grad",
                  plan::Op::SoftmaxGrad, body.Union(),
                  4 * numElements(s.getResult()));
        return success();
      })
      .Case([&](dl::LayerNormOp l) {
        auto body = plan::CreateLayerNorm(
            fbb, t(l.getInput()), t(l.getGamma()), t(l.getBeta()),
            t(l.getResult()), l.getAxis(), l.getEpsilon().convertToDouble());
        addKernel(op, "layer_norm", plan::Op::LayerNorm, body.Union(),
                  8 * numElements(l.getInput()));
        return success();
      })
      .Case([&](dl::LayerNormGradOp l) {
        Value addend = l.getAddend();
        auto body = plan::CreateLayerNormGrad(
            fbb, t(l.getInput()), t(l.getGrad()), t(l.getGamma()),
            addend ? t(addend) : 0, t(l.getInputGrad()), t(l.getMean()),
            t(l.getRstd()), l.getAxis(), l.getEpsilon().convertToDouble(),
            bool(addend));
        addKernel(op, addend ? "layer_norm_grad_add" : "layer_norm_grad",
                  plan::Op::LayerNormGrad, body.Union(),
                  (addend ? 15 : 14) * numElements(l.getInput()));
        return success();
      })
      .Case([&](dl::LayerNormParamGradOp l) {
        auto body = plan::CreateLayerNormParamGrad(
            fbb, t(l.getInput()), t(l.getGrad()), t(l.getMean()),
            t(l.getRstd()), t(l.getGammaGrad()), t(l.getBetaGrad()),
            l.getAxis());
        addKernel(op, "layer_norm_param_grad", plan::Op::LayerNormParamGrad,
                  body.Union(), 4 * numElements(l.getInput()));
        return success();
      })
      .Case([&](dl::BatchNormInferenceOp b) {
        auto body = plan::CreateBatchNorm(
            fbb, t(b.getInput()), t(b.getScale()), t(b.getBias()),
            t(b.getMean()), t(b.getVariance()), t(b.getResult()), 0, 0,
            b.getEpsilon().convertToDouble(), 0, false);
        addKernel(op, "batch_norm_inference", plan::Op::BatchNorm,
                  body.Union(), 4 * numElements(b.getInput()));
        return success();
      })
      .Case([&](dl::BatchNormTrainingOp b) {
        auto body = plan::CreateBatchNorm(
            fbb, t(b.getInput()), t(b.getScale()), t(b.getBias()),
            t(b.getRunningMean()), t(b.getRunningVariance()),
            t(b.getResult()), t(b.getNewRunningMean()),
            t(b.getNewRunningVariance()), b.getEpsilon().convertToDouble(),
            b.getMomentum().convertToDouble(), true);
        addKernel(op, "batch_norm_training", plan::Op::BatchNorm,
                  body.Union(), 8 * numElements(b.getInput()));
        return success();
      })
      .Case([&](dl::Conv2dOp c) {
        auto stride = toVector(c.getStride());
        auto padding = toVector(c.getPadding());
        auto dilation = toVector(c.getDilation());
        bool hasBias = static_cast<bool>(c.getBias());
        auto body = plan::CreateConv2dDirect(
            fbb, t(c.getInput()), t(c.getWeight()),
            hasBias ? t(c.getBias()) : 0, hasBias, t(c.getResult()), &stride,
            &padding, &dilation, c.getGroups(), c.getRelu());
        RankedTensorType w = tensorType(c.getWeight());
        uint64_t macs = numElements(c.getResult()) * w.getDimSize(1) *
                        w.getDimSize(2) * w.getDimSize(3);
        addKernel(op, c.getRelu() ? "conv2d_relu" : "conv2d", plan::Op::Conv2d,
                  body.Union(),
                  2 * macs + (c.getRelu() ? numElements(c.getResult()) : 0));
        return success();
      })
      .Case<dl::MaxPool2dOp, dl::AvgPool2dOp>([&](auto p) {
        bool isMax = isa<dl::MaxPool2dOp>(op);
        bool countPad = false;
        if (auto avg = dyn_cast<dl::AvgPool2dOp>(op))
          countPad = avg.getCountIncludePad();
        auto kernel = toVector(p.getKernel());
        auto stride = toVector(p.getEffectiveStride());
        auto padding = toVector(p.getPadding());
        auto body = plan::CreatePool2dDirect(
            fbb, t(p.getInput()), t(p.getResult()),
            isMax ? plan::PoolKind::Max : plan::PoolKind::Avg, &kernel,
            &stride, &padding, countPad);
        addKernel(op, isMax ? "max_pool2d" : "avg_pool2d", plan::Op::Pool2d,
                  body.Union(),
                  numElements(p.getResult()) * kernel[0] * kernel[1]);
        return success();
      })
      .Case([&](dl::TransposeOp tr) {
        auto perm = toVector(tr.getPermutation());
        auto body = plan::CreateTransposeDirect(fbb, t(tr.getInput()),
                                                t(tr.getResult()), &perm);
        addKernel(op, "transpose", plan::Op::Transpose, body.Union(), 0);
        return success();
      })
      .Case([&](dl::SumSquaresOp s) {
        // Two kernels: partial sums by blocks, then their sum.
        std::vector<uint32_t> ins;
        uint64_t elements = 0;
        for (Value input : s.getInputs()) {
          ins.push_back(t(input));
          elements += numElements(input);
        }
        auto partials =
            plan::CreateSquarePartialsDirect(fbb, &ins, t(s.getPartials()));
        addKernel(op, "square_partials", plan::Op::SquarePartials,
                  partials.Union(), 2 * elements);
        auto sum = plan::CreateSumPartials(fbb, t(s.getPartials()),
                                           t(s.getResult()));
        addKernel(op, "sum_partials", plan::Op::SumPartials, sum.Union(),
                  numElements(s.getPartials()));
        return success();
      })
      .Case<dl::Im2ColOp, dl::Col2ImOp>([&](auto w) {
        bool col2im = isa<dl::Col2ImOp>(op);
        auto kernel = toVector(w.getKernel());
        auto stride = toVector(w.getStride());
        auto padding = toVector(w.getPadding());
        auto dilation = toVector(w.getDilation());
        auto body = plan::CreateIm2ColDirect(fbb, t(w.getInput()),
                                             t(w.getResult()), &kernel,
                                             &stride, &padding, &dilation,
                                             col2im);
        addKernel(op, col2im ? "col2im" : "im2col", plan::Op::Im2Col,
                  body.Union(), col2im ? numElements(w.getInput()) : 0);
        return success();
      })
      .Case([&](dl::ConcatOp c) {
        std::vector<uint32_t> ins;
        for (Value input : c.getInputs())
          ins.push_back(t(input));
        auto body =
            plan::CreateConcatDirect(fbb, &ins, t(c.getResult()), c.getAxis());
        addKernel(op, "concat", plan::Op::Concat, body.Union(), 0);
        return success();
      })
      .Case([&](dl::SliceOp s) {
        auto start = toVector(s.getStart());
        auto step = toVector(s.getStep());
        auto body = plan::CreateSliceDirect(fbb, t(s.getInput()),
                                            t(s.getResult()), &start, &step);
        addKernel(op, "slice", plan::Op::Slice, body.Union(), 0);
        return success();
      })
      .Case([&](dl::GatherOp g) {
        auto body = plan::CreateGather(fbb, t(g.getInput()),
                                       t(g.getIndices()), t(g.getResult()),
                                       g.getAxis());
        addKernel(op, "gather", plan::Op::Gather, body.Union(), 0);
        return success();
      })
      .Case<dl::Conv2dGradInputOp, dl::Conv2dGradWeightOp,
            dl::Conv2dGradWeightBiasOp>([&](auto c) {
        bool wrtWeight = !isa<dl::Conv2dGradInputOp>(op);
        auto fused = dyn_cast<dl::Conv2dGradWeightBiasOp>(op);
        auto stride = toVector(c.getStride());
        auto padding = toVector(c.getPadding());
        auto dilation = toVector(c.getDilation());
        auto body = plan::CreateConv2dGradDirect(
            fbb, t(c.getGrad()), t(c.getOther()), t(c.getResult()), wrtWeight,
            &stride, &padding, &dilation, c.getGroups(),
            fused ? t(fused.getBiasGrad()) : 0, bool(fused));
        // As many multiply-adds as the forward convolution (and an add per
        // element of dy for the bias gradient).
        RankedTensorType w = tensorType(wrtWeight ? c.getResult() : c.getOther());
        uint64_t macs = numElements(c.getGrad()) * w.getDimSize(1) *
                        w.getDimSize(2) * w.getDimSize(3);
        addKernel(op,
                  fused       ? "conv2d_grad_weight_bias"
                  : wrtWeight ? "conv2d_grad_weight"
                              : "conv2d_grad_input",
                  plan::Op::Conv2dGrad, body.Union(),
                  2 * macs + (fused ? numElements(c.getGrad()) : 0));
        return success();
      })
      .Case([&](dl::MaxPool2dGradOp p) {
        auto kernel = toVector(p.getKernel());
        auto stride = toVector(p.getStride());
        auto padding = toVector(p.getPadding());
        auto body = plan::CreatePool2dGradDirect(
            fbb, t(p.getInput()), t(p.getGrad()), t(p.getResult()),
            plan::PoolKind::Max, &kernel, &stride, &padding, false);
        addKernel(op, "max_pool2d_grad", plan::Op::Pool2dGrad, body.Union(),
                  numElements(p.getGrad()) * kernel[0] * kernel[1]);
        return success();
      })
      .Case([&](dl::AvgPool2dGradOp p) {
        auto kernel = toVector(p.getKernel());
        auto stride = toVector(p.getStride());
        auto padding = toVector(p.getPadding());
        // The input is not read; the output stands in for it.
        auto body = plan::CreatePool2dGradDirect(
            fbb, t(p.getResult()), t(p.getGrad()), t(p.getResult()),
            plan::PoolKind::Avg, &kernel, &stride, &padding,
            p.getCountIncludePad());
        addKernel(op, "avg_pool2d_grad", plan::Op::Pool2dGrad, body.Union(),
                  numElements(p.getGrad()) * kernel[0] * kernel[1]);
        return success();
      })
      .Case([&](dl::ScatterAddOp s) {
        auto body = plan::CreateScatterAdd(fbb, t(s.getUpdates()),
                                           t(s.getIndices()), t(s.getResult()),
                                           s.getAxis());
        addKernel(op, "scatter_add", plan::Op::ScatterAdd, body.Union(),
                  numElements(s.getUpdates()));
        return success();
      })
      .Case([&](dl::IotaOp i) {
        auto body =
            plan::CreateIota(fbb, t(i.getResult()), i.getDimension());
        addKernel(op, "iota", plan::Op::Iota, body.Union(), 0);
        return success();
      })
      .Case([&](dl::CrossEntropyOp c) {
        auto body = plan::CreateCrossEntropy(
            fbb, t(c.getLogits()), t(c.getLabels()), t(c.getResult()),
            c.getReduction() == dl::LossReduction::Sum
                ? plan::LossReduction::Sum
                : plan::LossReduction::Mean);
        addKernel(op, "cross_entropy", plan::Op::CrossEntropy, body.Union(),
                  5 * numElements(c.getLogits()));
        return success();
      })
      .Case([&](dl::CrossEntropyWithGradOp c) {
        auto body = plan::CreateCrossEntropy(
            fbb, t(c.getLogits()), t(c.getLabels()), t(c.getLoss()),
            c.getReduction() == dl::LossReduction::Sum
                ? plan::LossReduction::Sum
                : plan::LossReduction::Mean,
            t(c.getDloss()), t(c.getDlogits()), /*with_grad=*/true,
            c.getAccuracy() ? t(c.getAccuracy()) : 0,
            /*with_accuracy=*/bool(c.getAccuracy()));
        addKernel(op,
                  c.getAccuracy() ? "cross_entropy_with_grad_accuracy"
                                  : "cross_entropy_with_grad",
                  plan::Op::CrossEntropy, body.Union(),
                  (c.getAccuracy() ? 10 : 9) * numElements(c.getLogits()));
        return success();
      })
      .Case([&](dl::AccuracyOp a) {
        auto body = plan::CreateAccuracy(fbb, t(a.getLogits()),
                                         t(a.getLabels()), t(a.getResult()));
        addKernel(op, "accuracy", plan::Op::Accuracy, body.Union(),
                  numElements(a.getLogits()));
        return success();
      })
      .Case([&](dl::MseOp m) {
        auto body = plan::CreateMse(
            fbb, t(m.getPrediction()), t(m.getTarget()), t(m.getResult()),
            m.getReduction() == dl::LossReduction::Sum
                ? plan::LossReduction::Sum
                : plan::LossReduction::Mean);
        addKernel(op, "mse", plan::Op::Mse, body.Union(),
                  3 * numElements(m.getPrediction()));
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitError("'")
               << other->getName() << "' has no plan step";
      });
}

} // namespace dlc
