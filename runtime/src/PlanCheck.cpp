//===- PlanCheck.cpp - What the FlatBuffers verifier cannot check ---------===//
//
// After this check every index in the plan is in range, every tensor lies
// inside its arena with a size that matches its shape, and every step's
// tensors have the shapes and types its computation assumes, so the
// backends read and write only memory that belongs to the step.
//
//===----------------------------------------------------------------------===//

#include "PlanAccess.h"
#include "PlanOperands.h"

#include <algorithm>
#include <set>

namespace dlc::rt {

const char *roleName(plan::Role role) {
  switch (role) {
  case plan::Role::Input: return "input";
  case plan::Role::Output: return "output";
  case plan::Role::Parameter: return "parameter";
  case plan::Role::Buffer: return "buffer";
  case plan::Role::OptimizerState: return "optimizer state";
  case plan::Role::Constant: return "constant";
  case plan::Role::Temporary: return "temporary";
  }
  return "?";
}

std::string stepName(const plan::Step &step) {
  if (!step.step())
    return "?";
  switch (step.step_type()) {
  case plan::StepKind::Gemm: return "gemm";
  case plan::StepKind::Copy: return "copy";
  case plan::StepKind::Fill: return "fill";
  case plan::StepKind::Kernel:
    return step.step_as_Kernel()->name() ? step.step_as_Kernel()->name()->str()
                                         : "kernel";
  default: return "?";
  }
}

namespace {

using Shape = std::vector<int64_t>;

/// The FlatBuffers verifier checks the alignment of a vector's length, not of
/// its 8-byte elements; a damaged offset could leave them misaligned.
template <typename T> bool isAligned(const flatbuffers::Vector<T> *v) {
  return !v || v->size() == 0 ||
         reinterpret_cast<uintptr_t>(v->data()) % alignof(T) == 0;
}

class Checker {
public:
  explicit Checker(const plan::Plan &plan) : plan(plan) {}

  Status run() {
    if (!plan.arenas() || !plan.tensors() || !plan.programs())
      return Status::error("arenas, tensors or programs are missing");
    if (Status s = checkArenas(); !s)
      return s;
    if (Status s = checkTensors(); !s)
      return s;
    if (plan.programs()->size() == 0)
      return Status::error("the plan has no program");
    std::set<std::string> names;
    for (const plan::Program *program : *plan.programs())
      if (Status s = checkProgram(*program); !s)
        return s;
      else if (!names.insert(program->name()->str()).second)
        return Status::error("two programs are named '" +
                             program->name()->str() + "'");
    if (plan.kernels())
      for (const plan::KernelSource *kernel : *plan.kernels())
        if (!kernel->name() || !kernel->source())
          return Status::error("a kernel source without name or text");
    return Status::ok();
  }

private:
  Status checkArenas() {
    for (uint32_t i = 0; i < plan.arenas()->size(); ++i) {
      const plan::Arena *arena = plan.arenas()->Get(i);
      if (arena->kind() > plan::ArenaKind::MAX)
        return Status::error(format("arena %u has an unknown kind", i));
      if (arena->image() && arena->image()->size() > arena->size())
        return Status::error(format("arena %u: its image is larger than the "
                                    "arena",
                                    i));
      uint32_t alignment = arena->alignment();
      if (alignment == 0 || alignment > 4096 || (alignment & (alignment - 1)))
        return Status::error(format("arena %u: alignment %u is not a power of "
                                    "two up to 4096",
                                    i, alignment));
    }
    return Status::ok();
  }

  Status checkTensors() {
    const auto &tensors = *plan.tensors();
    // The furthest byte any tensor uses in each arena.
    std::vector<uint64_t> used(plan.arenas()->size(), 0);
    for (uint32_t i = 0; i < tensors.size(); ++i) {
      const plan::Tensor *tensor = tensors.Get(i);
      std::string name = tensor->name() ? tensor->name()->str() : "";
      auto bad = [&](const std::string &what) {
        return Status::error(format("tensor %u ('%s'): ", i, name.c_str()) +
                             what);
      };
      if (name.empty())
        return bad("no name");
      if (tensor->dtype() > plan::DType::MAX)
        return bad("unknown dtype");
      if (tensor->role() > plan::Role::MAX)
        return bad("unknown role");
      if (!tensor->shape() || !isAligned(tensor->shape()))
        return bad("bad shape");
      std::optional<uint64_t> count = checkedNumElements(toShape(tensor->shape()));
      if (!count)
        return bad("bad shape");
      if (*count * dtypeSize(toDType(tensor->dtype())) != tensor->bytes())
        return bad(format("%llu bytes, but its shape %s of %s needs %llu",
                          (unsigned long long)tensor->bytes(),
                          formatShape(toShape(tensor->shape())).c_str(),
                          dtypeName(toDType(tensor->dtype())),
                          (unsigned long long)(*count *
                                               dtypeSize(toDType(tensor->dtype())))));
      // Kernels read elements in place: each must be aligned to its size.
      if (tensor->offset() % dtypeSize(toDType(tensor->dtype())) != 0)
        return bad(format("offset %llu is not a multiple of the element size",
                          (unsigned long long)tensor->offset()));
      if (tensor->arena() >= plan.arenas()->size())
        return bad(format("arena %u does not exist", tensor->arena()));
      const plan::Arena *arena = plan.arenas()->Get(tensor->arena());
      if (tensor->offset() > arena->size() ||
          tensor->bytes() > arena->size() - tensor->offset())
        return bad(format("bytes [%llu, %llu) lie outside arena '%s' of %llu "
                          "bytes",
                          (unsigned long long)tensor->offset(),
                          (unsigned long long)(tensor->offset() +
                                               tensor->bytes()),
                          arena->name() ? arena->name()->c_str() : "?",
                          (unsigned long long)arena->size()));
      used[tensor->arena()] =
          std::max(used[tensor->arena()], tensor->offset() + tensor->bytes());
      if (tensor->alias_of() >= int32_t(tensors.size()) ||
          tensor->alias_of() < -1)
        return bad("alias_of is out of range");
      bool persistent = tensor->role() == plan::Role::Parameter ||
                        tensor->role() == plan::Role::Buffer ||
                        tensor->role() == plan::Role::OptimizerState;
      if (persistent && tensor->alias_of() < 0) {
        if (arena->kind() != plan::ArenaKind::Parameters)
          return bad("a persistent tensor outside the parameter arena");
        const plan::Init *init = tensor->init();
        if (!init || init->kind() > plan::InitKind::MAX)
          return bad("no valid initializer");
        uint64_t dataBytes = init->data() ? init->data()->size() : 0;
        if (init->kind() == plan::InitKind::Data
                ? dataBytes != tensor->bytes()
                : dataBytes != 0)
          return bad(format("initial data of %llu bytes for a tensor of %llu",
                            (unsigned long long)dataBytes,
                            (unsigned long long)tensor->bytes()));
      }
      if (tensor->role() == plan::Role::Constant &&
          arena->kind() != plan::ArenaKind::Constants)
        return bad("a constant outside the constant arena");
      if ((tensor->role() == plan::Role::Input ||
           tensor->role() == plan::Role::Output ||
           tensor->role() == plan::Role::Temporary) &&
          tensor->alias_of() < 0 &&
          arena->kind() != plan::ArenaKind::Activations)
        return bad("an activation outside the activation arena");
    }
    // An arena is exactly as large as its aligned tensors need, so a damaged
    // size cannot make a run allocate memory nothing uses.
    for (uint32_t i = 0; i < plan.arenas()->size(); ++i) {
      const plan::Arena *arena = plan.arenas()->Get(i);
      uint64_t alignment = arena->alignment();
      uint64_t needed = (used[i] + alignment - 1) / alignment * alignment;
      uint64_t image = arena->image() ? arena->image()->size() : 0;
      if (arena->size() > std::max(needed, image))
        return Status::error(format("arena %u is %llu bytes, but its tensors "
                                    "need only %llu",
                                    i, (unsigned long long)arena->size(),
                                    (unsigned long long)needed));
    }
    return Status::ok();
  }

