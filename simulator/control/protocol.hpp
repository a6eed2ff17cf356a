#pragma once
// The control channel's protocol, JSON Lines: requests parsed and checked into typed
// requests, and the byte stream cut into request lines. Pure: no I/O, no modem; what a
// request does is control/dispatch, how answers look is control/answers.
//
// Every request is one JSON object on one line ("\n", an optional "\r" before it is
// ignored); every answer is one JSON object on one line with "ok": true/false and, on
// false, "error": one sentence. Requests on one connection are answered in order.
//
//   {"fire": {"action": "drop_link", "id": 0}}     -> {"ok":true,"fired":{"action":"drop_link","id":0}}
//   {"fire": "reboot"}                             -> the same as {"fire": {"action": "reboot"}}
//   {"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 1}}
//                                                  -> fire deliver; {"ok":true,"fired":{...}}
//   {"network": {"registration": "denied"}}        -> lose_registration stat 3
//   {"network": {"registration": "home"}}          -> regain_registration ("by": "500ms" optional)
//                                                     (also: "searching", "none"; +CEREG stats 0-3)
//   {"network": {"rssi": 10, "ber": 0}}            -> set_signal
//   {"network": {"sim": false}}                    -> remove_sim (true: insert_sim)
//                                                  -> {"ok":true,"fired":[{...}, ...]}
//   {"query": "state"}                             -> {"ok":true,"profile":"nt35e","uptime_s":...,
//                                                      "ecmt":[{"id":0,"state":"CONNECTED",...}],
//                                                      "counters":{...}}
//   {"query": "metrics"}                           -> {"ok":true,"modems":1,"counters":{...},
//                                                      "latency":{"at_command":{"count":..,"p50_ms":..},...}}
//   {"query": "verdict"}                           -> {"ok":true,"verdict":"nt35e-oracle","version":1,
//                                                      "mode":..,"passed":..,"errors":..,"warnings":..,
//                                                      "modems":[{"name":..,"findings":[..],"rules":[..]}]}
//                                                     (the oracle's verdict so far, as --verdict-json
//                                                     writes it; docs/oracle.md)
//   {"query": "help"}                              -> {"ok":true,"requests":[...],"actions":[...]}
//   {"auth": "TOKEN"}                              -> {"ok":true,"auth":"accepted"} (or "not required")
//
// A guarded channel (--control-token-file FILE; required off loopback, io/access_guard):
// a client's first line must be {"auth": "TOKEN"} with the token in FILE. Until then any
// other line, and a wrong token, is answered {"ok":false,"error":...} and the connection
// is closed; the refusal is logged once, never with the token or the line. Lines before
// a successful auth are never logged verbatim (they may hold a token).
//
// Fleet mode (--fleet N): every request above may name a modem, {"modem": 3, "fire": ...},
// {"modem": 3, "query": "state"}; without "modem" it goes to modem 0, except
// {"query": "metrics"}, which then answers the fleet's totals, and {"query": "verdict"},
// which then answers every modem's verdict (one entry per modem). Fleet-wide events:
//   {"fleet": {"fire": {"action": "drop_link"}, "fraction": 0.3, "seed": 7}}
//                                                  -> a random (seeded) 30 % of the modems
//   {"fleet": {"fire": "reboot", "stagger": "5s"}} -> every modem, spread evenly over 5 s
//   {"fleet": {"fire": {...}, "modems": [0, 5, 7]}} -> those modems
//   {"fleet": {"fire": {...}, "modems": [0, 5], "after_ms": [0, 1250]}}
//                                                  -> modem 0 at once, modem 5 after 1.25 s (a
//                                                     schedule made by nt35e-ctl for many processes)
//                                                  -> {"ok":true,"fired":{...},"modems":[...],...}
//   {"query": "fleet"}                             -> size, offset, threads, and per modem its
//                                                     index, IMEI and line
//
// Bad input is refused with one sentence that says what is wrong and, for a misspelt
// name, the name meant ("did you mean"); a request that is refused changes nothing.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scenario/scenario.hpp"

namespace nt35e::control {

/// Longest request line accepted, without its line end.
inline constexpr std::size_t max_line = 64 * 1024;

/// A request refused: the sentence of its {"ok":false,"error":...} answer.
struct refusal {
  std::string sentence;
};

/// Throws refusal{sentence}; whoever answers the request turns it into the answer.
[[noreturn]] void refuse(std::string sentence);

/// "fire", "deliver" or "network": actions for one modem, all checked.
struct action_request {
  std::vector<scenario::action> actions;
  bool single = true;  ///< answered "fired": {...} ("fire", "deliver") or "fired": [...] ("network")
};

/// "fleet": one action on the modems chosen by "modems", "fraction" and "seed".
struct fleet_request {
  scenario::action action;
  std::vector<std::size_t> candidates;  ///< "modems" ascending without repeats, or every modem
  std::optional<double> fraction;       ///< choose this part of the candidates at random
  std::optional<std::uint64_t> seed;    ///< given with "fraction" (dispatch picks one without)
  std::optional<scenario::duration> stagger;
  /// "after_ms": when each of `candidates` fires (same order), in wall-clock
  /// milliseconds from the request; empty: at once, or spread over `stagger`.
  std::vector<std::chrono::milliseconds> after;
};

/// "query": what the answer reports.
enum class query_kind {
  state,
  metrics,
  verdict,
  fleet,
  help
};

/// One request line, checked.
struct request {
  std::optional<std::size_t> modem;  ///< "modem", when given
  std::variant<action_request, fleet_request, query_kind> body;
};

/// What a request line is checked against: the modems the channel drives.
struct request_limits {
  std::size_t modems = 1;  ///< "modem" goes from 0 to modems - 1
  bool fleet = false;      ///< fleet mode: "fleet" requests and "query": "fleet" exist
  /// The highest ECMT id of modem i, for the range of "id"; empty: 4 for every modem.
  std::function<int(std::size_t)> max_id;
};

/// {"auth": "TOKEN"}: the first line a client sends when the channel requires a token
/// (control_server::require_token). Handled by the connection, not by dispatch.
struct auth_request {
  std::string token;  ///< empty when "auth" was not a string
  bool alone = true;  ///< no other key beside "auth"
};

/// The line's "auth" request when it is an object with an "auth" key; nothing for any
/// other line (valid JSON or not). Never fails and never keeps the line.
std::optional<auth_request> parse_auth(std::string_view line);

/// Parses and checks one request line (without its line end). Never fires anything.
std::variant<request, refusal> parse_request(std::string_view line, const request_limits& limits);

/// The sentence that refuses a line longer than max_line (the connection is then closed).
std::string too_long_sentence();

/// Cuts what a client sends into request lines: "\n" ends a line, a "\r" before it is
/// dropped, blank lines are skipped, and a line counts only once its "\n" has arrived.
class line_splitter {
 public:
  /// Appends `bytes` and adds each complete, non-blank line to `lines`, in order. At a
  /// line longer than max_line it stops: too_long() is then true and stays so.
  void feed(std::string_view bytes, std::vector<std::string>& lines);

  /// A line (complete or not) passed max_line: refuse and close once the lines before
  /// it are answered.
  bool too_long() const { return too_long_; }
  /// Bytes of a line not complete yet.
  std::size_t pending() const { return partial_.size(); }
  /// Forgets the bytes of an incomplete line.
  void clear() { partial_.clear(); }

 private:
  std::string partial_;
  bool too_long_ = false;
};

}  // namespace nt35e::control
