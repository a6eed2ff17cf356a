#pragma once
// The session's recording and replay seams (io::session_tap, io::answer_source)
// filled with the trace library: the io layer never sees the trace format.

#include <memory>
#include <string>
#include <variant>

#include "app/options.hpp"
#include "io/session.hpp"
#include "modem/profile.hpp"
#include "scenario/scenario.hpp"
#include "trace/recorder.hpp"
#include "trace/replayer.hpp"

namespace nt35e::app {

/// --record FILE: every byte, MQTT request/event and state note into a JSON Lines trace.
class trace_tap final : public io::session_tap {
 public:
  /// Throws std::runtime_error naming the file when it cannot be created. `start` is the
  /// trace's t=0 (the oracle's origin, so both count the same times); the header keeps
  /// the world's "oracle" settings and "expect" list for `report --verdict`.
  trace_tap(const std::string& path, const options& opts, const modem::profile& profile,
            const scenario::scenario& world, modem::time_point start);
  ~trace_tap() override;
  void dte_in(std::string_view bytes, modem::time_point now) override {
    rec_.dte_in(bytes, now);
    check();
  }
  void dte_out(std::string_view bytes, modem::time_point now) override {
    rec_.dte_out(bytes, now);
    check();
  }
  void request(const mqtt::any_request& r, modem::time_point now) override {
    rec_.request(r, now);
    check();
  }
  void event(const mqtt::any_event& e, modem::time_point now) override {
    rec_.event(e, now);
    check();
  }
  void note(const modem::log_record& r, modem::time_point now) override {
    rec_.note(r, now);
    check();
  }

 private:
  void check();
  trace::recorder rec_;
  bool warned_ = false;
};

/// --replay FILE: the trace answers in the module's place. An error sentence when the
/// trace does not load (with its line number).
std::variant<std::unique_ptr<io::answer_source>, std::string> make_replay_source(const std::string& path,
                                                                                 const options& opts,
                                                                                 const modem::profile& profile);

}  // namespace nt35e::app
