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
#include "trace/pcap_export.hpp"
#include "trace/recorder.hpp"
#include "trace/replayer.hpp"

namespace nt35e::app {

/// --record FILE and --pcap FILE: every byte, MQTT request/event and state note into a
/// JSON Lines trace, and the same as a pcapng timeline (trace/pcap_export.hpp). Both see
/// the events redacted alike, so the pcapng of a live session is the one
/// `nt35e-sim report --pcap` makes from its recording.
class trace_tap final : public io::session_tap {
 public:
  /// Throws std::runtime_error naming the option and the file when one cannot be created.
  /// `start` is the trace's t=0 (the oracle's origin, so both count the same times); the
  /// header keeps the world's "oracle" settings and "expect" list for `report --verdict`.
  trace_tap(const options& opts, const modem::profile& profile, const scenario::scenario& world,
            modem::time_point start);
  ~trace_tap() override;
  void dte_in(std::string_view bytes, modem::time_point now) override {
    each([&](trace::recorder& r) { r.dte_in(bytes, now); });
  }
  void dte_out(std::string_view bytes, modem::time_point now) override {
    each([&](trace::recorder& r) { r.dte_out(bytes, now); });
  }
  void request(const mqtt::any_request& r, modem::time_point now) override {
    each([&](trace::recorder& rec) { rec.request(r, now); });
  }
  void event(const mqtt::any_event& e, modem::time_point now) override {
    each([&](trace::recorder& r) { r.event(e, now); });
  }
  void note(const modem::log_record& r, modem::time_point now) override {
    each([&](trace::recorder& rec) { rec.note(r, now); });
  }

 private:
  struct pcap_output;
  template <class F>
  void each(F f) {
    if (file_) f(*file_);
    if (pcap_rec_) f(*pcap_rec_);
    check();
  }
  void check();
  std::unique_ptr<trace::recorder> file_;
  std::unique_ptr<pcap_output> pcap_;
  std::unique_ptr<trace::recorder> pcap_rec_;  ///< feeds pcap_; destroyed first (its finish() writes)
  bool warned_ = false;
};

/// --replay FILE: the trace answers in the module's place. An error sentence when the
/// trace does not load (with its line number).
std::variant<std::unique_ptr<io::answer_source>, std::string> make_replay_source(const std::string& path,
                                                                                 const options& opts,
                                                                                 const modem::profile& profile);

}  // namespace nt35e::app