  Status checkProgram(const plan::Program &program) {
    if (!program.name() || !program.inputs() || !program.outputs() ||
        !program.steps())
      return Status::error("a program lacks its name, inputs, outputs or "
                           "steps");
    std::string name = program.name()->str();
    for (auto *bindings : {program.inputs(), program.outputs()})
      for (const plan::Binding *binding : *bindings) {
        if (!binding->name() || binding->tensor() >= plan.tensors()->size())
          return Status::error("program '" + name +
                               "': a binding without name or with a bad "
                               "tensor index");
      }
    for (uint32_t i = 0; i < program.steps()->size(); ++i) {
      const plan::Step *step = program.steps()->Get(i);
      if (Status s = checkStep(*step); !s)
        return Status::error(format("program '%s', step %u (%s): ",
                                    name.c_str(), i, stepName(*step).c_str()) +
                             s.message());
    }
    return Status::ok();
  }

  //===--------------------------------------------------------------------===//
  // Helpers for step checks: each records the tensor it validated.
  //===--------------------------------------------------------------------===//

  const plan::Tensor *tensor(uint32_t index) {
    return index < plan.tensors()->size() ? plan.tensors()->Get(index)
                                          : nullptr;
  }
  Shape shape(uint32_t index) { return toShape(tensor(index)->shape()); }
  uint64_t count(uint32_t index) {
    return *checkedNumElements(shape(index));
  }
  plan::DType dtype(uint32_t index) { return tensor(index)->dtype(); }

  Status exists(const std::vector<uint32_t> &indices) {
    for (uint32_t index : indices)
      if (!tensor(index))
        return Status::error(format("tensor index %u is out of range", index));
    return Status::ok();
  }
  Status sameDType(const std::vector<uint32_t> &indices) {
    for (uint32_t index : indices)
      if (dtype(index) != dtype(*indices.begin()))
        return Status::error(format("tensors %u and %u differ in dtype",
                                    *indices.begin(), index));
    return Status::ok();
  }
  /// The numeric kernels of the CPU backend are written for f32 and f64.
  Status realFloat(uint32_t index) {
    if (dtype(index) != plan::DType::F32 && dtype(index) != plan::DType::F64)
      return Status::error(format("tensor '%s' is %s; this step runs on f32 "
                                  "and f64",
                                  tensor(index)->name()->c_str(),
                                  dtypeName(toDType(dtype(index)))));
    return Status::ok();
  }
  Status isIndex(uint32_t index) {
    if (dtype(index) != plan::DType::I32 && dtype(index) != plan::DType::I64)
      return Status::error(format("tensor '%s' must be i32 or i64",
                                  tensor(index)->name()->c_str()));
    return Status::ok();
  }
  Status shapeIs(uint32_t index, const Shape &expected) {
    if (shape(index) != expected)
      return Status::error(format("tensor '%s' has shape %s, expected %s",
                                  tensor(index)->name()->c_str(),
                                  formatShape(shape(index)).c_str(),
                                  formatShape(expected).c_str()));
    return Status::ok();
  }
  static Status axisIn(int64_t axis, size_t rank) {
    if (axis < 0 || uint64_t(axis) >= rank)
      return Status::error(format("axis %lld is out of range for rank %zu",
                                  (long long)axis, rank));
    return Status::ok();
  }
  static bool hasSize(const flatbuffers::Vector<int64_t> *v, size_t n) {
    return v && v->size() == n && isAligned(v);
  }

#define CHECK(expr)                                                            \
  do {                                                                         \
    if (Status _s = (expr); !_s)                                               \
      return _s;                                                               \
  } while (0)

  Status checkStep(const plan::Step &step) {
    // The verifier accepts a union whose type is set but whose table is
    // missing; nothing below may dereference one.
    if (!step.step())
      return Status::error("the step has a kind but no body");
    switch (step.step_type()) {
    case plan::StepKind::Gemm:
      return checkGemm(*step.step_as_Gemm());
    case plan::StepKind::Copy: {
      const plan::Copy &copy = *step.step_as_Copy();
      CHECK(exists({copy.src(), copy.dst()}));
      if (tensor(copy.src())->bytes() != tensor(copy.dst())->bytes())
        return Status::error("source and destination sizes differ");
      return Status::ok();
    }
    case plan::StepKind::Fill:
      return exists({step.step_as_Fill()->dst()});
    case plan::StepKind::Kernel:
      return checkKernel(*step.step_as_Kernel());
    default:
      return Status::error("unknown step kind");
    }
  }

