#pragma once
// Declared write-form parameters (spec §2.6). A command's write form lists its
// parameters in the command table; the table checks count, syntax and plain values
// before the handler runs, so a handler keeps only behaviour and the checks that
// depend on other parameters or on state.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "at/arguments.hpp"
#include "at/command_line.hpp"
#include "at/result.hpp"
#include "modem/profile.hpp"

namespace nt35e::modem {
class modem;
}

namespace nt35e::commands {

/// A limit that is fixed or read from the profile (ECMT ids, host and topic lengths).
struct bound {
  constexpr bound(int v) : value(v) {}                   // NOLINT(google-explicit-constructor): bound 5 reads as 5
  constexpr bound(int modem::profile::*f) : field(f) {}  // NOLINT(google-explicit-constructor)
  /// The limit under profile p.
  std::int64_t of(const modem::profile& p) const { return field ? p.*field : value; }

  std::int64_t value = 0;                ///< the fixed limit
  int modem::profile::*field = nullptr;  ///< or the profile field that holds it
};

/// How a bad value is answered: +CME ERROR: <cme> (0: plain ERROR), with another
/// number on the one profile whose module answers differently, if any.
struct value_error {
  int cme = 3;
  std::string_view profile = {};  ///< e.g. "ec616s"; empty: every profile answers `cme`
  int profile_cme = 3;            ///< the number under that profile
  /// Non-empty: a bad value is `+SOCKET ERROR: <socket>` instead (AT+ECPING, §2.7).
  std::string_view socket = {};
  /// The number to answer under the profile named `name`.
  constexpr int for_profile(std::string_view name) const {
    return !profile.empty() && name == profile ? profile_cme : cme;
  }
};

/// The V.250 / 27.007 commands' answer to a value out of range or badly formed: CME 50
/// (§2.6 rules 3 and 7, §2.7); the exceptions (AT+CMEE, AT+CGDCONT's cid, AT+CCLK) say so.
inline constexpr value_error basic_value_error{50};
/// The ECMT family's answer to a bad value: CME 3 (§2.6 rule 8).
inline constexpr value_error ecmt_value_error{3};
/// AT+ECPING's answer to a bad value: +SOCKET ERROR: PARAMETER ERROR, whatever AT+CMEE says (§4.3).
inline constexpr value_error socket_value_error{3, {}, 3, "PARAMETER ERROR"};

/// One parameter of a write form: start with number(), text(), any() or tail(), then
/// add modifiers. Checks run in parameter order on the parameters given.
struct param_spec {
  /// The value check a parameter declares.
  enum class check {
    none,     ///< any value of its type
    range,    ///< min..max
    numbers,  ///< one of `numbers`
    words,    ///< one of `words`, case-sensitive
    length,   ///< at most `max` characters; "" only with empty_ok
  };

  std::string_view name = {};                    ///< as the spec names it: "tcpconnectID", "qos"
  at::type type = at::type::number;              ///< syntax: number, string, any, raw rest of the line
  bool required = true;                          ///< absent → ERROR syntax.missing_param
  check what = check::none;                      ///< the value check
  bound min = 0;                                 ///< range: lowest value
  bound max = 0;                                 ///< range: highest value; length: most characters
  std::span<const std::int64_t> numbers = {};    ///< numbers: the allowed values
  std::span<const std::string_view> words = {};  ///< words: the allowed strings
  bool empty_ok = false;                         ///< length: a present "" passes
  std::string_view says = {};                    ///< sentence template replacing the default (at::value_rule)
  std::optional<value_error> error = {};         ///< this parameter's answer, instead of the form's
  bool by_handler = false;                       ///< skipped by the table; the handler calls args::check(i)

