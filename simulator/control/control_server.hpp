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
//   {"query": "metrics"}                           -> {"ok":true,"modems":1,"counters":{...},
//                                                      "latency":{"at_command":{"count":..,"p50_ms":..},...}}
//   {"query": "help"}                              -> {"ok":true,"requests":[...],"actions":[...]}
//
// Fleet mode (--fleet N): every request above may name a modem, {"modem": 3, "fire": ...},
// {"modem": 3, "query": "state"}; without "modem" it goes to modem 0, except
// {"query": "metrics"}, which then answers the fleet's totals. Fleet-wide events:
//   {"fleet": {"fire": {"action": "drop_link"}, "fraction": 0.3, "seed": 7}}
//                                                  -> a random (seeded) 30 % of the modems
//   {"fleet": {"fire": "reboot", "stagger": "5s"}} -> every modem, spread evenly over 5 s
//   {"fleet": {"fire": {...}, "modems": [0, 5, 7]}} -> those modems
//                                                  -> {"ok":true,"fired":{...},"modems":[...],...}
//   {"query": "fleet"}                             -> size, offset, threads, and per modem its
//                                                     index, IMEI and line
//
// Bad input never stops the simulator: a line that is not JSON, not an object, has an
// unknown key or a bad action gets {"ok":false,"error":...} and the connection stays
// usable; a line longer than max_line bytes gets its error answer and the connection is
// closed; a client leaving mid-line is forgotten (a line counts only once its "\n" has
// arrived); a client that does not read its answers is dropped once max_backlog bytes
// wait for it. Blank lines are ignored.
//
// Thread safety: the server and its connections run on the executor given to the
// constructor. With a single `target`, that must be the modem's (the session's) executor.
// With a `fleet_target`, each modem is reached only through its own executor (a strand):
// requests are posted there and answers posted back, so modems may run on other threads.
// Requests on one connection are still answered one at a time, in order.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "engine/snapshot.hpp"
#include "fleet/metrics.hpp"
#include "io/logger.hpp"
#include "scenario/scenario.hpp"

namespace nt35e::io {
class session;
}

namespace nt35e::control {

/// What the channel drives: the modem's session (see for_session), or a fake in tests.
struct target {
  std::function<engine::snapshot()> snapshot;
  std::function<void(const scenario::action&)> fire;
  int max_id = 4;  ///< highest ECMT id, for range checks of "id"
  /// The modem's metrics ("query": "metrics"); empty: the counters of snapshot() only.
  std::function<fleet::modem_metrics()> metrics;
};

/// The target for a running session; `max_id` is the profile's max_ecmt_id. With
/// `metrics`, the latency histograms it collects are part of "query": "metrics".
target for_session(io::session& session, int max_id, const fleet::line_metrics* metrics = nullptr);

/// One modem of those a control channel drives.
struct modem_entry {
  boost::asio::any_io_executor ex;  ///< the modem's executor: every call of `t` is made there
  target t;
  std::uint64_t index = 0;  ///< global index (--fleet-offset + position)
  std::string imei;
  std::string line;  ///< where its DTE connects, as in the ready line ("tcp 127.0.0.1:5003")
};

/// Everything a control channel drives: one modem, or a fleet (--fleet).
struct fleet_target {
  std::vector<modem_entry> modems;
  bool fleet = false;  ///< fleet mode: "fleet" requests, and "query": "metrics" answers the totals
  std::uint64_t offset = 0;
  unsigned threads = 1;
};

/// The "query": "state" answer's fields (without "ok"), in the snapshot's order.
nlohmann::ordered_json to_json(const engine::snapshot& s);
/// The "query": "metrics" answer's fields (without "ok").
nlohmann::ordered_json to_json(const fleet::modem_metrics& m);

/// Answers one request line (without its line end). Never throws; the answer is one
/// line of JSON without a line end. `peer` only names the client in log lines.
std::string handle_request(std::string_view line, const target& t, io::logger* log = nullptr,
                           std::string_view peer = {});

/// Answers one request line for a fleet (or one modem reached through its executor):
/// checks it at once, then calls `done` with the answer (one line of JSON without a line
/// end), always later and on `reply_ex`, never from inside this call. `stop` set to true
/// cancels fleet events still waiting for their stagger time.
void handle_request_async(std::string_view line, std::shared_ptr<const fleet_target> f,
                          boost::asio::any_io_executor reply_ex, io::logger* log, std::string peer,
                          std::shared_ptr<std::atomic<bool>> stop, std::function<void(std::string)> done);

/// Fires `a` on the modems of `f` at positions `which` (ascending), each on its own
/// executor, spread evenly over `stagger` (scenario::stagger_offset: the first at once,
/// the last after `stagger`). A firing still waiting for its time is dropped once `stop`
/// is true. The control channel's "fleet" requests and the scenario's fleet events
/// (fleet::event_scheduler) both fire this way.
void fire_on_fleet(const std::shared_ptr<const fleet_target>& f, const std::vector<std::size_t>& which,
                   const scenario::action& a, std::chrono::microseconds stagger,
                   const std::shared_ptr<std::atomic<bool>>& stop);

class control_server {
 public:
  /// Longest request line accepted, without its line end.
  static constexpr std::size_t max_line = 64 * 1024;
  /// Answers waiting for a client that does not read; past this it is disconnected.
  static constexpr std::size_t max_backlog = 1024 * 1024;
  /// Clients at once; one more is told so and closed.
  static constexpr std::size_t max_clients = 32;

  /// `t` is called on `ex`, which must be the modem's executor.
  control_server(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where, target t, io::logger& log);
  /// Each modem of `f` is called on its own executor; the server runs on `ex` (its own strand).
  control_server(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint where, fleet_target f,
                 io::logger& log);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  /// Binds and listens; throws io::startup_error (e.g. the port is taken).
  void start();
  /// Closes the listener and every client, and cancels fleet events still waiting for
  /// their stagger time; safe to call twice.
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
  std::shared_ptr<const fleet_target> fleet_;
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  io::logger& log_;
  std::vector<std::shared_ptr<connection>> clients_;
  bool stopped_ = false;
};

}  // namespace nt35e::control
