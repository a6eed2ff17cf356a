#include "modem/ping.hpp"

#include <algorithm>

#include "at/text.hpp"
#include "modem/modem.hpp"

namespace nt35e::modem {
namespace {

// One request per second (§8); the next goes when the previous one is answered or
// timed out, and not before its second is over (chosen: the firmware pings one at a time).
constexpr int interval_ms = 1000;
// A name that does not resolve is reported as late as a scripted ECMTOPEN's DNS failure
// (the broker's default open delay), not in the same write as the OK (chosen).
constexpr int dns_failure_ms = 300;
// What AT+ECPING reports as the cause of a request it could not send (firmware: the
// result code of the indication, 3).
constexpr int send_fail_code = 3;

bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto end = s.find('.', i);
    if (end == std::string_view::npos) end = s.size();
    auto part = s.substr(i, end - i);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string_view::npos) return false;
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    i = end + 1;
  }
  return parts == 4;
}

/// An address literal as AT+ECPING reports it, or nothing for a name.
std::optional<std::string> literal(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (is_ipv4(host) || host.find(':') != std::string_view::npos) return std::string(host);
  return std::nullopt;
}

/// A stable address for a name the scenario gives none: one of 198.51.100.1-254
/// (TEST-NET-2, RFC 5737, never routed), from an FNV-1a hash of the name.
std::string derived_address(std::string_view name) {
  std::uint32_t h = 2166136261u;
  for (char c : at::to_lower(name)) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return "198.51.100." + std::to_string(1 + h % 254);
}

bool same_host(std::string_view a, std::string_view b) { return at::to_lower(a) == at::to_lower(b); }

const ping_host* find_host(const ping_model& model, std::string_view name, std::string_view address) {
  for (const auto& h : model.hosts)
    if (same_host(h.host, name)) return &h;
  for (const auto& h : model.hosts)
    if (same_host(h.host, address)) return &h;
  return nullptr;
}

/// Request n (1 = first) of a host losing `loss` of them: losses spread evenly, so
/// 0.25 loses the 4th, 8th...; 1 loses every one.
bool lost(int n, double loss) {
  constexpr double eps = 1e-9;
  return static_cast<long long>(n * loss + eps) > static_cast<long long>((n - 1) * loss + eps);
}

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void send_next(modem& m);

/// After request n's outcome: the next one, or the end of the ping.
void after_outcome(modem& m, int elapsed_ms) {
  auto& r = m.ping;
  if (r.next <= r.count) {
    r.timer = m.after(std::max(0, interval_ms - elapsed_ms), send_next);
    return;
  }
  r.active = false;
  r.timer = 0;
  const auto& dest = r.target.address;
  if (r.replies == 0) {
    // Nothing came back: the ping failed as a whole (§4.3, cause 7).
    m.emit_urc("+ECPING: ERROR, cause: 7");
    m.log(log_level::info, "AT+ECPING " + dest + ": no reply to any request");
    return;
  }
  m.emit_urc("+ECPING: DONE");
  const int loss = (r.sent - r.replies) * 100 / r.sent;
  // "transmittted" and the bare \r are the firmware's (§4.3).
  m.emit_urc("+ECPING: dest: " + dest + ", " + std::to_string(r.sent) + " packets transmittted, " +
             std::to_string(r.replies) + " received, " + std::to_string(loss) +
             " % packet loss\r rtt min/avg/max = " + std::to_string(r.min_rtt) + " / " +
             std::to_string(r.sum_rtt / r.replies) + " / " + std::to_string(r.max_rtt) + " ms");
}

/// The request just sent gets no reply in time.
void time_out(modem& m) {
  m.ping.timer = m.after(m.ping.timeout_ms, [](modem& mm) {
    auto& r = mm.ping;
    if (!r.active) return;
    mm.emit_urc("+ECPING: FAIL, dest: " + r.target.address + ", time out: " + std::to_string(r.timeout_ms) + " ms");
    after_outcome(mm, r.timeout_ms);
  });
}

