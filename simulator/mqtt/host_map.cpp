#include "mqtt/host_map.hpp"

#include <algorithm>
#include <cctype>

#include "at/text.hpp"

namespace nt35e::mqtt {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

bool is_ipv6_char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.'; }

/// Port text to 1..65535; nullopt when it is not that.
std::optional<int> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return std::nullopt;
  return v;
}

struct parsed_side {
  std::string host;
  std::optional<int> port;
};

/// Parses "host", "host:port", "[v6]" or "[v6]:port". `what` names the side in errors.
std::optional<parsed_side> parse_side(std::string_view text, std::string_view what, std::string& why) {
  parsed_side out;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      why = std::string(what) + " has \"[\" without a closing \"]\"";
      return std::nullopt;
    }
    const std::string_view inside = text.substr(1, close - 1);
    if (inside.empty() || inside.find(':') == std::string_view::npos ||
        !std::all_of(inside.begin(), inside.end(), is_ipv6_char)) {
      why = std::string(what) + " \"" + std::string(inside) + "\" is not an IPv6 address";
      return std::nullopt;
    }
    out.host = at::to_lower(inside);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        why = std::string("unexpected text after \"]\" in the ") + std::string(what);
        return std::nullopt;
      }
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      why =
          std::string("an IPv6 address in the ") + std::string(what) + " must be written in brackets, e.g. [::1]:1883";
      return std::nullopt;
    }
    const std::string_view host = text.substr(0, colon);
    if (host.empty()) {
      why = std::string("the ") + std::string(what) + " has no host";
      return std::nullopt;
    }
    if (host.size() > 253 || !std::all_of(host.begin(), host.end(), is_name_char)) {
      why = std::string("the ") + std::string(what) + " host \"" + std::string(host) +
            "\" is not a host name or IPv4 address";
      return std::nullopt;
    }
    out.host = at::to_lower(host);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = text.substr(colon + 1);
    }
  }
  if (has_port) {
    out.port = parse_port(port_text);
    if (!out.port) {
      why = std::string("the ") + std::string(what) + " port \"" + std::string(port_text) +
            "\" is not a number from 1 to 65535";
      return std::nullopt;
    }
  }
  return out;
}

std::string bracket(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

}  // namespace

std::optional<host_map::entry> host_map::parse_entry(std::string_view spec, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<entry> {
    if (error) *error = "--map-host \"" + std::string(spec) + "\": " + why + ".";
    return std::nullopt;
  };
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos) return fail("expected HOST[:PORT]=ADDR:PORT");
  if (spec.find('=', eq + 1) != std::string_view::npos) return fail("more than one \"=\"");
  std::string why;
  const auto from = parse_side(spec.substr(0, eq), "mapped host", why);
  if (!from) return fail(why);
  const auto to = parse_side(spec.substr(eq + 1), "target", why);
  if (!to) return fail(why);
  if (!to->port) return fail("the target needs a port (ADDR:PORT)");
  return entry{from->host, from->port, host_port{to->host, *to->port}};
}

std::optional<host_map> host_map::parse(const std::vector<std::string>& specs, std::string* error) {
  host_map map;
  for (const auto& s : specs) {
    auto e = parse_entry(s, error);
    if (!e) return std::nullopt;
    map.add(std::move(*e));
  }
  return map;
}

std::string host_map::add(std::string_view spec) {
  std::string error;
  auto e = parse_entry(spec, &error);
  if (!e) return error;
  add(std::move(*e));
  return {};
}

void host_map::add(entry e) {
  auto same = std::find_if(entries_.begin(), entries_.end(),
                           [&](const entry& x) { return x.host == e.host && x.port == e.port; });
  if (same != entries_.end())
    *same = std::move(e);
  else
    entries_.push_back(std::move(e));
}

host_port host_map::resolve(std::string_view host, int port) const {
  std::string_view bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  const std::string key = at::to_lower(bare);
  const entry* any_port = nullptr;
  for (const auto& e : entries_) {
    if (e.host != key) continue;
    if (e.port && *e.port == port) return e.target;
    if (!e.port && !any_port) any_port = &e;
  }
  if (any_port) return any_port->target;
  return host_port{std::string(bare), port};
}

std::string host_map::format(const entry& e) {
  std::string out = bracket(e.host);
  if (e.port) out += ":" + std::to_string(*e.port);
  out += "=" + bracket(e.target.host) + ":" + std::to_string(e.target.port);
  return out;
}

}  // namespace nt35e::mqtt
