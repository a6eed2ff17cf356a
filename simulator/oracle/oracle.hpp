#pragma once
// The oracle (issue 15): watches the DTE side of one session — the bytes the driver sent
// and the bytes the module wrote, each with its time — against the spec and records a
// finding whenever the driver breaks a rule (oracle/rules.hpp). Sans-I/O: time comes in
// with every call, nothing reads a clock, so the same oracle runs live (fed by the
// session's observer) and on a recorded trace after the fact with the same verdict.
//
// It knows the module only from what the driver could see: ECRDY, final results, the
// prompt, the ECMT URCs and the registration answers. Echo lines (they start with AT)
// are skipped. ATV0's numeric results are not recognised (chosen: drivers under test
// run ATV1, the module's default).
//
// Thread safety: none; one oracle belongs to one session.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "at/vocabulary.hpp"
#include "modem/clock.hpp"
#include "oracle/rules.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::oracle {

class expectations;
struct expectation_result;

/// One line that proves a finding.
struct line_ref {
  std::int64_t t_us = 0;  ///< since the oracle's origin
  bool from_dte = true;   ///< sent by the driver (else written by the module)
  std::string text;       ///< without its line end, secrets masked
};

/// One broken rule.
struct finding {
  std::string rule;  ///< the rule id
  severity level = severity::error;
  std::string spec;  ///< "§5.4, §5.10"
  std::int64_t t_us = 0;
  std::string detail;  ///< what happened here, one English sentence
  std::vector<line_ref> lines;
};

/// Per rule: whether the session gave the driver a chance to break it (rule coverage).
struct rule_use {
  std::string id;
  bool runs = true;  ///< enabled in this mode
  bool exercised = false;
  std::size_t findings = 0;
};

class oracle {
 public:
  /// Findings kept per rule. A long session that breaks one rule again and again keeps
  /// the first ones and only counts the rest (rule_use::findings), so its memory and its
  /// verdict stay bounded (a fleet's soak grew by 0.4 MB a minute before).
  static constexpr std::size_t max_findings_per_rule = 5;
  /// Distinct failing command lines tracked for the retry-storm rule. Lines quiet for a
  /// whole window are forgotten once per window; past this many, the stalest go too.
  static constexpr std::size_t max_tracked_commands = 64;
  /// Failures kept per tracked line (the newest) beyond the rule's own count.
  static constexpr std::size_t max_failures_per_command = 16;

  /// `origin` is time zero of the findings (the session's start, the trace's t=0);
  /// `expect` are the scenario's expectations, judged alongside the rules.
  explicit oracle(config c = {}, modem::time_point origin = {}, std::vector<scenario::expectation> expect = {});
  ~oracle();
  oracle(oracle&&) noexcept;

  /// Bytes the driver sent at `now`.
  void on_dte(std::string_view bytes, modem::time_point now);
  /// Bytes the module wrote at `now` (echo included).
  void on_module(std::string_view bytes, modem::time_point now);
  /// Time passes (deadlines of the recovery rules); called by the other calls too.
  void advance(modem::time_point now);

  const std::vector<finding>& findings() const { return findings_; }
  /// Failing command lines tracked for the retry-storm rule now (bounded, see above).
  std::size_t tracked_commands() const { return attempts_.size(); }
  /// Every rule in catalogue order with its coverage.
  std::vector<rule_use> coverage() const;
  const config& settings() const { return config_; }
  /// Every expectation's result, as the session stands at the latest advance() (its end).
  std::vector<expectation_result> expectation_results() const;

