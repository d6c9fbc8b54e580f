//===- Parser.cpp - Parser of the model DSL -------------------------------===//
//
// Grammar (newlines are whitespace, `#` comments):
//   file   := ['model' NAME] stmt*
//   stmt   := 'const' NAME '=' expr | 'input' NAME ':' type
//           | 'param' NAME ':' type '=' NAME ['(' args ')'] ['buffer']
//           | 'let' NAME '=' expr | 'output' NAME ['=' expr]
//           | 'def' NAME '(' [NAME (',' NAME)*] ')' '{' stmt* '}'
//           | 'return' expr | 'train' '{' train-item* '}'
//   type   := NAME '[' [expr (',' expr)*] ']'
//   expr   := sum [('<'|'<='|'>'|'>='|'=='|'!=') sum]
//   sum    := product (('+'|'-') product)*
//   product:= unary (('*'|'/'|'@') unary)*
//   unary  := '-' unary | primary
//   primary:= NUMBER | STRING | NAME | '(' expr ')' | '[' [expr (',' expr)*] ']'
//           | NAME '(' [arg (',' arg)*] ')' ['as' NAME]
//   arg    := [NAME '='] expr
//
//===----------------------------------------------------------------------===//

#include "frontends/dsl/Parser.h"

#include "llvm/ADT/StringSwitch.h"

using namespace dlc::dsl;

namespace {

/// Thrown-free error handling: a failed parse function returns null and the
/// statement loop resynchronizes.
class Parser {
public:
  Parser(llvm::StringRef buffer, ErrorSink onError)
      : lexer(buffer), onError(onError) {
    consume();
  }

  std::unique_ptr<Module> parseFile(llvm::StringRef filename);

private:
  // Tokens.
  void consume() { tok = lexer.next(); }
  bool is(Tok kind) const { return tok.kind == kind; }
  bool isKeyword(llvm::StringRef word) const {
    return tok.kind == Tok::Ident && tok.text == word;
  }
  bool error(SrcPos pos, const llvm::Twine &message) {
    onError(pos, message);
    ++errors;
    return false;
  }
  bool errorExpected(const llvm::Twine &what) {
    if (is(Tok::Error))
      return error(tok.pos, "unexpected character '" + tok.text + "'");
    return error(tok.pos, "expected " + what + ", found " +
                              (is(Tok::Eof) ? std::string("end of file")
                                            : "'" + tok.text.str() + "'"));
  }
  bool expect(Tok kind) {
    if (!is(kind))
      return errorExpected(describe(kind));
    consume();
    return true;
  }
  bool expectName(std::string &name, const char *what) {
    if (!is(Tok::Ident))
      return errorExpected(what);
    name = tok.text.str();
    consume();
    return true;
  }
  /// Skips to a token that can start a statement or close a block.
  void synchronize();
  static bool isStatementKeyword(llvm::StringRef word);

  // Statements.
  StmtPtr parseStmt(bool inBlock);
  bool parseType(TensorTypeSpec &type);
  std::unique_ptr<CallExpr> parseCallSpec(const char *what);
  StmtPtr parseDef(SrcPos pos);
  StmtPtr parseTrain(SrcPos pos);

  // Expressions.
  ExprPtr parseExpr();
  ExprPtr parseSum();
  ExprPtr parseProduct();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();
  bool parseCallArgs(CallExpr &call);

