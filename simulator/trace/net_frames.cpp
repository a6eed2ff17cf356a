#include "trace/net_frames.hpp"

#include <charconv>

#include "trace/pcapng.hpp"

namespace nt35e::trace::net {
namespace {

void be16(std::string& o, std::uint32_t v) {
  o.push_back(static_cast<char>((v >> 8) & 0xff));
  o.push_back(static_cast<char>(v & 0xff));
}
void be32(std::string& o, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) o.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint32_t get16(std::string_view b, std::size_t at) {
  return (static_cast<std::uint8_t>(b[at]) << 8) | static_cast<std::uint8_t>(b[at + 1]);
}
std::uint32_t get32(std::string_view b, std::size_t at) { return (get16(b, at) << 16) | get16(b, at + 2); }

/// The Internet checksum (RFC 1071) of `sum` plus the bytes of `b`.
std::uint32_t add_sum(std::uint32_t sum, std::string_view b) {
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) sum += get16(b, i);
  if (b.size() % 2) sum += static_cast<std::uint32_t>(static_cast<std::uint8_t>(b.back())) << 8;
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::optional<tcp_segment> parse_tcp(std::string_view b, std::string src, std::string dst) {
  if (b.size() < 20) return std::nullopt;
  std::size_t offset = (static_cast<std::uint8_t>(b[12]) >> 4) * 4u;
  if (offset < 20 || offset > b.size()) return std::nullopt;
  tcp_segment s;
  s.src_ip = std::move(src);
  s.dst_ip = std::move(dst);
  s.src_port = static_cast<std::uint16_t>(get16(b, 0));
  s.dst_port = static_cast<std::uint16_t>(get16(b, 2));
  s.seq = get32(b, 4);
  s.ack = get32(b, 8);
  s.flags = static_cast<std::uint8_t>(b[13]) & 0x1f;
  s.payload.assign(b.substr(offset));
  return s;
}

std::optional<tcp_segment> parse_ipv4(std::string_view b) {
  if (b.size() < 20 || (static_cast<std::uint8_t>(b[0]) >> 4) != 4) return std::nullopt;
  std::size_t ihl = (static_cast<std::uint8_t>(b[0]) & 0x0f) * 4u;
  std::size_t total = get16(b, 2);
  if (ihl < 20 || total < ihl) return std::nullopt;
  if (total <= b.size()) b = b.substr(0, total);  // Ethernet pads short frames
  // Fragments other than a whole datagram are left out: MQTT's segments never need them.
  if (static_cast<std::uint8_t>(b[9]) != 6 || (get16(b, 6) & 0x3fff) != 0 || ihl > b.size()) return std::nullopt;
  return parse_tcp(b.substr(ihl), std::string(b.substr(12, 4)), std::string(b.substr(16, 4)));
}

std::optional<tcp_segment> parse_ipv6(std::string_view b) {
  if (b.size() < 40 || (static_cast<std::uint8_t>(b[0]) >> 4) != 6) return std::nullopt;
  std::size_t len = get16(b, 4);
  if (40 + len <= b.size()) b = b.substr(0, 40 + len);
  // Extension headers are rare on a broker link; only TCP straight after the header is read.
  if (static_cast<std::uint8_t>(b[6]) != 6) return std::nullopt;
  return parse_tcp(b.substr(40), std::string(b.substr(8, 16)), std::string(b.substr(24, 16)));
}

std::optional<tcp_segment> parse_ip(std::string_view b) {
  if (b.empty()) return std::nullopt;
  auto v = static_cast<std::uint8_t>(b[0]) >> 4;
  return v == 4 ? parse_ipv4(b) : v == 6 ? parse_ipv6(b) : std::nullopt;
}

std::optional<tcp_segment> parse_ethertype(std::uint32_t type, std::string_view b) {
  if (type == 0x0800) return parse_ipv4(b);
  if (type == 0x86DD) return parse_ipv6(b);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ipv4(std::string_view text) {
  std::string out;
  for (int part = 0; part < 4; ++part) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || v > 255 || p == text.data()) return std::nullopt;
    out.push_back(static_cast<char>(v));
    text.remove_prefix(static_cast<std::size_t>(p - text.data()));
    if (part < 3) {
      if (text.empty() || text[0] != '.') return std::nullopt;
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) return std::nullopt;
  return out;
}

std::string ip_text(std::string_view raw) {
  std::string out;
  if (raw.size() == 4) {
    for (std::size_t i = 0; i < 4; ++i) out += (i ? "." : "") + std::to_string(static_cast<std::uint8_t>(raw[i]));
    return out;
  }
  static const char* hex = "0123456789abcdef";
  for (std::size_t i = 0; i + 1 < raw.size(); i += 2) {
    if (i) out += ':';
    auto v = get16(raw, i);
    bool lead = true;
    for (int k = 3; k >= 0; --k) {
      auto d = (v >> (4 * k)) & 0xf;
      if (lead && d == 0 && k > 0) continue;
      lead = false;
      out += hex[d];
    }
  }
  return out;
}

std::string ethernet_frame(const tcp_segment& s, std::uint16_t ip_id) {
  std::string tcp;
  be16(tcp, s.src_port);
  be16(tcp, s.dst_port);
  be32(tcp, s.seq);
  be32(tcp, s.ack);
  tcp.push_back(static_cast<char>(5 << 4));  // 20 bytes, no options
  tcp.push_back(static_cast<char>(s.flags));
  be16(tcp, 65535);  // window
  be16(tcp, 0);      // checksum, below
  be16(tcp, 0);      // urgent pointer
  tcp += s.payload;
  std::string pseudo = s.src_ip + s.dst_ip;
  pseudo.push_back('\0');
  pseudo.push_back(6);
  be16(pseudo, static_cast<std::uint32_t>(tcp.size()));
  auto tsum = fold(add_sum(add_sum(0, pseudo), tcp));
  tcp[16] = static_cast<char>(tsum >> 8);
  tcp[17] = static_cast<char>(tsum & 0xff);

  std::string ip;
  ip.push_back(0x45);
  ip.push_back(0);
  be16(ip, static_cast<std::uint32_t>(20 + tcp.size()));
  be16(ip, ip_id);
  be16(ip, 0x4000);  // don't fragment
  ip.push_back(64);  // TTL
  ip.push_back(6);   // TCP
  be16(ip, 0);
  ip += s.src_ip + s.dst_ip;
  auto isum = fold(add_sum(0, ip));
  ip[10] = static_cast<char>(isum >> 8);
  ip[11] = static_cast<char>(isum & 0xff);

  // Locally administered MACs: 02:00:00:00:00:01 the module, :02 its gateway. Which is
  // which follows the addresses, so the module's frames always come from the same MAC.
  static const std::string module_mac("\x02\x00\x00\x00\x00\x01", 6), gateway_mac("\x02\x00\x00\x00\x00\x02", 6);
  const bool from_module = s.src_port != 1883;
  std::string frame = from_module ? gateway_mac + module_mac : module_mac + gateway_mac;
  be16(frame, 0x0800);
  return frame + ip + tcp;
}

std::optional<tcp_segment> parse_frame(std::uint16_t link, std::string_view f) {
  switch (link) {
    case link_type::ethernet: {
      if (f.size() < 14) return std::nullopt;
      std::size_t at = 12;
      auto type = get16(f, at);
      while ((type == 0x8100 || type == 0x88A8) && f.size() >= at + 6) {  // VLAN tags
        at += 4;
        type = get16(f, at);
      }
      return parse_ethertype(type, f.substr(at + 2));
    }
    case link_type::null_bsd: {
      if (f.size() < 4) return std::nullopt;
      return parse_ip(f.substr(4));  // the family's value differs by OS and byte order
    }
    case link_type::raw_ip:
      return parse_ip(f);
    case link_type::linux_sll:
      if (f.size() < 16) return std::nullopt;
      return parse_ethertype(get16(f, 14), f.substr(16));
    case link_type::linux_sll2:
      if (f.size() < 20) return std::nullopt;
      return parse_ethertype(get16(f, 0), f.substr(20));
    default:
      return std::nullopt;
  }
}

}  // namespace nt35e::trace::net