  Status checkGemm(const plan::Gemm &g) {
    CHECK(exists({g.a(), g.b(), g.c()}));
    CHECK(sameDType({g.a(), g.b(), g.c()}));
    CHECK(realFloat(g.c()));
    if (g.batch() < 0 || g.m() < 0 || g.n() < 0 || g.k() < 0 ||
        g.batch() > (1 << 30) || g.m() > (1 << 30) || g.n() > (1 << 30) ||
        g.k() > (1 << 30))
      return Status::error("negative or huge GEMM dimensions");
    auto operand = [&](uint32_t index, int64_t stride, int64_t matrix,
                       const char *what) -> Status {
      if (stride != 0 && stride != matrix)
        return Status::error(format("the batch stride of %s must be 0 or %lld",
                                    what, (long long)matrix));
      unsigned __int128 expected =
          (unsigned __int128)matrix * (stride ? g.batch() : 1);
      if (count(index) != expected)
        return Status::error(format("%s has %llu elements, expected %llu",
                                    what, (unsigned long long)count(index),
                                    (unsigned long long)expected));
      return Status::ok();
    };
    CHECK(operand(g.a(), g.stride_a(), g.m() * g.k(), "A"));
    CHECK(operand(g.b(), g.stride_b(), g.k() * g.n(), "B"));
    if (g.stride_c() != g.m() * g.n() ||
        count(g.c()) != (unsigned __int128)g.batch() * g.m() * g.n())
      return Status::error("C does not hold batch x M x N elements");
    if (g.epilogue() > plan::Epilogue::MAX)
      return Status::error("unknown epilogue");
    bool gradA = g.epilogue() == plan::Epilogue::BiasGradA;
    if (g.epilogue() != plan::Epilogue::None) {
      CHECK(exists({g.bias()}));
      CHECK(sameDType({g.c(), g.bias()}));
      if (count(g.bias()) != uint64_t(gradA ? g.m() : g.n()))
        return Status::error(gradA ? "the bias does not have M elements"
                                   : "the bias does not have N elements");
    }
    if ((g.epilogue() == plan::Epilogue::BiasGradB || gradA) && g.batch() != 1)
      return Status::error("the bias-gradient epilogue needs batch 1");
    if (g.with_addend()) {
      CHECK(exists({g.addend()}));
      CHECK(sameDType({g.c(), g.addend()}));
      if (count(g.addend()) != count(g.c()))
        return Status::error("the addend does not have C's elements");
      if (g.beta() != 0 || (g.epilogue() != plan::Epilogue::None &&
                            g.epilogue() != plan::Epilogue::Bias))
        return Status::error(
            "an addend needs beta 0 and no epilogue but the bias");
      if (g.addend() == g.c())
        return Status::error("the addend must not be C itself");
    }
    return Status::ok();
  }

  /// The limits every CUDA device of the supported architectures has.
  static Status checkLaunch(const plan::Kernel &kernel) {
    if (!kernel.grid() || !kernel.block() || kernel.grid()->size() != 3 ||
        kernel.block()->size() != 3)
      return Status::error("a CUDA kernel needs a 3-D grid and block");
    uint64_t threads = 1;
    for (uint32_t d = 0; d < 3; ++d) {
      if (kernel.block()->Get(d) == 0)
        return Status::error("a CUDA block dimension is zero");
      threads *= kernel.block()->Get(d);
    }
    if (threads > 1024 || kernel.block()->Get(2) > 64)
      return Status::error("a CUDA block has more threads than a device runs");
    if (kernel.grid()->Get(0) > 0x7fffffffu || kernel.grid()->Get(1) > 65535 ||
        kernel.grid()->Get(2) > 65535)
      return Status::error("a CUDA grid is larger than a device launches");
    // Split-K partial tiles take at most some 17 MiB (about 528 blocks of
    // 4096 doubles); far more is a damaged plan.
    if (kernel.scratch() > (uint64_t(1) << 30))
      return Status::error("a CUDA kernel asks for more than 1 GiB of "
                           "scratch");
    return Status::ok();
  }

  Status checkKernel(const plan::Kernel &kernel) {
    if (!kernel.name())
      return Status::error("a kernel without a name");
    if (!kernel.op())
      return Status::error("the kernel has an op kind but no op");
    if (kernel.kernel() >= 0 &&
        (!plan.kernels() || uint32_t(kernel.kernel()) >= plan.kernels()->size()))
      return Status::error("the kernel source index is out of range");
    if (kernel.kernel() >= 0) {
      // A step runs the source made for it: the name says which.
      const flatbuffers::String *source =
          plan.kernels()->Get(kernel.kernel())->name();
      std::string prefix = kernel.name()->str() + "_";
      if (!source || source->str().compare(0, prefix.size(), prefix) != 0)
        return Status::error("the kernel step '" + kernel.name()->str() +
                             "' names CUDA kernel '" +
                             (source ? source->str() : std::string()) + "'");
      if (Status s = checkLaunch(kernel); !s)
        return s;
    }
    CHECK(checkOp(kernel));
    return checkEpilogue(kernel);
  }

  /// An epilogue rewrites the one result of an op that can apply one, in
  /// place: register 0 is that result, and it writes it.
  Status checkEpilogue(const plan::Kernel &kernel) {
    const plan::Elementwise *epilogue = kernel.epilogue();
    if (!epilogue)
      return Status::ok();
    bool canApply = false;
    switch (kernel.op_type()) {
    case plan::Op::SoftmaxGrad:
    case plan::Op::Pool2dGrad:
    case plan::Op::Conv2d:
    case plan::Op::Pool2d:
    case plan::Op::Gather:
      canApply = true;
      break;
    case plan::Op::Conv2dGrad:
      canApply = !kernel.op_as_Conv2dGrad()->wrt_weight();
      break;
    default:
      break;
    }
    if (!canApply)
      return Status::error("this kernel cannot apply an epilogue");
    // The op's one result: the one tensor these kernels write.
    uint32_t result = 0;
    plan::forEachKernelOperand(kernel, [&](uint32_t tensor, plan::Access access) {
      if (access == plan::Access::Written)
        result = tensor;
    });
    CHECK(checkElementwise(*epilogue));
    if (epilogue->outputs()->size() != 1 ||
        epilogue->outputs()->Get(0) != result ||
        epilogue->inputs()->size() == 0 || epilogue->inputs()->Get(0) != result ||
        (epilogue->views() && epilogue->views()->size() &&
         epilogue->views()->Get(0)->strides()))
      return Status::error("an epilogue must read and write its kernel's "
                           "result, element for element");
    return Status::ok();
  }

