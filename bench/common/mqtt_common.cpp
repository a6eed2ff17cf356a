#include "common/mqtt_common.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nt35e::bench {

namespace {

/// The fixture's broker with `edit` applied to its configuration, restarted on it.
template <class Edit>
std::unique_ptr<test::mosquitto_broker> broker_with(Edit edit) {
  auto b = std::make_unique<test::mosquitto_broker>(test::broker_config{.tls = false});
  const std::string path = b->dir() + "/mosquitto.conf";
  std::string conf;
  {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    conf = s.str();
  }
  edit(conf);
  {
    std::ofstream out(path, std::ios::trunc);
    out << conf;
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  b->restart();
  return b;
}

/// log_type all -> error, warning, notice, information. Notice keeps the two lines the
/// benchmarks read: a client's connection ("... as <id> (") and a drop notice.
void quiet_log(std::string& conf) {
  const std::string all = "log_type all\n";
  const auto at = conf.find(all);
  // Said rather than skipped: a fixture that changed its log lines would otherwise bring
  // back the per-packet log, and its cost, without a word.
  if (at == std::string::npos)
    throw std::runtime_error("the broker fixture's configuration has no 'log_type all' line");
  conf.replace(at, all.size(), "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
}

}  // namespace

std::unique_ptr<test::mosquitto_broker> start_bench_broker() {
  return broker_with([](std::string& conf) {
    quiet_log(conf);
    conf +=
        "\n# nt35e benchmarks: no per-client queue limit (loss is measured at the receivers)\n"
        "max_queued_messages 0\n";
  });
}

std::unique_ptr<test::mosquitto_broker> start_quiet_broker() { return broker_with(quiet_log); }

std::size_t broker_drop_notices(const test::mosquitto_broker& broker) {
  static constexpr std::string_view what = "Outgoing messages are being dropped for client";
  const std::string log = broker.log();
  std::size_t n = 0;
  for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + what.size())) ++n;
  return n;
}

