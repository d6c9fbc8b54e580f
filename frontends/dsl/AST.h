//===- AST.h - Syntax tree of the model DSL ---------------------*- C++ -*-===//
//
// What the parser builds and MLIRGen walks. Nodes own their children; each
// records where it starts in the file for diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_DSL_AST_H
#define DLC_FRONTENDS_DSL_AST_H

#include "frontends/dsl/Lexer.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc::dsl {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind { Number, String, Name, List, Unary, Binary, Call };
  Expr(Kind kind, SrcPos pos) : pos(pos), kind(kind) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  SrcPos pos;

private:
  Kind kind;
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberExpr : Expr {
  NumberExpr(SrcPos pos, double value, bool isInteger)
      : Expr(Kind::Number, pos), value(value), isInteger(isInteger) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }
  double value;
  bool isInteger;
};

struct StringExpr : Expr {
  StringExpr(SrcPos pos, std::string value)
      : Expr(Kind::String, pos), value(std::move(value)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }
  std::string value;
};

/// A reference to a constant, a tensor, a dtype or a keyword value (`true`).
struct NameExpr : Expr {
  NameExpr(SrcPos pos, std::string name)
      : Expr(Kind::Name, pos), name(std::move(name)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }
  std::string name;
};

/// `[a, b, c]`: shapes, axes, permutations.
struct ListExpr : Expr {
  ListExpr(SrcPos pos, std::vector<ExprPtr> items)
      : Expr(Kind::List, pos), items(std::move(items)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
  std::vector<ExprPtr> items;
};

struct UnaryExpr : Expr {
  UnaryExpr(SrcPos pos, Tok op, ExprPtr operand)
      : Expr(Kind::Unary, pos), op(op), operand(std::move(operand)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }
  Tok op;
  ExprPtr operand;
};

struct BinaryExpr : Expr {
  BinaryExpr(SrcPos pos, Tok op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, pos), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
  Tok op;
  ExprPtr lhs, rhs;
};

struct KeywordArg {
  std::string name;
  SrcPos pos;
  ExprPtr value;
};

/// `callee(args, key = value) [as scope]`: a builtin op or a user block.
struct CallExpr : Expr {
  CallExpr(SrcPos pos, std::string callee)
      : Expr(Kind::Call, pos), callee(std::move(callee)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
  std::string callee;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> kwargs;
  std::optional<std::string> scope; ///< `as NAME`: prefix of the block's params.
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

/// `f32[batch, 784]`
struct TensorTypeSpec {
  std::string dtype;
  SrcPos pos;
  std::vector<ExprPtr> dims;
};

class Stmt {
public:
  enum class Kind { Const, Input, Param, Let, Output, Return, Def, Train };
  Stmt(Kind kind, SrcPos pos) : pos(pos), kind(kind) {}
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  SrcPos pos;

private:
  Kind kind;
};
using StmtPtr = std::unique_ptr<Stmt>;

/// `const batch = 64`: a compile-time number.
struct ConstStmt : Stmt {
  ConstStmt(SrcPos pos) : Stmt(Kind::Const, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Const; }
  std::string name;
  ExprPtr value;
};

/// `input x: f32[batch, 784]`
struct InputStmt : Stmt {
  InputStmt(SrcPos pos) : Stmt(Kind::Input, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Input; }
  std::string name;
  TensorTypeSpec type;
};

/// `param w: f32[784, 128] = kaiming_uniform(seed = 1)`
struct ParamStmt : Stmt {
  ParamStmt(SrcPos pos) : Stmt(Kind::Param, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Param; }
  std::string name;
  TensorTypeSpec type;
  std::unique_ptr<CallExpr> init;
  std::string role = "parameter"; ///< `buffer` for `param ... buffer`.
};

/// `let h = relu(x @ w)`
struct LetStmt : Stmt {
  LetStmt(SrcPos pos) : Stmt(Kind::Let, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Let; }
  std::string name;
  ExprPtr value;
};

/// `output logits` or `output probs = softmax(logits, axis = 1)`
struct OutputStmt : Stmt {
  OutputStmt(SrcPos pos) : Stmt(Kind::Output, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Output; }
  std::string name;
  ExprPtr value; ///< A NameExpr of `name` when no `=` is written.
};

/// `return expr` inside a block.
struct ReturnStmt : Stmt {
  ReturnStmt(SrcPos pos) : Stmt(Kind::Return, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Return; }
  ExprPtr value;
};

/// `def dense(x, n_in, n_out) { ... }`: a layer block, written once and
/// called many times; its params are named `<scope>.<param>`.
struct DefStmt : Stmt {
  DefStmt(SrcPos pos) : Stmt(Kind::Def, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Def; }
  std::string name;
  std::vector<std::pair<std::string, SrcPos>> params;
  std::vector<StmtPtr> body;
};

/// The `train { ... }` section.
struct TrainStmt : Stmt {
  TrainStmt(SrcPos pos) : Stmt(Kind::Train, pos) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Train; }
  ExprPtr loss;
  std::vector<std::pair<std::string, ExprPtr>> metrics;
  std::unique_ptr<CallExpr> optimizer;
  std::unique_ptr<CallExpr> schedule;
  ExprPtr clipNorm;
  SrcPos lossPos;
};

/// A whole .dl file.
struct Module {
  std::string name;
  std::string filename;
  std::vector<StmtPtr> stmts;
};

/// Prints the tree, one node a line, indented by depth (`dlc --emit=ast`).
void dump(const Module &module, llvm::raw_ostream &os);

} // namespace dlc::dsl

#endif // DLC_FRONTENDS_DSL_AST_H