  Status checkOp(const plan::Kernel &kernel) {
    switch (kernel.op_type()) {
    case plan::Op::Elementwise: return checkElementwise(*kernel.op_as_Elementwise());
    case plan::Op::ElementwiseGroup: {
      const auto *parts = kernel.op_as_ElementwiseGroup()->parts();
      if (!parts || parts->size() == 0)
        return Status::error("an elementwise group without parts");
      for (const plan::Elementwise *part : *parts)
        CHECK(checkElementwise(*part));
      return Status::ok();
    }
    case plan::Op::Reduce: return checkReduce(*kernel.op_as_Reduce());
    case plan::Op::Argmax: return checkArgmax(*kernel.op_as_Argmax());
    case plan::Op::Softmax: return checkSoftmax(*kernel.op_as_Softmax());
    case plan::Op::Attention: return checkAttention(*kernel.op_as_Attention());
    case plan::Op::AttentionGrad: return checkAttentionGrad(*kernel.op_as_AttentionGrad());
    case plan::Op::SoftmaxGrad:
      return checkSoftmaxGrad(*kernel.op_as_SoftmaxGrad());
    case plan::Op::LayerNorm: return checkLayerNorm(*kernel.op_as_LayerNorm());
    case plan::Op::LayerNormGrad:
      return checkLayerNormGrad(*kernel.op_as_LayerNormGrad());
    case plan::Op::LayerNormParamGrad:
      return checkLayerNormParamGrad(*kernel.op_as_LayerNormParamGrad());
    case plan::Op::BatchNorm: return checkBatchNorm(*kernel.op_as_BatchNorm());
    case plan::Op::Conv2d: return checkConv2d(*kernel.op_as_Conv2d());
    case plan::Op::Pool2d: return checkPool2d(*kernel.op_as_Pool2d());
    case plan::Op::Transpose: return checkTranspose(*kernel.op_as_Transpose());
    case plan::Op::Concat: return checkConcat(*kernel.op_as_Concat());
    case plan::Op::Im2Col: return checkIm2Col(*kernel.op_as_Im2Col());
    case plan::Op::SquarePartials:
      return checkSquarePartials(*kernel.op_as_SquarePartials());
    case plan::Op::SumPartials:
      return checkSumPartials(*kernel.op_as_SumPartials());
    case plan::Op::Slice: return checkSlice(*kernel.op_as_Slice());
    case plan::Op::Gather: return checkGather(*kernel.op_as_Gather());
    case plan::Op::Iota: return checkIota(*kernel.op_as_Iota());
    case plan::Op::CrossEntropy: return checkCrossEntropy(*kernel.op_as_CrossEntropy());
    case plan::Op::Accuracy: return checkAccuracy(*kernel.op_as_Accuracy());
    case plan::Op::Mse: return checkMse(*kernel.op_as_Mse());
    case plan::Op::ScatterAdd: return checkScatterAdd(*kernel.op_as_ScatterAdd());
    case plan::Op::Conv2dGrad: return checkConv2dGrad(*kernel.op_as_Conv2dGrad());
    case plan::Op::Pool2dGrad: return checkPool2dGrad(*kernel.op_as_Pool2dGrad());
    default: return Status::error("unknown kernel op");
    }
  }

  Status checkElementwise(const plan::Elementwise &e) {
    if (!e.outputs() || e.outputs()->size() == 0 || !e.results() ||
        e.results()->size() != e.outputs()->size())
      return Status::error("inputs, outputs, code or results are missing");
    for (uint32_t index : *e.outputs())
      CHECK(exists({index}));
    Shape out = shape(e.outputs()->Get(0));
    for (uint32_t index : *e.outputs())
      CHECK(shapeIs(index, out));
    return checkProgram(e, out);
  }

  /// The program of an Elementwise over `out`: its inputs broadcast to it or
  /// read through views inside their tensors, its registers defined before
  /// they are read.
  /// `e` computes `out` element by element; with `firstIsValue`, register
  /// 0 is a value its kernel computes (its input is named, never read).
  Status checkProgram(const plan::Elementwise &e, const Shape &out,
                      bool firstIsValue = false) {
    if (!e.inputs() || !e.code() || !e.results() ||
        // An empty vector's data may sit anywhere; it is never read.
        (e.code()->size() &&
         reinterpret_cast<uintptr_t>(e.code()->data()) % alignof(plan::Instr)))
      return Status::error("inputs, outputs, code or results are missing");
    for (uint32_t index : *e.inputs())
      CHECK(exists({index}));
    if (e.views() && e.views()->size() && e.views()->size() != e.inputs()->size())
      return Status::error("an elementwise program has views for some inputs");
    for (uint32_t i = firstIsValue ? 1 : 0; i < e.inputs()->size(); ++i) {
      uint32_t index = e.inputs()->Get(i);
      const plan::InputView *view =
          e.views() && e.views()->size() ? e.views()->Get(i) : nullptr;
      if (view && view->strides()) {
        CHECK(checkView(*view, out, count(index)));
        continue;
      }
      Shape in = shape(index);
      if (in.size() > out.size())
        return Status::error("an input has more dimensions than the output");
      for (size_t d = 0; d < in.size(); ++d) {
        int64_t target = out[out.size() - in.size() + d];
        if (in[d] != target && in[d] != 1)
          return Status::error("input " + formatShape(in) +
                               " does not broadcast to " + formatShape(out));
      }
    }
    uint64_t registers = e.inputs()->size();
    if (registers + e.code()->size() > 65535)
      return Status::error("too many registers");
    for (const plan::Instr *instr : *e.code()) {
      if (instr->op() > plan::ElemOp::MAX || instr->dtype() > plan::DType::MAX)
        return Status::error("unknown instruction or dtype");
      int arity = elementwiseArity(instr->op());
      uint16_t operands[] = {instr->a(), instr->b(), instr->c()};
      for (int k = 0; k < arity; ++k)
        if (operands[k] >= registers)
          return Status::error("an instruction reads a register not yet "
                               "written");
      ++registers;
    }
    for (uint16_t result : *e.results())
      if (result >= registers)
        return Status::error("a result register does not exist");
    return Status::ok();
  }

  /// Every element of `out` reads inside the input's `count` elements: the
  /// offsets' extremes, over each dimension's first and last index, are.
  static Status checkView(const plan::InputView &view, const Shape &out,
                          uint64_t count) {
    if (view.strides()->size() != out.size() || !isAligned(view.strides()))
      return Status::error("an input view needs one stride per output "
                           "dimension");
    if (std::find(out.begin(), out.end(), 0) != out.end())
      return Status::ok();
    __int128 low = view.offset(), high = view.offset();
    for (size_t d = 0; d < out.size(); ++d) {
      __int128 span = __int128(view.strides()->Get(d)) * (out[d] - 1);
      (span < 0 ? low : high) += span;
    }
    if (low < 0 || high >= __int128(count))
      return Status::error("an input view reads outside its tensor");
    return Status::ok();
  }

  static int elementwiseArity(plan::ElemOp op) {
    switch (op) {
    case plan::ElemOp::Const: return 0;
    case plan::ElemOp::Select: return 3;
    case plan::ElemOp::Add: case plan::ElemOp::Sub: case plan::ElemOp::Mul:
    case plan::ElemOp::Div: case plan::ElemOp::Pow: case plan::ElemOp::Max:
    case plan::ElemOp::Min: case plan::ElemOp::CmpEq: case plan::ElemOp::CmpNe:
    case plan::ElemOp::CmpLt: case plan::ElemOp::CmpLe:
    case plan::ElemOp::CmpGt: case plan::ElemOp::CmpGe:
      return 2;
    default:
      return 1;
    }
  }

