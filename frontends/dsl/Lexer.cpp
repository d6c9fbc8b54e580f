//===- Lexer.cpp - Tokens of the model DSL --------------------------------===//

#include "frontends/dsl/Lexer.h"

#include <cctype>
#include <cstdlib>

using namespace dlc::dsl;

void Lexer::advance() {
  if (peek() == '\n') {
    ++pos.line;
    pos.col = 1;
  } else {
    ++pos.col;
  }
  ++offset;
}

void Lexer::skipSpaceAndComments() {
  for (;;) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance();
    } else if (c == '#') {
      while (peek() != '\n' && peek() != '\0')
        advance();
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  Token token;
  token.pos = pos;
  size_t start = offset;
  auto finish = [&](Tok kind) {
    token.kind = kind;
    token.text = buffer.slice(start, offset);
    return token;
  };
  char c = peek();
  if (c == '\0')
    return finish(Tok::Eof);

  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_')
      advance();
    return finish(Tok::Ident);
  }

  if (std::isdigit(static_cast<unsigned char>(c)) ||
      (c == '.' && std::isdigit(static_cast<unsigned char>(peek(1))))) {
    bool integer = true;
    while (std::isdigit(static_cast<unsigned char>(peek())))
      advance();
    // "0..4" is a range, not the number "0." followed by ".4".
    if (peek() == '.' && peek(1) != '.') {
      integer = false;
      advance();
      while (std::isdigit(static_cast<unsigned char>(peek())))
        advance();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (std::isdigit(static_cast<unsigned char>(peek(1))) ||
         ((peek(1) == '-' || peek(1) == '+') &&
          std::isdigit(static_cast<unsigned char>(peek(2)))))) {
      integer = false;
      advance();
      advance();
      while (std::isdigit(static_cast<unsigned char>(peek())))
        advance();
    }
    finish(Tok::Number);
    token.number = std::strtod(token.text.str().c_str(), nullptr);
    token.isInteger = integer;
    return token;
  }

  if (c == '"') {
    advance();
    while (peek() != '"' && peek() != '\n' && peek() != '\0')
      advance();
    if (peek() != '"')
      return finish(Tok::Error);
    advance();
    finish(Tok::String);
    token.text = token.text.drop_front().drop_back();
    return token;
  }

  advance();
  switch (c) {
  case '(': return finish(Tok::LParen);
  case ')': return finish(Tok::RParen);
  case '[': return finish(Tok::LBracket);
  case ']': return finish(Tok::RBracket);
  case '{': return finish(Tok::LBrace);
  case '}': return finish(Tok::RBrace);
  case ',': return finish(Tok::Comma);
  case ':': return finish(Tok::Colon);
  case ';': return finish(Tok::Semicolon);
  case '+': return finish(Tok::Plus);
  case '-': return finish(Tok::Minus);
  case '*': return finish(Tok::Star);
  case '/': return finish(Tok::Slash);
  case '@': return finish(Tok::At);
  case '.':
    if (peek() == '.') {
      advance();
      return finish(Tok::DotDot);
    }
    return finish(Tok::Dot);
  case '=':
    if (peek() == '=') {
      advance();
      return finish(Tok::EqEq);
    }
    return finish(Tok::Assign);
  case '<':
    if (peek() == '=') {
      advance();
      return finish(Tok::LessEq);
    }
    return finish(Tok::Less);
  case '>':
    if (peek() == '=') {
      advance();
      return finish(Tok::GreaterEq);
    }
    return finish(Tok::Greater);
  case '!':
    if (peek() == '=') {
      advance();
      return finish(Tok::NotEq);
    }
    return finish(Tok::Error);
  default:
    return finish(Tok::Error);
  }
}

const char *dlc::dsl::describe(Tok kind) {
  switch (kind) {
  case Tok::Eof: return "end of file";
  case Tok::Error: return "invalid character";
  case Tok::Ident: return "identifier";
  case Tok::Number: return "number";
  case Tok::String: return "string";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::Comma: return "','";
  case Tok::Colon: return "':'";
  case Tok::Semicolon: return "';'";
  case Tok::Dot: return "'.'";
  case Tok::DotDot: return "'..'";
  case Tok::Assign: return "'='";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::Slash: return "'/'";
  case Tok::At: return "'@'";
  case Tok::Less: return "'<'";
  case Tok::LessEq: return "'<='";
  case Tok::Greater: return "'>'";
  case Tok::GreaterEq: return "'>='";
  case Tok::EqEq: return "'=='";
  case Tok::NotEq: return "'!='";
  }
  return "token";
}
