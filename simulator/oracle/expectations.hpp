#pragma once
// The scenario's expectations (issue 15, part 2; scenario::expectation, the "expect" key):
// what the driver must do — reconnect after a link loss and subscribe again, connect in
// time, subscribe after the first connect, publish at least every period, never publish
// to a filter, back off after a refused CONNECT. Each is judged met, unmet or not
// triggered (its occasion never came), with the lines that prove it.
//
// Sans-I/O and DTE-side only: the oracle feeds it what it recognised in the driver's
// bytes and the module's answers (commands sent, their final results, the ECMT URCs,
// ECRDY), each with its time since the oracle's origin, so the same expectation gives
// the same result live and on a recorded trace.
//
// Thread safety: none; it belongs to one oracle.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/oracle.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::oracle {

/// How an expectation came out.
enum class outcome {
  met,
  unmet,
  not_triggered  ///< its occasion never came (no link loss, never connected), or the session ended first
};
std::string_view to_string(outcome o);

/// One expectation's entry in the verdict.
struct expectation_result {
  std::string name;  ///< as the scenario names it, else what it asks
  std::string kind;  ///< "reconnect", ...
  std::string asks;  ///< what it asks, one English sentence
  outcome result = outcome::not_triggered;
  std::int64_t t_us = 0;  ///< met: when; unmet: the deadline passed or the line broke it; else the end
  std::string detail;     ///< what happened, one English sentence
  std::vector<line_ref> lines;
};

/// A parameter or URC field as a whole number ("  3 " -> 3), if it is one.
std::optional<int> field_number(std::string_view s);
/// A parameter without its surrounding blanks and quotes ("\"cmd/#\"" -> cmd/#).
std::string field_text(std::string_view s);

/// What an expectation asks, as a sentence ("after the first link loss (+ECMTSTAT), ...").
std::string describe(const scenario::expectation& x);

class expectations {
 public:
  explicit expectations(std::vector<scenario::expectation> list);

  /// A command line's first command the driver sent (upper-case name, its parameters).
  void sent(const std::string& name, const std::vector<std::string>& params, const line_ref& line);
  /// Its final result: `ok` when the module accepted it (OK), at `t_us`.
  void done(const std::string& name, const std::vector<std::string>& params, const line_ref& line, bool ok,
            std::int64_t t_us);
  /// An ECMT URC (name "+ECMTCONN", its fields) or ECRDY.
  void urc(std::string_view name, const std::vector<std::string>& fields, const line_ref& line);
  /// Time passes: deadlines that pass now make expectations unmet.
  void advance(std::int64_t t_us);

  /// The results as the session stands at the latest advance() (its end), in the
  /// scenario's order.
  std::vector<expectation_result> results() const;
  bool empty() const { return runs_.empty(); }

 private:
  struct link {
    bool connected = false;
    bool clean = true;                           ///< AT+ECMTCFG="session",<id>,0 makes it false
    std::map<std::string, line_ref> subscribed;  ///< filter -> the AT+ECMTSUB the module accepted
    std::optional<line_ref> conn_sent;           ///< the last AT+ECMTCONN accepted (masked)
    std::optional<line_ref> refused;             ///< the last refusal (+ECMTCONN:<id>,0,<rc>), for back_off
    std::string refused_conn;                    ///< the AT+ECMTCONN line it refused
  };
  /// One open check of a reconnect, connect or subscribe expectation.
  struct check {
    int id = -1;  ///< the link it is about (-1: any)
    std::int64_t due_us = 0;
    std::vector<line_ref> lines;  ///< what started it, then what satisfied it so far
    bool connected = false;       ///< reconnect, connect: the +ECMTCONN:<id>,0,0 came
    std::set<std::string> owed;   ///< filters still to subscribe to
    std::int64_t last_us = 0;     ///< when the last part was satisfied
  };
  struct run {
    scenario::expectation x;
    outcome result = outcome::not_triggered;
    bool decided = false;
    std::int64_t t_us = 0;
    std::string detail;
    std::vector<line_ref> lines;
    std::optional<check> open;  ///< reconnect, connect, subscribe
    int met_checks = 0;         ///< checks that passed (reconnect after every loss)
    bool started = false;       ///< connect, subscribe: the occasion came once
    // publish
    std::int64_t owed_us = 0;         ///< connected time since the last publish or connect
    std::int64_t since_us = 0;        ///< when owed_us was last brought up to date
    std::int64_t connected_us = 0;    ///< all connected time
    std::optional<line_ref> pending;  ///< a matching publish awaiting its final result
    int publishes = 0;
    std::optional<line_ref> last_publish;
  };

  void pass(run& r, std::int64_t t_us, std::string detail, std::vector<line_ref> lines);
  void fail(run& r, std::int64_t t_us, std::string detail, std::vector<line_ref> lines);
  void close_check(run& r, const check& c);
  void try_close(run& r);
  void connected_changed(std::int64_t t_us);
  bool any_connected() const;

  std::vector<run> runs_;
  std::map<int, link> links_;
  int losses_ = 0;
  std::int64_t now_us_ = 0;
};

}  // namespace nt35e::oracle
