#pragma once
// One powered-on module on the I/O side: the interpreter, its timer, its MQTT
// backend and the single writer of every byte that goes to the DTE.
//
// Thread safety: none; everything runs on the executor given to the constructor
// (one io_context thread owns the modem; nothing here blocks).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/interpreter.hpp"
#include "io/logger.hpp"
#include "io/transport.hpp"
#include "io/uart_line.hpp"
#include "modem/profile.hpp"
#include "modem/snapshot.hpp"
#include "mqtt/backend.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::io {

/// Watches one session's line, e.g. for latency metrics (metrics::line_metrics). Every
/// call runs on the session's executor, in the order the bytes pass; nothing here may
/// block or call back into the session.
class session_observer {
 public:
  virtual ~session_observer() = default;
  /// Bytes the DTE sent, as they arrived at `now` (before the interpreter sees them).
  virtual void on_input(std::string_view bytes, modem::time_point now) = 0;
  /// Bytes the module wrote, as they are handed to the writer at `now` (also when no
  /// DTE is there to get them).
  virtual void on_output(std::string_view bytes, modem::time_point now) = 0;
  /// After every interpreter call, once its output was handed over: how many command
  /// lines the module has started since power-on (modem::counters::commands).
  virtual void on_commands(std::uint64_t started, modem::time_point now) = 0;
};

/// Records everything that crosses the session (trace::recorder behind an adapter);
/// the io layer stays free of the trace format. Called on the session's executor.
class session_tap {
 public:
  virtual ~session_tap() = default;
  virtual void dte_in(std::string_view bytes, modem::time_point now) = 0;
  virtual void dte_out(std::string_view bytes, modem::time_point now) = 0;
  virtual void request(const mqtt::any_request& r, modem::time_point now) = 0;
  virtual void event(const mqtt::any_event& e, modem::time_point now) = 0;
  virtual void note(const modem::log_record& r, modem::time_point now) = 0;
};

/// Something that answers in the module's place (trace::replayer behind an adapter):
/// the same shape as the interpreter, without MQTT. When it asks for a handover, the
/// session powers the real interpreter on and passes it the host input left over.
class answer_source {
 public:
  virtual ~answer_source() = default;
  virtual modem::actions feed(std::string_view bytes, modem::time_point now) = 0;
  virtual modem::actions on_timer(modem::time_point now) = 0;
  virtual std::optional<modem::time_point> next_deadline() const = 0;
  virtual bool handover_requested() const = 0;
  virtual std::string pending_input() const = 0;
};

class session final : public dte_port {
 public:
  /// Outgoing bytes kept while the DTE does not read (queued and in flight together);
  /// past this, output is dropped, counted (counters::output_dropped_bytes) and logged once.
  /// Large enough for a burst of +ECMTRECV handled in one turn of the event loop (a QoS 1
  /// message is already acknowledged to the broker: dropping it here would lose it).
  static constexpr std::size_t max_queued_bytes = 8 * 1024 * 1024;
  /// Incoming messages (or their bytes) the modem holds, not yet handled, past which the
  /// backend leaves the broker's next ones in the network (mqtt::backend::pause_receiving);
  /// it reads again once both are down to half. Chosen (the spec is silent; the firmware
  /// holds what one read of its socket gives): enough that a broker may still flood at
  /// 40,000 messages a second through the 50 ms receive delay (§8), and a bound on memory
  /// whatever the messages' size (64 KiB each at most, paho/packet_guard).
  static constexpr std::size_t max_held_messages = 2048;
  static constexpr std::size_t max_held_bytes = 2 * 1024 * 1024;

