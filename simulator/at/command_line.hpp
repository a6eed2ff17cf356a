#pragma once
// V.250 command-line syntax (spec §2.1 rule 2 and 6, §2.6): a line becomes a
// sequence of commands, each with a name, a form and its raw argument text.

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "at/result.hpp"

namespace nt35e::at {

enum class form {
  execute,
  test,
  read,
  write
};
const char* to_string(form f);

struct command {
  std::string name;  ///< upper case: "E", "&F", "S3", "+CSQ"
  form what = form::execute;
  std::string args;             ///< text after '=' (write) or the digits of a basic command
  std::size_t args_offset = 0;  ///< byte offset of args within the line, for explanations
  bool basic = false;
};

/// Where the "AT" prefix starts in a raw line, if anywhere (any case).
std::optional<std::size_t> find_at_prefix(std::string_view line);

/// Commands whose write arguments run to the end of the line (AT+ECMTPUB's raw payload).
using raw_tail_predicate = std::function<bool(std::string_view upper_name)>;

/// Splits the text after "AT" (starting at `offset` in the line) into commands.
/// A malformed line gives a syntax failure: the module answers ERROR.
std::variant<std::vector<command>, failure> parse_command_line(std::string_view line, std::size_t offset,
                                                               const raw_tail_predicate& raw_tail);

/// Names the character at `p` for an explanation: "U+201D RIGHT DOUBLE QUOTATION MARK (E2 80 9D)".
/// Sets reason to syntax.typographic_quote, syntax.fullwidth_punct or syntax.non_ascii.
std::string describe_non_ascii(std::string_view text, std::size_t p, std::string* reason = nullptr);

}  // namespace nt35e::at

namespace nt35e::at {

/// The text (lines of the AT dialogue, either direction, or a log text) with every
/// secret the module is given or shows replaced by '*', one per byte, so that a reader
/// still sees that a secret was there and its length (and a masked chunk of a stream
/// stays the same size): the password of AT+ECMTCONN (§5.4, 4th parameter), the
/// deviceSecret of AT+ECMTCFG="aliauth" (§5.1, 5th) and of its query answer
/// +ECMTCFG:"aliauth",<deviceName>,<deviceSecret>,<productKey>, and the key of the
/// ec616s forms AT+ECMTCFG="ssl","psk"|"ecc",<key>. Quotes and other bytes unchanged.
/// For logs, traces, reports and explanations; the bytes sent to the DTE stay exact.
std::string mask_secrets(std::string_view line);

/// Where parameter `index` (0-based) of the command whose arguments start at `from`
/// begins and ends (quotes included), honouring quotes; stops at ';' and line ends.
struct param_span {
  std::size_t begin, end;
};
std::optional<param_span> find_param(std::string_view s, std::size_t from, int index);

/// '*' over the content of parameter `index` (quotes kept) of every `marker` command
/// (found ignoring case; the arguments start right after it) whose first parameters are
/// `leading` (compared without their quotes and blanks).
void mask_param(std::string& s, std::string_view marker, int index,
                std::initializer_list<std::string_view> leading = {});

}  // namespace nt35e::at
