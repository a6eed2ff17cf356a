// mqtt::parse_request / parse_event: describe()'s texts read back (backend.cpp writes them).
// A trace keeps MQTT traffic only as these texts, so the pcapng export of a trace reads
// them to rebuild the packets.

#include <charconv>

#include "mqtt/backend.hpp"

namespace nt35e::mqtt {
namespace {

/// A cursor over describe()'s text: words, numbers and quoted strings (\" \\ \xHH escapes).
class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}

  bool word(std::string_view w) {
    skip();
    if (s_.substr(pos_, w.size()) != w) return false;
    auto end = pos_ + w.size();
    if (end < s_.size() && s_[end] != ' ' && s_[end] != ':' && w.back() != '=') return false;
    pos_ = end;
    return true;
  }
  bool number(int& v) {
    skip();
    auto* b = s_.data() + pos_;
    auto [p, ec] = std::from_chars(b, s_.data() + s_.size(), v);
    if (ec != std::errc{}) return false;
    pos_ += static_cast<std::size_t>(p - b);
    return true;
  }
  bool quoted(std::string& out) {
    skip();
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    out.clear();
    for (++pos_; pos_ < s_.size(); ++pos_) {
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\' && pos_ + 1 < s_.size()) {
        char n = s_[++pos_];
        if (n == 'x' && pos_ + 2 < s_.size()) {
          int v = 0;
          auto [p, ec] = std::from_chars(s_.data() + pos_ + 1, s_.data() + pos_ + 3, v, 16);
          if (ec != std::errc{} || p != s_.data() + pos_ + 3) return false;
          out.push_back(static_cast<char>(v));
          pos_ += 2;
        } else {
          out.push_back(n);
        }
      } else {
        out.push_back(c);
      }
    }
    return false;
  }
  /// "HOST:PORT" up to the next blank (the port after the last colon).
  bool endpoint(std::string& host, int& port) {
    skip();
    auto end = s_.find(' ', pos_);
    auto token = s_.substr(pos_, end == std::string_view::npos ? std::string_view::npos : end - pos_);
    auto colon = token.rfind(':');
    if (colon == std::string_view::npos) return false;
    auto [p, ec] = std::from_chars(token.data() + colon + 1, token.data() + token.size(), port);
    if (ec != std::errc{} || p != token.data() + token.size()) return false;
    host.assign(token.substr(0, colon));
    pos_ += token.size();
    return true;
  }
  /// "id N".
  bool id(int& v) { return word("id") && number(v); }
  /// ": detail" to the end.
  std::string detail() {
    skip();
    if (pos_ < s_.size() && s_[pos_] == ':') ++pos_;
    skip();
    auto out = std::string(s_.substr(pos_));
    pos_ = s_.size();
    return out;
  }
  /// A payload as payload_summary() wrote it: quoted, maybe followed by "... (N bytes)".
  bool payload(std::string& out) {
    if (!quoted(out)) return false;
    if (s_.substr(pos_, 3) == "...") {
      pos_ += 3;
      int n = 0;
      skip();
      if (pos_ >= s_.size() || s_[pos_] != '(') return false;
      ++pos_;
      if (!number(n) || !word("bytes)")) return false;
    }
    return true;
  }
  bool tls(tls_options& t) {
    auto save = pos_;
    if (word("tls") && word("mode") && number(t.mode)) return true;
    pos_ = save;
    return true;
  }
  bool at_end() {
    skip();
    return pos_ >= s_.size();
  }

 private:
  void skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::optional<any_request> connect_of(cursor& c) {
  request::connect q{};
  if (!c.id(q.id) || !c.endpoint(q.host, q.port) || !c.tls(q.tls)) return std::nullopt;
  auto& o = q.options;
  std::string s;
  if (!c.word("client_id=") || !c.quoted(o.client_id)) return std::nullopt;
  if (c.word("user=")) {
    if (!c.quoted(s)) return std::nullopt;
    o.user_name = s;
  }
  if (c.word("password=")) {
    if (!c.quoted(s)) return std::nullopt;
    o.password = s;
  }
  int clean = 1;
  if (!c.word("keepalive=") || !c.number(o.keepalive_s) || !c.word("clean=") || !c.number(clean) ||
      !c.word("version=") || !c.number(o.version))
    return std::nullopt;
  o.clean_session = clean != 0;
  if (c.word("will=")) {
    if (!c.quoted(o.will.topic)) return std::nullopt;
    o.will.enabled = true;
  }
  return any_request{std::move(q)};
}

}  // namespace

