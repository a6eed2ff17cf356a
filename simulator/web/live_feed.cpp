#include "web/live_feed.hpp"

#include <chrono>
#include <cstdio>
#include <utility>

#include <boost/asio/post.hpp>

#include "at/command_line.hpp"
#include "at/text.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::web {

namespace net = boost::asio;

namespace {

/// Longest line shown; the rest of a longer one is cut off (the trace keeps every byte).
constexpr std::size_t max_line = 4096;
/// Host lines the module may still echo: more than this and the oldest are forgotten.
constexpr std::size_t max_echoes = 8;

/// A line for a person: printable ASCII and UTF-8 as they are, control bytes as \xNN.
std::string shown(std::string_view text) {
  at::escape_options o;
  o.high = at::escape_options::high_bytes::keep_if_valid_utf8;
  return at::escape_bytes(text, o);
}

}  // namespace

template <class OnLine>
void line_cutter::push(std::string_view bytes, bool host, OnLine&& on_line) {
  auto flush = [&] {
    if (!done_) return;
    on_line(std::string_view(line_), std::string_view(raw_));
    line_.clear();
    raw_.clear();
    done_ = false;
  };
  for (char c : bytes) {
    const bool data_end = host && (c == '\x1a' || c == '\x1b');
    if (c == '\r' || c == '\n') {
      // A CR LF pair ends one line; the LF goes with it.
      if (done_ && !(c == '\n' && raw_.back() == '\r')) flush();
      raw_.push_back(c);
      if (!line_.empty()) done_ = true;
      continue;
    }
    flush();
    raw_.push_back(c);
    if (data_end) {
      done_ = true;
      flush();
      continue;
    }
    if (line_.size() < max_line) line_.push_back(c);
  }
  // A chunk ends: what is complete goes now (the next chunk may come much later), and so
  // does the module's data-mode prompt, which has no line end.
  if (!done_ && !host && at::is_prompt(line_)) done_ = true;
  flush();
}

live_feed::live_feed(net::any_io_executor ex, settings s, io::session_tap* next)
    : ex_(std::move(ex)), settings_(std::move(s)), next_(next), timer_(ex_), self_(std::make_shared<live_feed*>(this)) {
  settings_.header.redacted = trace::redacted_names(settings_.redact);
  recorder_.emplace(trace_, settings_.header, settings_.redact, settings_.origin);
}

live_feed::~live_feed() {
  stop();
  *self_ = nullptr;
}

std::int64_t live_feed::micros(modem::time_point t) const {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - settings_.origin).count();
}

void live_feed::set_sources(std::function<modem::snapshot()> state, std::function<oracle::verdict()> verdict) {
  state_ = std::move(state);
  verdict_ = std::move(verdict);
}

void live_feed::start() {
  running_ = true;
  refresh_soon();
  tick();
}

void live_feed::stop() {
  running_ = false;
  timer_.cancel();
  sinks_.clear();
}

void live_feed::tick() {
  if (!running_) return;
  // Findings that no byte brings (a recovery deadline passing) show on the tick.
  if (verdict_) {
    const auto v = verdict_();
    if (!v.modems.empty()) {
      const auto& found = v.modems.front().findings;
      for (; findings_sent_ < found.size(); ++findings_sent_) {
        broadcast(finding_message(found[findings_sent_]), true);
        if (finding_listener_) finding_listener_(found[findings_sent_]);
      }
    }
  }
  if (tick_listener_) tick_listener_();
  refresh();
  timer_.expires_after(settings_.tick);
  timer_.async_wait([weak = std::weak_ptr<live_feed*>(self_)](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self && *self) (*self)->tick();
  });
}

std::uint64_t live_feed::subscribe(sink s) {
  for (const auto& m : history_) s(m);
  for (const auto& [key, text] : sticky_) s(std::make_shared<const std::string>(text));
  const auto handle = next_handle_++;
  sinks_.emplace(handle, std::move(s));
  return handle;
}

void live_feed::unsubscribe(std::uint64_t handle) { sinks_.erase(handle); }

void live_feed::broadcast(std::string text, bool keep) {
  auto m = std::make_shared<const std::string>(std::move(text));
  if (keep) {
    history_.push_back(m);
    if (history_.size() > settings_.history) history_.pop_front();
  }
  // A sink may unsubscribe itself (a viewer gone): iterate over a copy of the handles.
  std::vector<std::uint64_t> handles;
  handles.reserve(sinks_.size());
  for (const auto& [h, s] : sinks_) handles.push_back(h);
  for (auto h : handles)
    if (auto it = sinks_.find(h); it != sinks_.end()) it->second(m);
}

void live_feed::emit(std::string text) { broadcast(std::move(text), true); }

