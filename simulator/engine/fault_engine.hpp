#pragma once
// Plays a scenario's rules inside the core: watches commands, URCs, MQTT events
// and publishes for triggers, and carries out actions on the module, on its
// requests to the backend and on the events coming back. It works the same over
// the scripted broker and as an overlay over the live backend, because it acts at
// the seam (requests/events), not inside a backend.
//
// Thread safety: none; it lives inside the interpreter, on the modem's executor.

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "modem/modem.hpp"
#include "mqtt/backend.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::engine {

/// How the answer to one command line is changed (replace/delay/never/truncate actions).
struct response_change {
  std::optional<std::string> replace;  ///< bytes sent instead of the answer
  int extra_delay_ms = 0;
  bool never = false;
  std::optional<std::size_t> keep;  ///< truncate the answer to this many bytes
  bool any() const { return replace || extra_delay_ms || never || keep; }
};

class fault_engine {
 public:
  fault_engine() = default;
  explicit fault_engine(const scenario::scenario& world);

  /// Schedules the time-offset rules; call once at power-on. Installs the modem hooks.
  void start(modem::modem& m);
  /// A command line (the text after "AT") is about to run: fires command rules and
  /// returns what the pending response actions make of its answer.
  response_change on_command(modem::modem& m, std::string_view line);
  /// An event from the backend (or synthesized by a fault): triggers, then the ECMT machine.
  void handle_event(modem::modem& m, const mqtt::any_event& event);
  /// An event as the backend sends it: held back while a slow_network window lasts, then
  /// handle_event.
  void from_backend(modem::modem& m, const mqtt::any_event& event);
  /// Carries out one action now.
  void fire(modem::modem& m, const scenario::action& a);

 private:
  struct armed_rule {
    scenario::rule r;
    std::optional<std::regex> re;
    int seen = 0;
  };
  bool matches(armed_rule& ar, std::string_view text);
  /// The pattern alone, without counting.
  static bool hits(const armed_rule& ar, std::string_view text);
  void run(modem::modem& m, const armed_rule& ar);
  bool on_request(modem::modem& m, mqtt::any_request& r);
  int on_urc(modem::modem& m, const std::string& text);
  void later(modem::modem& m, int ms, mqtt::any_event e);
  /// The connected link of `which` (or of every connected id) drops as the peer's close would.
  void drop_connected(modem::modem& m, const std::optional<int>& which, const char* why);

  std::vector<armed_rule> rules_;
  // Command rules, indexed so that a line costs only the rules it can hit: an imported
  // scenario holds a rule per differing answer and per URC to inject, and trying each on
  // every line made the importer's reference runs quadratic in the log's length. Rules
  // with one pattern see the same lines, so they count together (a group); a glob without
  // wildcards is a case-insensitive equality, its group looked up by the lowered line; the
  // other groups (wildcards, regexes) are tried once a line.
  struct command_group {
    std::size_t first = 0;  ///< a rule of the group, for its pattern
    int seen = 0;
    std::vector<std::size_t> every;                         ///< occurrence 0
    std::unordered_map<int, std::vector<std::size_t>> nth;  ///< occurrence N
  };
  std::vector<command_group> command_groups_;
  std::unordered_map<std::string, std::size_t> exact_commands_;  ///< lowered line -> group
  std::vector<std::size_t> patterned_commands_;                  ///< groups tried on every line
  // The other triggers' rules, each kind apart (a URC or an event costs its own kind only).
  std::vector<std::size_t> urc_rules_, publish_rules_, event_rules_;
  scenario::broker_script broker_;

  // Armed one-shot faults, consumed by the next matching request or URC.
  struct armed {
    std::optional<int> id;
    int code = 0;
  };
  std::vector<armed> refuse_connect_, dns_failure_, tcp_failure_, connfail_then_connack_;
  std::vector<std::string> duplicate_urc_;  ///< glob patterns ("" = any)
  response_change pending_response_;
  std::map<int, std::uint64_t> ping_loss_timers_;
  // broker_down and slow_network windows (until their end; the past when none), and the
  // requests a slow network already held once, passed on without a second delay.
  modem::time_point broker_down_until_{}, slow_until_{};
  int slow_by_ms_ = 0;
  int held_requests_passing_ = 0;
  std::map<int, int> next_packet_id_;
  int urc_depth_ = 0;
  std::uint64_t noise_seed_ = 1;  ///< each burst of line noise hits other bytes, reproducibly
};

}  // namespace nt35e::engine
