#include "oracle/oracle.hpp"

#include <algorithm>

#include "at/command_line.hpp"
#include "at/text.hpp"
#include "oracle/expectations.hpp"

namespace nt35e::oracle {

namespace {

using namespace std::chrono_literals;

/// Longest line kept from either side (the module's input buffer is 3072 bytes, §2.1).
constexpr std::size_t max_line = 4096;
/// A command line without its final result after this long is forgotten (the longest
/// guard timer, AT+COPS 305 s, §2.9, has passed: the answer was not one we recognise).
constexpr auto forget_after = 310s;

std::optional<int> number(std::string_view s) { return field_number(s); }
std::string unquote(std::string_view s) { return field_text(s); }

modem::duration seconds(double s) { return modem::duration(static_cast<long long>(s * 1000)); }

bool is_ecmt_link_command(std::string_view n) {
  return n == "+ECMTOPEN" || n == "+ECMTCONN" || n == "+ECMTCLOSE" || n == "+ECMTDISC" || n == "+ECMTSUB" ||
         n == "+ECMTUNS" || n == "+ECMTPUB";
}

bool is_action(std::string_view n) {
  return is_ecmt_link_command(n) || n == "+ECRST" || n == "+CFUN" || n == "+CGATT" || n == "+CGACT" || n == "+COPS" ||
         n == "+ECPING";
}

bool is_registration(std::string_view n) { return n == "+CEREG" || n == "+CREG" || n == "+CGREG"; }

std::string fmt_s(modem::duration d) {
  auto ms = d.count();
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

}  // namespace

oracle::oracle(config c, modem::time_point origin, std::vector<scenario::expectation> expect)
    : config_(std::move(c)), origin_(origin) {
  if (!expect.empty()) expect_ = std::make_unique<expectations>(std::move(expect));
}

oracle::~oracle() = default;
oracle::oracle(oracle&&) noexcept = default;

std::vector<expectation_result> oracle::expectation_results() const {
  return expect_ ? expect_->results() : std::vector<expectation_result>{};
}

std::int64_t oracle::us(modem::time_point t) const {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - origin_).count();
}

line_ref oracle::ref(const std::string& text, modem::time_point t, bool from_dte) const {
  // Printable for a person and valid in JSON and XML: control bytes and broken UTF-8 escaped.
  at::escape_options o;
  o.high = at::escape_options::high_bytes::keep_if_valid_utf8;
  return line_ref{us(t), from_dte, at::escape_bytes(text, o)};
}

oracle::context& oracle::ctx(int id) { return links_[id]; }

void oracle::exercise(std::string_view id) { exercised_.insert(std::string(id)); }

void oracle::report(std::string_view id, modem::time_point at, std::string detail, std::vector<line_ref> lines) {
  exercise(id);
  if (!config_.runs(id)) return;
  auto seen = found_.find(id);
  if (seen == found_.end()) seen = found_.emplace(std::string(id), 0).first;
  if (++seen->second > max_findings_per_rule) return;
  const auto* r = find_rule(id);
  finding f;
  f.rule = std::string(id);
  f.level = r ? r->level : severity::error;
  f.t_us = us(at);
  f.detail = std::move(detail);
  f.lines = std::move(lines);
  findings_.push_back(std::move(f));
}

std::vector<rule_use> oracle::coverage() const {
  std::vector<rule_use> out;
  for (const auto& r : rules()) {
    rule_use u;
    u.id = std::string(r.id);
    u.runs = config_.runs(r.id);
    u.exercised = exercised_.count(u.id) > 0;
    auto n = found_.find(r.id);
    u.findings = n == found_.end() ? 0 : n->second;
    out.push_back(std::move(u));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// the driver's side

void oracle::on_dte(std::string_view bytes, modem::time_point now) {
  advance(now);
  for (char c : bytes) {
    if (data_mode_) {  // AT+ECMTPUB's payload (§5.8.2): raw bytes up to ^Z or ESC
      if (c == 0x1A || c == 0x1B) {
        data_mode_ = false;
        if (c == 0x1B && !waiting_.empty()) waiting_.back().cancelled = true;  // nothing is published
        continue;
      }
      ++payload_bytes_;
      auto limit = static_cast<std::size_t>(config_.value("NT35E-ECMT-LIMITS", "payload"));
      if (payload_bytes_ == limit + 1) {
        if (!waiting_.empty()) waiting_.front().tainted = true;
        report("NT35E-ECMT-LIMITS", now,
               "the data-mode payload is longer than " + std::to_string(limit) +
                   " bytes: the module leaves data mode and reads the rest as commands",
               {payload_line_});
      }
      continue;
    }
    if (c == '\r') {
      if (line_start_) dte_line(std::move(line_), *line_start_, now);
      line_.clear();
      line_start_.reset();
      line_tainted_ = false;
      after_cr_ = true;
      continue;
    }
    if (c == '\n') {
      // An LF right after CR, or at the start of a line, is ignored (§2.1 rule 1).
      if (!after_cr_ && !line_.empty() && !line_tainted_) {
        line_tainted_ = true;
        report("NT35E-AT-LINE-ENDING", now,
               "the line \"" + at::escape_bytes(at::mask_secrets(line_)) +
                   "\" ended with LF (0x0A) alone; the module waits for CR (0x0D)",
               {ref(at::mask_secrets(line_), now, true)});
      }
      after_cr_ = false;
      continue;
    }
    after_cr_ = false;
    if (c == '\b' || c == 0x7F) {
      if (!line_.empty()) line_.pop_back();
      continue;
    }
    if (!line_start_) line_start_ = now;
    if (line_.size() < max_line) line_.push_back(c);
  }
}

void oracle::dte_line(std::string raw, modem::time_point start, modem::time_point now) {
  auto at_pos = at::find_at_prefix(raw);
  if (!at_pos) return;  // no AT: the module discards the line silently (§2.1 rule 2)
  std::string_view line = std::string_view(raw).substr(*at_pos);
  sent_line s;
  s.text = at::mask_secrets(line);
  s.at = now;
  s.tainted = line_tainted_;
  auto proof = ref(s.text, now, true);
  if (line_tainted_) exercise("NT35E-AT-LINE-ENDING");

  exercise("NT35E-AT-BEFORE-ECRDY");
  if (!booted_) {
    report("NT35E-AT-BEFORE-ECRDY", now,
           reboot_requested_ ? "the command was sent while the module rebooted, before its ECRDY"
                             : "the command was sent before the module's ECRDY",
           {proof});
    return;  // the module discards it: no answer will come
  }

  // A line waiting in the module's buffer: older ones that never got a recognised answer are dropped.
  while (!waiting_.empty() && now - waiting_.front().at > forget_after) waiting_.pop_front();
  if (!waiting_.empty()) {
    exercise("NT35E-AT-OVERLAP");
    report("NT35E-AT-OVERLAP", now, "\"" + waiting_.back().text + "\" had no final result yet",
           {ref(waiting_.back().text, waiting_.back().at, true), proof});
  } else if (last_final_) {
    exercise("NT35E-AT-PAUSE");
    auto pause = seconds(config_.value("NT35E-AT-PAUSE", "pause_ms") / 1000.0);
    if (start - *last_final_ < pause)
      report("NT35E-AT-PAUSE", now,
             "the line began " +
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(start - *last_final_).count()) +
                 " ms after the previous final result",
             {last_final_line_, proof});
  }

  // Parse as the module does; AT+ECMTPUB's payload is the raw rest of its line (§5.8.1).
  auto raw_tail = [](std::string_view name) { return name == "+ECMTPUB"; };
  auto parsed = at::parse_command_line(line, 2, raw_tail);
  std::size_t payload_at = line.size();
  std::vector<at::command> commands;
  if (auto* ok = std::get_if<std::vector<at::command>>(&parsed)) commands = std::move(*ok);
  for (const auto& c : commands) {
    if (c.name == "+ECMTPUB" && c.what == at::form::write)
      if (auto p = at::find_param(line, c.args_offset, 5)) payload_at = std::min(payload_at, p->begin);
  }

  // Typographic quotes, full-width characters: ERROR on the module (§2.6 rule 5).
  exercise("NT35E-AT-TYPOGRAPHIC");
  for (std::size_t p = 0; p < payload_at; ++p) {
    if (static_cast<unsigned char>(line[p]) < 0x80) continue;
    std::string reason;
    auto what = at::describe_non_ascii(line, p, &reason);
    if (reason == "syntax.typographic_quote" || reason == "syntax.fullwidth_punct" || reason == "syntax.non_ascii") {
      s.tainted = true;
      report("NT35E-AT-TYPOGRAPHIC", now, "the line holds " + what + " at byte " + std::to_string(p), {proof});
    }
    break;
  }

  // Lower-case command names (§2.1 rule 3): scan the names, not the parameters.
  exercise("NT35E-AT-LOWERCASE");
  {
    bool in_name = true, in_quote = false, lower = false;
    for (std::size_t p = 0; p < payload_at; ++p) {
      char c = line[p];
      if (in_quote) {
        if (c == '"') in_quote = false;
      } else if (c == '"') {
        in_quote = true;
      } else if (c == ';') {
        in_name = true;
      } else if (c == '=' || c == '?') {
        in_name = false;
      } else if (in_name && c >= 'a' && c <= 'z') {
        lower = true;
      }
    }
    if (lower)
      report("NT35E-AT-LOWERCASE", now,
             "write \"" + at::to_upper(s.text.substr(0, std::min(s.text.find_first_of("=?;"), s.text.size()))) +
                 "\" in upper case",
             {proof});
  }

  int actions = 0;
  for (const auto& c : commands) {
    s.names.push_back(c.name);
    if (is_action(c.name) && (c.what == at::form::write || c.what == at::form::execute)) ++actions;
  }
  if (commands.size() > 1) exercise("NT35E-AT-MULTI-ACTION");
  if (actions > 1)
    report("NT35E-AT-MULTI-ACTION", now, std::to_string(actions) + " action commands on one line", {proof});

  bool reported = false;
  if (!commands.empty()) {
    const auto& first = commands.front();
    s.first_name = first.name;
    s.read_form = first.what == at::form::read;
    if (first.what == at::form::write) {
      if (first.name == "+ECMTPUB") {
        // five fields, then the raw payload (or nothing: data mode)
        std::string head(line.substr(first.args_offset, payload_at - first.args_offset));
        s.params = at::command_params("=" + head);
        if (s.params.size() > 5) s.params.resize(5);
        if (payload_at < line.size()) {
          std::string_view payload = line.substr(payload_at);
          bool quoted = !payload.empty() && payload.front() == '"';
          if (quoted) {
            payload.remove_prefix(1);
            if (!payload.empty() && payload.back() == '"') payload.remove_suffix(1);
          }
          s.params.push_back(std::string(payload));
        }
      } else {
        s.params = at::command_params("=" + first.args);
      }
    }
    if (expect_ && first.what == at::form::write) expect_->sent(first.name, s.params, proof);
    for (const auto& c : commands) {
      if (!is_ecmt_link_command(c.name) || c.what != at::form::write) continue;
      std::vector<std::string> params = (&c == &first) ? s.params : at::command_params("=" + c.args);
      ecmt_command(s, c.name, params, now, reported);
    }
    if (first.name == "+ECMTPUB" && first.what == at::form::write && s.params.size() == 5) {
      data_mode_ = true;
      payload_bytes_ = 0;
      payload_line_ = proof;
    }
  }
  if (reported) s.tainted = true;
  waiting_.push_back(std::move(s));
}

void oracle::ecmt_command(const sent_line& s, const std::string& name, const std::vector<std::string>& params,
                          modem::time_point now, bool& reported) {
  if (params.empty()) return;
  auto id = number(params[0]);
  if (!id) return;
  auto& c = ctx(*id);
  auto proof = ref(s.text, now, true);
  auto emit = [&](std::string_view rule, std::string detail, std::vector<line_ref> lines) {
    if (reported) return;
    reported = true;
    lines.push_back(proof);
    report(rule, now, std::move(detail), std::move(lines));
  };
  // A state rule whose cause is a failure the driver just read is the ignored error.
  auto state_rule = [&](std::string_view rule, std::string detail, std::vector<line_ref> lines) {
    exercise(rule);
    if (c.last_failure) {
      exercise("NT35E-DRV-IGNORED-ERROR");
      emit("NT35E-DRV-IGNORED-ERROR",
           "the previous command on id " + std::to_string(*id) + " failed (" + c.last_failure->text + ") and " + name +
               " assumes it succeeded",
           {*c.last_failure});
      return;
    }
    emit(rule, std::move(detail), std::move(lines));
  };
  const bool use = name == "+ECMTSUB" || name == "+ECMTUNS" || name == "+ECMTPUB";
  const bool ending = name == "+ECMTCLOSE" || name == "+ECMTDISC";

  if (c.state == link::lost && name != "+ECMTSUB" && name != "+ECMTUNS" && name != "+ECMTPUB") c.driver_acted = true;
  if (name == "+ECMTSUB" || name == "+ECMTUNS") {
    if (params.size() > 2) c.owed.erase(unquote(params[2]));
  }

  // Topic and payload limits (§5.6, §5.8).
  if (name == "+ECMTSUB" || name == "+ECMTUNS" || name == "+ECMTPUB") {
    exercise("NT35E-ECMT-LIMITS");
    std::size_t topic_at = name == "+ECMTPUB" ? 4 : 2;
    auto topic_limit = static_cast<std::size_t>(config_.value("NT35E-ECMT-LIMITS", "topic"));
    auto payload_limit = static_cast<std::size_t>(config_.value("NT35E-ECMT-LIMITS", "payload"));
    if (params.size() > topic_at && unquote(params[topic_at]).size() > topic_limit)
      emit("NT35E-ECMT-LIMITS",
           "the topic has " + std::to_string(unquote(params[topic_at]).size()) + " characters; at most " +
               std::to_string(topic_limit),
           {});
    else if (name == "+ECMTPUB" && params.size() > 5 && params[5].size() > payload_limit)
      emit("NT35E-ECMT-LIMITS",
           "the payload has " + std::to_string(params[5].size()) + " bytes; at most " + std::to_string(payload_limit),
           {});
  }

  if (c.pending_since) {
    const auto waited = now - *c.pending_since;
    const auto& p = c.pending_cmd;
    if ((p == "+ECMTOPEN" || p == "+ECMTCONN") && ending) {
      exercise("NT35E-ECMT-GAVE-UP-EARLY");
      auto worst = seconds(config_.value("NT35E-ECMT-GAVE-UP-EARLY", p == "+ECMTOPEN" ? "open_s" : "conn_s"));
      if (waited < worst)
        emit("NT35E-ECMT-GAVE-UP-EARLY",
             name + " came " + fmt_s(std::chrono::duration_cast<modem::duration>(waited)) + " after " + p +
                 "'s OK; its URC may take up to " + fmt_s(worst),
             {c.pending_line});
    } else if (p == "+ECMTOPEN" && name == "+ECMTCONN") {
      state_rule("NT35E-ECMT-CONN-BEFORE-OPEN", "+ECMTOPEN:" + std::to_string(*id) + ",0 had not come yet",
                 {c.pending_line});
    } else if ((p == "+ECMTOPEN" || p == "+ECMTCONN") && use) {
      state_rule("NT35E-ECMT-USE-BEFORE-CONN", "+ECMTCONN:" + std::to_string(*id) + ",0,0 had not come yet",
                 {c.pending_line});
    } else {
      exercise("NT35E-ECMT-URC-PENDING");
      emit("NT35E-ECMT-URC-PENDING", "the URC of " + p + " on id " + std::to_string(*id) + " had not come yet",
           {c.pending_line});
    }
  } else if (name == "+ECMTCONN" && (c.state == link::none || c.state == link::closing)) {
    state_rule("NT35E-ECMT-CONN-BEFORE-OPEN", "no +ECMTOPEN:" + std::to_string(*id) + ",0 opened the link", {});
  } else if (use && c.state != link::connected) {
    state_rule("NT35E-ECMT-USE-BEFORE-CONN",
               c.state == link::lost ? "the link was lost (+ECMTSTAT) and not connected again"
                                     : "no +ECMTCONN:" + std::to_string(*id) + ",0,0 connected the link",
               c.state == link::lost ? std::vector<line_ref>{c.lost_line} : std::vector<line_ref>{});
  }
  if (name == "+ECMTCONN" || use)
    exercise(name == "+ECMTCONN" ? "NT35E-ECMT-CONN-BEFORE-OPEN" : "NT35E-ECMT-USE-BEFORE-CONN");

  if (name == "+ECMTOPEN") {
    exercise("NT35E-NET-OPEN-UNREGISTERED");
    if (registered_ && !*registered_)
      emit("NT35E-NET-OPEN-UNREGISTERED", "the last registration status the module reported was not 1 or 5",
           {registered_line_});
  }

  // QoS 1/2 publishes awaiting their ack (§5.8.3).
  if (name == "+ECMTPUB" && params.size() > 2 && number(params[2]).value_or(0) > 0) {
    exercise("NT35E-ECMT-INFLIGHT");
    auto limit = static_cast<std::size_t>(config_.value("NT35E-ECMT-INFLIGHT", "limit"));
    if (c.qos_pending.size() >= limit) {
      std::vector<line_ref> awaiting;
      for (const auto& [msg, line] : c.qos_pending) awaiting.push_back(line);
      std::sort(awaiting.begin(), awaiting.end(), [](const line_ref& a, const line_ref& b) { return a.t_us < b.t_us; });
      emit("NT35E-ECMT-INFLIGHT",
           std::to_string(c.qos_pending.size()) + " QoS 1/2 publishes on id " + std::to_string(*id) +
               " were still awaiting +ECMTPUB (limit " + std::to_string(limit) + ")",
           std::move(awaiting));
    }
  }
}

// ---------------------------------------------------------------------------------------
// the module's side

void oracle::on_module(std::string_view bytes, modem::time_point now) {
  advance(now);
  cutter_.push(bytes, [&](std::string_view line) { module_line(line, now); });
}

void oracle::module_line(std::string_view line, modem::time_point now) {
  line = at::trim_line(line);
  if (line.empty() || at::is_command_line(line)) return;  // echo
  if (at::is_prompt(line)) return;                        // data mode: the payload follows
  if (auto r = at::final_result_of(line)) {
    final_result(line, at::is_failure(*r), *r == at::final_result::error, now);
    return;
  }
  urc(line, now);
}

void oracle::final_result(std::string_view line, bool failed, bool plain_error, modem::time_point now) {
  last_final_ = now;
  last_final_line_ = ref(std::string(line), now, false);
  if (waiting_.empty()) return;
  auto s = std::move(waiting_.front());
  waiting_.pop_front();
  data_mode_ = false;
  if (expect_ && !s.params.empty())
    expect_->done(s.first_name, s.params, ref(s.text, s.at, true), !failed && !s.cancelled, us(now));
  if (failed) {
    exercise("NT35E-AT-MALFORMED");
    if (plain_error && !s.tainted)
      report("NT35E-AT-MALFORMED", now, "the module answered ERROR",
             {ref(s.text, s.at, true), ref(std::string(line), now, false)});
    command_failed(s, line, now);
  } else {
    command_succeeded(s, now);
  }
}

void oracle::command_failed(const sent_line& s, std::string_view result, modem::time_point now) {
  reboot_reason_ = true;
  std::vector<line_ref> proof{ref(s.text, s.at, true), ref(std::string(result), now, false)};
  if (is_ecmt_link_command(s.first_name) && !s.params.empty())
    if (auto id = number(s.params[0])) ctx(*id).last_failure = ref(s.text + " -> " + std::string(result), now, false);
  if (s.first_name == "+ECMTOPEN" && !s.tainted && !(registered_ && *registered_) && result.starts_with("+CME"))
    report("NT35E-NET-OPEN-UNREGISTERED", now,
           "the open was refused and the driver had not seen the module registered (+CEREG stat 1 or 5)", proof);
  count_failure(s.text, s.at, std::move(proof), now);
}

void oracle::count_failure(const std::string& key, modem::time_point sent, std::vector<line_ref> proof,
                           modem::time_point now) {
  exercise("NT35E-DRV-RETRY-STORM");
  auto window = seconds(config_.value("NT35E-DRV-RETRY-STORM", "window_s"));
  auto count = static_cast<std::size_t>(config_.value("NT35E-DRV-RETRY-STORM", "count"));
  forget_stale_attempts(sent, window, attempts_.contains(key));
  auto& a = attempts_[key];
  a.failures.push_back(failure{sent, std::move(proof)});
  // Only the tries within the window count, and no more than a storm needs to be told.
  std::erase_if(a.failures, [&](const failure& f) { return sent - f.sent > window; });
  const std::size_t keep = std::max(count, max_failures_per_command);
  if (a.failures.size() > keep) a.failures.erase(a.failures.begin(), a.failures.end() - static_cast<std::ptrdiff_t>(keep));
  if (a.reported || count == 0 || a.failures.size() < count) return;
  // A growing delay (each gap at least 10 % longer than the one before) is a back-off, not a storm.
  bool growing = a.failures.size() >= 3;
  for (std::size_t i = 2; i < a.failures.size() && growing; ++i) {
    auto before = a.failures[i - 1].sent - a.failures[i - 2].sent;
    auto gap = a.failures[i].sent - a.failures[i - 1].sent;
    growing = gap * 10 > before * 11;
  }
  if (growing) return;
  a.reported = true;
  std::vector<line_ref> lines;  // every try in the window with what said it failed
  for (const auto& f : a.failures) lines.insert(lines.end(), f.lines.begin(), f.lines.end());
  report("NT35E-DRV-RETRY-STORM", now,
         "\"" + key + "\" failed " + std::to_string(a.failures.size()) + " times within " +
             fmt_s(std::chrono::duration_cast<modem::duration>(a.failures.back().sent - a.failures.front().sent)) +
             " without a growing delay",
         std::move(lines));
}

void oracle::forget_stale_attempts(modem::time_point now, modem::duration window, bool key_known) {
  const bool full = !key_known && attempts_.size() >= max_tracked_commands;
  if (!full && now - attempts_swept_ < window) return;
  attempts_swept_ = now;
  // Each failing line is its own key (a publish's msgID, its payload), and only the
  // window matters for a storm: a line quiet for a whole window can go.
  std::erase_if(attempts_, [&](const auto& kv) {
    const auto& f = kv.second.failures;
    return f.empty() || now - f.back().sent > window;
  });
  // Still full: a storm of distinct lines; the one that failed longest ago goes.
  while (!key_known && attempts_.size() >= max_tracked_commands) {
    auto stalest = std::min_element(attempts_.begin(), attempts_.end(), [](const auto& x, const auto& y) {
      return x.second.failures.back().sent < y.second.failures.back().sent;
    });
    attempts_.erase(stalest);
  }
}

void oracle::command_succeeded(const sent_line& s, modem::time_point now) {
  const auto& n = s.first_name;
  auto param = [&](std::size_t i) { return i < s.params.size() ? s.params[i] : std::string(); };
  if (n == "+ECRST" || (n == "+CFUN" && number(param(0)) == 1 && number(param(1)) == 1)) {
    booted_ = false;
    reboot_requested_ = true;
    exercise("NT35E-SYS-REBOOT-LOOP");
    if (reboot_reason_) reboots_.clear();
    reboot_reason_ = false;
    reboots_.push_back(reboot{now, ref(s.text, s.at, true)});
    auto window = seconds(config_.value("NT35E-SYS-REBOOT-LOOP", "window_s"));
    while (!reboots_.empty() && now - reboots_.front().at > window) reboots_.pop_front();
    auto count = static_cast<std::size_t>(config_.value("NT35E-SYS-REBOOT-LOOP", "count"));
    if (count > 0 && reboots_.size() >= count) {
      std::vector<line_ref> lines;  // every reboot of the loop
      for (const auto& r : reboots_) lines.push_back(r.line);
      report("NT35E-SYS-REBOOT-LOOP", now,
             std::to_string(reboots_.size()) + " reboots within " +
                 fmt_s(std::chrono::duration_cast<modem::duration>(now - reboots_.front().at)) +
                 " with no failure or link loss in between",
             std::move(lines));
      reboots_.clear();
    }
    return;
  }
  if ((n == "+CFUN" && (number(param(0)) == 0 || number(param(0)) == 4)) || (n == "+CGATT" && number(param(0)) == 0)) {
    registered_ = false;
    registered_line_ = ref(s.text, s.at, true);
  }
  if (n == "+ECMTCFG" && s.params.size() > 2 && unquote(param(0)) == "session")
    if (auto id = number(param(1))) ctx(*id).clean_session = number(param(2)) != 0;
  if (!is_ecmt_link_command(n) || s.params.empty()) {
    attempts_.erase(s.text);
    return;
  }
  auto id = number(param(0));
  if (!id) return;
  auto& c = ctx(*id);
  auto pend = [&] {
    c.pending_since = now;
    c.pending_cmd = n;
    c.pending_line = ref(s.text, s.at, true);
    if (n == "+ECMTOPEN" || n == "+ECMTCONN") exercise("NT35E-ECMT-GAVE-UP-EARLY");
  };
  if (n == "+ECMTOPEN") {
    if (c.state == link::none || c.state == link::failed) {
      c.state = link::opening;
      c.last_failure.reset();
      pend();
    }
  } else if (n == "+ECMTCONN") {
    if (c.state == link::opened || c.state == link::failed) {
      c.state = link::connecting;
      c.last_failure.reset();
      pend();
    } else if (c.state == link::opening) {
      c.queued_conn = true;
    }
  } else if (n == "+ECMTCLOSE" || n == "+ECMTDISC") {
    c.state = link::closing;
    pend();
  } else if (n == "+ECMTSUB") {
    if (auto msg = number(param(1))) c.sub_pending[*msg] = unquote(param(2));
    c.last_failure.reset();
  } else if (n == "+ECMTUNS") {
    c.subscribed.erase(unquote(param(2)));
    c.last_failure.reset();
  } else if (n == "+ECMTPUB") {
    if (number(param(2)).value_or(0) > 0)
      if (auto msg = number(param(1))) c.qos_pending[*msg] = ref(s.text, s.at, true);
    c.last_failure.reset();
    attempts_.erase(s.text);
  }
}

void oracle::boot(modem::time_point now) {
  if (booted_ && !reboot_requested_) reboot_reason_ = true;  // the module restarted on its own
  booted_ = true;
  reboot_requested_ = false;
  registered_.reset();
  links_.clear();
  waiting_.clear();
  data_mode_ = false;
  last_final_.reset();
  (void)now;
}

void oracle::urc(std::string_view line, modem::time_point now) {
  auto name = at::response_name(line);
  if (name == "ECRDY") {
    boot(now);
    if (expect_) expect_->urc(name, {}, ref(std::string(line), now, false));
    return;
  }
  auto fields = at::response_fields(line);
  auto field = [&](std::size_t i) { return i < fields.size() ? number(fields[i]) : std::nullopt; };
  if (is_registration(name)) {
    // The read answer (+CEREG:<n>,<stat>…) comes while AT+CEREG? waits; a URC leads with <stat>.
    bool answer = !waiting_.empty() && waiting_.front().first_name == name && waiting_.front().read_form;
    if (auto stat = field(answer ? 1 : 0)) {
      registered_ = *stat == 1 || *stat == 5;
      registered_line_ = ref(std::string(line), now, false);
    }
    return;
  }
  if (!name.starts_with("+ECMT")) return;
  auto id = field(0);
  if (!id) return;
  // Information text of a read or test form (+ECMTOPEN:0,"host",port while AT+ECMTOPEN? waits) is no URC.
  if (!waiting_.empty() && waiting_.front().first_name == name && !waiting_.front().params.size()) return;
  auto& c = ctx(*id);
  auto line_proof = ref(std::string(line), now, false);
  if (expect_) expect_->urc(name, fields, line_proof);
  auto settle = [&] {
    c.pending_since.reset();
    c.pending_cmd.clear();
  };
  auto failed = [&](const line_ref& cmd) {
    reboot_reason_ = true;
    c.last_failure = ref(cmd.text + " -> " + std::string(line), now, false);
    count_failure(cmd.text, origin_ + std::chrono::microseconds(cmd.t_us), {cmd, line_proof}, now);
  };
  if (name == "+ECMTOPEN") {
    auto cmd = c.pending_line;
    settle();
    if (field(1) == 0) {
      c.state = link::opened;
      attempts_.erase(cmd.text);
      if (c.queued_conn) {
        c.queued_conn = false;
        c.state = link::connecting;
        c.pending_since = now;
        c.pending_cmd = "+ECMTCONN";
      }
    } else {
      c.state = link::none;
      c.queued_conn = false;
      c.clean_session = true;
      failed(cmd);
    }
  } else if (name == "+ECMTCONN" && fields.size() >= 3) {
    auto cmd = c.pending_line;
    bool was_lost = c.state == link::lost;
    settle();
    if (field(1) == 0 && field(2) == 0) {
      c.state = link::connected;
      c.last_failure.reset();
      attempts_.erase(cmd.text);
      if (c.lost_at || was_lost || !c.owed.empty()) {
        c.lost_at.reset();
        if (!c.owed.empty()) {
          exercise("NT35E-ECMT-NO-RESUBSCRIBE");
          c.reconnected_at = now;
          c.reconnect_line = line_proof;
        }
      }
    } else {
      if (!was_lost) c.state = field(1) == 2 ? link::failed : link::opened;
      if (!was_lost)
        failed(cmd);
      else
        reboot_reason_ = true;
    }
  } else if (name == "+ECMTCLOSE" || name == "+ECMTDISC") {
    settle();
    if (field(1) == 0) {
      // The driver ended the session itself (CLOSE or DISC alike): it owes no subscription
      // from before it (a refused CLOSE or DISC, -1 or +CME ERROR, leaves them owed).
      c.state = link::none;
      c.clean_session = true;
      c.subscribed.clear();
      c.qos_pending.clear();
      c.sub_pending.clear();
      c.owed.clear();
      c.reconnected_at.reset();
      c.lost_at.reset();
    } else {
      c.state = link::opened;
    }
  } else if (name == "+ECMTSTAT") {
    exercise("NT35E-ECMT-NO-RECOVERY");
    reboot_reason_ = true;
    c.state = link::lost;
    c.lost_at = now;
    c.lost_line = line_proof;
    c.driver_acted = false;
    c.qos_pending.clear();
    c.owed.clear();
    if (c.clean_session)
      for (const auto& [topic, proof] : c.subscribed) c.owed.insert(topic);
  } else if (name == "+ECMTSUB" && fields.size() >= 3) {
    auto msg = field(1);
    if (!msg) return;
    auto it = c.sub_pending.find(*msg);
    if (it == c.sub_pending.end()) return;
    if (field(2) == 0) c.subscribed[it->second] = line_proof;
    c.sub_pending.erase(it);
  } else if (name == "+ECMTPUB" && fields.size() >= 3) {
    if (auto msg = field(1)) c.qos_pending.erase(*msg);
  }
}

void oracle::advance(modem::time_point now) {
  if (expect_) expect_->advance(us(now));
  for (auto& [id, c] : links_) {
    if (c.state == link::lost && c.lost_at && !c.driver_acted) {
      auto due = *c.lost_at + seconds(config_.value("NT35E-ECMT-NO-RECOVERY", "within_s"));
      if (now >= due) {
        c.lost_at.reset();
        report("NT35E-ECMT-NO-RECOVERY", due,
               "id " + std::to_string(id) +
                   " was not connected again and the driver sent no ECMTOPEN, ECMTCONN, "
                   "ECMTCLOSE or ECMTDISC for it",
               {c.lost_line});
      }
    }
    if (c.reconnected_at) {
      auto due = *c.reconnected_at + seconds(config_.value("NT35E-ECMT-NO-RESUBSCRIBE", "within_s"));
      if (c.owed.empty()) {
        c.reconnected_at.reset();
      } else if (now >= due) {
        std::string topics;
        for (const auto& t : c.owed) topics += (topics.empty() ? "\"" : ", \"") + t + "\"";
        std::vector<line_ref> proof{c.lost_line, c.reconnect_line};
        for (const auto& t : c.owed)
          if (auto it = c.subscribed.find(t); it != c.subscribed.end()) proof.insert(proof.begin(), it->second);
        report("NT35E-ECMT-NO-RESUBSCRIBE", due,
               "id " + std::to_string(id) + " reconnected with a clean session but " + topics +
                   " was not subscribed again",
               proof);
        c.reconnected_at.reset();
        c.owed.clear();
      }
    }
  }
}

}  // namespace nt35e::oracle
