#include "web/web_server.hpp"

#include <atomic>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

#include "control/dispatch.hpp"
#include "io/access_guard.hpp"
#include "io/tcp_transport.hpp"
#include "io/transport.hpp"
#include "trace/pcap_export.hpp"
#include "trace/report_html.hpp"
#include "trace/trace_file.hpp"
#include "web/viewer_queue.hpp"

namespace nt35e::web {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using net::ip::tcp;
using nlohmann::json;

namespace {

enum class role {
  none,   ///< no access: 401
  watch,  ///< sees everything, changes nothing
  full    ///< may fire faults, type and start lessons
};

/// A query parameter's value, percent-decoded ("" when absent).
std::string query_value(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
    std::string out;
    const auto v = pair.substr(eq + 1);
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto hex = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                      : -1;
      };
      if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2])));
        i += 2;
      } else {
        out.push_back(v[i] == '+' ? ' ' : v[i]);
      }
    }
    return out;
  }
  return {};
}

std::string_view content_type_of(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".svg")) return "image/svg+xml";
  if (name.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

/// A page file's name: letters, digits, '-', '_' and one '.', nothing that leaves the root.
bool safe_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.')
      ++dots;
    else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return dots == 1;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The faults the page's buttons fire, as control channel requests (control/protocol.hpp):
/// a button does what nt35e-ctl does. Each entry: its name and the request lines, the
/// second list after `later`.
struct fault_plan {
  std::string_view name;
  std::vector<std::string_view> now;
  std::vector<std::string_view> later;
  std::chrono::seconds after{0};
};

const std::vector<fault_plan>& fault_plans() {
  static const std::vector<fault_plan> plans{
      {"drop_link", {R"({"fire":{"action":"drop_link"}})"}, {}, {}},
      {"refuse_connect", {R"({"fire":{"action":"refuse_connect","code":5}})"}, {}, {}},
      {"broker_down", {R"({"fire":{"action":"broker_down","for":"10s"}})"}, {}, {}},
      {"slow_network", {R"({"fire":{"action":"slow_network","for":"30s","by":"2s"}})"}, {}, {}},
      {"network_down",
       {R"({"network":{"registration":"searching"}})"},
       {R"({"network":{"registration":"home"}})"},
       std::chrono::seconds(10)},
      {"line_noise", {R"({"fire":{"action":"line_noise","for":"5s","percent":20}})"}, {}, {}},
      {"weak_signal",
       {R"({"network":{"rssi":3,"ber":7}})"},
       {R"({"network":{"rssi":20,"ber":0}})"},
       std::chrono::seconds(30)},
      {"reboot", {R"({"fire":"reboot"})"}, {}, {}},
  };
  return plans;
}

}  // namespace

// ---------------------------------------------------------------------------

class web_server::impl {
 public:
  impl(web_settings s, std::vector<modem_port> m, std::shared_ptr<const control::fleet_target> f, io::logger& log)
      : settings_(std::move(s)),
        modems_(std::move(m)),
        fleet_(std::move(f)),
        log_(log),
        acceptor_(ioc_),
        stop_flag_(std::make_shared<std::atomic<bool>>(false)) {}

  class http_client;
  class viewer;

  role role_of(std::string_view target, const http::request<http::empty_body>& req, bool watch_path) const {
    std::string given = query_value(target, "token");
    if (given.empty())
      if (auto it = req.find(http::field::authorization); it != req.end()) given = io::bearer_token(it->value());
    if (!settings_.token && !settings_.watch_token) return watch_path ? role::watch : role::full;
    if (given.empty()) return role::none;
    if (settings_.token && io::constant_time_equal(*settings_.token, given))
      return watch_path ? role::watch : role::full;
    if (settings_.watch_token && io::constant_time_equal(*settings_.watch_token, given)) return role::watch;
    return role::none;
  }

  void do_accept();
  void forget_http(http_client* c);
  void forget_viewer(viewer* v);

