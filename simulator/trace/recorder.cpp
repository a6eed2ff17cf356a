#include "trace/recorder.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <type_traits>

#include "at/command_line.hpp"
#include "at/text.hpp"

namespace nt35e::trace {
namespace {

constexpr unsigned char ctrl_z = 0x1A;
constexpr unsigned char esc = 0x1B;
constexpr std::size_t max_held = 64 * 1024;  // a line longer than this is written anyway

using at::is_line_end;
using at::to_upper;

using at::find_param;
using at::mask_param;

/// Parameter `index` of every `marker` command, to the end of its line, becomes
/// "<redacted N bytes>" (a quoted payload keeps its quotes and N counts what is inside).
void redact_tail(std::string& s, std::string_view marker, int index) {
  auto u = to_upper(s);
  std::size_t search = 0;
  while (true) {
    auto p = u.find(marker, search);
    if (p == std::string::npos) return;
    auto span = find_param(s, p + marker.size(), index);
    if (!span) {
      search = p + 1;
      continue;
    }
    std::size_t b = span->begin;
    std::size_t e = b;
    while (e < s.size() && !is_line_end(s[e])) ++e;
    std::string replacement;
    if (e - b >= 2 && s[b] == '"' && s[e - 1] == '"')
      replacement = "\"" + redacted_payload(e - b - 2) + "\"";
    else
      replacement = redacted_payload(e - b);
    s.replace(b, e - b, replacement);
    u.replace(b, e - b, to_upper(replacement));
    search = b + replacement.size();
  }
}

constexpr std::string_view payload_markers[] = {"ECMTPUB=", "ECMTRECV:"};

/// Where payload redaction must start holding bytes of an unfinished line: at the
/// first payload command, or at a tail that may still become one.
std::size_t hold_from(std::string_view line) {
  auto u = to_upper(line);
  std::size_t at = line.size();
  for (auto m : payload_markers) {
    auto p = u.find(m);
    if (p != std::string::npos) at = std::min(at, p);
    for (std::size_t k = m.size() - 1; k >= 1; --k)
      if (u.size() >= k && std::string_view(u).substr(u.size() - k) == m.substr(0, k)) {
        at = std::min(at, u.size() - k);
        break;
      }
  }
  return at;
}

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace

std::vector<std::string> redacted_names(const redact_options& r) {
  std::vector<std::string> out;
  if (r.passwords) out.emplace_back("passwords");
  if (r.payloads) out.emplace_back("payloads");
  if (r.credentials) out.emplace_back("credentials");
  return out;
}

redact_options redact_options_from(const std::vector<std::string>& names) {
  redact_options r{false, false, false};
  for (const auto& n : names) {
    if (n == "passwords")
      r.passwords = true;
    else if (n == "payloads")
      r.payloads = true;
    else if (n == "credentials")
      r.credentials = true;
  }
  return r;
}

std::string redacted_payload(std::size_t n) { return "<redacted " + std::to_string(n) + " bytes>"; }

std::string redact_text(std::string_view text, const redact_options& r) {
  std::string s = r.passwords ? at::mask_secrets(text) : std::string(text);
  if (r.credentials) {
    mask_param(s, "ECMTCONN=", 1);
    mask_param(s, "ECMTCONN=", 2);
  }
  if (r.payloads) {
    redact_tail(s, "ECMTPUB=", 5);
    redact_tail(s, "ECMTRECV:", 3);
  }
  return s;
}

/// One direction of the AT line: the unfinished line since the last line end and how
/// much of it is written already (masking keeps lengths, so written bytes of the raw
/// line and of its redacted form are the same count).
struct recorder::stream {
  std::string line;
  std::size_t written = 0;