std::string make_payload(const std::string& tag, std::size_t seq, std::size_t size) {
  std::string p = tag + std::to_string(seq) + "-";
  static constexpr char fill[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  while (p.size() < size) p += fill[p.size() % (sizeof fill - 1)];
  return p;
}

std::unique_ptr<mqtt::async_client> paho_connect(int port, const std::string& client_id) {
  auto c = std::make_unique<mqtt::async_client>("tcp://127.0.0.1:" + std::to_string(port), client_id,
                                                mqtt::create_options(MQTTVERSION_3_1_1));
  mqtt::connect_options co;
  co.set_mqtt_version(MQTTVERSION_3_1_1);
  co.set_clean_session(true);
  co.set_keep_alive_interval(60);
  co.set_automatic_reconnect(false);
  co.set_max_inflight(65535);
  auto tok = c->connect(co);
  if (!tok->wait_for(std::chrono::seconds(10))) throw std::runtime_error("Paho client " + client_id + ": no CONNACK");
  return c;
}

void paho_disconnect(mqtt::async_client& c) {
  try {
    if (c.is_connected()) c.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const std::exception&) {}
}

// ---------------------------------------------------------------------------------

paho_sink::paho_sink(int port, const std::string& client_id) {
  cli_ = std::make_unique<mqtt::async_client>("tcp://127.0.0.1:" + std::to_string(port), client_id,
                                              mqtt::create_options(MQTTVERSION_3_1_1));
  // Set before connecting, so no message is missed.
  cli_->set_message_callback([this](mqtt::const_message_ptr msg) {
    const auto now = clock::now();  // the arrival, before any locking
    std::lock_guard lock(m_);
    auto& t = topics_[msg->get_topic()];
    const auto& payload = msg->get_payload_ref();
    std::string text(payload.data(), payload.size());
    if (t.count == 0) t.first = now;
    t.last = now;
    ++t.count;
    if (!expected_.empty() && text == expected_) {
      arrived_ = now;
      cv_.notify_all();
    }
    t.payloads.insert(std::move(text));
    if (expected_.empty()) cv_.notify_all();
  });
  mqtt::connect_options co;
  co.set_mqtt_version(MQTTVERSION_3_1_1);
  co.set_clean_session(true);
  co.set_keep_alive_interval(60);
  co.set_automatic_reconnect(false);
  if (!cli_->connect(co)->wait_for(std::chrono::seconds(10)))
    throw std::runtime_error("Paho subscriber " + client_id + ": no CONNACK");
}

paho_sink::~paho_sink() {
  paho_disconnect(*cli_);
  cli_->set_message_callback(nullptr);
}

void paho_sink::subscribe(const std::string& filter, int qos) {
  if (!cli_->subscribe(filter, qos)->wait_for(std::chrono::seconds(10)))
    throw std::runtime_error("Paho subscriber: no SUBACK for " + filter);
}

void paho_sink::expect(const std::string& payload) {
  std::lock_guard lock(m_);
  expected_ = payload;
  arrived_.reset();
}

std::optional<clock::time_point> paho_sink::wait_expected(clock::time_point deadline) {
  std::unique_lock lock(m_);
  cv_.wait_until(lock, deadline, [&] { return arrived_.has_value(); });
  auto r = arrived_;
  expected_.clear();
  arrived_.reset();
  return r;
}

paho_sink::topic_stats paho_sink::stats(const std::string& topic) {
  std::lock_guard lock(m_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? topic_stats{} : it->second;
}

std::size_t paho_sink::wait_count(const std::string& topic, std::size_t n, clock::time_point deadline,
                                  milliseconds idle) {
  std::unique_lock lock(m_);
  std::size_t last_seen = topics_[topic].count;
  auto last_change = clock::now();
  for (;;) {
    std::size_t c = topics_[topic].count;
    if (c >= n) return c;
    if (c != last_seen) {
      last_seen = c;
      last_change = clock::now();
    }
    auto now = clock::now();
    if (now >= deadline) return c;
    if (idle != milliseconds::max() && now - last_change >= idle) return c;
    cv_.wait_for(lock, 20ms);
    check_interrupt();
  }
}

// ---------------------------------------------------------------------------------

std::string live_sim::diag() const {
  auto d = sim ? sim->diagnostics() : std::string("(no simulator)");
  return d.size() > 3000 ? "..." + d.substr(d.size() - 3000) : d;
}

void at_command(live_sim& s, const std::string& cmd, const std::string& urc, milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  if (!s.dte.send(cmd + "\r")) throw std::runtime_error("the line is gone\n" + s.diag());
  bool got_urc = false;
  auto r = s.dte.wait_line([](std::string_view l) { return l == "OK" || l.find("ERROR") != std::string_view::npos; },
                           deadline, [&](std::string_view l) { got_urc |= !urc.empty() && l == urc; });
  if (!r) throw std::runtime_error("no answer to " + cmd + "\n" + s.diag());
  if (*r != "OK") throw std::runtime_error(cmd + " answered " + *r + "\n" + s.diag());
  if (urc.empty() || got_urc) return;
  if (!s.dte.wait_line([&](std::string_view l) { return l == urc; }, deadline))
    throw std::runtime_error("no " + urc + " after " + cmd + "\n" + s.diag());
}

std::unique_ptr<live_sim> start_live_sim(const test::mosquitto_broker& broker, timing_mode mode,
                                         const std::string& client_id, const std::string& log_level, bool tcp_dte) {
  auto s = std::make_unique<live_sim>();
  s->dir = std::make_unique<temp_dir>("nt35e-bench-live");
  std::vector<std::string> args = {"--live", "--map-host",
                                   "test.mosquitto.org=127.0.0.1:" + std::to_string(broker.port())};
  if (tcp_dte)
    args.insert(args.end(), {"--tcp", "0"});
  else
    args.insert(args.end(), {"--pty", s->dir->path() + "/nt35e0"});
  for (auto& a : timing_args(mode)) args.push_back(a);
  if (!log_level.empty()) args.insert(args.end(), {"--log-level", log_level});
  s->sim = std::make_unique<test::sim_process>(args);
  if (!s->sim->wait_ready(15s)) throw std::runtime_error("nt35e-sim not ready\n" + s->diag());
  s->dte = line_channel(tcp_dte ? connect_tcp(s->sim->tcp_port()) : open_pty_dte(s->sim->pty_link()));
  prepare_modem(s->dte, [&] { return s->diag(); });
  at_command(*s, "AT+ECMTOPEN=0,\"test.mosquitto.org\",1883", "+ECMTOPEN:0,0", 15s);
  at_command(*s, "AT+ECMTCONN=0,\"" + client_id + "\"", "+ECMTCONN:0,0,0", 15s);
  return s;
}

std::optional<std::string_view> recv_payload(std::string_view line, std::string_view* topic) {
  static constexpr std::string_view head = "+ECMTRECV:";
  if (line.substr(0, head.size()) != head) return std::nullopt;
  auto q1 = line.find('"', head.size());
  if (q1 == std::string_view::npos) return std::nullopt;
  auto q2 = line.find('"', q1 + 1);
  if (q2 == std::string_view::npos || q2 + 1 >= line.size() || line[q2 + 1] != ',') return std::nullopt;
  if (topic) *topic = line.substr(q1 + 1, q2 - q1 - 1);
  return line.substr(q2 + 2);
}

}  // namespace nt35e::bench
