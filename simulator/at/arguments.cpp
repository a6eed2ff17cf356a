#include "at/arguments.hpp"

#include "at/command_line.hpp"

namespace nt35e::at {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string nth(std::size_t i) { return "parameter " + std::to_string(i + 1); }

// What a value sentence may name; filled only when a check fails.
struct sentence_fields {
  std::size_t index = 0;
  std::string_view name = {};
  std::string_view value = {};
  std::string min = {}, max = {}, allowed = {}, length = {};
};

// Expands {param}, {name}, {value}, {min}, {max}, {allowed}, {length} in the declared
// sentence, or in the default one when none was declared; unknown braces stay as written.
std::string fill(std::string_view says, std::string_view fallback, const sentence_fields& f) {
  std::string_view in = says.empty() ? fallback : says;
  std::string out;
  for (std::size_t p = 0; p < in.size();) {
    auto open = in.find('{', p);
    auto close = open == std::string_view::npos ? open : in.find('}', open);
    if (close == std::string_view::npos) {
      out += in.substr(p);
      break;
    }
    out += in.substr(p, open - p);
    auto key = in.substr(open + 1, close - open - 1);
    if (key == "param")
      out += nth(f.index);
    else if (key == "name")
      out += f.name;
    else if (key == "value")
      out += f.value;
    else if (key == "min")
      out += f.min;
    else if (key == "max")
      out += f.max;
    else if (key == "allowed")
      out += f.allowed;
    else if (key == "length")
      out += f.length;
    else
      out += in.substr(open, close - open + 1);
    p = close + 1;
  }
  return out;
}

// A value problem is +CME ERROR unless the declaration asks for plain ERROR.
failure value_failure(const value_rule& rule, std::string reason, std::string sentence) {
  if (rule.cme == 0) return syntax_error(std::move(reason), std::move(sentence));
  return cme_error(rule.cme, std::move(reason), std::move(sentence));
}

}  // namespace

std::variant<arguments, failure> arguments::parse(std::string_view text, std::size_t offset,
                                                  std::optional<std::size_t> raw_after) {
  arguments out;
  std::size_t p = 0;
  while (true) {
    param prm;
    // Spaces after '=' or a separating comma are skipped (the seed's "0, \"host\"").
    while (p < text.size() && text[p] == ' ') ++p;
    prm.offset = offset + p;
    if (raw_after && out.params_.size() == *raw_after) {
      if (p < text.size()) {
        prm.what = param::kind::raw;
        prm.text = std::string(text.substr(p));
      }
      out.params_.push_back(std::move(prm));
      break;
    }
    if (p < text.size() && text[p] == '"') {
      auto close = text.find('"', p + 1);
      if (close == std::string_view::npos)
        return syntax_error("syntax.unterminated_string", nth(out.params_.size()) + " opens a quote at byte " +
                                                              std::to_string(offset + p) + " that is never closed");
      // The spec keeps every byte between the quotes (§2.6 rule 4) but says nothing of NUL.
      // The firmware handles the line as a C string, where a NUL ends it: the quote is
      // then never closed, so the module answers ERROR. Taking the NUL as content instead
      // would let a host name end early ("127.0.0.1\0.evil" reaching 127.0.0.1).
      if (auto nul = text.find('\0', p + 1); nul < close)
        return syntax_error("syntax.unterminated_string",
                            nth(out.params_.size()) + " contains byte 0x00 (NUL) at byte " +
                                std::to_string(offset + nul) +
                                "; the module reads a line as a C string, so the NUL ends it and the quote opened at "
                                "byte " +
                                std::to_string(offset + p) + " is never closed");
      prm.what = param::kind::quoted;
      prm.text = std::string(text.substr(p + 1, close - p - 1));
      p = close + 1;
      if (p < text.size() && text[p] != ',') {
        if (static_cast<unsigned char>(text[p]) >= 0x80) {
          std::string reason;
          auto what = describe_non_ascii(text, p, &reason);
          return syntax_error(reason, nth(out.params_.size()) + " is followed by " + what + " at byte " +
                                          std::to_string(offset + p) +
                                          "; only an ASCII comma may follow a closing quote");
        }
        return syntax_error("syntax.text_after_quote",
                            nth(out.params_.size()) + ": only ',' may follow the closing quote, found '" +
                                std::string(1, text[p]) + "' at byte " + std::to_string(offset + p));
      }
    } else {
      std::size_t start = p;
      while (p < text.size() && text[p] != ',') {
        auto c = static_cast<unsigned char>(text[p]);
        if (c >= 0x80) {
          std::string reason;
          auto what = describe_non_ascii(text, p, &reason);
          std::string where = p == start ? " begins with " : " contains ";
          std::string advice = reason == "syntax.typographic_quote"
                                   ? "; only ASCII 0x22 delimits a string and non-ASCII is not allowed outside "
                                     "quotes, so the module answers ERROR; use straight quotes \""
                               : reason == "syntax.fullwidth_punct"
                                   ? "; full-width punctuation is not a separator and non-ASCII is not allowed "
                                     "outside quotes, so the module answers ERROR; use ASCII , and \""
                                   : "; non-ASCII is not allowed outside quotes, so the module answers ERROR";
          return syntax_error(
              reason, nth(out.params_.size()) + where + what + " at byte " + std::to_string(offset + p) + advice);
        }
        if (c < 0x20 || c == 0x7f)
          return syntax_error("syntax.non_ascii", nth(out.params_.size()) + " contains control byte " +
                                                      std::to_string(c) + " at byte " + std::to_string(offset + p));
        if (c == '"')
          return syntax_error(
              "syntax.bad_form",
              nth(out.params_.size()) + " has a quote inside an unquoted value at byte " + std::to_string(offset + p));
        ++p;
      }
      if (p > start) {
        prm.what = param::kind::unquoted;
        prm.text = std::string(text.substr(start, p - start));
      }
    }
    out.params_.push_back(std::move(prm));
    if (p >= text.size()) break;
    ++p;  // the comma
  }
  return out;
}

