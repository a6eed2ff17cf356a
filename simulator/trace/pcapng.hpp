#pragma once
// Capture files: a pcapng writer (blocks out, to any sink) and a reader of pcap and pcapng
// (bytes in, packets out). Both are pure byte work: the writer hands each block to a
// function, the reader takes the whole file's bytes. Formats: the pcapng draft
// (draft-ietf-opsawg-pcapng) and libpcap's classic file format.
//
//   std::string file;
//   pcapng_writer w([&](std::string_view b) { file.append(b); }, "nt35e-sim");
//   auto uart = w.add_interface(link_type::upper_pdu, "uart", "the NT35E's UART");
//   w.packet(uart, t_us, exported_pdu("at", 0, "AT+CGMI\r"));
//
//   auto got = read_capture(file_bytes, "broker.pcap");   // capture or a positioned error

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nt35e::trace {

/// The link types this simulator writes or reads (tcpdump.org's LINKTYPE_ values).
namespace link_type {
inline constexpr std::uint16_t null_bsd = 0;      ///< BSD loopback: 4-byte family, then IP
inline constexpr std::uint16_t ethernet = 1;      ///< Ethernet II
inline constexpr std::uint16_t raw_ip = 101;      ///< IPv4/IPv6 without a link header
inline constexpr std::uint16_t linux_sll = 113;   ///< Linux "cooked" capture (tcpdump -i any)
inline constexpr std::uint16_t upper_pdu = 252;   ///< Wireshark's exported PDUs (LINKTYPE_WIRESHARK_UPPER_PDU)
inline constexpr std::uint16_t linux_sll2 = 276;  ///< Linux "cooked" v2
}  // namespace link_type

/// Direction of a packet as pcapng's epb_flags say it.
enum class packet_direction {
  unknown,
  inbound,   ///< towards the capturing side (the module)
  outbound,  ///< from it
};

/// Writes one pcapng section: the section header at construction, then interfaces and
/// packets as they come, each block handed to the sink whole (a crash leaves whole blocks).
/// Timestamps are microseconds since the Unix epoch (the default resolution).
class pcapng_writer {
 public:
  using sink = std::function<void(std::string_view)>;
  /// Writes the section header block; `application` goes into its shb_userappl option.
  pcapng_writer(sink out, std::string_view application);
  /// An interface description block; returns its number for packet().
  std::uint32_t add_interface(std::uint16_t link, std::string_view name, std::string_view description);
  /// An enhanced packet block; `comment` (opt_comment) shows in Wireshark's packet details.
  void packet(std::uint32_t interface, std::uint64_t t_us, std::string_view data,
              packet_direction dir = packet_direction::unknown, std::string_view comment = {});

 private:
  sink out_;
  std::uint32_t interfaces_ = 0;
};

/// Wireshark's exported-PDU tags: EXP_PDU_TAG_DISSECTOR_NAME naming `dissector`, the
/// EXP_PDU_TAG_P2P_DIRECTION `p2p_dir` (0 sent, 1 received; -1: no tag), the
/// EXP_PDU_TAG_COL_PROT_TEXT `protocol_column` (when given), the end tag, then the payload.
/// Wireshark's `at` dissector takes "sent" as the DTE's side.
std::string exported_pdu(std::string_view dissector, int p2p_dir, std::string_view payload,
                         std::string_view protocol_column = {});

/// One packet of a capture file.
struct captured_packet {
  std::uint64_t t_us = 0;  ///< microseconds since the Unix epoch
  std::uint16_t link = 0;  ///< its interface's link type
  std::string data;        ///< the captured bytes (possibly cut at the snapshot length)
  std::uint32_t wire_length = 0;
  std::uint64_t offset = 0;  ///< where its record or block starts in the file
};

struct capture {
  bool pcapng = false;
  std::vector<captured_packet> packets;  ///< in file order
};

/// A file that is not a capture this reader understands: `offset` is the byte where the
/// problem is, `message` a complete sentence naming the file and that offset.
struct capture_error {
  std::uint64_t offset = 0;
  std::string message;
};

/// Whether the bytes start like a pcap or pcapng file (for detecting the format).
bool looks_like_capture(std::string_view bytes);

/// Reads a pcap (either byte order, micro- or nanosecond) or pcapng file (every section,
/// enhanced and simple packet blocks; other blocks skipped). `name` stands for the file in
/// messages.
std::variant<capture, capture_error> read_capture(std::string_view bytes, const std::string& name);

}  // namespace nt35e::trace
