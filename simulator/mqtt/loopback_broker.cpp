#include "mqtt/loopback_broker.hpp"

#include <algorithm>
#include <type_traits>

namespace nt35e::mqtt {

bool topic_matches(std::string_view filter, std::string_view topic) {
  // Topics starting with '$' are not matched by wildcards at the first level.
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) return false;
  std::size_t f = 0, t = 0;
  while (true) {
    auto f_end = filter.find('/', f);
    auto t_end = topic.find('/', t);
    auto f_level = filter.substr(f, f_end == std::string_view::npos ? std::string_view::npos : f_end - f);
    if (f_level == "#") return true;
    if (t > topic.size()) return false;
    auto t_level = topic.substr(t, t_end == std::string_view::npos ? std::string_view::npos : t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    bool f_last = f_end == std::string_view::npos;
    bool t_last = t_end == std::string_view::npos;
    if (f_last && t_last) return true;
    if (t_last) {
      // "a/#" matches "a" too.
      return !f_last && filter.substr(f_end + 1) == "#";
    }
    if (f_last) return false;
    f = f_end + 1;
    t = t_end + 1;
  }
}

void loopback_broker::deliver(const std::string& topic, const std::string& payload, int qos, bool retained,
                              int delay, std::vector<timed_event>& out) {
  for (auto& [id, s] : sessions_) {
    if (!s.connected) continue;
    int best = -1;
    for (const auto& [filter, granted] : s.subscriptions)
      if (topic_matches(filter, topic)) best = std::max(best, std::min(granted, qos));
    if (best < 0) continue;
    int msg_id = 0;
    if (best > 0) {
      msg_id = s.next_packet_id;
      s.next_packet_id = s.next_packet_id % 65535 + 1;
    }
    out.push_back({delay, event::message{id, msg_id, topic, payload, best, retained}});
  }
}

std::vector<loopback_broker::timed_event> loopback_broker::handle(const any_request& request) {
  std::vector<timed_event> out;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        auto& s = sessions_[r.id];
        if constexpr (std::is_same_v<T, request::open>) {
          // RFC 6761: names under .invalid never resolve, the usual way to test DNS failure.
          bool bad_name = r.host.size() >= 8 && r.host.compare(r.host.size() - 8, 8, ".invalid") == 0;
          s = session{};
          s.open = !bad_name;
          out.push_back({delays_.open, event::opened{r.id, !bad_name, bad_name ? "DNS: name does not resolve" : ""}});
        } else if constexpr (std::is_same_v<T, request::connect>) {
          if (r.options.clean_session) s.subscriptions.clear();
          s.open = true;
          s.connected = true;
          out.push_back({delays_.connack, event::connack{r.id, 0}});
        } else if constexpr (std::is_same_v<T, request::subscribe>) {
          s.subscriptions[r.topic] = r.qos;
          out.push_back({delays_.ack, event::suback{r.id, r.msg_id, 0}});
          // Retained messages follow the SUBACK (§7.5).
          for (const auto& [topic, value] : retained_) {
            if (!topic_matches(r.topic, topic)) continue;
            int qos = std::min(value.second, r.qos);
            int msg_id = 0;
            if (qos > 0) {
              msg_id = s.next_packet_id;
              s.next_packet_id = s.next_packet_id % 65535 + 1;
            }
            out.push_back({delays_.ack + 1, event::message{r.id, msg_id, topic, value.first, qos, true}});
          }
        } else if constexpr (std::is_same_v<T, request::unsubscribe>) {
          s.subscriptions.erase(r.topic);
          out.push_back({delays_.ack, event::unsuback{r.id, r.msg_id, 0}});
        } else if constexpr (std::is_same_v<T, request::publish>) {
          if (r.retain) {
            if (r.payload.empty()) retained_.erase(r.topic);
            else retained_[r.topic] = {r.payload, r.qos};
          }
          int ack = r.qos == 0 ? delays_.qos0_written : delays_.ack;
          out.push_back({ack, event::published{r.id, r.msg_id, 0}});
          deliver(r.topic, r.payload, r.qos, false, delays_.delivery, out);
        } else {
          // disconnect / abort: the session ends; a clean session forgets its subscriptions.
          s.connected = false;
          s.open = false;
        }
      },
      request);
  return out;
}

}  // namespace nt35e::mqtt
