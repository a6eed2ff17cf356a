#include "control/control_server.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "io/session.hpp"
#include "io/tcp_transport.hpp"
#include "io/transport.hpp"
#include "scenario/json_loader.hpp"

namespace nt35e::control {

namespace net = boost::asio;
using net::ip::tcp;
using nlohmann::json;
/// Answers keep their keys in the order written ("ok" first).
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------
// Requests

namespace {

/// Thrown inside the request handler: becomes {"ok":false,"error":sentence}.
struct request_error {
  std::string sentence;
};

[[noreturn]] void fail(std::string sentence) { throw request_error{std::move(sentence)}; }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

std::string as_json_string(std::string_view s) {
  json j = std::string(s);
  return dump(j);
}

/// Deepest nesting a request may have (the real ones need 3).
constexpr int max_depth = 32;

const std::vector<std::string> request_keys = {"fire", "deliver", "network", "query"};
const std::vector<std::string> network_keys = {"registration", "by", "rssi", "ber", "rsrq", "rsrp", "sim"};
const std::vector<std::string> query_names = {"state", "help"};

/// Edits (insert, delete, replace, swap two neighbours) from a to b, ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

/// " (did you mean \"fire\"?)" when a known name is close, else "".
std::string hint(std::string_view got, const std::vector<std::string>& known) {
  if (got.size() > 64) return {};  // keys are short; do not spend time on a long one
  const std::string* best = nullptr;
  std::size_t best_d = 0;
  for (const auto& k : known) {
    auto d = edit_distance(got, k);
    if (!best || d < best_d) best = &k, best_d = d;
  }
  if (best && best_d <= std::max<std::size_t>(1, best->size() / 3)) return " (did you mean \"" + *best + "\"?)";
  return {};
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

json parse(std::string_view line) {
  int deepest = 0;
  json::parser_callback_t watch = [&deepest](int depth, json::parse_event_t, json&) {
    deepest = std::max(deepest, depth);
    return true;
  };
  json j;
  try {
    j = json::parse(line.begin(), line.end(), watch);
  } catch (const json::parse_error& e) {
    fail("the request is not valid JSON (syntax error at byte " + std::to_string(e.byte) +
         "); send one JSON object per line, such as {\"query\":\"help\"}");
  }
  if (deepest > max_depth) fail("the request is nested more than " + std::to_string(max_depth) + " levels deep");
  return j;
}

/// The action in `spec` (an object as in a scenario's "then"), checked by the loader.
scenario::action checked_action(const json& spec, const std::string& path, const target& t) {
  auto parsed = scenario::action_from_json(spec, path, t.max_id);
  if (auto* d = std::get_if<scenario::diagnostic>(&parsed)) fail(scenario::format(*d));
  return std::get<scenario::action>(std::move(parsed));
}

void log_line(io::logger* log, io::log_level level, std::string_view peer, const std::string& text) {
  if (log) log->log(level, "control " + std::string(peer) + ": " + text);
}

ojson fire_all(const std::vector<scenario::action>& actions, const target& t, io::logger* log, std::string_view peer) {
  ojson fired = ojson::array();
  for (const auto& a : actions) {
    ojson j = scenario::to_json(a);
    log_line(log, io::log_level::info, peer, "fire " + dump(j));
    if (!t.fire) fail("the modem is not running; nothing was fired");
    t.fire(a);
    fired.push_back(std::move(j));
  }
  return fired;
}

ojson on_fire(const json& value, const target& t, io::logger* log, std::string_view peer) {
  json spec;
  if (value.is_string())
    spec = json{{"action", value}};
  else if (value.is_object())
    spec = value;
  else
    fail("\"fire\" expects an object such as {\"action\":\"drop_link\",\"id\":0}, not " + type_name(value));
  auto action = checked_action(spec, "/fire", t);
  auto fired = fire_all({action}, t, log, peer);
  return ojson{{"ok", true}, {"fired", fired.at(0)}};
}

ojson on_deliver(const json& value, const target& t, io::logger* log, std::string_view peer) {
  if (!value.is_object())
    fail("\"deliver\" expects an object such as {\"id\":0,\"topic\":\"t\",\"payload\":\"p\",\"qos\":1}, not " +
         type_name(value));
  json spec = value;
  if (auto it = spec.find("action"); it != spec.end() && *it != "deliver")
    fail("\"deliver\" is a shortcut for the deliver action; use {\"fire\": {...}} for other actions");
  spec["action"] = "deliver";
  auto action = checked_action(spec, "/deliver", t);
  auto fired = fire_all({action}, t, log, peer);
  return ojson{{"ok", true}, {"fired", fired.at(0)}};
}

/// The action spec for a registration value, named as in a scenario's network.registration.
json registration_spec(const json& value) {
  static const std::vector<std::string> names = {"home", "searching", "denied", "none"};
  std::optional<int> stat;
  if (value.is_number_integer()) {
    stat = value.get<int>();
  } else if (value.is_string()) {
    auto s = value.get<std::string>();
    if (s == "home" || s == "registered") stat = 1;
    else if (s == "searching") stat = 2;
    else if (s == "denied") stat = 3;
    else if (s == "none" || s == "not_registered") stat = 0;
    else if (s == "roaming") stat = 5;
    else
      fail("network.registration " + as_json_string(s) + " is not one of home (registered again), searching, denied or none" +
           hint(s, names));
  } else {
    fail("network.registration expects home, searching, denied, none or a +CEREG stat, not " + type_name(value));
  }
  switch (*stat) {
    case 1: return json{{"action", "regain_registration"}};
    case 0:
    case 2:
    case 3: return json{{"action", "lose_registration"}, {"stat", *stat}};
    case 5:
      fail("network.registration: the module registers again with its profile's result, which a running modem "
           "cannot change; give the scenario \"network\": {\"registration\": \"roaming\"} instead");
    default:
      fail("network.registration " + std::to_string(*stat) +
           " is not a +CEREG stat the network can give (0, 1, 2 or 3)");
  }
}

ojson on_network(const json& value, const target& t, io::logger* log, std::string_view peer) {
  if (!value.is_object() || value.empty())
    fail("\"network\" expects an object such as {\"registration\":\"denied\"} or {\"rssi\":10}");
  for (const auto& [key, v] : value.items()) {
    if (std::find(network_keys.begin(), network_keys.end(), key) == network_keys.end())
      fail("network has no field " + as_json_string(key) + hint(key, network_keys) + "; use " + list(network_keys));
  }
  std::vector<json> specs;
  if (auto it = value.find("sim"); it != value.end()) {
    if (!it->is_boolean()) fail("network.sim expects true (insert the SIM) or false (remove it), not " + type_name(*it));
    specs.push_back(json{{"action", it->get<bool>() ? "insert_sim" : "remove_sim"}});
  }
  if (auto it = value.find("registration"); it != value.end()) {
    json spec = registration_spec(*it);
    if (auto by = value.find("by"); by != value.end()) {
      if (spec["action"] != "regain_registration")
        fail("network.by (how long until the module registers again) goes only with \"registration\": \"home\"");
      spec["by"] = *by;
    }
    specs.push_back(std::move(spec));
  } else if (value.contains("by")) {
    fail("network.by goes only with \"registration\": \"home\"");
  }
  json signal = {{"action", "set_signal"}};
  for (const char* key : {"rssi", "ber", "rsrq", "rsrp"})
    if (auto it = value.find(key); it != value.end()) signal[key] = *it;
  if (signal.size() > 1) specs.push_back(std::move(signal));

  // Check everything before firing anything: a bad field changes nothing.
  std::vector<scenario::action> actions;
  for (const auto& spec : specs) actions.push_back(checked_action(spec, "/network", t));
  return ojson{{"ok", true}, {"fired", fire_all(actions, t, log, peer)}};
}

ojson help() {
  json requests = ojson::array({
      ojson{{"request", R"({"fire": {"action": "drop_link", "id": 0}})"},
           {"does", "carries out one action now, as a scenario rule would; the fields are those of a rule's \"then\" "
                    "entry (id, code, by, text, hex, pattern, topic, payload, qos, retain, stat, rssi, ber, rsrq, rsrp, keep)"}},
      ojson{{"request", R"({"fire": "reboot"})"}, {"does", "an action without fields"}},
      ojson{{"request", R"({"deliver": {"id": 0, "topic": "t", "payload": "p", "qos": 1}})"},
           {"does", "an incoming PUBLISH on id (the deliver action)"}},
      ojson{{"request", R"({"network": {"registration": "denied"}})"},
           {"does", "loses registration (searching, denied, none) or regains it (home, with an optional "
                    "\"by\": \"500ms\")"}},
      ojson{{"request", R"({"network": {"rssi": 10, "ber": 0, "rsrq": 20, "rsrp": 46}})"},
           {"does", "changes the signal (set_signal)"}},
      ojson{{"request", R"({"network": {"sim": false})"}, {"does", "removes (false) or inserts (true) the SIM"}},
      ojson{{"request", R"({"query": "state"})"},
           {"does", "the modem's state: profile, uptime_s, booting, cfun, registration, sim, pdp_active, rssi, "
                    "ecmt (per id: state, host, port, subscriptions), counters"}},
      ojson{{"request", R"({"query": "help"})"}, {"does", "this list"}},
  });
  return ojson{{"ok", true},
              {"requests", requests},
              {"actions", scenario::action_names()},
              {"registration", {"home", "searching", "denied", "none"}}};
}

ojson on_query(const json& value, const target& t) {
  if (!value.is_string()) fail("\"query\" expects \"state\" or \"help\", not " + type_name(value));
  auto what = value.get<std::string>();
  if (what == "help") return help();
  if (what != "state") fail("unknown query " + as_json_string(what) + hint(what, query_names) + "; use \"state\" or \"help\"");
  if (!t.snapshot) fail("the modem is not running");
  ojson answer = {{"ok", true}};
  const ojson state = to_json(t.snapshot());
  for (auto it = state.begin(); it != state.end(); ++it) answer[it.key()] = it.value();
  return answer;
}

ojson answer_for(std::string_view line, const target& t, io::logger* log, std::string_view peer) {
  json request = parse(line);
  if (!request.is_object())
    fail("the request must be a JSON object such as {\"query\":\"state\"}, not " + type_name(request));
  if (request.empty()) fail("the request is an empty object; use one of " + list(request_keys));
  if (request.size() > 1) {
    std::vector<std::string> keys;
    for (const auto& [key, v] : request.items()) keys.push_back(as_json_string(key));
    fail("one request per line, but this one has " + list(keys) + "; send them on separate lines");
  }
  const auto first = request.begin();
  const std::string key = first.key();
  const json& value = first.value();
  if (key == "fire") return on_fire(value, t, log, peer);
  if (key == "deliver") return on_deliver(value, t, log, peer);
  if (key == "network") return on_network(value, t, log, peer);
  if (key == "query") return on_query(value, t);
  fail("unknown request " + as_json_string(key) + hint(key, request_keys) + "; use one of " + list(request_keys));
}

}  // namespace

nlohmann::ordered_json to_json(const engine::snapshot& s) {
  ojson ecmt = ojson::array();
  for (const auto& e : s.ecmt) {
    ojson subs = ojson::array();
    for (const auto& [topic, qos] : e.subscriptions) subs.push_back(ojson{{"topic", topic}, {"qos", qos}});
    ecmt.push_back(ojson{{"id", e.id}, {"state", e.state}, {"host", e.host}, {"port", e.port}, {"subscriptions", subs}});
  }
  const auto& c = s.count;
  return ojson{{"profile", s.profile},
              {"uptime_s", s.uptime_s},
              {"booting", s.booting},
              {"cfun", s.cfun},
              {"registration", s.registration},
              {"sim", s.sim},
              {"pdp_active", s.pdp_active},
              {"rssi", s.rssi},
              {"ecmt", ecmt},
              {"counters",
               {{"commands", c.commands},
                {"errors", c.errors},
                {"urcs", c.urcs},
                {"bytes_in", c.bytes_in},
                {"bytes_out", c.bytes_out},
                {"mqtt_requests", c.mqtt_requests},
                {"mqtt_events", c.mqtt_events},
                {"publishes", c.publishes},
                {"messages", c.messages},
                {"reconnects", c.reconnects},
                {"faults", c.faults}}}};
}

std::string handle_request(std::string_view line, const target& t, io::logger* log, std::string_view peer) {
  ojson answer;
  try {
    answer = answer_for(line, t, log, peer);
  } catch (const request_error& e) {
    log_line(log, io::log_level::warn, peer, "refused: " + e.sentence);
    answer = ojson{{"ok", false}, {"error", e.sentence}};
  } catch (const std::exception& e) {
    log_line(log, io::log_level::error, peer, std::string("internal error: ") + e.what());
    answer = ojson{{"ok", false}, {"error", std::string("internal error while handling the request: ") + e.what()}};
  } catch (...) {
    log_line(log, io::log_level::error, peer, "internal error");
    answer = ojson{{"ok", false}, {"error", "internal error while handling the request"}};
  }
  return dump(answer);
}

target for_session(io::session& session, int max_id) {
  target t;
  t.snapshot = [&session] { return session.snapshot(); };
  t.fire = [&session](const scenario::action& a) { session.fire(a); };
  t.max_id = max_id;
  return t;
}

// ---------------------------------------------------------------------------
// Connections

class control_server::connection final : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, control_server& owner)
      : socket_(std::move(socket)), owner_(&owner), linger_(socket_.get_executor()) {
    boost::system::error_code ignored;
    peer_ = io::to_string(socket_.remote_endpoint(ignored));
    socket_.set_option(tcp::no_delay(true), ignored);
  }