  /// The redacted bytes of `chunk` that can be written now.
  std::string take(std::string_view chunk, const redact_options& r) {
    std::string out;
    for (char c : chunk) {
      line.push_back(c);
      if (is_line_end(c)) {
        out += redact_text(line, r).substr(written);
        line.clear();
        written = 0;
      }
    }
    std::size_t hold = r.payloads ? hold_from(line) : line.size();
    if (line.size() > max_held) hold = line.size();
    if (hold > written) {
      if (hold == line.size() && line.size() > max_held) {
        // Overlong: write it redacted as it stands and start a fresh line.
        out += redact_text(line, r).substr(written);
        line.clear();
        written = 0;
      } else {
        out += redact_text(std::string_view(line).substr(0, hold), r).substr(written);
        written = hold;
      }
    }
    return out;
  }

  /// Everything still held, redacted as it stands.
  std::string drain(const redact_options& r) {
    std::string out = line.empty() ? std::string() : redact_text(line, r).substr(written);
    line.clear();
    written = 0;
    return out;
  }
};

recorder::recorder(std::ostream& out, header h, redact_options r, modem::time_point start)
    : out_(&out), redact_(r), start_(start), in_(std::make_unique<stream>()), out_stream_(std::make_unique<stream>()) {
  if (h.started.empty()) h.started = utc_now_iso8601();
  h.redacted = redacted_names(r);
  auto line = to_jsonl(h);
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  out_->flush();
  if (!*out_)
    error_ = "cannot write the trace header";
  else
    ++lines_;
}

namespace {
std::unique_ptr<std::ostream> open_trace(const std::string& path) {
  auto f = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*f) {
    int err = errno;
    throw std::runtime_error("cannot write the trace to " + path + ": " + std::strerror(err));
  }
  return f;
}
}  // namespace

recorder::recorder(const std::string& path, header h, redact_options r, modem::time_point start)
    : recorder(*open_trace(path).release(), std::move(h), r, start) {
  owned_.reset(out_);
}

recorder::recorder(event_sink sink, redact_options r, modem::time_point start)
    : sink_(std::move(sink)),
      redact_(r),
      start_(start),
      in_(std::make_unique<stream>()),
      out_stream_(std::make_unique<stream>()) {}

recorder::~recorder() { finish(start_ + std::chrono::microseconds(last_t_)); }

std::int64_t recorder::micros(modem::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - start_).count();
  last_t_ = std::max<std::int64_t>(last_t_, us);  // never backwards: the file stays valid
  return last_t_;
}

void recorder::write(const trace_event& e) {
  if (sink_) {
    sink_(e, current_request_, current_event_);
    ++lines_;
    return;
  }
  if (!out_ || !error_.empty()) return;
  auto line = to_jsonl(e);
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  out_->flush();
  if (!*out_) {
    error_ = "cannot write to the trace (disk full or file closed?); recording stopped after " +
             std::to_string(lines_) + " lines";
    return;
  }
  ++lines_;
}

void recorder::write_bytes(direction d, std::string bytes, std::int64_t t_us) {
  if (bytes.empty()) return;
  trace_event e;
  e.t_us = t_us;
  e.dir = d;
  e.data = std::move(bytes);
  write(e);
}

void recorder::leave_data_mode(std::int64_t t_us) {
  if (!data_mode_) return;
  data_mode_ = false;
  if (data_bytes_ > 0) write_bytes(direction::dte_to_module, redacted_payload(data_bytes_), t_us);
  if (echoed_bytes_ > 0) write_bytes(direction::module_to_dte, redacted_payload(echoed_bytes_), t_us);
  data_bytes_ = echoed_bytes_ = 0;
  unechoed_.clear();
}

void recorder::dte_in(std::string_view bytes, modem::time_point t) {
  auto t_us = micros(t);
  if (data_mode_) {
    // A data-mode payload: counted, not written, up to its ^Z or ESC.
    std::size_t i = 0;
    while (i < bytes.size()) {
      auto b = static_cast<unsigned char>(bytes[i]);
      if (b == ctrl_z || b == esc) break;
      ++data_bytes_;
      if (unechoed_.size() < max_held) unechoed_.push_back(bytes[i]);
      ++i;
    }
    if (i == bytes.size() && data_bytes_ <= max_held) return;
    // The terminator (or an overlong payload): payload placeholder plus terminator, the
    // echo placeholder, then the rest as ordinary input.
    bool terminated = i < bytes.size();
    std::string head = redacted_payload(data_bytes_);
    if (terminated) head.push_back(bytes[i++]);
    write_bytes(direction::dte_to_module, std::move(head), t_us);
    if (echoed_bytes_ > 0) write_bytes(direction::module_to_dte, redacted_payload(echoed_bytes_), t_us);
    data_mode_ = false;
    data_bytes_ = echoed_bytes_ = 0;
    unechoed_.clear();
    bytes.remove_prefix(i);
    if (bytes.empty()) return;
  }
  write_bytes(direction::dte_to_module, in_->take(bytes, redact_), t_us);
}

