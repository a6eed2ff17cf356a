// libFuzzer target: the ECMT state machine (spec §5.10) driven by a random sequence of
// DTE commands and broker events through engine::offline_modem with no broker behind
// it: this target plays the broker, answering the module's requests (open results,
// CONNACK codes, connect failures, acks) when the input says, dropping links, delivering
// messages and letting time run (CONNACK and ack timeouts, keepalive, reconnects).
//
// Invariants, checked on every byte of output and after every step; a violation aborts
// so libFuzzer keeps the input:
//   * no URC inside a response (§6.2 rules 1-3): between a command line and its final
//     result only information lines (a read form's own +NAME: lines) are written;
//   * every command line gets its final result within 30 s;
//   * every accepted OPEN (OK in NONE, CONFIGURED or *_FAIL) is answered by exactly one
//     +ECMTOPEN, every accepted CONN (OK in OPENED, CONNECT_FAIL, DISC_FAIL, or queued
//     in OPENING behind an open that succeeds) by exactly one +ECMTCONN; the exceptions
//     the spec names are allowed: connfail_then_connack's `2,2` followed by the CONNACK
//     URC (§5.4 step 4), the reconnect's +ECMTCONN after +ECMTSTAT (§7.4), a queued CONN
//     dropped when its open fails, and everything dropped by a reboot (§4.2);
//   * no state without a way out: an id waiting (OPENING, CONNECTING, RECONNECTING,
//     CLOSING, DISCONNECTING) has a request the broker can answer or a timer; at the
//     end, with the radio on and attached (AT+CFUN=1, AT+CGATT=1) and a broker that
//     answers everything, no id is left waiting and no OPEN/CONN is left unanswered.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/offline_modem.hpp"
#include "modem/profile.hpp"

namespace {

using namespace std::chrono_literals;
using nt35e::modem::duration;
namespace rq = nt35e::mqtt::request;
namespace ev = nt35e::mqtt::event;

constexpr int ids = 5;  // nt35e: 0-4; the fuzzer may also name 5 (out of range, CME 3)

/// Reads the fuzz input a byte at a time; zeros once it is used up.
class bytes_in {
 public:
  bytes_in(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return at_ >= n_; }
  unsigned next() { return at_ < n_ ? d_[at_++] : 0; }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t at_ = 0;
};

class machine_fuzzer {
 public:
  machine_fuzzer() : core_(*nt35e::modem::builtin_profile("nt35e"), {}, /*with_broker=*/false) {
    run(4s);  // boot and registration
  }

  void step(bytes_in& in) {
    const unsigned op = in.next() % 16;
    if (op < 7) {
      command(in);
    } else if (op < 11) {
      answer(in, /*cooperative=*/false);
    } else if (op == 11) {
      link_lost(in.next() % ids);
    } else if (op == 12) {
      message(in.next() % ids);
    } else {
      run(duration(100 * in.next()));  // up to 25.5 s: CONNACK, ack and guard timers
    }
    check_ways_out();
  }

  /// The end: radio on, a broker that answers everything, time for every timer; then
  /// nothing may still wait and every OPEN/CONN must have had its URC.
  void finish() {
    run(10s);
    send_command("AT+CFUN=1", command_kind::other, -1);
    run(10s);
    send_command("AT+CGATT=1", command_kind::other, -1);  // after AT+CGATT=0, CFUN=1 alone keeps it detached
    run(10s);
    for (int round = 0; round < 50 && (!outstanding_.empty() || waiting_id() >= 0); ++round) {
      while (!outstanding_.empty()) answer_first();
      run(30s);
    }
    if (int id = waiting_id(); id >= 0)
      violated("an id is still waiting with the radio on and every request answered", id);
    // NT35E_FUZZ_VERBOSE=1 shows the session of each input (to read what a seed does).
    if (std::getenv("NT35E_FUZZ_VERBOSE")) std::fprintf(stderr, "%s\n", transcript_.c_str());
    for (int id = 0; id < ids; ++id) {
      if (open_pending_[id] > 0) violated("an accepted AT+ECMTOPEN never got its +ECMTOPEN", id);
      if (conn_pending_[id] > 0) violated("an accepted AT+ECMTCONN never got its +ECMTCONN", id);
    }
  }

 private:
  enum class command_kind {
    open,
    conn,
    reboot,
    read,
    other
  };