  const std::string& peer() const { return peer_; }

  void start() { do_read(); }

  /// Sends one answer, then closes gracefully (used for refusals).
  void refuse(const std::string& sentence) {
    send(dump(ojson{{"ok", false}, {"error", sentence}}));
    closing_ = true;
    maybe_finish_closing();
  }

  /// Closes now, without telling the owner (it is the one asking).
  void close() {
    owner_ = nullptr;
    boost::system::error_code ignored;
    linger_.cancel();
    socket_.close(ignored);
  }

 private:
  void do_read() {
    socket_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                              std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (!owner_ || closing_) return;
    if (ec) {
      if (!partial_.empty())
        log(io::log_level::info, "left in the middle of a line (" + std::to_string(partial_.size()) +
                                     " bytes ignored)");
      else
        log(io::log_level::debug, ec == net::error::eof ? "disconnected" : "disconnected (" + ec.message() + ")");
      return finish();
    }
    partial_.append(buffer_.data(), n);
    std::size_t start = 0;
    for (;;) {
      auto nl = partial_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(partial_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > max_line) return too_long();
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank
      log(io::log_level::debug, "-> " + io::escape_bytes(line));
      send(handle_request(line, owner_->target_, &owner_->log_, "client " + peer_));
      if (!owner_ || closing_) return;  // the request stopped the server, or the client was dropped
    }
    partial_.erase(0, start);
    if (partial_.size() > max_line + 1) return too_long();
    do_read();
  }

