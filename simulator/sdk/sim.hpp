#pragma once
// nt35e::sdk::modem: a virtual NT35E module started in-process, for a test suite that
// drives its modem driver against it (find_package(nt35e-sim CONFIG), target nt35e::sim).
//
//   nt35e::sdk::options o;
//   o.line = nt35e::sdk::line_kind::tcp;   // port 0: a free one
//   o.settings = {"timing.boot=0", "timing.registration=0"};
//   nt35e::sdk::modem m(o);                // throws nt35e::sdk::error("...") when it cannot start
//   connect_driver("127.0.0.1", m.tcp_port());
//   m.fire("drop_link");                   // as the control channel's {"fire": "drop_link"}
//   std::puts(m.transcript().c_str());
//   m.write_report();                      // HTML report of the session, path returned
//
// The modem runs on a thread of its own (one thread owns it, as in nt35e-sim); every
// member function may be called from any one other thread and waits for the modem at
// most options::call_timeout, then throws. The header uses only the standard library: no
// Boost, Paho or JSON types cross it (pimpl), so a consumer needs this header and the
// shared library libnt35e-sim.so.0. Answers that carry structure (state, metrics,
// control requests) are JSON text, as the control channel writes them (docs/ci.md).
//
// Stability: additions only within a major version (the SONAME's number).

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#define NT35E_SDK_API __attribute__((visibility("default")))

namespace nt35e::sdk {

/// The simulator's version ("0.1.0"), the project's; the SONAME carries its major number.
NT35E_SDK_API const char* version();

/// Anything that went wrong, as one sentence: what() is the simulator's own message, the
/// same text nt35e-sim prints after "nt35e-sim: " (without "(try --help)").
class NT35E_SDK_API error : public std::runtime_error {
 public:
  explicit error(const std::string& sentence) : std::runtime_error(sentence) {}
};

/// Where the driver under test connects.
enum class line_kind {
  pty,  ///< a pseudo-terminal, reached through a symlink (options::pty_path)
  tcp   ///< a TCP listener on loopback (options::tcp_port)
};

/// How the modem starts; every field has a working default (TCP on a free port, the
/// nt35e profile, the scripted broker, no scenario).
struct options {
  line_kind line = line_kind::tcp;
  /// PTY: where the symlink to the slave goes; empty: "<artifacts_dir>/modem" (unique).
  std::string pty_path;
  /// TCP: the loopback address listened on, and the port (0: a free one, see tcp_port()).
  std::string tcp_host = "127.0.0.1";
  unsigned short tcp_port = 0;
  /// A built-in profile ("nt35e", "ec616s"); empty: the scenario's, else nt35e (--profile).
  std::string profile;
  /// Profile fields, "FIELD=VALUE" as --set takes them, applied in order after the scenario.
  std::vector<std::string> settings;
  /// A scenario file (scenarios/README.md), or its JSON text; at most one of the two.
  std::string scenario_file;
  std::string scenario_json;
  /// --live: a real broker (Paho) instead of the scripted one; map_hosts as --map-host
  /// ("HOST[:PORT]=ADDR:PORT"), e.g. the test's mosquitto in place of the driver's host.
  bool live = false;
  std::vector<std::string> map_hosts;
  /// --time-scale: every delay of the module multiplied by this (0: the profile's).
  double time_scale = 0;
  /// Transcript detail: "error", "warn", "info" (both directions of the line, MQTT,
  /// state changes), "debug" or "trace".
  std::string log_level = "info";
  /// Where the transcript, the trace and the report go; empty: a new directory under
  /// $TMPDIR (or /tmp), removed when the modem is destroyed unless keep_artifacts().
  std::string artifacts_dir;
  /// The longest any call waits for the modem's thread.
  std::chrono::milliseconds call_timeout{5000};
};

/// One virtual modem, running from construction until stop() or destruction.
class NT35E_SDK_API modem {
 public:
  /// Starts the modem: loads the scenario, builds the profile, opens the line and powers
  /// the module on (the boot banner follows after the profile's boot delay). Throws
  /// error with the simulator's sentence for a bad profile, setting, scenario (its first
  /// diagnostic, file:line:column) or a line that cannot be opened.
  explicit modem(options o = {});
  /// stop(), then removes a directory it created unless keep_artifacts() was called.
  ~modem();
  modem(modem&&) noexcept;
  modem& operator=(modem&&) noexcept;
  modem(const modem&) = delete;
  modem& operator=(const modem&) = delete;

  /// PTY line: the symlink the driver opens ("" on TCP).
  const std::string& pty_path() const;
  /// TCP line: the port listened on (0 on a PTY).
  unsigned short tcp_port() const;
  /// The line as the simulator's ready line names it: "pty /tmp/x -> /dev/pts/3", "tcp 127.0.0.1:40123".
  const std::string& line() const;

  /// One control-channel request (its JSON Lines protocol, e.g. {"query": "state"} or
  /// {"network": {"registration": "denied"}}); returns the answer line ({"ok": ...}).
  /// A refused request is answered {"ok":false,"error":...}, not thrown.
  std::string control(std::string_view request_json);
  /// Fires a fault as the control channel's "fire" does: an action's name ("drop_link",
  /// "reboot") or its JSON object ({"action": "refuse_connect", "id": 0, "code": 5}).
  /// Throws error with the channel's sentence when the action is refused.
  void fire(std::string_view action);
  /// {"query": "state"} and {"query": "metrics"} answered (JSON text): ECMT states,
  /// counters, line latency histograms.
  std::string state_json();
  std::string metrics_json();

  /// The transcript so far: one timestamped line per event (both directions of the AT
  /// line, MQTT traffic, state changes), as nt35e-sim logs them on stderr.
  std::string transcript() const;
  /// Its last `n` lines.
  std::vector<std::string> transcript_tail(std::size_t n) const;
  /// Files: the transcript, and the session's trace (JSON Lines, nt35e-sim --record).
  const std::string& transcript_path() const;
  const std::string& trace_path() const;
  const std::string& artifacts_dir() const;
  /// Writes the HTML report of the session so far (nt35e-sim report) to `path`, or to
  /// "<artifacts_dir>/report.html" when empty; returns the path written.
  std::string write_report(const std::string& path = "");
  /// Keep the artifacts directory when the modem is destroyed (a failed test's evidence).
  void keep_artifacts(bool keep = true);

  /// True from construction until stop() or until the modem's thread ended on its own.
  bool running() const;
  /// Why the modem's thread ended on its own (an exception's sentence); "" otherwise.
  std::string failure() const;
  /// Stops the modem: closes the line, disconnects the broker, ends the thread. Safe to
  /// call twice; the transcript, trace and report stay readable afterwards.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace nt35e::sdk
