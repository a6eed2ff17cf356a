#pragma once
// Parameter parsing (spec §2.6): the text after '=' becomes typed parameters.
// Syntax problems are `ERROR`; value problems are the handler's `+CME ERROR: 3`.

#include <cstddef>
#include <cstdint>
#include <optional>
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

/// Parameter kinds a command form declares: number, string, or either.
enum class type {
  number,
  string,
  any
};

class arguments {
 public:
  /// Splits `text` (which starts at `offset` in the line). When raw_after is set,
  /// the rest of the line after that many parameters is one raw parameter (ECMTPUB payload).
  static std::variant<arguments, failure> parse(std::string_view text, std::size_t offset,
                                                std::optional<std::size_t> raw_after = std::nullopt);

  /// Checks count and syntax against the declared types: the first `required`
  /// must be present, at most types.size() may be given. Failures are ERROR.
  std::optional<failure> expect(std::initializer_list<type> types, std::size_t required) const;

  /// Syntax of one number parameter: unquoted decimal digits, else ERROR.
  std::optional<failure> expect_number(std::size_t i) const;

  std::size_t size() const { return params_.size(); }
  bool present(std::size_t i) const { return i < params_.size() && params_[i].what != param::kind::omitted; }
  const param& at(std::size_t i) const { return params_.at(i); }

  /// A number already checked by expect(); values over 10 digits saturate so a range check fails.
  std::int64_t number(std::size_t i) const;
  /// A string parameter's text (quoted or not).
  const std::string& text(std::size_t i) const { return params_.at(i).text; }
  bool quoted(std::size_t i) const { return present(i) && params_[i].what == param::kind::quoted; }

  /// Range check: CME 3 with a sentence naming parameter i (1-based in the message).
  std::optional<failure> in_range(std::size_t i, std::int64_t min, std::int64_t max, std::string_view name) const;
  /// Length check for strings: empty ("" present) and over-long are CME 3.
  std::optional<failure> length(std::size_t i, std::size_t max, std::string_view name) const;

 private:
  std::vector<param> params_;
};

}  // namespace nt35e::at
