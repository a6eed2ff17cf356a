#include "scenario/apply.hpp"

namespace nt35e::scenario {

std::string apply(const scenario& s, modem::profile& p) {
  auto base = modem::builtin_profile(s.profile);
  if (!base) return "unknown profile \"" + s.profile + "\" (known: nt35e, ec616s)";
  p = *base;
  for (const auto& [name, value] : s.settings)
    if (auto err = modem::set_profile_field(p, name, value); !err.empty()) return err;
  const auto& n = s.network;
  p.registration_result = n.registration;
  if (n.registration_delay) p.timing.registration = static_cast<int>(n.registration_delay->count());
  if (n.rssi) p.csq_rssi = *n.rssi;
  if (n.ber) p.csq_ber = *n.ber;
  if (n.rsrq) p.cesq_rsrq = *n.rsrq;
  if (n.rsrp) p.cesq_rsrp = *n.rsrp;
  p.sim_present = n.sim;
  if (s.uart.baud) p.uart.baud = *s.uart.baud;
  if (s.uart.fragment_seed) p.uart.fragment_seed = *s.uart.fragment_seed;
  if (s.time_scale > 0) p.time_scale = s.time_scale;
  p.live_broker = s.broker.live;
  return {};
}

modem::ping_model ping_model_of(const scenario& s) {
  const auto& b = s.broker;
  modem::ping_model m;
  if (b.ping.rtt) m.rtt_ms = static_cast<int>(b.ping.rtt->count());
  m.jitter_ms = static_cast<int>(b.ping.jitter.count());
  m.seed = b.ping.seed;
  for (const auto& h : b.ping.hosts) {
    modem::ping_host out{h.host, h.address, std::nullopt, h.loss, h.send_fail};
    if (h.rtt) out.rtt_ms = static_cast<int>(h.rtt->count());
    m.hosts.push_back(std::move(out));
  }
  m.unresolvable = b.unresolvable;
  m.unreachable = b.unreachable;
  // Host mappings apply to a live world only, as for AT+ECMTOPEN. The loader checked
  // every mapping; one that still does not parse is left out.
  if (b.live)
    for (const auto& [from, to] : b.map_host) (void)m.map_host.add(from + "=" + to);
  m.live = b.live;
  return m;
}

}  // namespace nt35e::scenario