  Lexer lexer;
  ErrorSink onError;
  Token tok;
  unsigned errors = 0;
};

bool Parser::isStatementKeyword(llvm::StringRef word) {
  return llvm::StringSwitch<bool>(word)
      .Cases({"const", "input", "param", "let", "output", "def", "return",
              "train", "model"},
             true)
      .Default(false);
}

void Parser::synchronize() {
  while (!is(Tok::Eof) && !is(Tok::RBrace) &&
         !(is(Tok::Ident) && isStatementKeyword(tok.text)))
    consume();
}

std::unique_ptr<Module> Parser::parseFile(llvm::StringRef filename) {
  auto module = std::make_unique<Module>();
  module->filename = filename.str();
  if (isKeyword("model")) {
    consume();
    if (!expectName(module->name, "model name"))
      synchronize();
  }
  while (!is(Tok::Eof)) {
    if (StmtPtr stmt = parseStmt(/*inBlock=*/false)) {
      module->stmts.push_back(std::move(stmt));
      continue;
    }
    if (is(Tok::RBrace)) {
      error(tok.pos, "unmatched '}'");
      consume();
    }
    synchronize();
  }
  return errors ? nullptr : std::move(module);
}

StmtPtr Parser::parseStmt(bool inBlock) {
  SrcPos pos = tok.pos;
  if (is(Tok::RBrace) && !inBlock)
    return nullptr; // The file loop reports the unmatched '}'.
  if (!is(Tok::Ident) || !isStatementKeyword(tok.text)) {
    errorExpected(inBlock ? "'param', 'let', 'const' or 'return'"
                          : "a statement ('const', 'input', 'param', 'let', "
                            "'output', 'def' or 'train')");
    if (!is(Tok::RBrace) && !is(Tok::Eof))
      consume();
    return nullptr;
  }
  std::string keyword = tok.text.str();
  consume();

  if (keyword == "const") {
    auto stmt = std::make_unique<ConstStmt>(pos);
    if (!expectName(stmt->name, "constant name") || !expect(Tok::Assign) ||
        !(stmt->value = parseExpr()))
      return nullptr;
    return stmt;
  }
  if (keyword == "let") {
    auto stmt = std::make_unique<LetStmt>(pos);
    if (!expectName(stmt->name, "name") || !expect(Tok::Assign) ||
        !(stmt->value = parseExpr()))
      return nullptr;
    return stmt;
  }
  if (keyword == "param") {
    auto stmt = std::make_unique<ParamStmt>(pos);
    if (!expectName(stmt->name, "parameter name") || !expect(Tok::Colon) ||
        !parseType(stmt->type) || !expect(Tok::Assign) ||
        !(stmt->init = parseCallSpec("an initializer")))
      return nullptr;
    if (isKeyword("buffer")) {
      stmt->role = "buffer";
      consume();
    }
    return stmt;
  }
  if (keyword == "return") {
    if (!inBlock) {
      error(pos, "'return' is only allowed inside a 'def' block");
      return nullptr;
    }
    auto stmt = std::make_unique<ReturnStmt>(pos);
    if (!(stmt->value = parseExpr()))
      return nullptr;
    return stmt;
  }
  if (inBlock) {
    error(pos, "'" + keyword + "' is not allowed inside a 'def' block");
    return nullptr;
  }
  if (keyword == "input") {
    auto stmt = std::make_unique<InputStmt>(pos);
    if (!expectName(stmt->name, "input name") || !expect(Tok::Colon) ||
        !parseType(stmt->type))
      return nullptr;
    return stmt;
  }
  if (keyword == "output") {
    auto stmt = std::make_unique<OutputStmt>(pos);
    SrcPos namePos = tok.pos;
    if (!expectName(stmt->name, "output name"))
      return nullptr;
    if (is(Tok::Assign)) {
      consume();
      if (!(stmt->value = parseExpr()))
        return nullptr;
    } else {
      stmt->value = std::make_unique<NameExpr>(namePos, stmt->name);
    }
    return stmt;
  }
  if (keyword == "def")
    return parseDef(pos);
  if (keyword == "train")
    return parseTrain(pos);
  error(pos, "'model' must come first in the file");
  return nullptr;
}

bool Parser::parseType(TensorTypeSpec &type) {
  type.pos = tok.pos;
  if (!expectName(type.dtype, "element type (f32, f16, bf16, i32, i64, i1)") ||
      !expect(Tok::LBracket))
    return false;
  if (!is(Tok::RBracket)) {
    do {
      ExprPtr dim = parseExpr();
      if (!dim)
        return false;
      type.dims.push_back(std::move(dim));
    } while (is(Tok::Comma) && (consume(), true));
  }
  return expect(Tok::RBracket);
}

/// `name` or `name(args)`: initializers, optimizers, schedules.
std::unique_ptr<CallExpr> Parser::parseCallSpec(const char *what) {
  if (!is(Tok::Ident)) {
    errorExpected(what);
    return nullptr;
  }
  auto call = std::make_unique<CallExpr>(tok.pos, tok.text.str());
  consume();
  if (is(Tok::LParen) && !parseCallArgs(*call))
    return nullptr;
  return call;
}

StmtPtr Parser::parseDef(SrcPos pos) {
  auto def = std::make_unique<DefStmt>(pos);
  if (!expectName(def->name, "block name") || !expect(Tok::LParen))
    return nullptr;
  if (!is(Tok::RParen)) {
    do {
      SrcPos paramPos = tok.pos;
      std::string name;
      if (!expectName(name, "argument name"))
        return nullptr;
      def->params.emplace_back(name, paramPos);
    } while (is(Tok::Comma) && (consume(), true));
  }
  if (!expect(Tok::RParen) || !expect(Tok::LBrace))
    return nullptr;
  while (!is(Tok::RBrace) && !is(Tok::Eof)) {
    if (StmtPtr stmt = parseStmt(/*inBlock=*/true))
      def->body.push_back(std::move(stmt));
    else
      synchronize();
  }
  if (!expect(Tok::RBrace))
    return nullptr;
  return def;
}

StmtPtr Parser::parseTrain(SrcPos pos) {
  auto train = std::make_unique<TrainStmt>(pos);
  if (!expect(Tok::LBrace))
    return nullptr;
  // After an error, skip the rest of the section so that its '}' is not
  // taken for a stray one.
  auto skipSection = [&]() -> StmtPtr {
    while (!is(Tok::RBrace) && !is(Tok::Eof))
      consume();
    if (is(Tok::RBrace))
      consume();
    return nullptr;
  };
  while (!is(Tok::RBrace) && !is(Tok::Eof)) {
    SrcPos itemPos = tok.pos;
    std::string item;
    if (!expectName(item, "'loss', 'metric', 'optimizer', 'schedule' or "
                          "'clip_norm'"))
      return skipSection();
    if (item == "loss") {
      train->lossPos = itemPos;
      if (!(train->loss = parseExpr()))
        return skipSection();
    } else if (item == "metric") {
      std::string name;
      ExprPtr value;
      if (!expectName(name, "metric name") || !expect(Tok::Assign) ||
          !(value = parseExpr()))
        return skipSection();
      train->metrics.emplace_back(name, std::move(value));
    } else if (item == "optimizer") {
      if (!(train->optimizer = parseCallSpec("an optimizer")))
        return skipSection();
    } else if (item == "schedule") {
      if (!(train->schedule = parseCallSpec("a learning-rate schedule")))
        return skipSection();
    } else if (item == "clip_norm") {
      if (!(train->clipNorm = parseExpr()))
        return skipSection();
    } else {
      error(itemPos, "unknown training setting '" + item +
                         "' (expected loss, metric, optimizer, schedule or "
                         "clip_norm)");
      return skipSection();
    }
  }
  if (!expect(Tok::RBrace))
    return nullptr;
  return train;
}

ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseSum();
  if (!lhs)
    return nullptr;
  switch (tok.kind) {
  case Tok::Less:
  case Tok::LessEq:
  case Tok::Greater:
  case Tok::GreaterEq:
  case Tok::EqEq:
  case Tok::NotEq: {
    Token op = tok;
    consume();
    ExprPtr rhs = parseSum();
    if (!rhs)
      return nullptr;
    return std::make_unique<BinaryExpr>(op.pos, op.kind, std::move(lhs),
                                        std::move(rhs));
  }
  default:
    return lhs;
  }
}