  web_settings settings_;
  std::vector<modem_port> modems_;  ///< modem i of the fleet (one for a single modem)

  /// The modem a request names ("modem=N" in the query; 0 without), if there is one.
  const modem_port* port_of(std::string_view target) const {
    const auto v = query_value(target, "modem");
    if (v.empty()) return &modems_.front();
    std::size_t n = 0;
    for (char c : v) {
      if (c < '0' || c > '9' || n > modems_.size()) return nullptr;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n < modems_.size() ? &modems_[n] : nullptr;
  }
  std::shared_ptr<const control::fleet_target> fleet_;
  io::logger& log_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<std::shared_ptr<http_client>> clients_;
  std::vector<std::shared_ptr<viewer>> viewers_;
  io::refusal_episode refused_, unauthorized_;
  std::shared_ptr<std::atomic<bool>> stop_flag_;
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------
// A viewer: one WebSocket.

class web_server::impl::viewer final : public std::enable_shared_from_this<viewer> {
 public:
  viewer(beast::tcp_stream stream, impl& owner, const modem_port& port, role r, std::string peer)
      : ws_(std::move(stream)),
        owner_(&owner),
        port_(&port),
        role_(r),
        peer_(std::move(peer)),
        queue_(viewer_queue_size) {}

  void start(http::request<http::empty_body> req) {
    // A small kernel send buffer: what a browser has not read waits in our bounded queue
    // (dropped oldest first, with a marker), not in megabytes of socket buffer.
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(net::socket_base::send_buffer_size(64 * 1024), ignored);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(max_ws_message);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "nt35e-sim"); }));
    ws_.async_accept(req, [self = shared_from_this()](const beast::error_code& ec) {
      if (ec) return self->finish();
      self->on_open();
    });
  }

  void close() {
    if (!owner_) return;
    owner_ = nullptr;
    unsubscribe();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  /// A message from the feed, on the server's thread.
  void deliver(const live_feed::message& m) {
    if (!owner_) return;
    queue_.push(m);
    if (!writing_) write_next();
  }

 private:
  void on_open() {
    if (!owner_) return;
    owner_->log_.log(io::log_level::info,
                     "web viewer " + peer_ + " connected (" + (role_ == role::full ? "full" : "watching") + ")");
    json hello = json::parse(owner_->settings_.hello_extra, nullptr, false);
    if (!hello.is_object()) hello = json::object();
    hello["type"] = "hello";
    hello["role"] = role_ == role::full ? "full" : "watch";
    hello["console"] = owner_->settings_.console && role_ == role::full;
    hello["states"] = ecmt_states();
    hello["modem"] = static_cast<std::size_t>(port_ - owner_->modems_.data());
    hello["modems"] = owner_->modems_.size();
    json faults = json::array();
    for (const auto& p : fault_plans()) faults.push_back(p.name);
    hello["faults"] = role_ == role::full ? faults : json::array();
    deliver(std::make_shared<const std::string>(hello.dump()));
    subscribe();
    do_read();
  }

  void subscribe() {
    // The feed lives on the modem's thread: subscribe there; each message comes back here.
    auto web_ex = owner_->ioc_.get_executor();
    auto* feed = port_->feed;
    auto modem_ex = port_->ex;
    std::weak_ptr<viewer> weak = shared_from_this();
    net::post(modem_ex, [feed, web_ex, weak, modem_ex] {
      const auto handle = feed->subscribe([web_ex, weak](const live_feed::message& m) {
        net::post(web_ex, [weak, m] {
          if (auto v = weak.lock()) v->deliver(m);
        });
      });
      net::post(web_ex, [weak, handle, feed, modem_ex] {
        auto v = weak.lock();
        if (v && v->owner_) {
          v->handle_ = handle;
          return;
        }
        // Gone before the subscription came back: undo it.
        net::post(modem_ex, [feed, handle] { feed->unsubscribe(handle); });
      });
    });
  }

  void unsubscribe() {
    if (!handle_ || !owner_) return;
    auto* feed = port_->feed;
    net::post(port_->ex, [feed, h = *handle_] { feed->unsubscribe(h); });
    handle_.reset();
  }

  void write_next() {
    auto next = queue_.pop([](std::uint64_t n) { return dropped_message(n); });
    if (!next) {
      writing_ = false;
      return;
    }
    writing_ = true;
    current_ = std::move(*next);
    ws_.text(true);
    ws_.async_write(net::buffer(*current_), [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
      if (ec) return self->finish();
      self->write_next();
    });
  }

  void do_read() {
    ws_.async_read(in_, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
      if (ec) {
        if (ec == websocket::error::message_too_big && self->owner_)
          self->owner_->log_.log(io::log_level::info, "web viewer " + self->peer_ + ": a message longer than " +
                                                          std::to_string(max_ws_message) + " bytes; closed");
        return self->finish();
      }
      const auto text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      self->handle(text);
      if (self->owner_) self->do_read();
    });
  }

  void reply(bool ok, const std::string& what, const std::string& text) {
    deliver(
        std::make_shared<const std::string>(json{{"type", "reply"}, {"ok", ok}, {"what", what}, {"text", text}}.dump(
            -1, ' ', false, json::error_handler_t::replace)));
  }

  void handle(const std::string& text) {
    const auto j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
      return reply(false, "request", "not understood: send a JSON object with a \"type\"");
    const auto type = j["type"].get<std::string>();
    if (type == "ping") return reply(true, "ping", "pong");
    if (role_ != role::full)
      return reply(false, type, "this page only watches: faults, the console and lessons need the instructor's page");
    auto str = [&](const char* key) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
    };
    if (type == "fault") return fault(str("name"));
    if (type == "at") return console(str("line"));
    if (type == "lesson") return lesson(str("name"));
    reply(false, type, "unknown request \"" + type + "\"; the page sends fault, at, lesson or ping");
  }

  void fault(const std::string& name) {
    const fault_plan* plan = nullptr;
    for (const auto& p : fault_plans())
      if (p.name == name) plan = &p;
    if (!plan) return reply(false, "fault", "no fault is called \"" + name.substr(0, 64) + "\"");
    owner_->log_.log(io::log_level::info, "web viewer " + peer_ + ": fault " + name);
    for (auto line : plan->now) send_control(std::string(line), name);
    if (plan->later.empty()) return;
    auto timer = std::make_shared<net::steady_timer>(owner_->ioc_, plan->after);
    timer->async_wait([self = shared_from_this(), timer, plan, name](const beast::error_code& ec) {
      if (ec || !self->owner_) return;
      for (auto line : plan->later) self->send_control(std::string(line), name + " (end)");
    });
  }

  void send_control(std::string line, std::string name) {
    // In a fleet the request names the modem this page watches (modem 0 otherwise).
    if (owner_->fleet_->fleet)
      line = "{\"modem\":" + std::to_string(port_ - owner_->modems_.data()) + "," + line.substr(1);
    control::handle_request_async(line, owner_->fleet_, owner_->ioc_.get_executor(), &owner_->log_,
                                  "web viewer " + peer_, owner_->stop_flag_,
                                  [self = shared_from_this(), name](std::string answer) {
                                    const auto a = json::parse(answer, nullptr, false);
                                    const bool ok = a.is_object() && a.value("ok", false);
                                    self->reply(ok, "fault", ok ? name : a.value("error", answer));
                                  });
  }

  void console(std::string line) {
    if (!owner_->settings_.console) return reply(false, "at", "the console is off: start nt35e-sim with --web-console");
    if (line.size() > 1024) return reply(false, "at", "a console line is at most 1024 characters");
    for (char c : line)
      if (c == '\r' || c == '\n') return reply(false, "at", "one line at a time, without line ends");
    auto m = *port_;
    net::post(m.ex, [m, line, self = shared_from_this(), web_ex = owner_->ioc_.get_executor()] {
      const bool busy = m.driver_attached && m.driver_attached();
      if (!busy) m.type(line + "\r");
      net::post(web_ex, [self, busy] {
        if (busy) self->reply(false, "at", "a driver is attached to the line: the console only watches while it is");
      });
    });
  }

  void lesson(std::string name) {
    auto m = *port_;
    if (!m.start_lesson) return reply(false, "lesson", "lessons are not available here");
    net::post(m.ex, [m, name, self = shared_from_this(), web_ex = owner_->ioc_.get_executor()] {
      auto error = m.start_lesson(name);
      net::post(web_ex, [self, error, name] { self->reply(error.empty(), "lesson", error.empty() ? name : error); });
    });
  }

  void finish() {
    if (auto* owner = std::exchange(owner_, nullptr)) {
      owner_ = owner;  // unsubscribe needs it
      unsubscribe();
      owner_ = nullptr;
      owner->log_.log(io::log_level::info, "web viewer " + peer_ + " left");
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      owner->forget_viewer(this);
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  impl* owner_;
  const modem_port* port_;  ///< the modem it watches
  role role_;
  std::string peer_;
  viewer_queue queue_;
  live_feed::message current_;
  bool writing_ = false;
  beast::flat_buffer in_;
  std::optional<std::uint64_t> handle_;
};

// ---------------------------------------------------------------------------
// An HTTP client: pages, downloads, and the upgrade to a viewer.

class web_server::impl::http_client final : public std::enable_shared_from_this<http_client> {
 public:
  http_client(tcp::socket socket, impl& owner) : stream_(std::move(socket)), owner_(&owner) {
    boost::system::error_code ignored;
    peer_ = io::to_string(stream_.socket().remote_endpoint(ignored));
  }
  const std::string& peer() const { return peer_; }
  void start() { do_read(); }
  void refuse_busy() { respond(http::status::service_unavailable, "too many web clients at once; try again\n", true); }
  void close() {
    owner_ = nullptr;
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(max_header_bytes));
    parser_->body_limit(0);
    stream_.expires_after(request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const beast::error_code& ec) {
    if (!owner_) return;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) return finish();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return fail(http::status::request_header_fields_too_large, "the request header is too long");
    if (ec == http::error::unexpected_body || ec == http::error::body_limit)
      return fail(http::status::payload_too_large, "this endpoint takes no request body");
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())
      return fail(http::status::bad_request, "not an HTTP/1.1 request");
    if (ec) return finish();
    handle(parser_->release());
  }

  void handle(http::request<http::empty_body> req) {
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get) {
      return respond(http::status::method_not_allowed, "only GET is served here\n", true);
    }
    auto& o = *owner_;
    if (path == "/ws" || path == "/ws/watch") {
      if (!websocket::is_upgrade(req)) return respond(http::status::bad_request, "/ws is a WebSocket\n", true);
      const bool watch_path = path == "/ws/watch" || query_value(target, "role") == "watch";
      const auto r = o.role_of(target, req, watch_path);
      if (r == role::none) return unauthorized();
      const auto* port = o.port_of(target);
      if (!port) return respond(http::status::not_found, "no such modem\n", true);
      if (o.viewers_.size() >= max_viewers) {
        if (o.refused_.count())
          o.log_.log(io::log_level::warn, "web viewer " + peer_ + " refused: too many viewers (at most " +
                                              std::to_string(max_viewers) + "); further refusals are counted");
        return respond(http::status::service_unavailable,
                       "too many viewers (at most " + std::to_string(max_viewers) + " at once)\n", true);
      }
      if (auto n = o.refused_.end())
        o.log_.log(io::log_level::warn, std::to_string(n) + " web viewers were refused in all");
      stream_.expires_never();
      auto v = std::make_shared<viewer>(std::move(stream_), o, *port, r, peer_);
      o.viewers_.push_back(v);
      v->start(std::move(req));
      auto* owner = std::exchange(owner_, nullptr);
      owner->forget_http(this);
      return;
    }
    if (path == "/" || path == "/index.html" || path == "/watch") return file("index.html");
    if (path == "/trace.jsonl" || path == "/report.html" || path == "/session.pcapng") {
      if (o.role_of(target, req, false) == role::none) return unauthorized();
      const auto* port = o.port_of(target);
      if (!port) return respond(http::status::not_found, "no such modem\n", false);
      return download(*port, path == "/trace.jsonl"   ? product::trace
                             : path == "/report.html" ? product::report
                                                      : product::pcap);
    }
    if (path == "/fleet.json") {
      if (o.role_of(target, req, false) == role::none) return unauthorized();
      return fleet_states();
    }
    if (path == "/fleet") return file("fleet.html");
    if (path == "/lessons.json") return respond(http::status::ok, o.settings_.lessons_json, false, "application/json");
    if (path.size() > 1 && safe_name(std::string_view(path).substr(1))) return file(path.substr(1));
    respond(http::status::not_found, "not found\n", false);
  }

  void file(const std::string& name) {
    auto body = read_file(owner_->settings_.root + "/" + name);
    if (!body) return respond(http::status::not_found, "not found\n", false);
    respond(http::status::ok, std::move(*body), false, content_type_of(name));
  }

  enum class product {
    trace,   ///< the recording as it is
    report,  ///< its HTML report, with the verdict
    pcap     ///< its pcapng (trace/pcap_export)
  };

  /// [state message of modem 0, of modem 1, ...]: each read on its own modem's executor.
  void fleet_states() {
    struct gathering {
      std::vector<std::string> states;
      std::size_t left;
    };
    const auto& modems = owner_->modems_;
    auto g = std::make_shared<gathering>(gathering{std::vector<std::string>(modems.size()), modems.size()});
    auto web_ex = owner_->ioc_.get_executor();
    for (std::size_t i = 0; i < modems.size(); ++i) {
      auto* feed = modems[i].feed;
      net::post(modems[i].ex, [feed, i, g, web_ex, self = shared_from_this()] {
        auto state = feed->sticky("state");
        net::post(web_ex, [g, i, self, state = std::move(state)] {
          g->states[i] = state.empty() ? "null" : state;
          if (--g->left != 0 || !self->owner_) return;
          std::string body = "[";
          for (std::size_t k = 0; k < g->states.size(); ++k) body += (k ? "," : "") + g->states[k];
          self->respond(http::status::ok, body + "]", false, "application/json");
        });
      });
    }
  }

  void download(const modem_port& port, product what) {
    // The recording lives on the modem's thread: copy it there, render it here.
    auto* feed = port.feed;
    auto web_ex = owner_->ioc_.get_executor();
    net::post(port.ex, [feed, web_ex, what, self = shared_from_this()] {
      auto text = feed->trace_text();
      auto verdict = feed->verdict();
      net::post(web_ex, [self, what, text = std::move(text), verdict = std::move(verdict)] {
        if (!self->owner_) return;
        if (what == product::trace)
          return self->respond(http::status::ok, text, false, "application/x-ndjson", "session.jsonl");
        auto parsed = trace::parse(text, "session");
        if (auto* bad = std::get_if<trace::load_error>(&parsed))
          return self->respond(http::status::internal_server_error,
                               "the recording does not read back: " + bad->message + "\n", false);
        if (what == product::pcap)
          return self->respond(http::status::ok, trace::to_pcapng(std::get<trace::trace>(parsed)), false,
                               "application/vnd.tcpdump.pcap", "session.pcapng");
        trace::report_options o;
        o.title = "live session";
        if (verdict) o.verdict = &*verdict;
        self->respond(http::status::ok, trace::render_report(std::get<trace::trace>(parsed), o), false,
                      "text/html; charset=utf-8", "session.html");
      });
    });
  }

  void unauthorized() {
    auto& o = *owner_;
    if (o.unauthorized_.count())
      o.log_.log(io::log_level::warn,
                 "web client " + peer_ + ": refused: no or wrong token; further refusals are counted");
    respond(http::status::unauthorized,
            "this view needs a token: open it as /?token=TOKEN with the token of --control-token-file "
            "(or of --web-watch-token-file to watch)\n",
            true);
  }

  void fail(http::status status, const std::string& why) {
    version_ = 11;
    respond(status, why + "\n", true);
  }

  void respond(http::status status, std::string body, bool close, std::string_view type = "text/plain; charset=utf-8",
               std::string_view attachment = {}) {
    res_ = {};
    res_.result(status);
    res_.version(version_ == 10 ? 10 : 11);
    res_.set(http::field::server, "nt35e-sim");
    res_.set(http::field::content_type, type);
    res_.set(http::field::cache_control, "no-store");
    if (!attachment.empty())
      res_.set(http::field::content_disposition, "attachment; filename=\"" + std::string(attachment) + "\"");
    res_.body() = std::move(body);
    res_.prepare_payload();
    res_.keep_alive(keep_alive_ && !close);
    stream_.expires_after(request_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
      if (!self->owner_) return;
      if (ec || !self->res_.keep_alive()) {
        boost::system::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return self->finish();
      }
      self->do_read();
    });
  }

  void finish() {
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
    if (auto* owner = std::exchange(owner_, nullptr)) owner->forget_http(this);
  }

  beast::tcp_stream stream_;
  impl* owner_;
  std::string peer_;
  beast::flat_buffer buffer_{max_header_bytes + 1024};
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> res_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
};

