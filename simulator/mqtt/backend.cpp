#include "mqtt/backend.hpp"

#include <type_traits>

namespace nt35e::mqtt {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string payload_summary(const std::string& p) {
  if (p.size() <= 64) return quote(p);
  return quote(p.substr(0, 64)) + "... (" + std::to_string(p.size()) + " bytes)";
}

std::string where(const std::string& host, int port, const tls_options& tls) {
  return host + ":" + std::to_string(port) + (tls.mode ? " tls mode " + std::to_string(tls.mode) : "");
}

}  // namespace

std::string describe(const any_request& r, bool show_secrets) {
  return std::visit(
      [&](const auto& q) -> std::string {
        using T = std::decay_t<decltype(q)>;
        std::string id = " id " + std::to_string(q.id);
        if constexpr (std::is_same_v<T, request::open>) {
          return "open" + id + " " + where(q.host, q.port, q.tls);
        } else if constexpr (std::is_same_v<T, request::connect>) {
          const auto& o = q.options;
          std::string s = "connect" + id + " " + where(q.host, q.port, q.tls) + " client_id=" + quote(o.client_id);
          if (o.user_name) s += " user=" + quote(*o.user_name);
          if (o.password) s += " password=" + (show_secrets ? quote(*o.password) : std::string("\"****\""));
          s += " keepalive=" + std::to_string(o.keepalive_s) + " clean=" + (o.clean_session ? "1" : "0") +
               " version=" + std::to_string(o.version);
          if (o.will.enabled) s += " will=" + quote(o.will.topic);
          return s;
        } else if constexpr (std::is_same_v<T, request::subscribe>) {
          return "subscribe" + id + " msg " + std::to_string(q.msg_id) + " " + quote(q.topic) + " qos " +
                 std::to_string(q.qos);
        } else if constexpr (std::is_same_v<T, request::unsubscribe>) {
          return "unsubscribe" + id + " msg " + std::to_string(q.msg_id) + " " + quote(q.topic);
        } else if constexpr (std::is_same_v<T, request::publish>) {
          return "publish" + id + " msg " + std::to_string(q.msg_id) + " qos " + std::to_string(q.qos) +
                 (q.retain ? " retain" : "") + " " + quote(q.topic) + " " + payload_summary(q.payload);
        } else if constexpr (std::is_same_v<T, request::disconnect>) {
          return "disconnect" + id;
        } else {
          return "abort" + id;
        }
      },
      r);
}

std::string describe(const any_event& e) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        std::string id = " id " + std::to_string(v.id);
        if constexpr (std::is_same_v<T, event::opened>) {
          return "opened" + id + (v.ok ? " ok" : " failed: " + v.detail);
        } else if constexpr (std::is_same_v<T, event::connack>) {
          return "CONNACK" + id + " code " + std::to_string(v.return_code);
        } else if constexpr (std::is_same_v<T, event::connect_failed>) {
          return "connect failed" + id + ": " + v.detail;
        } else if constexpr (std::is_same_v<T, event::suback>) {
          return "SUBACK" + id + " msg " + std::to_string(v.msg_id) + " result " + std::to_string(v.result);
        } else if constexpr (std::is_same_v<T, event::unsuback>) {
          return "UNSUBACK" + id + " msg " + std::to_string(v.msg_id) + " result " + std::to_string(v.result);
        } else if constexpr (std::is_same_v<T, event::published>) {
          return "published" + id + " msg " + std::to_string(v.msg_id) + " result " + std::to_string(v.result) +
                 (v.refused ? " refused" : "");
        } else if constexpr (std::is_same_v<T, event::message>) {
          return "message" + id + " msg " + std::to_string(v.msg_id) + " " + quote(v.topic) + " " +
                 payload_summary(v.payload) + " qos " + std::to_string(v.qos) + (v.retained ? " retained" : "");
        } else {
          return "link lost" + id + ": " + v.detail;
        }
      },
      e);
}

}  // namespace nt35e::mqtt
