#pragma once
// A tiny NT35E MQTT driver, the kind of code a team tests against nt35e-sim: it opens the
// module's line (a PTY or a TCP socket), runs the ECMT flow (OPEN, CONN, SUB, PUB), parses
// the URCs, and recovers on its own: an authentication refusal (+ECMTCONN:0,0,5) is
// retried with backoff, a lost link (+ECMTSTAT:0,1) is waited out (the module reconnects
// by itself, spec §7.4) or, when that does not come, reopened; subscriptions are renewed.

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace example {

using namespace std::chrono_literals;

/// The module's line: bytes in and out, lines of text read with a timeout.
class line {
 public:
  static std::unique_ptr<line> open_tcp(const std::string& host, unsigned short port);
  static std::unique_ptr<line> open_pty(const std::string& path);
  ~line();
  void write(const std::string& bytes);
  /// The next non-empty line the module wrote, without CR/LF; nothing after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

 private:
  explicit line(int fd) : fd_(fd) {}
  int fd_;
  std::string buffer_;
};

struct config {
  std::string broker_host = "test.mosquitto.org";
  unsigned short broker_port = 1883;
  std::string client_id = "driver-1";
  std::string user, password;  ///< empty: anonymous
  std::string topic = "example/telemetry";
  std::chrono::milliseconds backoff = 100ms;  ///< first retry delay, doubled each time
  std::chrono::milliseconds max_backoff = 2000ms;
  int max_attempts = 6;                         ///< CONN attempts before giving up
  std::chrono::milliseconds urc_timeout = 10s;  ///< how long any URC is waited for
};

class driver {
 public:
  driver(std::unique_ptr<line> l, config c) : line_(std::move(l)), cfg_(std::move(c)) {}

  /// AT until the module answers, then OPEN, CONN (retried on refusals) and SUB.
  /// False (with last_error()) when the flow could not complete.
  bool start();
  /// Publishes (QoS 1) and waits for +ECMTPUB; recovers a lost link first, as often as needed.
  bool publish(const std::string& payload);
  /// The next message received on the subscription (+ECMTRECV), handling other URCs meanwhile.
  std::optional<std::string> next_message(std::chrono::milliseconds timeout);

  int auth_refusals() const { return auth_refusals_; }
  int link_losses() const { return link_losses_; }
  const std::string& last_error() const { return error_; }

 private:
  /// Sends a command and returns its final result ("OK", "ERROR", "+CME ERROR: 3"), or "".
  std::string command(const std::string& at, std::chrono::milliseconds timeout = 3s);
  /// Waits for a URC beginning with `prefix`, handling the others; "" on timeout, or at
  /// once when `stop_on_loss` and the link was lost (+ECMTSTAT) meanwhile.
  std::string wait_urc(const std::string& prefix, std::chrono::milliseconds timeout, bool stop_on_loss = false);
  /// Files a line that is not the awaited answer: messages, link losses.
  void note_urc(const std::string& l);
  bool connect();  ///< CONN with backoff until +ECMTCONN:0,0,0
  bool subscribe();
  bool recover();  ///< after +ECMTSTAT: wait for the module's reconnect, else reopen
  bool fail(std::string why);

  std::unique_ptr<line> line_;
  config cfg_;
  int msg_id_ = 1;
  int auth_refusals_ = 0, link_losses_ = 0;
  bool link_lost_ = false;
  bool reconnected_ = false;  ///< the module's own reconnect (+ECMTCONN:0,0,0) came after a loss
  std::deque<std::string> messages_;
  std::deque<std::string> pending_;  ///< URCs read while waiting for something else
  std::string error_;
};

}  // namespace example