ExprPtr Parser::parseSum() {
  ExprPtr lhs = parseProduct();
  while (lhs && (is(Tok::Plus) || is(Tok::Minus))) {
    Token op = tok;
    consume();
    ExprPtr rhs = parseProduct();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(op.pos, op.kind, std::move(lhs),
                                       std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseProduct() {
  ExprPtr lhs = parseUnary();
  while (lhs && (is(Tok::Star) || is(Tok::Slash) || is(Tok::At))) {
    Token op = tok;
    consume();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(op.pos, op.kind, std::move(lhs),
                                       std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (is(Tok::Minus)) {
    SrcPos pos = tok.pos;
    consume();
    ExprPtr operand = parseUnary();
    if (!operand)
      return nullptr;
    return std::make_unique<UnaryExpr>(pos, Tok::Minus, std::move(operand));
  }
  return parsePrimary();
}

bool Parser::parseCallArgs(CallExpr &call) {
  consume(); // '('
  if (!is(Tok::RParen)) {
    do {
      // `name = value` is a keyword argument; `name == value` is not.
      if (is(Tok::Ident)) {
        Token name = tok;
        Lexer saved = lexer;
        consume();
        if (is(Tok::Assign)) {
          consume();
          ExprPtr value = parseExpr();
          if (!value)
            return false;
          call.kwargs.push_back({name.text.str(), name.pos, std::move(value)});
          continue;
        }
        lexer = saved;
        tok = name;
      }
      if (!call.kwargs.empty())
        return error(tok.pos,
                     "positional argument after keyword arguments");
      ExprPtr arg = parseExpr();
      if (!arg)
        return false;
      call.args.push_back(std::move(arg));
    } while (is(Tok::Comma) && (consume(), true));
  }
  return expect(Tok::RParen);
}

ExprPtr Parser::parsePrimary() {
  SrcPos pos = tok.pos;
  switch (tok.kind) {
  case Tok::Number: {
    auto number = std::make_unique<NumberExpr>(pos, tok.number, tok.isInteger);
    consume();
    return number;
  }
  case Tok::String: {
    auto string = std::make_unique<StringExpr>(pos, tok.text.str());
    consume();
    return string;
  }
  case Tok::LParen: {
    consume();
    ExprPtr inner = parseExpr();
    if (!inner || !expect(Tok::RParen))
      return nullptr;
    return inner;
  }
  case Tok::LBracket: {
    consume();
    std::vector<ExprPtr> items;
    if (!is(Tok::RBracket)) {
      do {
        ExprPtr item = parseExpr();
        if (!item)
          return nullptr;
        items.push_back(std::move(item));
      } while (is(Tok::Comma) && (consume(), true));
    }
    if (!expect(Tok::RBracket))
      return nullptr;
    return std::make_unique<ListExpr>(pos, std::move(items));
  }
  case Tok::Ident: {
    if (isStatementKeyword(tok.text)) {
      errorExpected("an expression");
      return nullptr;
    }
    std::string name = tok.text.str();
    consume();
    if (!is(Tok::LParen))
      return std::make_unique<NameExpr>(pos, name);
    auto call = std::make_unique<CallExpr>(pos, name);
    if (!parseCallArgs(*call))
      return nullptr;
    if (isKeyword("as")) {
      consume();
      std::string scope;
      if (!expectName(scope, "scope name after 'as'"))
        return nullptr;
      call->scope = scope;
    }
    return call;
  }
  default:
    errorExpected("an expression");
    return nullptr;
  }
}

} // namespace

std::unique_ptr<Module> dlc::dsl::parseModule(llvm::StringRef buffer,
                                              llvm::StringRef filename,
                                              ErrorSink onError) {
  return Parser(buffer, onError).parseFile(filename);
}
