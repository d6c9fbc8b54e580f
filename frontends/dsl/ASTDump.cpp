//===- ASTDump.cpp - Printing the syntax tree (dlc --emit=ast) ------------===//

#include "frontends/dsl/AST.h"

using namespace dlc::dsl;

namespace {

class Dumper {
public:
  explicit Dumper(llvm::raw_ostream &os) : os(os) {}

  void dump(const Module &module) {
    os << "Module '" << module.name << "' (" << module.filename << ")\n";
    for (const StmtPtr &stmt : module.stmts)
      dump(*stmt, 1);
  }

private:
  llvm::raw_ostream &line(unsigned depth, SrcPos pos) {
    return os.indent(2 * depth) << "@" << pos.line << ":" << pos.col << " ";
  }

  void dump(const TensorTypeSpec &type, unsigned depth) {
    line(depth, type.pos) << "Type " << type.dtype << "\n";
    for (const ExprPtr &dim : type.dims)
      dump(*dim, depth + 1);
  }

  void dump(const Stmt &stmt, unsigned depth) {
    if (auto *s = llvm::dyn_cast<ConstStmt>(&stmt)) {
      line(depth, s->pos) << "Const " << s->name << "\n";
      dump(*s->value, depth + 1);
    } else if (auto *s = llvm::dyn_cast<InputStmt>(&stmt)) {
      line(depth, s->pos) << "Input " << s->name << "\n";
      dump(s->type, depth + 1);
    } else if (auto *s = llvm::dyn_cast<ParamStmt>(&stmt)) {
      line(depth, s->pos) << "Param " << s->name << " (" << s->role << ")\n";
      dump(s->type, depth + 1);
      dump(*s->init, depth + 1);
    } else if (auto *s = llvm::dyn_cast<LetStmt>(&stmt)) {
      line(depth, s->pos) << "Let " << s->name << "\n";
      dump(*s->value, depth + 1);
    } else if (auto *s = llvm::dyn_cast<OutputStmt>(&stmt)) {
      line(depth, s->pos) << "Output " << s->name << "\n";
      dump(*s->value, depth + 1);
    } else if (auto *s = llvm::dyn_cast<ReturnStmt>(&stmt)) {
      line(depth, s->pos) << "Return\n";
      dump(*s->value, depth + 1);
    } else if (auto *s = llvm::dyn_cast<DefStmt>(&stmt)) {
      line(depth, s->pos) << "Def " << s->name << "(";
      llvm::interleaveComma(s->params, os,
                            [&](const auto &param) { os << param.first; });
      os << ")\n";
      for (const StmtPtr &inner : s->body)
        dump(*inner, depth + 1);
    } else if (auto *s = llvm::dyn_cast<TrainStmt>(&stmt)) {
      line(depth, s->pos) << "Train\n";
      if (s->loss) {
        line(depth + 1, s->lossPos) << "Loss\n";
        dump(*s->loss, depth + 2);
      }
      for (const auto &[name, value] : s->metrics) {
        line(depth + 1, value->pos) << "Metric " << name << "\n";
        dump(*value, depth + 2);
      }
      if (s->optimizer)
        dump(*s->optimizer, depth + 1);
      if (s->schedule)
        dump(*s->schedule, depth + 1);
      if (s->clipNorm) {
        line(depth + 1, s->clipNorm->pos) << "ClipNorm\n";
        dump(*s->clipNorm, depth + 2);
      }
    }
  }

  static const char *spell(Tok op) {
    switch (op) {
    case Tok::Plus: return "+";
    case Tok::Minus: return "-";
    case Tok::Star: return "*";
    case Tok::Slash: return "/";
    case Tok::At: return "@";
    case Tok::Less: return "<";
    case Tok::LessEq: return "<=";
    case Tok::Greater: return ">";
    case Tok::GreaterEq: return ">=";
    case Tok::EqEq: return "==";
    case Tok::NotEq: return "!=";
    default: return "?";
    }
  }

  void dump(const Expr &expr, unsigned depth) {
    if (auto *e = llvm::dyn_cast<NumberExpr>(&expr)) {
      line(depth, e->pos) << "Number ";
      if (e->isInteger)
        os << static_cast<int64_t>(e->value) << "\n";
      else
        os << e->value << "\n";
    } else if (auto *e = llvm::dyn_cast<StringExpr>(&expr)) {
      line(depth, e->pos) << "String \"" << e->value << "\"\n";
    } else if (auto *e = llvm::dyn_cast<NameExpr>(&expr)) {
      line(depth, e->pos) << "Name " << e->name << "\n";
    } else if (auto *e = llvm::dyn_cast<ListExpr>(&expr)) {
      line(depth, e->pos) << "List\n";
      for (const ExprPtr &item : e->items)
        dump(*item, depth + 1);
    } else if (auto *e = llvm::dyn_cast<UnaryExpr>(&expr)) {
      line(depth, e->pos) << "Unary " << spell(e->op) << "\n";
      dump(*e->operand, depth + 1);
    } else if (auto *e = llvm::dyn_cast<BinaryExpr>(&expr)) {
      line(depth, e->pos) << "Binary " << spell(e->op) << "\n";
      dump(*e->lhs, depth + 1);
      dump(*e->rhs, depth + 1);
    } else if (auto *e = llvm::dyn_cast<CallExpr>(&expr)) {
      line(depth, e->pos) << "Call " << e->callee;
      if (e->scope)
        os << " as " << *e->scope;
      os << "\n";
      for (const ExprPtr &arg : e->args)
        dump(*arg, depth + 1);
      for (const KeywordArg &kwarg : e->kwargs) {
        line(depth + 1, kwarg.pos) << "Keyword " << kwarg.name << "\n";
        dump(*kwarg.value, depth + 2);
      }
    }
  }

  llvm::raw_ostream &os;
};

} // namespace

void dlc::dsl::dump(const Module &module, llvm::raw_ostream &os) {
  Dumper(os).dump(module);
}
