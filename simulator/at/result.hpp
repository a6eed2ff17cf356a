#pragma once
// What a command produces: information lines and one final result, plus the
// reason record the explain channel needs for every result other than OK (§2.8).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nt35e::at {

/// CME error numbers of spec §2.7.
enum class cme : int {
  operation_not_allowed = 3,
  operation_not_supported = 4,
  sim_not_inserted = 10,
  sim_pin_required = 11,
  sim_puk_required = 12,
  sim_failure = 13,
  sim_busy = 14,
  no_network_service = 30,
  incorrect_parameters = 50,
  unknown = 100,
};

/// The text of a CME number under AT+CMEE=2 (spec §2.7); "unknown" for a number it does not list.
constexpr std::string_view cme_text(int code) {
  switch (code) {
    case 3:
      return "operation not allowed";
    case 4:
      return "operation not supported";
    case 10:
      return "SIM not inserted";
    case 11:
      return "SIM PIN required";
    case 12:
      return "SIM PUK required";
    case 13:
      return "SIM failure";
    case 14:
      return "SIM busy";
    case 30:
      return "no nw service";
    case 50:
      return "Incorrect parameters";
    case 100:
      return "unknown error";
    case 127:
      return "missing or unknown apn";
    default:
      return "unknown";
  }
}
/// The text of a CMS number under AT+CMEE=2 (spec §2.7); "unknown" for a number it does not list.
constexpr std::string_view cms_text(int code) { return code == 303 ? "operation not supported" : "unknown"; }

/// Why a command failed: `ERROR` (syntax, never affected by CMEE), `+CME ERROR`, `+CMS ERROR`,
/// or `+SOCKET ERROR: <text>` (AT+ECPING, §2.7: the same under every AT+CMEE).
struct failure {
  bool is_cme = false;
  int code = 0;          ///< CME number when is_cme (CMS number when also is_cms)
  std::string reason;    ///< e.g. "param.range"
  std::string sentence;  ///< for a person: names the parameter and the cause
  bool is_cms = false;   ///< rendered as +CMS ERROR (SMS commands, §2.7)
  std::string socket;    ///< non-empty: +SOCKET ERROR with this text ("PARAMETER ERROR")
};

/// A syntax failure: the module answers ERROR.
failure syntax_error(std::string reason, std::string sentence);
/// A handler failure: +CME ERROR: <code> (rendered per AT+CMEE).
failure cme_error(int code, std::string reason, std::string sentence);
/// An SMS command's failure: +CMS ERROR: <code> (rendered per AT+CMEE like CME).
failure cms_error(int code, std::string reason, std::string sentence);
/// An AT+ECPING failure: +SOCKET ERROR: <text>, whatever AT+CMEE says.
failure socket_error(std::string text, std::string reason, std::string sentence);
/// The most common one: CME 3 for ranges, lengths, state.
failure not_allowed(std::string reason, std::string sentence);

/// One piece of information text (§2.3, §2.5): usually one line, but a piece may hold
/// several lines joined by "\r\n", and the compact filter then changes only its first
/// colon (later lines keep their space). Fixed pieces ignore the response style.
struct info_line {
  std::string text;
  bool fixed = false;
  /// A continuation piece (AT+CNUM): "\r\n" + text with no CRLF after it, so the final
  /// result's own framing follows without an empty line (§2.3).
  bool continuation = false;
};

enum class final_kind {
  ok,      ///< OK
  failed,  ///< ERROR or +CME ERROR, see failure
  none,    ///< nothing (ATQ1 itself, reboot silence)
  prompt,  ///< the data-mode prompt "\r\n> " is written instead
};

/// A handler's answer.
struct response {
  std::vector<info_line> lines;
  final_kind final = final_kind::ok;
  failure error;
  int delay_ms = -1;  ///< time to the final result; -1 = the profile's default for the family
  std::string note;   ///< explain note for silent behaviours (§2.8), logged when non-empty
  /// With final_kind::prompt: called with the data-mode bytes when ^Z (cancelled=false)
  /// or ESC (cancelled=true) ends input; returns the final result.
  std::function<response(std::string_view data, bool cancelled)> on_data;

  static response ok() { return {}; }
  static response fail(failure f) {
    response r;
    r.final = final_kind::failed;
    r.error = std::move(f);
    return r;
  }
  response& line(std::string text, bool fixed = false) {
    lines.push_back({std::move(text), fixed});
    return *this;
  }
  /// A continuation piece (§2.3): framed "\r\n" + text, without a trailing CRLF.
  response& continuation(std::string text) {
    lines.push_back({std::move(text), false, true});
    return *this;
  }
  response& after(int ms) {
    delay_ms = ms;
    return *this;
  }
};

}  // namespace nt35e::at
