#pragma once
// The web view (--web [ADDR:]PORT, docs/web.md): one page served by the simulator itself
// over HTTP/1.1, and a WebSocket that streams the modem's live_feed to it.
//
//   GET /              the page (index.html, app.js, style.css from the web root), full role
//   GET /watch         the same page, watch role: it may not fire faults or type
//   GET /ws            WebSocket: the feed's messages out; the page's requests in
//                      ({"type":"fault","name":"drop_link"}, {"type":"at","line":"AT"},
//                      {"type":"lesson","name":"first-contact"}); /ws?role=watch watches
//   GET /trace.jsonl   the session so far, as a trace file (nt35e-sim report reads it)
//   GET /report.html   the HTML report of the session so far, with the oracle's verdict
//   GET /session.pcapng  the session so far as pcapng for Wireshark (trace/pcap_export)
//   GET /lessons.json  the lessons the page may start
//   GET /fleet         a fleet's grid (fleet.html): every modem in its state's colour,
//                      each opening its own view (/?modem=N)
//   GET /fleet.json    every modem's latest state message, in order
//
// /ws and the downloads take "modem=N" to watch modem N of a fleet (0 without).
//
// Access (io/access_guard, the control channel's rule): loopback needs nothing; with a
// token (--control-token-file, required off loopback), /ws and the downloads need
// "token=TOKEN" in the query or "Authorization: Bearer TOKEN" (the page passes on the
// token of its own address). --web-watch-token-file gives a second token that only
// watches: the instructor keeps the first, the trainees get the second.
//
// Faults go through the control channel's own requests (control/dispatch), so a button
// does exactly what nt35e-ctl does. The console (--web-console) types into the modem as a
// second DTE, only while no driver is attached.
//
// Threads: the server runs on a thread of its own; it reaches the modem only by posting
// to the modem's executor, and the feed reaches a viewer only by posting to the server's.
// Each viewer has a bounded queue that drops its oldest messages (with a marker) when the
// browser does not keep up, so a slow or closed browser never slows the modem.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "control/target.hpp"
#include "io/listener.hpp"
#include "io/logger.hpp"
#include "web/live_feed.hpp"

namespace nt35e::web {

/// One modem as the web view reaches it: every function is called on `ex` only.
struct modem_port {
  boost::asio::any_io_executor ex;
  live_feed* feed = nullptr;
  /// Types bytes into the modem as its DTE would.
  std::function<void(std::string_view)> type;
  /// Whether a driver holds the line (the console is then read-only).
  std::function<bool()> driver_attached;
  /// Starts lesson `name` ("" stops it); an error sentence or "".
  std::function<std::string(const std::string&)> start_lesson;
};

struct web_settings {
  boost::asio::ip::tcp::endpoint where;
  std::string root;                        ///< the folder of index.html, app.js, style.css
  std::optional<std::string> token;        ///< full access; required off loopback
  std::optional<std::string> watch_token;  ///< watching only
  bool console = false;                    ///< --web-console
  std::string lessons_json = "[]";         ///< the lessons' list, as GET /lessons.json serves it
  std::string hello_extra = "{}";          ///< more fields of the hello message (JSON object)
};

class web_server {
 public:
  static constexpr std::size_t max_viewers = 32;
  static constexpr std::size_t max_http_clients = 32;
  static constexpr std::size_t max_header_bytes = 8192;
  /// Longest message a page may send.
  static constexpr std::size_t max_ws_message = 4096;
  /// Messages a viewer may have waiting before the oldest are dropped (more than a feed's
  /// history, so a viewer that arrives late gets all of it).
  static constexpr std::size_t viewer_queue_size = 4096;
  static constexpr std::chrono::seconds request_timeout{10};

  /// Serves `modems` (one, or a fleet's: modem i is `modems[i]`, "?modem=i" on /ws and the
  /// downloads), whose control requests go to `fleet`.
  web_server(web_settings s, std::vector<modem_port> modems, std::shared_ptr<const control::fleet_target> fleet,
             io::logger& log);
  ~web_server();
  web_server(const web_server&) = delete;
  web_server& operator=(const web_server&) = delete;

  /// Binds, listens and starts the server's thread; throws io::startup_error.
  void start();
  /// Closes every client and joins the thread; safe to call twice. Call on the modem's thread.
  void stop();

  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }

  class impl;

 private:
  std::unique_ptr<impl> impl_;
  boost::asio::ip::tcp::endpoint bound_;
};

}  // namespace nt35e::web
