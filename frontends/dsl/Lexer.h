//===- Lexer.h - Tokens of the model DSL ------------------------*- C++ -*-===//
//
// Splits a .dl file into tokens. Newlines are plain whitespace; `#` starts a
// comment that runs to the end of the line. Every token carries its line and
// column so that errors can point at it.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_DSL_LEXER_H
#define DLC_FRONTENDS_DSL_LEXER_H

#include "llvm/ADT/StringRef.h"
#include <string>

namespace dlc::dsl {

enum class Tok {
  Eof,
  Error,      // a character no token starts with
  Ident,      // fc1, relu, f32
  Number,     // 784, 1e-3, 0.5
  String,     // "tanh"
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Comma, Colon, Semicolon, Dot, DotDot,
  Assign,     // =
  Plus, Minus, Star, Slash, At,
  Less, LessEq, Greater, GreaterEq, EqEq, NotEq,
};

/// Position of a token: 1-based line and column.
struct SrcPos {
  unsigned line = 1, col = 1;
};

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text; ///< Points into the buffer (without quotes for strings).
  SrcPos pos;
  double number = 0;
  bool isInteger = false;
};

class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer) : buffer(buffer) {}
  Token next();

private:
  char peek(size_t ahead = 0) const {
    return offset + ahead < buffer.size() ? buffer[offset + ahead] : '\0';
  }
  void advance();
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  size_t offset = 0;
  SrcPos pos;
};

/// How a token kind reads in messages: "')'", "identifier".
const char *describe(Tok kind);

} // namespace dlc::dsl

#endif // DLC_FRONTENDS_DSL_LEXER_H
