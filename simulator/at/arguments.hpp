#pragma once
// Parameter parsing (spec §2.6): the text after '=' becomes typed parameters.
// Syntax problems are `ERROR`; value problems are `+CME ERROR` (3 unless declared otherwise).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "at/result.hpp"

namespace nt35e::at {

struct param {
  enum class kind {
    omitted,
    quoted,
    unquoted,
    raw
  };
  kind what = kind::omitted;
  std::string text;        ///< content without quotes
  std::size_t offset = 0;  ///< byte offset in the line, for explanations
};

/// Parameter kinds a command form declares: number, string, either, or the raw rest of the line.
enum class type {
  number,
  string,
  any,
  raw  ///< everything after the previous comma, unparsed (AT+ECMTPUB's payload)
};

/// How a bad value is answered and explained.
struct value_rule {
  int cme = 3;  ///< the +CME ERROR number; 0 answers plain ERROR
  /// Replaces the default sentence; placeholders: {param} ("parameter 3"), {name}, {value},
  /// {min}, {max}, {allowed} ("(0-4)" or "0, 1, 4"), {length}.
  std::string_view says = {};
};

class arguments {
 public:
  /// Splits `text` (which starts at `offset` in the line). When raw_after is set,
  /// the rest of the line after that many parameters is one raw parameter (ECMTPUB payload).
  static std::variant<arguments, failure> parse(std::string_view text, std::size_t offset,
                                                std::optional<std::size_t> raw_after = std::nullopt);

  /// ERROR when more than `max` parameters were given (a trailing omitted one counts).
  std::optional<failure> expect_at_most(std::size_t max) const;
  /// The ERROR for mandatory parameter i not given.
  static failure missing(std::size_t i);
  /// Syntax of one number parameter: unquoted decimal digits, else ERROR.
  std::optional<failure> expect_number(std::size_t i) const;

  std::size_t size() const { return params_.size(); }
  bool present(std::size_t i) const { return i < params_.size() && params_[i].what != param::kind::omitted; }
  const param& at(std::size_t i) const { return params_.at(i); }

  /// A number already checked by expect_number(); values over 10 digits saturate so a range check fails.
  std::int64_t number(std::size_t i) const;
  /// A string parameter's text (quoted or not).
  const std::string& text(std::size_t i) const { return params_.at(i).text; }
  bool quoted(std::size_t i) const { return present(i) && params_[i].what == param::kind::quoted; }

  /// Range check (param.range): a sentence naming parameter i (1-based in the message).
  std::optional<failure> in_range(std::size_t i, std::int64_t min, std::int64_t max, std::string_view name,
                                  value_rule rule = {}) const;
  /// Set check for a number (param.range).
  std::optional<failure> one_of(std::size_t i, std::span<const std::int64_t> allowed, std::string_view name,
                                value_rule rule = {}) const;
  /// Set check for a string, case-sensitive (param.range).
  std::optional<failure> one_of(std::size_t i, std::span<const std::string_view> allowed, std::string_view name,
                                value_rule rule = {}) const;
  /// Length check for strings: empty ("" present, param.empty) unless empty_ok, over-long (param.too_long).
  /// A rule's sentence replaces the over-long one only.
  std::optional<failure> length(std::size_t i, std::size_t max, std::string_view name, value_rule rule = {},
                                bool empty_ok = false) const;

 private:
  std::vector<param> params_;
};

}  // namespace nt35e::at