  Status checkReduce(const plan::Reduce &r) {
    CHECK(exists({r.input(), r.output()}));
    CHECK(sameDType({r.input(), r.output()}));
    if (r.kind() > plan::ReduceKind::MAX || !r.axes() || !isAligned(r.axes()))
      return Status::error("unknown reduction or no axes");
    if (dtype(r.input()) != plan::DType::I32 &&
        dtype(r.input()) != plan::DType::I64)
      CHECK(realFloat(r.input()));
    Shape in = shape(r.input());
    std::set<int64_t> axes;
    uint64_t kept = 1;
    for (int64_t axis : *r.axes()) {
      CHECK(axisIn(axis, in.size()));
      if (!axes.insert(axis).second)
        return Status::error("an axis appears twice");
    }
    for (size_t d = 0; d < in.size(); ++d)
      if (!axes.count(d))
        kept *= uint64_t(in[d]);
    if (count(r.output()) != kept)
      return Status::error("the output size does not match the kept "
                           "dimensions");
    if (r.kind() == plan::ReduceKind::Max && kept && !count(r.input()))
      return Status::error("the maximum of no elements");
    return Status::ok();
  }

  /// outer x n x inner around `axis`.
  Status checkAxisLayout(uint32_t index, int64_t axis) {
    return axisIn(axis, shape(index).size());
  }

  Status checkArgmax(const plan::Argmax &a) {
    CHECK(exists({a.input(), a.output()}));
    CHECK(isIndex(a.output()));
    CHECK(checkAxisLayout(a.input(), a.axis()));
    int64_t n = shape(a.input())[a.axis()];
    if (n == 0 || count(a.output()) != count(a.input()) / uint64_t(n))
      return Status::error("the output size does not match the input without "
                           "its axis");
    if (dtype(a.input()) != plan::DType::I32 &&
        dtype(a.input()) != plan::DType::I64)
      CHECK(realFloat(a.input()));
    return Status::ok();
  }

  Status checkSoftmaxGrad(const plan::SoftmaxGrad &s) {
    CHECK(exists({s.output(), s.grad(), s.input_grad()}));
    CHECK(sameDType({s.output(), s.grad(), s.input_grad()}));
    CHECK(realFloat(s.output()));
    CHECK(shapeIs(s.grad(), shape(s.output())));
    CHECK(shapeIs(s.input_grad(), shape(s.output())));
    return checkAxisLayout(s.output(), s.axis());
  }

  Status checkSoftmax(const plan::Softmax &s) {
    CHECK(exists({s.input(), s.output()}));
    CHECK(sameDType({s.input(), s.output()}));
    CHECK(realFloat(s.input()));
    CHECK(shapeIs(s.output(), shape(s.input())));
    if (const plan::Elementwise *prologue = s.prologue()) {
      if ((prologue->outputs() && prologue->outputs()->size()) ||
          !prologue->results() || prologue->results()->size() != 1)
        return Status::error("a softmax prologue must have one result and "
                             "no outputs");
      CHECK(checkProgram(*prologue, shape(s.output())));
    }
    return checkAxisLayout(s.input(), s.axis());
  }

  /// Attention's query [..., T, E], key [..., S, E] and value [..., S, E2].
  Status checkAttentionOperands(uint32_t query, uint32_t key, uint32_t value) {
    Shape q = shape(query), k = shape(key), v = shape(value);
    size_t rank = q.size();
    if (rank < 2 || k.size() != rank || v.size() != rank ||
        !std::equal(q.begin(), q.end() - 2, k.begin()) ||
        !std::equal(q.begin(), q.end() - 2, v.begin()) ||
        k[rank - 1] != q[rank - 1] || v[rank - 2] != k[rank - 2])
      return Status::error("attention's query, key and value must be "
                           "[..., T, E], [..., S, E] and [..., S, E2]");
    return Status::ok();
  }

  /// The program attention's kernels apply to each score (or its
  /// gradient): one result, no outputs, and `first`, unread, as its first
  /// input (`firstName` says which tensor that is), over `scores`.
  Status checkScoresProgram(const plan::Elementwise &program, uint32_t first,
                            const Shape &scores, const char *what,
                            const char *firstName) {
    if ((program.outputs() && program.outputs()->size()) ||
        !program.results() || program.results()->size() != 1 ||
        !program.inputs() || program.inputs()->size() == 0 ||
        program.inputs()->Get(0) != first ||
        (program.views() && program.views()->size() &&
         program.views()->Get(0)->strides()))
      return Status::error(format("%s must have one result, no outputs, and "
                                  "%s, unread, as its first input",
                                  what, firstName));
    return checkProgram(program, scores, /*firstIsValue=*/true);
  }

  Status checkAttention(const plan::Attention &a) {
    CHECK(exists({a.query(), a.key(), a.value(), a.output()}));
    CHECK(sameDType({a.query(), a.key(), a.value(), a.output()}));
    CHECK(realFloat(a.query()));
    CHECK(checkAttentionOperands(a.query(), a.key(), a.value()));
    Shape q = shape(a.query()), k = shape(a.key()), v = shape(a.value());
    size_t rank = q.size();
    Shape out(q.begin(), q.end() - 1), scores(q.begin(), q.end() - 1);
    out.push_back(v[rank - 1]);
    scores.push_back(k[rank - 2]);
    if (a.merge_heads()) {
      if (rank < 3)
        return Status::error("attention merges the heads of a query "
                             "[..., H, T, E] only");
      std::swap(out[rank - 3], out[rank - 2]);
    }
    CHECK(shapeIs(a.output(), out));
    if (a.with_probabilities()) {
      CHECK(exists({a.probabilities()}));
      CHECK(sameDType({a.query(), a.probabilities()}));
      CHECK(shapeIs(a.probabilities(), scores));
    }
    if (const plan::Elementwise *prologue = a.prologue())
      return checkScoresProgram(*prologue, a.output(), scores,
                                "an attention prologue", "the output");
    return Status::ok();
  }

