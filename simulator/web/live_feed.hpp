#pragma once
// The web view's source (docs/web.md): a session tap that turns what crosses one modem
// (host bytes, module bytes, MQTT requests and events) into the page's messages
// (web/events), keeps the latest of them for a viewer that arrives late, hands each to
// every subscriber, and records the session in memory for the page's downloads (the trace,
// and the HTML report made from it). It passes every call on to the next tap first (the
// --record file), so the web view changes nothing of what is recorded.
//
// The modem's state (registration, signal, ECMT links) is read from the session after a
// call has finished, posted and coalesced, so the tap never reads the core inside one of
// its calls; the oracle's new findings are read on a tick.
//
// Thread safety: none; everything runs on the modem's executor. A subscriber's sink is
// called there and must not block (the web server posts the message to its own thread).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "at/render.hpp"
#include "io/session.hpp"
#include "modem/snapshot.hpp"
#include "oracle/verdict.hpp"
#include "trace/recorder.hpp"
#include "web/events.hpp"

namespace nt35e::web {

/// Cuts one direction's bytes into lines, each with the bytes it came in (its line ends
/// included) for the hex view.
class line_cutter {
 public:
  /// Feeds bytes; calls on_line(text, raw) for every line they complete. `host`: ^Z and
  /// ESC end a line too (a data-mode payload); else the data-mode prompt does.
  template <class OnLine>
  void push(std::string_view bytes, bool host, OnLine&& on_line);

 private:
  std::string line_, raw_;
  bool done_ = false;  ///< line_ ended; raw_ may still take the LF of a CR LF
};

class live_feed final : public io::session_tap {
 public:
  using message = std::shared_ptr<const std::string>;
  using sink = std::function<void(const message&)>;
  /// A whole line as it crossed (for the lessons): who wrote it, its text, what it is.
  using line_listener = std::function<void(side, std::string_view, line_kind, modem::time_point)>;

  struct settings {
    at::response_style style = at::response_style::compact;  ///< explanations' examples
    modem::time_point origin{};                              ///< t_us 0 (the oracle's origin too)
    std::string imei;
    trace::header header;  ///< of the in-memory recording
    trace::redact_options redact;
    std::size_t history = 2000;                  ///< messages kept for late viewers (fewer than a viewer queues)
    std::size_t trace_limit = 32 * 1024 * 1024;  ///< bytes of recording kept; later events are not recorded
    std::chrono::milliseconds tick{500};         ///< how often findings and state are looked at
  };

  /// `next` (may be null) gets every tap call first and must outlive the feed.
  live_feed(boost::asio::any_io_executor ex, settings s, io::session_tap* next);
  ~live_feed() override;
  live_feed(const live_feed&) = delete;
  live_feed& operator=(const live_feed&) = delete;

  void dte_in(std::string_view bytes, modem::time_point now) override;
  void dte_out(std::string_view bytes, modem::time_point now) override;
  void request(const mqtt::any_request& r, modem::time_point now) override;
  void event(const mqtt::any_event& e, modem::time_point now) override;
  void note(const modem::log_record& r, modem::time_point now) override;

  /// Where the state and the findings come from (either may be empty).
  void set_sources(std::function<modem::snapshot()> state, std::function<oracle::verdict()> verdict);
  void set_line_listener(line_listener l) { listener_ = std::move(l); }
  /// Called with each new finding of the oracle (the lessons).
  void set_finding_listener(std::function<void(const oracle::finding&)> l) { finding_listener_ = std::move(l); }
  /// Called on every tick, after the findings: what depends on time alone (a deadline).
  void set_tick_listener(std::function<void()> l) { tick_listener_ = std::move(l); }
  /// Starts the tick; stop() ends it and forgets every subscriber.
  void start();
  void stop();

  /// Sends every kept message to `s` now, then each new one; returns the handle for unsubscribe.
  std::uint64_t subscribe(sink s);
  void unsubscribe(std::uint64_t handle);
  /// Sends `text` (one message) to every subscriber, kept in the history when `keep`.
  void broadcast(std::string text, bool keep);
  /// Sends `text` to every subscriber and keeps it, under `key`, as the one message of its
  /// kind a new viewer gets after the history (the latest state, the lesson's progress).
  void set_sticky(const std::string& key, std::string text);
  /// The message kept under `key`; "" when there is none.
  std::string sticky(const std::string& key) const {
    auto it = sticky_.find(key);
    return it == sticky_.end() ? std::string() : it->second;
  }

  /// The recording so far, as a trace file's text (JSON Lines).
  std::string trace_text() const;
  /// The oracle's verdict now, if the oracle runs.
  std::optional<oracle::verdict> verdict() const;

 private:
  void emit(std::string text);
  void dte_line(std::string_view text, std::string_view raw, modem::time_point now);
  void module_line(std::string_view text, std::string_view raw, modem::time_point now);
  void refresh_soon();
  void refresh();
  void tick();
  std::int64_t micros(modem::time_point t) const;

  boost::asio::any_io_executor ex_;
  settings settings_;
  io::session_tap* next_;
  std::function<modem::snapshot()> state_;
  std::function<oracle::verdict()> verdict_;
  line_listener listener_;
  std::function<void(const oracle::finding&)> finding_listener_;
  std::function<void()> tick_listener_;
  std::map<std::string, std::string> sticky_;

  std::uint64_t seq_ = 0;
  std::deque<message> history_;
  std::map<std::uint64_t, sink> sinks_;
  std::uint64_t next_handle_ = 1;

  line_cutter in_, out_;
  std::deque<std::string> echoes_;  ///< host lines the module may still echo
  std::string command_;             ///< the command line waiting for its final result ("" when none)

  bool refused_seen_ = false;  ///< a refused CONNACK came from the backend (its note then draws nothing)
  bool refresh_posted_ = false;
  std::size_t findings_sent_ = 0;

  std::ostringstream trace_;
  std::optional<trace::recorder> recorder_;
  bool recording_ = true;

  boost::asio::steady_timer timer_;
  bool running_ = false;
  std::shared_ptr<live_feed*> self_;  ///< posted work holds a weak copy: nothing runs once the feed is gone
};

}  // namespace nt35e::web