std::optional<failure> arguments::expect_at_most(std::size_t max) const {
  // A trailing omitted parameter beyond the declared ones is still "too many".
  if (params_.size() <= max) return std::nullopt;
  return syntax_error("syntax.too_many_params", "at most " + std::to_string(max) + " parameters are accepted, " +
                                                    std::to_string(params_.size()) + " were given");
}

failure arguments::missing(std::size_t i) {
  return syntax_error("syntax.missing_param", nth(i) + " is mandatory and was not given");
}

std::optional<failure> arguments::expect_number(std::size_t i) const {
  const auto& prm = params_.at(i);
  if (prm.what == param::kind::quoted)
    return syntax_error("syntax.quoted_number",
                        nth(i) + " is a number and must not be quoted (byte " + std::to_string(prm.offset) + ")");
  bool digits = !prm.text.empty();
  for (char c : prm.text) digits = digits && is_digit(c);
  if (!digits)
    return syntax_error("syntax.not_a_number", nth(i) + " must be decimal digits, got \"" + prm.text + "\" at byte " +
                                                   std::to_string(prm.offset));
  return std::nullopt;
}

std::int64_t arguments::number(std::size_t i) const {
  const auto& t = params_.at(i).text;
  std::size_t first = t.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  if (t.size() - first > 10) return INT64_MAX;  // more than 10 digits: always out of range
  std::int64_t v = 0;
  for (std::size_t k = first; k < t.size(); ++k) v = v * 10 + (t[k] - '0');
  return v;
}

std::optional<failure> arguments::in_range(std::size_t i, std::int64_t min, std::int64_t max, std::string_view name,
                                           value_rule rule) const {
  auto v = number(i);
  if (v >= min && v <= max) return std::nullopt;
  sentence_fields f{i, name, text(i)};
  f.min = std::to_string(min);
  f.max = std::to_string(max);
  f.allowed = "(" + f.min + (min == max ? "" : "-" + f.max) + ")";
  return value_failure(rule, "param.range", fill(rule.says, "{param} ({name}) is {value}, outside {min}-{max}", f));
}

std::optional<failure> arguments::one_of(std::size_t i, std::span<const std::int64_t> allowed, std::string_view name,
                                         value_rule rule) const {
  auto v = number(i);
  for (auto a : allowed)
    if (v == a) return std::nullopt;
  sentence_fields f{i, name, text(i)};
  for (auto a : allowed) {
    if (!f.allowed.empty()) f.allowed += ", ";
    f.allowed += std::to_string(a);
  }
  return value_failure(rule, "param.range", fill(rule.says, "{param} ({name}) is {value}; allowed: {allowed}", f));
}

std::optional<failure> arguments::one_of(std::size_t i, std::span<const std::string_view> allowed,
                                         std::string_view name, value_rule rule) const {
  const auto& v = text(i);
  for (auto a : allowed)
    if (v == a) return std::nullopt;
  sentence_fields f{i, name, v};
  for (auto a : allowed) {
    if (!f.allowed.empty()) f.allowed += ", ";
    f.allowed += a;
  }
  return value_failure(rule, "param.range", fill(rule.says, "{param} ({name}) is \"{value}\"; allowed: {allowed}", f));
}

std::optional<failure> arguments::length(std::size_t i, std::size_t max, std::string_view name, value_rule rule,
                                         bool empty_ok) const {
  const auto& t = text(i);
  sentence_fields f{i, name, t};
  if (t.empty() && !empty_ok)
    return value_failure(rule, "param.empty", fill({}, "{param} ({name}) is present but empty", f));
  if (t.size() <= max) return std::nullopt;
  f.max = std::to_string(max);
  f.length = std::to_string(t.size());
  return value_failure(rule, "param.too_long",
                       fill(rule.says, "{param} ({name}) has {length} characters, at most {max} are allowed", f));
}

}  // namespace nt35e::at