std::optional<any_request> parse_request(std::string_view what) {
  cursor c(what);
  std::optional<any_request> out;
  if (c.word("open")) {
    request::open q{};
    if (c.id(q.id) && c.endpoint(q.host, q.port) && c.tls(q.tls)) out = q;
  } else if (c.word("connect")) {
    out = connect_of(c);
  } else if (c.word("subscribe")) {
    request::subscribe q{};
    if (c.id(q.id) && c.word("msg") && c.number(q.msg_id) && c.quoted(q.topic) && c.word("qos") && c.number(q.qos))
      out = q;
  } else if (c.word("unsubscribe")) {
    request::unsubscribe q{};
    if (c.id(q.id) && c.word("msg") && c.number(q.msg_id) && c.quoted(q.topic)) out = q;
  } else if (c.word("publish")) {
    request::publish q{};
    if (c.id(q.id) && c.word("msg") && c.number(q.msg_id) && c.word("qos") && c.number(q.qos)) {
      q.retain = c.word("retain");
      if (c.quoted(q.topic) && c.payload(q.payload)) out = q;
    }
  } else if (c.word("disconnect")) {
    request::disconnect q{};
    if (c.id(q.id)) out = q;
  } else if (c.word("abort")) {
    request::abort q{};
    if (c.id(q.id)) out = q;
  }
  if (out && !c.at_end()) return std::nullopt;
  return out;
}

std::optional<any_event> parse_event(std::string_view what) {
  cursor c(what);
  std::optional<any_event> out;
  if (c.word("opened")) {
    event::opened e{};
    if (c.id(e.id)) {
      if (c.word("ok")) {
        e.ok = true;
        out = e;
      } else if (c.word("failed")) {
        e.detail = c.detail();
        out = e;
      }
    }
  } else if (c.word("CONNACK")) {
    event::connack e{};
    if (c.id(e.id) && c.word("code") && c.number(e.return_code)) out = e;
  } else if (c.word("connect") && c.word("failed")) {
    event::connect_failed e{};
    if (c.id(e.id)) {
      e.detail = c.detail();
      out = e;
    }
  } else if (c.word("SUBACK")) {
    event::suback e{};
    if (c.id(e.id) && c.word("msg") && c.number(e.msg_id) && c.word("result") && c.number(e.result)) out = e;
  } else if (c.word("UNSUBACK")) {
    event::unsuback e{};
    if (c.id(e.id) && c.word("msg") && c.number(e.msg_id) && c.word("result") && c.number(e.result)) out = e;
  } else if (c.word("published")) {
    event::published e{};
    if (c.id(e.id) && c.word("msg") && c.number(e.msg_id) && c.word("result") && c.number(e.result)) {
      e.refused = c.word("refused");
      out = e;
    }
  } else if (c.word("message")) {
    event::message e{};
    if (c.id(e.id) && c.word("msg") && c.number(e.msg_id) && c.quoted(e.topic) && c.payload(e.payload) &&
        c.word("qos") && c.number(e.qos)) {
      e.retained = c.word("retained");
      out = e;
    }
  } else if (c.word("link") && c.word("lost")) {
    event::link_lost e{};
    if (c.id(e.id)) {
      e.detail = c.detail();
      out = e;
    }
  }
  if (out && !c.at_end()) return std::nullopt;
  return out;
}

}  // namespace nt35e::mqtt