 private:
  enum class link {
    none,
    opening,
    opened,
    connecting,
    connected,
    lost,    ///< RECONNECTING after +ECMTSTAT
    failed,  ///< CONNECT_FAIL after +ECMTCONN:<id>,2,2
    closing
  };
  struct sent_line {
    std::string text;  ///< masked
    modem::time_point at{};
    std::vector<std::string> names;  ///< upper-case command names
    std::string first_name;
    std::vector<std::string> params;  ///< of the first command
    bool tainted = false;             ///< a finding already explains its failure
    bool read_form = false;
    bool cancelled = false;  ///< a data-mode publish the driver cancelled with ESC
  };
  struct context {
    link state = link::none;
    bool queued_conn = false;                        ///< AT+ECMTCONN accepted while OPENING
    std::optional<modem::time_point> pending_since;  ///< OK of OPEN/CONN/CLOSE/DISC whose URC is due
    std::string pending_cmd;                         ///< "+ECMTOPEN"...
    line_ref pending_line;
    std::optional<line_ref> last_failure;  ///< the last ECMT command on this id that failed
    std::optional<modem::time_point> lost_at;
    line_ref lost_line;
    bool driver_acted = false;  ///< OPEN/CONN/CLOSE/DISC sent since +ECMTSTAT
    std::optional<modem::time_point> reconnected_at;
    line_ref reconnect_line;
    bool clean_session = true;
    std::map<std::string, line_ref> subscribed;  ///< topic -> the +ECMTSUB that confirmed it
    std::set<std::string> owed;                  ///< topics to subscribe again after a reconnect
    std::map<int, std::string> sub_pending;      ///< msgID -> topic
    std::map<int, line_ref> qos_pending;         ///< QoS 1/2 publishes awaiting +ECMTPUB: msgID -> the line
  };
  struct failure {
    modem::time_point sent{};
    std::vector<line_ref> lines;  ///< the command and what said it failed
  };
  struct attempt {
    std::vector<failure> failures;  ///< oldest first; few, so a vector (a deque takes 512 bytes at once)
    bool reported = false;
  };
  struct reboot {
    modem::time_point at{};
    line_ref line;
  };

  void dte_line(std::string raw, modem::time_point start, modem::time_point now);
  void module_line(std::string_view line, modem::time_point now);
  void final_result(std::string_view line, bool failed, bool plain_error, modem::time_point now);
  void urc(std::string_view line, modem::time_point now);
  void ecmt_command(const sent_line& s, const std::string& name, const std::vector<std::string>& params,
                    modem::time_point now, bool& reported);
  void command_failed(const sent_line& s, std::string_view result, modem::time_point now);
  void command_succeeded(const sent_line& s, modem::time_point now);
  /// A failure of `key` sent at `sent`, known at `now`; `proof` is the command and its failure.
  void count_failure(const std::string& key, modem::time_point sent, std::vector<line_ref> proof,
                     modem::time_point now);
  void boot(modem::time_point now);
  /// Forgets lines quiet for a window (once a window) and makes room before a line that
  /// is not `key_known` is tracked (see max_tracked_commands).
  void forget_stale_attempts(modem::time_point now, modem::duration window, bool key_known);

  /// Records a finding of `id` (if the rule runs) and marks it exercised.
  void report(std::string_view id, modem::time_point at, std::string detail, std::vector<line_ref> lines);
  void exercise(std::string_view id);
  std::int64_t us(modem::time_point t) const;
  line_ref ref(const std::string& text, modem::time_point t, bool from_dte) const;
  context& ctx(int id);

  config config_;
  modem::time_point origin_;
  std::unique_ptr<expectations> expect_;  ///< null without expectations
  std::vector<finding> findings_;  ///< at most max_findings_per_rule of each rule
  std::map<std::string, std::size_t, std::less<>> found_;  ///< rule -> findings, kept or not
  std::set<std::string> exercised_;

  // the driver's side
  std::string line_;
  std::optional<modem::time_point> line_start_;
  bool line_tainted_ = false;
  bool after_cr_ = false;
  bool data_mode_ = false;  ///< payload of AT+ECMTPUB being typed
  std::size_t payload_bytes_ = 0;
  line_ref payload_line_;
  std::deque<sent_line> waiting_;  ///< command lines without their final result, oldest first
  std::optional<modem::time_point> last_final_;
  line_ref last_final_line_;
  std::map<std::string, attempt> attempts_;  ///< masked command line -> its recent failures
  modem::time_point attempts_swept_{};       ///< when quiet lines were last forgotten

  // the module's side, as the driver sees it
  at::output_line_cutter cutter_{4096};
  bool booted_ = false;
  bool reboot_requested_ = false;
  std::optional<bool> registered_;  ///< from +CEREG/+CREG/+CGREG; unknown until told
  line_ref registered_line_;        ///< the line that told it
  std::map<int, context> links_;
  std::deque<reboot> reboots_;
  bool reboot_reason_ = false;  ///< a failure or link loss since the last reboot
};

}  // namespace nt35e::oracle
