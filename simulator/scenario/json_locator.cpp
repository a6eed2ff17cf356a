#include "scenario/json_locator.hpp"

#include <algorithm>
#include <unordered_set>

namespace nt35e::scenario {

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

namespace {

constexpr std::size_t npos = std::string_view::npos;
constexpr int max_depth = 256;  // deeper values are not located (a scenario nests ~6 deep)

bool has_bom(std::string_view t) { return t.size() >= 3 && t.substr(0, 3) == "\xEF\xBB\xBF"; }

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

/// A strict recursive scanner. With a stop offset it halts there and remembers the
/// pointer it was reading (pointer_at); without one it records every place.
class json_scanner {
 public:
  json_scanner(std::string_view text, std::size_t stop, json_locator* out) : t_(text), stop_(stop), out_(out) {}

  /// Scans the document. Returns true if it was read to the end without error.
  bool run() {
    p_ = has_bom(t_) ? 3 : 0;
    if (!value("", 0)) return false;
    ws();
    if (check_stop("")) return false;
    if (p_ != t_.size()) return fail("");
    return true;
  }

  std::string where;          ///< the pointer at the stop offset or at the syntax error
  std::size_t offset = npos;  ///< where the syntax error is
  bool stopped = false;

 private:
  std::string_view t_;
  std::size_t p_ = 0;
  std::size_t stop_;
  json_locator* out_;
  bool failed_ = false;

  bool fail(const std::string& ptr) {
    if (!failed_ && !stopped) {
      where = ptr;
      offset = p_;
    }
    failed_ = true;
    return false;
  }
  /// True (and scanning ends) once the read position has reached the stop offset.
  bool check_stop(const std::string& ptr) {
    if (stop_ != npos && p_ >= stop_) {
      stopped = true;
      where = ptr;
      return true;
    }
    return false;
  }
  /// After a token that began before the stop offset: did it run past it?
  bool overshot(const std::string& ptr) {
    if (stop_ != npos && p_ > stop_) {
      stopped = true;
      where = ptr;
      return true;
    }
    return false;
  }

  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }

  bool value(const std::string& ptr, int depth) {
    ws();
    if (check_stop(ptr)) return false;
    if (p_ >= t_.size()) return fail(ptr);
    if (depth > max_depth) {
      if (out_) out_->complete_ = false;
      return fail(ptr);
    }
    if (out_) out_->places_[ptr].value = p_;
    switch (t_[p_]) {
      case '{':
        return object(ptr, depth);
      case '[':
        return array(ptr, depth);
      case '"':
        if (!string(nullptr)) return overshot(ptr) ? false : fail(ptr);
        return !overshot(ptr);
      case 't':
        return literal("true", ptr);
      case 'f':
        return literal("false", ptr);
      case 'n':
        return literal("null", ptr);
      default:
        if (t_[p_] == '-' || (t_[p_] >= '0' && t_[p_] <= '9')) return number(ptr);
        return fail(ptr);
    }
  }

