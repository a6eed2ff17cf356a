// The scripted broker of a scenario ("broker"): host mapping, credentials, CONNACK
// answers, unreachable hosts, delays, retained messages, replies and timed messages.

#include <limits>

#include "mqtt/host_map.hpp"
#include "scenario/json_detail.hpp"

namespace nt35e::scenario::json_detail {

void checker::read_broker(const json& obj, broker_script& b) {
  const std::string ptr = "/broker";
  if (!check_object(obj, ptr, keys_of("broker"))) return;
  read_bool(obj, ptr, "live", b.live);
  if (auto it = obj.find("map_host"); it != obj.end()) {
    const std::string at = "/broker/map_host";
    if (expect(*it, at, json::value_t::object, "an object of \"HOST[:PORT]\": \"ADDR:PORT\"")) {
      for (const auto& [from, to] : members(*it, at)) {
        const auto here = child(at, from);
        if (!to->is_string()) {
          error(here, "expected \"ADDR:PORT\", got " + json_type_name(*to));
          continue;
        }
        const std::string spec = from + "=" + to->get<std::string>();
        std::string why;
        if (!mqtt::host_map::parse_entry(spec, &why)) {
          // "--map-host "SPEC": WHY." -> WHY
          const std::string head = "--map-host \"" + spec + "\": ";
          if (why.rfind(head, 0) == 0) why.erase(0, head.size());
          if (!why.empty() && why.back() == '.') why.pop_back();
          error(here, why, why.find("mapped host") != std::string::npos);
          continue;
        }
        b.map_host.emplace_back(from, to->get<std::string>());
      }
    }
  }
  read_array(obj, ptr, "credentials", [&](const json& e, const std::string& at) {
    auto hinted = check_object(e, at, keys_of("credential"));
    if (!hinted) return;
    credential c;
    require(e, at, "user", *hinted);
    std::string id;
    if (read_string(e, at, "client_id", id)) c.client_id = id;
    read_string(e, at, "user", c.user);
    read_string(e, at, "password", c.password);
    b.credentials.push_back(std::move(c));
  });
  read_bool(obj, ptr, "allow_anonymous", b.allow_anonymous);
  int code = 0;
  if (read_int(obj, ptr, "connack", code, 0, 5)) b.connack_code = code;
  read_host_list(obj, ptr, "unresolvable", b.unresolvable, false);
  read_host_list(obj, ptr, "unreachable", b.unreachable, true);
  if (auto it = obj.find("ping"); it != obj.end()) read_ping(*it, b.ping);
  if (auto it = obj.find("delays"); it != obj.end()) {
    const std::string at = "/broker/delays";
    if (check_object(*it, at, keys_of("delays"))) {
      read_duration(*it, at, "open", b.open_delay);
      read_duration(*it, at, "open_tls", b.open_tls_delay);
      read_duration(*it, at, "connack", b.connack_delay);
      read_duration(*it, at, "ack", b.ack_delay);
      read_duration(*it, at, "delivery", b.delivery_delay);
    }
  }
  read_array(obj, ptr, "retained", [&](const json& e, const std::string& at) {
    auto hinted = check_object(e, at, keys_of("retained"));
    if (!hinted) return;
    message m;
    read_message_fields(e, at, m, *hinted);
    b.retained.push_back(std::move(m));
  });
  read_array(obj, ptr, "replies", [&](const json& e, const std::string& at) {
    auto hinted = check_object(e, at, keys_of("reply"));
    if (!hinted) return;
    reply r;
    require(e, at, "on_publish", *hinted);
    read_filter(e, at, "on_publish", r.filter);
    read_message_fields(e, at, r.respond, *hinted);
    read_duration(e, at, "after", r.after);
    b.replies.push_back(std::move(r));
  });
  read_array(obj, ptr, "messages", [&](const json& e, const std::string& at) {
    auto hinted = check_object(e, at, keys_of("message"));
    if (!hinted) return;
    timed_message t;
    read_duration(e, at, "at", t.at);
    read_message_fields(e, at, t.msg, *hinted);
    read_int(e, at, "count", t.count, 1, max_burst_count);
    read_duration(e, at, "every", t.every);
    b.messages.push_back(std::move(t));
  });
}

void checker::read_ping(const json& obj, ping_script& p) {
  const std::string ptr = "/broker/ping";
  if (!check_object(obj, ptr, keys_of("ping"))) return;
  read_opt_duration(obj, ptr, "rtt", p.rtt);
  read_duration(obj, ptr, "jitter", p.jitter);
  read_int(obj, ptr, "seed", p.seed, 0, std::numeric_limits<long long>::max());
  auto it = obj.find("hosts");
  if (it == obj.end()) return;
  const std::string at = child(ptr, "hosts");
  if (!expect(*it, at, json::value_t::object, "an object of \"HOST\": {rtt, loss, address, send_fail}")) return;
  for (const auto& [host, value] : members(*it, at)) {
    const auto here = child(at, host);
    if (host.empty()) {
      error(here, "expected a host name, got an empty key", true);
      continue;
    }
    if (!check_object(*value, here, keys_of("ping_host"))) continue;
    ping_host h;
    h.host = host;
    std::string address;
    if (read_string(*value, here, "address", address)) {
      if (address.empty())
        error(child(here, "address"), "expected an address, got an empty string");
      else
        h.address = address;
    }
    read_opt_duration(*value, here, "rtt", h.rtt);
    if (auto l = value->find("loss"); l != value->end()) {
      if (!l->is_number() || l->get<double>() < 0 || l->get<double>() > 1)
        error(child(here, "loss"), "expected a number from 0 to 1 (the share of requests lost), got " + got(*l));
      else
        h.loss = l->get<double>();
    }
    read_array(*value, here, "send_fail", [&](const json& e, const std::string& ep) {
      auto n = whole(e);
      if (!n || *n < 1 || *n > 255)
        error(ep, "expected a request number " + range_text(1, 255) + ", got " + got(e));
      else
        h.send_fail.push_back(static_cast<int>(*n));
    });
    p.hosts.push_back(std::move(h));
  }
}

void checker::read_message_fields(const json& obj, const std::string& ptr, message& m,
                                  const std::set<std::string>& hinted) {
  require(obj, ptr, "topic", hinted);
  read_topic(obj, ptr, "topic", m.topic);
  read_string(obj, ptr, "payload", m.payload);
  read_int(obj, ptr, "qos", m.qos, 0, 2);
}

void checker::read_host_list(const json& obj, const std::string& ptr, const std::string& key,
                             std::vector<std::string>& out, bool with_port) {
  read_array(obj, ptr, key, [&](const json& e, const std::string& at) {
    if (!expect(e, at, json::value_t::string, with_port ? "\"HOST\" or \"HOST:PORT\"" : "a host name")) return;
    const auto text = e.get<std::string>();
    if (text.empty()) {
      error(at, std::string("expected ") + (with_port ? "\"HOST\" or \"HOST:PORT\"" : "a host name") +
                    ", got an empty string");
      return;
    }
    if (with_port) {
      // The same host syntax as --map-host's left side (IPv6 in brackets).
      std::string why;
      if (!mqtt::host_map::parse_entry(text + "=127.0.0.1:1", &why)) {
        error(at, "expected \"HOST\" or \"HOST:PORT\" with a port from 1 to 65535, got " + quote(text));
        return;
      }
    }
    out.push_back(text);
  });
}

}  // namespace nt35e::scenario::json_detail