void web_server::impl::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopped_) return;
    if (!ec) {
      auto c = std::make_shared<http_client>(std::move(socket), *this);
      clients_.push_back(c);
      if (clients_.size() > max_http_clients)
        c->refuse_busy();
      else
        c->start();
    }
    do_accept();
  });
}

void web_server::impl::forget_http(http_client* c) {
  std::erase_if(clients_, [c](const auto& p) { return p.get() == c; });
}

void web_server::impl::forget_viewer(viewer* v) {
  std::erase_if(viewers_, [v](const auto& p) { return p.get() == v; });
}

// ---------------------------------------------------------------------------

web_server::web_server(web_settings s, std::vector<modem_port> modems,
                       std::shared_ptr<const control::fleet_target> fleet, io::logger& log)
    : impl_(std::make_unique<impl>(std::move(s), std::move(modems), std::move(fleet), log)) {}

web_server::~web_server() { stop(); }

void web_server::start() {
  auto& i = *impl_;
  if (auto refusal =
          io::listener_refusal("--web", i.settings_.where, i.settings_.token.has_value(), "--control-token-file");
      !refusal.empty())
    throw io::startup_error(refusal);
  bound_ = io::open_listener(i.acceptor_, i.settings_.where, "--web: ");
  i.log_.log(io::log_level::info, "web view on http://" + io::to_string(bound_) + "/");
  i.do_accept();
  i.thread_ = std::thread([&i] { i.ioc_.run(); });
}

void web_server::stop() {
  auto& i = *impl_;
  if (!i.thread_.joinable()) return;  // never started, or stopped already
  i.stop_flag_->store(true);
  net::post(i.ioc_, [&i] {
    i.stopped_ = true;
    boost::system::error_code ignored;
    i.acceptor_.close(ignored);
    for (auto& c : std::exchange(i.clients_, {})) c->close();
    for (auto& v : std::exchange(i.viewers_, {})) v->close();
    i.ioc_.stop();
  });
  i.thread_.join();
}

}  // namespace nt35e::web