void live_feed::dte_in(std::string_view bytes, modem::time_point now) {
  if (next_) next_->dte_in(bytes, now);
  if (recording_) recorder_->dte_in(bytes, now);
  // CR ends a command line (LF too); ^Z and ESC end a data-mode payload.
  in_.push(bytes, true, [&](std::string_view text, std::string_view raw) { dte_line(text, raw, now); });
  refresh_soon();
}

void live_feed::dte_line(std::string_view text, std::string_view raw, modem::time_point now) {
  auto info = explain_dte_line(text, settings_.style);
  // What the host typed, secrets masked as the transcript does; the hex shows the same.
  const auto masked = info.kind == line_kind::command ? at::mask_secrets(text) : std::string(text);
  const auto masked_raw = info.kind == line_kind::command ? at::mask_secrets(raw) : std::string(raw);
  if (info.kind == line_kind::command) command_ = std::string(at::trim(text));
  echoes_.push_back(std::string(text));
  if (echoes_.size() > max_echoes) echoes_.pop_front();
  emit(line_message(++seq_, micros(now), side::dte, shown(masked), masked_raw, info));
  if (listener_) listener_(side::dte, text, info.kind, now);
}

void live_feed::dte_out(std::string_view bytes, modem::time_point now) {
  if (next_) next_->dte_out(bytes, now);
  if (recording_) recorder_->dte_out(bytes, now);
  out_.push(bytes, false, [&](std::string_view text, std::string_view raw) { module_line(text, raw, now); });
  refresh_soon();
}

void live_feed::module_line(std::string_view text, std::string_view raw, modem::time_point now) {
  bool echo = false;
  for (auto it = echoes_.begin(); it != echoes_.end(); ++it)
    if (*it == text) {
      echo = true;
      echoes_.erase(echoes_.begin(), it + 1);
      break;
    }
  auto info = explain_module_line(text, echo, command_, settings_.style);
  if (info.kind == line_kind::result || info.kind == line_kind::prompt) command_.clear();
  const auto masked = echo ? at::mask_secrets(text) : std::string(text);
  const auto masked_raw = echo ? at::mask_secrets(raw) : std::string(raw);
  emit(line_message(++seq_, micros(now), side::module, shown(masked), masked_raw, info));
  if (listener_) listener_(side::module, text, info.kind, now);
}

void live_feed::request(const mqtt::any_request& r, modem::time_point now) {
  if (next_) next_->request(r, now);
  if (recording_) recorder_->request(r, now);
  emit(mqtt_message(++seq_, micros(now), r));
  refresh_soon();
}

void live_feed::event(const mqtt::any_event& e, modem::time_point now) {
  if (next_) next_->event(e, now);
  if (recording_) recorder_->event(e, now);
  if (const auto* c = std::get_if<mqtt::event::connack>(&e); c && c->return_code != 0) refused_seen_ = true;
  emit(mqtt_message(++seq_, micros(now), e));
  refresh_soon();
}

void live_feed::note(const modem::log_record& r, modem::time_point now) {
  if (next_) next_->note(r, now);
  if (recording_) recorder_->note(r, now);
  // A refusal a scenario's fault makes inside the module never crossed the backend: draw
  // it on the broker's side all the same (a real broker's refusal came as an event).
  if (r.reason == "mqtt.connack_refused" && !std::exchange(refused_seen_, false)) {
    int id = 0, code = 0;
    if (std::sscanf(r.text.c_str(), "broker refused CONNECT on id %d with code %d", &id, &code) == 2)
      emit(mqtt_message(++seq_, micros(now), mqtt::any_event{mqtt::event::connack{id, code}}));
  }
  // A reboot or a state change shows in the state message; notes stay in the trace.
  if (recording_ && static_cast<std::size_t>(trace_.tellp()) > settings_.trace_limit) recording_ = false;
  refresh_soon();
}

void live_feed::refresh_soon() {
  if (refresh_posted_ || !running_) return;
  refresh_posted_ = true;
  net::post(ex_, [weak = std::weak_ptr<live_feed*>(self_)] {
    auto self = weak.lock();
    if (!self || !*self) return;
    (*self)->refresh_posted_ = false;
    (*self)->refresh();
  });
}

void live_feed::refresh() {
  if (!state_ || !running_) return;
  auto text = state_message(state_(), settings_.imei);
  if (auto it = sticky_.find("state"); it != sticky_.end() && it->second == text) return;
  set_sticky("state", std::move(text));  // only the latest state matters to a late viewer
}

void live_feed::set_sticky(const std::string& key, std::string text) {
  sticky_[key] = text;
  broadcast(std::move(text), false);
}

std::string live_feed::trace_text() const { return trace_.str(); }

std::optional<oracle::verdict> live_feed::verdict() const {
  if (!verdict_) return std::nullopt;
  return verdict_();
}

}  // namespace nt35e::web