  [[noreturn]] void violated(const char* what, int id = -1) {
    std::fprintf(stderr, "invariant violated: %s (id %d)\n--- transcript ---\n%s\n--- states ---\n", what, id,
                 transcript_.c_str());
    for (const auto& e : core_.snapshot().ecmt) std::fprintf(stderr, "id %d: %s\n", e.id, e.state.c_str());
    std::abort();
  }

  std::string state_of(int id) const {
    for (const auto& e : core_.snapshot().ecmt)
      if (e.id == id) return e.state;
    return "NONE";
  }

  static bool waiting(const std::string& s) {
    return s == "OPENING" || s == "CONNECTING" || s == "RECONNECTING" || s == "CLOSING" || s == "DISCONNECTING";
  }
  int waiting_id() const {
    for (const auto& e : core_.snapshot().ecmt)
      if (waiting(e.state)) return e.id;
    return -1;
  }

  void check_ways_out() {
    for (const auto& e : core_.snapshot().ecmt) {
      if (!waiting(e.state)) continue;
      const bool asked = std::any_of(outstanding_.begin(), outstanding_.end(), [&](const auto& r) {
        return std::visit([](const auto& x) { return x.id; }, r) == e.id;
      });
      if (!asked && !core_.next()) violated("an id waits with no request to answer and no timer", e.id);
    }
  }

  // ---- the DTE ----------------------------------------------------------------------

  void command(bytes_in& in) {
    const int id = static_cast<int>(in.next() % 6);
    const unsigned v = in.next();
    const std::string i = std::to_string(id);
    const std::string msg = std::to_string(1 + v % 3);
    const std::string qos = std::to_string(v % 3);
    switch (in.next() % 22) {
      case 0:
        return send_command("AT+ECMTCFG=\"keepalive\"," + i + "," + std::to_string(v % 4 * 40), command_kind::other,
                            id);
      case 1:
        return send_command("AT+ECMTCFG=\"timeout\"," + i + "," + std::to_string(1 + v % 3), command_kind::other, id);
      case 2:
        return send_command("AT+ECMTCFG=\"will\"," + i + ",1,1,0,\"w\",\"bye\"", command_kind::other, id);
      case 3:
      case 4:
        return send_command("AT+ECMTOPEN=" + i + ",\"127.0.0.1\",1883", command_kind::open, id);
      case 5:
        return send_command("AT+ECMTOPEN=" + i + ",\"broker.example\",8883", command_kind::open, id);
      case 6:
      case 7:
        return send_command("AT+ECMTCONN=" + i + ",\"c" + i + "\"", command_kind::conn, id);
      case 8:
        return send_command("AT+ECMTCONN=" + i + ",\"c\",\"u\",\"p\"", command_kind::conn, id);
      case 9:
        return send_command("AT+ECMTCONN=" + i, command_kind::conn, id);
      case 10:
        return send_command("AT+ECMTSUB=" + i + "," + msg + ",\"t/#\"," + qos, command_kind::other, id);
      case 11:
        return send_command("AT+ECMTUNS=" + i + "," + msg + ",\"t/#\"", command_kind::other, id);
      case 12:
        return send_command("AT+ECMTPUB=" + i + "," + msg + "," + qos + ",0,\"t/a\",\"hello\"", command_kind::other,
                            id);
      case 13:
        return send_command("AT+ECMTDISC=" + i, command_kind::other, id);
      case 14:
        return send_command("AT+ECMTCLOSE=" + i, command_kind::other, id);
      case 15:
        return send_command("AT+ECMTCONN?", command_kind::read, -1);
      case 16:
        return send_command("AT+ECMTOPEN?", command_kind::read, -1);
      case 17:
        return send_command(v % 2 ? "AT+CFUN=0" : "AT+CFUN=4", command_kind::other, -1);
      case 18:
        return send_command("AT+CFUN=1", command_kind::other, -1);
      case 19:
        return send_command(v % 2 ? "AT+CGATT=0" : "AT+CGATT=1", command_kind::other, -1);
      case 20:
        return send_command(v % 8 ? "AT" : "AT+ECRST", command_kind::reboot, -1);
      default:
        return send_command("AT+ECMTCFG=\"keepalive\"," + i, command_kind::read, id);
    }
  }

  void send_command(const std::string& line, command_kind kind, int id) {
    // A rebooting module discards input (§4.2): wait for it as a host waits for ECRDY.
    for (int n = 0; n < 100 && core_.snapshot().booting; ++n) run(100ms);
    absorb();
    current_ = {line, kind, id, id >= 0 ? state_of(id) : "NONE"};
    in_response_ = true;
    transcript_ += "> " + line + "\n";
    core_.send(line + "\r");
    collect();
    for (int n = 0; n < 300 && in_response_; ++n) run(100ms);
    if (in_response_) violated("a command line got no final result within 30 s", id);
  }

