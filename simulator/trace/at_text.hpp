#pragma once
// Small text helpers over AT lines shared by the log import and the report
// (both read command lines out of captures and traces).

#include <string>
#include <string_view>
#include <vector>

namespace nt35e::trace {

/// Without leading blanks (space, tab) and trailing blanks, CR and LF.
std::string_view trim_line(std::string_view s);
/// Upper case (ASCII).
std::string upper_ascii(std::string_view s);
/// Case-insensitive prefix test (ASCII).
bool starts_with_ci(std::string_view s, std::string_view prefix);
/// The command of an AT line without "AT", upper case, up to '=', '?' or ';'
/// ("at+ecmtconn=0" -> "+ECMTCONN"); empty when the line does not start with AT.
std::string at_command_name(std::string_view line);
/// The fields of a "+NAME: a,b,c" answer or URC: what follows the first ':', split at
/// every comma, each trimmed; empty when there is no ':'.
std::vector<std::string> response_fields(std::string_view line);
/// The parameters of a write command, split at commas outside quotes (quotes kept, trimmed).
std::vector<std::string> at_command_params(std::string_view line);

}  // namespace nt35e::trace