  bool object(const std::string& ptr, int depth) {
    ++p_;  // '{'
    ws();
    if (check_stop(ptr)) return false;
    if (p_ < t_.size() && t_[p_] == '}') {
      ++p_;
      return true;
    }
    std::unordered_set<std::string> seen;
    for (;;) {
      ws();
      if (check_stop(ptr)) return false;
      if (p_ >= t_.size() || t_[p_] != '"') return fail(ptr);
      const std::size_t key_at = p_;
      std::string key;
      if (!string(&key)) return overshot(ptr) ? false : fail(ptr);
      if (overshot(ptr)) return false;
      const std::string member = ptr + "/" + escape_pointer_token(key);
      if (out_) {
        auto& place = out_->places_[member];
        if (!seen.insert(key).second)
          out_->duplicates_.push_back({member, out_->position_of(place.key), out_->position_of(key_at)});
        place.key = key_at;
      } else {
        seen.insert(key);
      }
      ws();
      if (check_stop(member)) return false;
      if (p_ >= t_.size() || t_[p_] != ':') return fail(member);
      ++p_;
      if (!value(member, depth + 1)) return false;
      ws();
      if (check_stop(ptr)) return false;
      if (p_ < t_.size() && t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (p_ < t_.size() && t_[p_] == '}') {
        ++p_;
        return true;
      }
      return fail(ptr);
    }
  }

  bool array(const std::string& ptr, int depth) {
    ++p_;  // '['
    ws();
    if (check_stop(ptr + "/0")) return false;
    if (p_ < t_.size() && t_[p_] == ']') {
      ++p_;
      return true;
    }
    for (std::size_t index = 0;; ++index) {
      const std::string element = ptr + "/" + std::to_string(index);
      if (!value(element, depth + 1)) return false;
      ws();
      if (check_stop(ptr)) return false;
      if (p_ < t_.size() && t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (p_ < t_.size() && t_[p_] == ']') {
        ++p_;
        return true;
      }
      return fail(ptr);
    }
  }

  /// Reads a string token at p_ (on its opening quote); decodes it into *decoded if given.
  bool string(std::string* decoded) {
    ++p_;  // '"'
    while (p_ < t_.size()) {
      const char c = t_[p_];
      if (c == '"') {
        ++p_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (decoded) *decoded += c;
        ++p_;
        continue;
      }
      if (++p_ >= t_.size()) return false;
      const char e = t_[p_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          if (decoded) *decoded += e;
          break;
        case 'b':
          if (decoded) *decoded += '\b';
          break;
        case 'f':
          if (decoded) *decoded += '\f';
          break;
        case 'n':
          if (decoded) *decoded += '\n';
          break;
        case 'r':
          if (decoded) *decoded += '\r';
          break;
        case 't':
          if (decoded) *decoded += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low = 0;
            if (p_ + 1 >= t_.size() || t_[p_] != '\\' || t_[p_ + 1] != 'u') return false;
            p_ += 2;
            if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          if (decoded) append_utf8(*decoded, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool hex4(unsigned& out) {
    if (p_ + 4 > t_.size()) return false;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(t_[p_ + static_cast<std::size_t>(i)]);
      if (h < 0) return false;
      out = out * 16 + static_cast<unsigned>(h);
    }
    p_ += 4;
    return true;
  }

  bool digits() {
    const std::size_t start = p_;
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    return p_ > start;
  }

  bool number(const std::string& ptr) {
    if (t_[p_] == '-') ++p_;
    if (p_ < t_.size() && t_[p_] == '0') {
      ++p_;
    } else if (!digits()) {
      return overshot(ptr) ? false : fail(ptr);
    }
    if (p_ < t_.size() && t_[p_] == '.') {
      ++p_;
      if (!digits()) return overshot(ptr) ? false : fail(ptr);
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (!digits()) return overshot(ptr) ? false : fail(ptr);
    }
    return !overshot(ptr);
  }

  bool literal(std::string_view word, const std::string& ptr) {
    if (t_.substr(p_, word.size()) != word) return fail(ptr);
    p_ += word.size();
    return !overshot(ptr);
  }
};

namespace {
/// A UTF-8 continuation byte (10xxxxxx): not a column of its own.
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

json_locator::json_locator(std::string_view text) : text_(text) {
  line_starts_.push_back(has_bom(text_) ? 3 : 0);
  continuations_.reserve(text_.size() / block + 1);
  std::size_t seen = 0;
  for (std::size_t i = 0;; ++i) {
    if (i % block == 0) continuations_.push_back(seen);
    if (i == text_.size()) break;
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
    if (continuation(text_[i])) ++seen;
  }
  json_scanner scan(text_, npos, this);
  if (!scan.run()) {
    complete_ = false;
    error_offset_ = scan.offset;
  }
}

text_position json_locator::position_of(std::size_t offset) const {
  if (offset == npos) return {};
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());  // >= 1 unless offset < BOM
  if (line == 0) return {1, 1};
  const std::size_t start = line_starts_[line - 1];
  const std::size_t end = std::min(offset, text_.size());
  // Code points = bytes - continuation bytes, counted through the block index so that a
  // position costs the same on a one-line file of 10 MB as on a short line (counting from
  // the line's start made diagnostics quadratic: reliability finding 07).
  int column = 1 + static_cast<int>((end - start) - (continuations_before(end) - continuations_before(start)));
  if (offset > text_.size()) column += static_cast<int>(offset - text_.size());
  return {static_cast<int>(line), column};
}

std::size_t json_locator::continuations_before(std::size_t offset) const {
  std::size_t n = continuations_[offset / block];
  for (std::size_t i = offset / block * block; i < offset; ++i) n += continuation(text_[i]);
  return n;
}

std::size_t json_locator::value_offset(const std::string& pointer) const {
  const auto it = places_.find(pointer);
  return it == places_.end() ? npos : it->second.value;
}

std::size_t json_locator::key_offset(const std::string& pointer) const {
  const auto it = places_.find(pointer);
  if (it == places_.end()) return npos;
  return it->second.key != npos ? it->second.key : it->second.value;
}

text_position json_locator::value(const std::string& pointer) const { return position_of(value_offset(pointer)); }

text_position json_locator::key(const std::string& pointer) const { return position_of(key_offset(pointer)); }

text_position json_locator::nearest(const std::string& pointer, bool at_key) const {
  std::string p = pointer;
  auto pos = at_key ? key(p) : value(p);
  while (!pos.known() && !p.empty()) {
    p.erase(p.rfind('/'));
    pos = value(p);
  }
  return pos.known() ? pos : position_of(0);
}

std::string json_locator::pointer_at(std::size_t offset) const {
  json_scanner scan(text_, offset, nullptr);
  scan.run();
  return scan.where;
}

}  // namespace nt35e::scenario
