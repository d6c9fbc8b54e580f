//===- Json.cpp - A small strict JSON reader and writer -------------------===//

#include "Json.h"

#include <cmath>
#include <cstdlib>

namespace dlc::rt::json {

const Value *Value::find(const std::string &key) const {
  for (const auto &[name, value] : object)
    if (name == key)
      return &value;
  return nullptr;
}

namespace {

class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  Expected<Value> parseDocument() {
    Value value;
    if (Status s = parseValue(value, 0); !s)
      return s;
    skipSpace();
    if (pos != text.size())
      return fail("trailing characters");
    return value;
  }

private:
  Status fail(const std::string &what) {
    return Status::error(format("JSON error at byte %zu: %s", pos,
                                what.c_str()));
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool literal(const char *word) {
    size_t n = std::char_traits<char>::length(word);
    if (text.compare(pos, n, word) != 0)
      return false;
    pos += n;
    return true;
  }

  Status parseValue(Value &out, int depth) {
    if (depth > 64)
      return fail("nested too deeply");
    skipSpace();
    if (pos >= text.size())
      return fail("unexpected end");
    char c = text[pos];
    if (c == '{')
      return parseObject(out, depth);
    if (c == '[')
      return parseArray(out, depth);
    if (c == '"') {
      out.kind = Value::Kind::String;
      return parseString(out.string);
    }
    if (literal("true")) {
      out.kind = Value::Kind::Bool;
      out.boolean = true;
      return Status::ok();
    }
    if (literal("false")) {
      out.kind = Value::Kind::Bool;
      return Status::ok();
    }
    if (literal("null"))
      return Status::ok();
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(out);
    return fail(std::string("unexpected character '") + c + "'");
  }

  Status parseObject(Value &out, int depth) {
    out.kind = Value::Kind::Object;
    ++pos;
    skipSpace();
    if (pos < text.size() && text[pos] == '}') {
      ++pos;
      return Status::ok();
    }
    while (true) {
      skipSpace();
      std::string key;
      if (pos >= text.size() || text[pos] != '"')
        return fail("expected a key");
      if (Status s = parseString(key); !s)
        return s;
      skipSpace();
      if (pos >= text.size() || text[pos++] != ':')
        return fail("expected ':'");
      Value value;
      if (Status s = parseValue(value, depth + 1); !s)
        return s;
      out.object.emplace_back(std::move(key), std::move(value));
      skipSpace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        return Status::ok();
      }
      return fail("expected ',' or '}'");
    }
  }

  Status parseArray(Value &out, int depth) {
    out.kind = Value::Kind::Array;
    ++pos;
    skipSpace();
    if (pos < text.size() && text[pos] == ']') {
      ++pos;
      return Status::ok();
    }
    while (true) {
      Value value;
      if (Status s = parseValue(value, depth + 1); !s)
        return s;
      out.array.push_back(std::move(value));
      skipSpace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == ']') {
        ++pos;
        return Status::ok();
      }
      return fail("expected ',' or ']'");
    }
  }

  Status parseString(std::string &out) {
    ++pos; // the opening quote
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == '"')
        return Status::ok();
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= text.size())
        break;
      char e = text[pos++];
      switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (pos + 4 > text.size())
          return fail("truncated \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
          char h = text[pos++];
          code <<= 4;
          if (h >= '0' && h <= '9') code |= h - '0';
          else if (h >= 'a' && h <= 'f') code |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F') code |= h - 'A' + 10;
          else return fail("bad \\u escape");
        }
        // UTF-8 of the code unit (surrogate pairs are kept as two units).
        if (code < 0x80) {
          out += char(code);
        } else if (code < 0x800) {
          out += char(0xc0 | code >> 6);
          out += char(0x80 | (code & 0x3f));
        } else {
          out += char(0xe0 | code >> 12);
          out += char(0x80 | ((code >> 6) & 0x3f));
          out += char(0x80 | (code & 0x3f));
        }
        break;
      }
      default:
        return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }

  Status parseNumber(Value &out) {
    size_t start = pos;
    if (text[pos] == '-')
      ++pos;
    bool integral = true;
    auto digits = [&] {
      size_t first = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      return pos > first;
    };
    if (!digits())
      return fail("bad number");
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      integral = false;
      if (!digits())
        return fail("bad number");
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      ++pos;
      integral = false;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      if (!digits())
        return fail("bad number");
    }
    std::string number = text.substr(start, pos - start);
    out.kind = Value::Kind::Number;
    out.number = std::strtod(number.c_str(), nullptr);
    if (integral && number.size() <= 18) {
      out.integral = true;
      out.integer = std::strtoll(number.c_str(), nullptr, 10);
    }
    return Status::ok();
  }

  const std::string &text;
  size_t pos = 0;
};

} // namespace

Expected<Value> parse(const std::string &text) {
  return Parser(text).parseDocument();
}

std::string quote(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20)
        out += format("\\u%04x", c);
      else
        out += c;
    }
  }
  return out + "\"";
}

} // namespace dlc::rt::json
