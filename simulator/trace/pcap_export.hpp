#pragma once
// A session as one pcapng timeline (issue 17, part 1): `nt35e-sim --pcap FILE` live and
// `nt35e-sim report --pcap FILE TRACE` from a recording write the same packets.
//
// Interface 0, "uart" (LINKTYPE_WIRESHARK_UPPER_PDU): each AT line, response and URC as an
// exported PDU naming Wireshark's `at` dissector, with the P2P direction tag (sent = the
// DTE's line, received = the module's), so `at.cmd` decodes both sides.
// Interface 1, "broker" (Ethernet): the MQTT 3.1.1 packets as Ethernet/IPv4/TCP frames
// between the module (10.128.45.67, its PDP address) and the broker (the host's IPv4 address
// when it is one, else 198.51.100.x derived from the name), always on port 1883 and always
// plain MQTT (a TLS link too), with sequence numbers and checksums that let Wireshark
// reassemble. Every connection has its own ephemeral port from 49152 on: a handshake when
// the module opens, a FIN after DISCONNECT or a refused CONNACK, an RST from the broker
// when the link is lost and from the module when it aborts, a new handshake on reconnect.
//
// The packets are synthesized from the requests and events the core logs (the trace's
// "mod>net" / "net>mod"): the trace keeps no wire bytes. So packet ids are the module's
// msgIDs, a SUBACK grants the QoS asked for, acknowledgements of incoming QoS 1/2 messages
// follow them at once, PINGREQ/PINGRESP are absent (the keepalive is the backend's), and a
// password shows as the trace masks it. From a trace, a payload longer than 64 bytes is
// what the trace kept: its first 64 bytes.
//
// The UART bytes are cut into lines: a host line ends at CR (an LF right after it stays
// with it), ^Z or ESC; a module piece ends at the CR LF after its text (the echo at its
// CR), the "> " prompt on its own. A piece is written once complete, stamped with the time
// of its last byte, and at the latest before anything that comes after it. The module's
// echo of a host line is written for the `data` dissector (protocol column "AT echo"):
// the `at` dissector would read it as a response.
//
// Pure: bytes out through the writer's sink; time is the events' own.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt/backend.hpp"
#include "trace/pcapng.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {

class pcap_exporter {
 public:
  /// Writes the section and both interfaces at once; `origin_us` (microseconds since the
  /// Unix epoch) is the session's time zero, to which every event's t_us is added.
  pcap_exporter(pcapng_writer::sink out, std::uint64_t origin_us);
  ~pcap_exporter();
  pcap_exporter(const pcap_exporter&) = delete;
  pcap_exporter& operator=(const pcap_exporter&) = delete;

  /// A trace event: bytes of either direction, an MQTT request or event (read back from
  /// its text; one that does not read is left out), "state" notes ignored.
  void add(const event& e);
  /// The same for a request or event at hand (a live session: nothing lost to describe()).
  void add(const mqtt::any_request& r, std::int64_t t_us);
  void add(const mqtt::any_event& e, std::int64_t t_us);
  /// Writes the UART pieces still held (the end of the session).
  void finish();

  /// Packets written so far, both interfaces.
  std::size_t packets() const { return packets_; }

 private:
  struct line_cutter;
  struct connection;
  void uart(bool from_host, std::string_view bytes, std::int64_t t_us);
  void flush_complete();
  /// Is this module piece the echo of the host's last line?
  bool echoes(std::string_view piece) const;
  void write_piece(bool from_host, const std::string& bytes, std::int64_t t_us);
  connection& conn(int id);
  /// SYN, SYN-ACK, ACK on a new ephemeral port; SYN and RST when `refused`.
  void handshake(connection& c, std::int64_t t_us, bool refused = false);
  void segment(connection& c, bool from_module, std::uint8_t flags, std::string_view payload, std::int64_t t_us,
               const std::string& comment);
  void mqtt(connection& c, bool from_module, const std::string& packet, std::int64_t t_us, const std::string& comment);
  void close(connection& c, bool by_module, bool reset, std::int64_t t_us, const std::string& comment);
  std::uint64_t stamp(std::int64_t t_us);

  pcapng_writer writer_;
  std::uint32_t uart_if_ = 0, broker_if_ = 0;
  std::uint64_t origin_us_;
  std::uint64_t last_us_ = 0;
  std::unique_ptr<line_cutter> host_, module_;
  std::string last_host_line_;
  std::map<int, std::unique_ptr<connection>> connections_;
  std::uint16_t next_port_ = 49152;
  std::uint16_t ip_id_ = 1;
  std::size_t packets_ = 0;
};

/// Microseconds since the Unix epoch of a header's "started" (2026-11-26T10:48:28.123456Z);
/// nothing when it does not read.
std::optional<std::uint64_t> epoch_us(std::string_view iso8601);

/// A whole trace as a pcapng file (its header's "started" as time zero).
std::string to_pcapng(const trace& t);

}  // namespace nt35e::trace
