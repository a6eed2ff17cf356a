#pragma once
// Writes a session as a trace (trace_file.hpp), one flushed line per event, so a
// crash leaves a readable file (at worst the last line is cut off, which load() names).
//
//   std::ofstream f("session.jsonl");
//   trace::recorder rec(f, {.profile = "nt35e"}, {.payloads = true}, now);
//   rec.dte_in("AT+ECMTCONN=0,\"dev\",\"u\",\"secret\"\r", now);   // written with "******"
//   rec.dte_out("\r\nOK\r\n", now);
//   rec.request(req, now); rec.event(ev, now); rec.note(log_record, now);
//
// Redaction (the header's "redacted" list says what was done):
// * passwords (default on): the 4th parameter of AT+ECMTCONN on both DTE directions
//   (the echo too) and in log texts, via at::mask_secrets; "****" in mqtt::describe().
// * credentials: also the client id and user name of AT+ECMTCONN, and in describe().
// * payloads: AT+ECMTPUB payloads (inline and data mode, and their echo), +ECMTRECV
//   payloads, publish/message payloads become "<redacted N bytes>".
// Masking keeps lengths and needs no look-ahead, so chunks are written as they come,
// even when a password is split over several. Payload redaction changes lengths: from
// "ECMTPUB=" / "ECMTRECV:" to the end of that line the bytes are held back and written
// (with the time of the chunk that ends the line) once the line is complete.
//
// Thread safety: none; the session calls it from the modem's executor.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modem/action.hpp"
#include "modem/clock.hpp"
#include "mqtt/backend.hpp"
#include "trace/trace_file.hpp"

namespace nt35e::trace {

struct redact_options {
  bool passwords = true;     ///< AT+ECMTCONN passwords (off only with --show-secrets)
  bool payloads = false;     ///< every MQTT payload
  bool credentials = false;  ///< AT+ECMTCONN client ids and user names
};

/// The header's "redacted" names for these options ("passwords", "payloads", "credentials").
std::vector<std::string> redacted_names(const redact_options& r);
/// The options a header's "redacted" list stands for (unknown names are ignored).
redact_options redact_options_from(const std::vector<std::string>& names);

/// "<redacted N bytes>".
std::string redacted_payload(std::size_t n);
/// Complete text (lines of the AT dialogue or a log text) with the secrets removed as
/// `r` asks: passwords and credentials replaced by '*' of the same length, payloads to
/// the end of their line by "<redacted N bytes>" (the quotes of a quoted payload kept).
std::string redact_text(std::string_view text, const redact_options& r);

using trace_event = event;  // `event` is also a member function of recorder

class recorder {
 public:
  /// Writes the header at once; `start` is time zero of the trace. An empty
  /// `h.started` is filled with the current UTC time; `h.redacted` is set from `r`.
  recorder(std::ostream& out, header h, redact_options r, modem::time_point start);
  /// The same into a new file (truncated); throws std::runtime_error naming the path
  /// and the reason when it cannot be created.
  recorder(const std::string& path, header h, redact_options r, modem::time_point start);
  /// Where events go instead of a file (the pcapng export): each event as it would be
  /// written, and for an MQTT one the request or event it describes, redacted as written
  /// (passwords masked with one '*' per byte), else null.
  using event_sink = std::function<void(const trace_event&, const mqtt::any_request*, const mqtt::any_event*)>;
  /// Events to `sink`, no header.
  recorder(event_sink sink, redact_options r, modem::time_point start);
  ~recorder();
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

  /// Bytes the host sent to the module.
  void dte_in(std::string_view bytes, modem::time_point t);
  /// Bytes the module wrote to the host.
  void dte_out(std::string_view bytes, modem::time_point t);
  /// An MQTT request the core made.
  void request(const mqtt::any_request& r, modem::time_point t);
  /// An MQTT event the backend reported.
  void event(const mqtt::any_event& e, modem::time_point t);
  /// A log record of the core (state transitions, explanations, notes).
  void note(const modem::log_record& r, modem::time_point t);
  /// Writes whatever redaction still holds back (a line without its end); the
  /// destructor does this too, with the time of the last event.
  void finish(modem::time_point t);

  /// False once a write failed (disk full, closed pipe); `error()` says why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// Lines written so far, the header included.
  std::size_t lines() const { return lines_; }

 private:
  struct stream;
  std::int64_t micros(modem::time_point t);
  void write(const trace_event& e);
  void write_bytes(direction d, std::string bytes, std::int64_t t_us);
  void leave_data_mode(std::int64_t t_us);

  std::unique_ptr<std::ostream> owned_;
  std::ostream* out_ = nullptr;
  event_sink sink_;
  const mqtt::any_request* current_request_ = nullptr;  ///< what the event being written describes
  const mqtt::any_event* current_event_ = nullptr;
  redact_options redact_;
  modem::time_point start_;
  std::int64_t last_t_ = 0;
  std::unique_ptr<stream> in_, out_stream_;
  // Data-mode publish (payload redaction only): the module's "> " prompt starts it,
  // the host's ^Z or ESC ends it.
  bool data_mode_ = false;
  std::size_t data_bytes_ = 0;
  std::size_t echoed_bytes_ = 0;
  std::string unechoed_;  ///< data bytes the module has not echoed yet
  std::string out_tail_;  ///< the last module bytes, to see the prompt
  std::string error_;
  std::size_t lines_ = 0;
};

}  // namespace nt35e::trace