  Status checkAttentionGrad(const plan::AttentionGrad &a) {
    std::vector<uint32_t> operands{a.grad(), a.probabilities(), a.query(),
                                   a.key(), a.value(), a.query_grad()};
    if (!a.packed())
      operands.insert(operands.end(), {a.key_grad(), a.value_grad()});
    CHECK(exists(operands));
    CHECK(sameDType(operands));
    CHECK(realFloat(a.query()));
    CHECK(checkAttentionOperands(a.query(), a.key(), a.value()));
    Shape q = shape(a.query()), k = shape(a.key()), v = shape(a.value());
    size_t rank = q.size();
    int64_t t = q[rank - 2], e = q[rank - 1], s = k[rank - 2],
            e2 = v[rank - 1];
    if (t == 0 || s == 0)
      return Status::error("attention's gradient needs queries and keys");
    if (a.merge_heads() && rank < 3)
      return Status::error("attention's gradient merges the heads of a "
                           "query [..., H, T, E] only");
    // [..., rows, width], with the heads merged if asked.
    auto laidOut = [&](int64_t rows, int64_t width) {
      Shape out(q.begin(), q.end() - 2);
      out.push_back(rows);
      out.push_back(width);
      if (a.merge_heads())
        std::swap(out[rank - 3], out[rank - 2]);
      return out;
    };
    Shape scores(q.begin(), q.end() - 1);
    scores.push_back(s);
    CHECK(shapeIs(a.probabilities(), scores));
    CHECK(shapeIs(a.grad(), laidOut(t, e2)));
    if (a.packed()) {
      if (!a.merge_heads() || t != s || e != e2)
        return Status::error("attention's gradients are packed only with "
                             "merged heads, T = S and E = E2");
      Shape packed(q.begin(), q.end() - 3);
      packed.push_back(t);
      packed.push_back(3 * q[rank - 3] * e);
      CHECK(shapeIs(a.query_grad(), packed));
    } else {
      CHECK(shapeIs(a.query_grad(), laidOut(t, e)));
      CHECK(shapeIs(a.key_grad(), laidOut(s, e)));
      CHECK(shapeIs(a.value_grad(), laidOut(s, e2)));
    }
    if (const plan::Elementwise *epilogue = a.epilogue())
      return checkScoresProgram(*epilogue, a.query_grad(), scores,
                                "an attention gradient's epilogue",
                                "the query's gradient");
    return Status::ok();
  }

  Status checkLayerNorm(const plan::LayerNorm &l) {
    CHECK(exists({l.input(), l.gamma(), l.beta(), l.output()}));
    CHECK(sameDType({l.input(), l.gamma(), l.beta(), l.output()}));
    CHECK(realFloat(l.input()));
    CHECK(shapeIs(l.output(), shape(l.input())));
    CHECK(checkAxisLayout(l.input(), l.axis()));
    Shape in = shape(l.input());
    Shape tail(in.begin() + l.axis(), in.end());
    CHECK(shapeIs(l.gamma(), tail));
    return shapeIs(l.beta(), tail);
  }

  /// The row statistics of a layer norm's backward kernels: one per
  /// element of the input's leading dimensions [0, axis).
  Status checkRowStatistics(uint32_t input, int64_t axis, uint32_t mean,
                            uint32_t rstd) {
    Shape in = shape(input);
    Shape rows(in.begin(), in.begin() + axis);
    CHECK(shapeIs(mean, rows));
    return shapeIs(rstd, rows);
  }

  Status checkLayerNormGrad(const plan::LayerNormGrad &l) {
    std::initializer_list<uint32_t> all = {l.input(), l.grad(), l.gamma(),
                                           l.output(), l.mean(), l.rstd()};
    CHECK(exists(all));
    CHECK(sameDType(all));
    CHECK(realFloat(l.input()));
    CHECK(shapeIs(l.grad(), shape(l.input())));
    CHECK(shapeIs(l.output(), shape(l.input())));
    CHECK(checkAxisLayout(l.input(), l.axis()));
    if (!(l.epsilon() > 0))
      return Status::error("epsilon must be positive");
    Shape in = shape(l.input());
    CHECK(shapeIs(l.gamma(), Shape(in.begin() + l.axis(), in.end())));
    if (l.with_addend()) {
      CHECK(exists({l.addend()}));
      CHECK(sameDType({l.input(), l.addend()}));
      CHECK(shapeIs(l.addend(), in));
    }
    return checkRowStatistics(l.input(), l.axis(), l.mean(), l.rstd());
  }

  Status checkLayerNormParamGrad(const plan::LayerNormParamGrad &l) {
    std::initializer_list<uint32_t> all = {l.input(), l.grad(), l.mean(),
                                           l.rstd(), l.gamma_grad(),
                                           l.beta_grad()};
    CHECK(exists(all));
    CHECK(sameDType(all));
    CHECK(realFloat(l.input()));
    CHECK(shapeIs(l.grad(), shape(l.input())));
    CHECK(checkAxisLayout(l.input(), l.axis()));
    Shape in = shape(l.input());
    Shape tail(in.begin() + l.axis(), in.end());
    CHECK(shapeIs(l.gamma_grad(), tail));
    CHECK(shapeIs(l.beta_grad(), tail));
    return checkRowStatistics(l.input(), l.axis(), l.mean(), l.rstd());
  }

  Status checkBatchNorm(const plan::BatchNorm &b) {
    CHECK(exists({b.input(), b.scale(), b.bias(), b.mean(), b.variance(),
                  b.output()}));
    CHECK(sameDType({b.input(), b.scale(), b.bias(), b.mean(), b.variance(),
                     b.output()}));
    CHECK(realFloat(b.input()));
    Shape in = shape(b.input());
    if (in.size() < 2)
      return Status::error("the input needs a channel dimension");
    CHECK(shapeIs(b.output(), in));
    for (uint32_t v : {b.scale(), b.bias(), b.mean(), b.variance()})
      CHECK(shapeIs(v, {in[1]}));
    if (b.training()) {
      CHECK(exists({b.new_mean(), b.new_variance()}));
      CHECK(sameDType({b.input(), b.new_mean(), b.new_variance()}));
      CHECK(shapeIs(b.new_mean(), {in[1]}));
      CHECK(shapeIs(b.new_variance(), {in[1]}));
      if (count(b.input()) / uint64_t(std::max<int64_t>(in[1], 1)) < 2)
        return Status::error("batch statistics need more than one value per "
                             "channel");
    }
    return Status::ok();
  }

  using Longs = flatbuffers::Vector<int64_t>;

  /// The convolution of x [N, C, H, W] with w [O, C/groups, kH, kW] gives
  /// y: the geometry a forward or backward convolution step relies on.
  Status checkConvGeometry(const Shape &x, const Shape &w, const Shape &y,
                           const Longs *stride, const Longs *padding,
                           const Longs *dilation, int64_t groups) {
    Shape out;
    CHECK(convOutput(x, w, stride, padding, dilation, groups, out));
    if (y != out)
      return Status::error("the convolution's output is " + formatShape(y) +
                           ", expected " + formatShape(out));
    return Status::ok();
  }