  /// `backend` may be null (no MQTT: requests are logged and dropped); it must outlive the session.
  /// `world` is the scenario the interpreter plays (its rules, network and faults); its
  /// profile and settings must already be folded into `profile` (scenario::apply).
  session(boost::asio::any_io_executor ex, modem::profile profile, mqtt::backend* backend, logger& log,
          const scenario::scenario& world = {});
  /// The same with the profile and the world shared read-only (a fleet: one world for many
  /// modems, and the profile the fleet keeps too); the modem copies its profile only if it
  /// changes it at run time (modem::modem::own_prof).
  session(boost::asio::any_io_executor ex, std::shared_ptr<const modem::profile> profile, mqtt::backend* backend,
          logger& log, std::shared_ptr<const scenario::scenario> world);
  ~session() override;
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Powers the module on now (the banner follows after the profile's boot delay).
  void start();
  /// Stops the timer and disconnects the backend; the interpreter is not called again.
  void stop();

  void attach(dte_stream& stream) override;
  void detach() override;
  void receive(std::string_view bytes) override;

  /// The module's state now (for the control channel); before start(), a powered-off
  /// picture with the profile's name.
  modem::snapshot snapshot() const;
  /// Carries out one scenario action now (the control channel's "fire") and the
  /// resulting output like any other call; ignored before start() and after stop().
  void fire(const scenario::action& action);

  /// Watches the line from now on (null: nobody); must outlive the session or be reset.
  void set_observer(session_observer* observer) { observer_ = observer; }
  /// Records the session from now on (null: nobody); must outlive the session or be reset.
  void set_tap(session_tap* tap) { tap_ = tap; }
  /// Before start(): the module answers from `source` until it asks for a handover.
  void set_answer_source(std::unique_ptr<answer_source> source) { replay_ = std::move(source); }

  /// True while a DTE is attached.
  bool attached() const { return stream_ != nullptr; }

  /// Calls `done` once, as soon as all output is written and the modem has nothing
  /// due within `horizon` (used to leave after stdin ends without cutting answers off).
  void when_quiet(std::chrono::milliseconds horizon, std::function<void()> done);

 private:
  /// Carries out what the interpreter asked for, in order, and whatever fell due in
  /// the meantime; writes the output once; then re-arms the timer.
  void run(modem::actions actions);
  void perform(modem::actions& actions);
  /// How many times run() calls the interpreter again for work already due before it
  /// leaves the rest to the timer.
  static constexpr int max_immediate_turns = 8;
  bool running_ = false;  ///< inside run(): output is batched, backend events queued
  /// Events a backend emitted from inside submit() during run(), handed to the modem by
  /// run() before any timer (a vector: no allocation while empty, the usual case).
  std::vector<mqtt::any_event> early_events_;
  void arm_timer();
  bool receive_paused_ = false;
  /// Pauses or resumes the backend's receiving after the modem's work of a call.
  void regulate_receiving();
  void on_timer(const boost::system::error_code& ec);
  void on_mqtt_event(const mqtt::any_event& event);
  /// Logs and taps an event; the interpreter's answer to it (none once stopped). `early`:
  /// emitted from inside submit() during run(), handed over at the modem's own time.
  modem::actions take_mqtt_event(const mqtt::any_event& event, bool early = false);

  void write(std::string bytes);
  void do_write();
  /// Writes the next `w.size` waiting bytes (paced, fragmented or noisy output).
  void write_piece(const uart_line::write& w);
  void on_written(const boost::system::error_code& ec);
  std::size_t waiting() const { return queue_.size() - queue_head_; }
  void check_quiet();

  boost::asio::any_io_executor ex_;
  std::shared_ptr<const modem::profile> profile_;
  std::shared_ptr<const scenario::scenario> world_;
  std::optional<engine::interpreter> interpreter_;
  mqtt::backend* backend_;
  logger& log_;
  boost::asio::steady_timer timer_;
  std::optional<modem::time_point> armed_for_;
  bool stopped_ = false;

  dte_stream* stream_ = nullptr;
  std::string queue_;           ///< waiting to be written, from queue_head_ on
  std::size_t queue_head_ = 0;  ///< bytes of queue_ already taken by piecewise writes
  std::string in_flight_;       ///< being written; untouched until the write completes
  bool writing_ = false;
  bool overflowing_ = false;
  std::uint64_t dropped_bytes_ = 0;  ///< output lost because the DTE did not read (bounded queue)

  /// The UART: baud pacing, fragments and line noise between the writer and the DTE.
  /// Its waits are timers on our executor; the modem never waits for the line.
  uart_line uart_;
  boost::asio::steady_timer pace_timer_;
  bool pacing_ = false;  ///< the next piece waits for pace_timer_

  std::chrono::milliseconds quiet_horizon_{0};
  std::function<void()> on_quiet_;

  session_observer* observer_ = nullptr;
  session_tap* tap_ = nullptr;
  std::unique_ptr<answer_source> replay_;
  void hand_over();
  /// Powers the interpreter on at the steady clock's now, with the host's UTC time.
  void power_on(std::shared_ptr<const modem::profile> profile);

  /// Handlers posted from the backend's sink hold a weak copy; gone once the session is.
  std::shared_ptr<session*> self_;
};

}  // namespace nt35e::io