  /// May be absent.
  constexpr param_spec optional() const {
    param_spec p = *this;
    p.required = false;
    return p;
  }
  /// Accepts lo..hi (either may come from the profile).
  constexpr param_spec range(bound lo, bound hi) const {
    param_spec p = *this;
    p.what = check::range;
    p.min = lo;
    p.max = hi;
    return p;
  }
  /// Accepts only these numbers.
  constexpr param_spec one_of(std::span<const std::int64_t> allowed) const {
    param_spec p = *this;
    p.what = check::numbers;
    p.numbers = allowed;
    return p;
  }
  /// Accepts only these strings.
  constexpr param_spec one_of(std::span<const std::string_view> allowed) const {
    param_spec p = *this;
    p.what = check::words;
    p.words = allowed;
    return p;
  }
  /// Accepts 1..n characters (a present "" is param.empty).
  constexpr param_spec max_length(bound n) const {
    param_spec p = *this;
    p.what = check::length;
    p.max = n;
    return p;
  }
  /// With max_length: "" is accepted too.
  constexpr param_spec allow_empty() const {
    param_spec p = *this;
    p.empty_ok = true;
    return p;
  }
  /// Explains a bad value with this sentence ({param} {name} {value} {min} {max} {allowed} {length}).
  constexpr param_spec saying(std::string_view sentence) const {
    param_spec p = *this;
    p.says = sentence;
    return p;
  }
  /// Answers a bad value with `e` instead of the form's error.
  constexpr param_spec failing_with(value_error e) const {
    param_spec p = *this;
    p.error = e;
    return p;
  }
  /// Leaves the value check to the handler, which runs it after a cross-parameter check.
  constexpr param_spec checked_by_handler() const {
    param_spec p = *this;
    p.by_handler = true;
    return p;
  }
};

/// An unquoted decimal number.
constexpr param_spec number(std::string_view name) { return param_spec{.name = name, .type = at::type::number}; }
/// A string, quoted or not.
constexpr param_spec text(std::string_view name) { return param_spec{.name = name, .type = at::type::string}; }
/// A number or a string, unchecked.
constexpr param_spec any(std::string_view name) { return param_spec{.name = name, .type = at::type::any}; }
/// The raw rest of the line; only as the last parameter (the row sets raw_tail).
constexpr param_spec tail(std::string_view name) { return param_spec{.name = name, .type = at::type::raw}; }

/// A write form's parameters after parsing, with their declarations: typed access by position.
class args {
 public:
  /// Binds parsed `values` to `params`, checked under profile `prof`, bad values answered per `error`.
  args(at::arguments values, std::span<const param_spec> params, const modem::profile& prof,
       value_error error = ecmt_value_error);

  /// Count and syntax (ERROR): at most params.size() given, the required ones present, numbers as digits.
  std::optional<at::failure> check_syntax() const;
  /// The declared value checks of the parameters given, in order, except those left to the handler.
  std::optional<at::failure> check_values() const;
  /// The declared value check of parameter i when given (for checked_by_handler parameters).
  std::optional<at::failure> check(std::size_t i) const;

  /// Parameter i was given (not omitted).
  bool has(std::size_t i) const { return values_.present(i); }
  /// A number parameter; over 10 digits saturates.
  std::int64_t number(std::size_t i) const { return values_.number(i); }
  /// A number parameter the declaration bounds to int's range.
  int integer(std::size_t i) const { return static_cast<int>(values_.number(i)); }
  /// Parameter i was given in quotes.
  bool quoted(std::size_t i) const { return values_.quoted(i); }
  /// A string (or raw) parameter's text, without its quotes.
  const std::string& text(std::size_t i) const { return values_.text(i); }
  /// How many parameters were written, omitted ones included.
  std::size_t size() const { return values_.size(); }

 private:
  at::arguments values_;
  std::span<const param_spec> params_;
  const modem::profile* profile_;
  value_error error_;
};

/// Parses `cmd`'s write arguments against `params` (a raw last parameter takes the rest
/// of the line) and checks count and syntax; the failure alternative is the ERROR to send.
std::variant<args, at::failure> parse_args(const at::command& cmd, const modem::profile& prof,
                                           std::span<const param_spec> params, value_error error = ecmt_value_error);

/// A write handler that receives checked parameters.
using checked_handler = at::response (*)(modem::modem&, const args&);

/// A declared write form: its parameters, the handler that runs once they pass, and
/// the answer to a bad value for parameters that declare none.
struct write_form {
  std::span<const param_spec> params;
  checked_handler run = nullptr;
  value_error error = ecmt_value_error;
};

/// Parses and checks `cmd` against `form` (syntax, then values), then runs its handler.
at::response run_form(const write_form& form, modem::modem& m, const at::command& cmd);

/// The command table's write slot for a declared form.
template <const write_form& form>
at::response declared(modem::modem& m, const at::command& cmd) {
  return run_form(form, m, cmd);
}

}  // namespace nt35e::commands
