#pragma once
// The oracle on a live session (issue 15, docs/oracle.md): a session observer that feeds
// every byte the driver sent and the module wrote, with its time, to an oracle::oracle,
// after passing it on to the next observer (the line metrics). In explain mode it writes
// each finding to the transcript as it is found: rule id, severity, spec section, what
// happened and the rule's explanation in the explain language; a one-second tick checks
// the recovery deadlines, so a finding that no byte brings still shows when it falls due.
// Its verdict can be read at any time (the control channel's "query": "verdict") and
// when the session ends (--verdict, --verdict-json). nt35e-sim and the fleet both use it.
//
// Thread safety: none; every call runs on the session's executor.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "explain/explanations.hpp"
#include "io/logger.hpp"
#include "io/session.hpp"
#include "oracle/oracle.hpp"
#include "oracle/verdict.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::io {

class oracle_watch final : public session_observer {
 public:
  struct settings {
    oracle::config rules;                                ///< which rules run, their thresholds
    oracle::fail_on threshold = oracle::fail_on::error;  ///< --verdict-fail-on
    std::string name;                                    ///< the modem's name in the verdict ("nt35e", "modem 3")
    std::string explain;                                 ///< "" (quiet), "en" or "zh": findings to the transcript
    std::vector<scenario::expectation> expect;           ///< the scenario's "expect" (what this driver must do)
  };

  /// `origin` is time zero of the findings (the session's start; a recording's t=0 too).
  /// `next` (may be null) sees every call first; `log` gets the findings in explain mode.
  /// Both must outlive the watch.
  oracle_watch(boost::asio::any_io_executor ex, settings s, modem::time_point origin, session_observer* next,
               logger& log);
  ~oracle_watch() override;
  oracle_watch(const oracle_watch&) = delete;
  oracle_watch& operator=(const oracle_watch&) = delete;

  void on_input(std::string_view bytes, modem::time_point now) override;
  void on_output(std::string_view bytes, modem::time_point now) override;
  void on_commands(std::uint64_t started, modem::time_point now) override;

  /// Starts the deadline tick (explain mode only); stop() ends it.
  void start();
  void stop();

  /// This modem's verdict with the deadlines checked up to `now` (findings found meanwhile
  /// are printed in explain mode too).
  oracle::verdict verdict(modem::time_point now);
  /// The same as of the steady clock's now.
  oracle::verdict verdict();

  /// One finding as explain mode prints it (without the "oracle: " the transcript adds).
  static std::string explain_line(const oracle::finding& f, explain::language lang);

 private:
  /// Prints the findings not printed yet (explain mode).
  void report_new();
  void tick();

  settings settings_;
  oracle::oracle judge_;
  session_observer* next_;
  logger& log_;
  std::optional<explain::language> lang_;
  std::size_t printed_ = 0;  ///< findings already in the transcript
  boost::asio::steady_timer timer_;
  bool ticking_ = false;
};

}  // namespace nt35e::io