  // ---- the broker --------------------------------------------------------------------

  void answer(bytes_in& in, bool cooperative) {
    if (outstanding_.empty()) return run(duration(10 * in.next()));
    const std::size_t k = in.next() % outstanding_.size();
    const unsigned v = cooperative ? 0 : in.next();
    auto r = outstanding_[k];
    outstanding_.erase(outstanding_.begin() + static_cast<std::ptrdiff_t>(k));
    deliver(r, v);
  }
  void answer_first() {
    auto r = outstanding_.front();
    outstanding_.erase(outstanding_.begin());
    deliver(r, 0);
  }

  void deliver(const nt35e::mqtt::any_request& r, unsigned v) {
    if (auto* o = std::get_if<rq::open>(&r)) {
      const bool ok = v % 4 != 3;
      link_up_[o->id] = ok;
      event(ev::opened{o->id, ok, ok ? "" : "connection refused"});
    } else if (auto* c = std::get_if<rq::connect>(&r)) {
      const unsigned pick = v % 9;
      if (pick == 7) {
        link_up_[c->id] = false;
        event(ev::connect_failed{c->id, "connection reset"});
      } else {
        link_up_[c->id] = true;
        event(ev::connack{c->id, pick == 8 ? 0 : static_cast<int>(pick)});
      }
    } else if (auto* s = std::get_if<rq::subscribe>(&r)) {
      event(ev::suback{s->id, s->msg_id, static_cast<int>(v % 3)});
    } else if (auto* u = std::get_if<rq::unsubscribe>(&r)) {
      event(ev::unsuback{u->id, u->msg_id, static_cast<int>(v % 3)});
    } else if (auto* p = std::get_if<rq::publish>(&r)) {
      event(ev::published{p->id, p->msg_id, static_cast<int>(v % 3)});
    }
  }

  void link_lost(int id) {
    if (!link_up_[id]) return;
    link_up_[id] = false;
    std::erase_if(outstanding_, [&](const auto& r) { return std::visit([](const auto& x) { return x.id; }, r) == id; });
    event(ev::link_lost{id, "peer closed"});
  }

  void message(int id) {
    if (!link_up_[id]) return;
    event(ev::message{id, ++message_id_ % 65536, "t/a", "hi", 1, false});
  }

  void event(const nt35e::mqtt::any_event& e) {
    absorb();
    transcript_ += "< " + nt35e::mqtt::describe(e) + "\n";
    core_.event(e);
    collect();
  }

  void run(duration d) {
    core_.run_until(core_.now() + d);
    collect();
  }

  /// Takes the module's requests and output after every call into the core.
  void collect() {
    absorb();
    for (auto& r : core_.take_requests()) {
      transcript_ += "  module asks: " + nt35e::mqtt::describe(r) + "\n";
      std::visit(
          [&](auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, rq::disconnect> || std::is_same_v<T, rq::abort>) {
              // The link is gone: the backend answers nothing more for this id.
              link_up_[x.id] = false;
              std::erase_if(outstanding_,
                            [&](const auto& o) { return std::visit([](const auto& y) { return y.id; }, o) == x.id; });
            } else {
              outstanding_.push_back(x);
            }
          },
          r);
    }
  }

  // ---- reading what the module writes ------------------------------------------------

  void absorb() {
    const std::string out = core_.take_output();
    for (char c : out) {
      if (c == '\r' || c == '\n') {
        if (!line_.empty()) read_line(line_);
        line_.clear();
      } else {
        line_ += c;
      }
    }
  }

  static bool final_result(std::string_view l) {
    return l == "OK" || l == "ERROR" || l.starts_with("+CME ERROR") || l.starts_with("+CMS ERROR") ||
           l.starts_with("+SOCKET ERROR");
  }

  static std::string urc_name(std::string_view l) {
    static constexpr std::string_view names[] = {"+ECMTOPEN", "+ECMTCLOSE", "+ECMTCONN", "+ECMTDISC", "+ECMTSUB",
                                                 "+ECMTUNS",  "+ECMTPUB",   "+ECMTSTAT", "+ECMTRECV", "+CEREG",
                                                 "+CREG",     "+CGREG",     "+ECPING",   "ECRDY"};
    for (auto n : names)
      if (l.starts_with(n) && (l.size() == n.size() || l[n.size()] == ':')) return std::string(n);
    return {};
  }