void recorder::dte_out(std::string_view bytes, modem::time_point t) {
  auto t_us = micros(t);
  if (data_mode_) {
    // The module echoes the payload byte for byte (ATE1); anything else ends data mode
    // on the module's side (guard expired, payload too long).
    std::size_t k = 0;
    while (k < bytes.size() && k < unechoed_.size() && bytes[k] == unechoed_[k]) ++k;
    echoed_bytes_ += k;
    unechoed_.erase(0, k);
    bytes.remove_prefix(k);
    if (bytes.empty()) return;
    leave_data_mode(t_us);
  }
  out_tail_.append(bytes);
  if (out_tail_.size() > 8) out_tail_.erase(0, out_tail_.size() - 8);
  write_bytes(direction::module_to_dte, out_stream_->take(bytes, redact_), t_us);
  if (redact_.payloads && out_tail_.size() >= 4 && out_tail_.compare(out_tail_.size() - 4, 4, "\r\n> ") == 0) {
    data_mode_ = true;
    data_bytes_ = echoed_bytes_ = 0;
    unechoed_.clear();
  }
}

void recorder::request(const mqtt::any_request& r, modem::time_point t) {
  auto t_us = micros(t);
  mqtt::any_request copy = r;
  std::visit(overloaded{
                 [&](mqtt::request::connect& c) {
                   if (redact_.credentials) {
                     c.options.client_id = std::string(c.options.client_id.size(), '*');
                     if (c.options.user_name) c.options.user_name = std::string(c.options.user_name->size(), '*');
                   }
                 },
                 [&](mqtt::request::publish& p) {
                   if (redact_.payloads) p.payload = redacted_payload(p.payload.size());
                 },
                 [](auto&) {},
             },
             copy);
  if (auto* c = std::get_if<mqtt::request::connect>(&copy); c && redact_.passwords && c->options.password)
    c->options.password = std::string(c->options.password->size(), '*');
  trace_event e;
  e.t_us = t_us;
  e.dir = direction::module_to_net;
  e.id = std::visit([](const auto& q) { return q.id; }, r);
  e.text = mqtt::describe(copy, !redact_.passwords);
  current_request_ = &copy;
  write(e);
  current_request_ = nullptr;
}

void recorder::event(const mqtt::any_event& ev, modem::time_point t) {
  auto t_us = micros(t);
  mqtt::any_event copy = ev;
  if (redact_.payloads)
    if (auto* m = std::get_if<mqtt::event::message>(&copy)) m->payload = redacted_payload(m->payload.size());
  trace_event e;
  e.t_us = t_us;
  e.dir = direction::net_to_module;
  e.id = std::visit([](const auto& v) { return v.id; }, ev);
  e.text = mqtt::describe(copy);
  current_event_ = &copy;
  write(e);
  current_event_ = nullptr;
}

void recorder::note(const modem::log_record& r, modem::time_point t) {
  trace_event e;
  e.t_us = micros(t);
  e.dir = direction::state;
  e.text = redact_text(r.text, redact_);
  e.reason = r.reason;
  write(e);
}

void recorder::finish(modem::time_point t) {
  auto t_us = micros(t);
  leave_data_mode(t_us);
  write_bytes(direction::dte_to_module, in_->drain(redact_), t_us);
  write_bytes(direction::module_to_dte, out_stream_->drain(redact_), t_us);
}

}  // namespace nt35e::trace
