#include "trace/pcapng.hpp"

#include <cstring>

namespace nt35e::trace {
namespace {

constexpr std::uint32_t shb_type = 0x0A0D0D0A;
constexpr std::uint32_t idb_type = 1;
constexpr std::uint32_t spb_type = 3;
constexpr std::uint32_t epb_type = 6;
constexpr std::uint32_t byte_order_magic = 0x1A2B3C4D;
/// No real packet is this large; a record claiming more is a damaged file, not a reason
/// to allocate (Wireshark's own limit is 256 KiB for most link types).
constexpr std::uint32_t max_packet = 16 * 1024 * 1024;

void le16(std::string& o, std::uint16_t v) {
  o.push_back(static_cast<char>(v & 0xff));
  o.push_back(static_cast<char>(v >> 8));
}
void le32(std::string& o, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void pad4(std::string& o) {
  while (o.size() % 4) o.push_back('\0');
}
/// One option: code, length, value padded to 32 bits.
void option(std::string& o, std::uint16_t code, std::string_view value) {
  le16(o, code);
  le16(o, static_cast<std::uint16_t>(value.size()));
  o.append(value);
  pad4(o);
}
/// type, total length, body, total length again.
std::string block(std::uint32_t type, std::string body) {
  pad4(body);
  std::string o;
  auto total = static_cast<std::uint32_t>(body.size() + 12);
  le32(o, type);
  le32(o, total);
  o += body;
  le32(o, total);
  return o;
}

}  // namespace

pcapng_writer::pcapng_writer(sink out, std::string_view application) : out_(std::move(out)) {
  std::string body;
  le32(body, byte_order_magic);
  le16(body, 1);           // major
  le16(body, 0);           // minor
  le32(body, 0xffffffff);  // section length: not given (-1)
  le32(body, 0xffffffff);
  if (!application.empty()) option(body, 4, application);  // shb_userappl
  option(body, 0, {});
  out_(block(shb_type, std::move(body)));
}

std::uint32_t pcapng_writer::add_interface(std::uint16_t link, std::string_view name, std::string_view description) {
  std::string body;
  le16(body, link);
  le16(body, 0);
  le32(body, 0);                 // snapshot length: no limit
  option(body, 2, name);         // if_name
  option(body, 3, description);  // if_description
  option(body, 0, {});
  out_(block(idb_type, std::move(body)));
  return interfaces_++;
}

void pcapng_writer::packet(std::uint32_t interface, std::uint64_t t_us, std::string_view data, packet_direction dir,
                           std::string_view comment) {
  std::string body;
  le32(body, interface);
  le32(body, static_cast<std::uint32_t>(t_us >> 32));
  le32(body, static_cast<std::uint32_t>(t_us & 0xffffffff));
  le32(body, static_cast<std::uint32_t>(data.size()));
  le32(body, static_cast<std::uint32_t>(data.size()));
  body.append(data);
  pad4(body);
  if (!comment.empty()) option(body, 1, comment);  // opt_comment
  if (dir != packet_direction::unknown) {
    std::string flags;
    le32(flags, dir == packet_direction::inbound ? 1 : 2);  // epb_flags bits 0-1
    option(body, 2, flags);
  }
  if (!comment.empty() || dir != packet_direction::unknown) option(body, 0, {});
  out_(block(epb_type, std::move(body)));
}

std::string exported_pdu(std::string_view dissector, int p2p_dir, std::string_view payload,
                         std::string_view protocol_column) {
  std::string o;
  auto tag = [&](std::uint16_t code, std::string value) {
    // Big-endian tags; Wireshark pads a string tag's value with NULs to 32 bits and
    // counts the padding in its length.
    while (value.size() % 4) value.push_back('\0');
    o.push_back(static_cast<char>(code >> 8));
    o.push_back(static_cast<char>(code & 0xff));
    o.push_back(static_cast<char>(value.size() >> 8));
    o.push_back(static_cast<char>(value.size() & 0xff));
    o += value;
  };
  tag(12, std::string(dissector));  // EXP_PDU_TAG_DISSECTOR_NAME
  if (p2p_dir >= 0) {
    std::string v(4, '\0');
    v[3] = static_cast<char>(p2p_dir);
    tag(35, v);  // EXP_PDU_TAG_P2P_DIRECTION
  }
  if (!protocol_column.empty()) tag(33, std::string(protocol_column));  // EXP_PDU_TAG_COL_PROT_TEXT
  tag(0, {});                                                           // EXP_PDU_TAG_END_OF_OPT
  o.append(payload);
  return o;
}

// ---- Reading

namespace {

/// Little or big endian reads at an offset, bounds checked by the caller.
struct endian {
  bool big = false;
  std::uint16_t u16(std::string_view b, std::size_t at) const {
    auto x = static_cast<std::uint8_t>(b[at]), y = static_cast<std::uint8_t>(b[at + 1]);
    return static_cast<std::uint16_t>(big ? (x << 8) | y : (y << 8) | x);
  }
  std::uint32_t u32(std::string_view b, std::size_t at) const {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      auto byte = static_cast<std::uint8_t>(b[at + static_cast<std::size_t>(i)]);
      v |= static_cast<std::uint32_t>(byte) << (big ? 8 * (3 - i) : 8 * i);
    }
    return v;
  }
};

capture_error error_at(const std::string& name, std::uint64_t offset, const std::string& what) {
  return {offset, name + ": byte " + std::to_string(offset) + ": " + what};
}

std::variant<capture, capture_error> read_pcap(std::string_view b, const std::string& name) {
  if (b.size() < 24) return error_at(name, b.size(), "the pcap file header is cut off (24 bytes expected)");
  endian e;
  auto magic = e.u32(b, 0);
  bool nanos = false;
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
    nanos = magic == 0xa1b23c4d;
  } else {
    e.big = true;
    magic = e.u32(b, 0);
    nanos = magic == 0xa1b23c4d;
  }
  auto link = static_cast<std::uint16_t>(e.u32(b, 20) & 0xffff);
  capture c;
  std::size_t at = 24;
  while (at < b.size()) {
    if (b.size() - at < 16)
      return error_at(
          name, at,
          "a packet record's header is cut off (16 bytes expected, " + std::to_string(b.size() - at) + " left)");
    auto sec = e.u32(b, at), frac = e.u32(b, at + 4), incl = e.u32(b, at + 8), orig = e.u32(b, at + 12);
    if (incl > max_packet)
      return error_at(name, at,
                      "a packet record claims " + std::to_string(incl) + " bytes: not a pcap file, or a damaged one");
    if (b.size() - at - 16 < incl)
      return error_at(name, at,
                      "a packet of " + std::to_string(incl) + " bytes is cut off: the file ends " +
                          std::to_string(b.size() - at - 16) + " bytes into it");
    captured_packet p;
    p.t_us = std::uint64_t{sec} * 1'000'000 + (nanos ? frac / 1000 : frac);
    p.link = link;
    p.data.assign(b.substr(at + 16, incl));
    p.wire_length = orig;
    p.offset = at;
    c.packets.push_back(std::move(p));
    at += 16 + incl;
  }
  return c;
}

/// An interface of a pcapng section: its link type and how its timestamps count.
struct interface_info {
  std::uint16_t link = 0;
  std::uint64_t units_per_second = 1'000'000;
  std::int64_t offset_s = 0;
};

std::uint64_t to_us(std::uint64_t ts, const interface_info& i) {
  // In two steps so that ts * 10^6 cannot overflow (units_per_second is at most 10^9 or 2^30).
  auto u = i.units_per_second;
  auto us = ts / u * 1'000'000 + ts % u * 1'000'000 / u;
  return us + static_cast<std::uint64_t>(i.offset_s) * 1'000'000;
}

/// The interface description's options: if_tsresol (9) and if_tsoffset (14).
void read_idb_options(std::string_view opts, const endian& e, interface_info& info) {
  std::size_t at = 0;
  while (opts.size() - at >= 4) {
    auto code = e.u16(opts, at), len = e.u16(opts, at + 2);
    if (code == 0 || opts.size() - at - 4 < len) break;
    auto value = opts.substr(at + 4, len);
    if (code == 9 && len >= 1) {
      auto r = static_cast<std::uint8_t>(value[0]);
      std::uint64_t units = 1;
      bool binary = r & 0x80;
      int exp = r & 0x7f;
      // Beyond nanoseconds (10^-9, 2^-30) the microseconds are all that count anyway.
      if (exp > (binary ? 30 : 9)) exp = binary ? 30 : 9;
      for (int k = 0; k < exp; ++k) units *= binary ? 2 : 10;
      info.units_per_second = units;
    } else if (code == 14 && len >= 8) {
      info.offset_s = static_cast<std::int64_t>(std::uint64_t{e.u32(value, e.big ? 4 : 0)} |
                                                (std::uint64_t{e.u32(value, e.big ? 0 : 4)} << 32));
      // A damaged offset must not overflow the arithmetic: beyond ±3000 years it is ignored.
      if (info.offset_s > 100'000'000'000 || info.offset_s < -100'000'000'000) info.offset_s = 0;
    }
    at += 4 + ((len + 3u) & ~3u);
  }
}

std::variant<capture, capture_error> read_pcapng(std::string_view b, const std::string& name) {
  capture c;
  c.pcapng = true;
  endian e;
  std::vector<interface_info> interfaces;
  std::size_t at = 0;
  bool in_section = false;
  while (at < b.size()) {
    if (b.size() - at < 12)
      return error_at(
          name, at, "a block is cut off: " + std::to_string(b.size() - at) + " bytes left, a block takes at least 12");
    // A section header sets the byte order of everything up to the next one.
    if (endian{}.u32(b, at) == shb_type) {
      if (b.size() - at < 28) return error_at(name, at, "the section header block is cut off");
      auto bom = endian{}.u32(b, at + 8);
      if (bom == byte_order_magic)
        e.big = false;
      else if (bom == 0x4D3C2B1A)
        e.big = true;
      else
        return error_at(name, at + 8, "the section header's byte-order magic is not 1A2B3C4D: not a pcapng file");
      interfaces.clear();
      in_section = true;
    } else if (!in_section) {
      return error_at(name, at, "the file does not begin with a pcapng section header block");
    }
    auto type = e.u32(b, at), total = e.u32(b, at + 4);
    if (total < 12 || total % 4 != 0)
      return error_at(name, at,
                      "a block's length is " + std::to_string(total) + ", not a multiple of 4 of at least 12");
    if (total > b.size() - at)
      return error_at(name, at,
                      "a block of " + std::to_string(total) + " bytes is cut off: the file ends " +
                          std::to_string(b.size() - at) + " bytes into it");
    if (e.u32(b, at + total - 4) != total)
      return error_at(
          name, at + total - 4,
          "a block's trailing length does not repeat its length " + std::to_string(total) + ": the file is damaged");
    auto body = b.substr(at + 8, total - 12);
    if (type == idb_type) {
      if (body.size() < 8) return error_at(name, at, "an interface description block is too short");
      interface_info info;
      info.link = e.u16(body, 0);
      read_idb_options(body.substr(8), e, info);
      interfaces.push_back(info);
    } else if (type == epb_type || type == spb_type) {
      std::uint32_t iface = 0, caplen = 0, orig = 0;
      std::uint64_t ts = 0;
      std::size_t data_at = 0;
      if (type == epb_type) {
        if (body.size() < 20) return error_at(name, at, "an enhanced packet block is too short");
        iface = e.u32(body, 0);
        ts = (std::uint64_t{e.u32(body, 4)} << 32) | e.u32(body, 8);
        caplen = e.u32(body, 12);
        orig = e.u32(body, 16);
        data_at = 20;
      } else {
        if (body.size() < 4) return error_at(name, at, "a simple packet block is too short");
        orig = e.u32(body, 0);
        caplen = std::min<std::uint32_t>(orig, static_cast<std::uint32_t>(body.size() - 4));
        data_at = 4;
      }
      if (iface >= interfaces.size())
        return error_at(name, at,
                        "a packet names interface " + std::to_string(iface) + ", but the section describes " +
                            std::to_string(interfaces.size()));
      if (caplen > body.size() - data_at)
        return error_at(name, at, "a packet claims " + std::to_string(caplen) + " bytes, more than its block holds");
      captured_packet p;
      p.t_us = to_us(ts, interfaces[iface]);
      p.link = interfaces[iface].link;
      p.data.assign(body.substr(data_at, caplen));
      p.wire_length = orig;
      p.offset = at;
      c.packets.push_back(std::move(p));
    }
    at += total;
  }
  return c;
}

}  // namespace

bool looks_like_capture(std::string_view b) {
  if (b.size() < 4) return false;
  auto le = endian{}.u32(b, 0), be = endian{true}.u32(b, 0);
  return le == shb_type || le == 0xa1b2c3d4 || le == 0xa1b23c4d || be == 0xa1b2c3d4 || be == 0xa1b23c4d;
}

std::variant<capture, capture_error> read_capture(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 4)
    return error_at(name, 0, "the file is too short to be a capture (" + std::to_string(bytes.size()) + " bytes)");
  if (endian{}.u32(bytes, 0) == shb_type) return read_pcapng(bytes, name);
  if (looks_like_capture(bytes)) return read_pcap(bytes, name);
  return error_at(name, 0, "not a pcap or pcapng file (it does not begin with either's magic number)");
}

}  // namespace nt35e::trace
