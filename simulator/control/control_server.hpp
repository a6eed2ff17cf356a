#pragma once
// The runtime control channel: a TCP server (loopback by default) speaking JSON Lines,
// so that a test in any language can fire fault actions, deliver messages, change the
// network and read the modem's state while a DTE is connected.
//
// Every request is one JSON object on one line ("\n", an optional "\r" before it is
// ignored); every answer is one JSON object on one line with "ok": true/false and, on
// false, "error": one sentence. Requests on one connection are answered in order.
//
//   {"fire": {"action": "drop_link", "id": 0}}     -> {"ok":true,"fired":{"action":"drop_link","id":0}}
//   {"fire": "reboot"}                             -> the same as {"fire": {"action": "reboot"}}
//   {"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 1}}
//                                                  -> fire deliver; {"ok":true,"fired":{...}}
//   {"network": {"registration": "denied"}}        -> lose_registration stat 3
//   {"network": {"registration": "home"}}          -> regain_registration ("by": "500ms" optional)
//                                                     (also: "searching", "none"; +CEREG stats 0-3)
//   {"network": {"rssi": 10, "ber": 0}}            -> set_signal
//   {"network": {"sim": false}}                    -> remove_sim (true: insert_sim)
//                                                  -> {"ok":true,"fired":[{...}, ...]}
//   {"query": "state"}                             -> {"ok":true,"profile":"nt35e","uptime_s":...,
//                                                      "ecmt":[{"id":0,"state":"CONNECTED",...}],
//                                                      "counters":{...}}
//   {"query": "help"}                              -> {"ok":true,"requests":[...],"actions":[...]}
//
// Bad input never stops the simulator: a line that is not JSON, not an object, has an
// unknown key or a bad action gets {"ok":false,"error":...} and the connection stays
// usable; a line longer than max_line bytes gets its error answer and the connection is
// closed; a client leaving mid-line is forgotten (a line counts only once its "\n" has
// arrived); a client that does not read its answers is dropped once max_backlog bytes
// wait for it. Blank lines are ignored.
//
// Thread safety: none; everything runs on the executor given to the constructor, which
// must be the modem's (the session's) executor: requests call the session directly.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "engine/snapshot.hpp"
#include "io/logger.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::io { class session; }

namespace nt35e::control {

/// What the channel drives: the modem's session (see for_session), or a fake in tests.
struct target {
  std::function<engine::snapshot()> snapshot;
  std::function<void(const scenario::action&)> fire;
  int max_id = 4;  ///< highest ECMT id, for range checks of "id"
};

/// The target for a running session; `max_id` is the profile's max_ecmt_id.
target for_session(io::session& session, int max_id);

/// The "query": "state" answer's fields (without "ok"), in the snapshot's order.
nlohmann::ordered_json to_json(const engine::snapshot& s);

/// Answers one request line (without its line end). Never throws; the answer is one
/// line of JSON without a line end. `peer` only names the client in log lines.
std::string handle_request(std::string_view line, const target& t, io::logger* log = nullptr,
                           std::string_view peer = {});

class control_server {
 public:
  /// Longest request line accepted, without its line end.
  static constexpr std::size_t max_line = 64 * 1024;
  /// Answers waiting for a client that does not read; past this it is disconnected.
  static constexpr std::size_t max_backlog = 1024 * 1024;
  /// Clients at once; one more is told so and closed.
  static constexpr std::size_t max_clients = 32;

  control_server(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where, target t, io::logger& log);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  /// Binds and listens; throws io::startup_error (e.g. the port is taken).
  void start();
  /// Closes the listener and every client; safe to call twice.
  void stop();

  /// The endpoint actually listened on (the real port when 0 was asked for).
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }

 private:
  class connection;
  void do_accept();
  void forget(connection* c);

  boost::asio::any_io_executor ex_;
  boost::asio::ip::tcp::endpoint wanted_, bound_;
  boost::asio::ip::tcp::acceptor acceptor_;
  target target_;
  io::logger& log_;
  std::vector<std::shared_ptr<connection>> clients_;
  bool stopped_ = false;
};

}  // namespace nt35e::control