  void too_long() {
    log(io::log_level::warn, "sent a line longer than " + std::to_string(max_line) + " bytes; closing");
    partial_.clear();
    refuse("the request line is longer than " + std::to_string(max_line) +
           " bytes; the connection is closed");
  }

  void send(std::string answer) {
    if (queue_.size() + answer.size() > max_backlog) {
      log(io::log_level::warn, "does not read its answers; disconnecting");
      return finish();
    }
    queue_ += answer;
    queue_ += '\n';
    do_write();
  }

  void do_write() {
    if (writing_ || queue_.empty() || !socket_.is_open()) return;
    writing_ = true;
    in_flight_.swap(queue_);
    queue_.clear();
    net::async_write(socket_, net::buffer(in_flight_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       self->writing_ = false;
                       self->in_flight_.clear();
                       if (ec) {
                         if (ec != net::error::operation_aborted && self->owner_)
                           self->log(io::log_level::debug, "write failed: " + ec.message());
                         return self->finish();
                       }
                       self->do_write();
                       self->maybe_finish_closing();
                     });
  }

  /// Once a refusal is written: stop sending and drain what the client still sends for
  /// a moment (closing with unread input would reset the connection and could lose it).
  void maybe_finish_closing() {
    if (!closing_ || writing_ || !queue_.empty() || draining_) return;
    draining_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    linger_.expires_after(std::chrono::seconds(2));
    linger_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish();
    });
    drain();
  }

  void drain() {
    socket_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                              std::size_t n) {
      self->drained_ += n;
      // A client that keeps sending is not worth more of the modem's thread.
      if (ec || self->drained_ > max_line) return self->finish();
      self->drain();
    });
  }

  /// Closes and tells the owner once.
  void finish() {
    boost::system::error_code ignored;
    linger_.cancel();
    socket_.close(ignored);
    if (auto* owner = std::exchange(owner_, nullptr)) owner->forget(this);
  }

  void log(io::log_level level, const std::string& text) {
    if (owner_) owner_->log_.log(level, "control client " + peer_ + ": " + text);
  }

  tcp::socket socket_;
  control_server* owner_;
  net::steady_timer linger_;
  std::string peer_;
  std::array<char, 4096> buffer_{};
  std::string partial_;
  std::string queue_, in_flight_;
  bool writing_ = false;
  bool closing_ = false;
  bool draining_ = false;
  std::size_t drained_ = 0;
};

