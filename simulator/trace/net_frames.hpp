#pragma once
// TCP segments as link-layer frames, both ways: Ethernet II / IPv4 / TCP built with
// correct checksums (for the pcapng export), and the TCP segment read back from a captured
// frame of the usual link types, over IPv4 or IPv6 (for the capture import).
// Pure byte work.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nt35e::trace::net {

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

/// One TCP segment with its endpoints. Addresses are the raw 4 (IPv4) or 16 (IPv6) bytes.
struct tcp_segment {
  std::string src_ip, dst_ip;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::string payload;
};

/// An IPv4 address's 4 bytes from dotted text; nothing when `text` is not one.
std::optional<std::string> ipv4(std::string_view text);
/// "10.128.45.67" or an IPv6 address in hex groups.
std::string ip_text(std::string_view raw);

/// An Ethernet II frame carrying `s` over IPv4 (both addresses must be IPv4), with the IP
/// and TCP checksums computed; `ip_id` is the IP identification field.
std::string ethernet_frame(const tcp_segment& s, std::uint16_t ip_id);

/// The TCP segment a captured frame carries (link types of trace/pcapng.hpp: Ethernet,
/// with or without an 802.1Q tag, BSD loopback, raw IP, Linux cooked v1 and v2); nothing
/// for any other frame (ARP, UDP, a fragment, a frame cut short).
std::optional<tcp_segment> parse_frame(std::uint16_t link, std::string_view frame);

}  // namespace nt35e::trace::net