void send_next(modem& m) {
  auto& r = m.ping;
  if (!r.active) return;
  const int n = r.next++;
  const auto& t = r.target;
  if (!m.pdp_active || std::find(t.send_fail.begin(), t.send_fail.end(), n) != t.send_fail.end()) {
    m.emit_urc("+ECPING: SEND FAIL: " + std::to_string(send_fail_code) + ", dest: " + t.address);
    return after_outcome(m, 0);
  }
  ++r.sent;
  if (lost(n, t.loss)) {
    return time_out(m);
  }
  int rtt = t.rtt_ms;
  if (m.ping_world.jitter_ms > 0) {
    const auto span = static_cast<std::uint64_t>(2 * m.ping_world.jitter_ms + 1);
    rtt += static_cast<int>(splitmix(r.rng) % span) - m.ping_world.jitter_ms;
  }
  rtt = std::max(1, rtt);
  if (rtt >= r.timeout_ms) {
    // A reply slower than the timeout is a timeout.
    return time_out(m);
  }
  r.timer = m.after(rtt, [rtt](modem& mm) {
    auto& rr = mm.ping;
    if (!rr.active) return;
    rr.min_rtt = rr.replies == 0 ? rtt : std::min(rr.min_rtt, rtt);
    rr.max_rtt = std::max(rr.max_rtt, rtt);
    rr.sum_rtt += rtt;
    ++rr.replies;
    mm.emit_urc("+ECPING: SUCC, dest: " + rr.target.address + ", RTT: " + std::to_string(rtt) + " ms");
    after_outcome(mm, rtt);
  });
}

}  // namespace

ping_target resolve_ping_target(const ping_model& model, std::string_view host, int default_rtt) {
  ping_target t;
  std::string name(host);
  // A mapped host's echo goes where its MQTT link would (the mapping of any port).
  const mqtt::host_map::entry* mapped = nullptr;
  for (const auto& e : model.map_host.entries())
    if (same_host(e.host, name) && (mapped == nullptr || !e.port)) mapped = &e;
  if (mapped != nullptr) {
    t.address = literal(mapped->target.host).value_or(mapped->target.host);
    if (same_host(mapped->target.host, "localhost")) t.address = "127.0.0.1";
  } else if (auto lit = literal(name)) {
    t.address = *lit;
  } else {
    const auto lower = at::to_lower(name);
    const bool invalid = lower.size() >= 8 && lower.compare(lower.size() - 8, 8, ".invalid") == 0;
    if (invalid || std::any_of(model.unresolvable.begin(), model.unresolvable.end(),
                               [&](const std::string& u) { return same_host(u, name); })) {
      t.resolves = false;
      return t;
    }
    t.address = lower == "localhost" ? "127.0.0.1" : derived_address(name);
  }
  t.rtt_ms = model.rtt_ms.value_or(default_rtt);
  if (const auto* h = find_host(model, name, t.address)) {
    if (h->address) t.address = *h->address;
    if (h->rtt_ms) t.rtt_ms = *h->rtt_ms;
    t.loss = h->loss;
    t.send_fail = h->send_fail;
  }
  // A host the scenario marks unreachable (without a port) answers no echo (§4.3).
  if (std::any_of(model.unreachable.begin(), model.unreachable.end(),
                  [&](const std::string& u) { return same_host(u, name) || same_host(u, t.address); }))
    t.loss = 1;
  return t;
}

void start_ping(modem& m, const std::string& host, int count, int timeout_ms) {
  auto& r = m.ping;
  if (!r.noted) {
    r.noted = true;
    r.rng = m.ping_world.seed;
    m.log(log_level::info,
          std::string("AT+ECPING is simulated: no ICMP echo leaves the host") +
              (m.ping_world.live ? " (also in live mode: a real echo needs privileges)" : "") +
              "; round-trip time and loss come from the scenario's broker.ping",
          "note");
  }
  r.active = true;
  r.target = resolve_ping_target(m.ping_world, host, m.prof().timing.ping_rtt);
  r.count = count;
  r.timeout_ms = timeout_ms;
  r.next = 1;
  r.sent = r.replies = 0;
  r.min_rtt = r.max_rtt = r.sum_rtt = 0;
  if (!r.target.resolves) {
    m.log(log_level::info, "AT+ECPING: " + host + " does not resolve");
    r.timer = m.after(dns_failure_ms, [](modem& mm) {
      if (!mm.ping.active) return;
      mm.ping.active = false;
      mm.emit_urc("+ECPING: ERROR, cause: 5");
    });
    return;
  }
  m.log(log_level::info, "AT+ECPING: " + host + " is " + r.target.address + ", round trip " +
                             std::to_string(r.target.rtt_ms) + " ms, loss " +
                             std::to_string(static_cast<int>(r.target.loss * 100 + 0.5)) + " %");
  r.timer = m.after(0, send_next);
}

bool stop_ping(modem& m) {
  auto& r = m.ping;
  if (!r.active) return false;
  m.cancel(r.timer);
  r.timer = 0;
  r.active = false;
  return true;
}

}  // namespace nt35e::modem