// ---------------------------------------------------------------------------
// Server

control_server::control_server(net::any_io_executor ex, tcp::endpoint where, target t, io::logger& log)
    : ex_(std::move(ex)), wanted_(where), acceptor_(ex_), target_(std::move(t)), log_(log) {}

control_server::~control_server() { stop(); }

void control_server::start() {
  boost::system::error_code ec;
  acceptor_.open(wanted_.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(wanted_, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw io::startup_error("--control: cannot listen on " + io::to_string(wanted_) + ": " + ec.message());
  bound_ = acceptor_.local_endpoint(ec);
  log_.log(io::log_level::info, "control channel listening on " + io::to_string(bound_));
  if (!bound_.address().is_loopback())
    log_.log(io::log_level::warn, "the control channel on " + io::to_string(bound_) +
                                      " can be reached from other hosts, and it has no authentication");
  do_accept();
}

void control_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& c : std::exchange(clients_, {})) c->close();
}

void control_server::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopped_) return;
    if (ec) {
      log_.log(io::log_level::warn, "control channel: accept failed: " + ec.message());
    } else {
      auto c = std::make_shared<connection>(std::move(socket), *this);
      clients_.push_back(c);
      if (clients_.size() > max_clients) {
        log_.log(io::log_level::warn, "control client " + c->peer() + " refused: too many clients");
        c->refuse("too many control clients (at most " + std::to_string(max_clients) + " at once)");
      } else {
        log_.log(io::log_level::debug, "control client " + c->peer() + " connected");
        c->start();
      }
    }
    do_accept();
  });
}

void control_server::forget(connection* c) {
  // The connection keeps itself alive through its handlers' shared_ptr copies.
  std::erase_if(clients_, [c](const std::shared_ptr<connection>& p) { return p.get() == c; });
}

}  // namespace nt35e::control