  /// The output shape of a convolution of x [N, C, H, W] by w.
  Status convOutput(const Shape &x, const Shape &w, const Longs *stride,
                    const Longs *padding, const Longs *dilation,
                    int64_t groups, Shape &out) {
    if (!hasSize(stride, 2) || !hasSize(padding, 4) || !hasSize(dilation, 2))
      return Status::error("stride, padding and dilation need 2, 4 and 2 "
                           "entries");
    if (x.size() != 4 || w.size() != 4)
      return Status::error("input and weight must be rank 4");
    if (groups < 1 || x[1] % groups || w[0] % groups || w[1] * groups != x[1])
      return Status::error("channels do not match the groups");
    for (int i = 0; i < 2; ++i)
      if (stride->Get(i) < 1 || dilation->Get(i) < 1 ||
          stride->Get(i) > (1 << 20) || dilation->Get(i) > (1 << 20))
        return Status::error("stride and dilation must be in [1, 2^20]");
    for (int i = 0; i < 4; ++i)
      if (padding->Get(i) < 0 || padding->Get(i) > (1 << 20))
        return Status::error("bad padding");
    out = {x[0], w[0], 0, 0};
    for (int i = 0; i < 2; ++i) {
      // In 128 bits: damaged sizes must not overflow the check itself.
      __int128 extent = (__int128)x[2 + i] + padding->Get(i) +
                        padding->Get(2 + i) -
                        (__int128)dilation->Get(i) * (w[2 + i] - 1) - 1;
      if (extent < 0)
        return Status::error("the kernel is larger than the padded input");
      out[2 + i] = int64_t(extent / stride->Get(i) + 1);
    }
    return Status::ok();
  }

  /// An image [N, C, H, W] and its windows as rows [N*Ho*Wo, C*kH*kW].
  Status checkIm2Col(const plan::Im2Col &op) {
    CHECK(exists({op.input(), op.output()}));
    CHECK(sameDType({op.input(), op.output()}));
    CHECK(realFloat(op.input()));
    if (!hasSize(op.kernel(), 2))
      return Status::error("the kernel needs 2 sizes");
    Shape image = shape(op.col2im() ? op.output() : op.input());
    Shape cols = shape(op.col2im() ? op.input() : op.output());
    int64_t kh = op.kernel()->Get(0), kw = op.kernel()->Get(1);
    if (image.size() != 4 || kh < 1 || kw < 1 || kh > (1 << 20) ||
        kw > (1 << 20))
      return Status::error("the image must be [N, C, H, W] and the kernel "
                           "sizes in [1, 2^20]");
    Shape out;
    CHECK(convOutput(image, {1, image[1], kh, kw}, op.stride(), op.padding(),
                     op.dilation(), 1, out));
    // The sizes are checked products of the tensors' own dimensions.
    Shape expected = {image[0] * out[2] * out[3], image[1] * kh * kw};
    if (cols != expected)
      return Status::error("the windows are " + formatShape(cols) +
                           ", expected " + formatShape(expected));
    return Status::ok();
  }

  Status checkConv2d(const plan::Conv2d &c) {
    CHECK(exists({c.input(), c.weight(), c.output()}));
    CHECK(sameDType({c.input(), c.weight(), c.output()}));
    CHECK(realFloat(c.input()));
    CHECK(checkConvGeometry(shape(c.input()), shape(c.weight()),
                            shape(c.output()), c.stride(), c.padding(),
                            c.dilation(), c.groups()));
    if (c.has_bias()) {
      CHECK(exists({c.bias()}));
      CHECK(sameDType({c.input(), c.bias()}));
      CHECK(shapeIs(c.bias(), {shape(c.weight())[0]}));
    }
    return Status::ok();
  }

  Status checkConv2dGrad(const plan::Conv2dGrad &c) {
    CHECK(exists({c.grad(), c.other(), c.output()}));
    CHECK(sameDType({c.grad(), c.other(), c.output()}));
    CHECK(realFloat(c.grad()));
    uint32_t x = c.wrt_weight() ? c.other() : c.output();
    uint32_t w = c.wrt_weight() ? c.output() : c.other();
    if (c.with_bias_grad()) {
      CHECK(exists({c.bias_grad()}));
      CHECK(sameDType({c.grad(), c.bias_grad()}));
      Shape dy = shape(c.grad());
      if (!c.wrt_weight() || dy.size() != 4 ||
          shape(c.bias_grad()) != Shape{dy[1]})
        return Status::error("a bias gradient needs the weight gradient and "
                             "one element per output channel");
    }
    return checkConvGeometry(shape(x), shape(w), shape(c.grad()), c.stride(),
                             c.padding(), c.dilation(), c.groups());
  }

  /// Pooling windows over x [N, C, H, W] giving y [N, C, Ho, Wo].
  Status checkPoolGeometry(const Shape &x, const Shape &y, plan::PoolKind kind,
                           const Longs *kernel, const Longs *stride,
                           const Longs *padding) {
    if (kind > plan::PoolKind::MAX || !hasSize(kernel, 2) ||
        !hasSize(stride, 2) || !hasSize(padding, 4))
      return Status::error("bad kind, kernel, stride or padding");
    if (x.size() != 4 || y.size() != 4 || x[0] != y[0] || x[1] != y[1])
      return Status::error("input and output must be [N, C, H, W] alike");
    for (int i = 0; i < 2; ++i) {
      int64_t k = kernel->Get(i), s = stride->Get(i);
      int64_t before = padding->Get(i);
      if (k < 1 || s < 1 || before < 0 || padding->Get(2 + i) < 0 ||
          before >= k)
        return Status::error("bad kernel, stride or padding");
      if (k > (1 << 20) || s > (1 << 20))
        return Status::error("kernel and stride must be at most 2^20");
      // Every window must overlap the input, or it has nothing to pool.
      if (y[2 + i] > 0 && (__int128)(y[2 + i] - 1) * s - before >= x[2 + i])
        return Status::error("a window lies entirely in the padding");
    }
    return Status::ok();
  }

  Status checkPool2d(const plan::Pool2d &p) {
    CHECK(exists({p.input(), p.output()}));
    CHECK(sameDType({p.input(), p.output()}));
    CHECK(realFloat(p.input()));
    return checkPoolGeometry(shape(p.input()), shape(p.output()), p.kind(),
                             p.kernel(), p.stride(), p.padding());
  }

  Status checkPool2dGrad(const plan::Pool2dGrad &p) {
    CHECK(exists({p.input(), p.grad(), p.output()}));
    CHECK(sameDType({p.input(), p.grad(), p.output()}));
    CHECK(realFloat(p.output()));
    CHECK(shapeIs(p.input(), shape(p.output())));
    return checkPoolGeometry(shape(p.output()), shape(p.grad()), p.kind(),
                             p.kernel(), p.stride(), p.padding());
  }

  Status checkTranspose(const plan::Transpose &t) {
    CHECK(exists({t.input(), t.output()}));
    CHECK(sameDType({t.input(), t.output()}));
    Shape in = shape(t.input());
    if (!hasSize(t.perm(), in.size()))
      return Status::error("the permutation does not match the rank");
    Shape out;
    std::set<int64_t> seen;
    for (int64_t axis : *t.perm()) {
      CHECK(axisIn(axis, in.size()));
      if (!seen.insert(axis).second)
        return Status::error("the permutation repeats an axis");
      out.push_back(in[axis]);
    }
    return shapeIs(t.output(), out);
  }

