#include "scenario/scripted_broker.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <type_traits>

#include "at/text.hpp"
#include "mqtt/topic.hpp"

namespace nt35e::scenario {
namespace {

// Every delay the broker hands out is one scenario time (at most max_duration), never a
// sum of them, so it fits an int of milliseconds (a burst's k-th message is scheduled
// from the one before, not at k x every).
static_assert(max_duration.count() <= std::numeric_limits<int>::max() / 2);
int ms(duration d) { return static_cast<int>(std::min(d, max_duration).count()); }

}  // namespace

scripted_broker::scripted_broker(broker_script script) : script_(std::move(script)) {
  for (const auto& m : script_.retained) retained_[m.topic] = {m.payload, m.qos};
}

int scripted_broker::next_id(session& s) {
  int id = s.next_packet_id;
  s.next_packet_id = s.next_packet_id % 65535 + 1;
  return id;
}

bool scripted_broker::unresolvable(const std::string& host) const {
  auto h = at::to_lower(host);
  // RFC 6761: names under .invalid never resolve, the usual way to test a DNS failure.
  if (h.size() >= 8 && h.compare(h.size() - 8, 8, ".invalid") == 0) return true;
  return std::any_of(script_.unresolvable.begin(), script_.unresolvable.end(),
                     [&](const std::string& u) { return at::to_lower(u) == h; });
}

bool scripted_broker::unreachable(const std::string& host, int port) const {
  auto h = at::to_lower(host);
  auto hp = h + ":" + std::to_string(port);
  return std::any_of(script_.unreachable.begin(), script_.unreachable.end(),
                     [&](const std::string& u) { return at::to_lower(u) == h || at::to_lower(u) == hp; });
}

int scripted_broker::connack_code(const mqtt::connect_options& o) const {
  if (script_.connack_code) return *script_.connack_code;
  // Like mosquitto: an empty client id needs MQTT 3.1.1 and a clean session.
  if (o.client_id.empty() && (!o.clean_session || o.version == 3)) return 2;
  if (script_.credentials.empty()) return 0;
  if (!o.user_name) return script_.allow_anonymous ? 0 : 5;
  for (const auto& c : script_.credentials) {
    if (c.user != *o.user_name) continue;
    if (c.client_id && *c.client_id != o.client_id) continue;
    if (o.password && *o.password == c.password) return 0;
  }
  return 5;  // mosquitto answers a wrong user or password with "not authorised"
}

void scripted_broker::deliver(const std::string& topic, const std::string& payload, int qos, bool retained, int delay,
                              std::vector<timed_event>& out) {
  for (auto& [id, s] : sessions_) {
    if (!s.connected) continue;
    int best = -1;
    for (const auto& [filter, granted] : s.subscriptions)
      if (mqtt::topic_matches(filter, topic)) best = std::max(best, std::min(granted, qos));
    if (best < 0) continue;
    int msg_id = best > 0 ? next_id(s) : 0;
    out.push_back({delay, mqtt::any_event{mqtt::event::message{id, msg_id, topic, payload, best, retained}}});
  }
}

scripted_broker::broker_publish scripted_broker::burst_message(int burst, int n) const {
  const auto& m = script_.messages[static_cast<std::size_t>(burst)];
  std::string payload = m.msg.payload;
  auto p = payload.find("{n}");
  if (p != std::string::npos) payload.replace(p, 3, std::to_string(n + 1));
  return broker_publish{m.msg.topic, std::move(payload), m.msg.qos, burst, n};
}

std::vector<scripted_broker::timed_event> scripted_broker::start() {
  // Only the first message of each burst: a burst of a million messages costs one event
  // at a time, not a million up front (reliability finding 06).
  std::vector<timed_event> out;
  for (std::size_t b = 0; b < script_.messages.size(); ++b)
    out.push_back({ms(script_.messages[b].at), burst_message(static_cast<int>(b), 0)});
  return out;
}

std::vector<scripted_broker::timed_event> scripted_broker::publish_now(const broker_publish& p) {
  std::vector<timed_event> out;
  deliver(p.topic, p.payload, p.qos, false, 0, out);
  if (p.burst >= 0 && static_cast<std::size_t>(p.burst) < script_.messages.size()) {
    const auto& m = script_.messages[static_cast<std::size_t>(p.burst)];
    if (p.n + 1 < std::min(m.count, max_burst_count)) out.push_back({ms(m.every), burst_message(p.burst, p.n + 1)});
  }
  return out;
}

std::vector<scripted_broker::timed_event> scripted_broker::handle(const mqtt::any_request& request) {
  std::vector<timed_event> out;
  const int open_ms = ms(script_.open_delay), connack_ms = ms(script_.connack_delay), ack_ms = ms(script_.ack_delay),
            delivery_ms = ms(script_.delivery_delay);
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        auto& s = sessions_[r.id];
        if constexpr (std::is_same_v<T, mqtt::request::open>) {
          s.connected = false;
          // With TLS configured the handshake happens in the open (§7.1, §8: 6 s scripted).
          const int open_after = ms(r.tls.mode > 0 ? script_.open_tls_delay : script_.open_delay);
          if (unresolvable(r.host))
            out.push_back({open_after,
                           mqtt::any_event{mqtt::event::opened{r.id, false, "DNS: " + r.host + " does not resolve"}}});
          else if (unreachable(r.host, r.port))
            out.push_back({open_after, mqtt::any_event{mqtt::event::opened{r.id, false, "TCP: connection refused"}}});
          else
            out.push_back({open_after, mqtt::any_event{mqtt::event::opened{r.id, true, ""}}});
        } else if constexpr (std::is_same_v<T, mqtt::request::connect>) {
          if (unresolvable(r.host) || unreachable(r.host, r.port)) {
            out.push_back({open_ms, mqtt::any_event{mqtt::event::connect_failed{r.id, "cannot reach " + r.host}}});
            return;
          }
          int code = connack_code(r.options);
          if (r.options.clean_session) s.subscriptions.clear();
          s.connected = code == 0;
          out.push_back({connack_ms, mqtt::any_event{mqtt::event::connack{r.id, code}}});
        } else if constexpr (std::is_same_v<T, mqtt::request::subscribe>) {
          s.subscriptions[r.topic] = r.qos;
          out.push_back({ack_ms, mqtt::any_event{mqtt::event::suback{r.id, r.msg_id, 0}}});
          // Retained messages follow the SUBACK (§7.5).
          for (const auto& [topic, value] : retained_) {
            if (!mqtt::topic_matches(r.topic, topic)) continue;
            int qos = std::min(value.second, r.qos);
            out.push_back({ack_ms + 1, mqtt::any_event{mqtt::event::message{r.id, qos > 0 ? next_id(s) : 0, topic,
                                                                            value.first, qos, true}}});
          }
        } else if constexpr (std::is_same_v<T, mqtt::request::unsubscribe>) {
          s.subscriptions.erase(r.topic);
          out.push_back({ack_ms, mqtt::any_event{mqtt::event::unsuback{r.id, r.msg_id, 0}}});
        } else if constexpr (std::is_same_v<T, mqtt::request::publish>) {
          if (r.retain) {
            if (r.payload.empty())
              retained_.erase(r.topic);
            else
              retained_[r.topic] = {r.payload, r.qos};
          }
          out.push_back(
              {r.qos == 0 ? std::min(20, ack_ms) : ack_ms, mqtt::any_event{mqtt::event::published{r.id, r.msg_id, 0}}});
          deliver(r.topic, r.payload, r.qos, false, delivery_ms, out);
          for (const auto& rep : script_.replies)
            if (mqtt::topic_matches(rep.filter, r.topic))
              out.push_back({ms(rep.after), broker_publish{rep.respond.topic, rep.respond.payload, rep.respond.qos}});
        } else {
          // disconnect / abort: the session ends; a clean session forgets its subscriptions.
          s.connected = false;
        }
      },
      request);
  return out;
}

}  // namespace nt35e::scenario
