#pragma once
// The module's state and the services handlers use: a scheduler, the URC outbox,
// MQTT requests and log records. Plain data plus explicit state machines; no I/O.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "at/line_discipline.hpp"
#include "at/render.hpp"
#include "modem/action.hpp"
#include "modem/clock.hpp"
#include "modem/ecmt_context.hpp"
#include "modem/fifo.hpp"
#include "modem/ping.hpp"
#include "modem/profile.hpp"
#include "modem/snapshot.hpp"

namespace nt35e::modem {

/// stat values of +CEREG (§4.1).
enum class reg_stat : int {
  not_registered = 0,
  home = 1,
  searching = 2,
  denied = 3,
  roaming = 5
};
const char* to_string(reg_stat s);

struct pdp_context {
  std::string type = "IP";
  std::string apn;
};

/// AT+CPSMS values (§4.4.9): stored only; timers are 8-character bit strings, empty when not given.
struct psm_settings {
  int mode = 0;
  std::string periodic_tau, active_time;
};

/// AT+CEDRXS values (§4.4.10): stored only.
struct edrx_settings {
  std::string value = "0000";  ///< requested eDRX value, 4 bits
  bool report = false;         ///< +CEDRXP reporting (mode 2)
};

/// Settings changed by commands; the persistent ones survive AT+ECRST (§3.1).
struct settings {
  bool echo = true;
  bool verbose = true;
  bool quiet = false;
  int cmee = 1;
  int cereg_n = 0;
  int creg_n = 0;
  int cgreg_n = 0;
  int cmgf = 1;
  psm_settings psm;
  edrx_settings edrx;
  at::line_settings line;
};

struct tls_config {
  int mode = 0;
  std::string ca_file, cert_file, key_file;
};

/// A pending URC: text and whether the style applies.
struct urc {
  std::string text;
  bool fixed = false;
};

class modem {
 public:
  using timer_id = std::uint64_t;
  using task = std::function<void(modem&)>;

  modem(profile p, time_point now);
  /// With a profile the caller may share with others (a fleet's session): it is copied
  /// only when this modem changes it (own_prof).
  modem(std::shared_ptr<const profile> p, time_point now);

  const profile& prof() const { return *profile_; }
  /// The profile to change at run time (a scenario's set_signal, a handover's boot): the
  /// modem's own copy, made at the first change (copy on write).
  profile& own_prof();

  // ---- state (public: handlers are the module's logic and read/write it directly)
  settings set;
  int cfun = 1;
  bool sim_present = true;
  reg_stat stat = reg_stat::not_registered;
  bool pdp_active = false;
  std::map<int, pdp_context> pdp;
  std::optional<int> reject_cause;  ///< EMM cause of the last registration reject, kept until reboot
  int cops_mode = 0;                ///< AT+COPS: 0 automatic, 1 manual, 2 deregistered, 4 manual/automatic
  int cops_format = 2;              ///< AT+COPS format of <oper>: 0 long, 1 short, 2 numeric
  std::int64_t clock_offset_s = 0;  ///< AT+CCLK's time minus the host's UTC, in seconds
  int timezone_quarters = 32;
  bool booting = true;                      ///< between power-on/reboot and ECRDY: silent, input discarded
  int reboots = 0;                          ///< the interpreter resets its line state when this changes
  ecmt_table ecmt;                          ///< ids 0..max_ecmt_id, each made on its first use
  tls_config tls;                           ///< module-wide AT+ECMTCFG="ssl" (nt35e form)
  int cloud_type = 0, cloud_data_type = 0;  ///< AT+ECMTCFG="cloud", stored only
  ping_model ping_world;                    ///< what AT+ECPING's echoes meet (from the scenario)
  ping_run ping;                            ///< the running AT+ECPING, if any

  counters count;

  /// Hooks the interpreter sets for the scenario's fault engine: a request may be
  /// swallowed (false), a URC may be written several times (the count returned).
  std::function<bool(mqtt::any_request&)> request_hook;
  std::function<int(const std::string&)> urc_hook;

  // ---- time and scheduler
  time_point now() const { return now_; }
  /// The host's UTC time now, in whole seconds since 1970: the origin the session set
  /// (set_utc) moved on by the steady clock. The core reads no wall clock of its own.
  std::int64_t utc_seconds() const;
  /// Ties the steady clock's `at` to the host's UTC `utc_seconds` (0 until a session sets it).
  void set_utc(std::int64_t utc_seconds, time_point at);
  void set_now(time_point t) { now_ = t; }
  timer_id after(int ms, task t);
  /// As after(), but a zero delay is never due within the current call (1 µs on): what
  /// the host does with this call's actions first (a backend refusing a request at once,
  /// from inside submit()) reaches the modem before the task runs.
  timer_id after_this_call(int ms, task t);
  /// A profile delay in real time, after the time scale.
  duration scaled(int ms) const;
  void cancel(timer_id id);
  void cancel_all();
  std::optional<time_point> next_deadline() const;
  /// Runs the tasks due at or before now, in order.
  void run_due();

  /// Incoming messages the modem has taken from the network and not yet handled (each
  /// waits for its receive-loop delay, §8 `recv_urc`). The host reads no more from the
  /// network while many wait, as the firmware reads its socket no faster than it handles
  /// what it read (io::session, mqtt::backend::pause_receiving).
  std::size_t messages_held() const { return messages_held_->messages; }
  /// Their topics' and payloads' bytes.
  std::size_t message_bytes_held() const { return messages_held_->bytes; }
  /// Counts one held message of `bytes` for as long as the returned token (or a copy)
  /// lives: give it to the task that handles the message, so a cancelled task (a reboot)
  /// counts out too.
  std::shared_ptr<void> hold_message(std::size_t bytes);

  // ---- outputs collected for the interpreter
  void emit_urc(std::string text, bool fixed = false);
  /// Bytes for the DTE, in order with every other action.
  void write(std::string_view bytes);
  void request(mqtt::any_request r);
  void log(log_level level, std::string text, std::string reason = {});
  /// A burst of noise for the line's writer (it reads the times, not a clock).
  void add_line_noise(const line_noise& n) { actions_.emplace_back(n); }
  fifo<urc>& pending_urcs() { return urcs_; }
  actions take_actions();

  /// Settings for rendering, from the current state.
  at::render_settings render() const;
  bool valid_id(std::int64_t id) const { return id >= 0 && id <= profile_->max_ecmt_id; }
  /// Changes an id's state and logs "from X to Y on Z".
  void transition(int id, ecmt_state to, ecmt_event on);

  /// The registration machine: changes stat (a denial records the profile's reject
  /// cause) and emits the +CEREG, +CREG and +CGREG URCs their report modes ask for.
  void set_stat(reg_stat s);
  bool registered() const { return stat == reg_stat::home || stat == reg_stat::roaming; }

 private:
  std::shared_ptr<const profile> profile_;
  profile* own_ = nullptr;  ///< profile_ once this modem has its own copy
  time_point now_;
  std::int64_t utc_origin_s_ = 0;
  time_point utc_origin_at_{};
  timer_id next_id_ = 1;
  struct entry {
    timer_id id;
    task fn;
  };
  /// Shared with the hold tokens (hold_message), which may outlive the timers they sit in.
  struct held_count {
    std::size_t messages = 0;
    std::size_t bytes = 0;
  };
  std::shared_ptr<held_count> messages_held_ = std::make_shared<held_count>();
  std::multimap<time_point, entry> timers_;
  fifo<urc> urcs_;
  actions actions_;
};

}  // namespace nt35e::modem