  Status checkConcat(const plan::Concat &c) {
    if (!c.inputs() || c.inputs()->size() == 0)
      return Status::error("no inputs");
    CHECK(exists({c.output()}));
    Shape out = shape(c.output());
    CHECK(axisIn(c.axis(), out.size()));
    int64_t total = 0;
    for (uint32_t index : *c.inputs()) {
      CHECK(exists({index}));
      CHECK(sameDType({c.output(), index}));
      Shape in = shape(index);
      if (in.size() != out.size())
        return Status::error("inputs and output differ in rank");
      for (size_t d = 0; d < in.size(); ++d)
        if (int64_t(d) != c.axis() && in[d] != out[d])
          return Status::error("inputs differ outside the axis");
      total += in[c.axis()];
    }
    if (total != out[c.axis()])
      return Status::error("the inputs do not add up to the output");
    return Status::ok();
  }

  /// The partial sums of a sum of squares: a non-empty f64 vector.
  Status checkPartials(uint32_t partials) {
    CHECK(exists({partials}));
    if (dtype(partials) != plan::DType::F64 || shape(partials).size() != 1 ||
        shape(partials)[0] < 1)
      return Status::error("the partial sums must be a non-empty f64 vector");
    return Status::ok();
  }

  Status checkSquarePartials(const plan::SquarePartials &s) {
    if (!s.inputs() || s.inputs()->size() == 0)
      return Status::error("no inputs");
    for (uint32_t index : *s.inputs()) {
      CHECK(exists({index}));
      CHECK(realFloat(index));
    }
    return checkPartials(s.partials());
  }

  Status checkSumPartials(const plan::SumPartials &s) {
    CHECK(checkPartials(s.partials()));
    CHECK(exists({s.output()}));
    CHECK(realFloat(s.output()));
    return shapeIs(s.output(), {});
  }

  Status checkSlice(const plan::Slice &s) {
    CHECK(exists({s.input(), s.output()}));
    CHECK(sameDType({s.input(), s.output()}));
    Shape in = shape(s.input()), out = shape(s.output());
    if (out.size() != in.size() || !hasSize(s.start(), in.size()) ||
        !hasSize(s.step(), in.size()))
      return Status::error("start, step and output must match the rank");
    for (size_t d = 0; d < in.size(); ++d) {
      int64_t start = s.start()->Get(d), step = s.step()->Get(d);
      if (start < 0 || step < 1 || step > (int64_t(1) << 40))
        return Status::error("bad start or step");
      if (out[d] > 0 && (__int128)start + (__int128)(out[d] - 1) * step >= in[d])
        return Status::error(format("dimension %zu reads past the input", d));
    }
    return Status::ok();
  }

  Status checkGather(const plan::Gather &g) {
    CHECK(exists({g.input(), g.indices(), g.output()}));
    CHECK(sameDType({g.input(), g.output()}));
    CHECK(isIndex(g.indices()));
    Shape in = shape(g.input()), idx = shape(g.indices());
    CHECK(axisIn(g.axis(), in.size()));
    Shape out(in.begin(), in.begin() + g.axis());
    out.insert(out.end(), idx.begin(), idx.end());
    out.insert(out.end(), in.begin() + g.axis() + 1, in.end());
    return shapeIs(g.output(), out);
  }

  Status checkScatterAdd(const plan::ScatterAdd &s) {
    CHECK(exists({s.updates(), s.indices(), s.output()}));
    CHECK(sameDType({s.updates(), s.output()}));
    CHECK(realFloat(s.output()));
    CHECK(isIndex(s.indices()));
    Shape out = shape(s.output()), idx = shape(s.indices());
    CHECK(axisIn(s.axis(), out.size()));
    Shape updates(out.begin(), out.begin() + s.axis());
    updates.insert(updates.end(), idx.begin(), idx.end());
    updates.insert(updates.end(), out.begin() + s.axis() + 1, out.end());
    return shapeIs(s.updates(), updates);
  }

  Status checkIota(const plan::Iota &i) {
    CHECK(exists({i.output()}));
    return axisIn(i.axis(), shape(i.output()).size());
  }

  /// Float logits [N, C >= 1], integer labels [N] and a scalar `output` of
  /// the logits' type (`what`: "loss" or "accuracy").
  Status checkLogitsLabels(uint32_t logitsIndex, uint32_t labels,
                           uint32_t output, const char *what) {
    CHECK(exists({logitsIndex, labels, output}));
    CHECK(sameDType({logitsIndex, output}));
    CHECK(realFloat(logitsIndex));
    CHECK(isIndex(labels));
    Shape logits = shape(logitsIndex);
    if (logits.size() != 2 || logits[1] < 1)
      return Status::error("logits must be [N, C] with C >= 1");
    CHECK(shapeIs(labels, {logits[0]}));
    if (count(output) != 1)
      return Status::error(format("the %s must be a scalar", what));
    return Status::ok();
  }

  Status checkCrossEntropy(const plan::CrossEntropy &c) {
    CHECK(checkLogitsLabels(c.logits(), c.labels(), c.output(), "loss"));
    if (c.reduction() > plan::LossReduction::MAX)
      return Status::error("unknown reduction");
    Shape logits = shape(c.logits());
    if (c.with_grad()) {
      CHECK(exists({c.dloss(), c.dlogits()}));
      CHECK(sameDType({c.logits(), c.dloss(), c.dlogits()}));
      if (count(c.dloss()) != 1)
        return Status::error("the loss's gradient must be a scalar");
      CHECK(shapeIs(c.dlogits(), logits));
    }
    if (c.with_accuracy())
      CHECK(checkLogitsLabels(c.logits(), c.labels(), c.accuracy(),
                              "accuracy"));
    return Status::ok();
  }

  Status checkAccuracy(const plan::Accuracy &a) {
    return checkLogitsLabels(a.logits(), a.labels(), a.output(), "accuracy");
  }

  Status checkMse(const plan::Mse &m) {
    CHECK(exists({m.prediction(), m.target(), m.output()}));
    CHECK(sameDType({m.prediction(), m.target(), m.output()}));
    CHECK(realFloat(m.prediction()));
    CHECK(shapeIs(m.target(), shape(m.prediction())));
    if (m.reduction() > plan::LossReduction::MAX)
      return Status::error("unknown reduction");
    if (count(m.output()) != 1)
      return Status::error("the loss must be a scalar");
    return Status::ok();
  }

#undef CHECK

  const plan::Plan &plan;
};

} // namespace

Status checkPlan(const plan::Plan &plan) { return Checker(plan).run(); }

} // namespace dlc::rt