  /// The numbers after "NAME:" ("+ECMTCONN: 0,2,2" -> {0, 2, 2}).
  static std::vector<int> fields(std::string_view l) {
    std::vector<int> out;
    l.remove_prefix(l.find(':') + 1);
    while (!l.empty()) {
      while (!l.empty() && l.front() == ' ') l.remove_prefix(1);
      out.push_back(std::atoi(std::string(l.substr(0, l.find(','))).c_str()));
      const auto comma = l.find(',');
      if (comma == std::string_view::npos) break;
      l.remove_prefix(comma + 1);
    }
    return out;
  }

  void read_line(const std::string& l) {
    transcript_ += "  " + l + "\n";
    if (in_response_) {
      if (l == current_.line) return;  // the echo
      if (final_result(l)) {
        in_response_ = false;
        on_final(l == "OK");
        return;
      }
      const std::string name = urc_name(l);
      // A read form's own lines look like its URC (+ECMTOPEN:0,"host",1883).
      if (!name.empty() && !(current_.kind == command_kind::read && current_.line.starts_with("AT" + name)))
        violated("a URC inside a response (spec 6.2)", current_.id);
      return;
    }
    on_urc(urc_name(l), l);
  }

  void on_final(bool ok) {
    const int id = current_.id;
    if (!ok || id < 0 || id >= ids) {
      if (ok && current_.kind == command_kind::reboot && current_.line == "AT+ECRST") forget_everything();
      return;
    }
    const std::string& s = current_.state_before;
    if (current_.kind == command_kind::open &&
        (s == "NONE" || s == "CONFIGURED" || s == "CONNECT_FAIL" || s == "DISC_FAIL" || s == "CLOSE_FAIL"))
      ++open_pending_[id];
    if (current_.kind == command_kind::conn) {
      if (s == "OPENED" || s == "CONNECT_FAIL" || s == "DISC_FAIL") ++conn_pending_[id];
      if (s == "OPENING") conn_queued_[id] = true;
    }
  }

  /// §4.2: a reboot drops every context and every queued URC.
  void forget_everything() {
    open_pending_ = {};
    conn_pending_ = {};
    conn_queued_ = {};
    conn_followup_ = {};
    reconnect_window_ = {};
  }

  void on_urc(const std::string& name, const std::string& l) {
    if (name.empty()) return;
    const auto f = fields(l);
    if (f.empty() || f[0] < 0 || f[0] >= ids) {
      if (name.starts_with("+ECMT")) violated("an ECMT URC for an id out of range");
      return;
    }
    const int id = f[0];
    if (name == "+ECMTOPEN") {
      if (open_pending_[id] == 0) violated("+ECMTOPEN without an accepted AT+ECMTOPEN", id);
      --open_pending_[id];
      if (conn_queued_[id] && f.size() > 1 && f[1] == 0) ++conn_pending_[id];
      conn_queued_[id] = false;
    } else if (name == "+ECMTCONN") {
      const bool failed = f.size() > 2 && f[1] == 2 && f[2] == 2;
      if (conn_pending_[id] > 0) {
        --conn_pending_[id];
        if (failed) ++conn_followup_[id];  // connfail_then_connack may still report the CONNACK
      } else if (conn_followup_[id] > 0 && !failed) {
        --conn_followup_[id];
      } else if (!reconnect_window_[id]) {
        violated("+ECMTCONN without an accepted AT+ECMTCONN or a reconnect", id);
      }
      if (!failed) conn_followup_[id] = 0;
      if (f.size() > 2 && f[1] == 0 && f[2] == 0) reconnect_window_[id] = false;
    } else if (name == "+ECMTSTAT") {
      reconnect_window_[id] = true;
    }
  }

  struct command_in_flight {
    std::string line;
    command_kind kind = command_kind::other;
    int id = -1;
    std::string state_before;
  };

  nt35e::engine::offline_modem core_;
  std::vector<nt35e::mqtt::any_request> outstanding_;
  std::array<bool, ids> link_up_{};
  int message_id_ = 0;
  std::string line_;
  std::string transcript_;
  bool in_response_ = false;
  command_in_flight current_;
  std::array<int, ids> open_pending_{};
  std::array<int, ids> conn_pending_{};
  std::array<bool, ids> conn_queued_{};
  std::array<int, ids> conn_followup_{};
  std::array<bool, ids> reconnect_window_{};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  machine_fuzzer f;
  bytes_in in(data, size);
  for (int steps = 0; steps < 400 && !in.empty(); ++steps) f.step(in);
  f.finish();
  return 0;
}
