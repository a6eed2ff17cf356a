#include "oracle/expectations.hpp"

#include <charconv>
#include <cstdio>

#include "at/text.hpp"
#include "mqtt/topic.hpp"

namespace nt35e::oracle {

namespace {

using scenario::expect_kind;

std::int64_t micros(scenario::duration d) { return static_cast<std::int64_t>(d.count()) * 1000; }

/// "30 s", "1.5 s", "250 ms": whole milliseconds, as the verdict's times.
std::string span(std::int64_t us) {
  const auto ms = us / 1000;
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  else
    std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms) / 1e3);
  return buf;
}

std::string ordinal(int n) {
  static const char* words[] = {"", "first", "second", "third", "fourth", "fifth"};
  if (n >= 1 && n <= 5) return words[n];
  return std::to_string(n) + (n % 10 == 1 && n % 100 != 11   ? "st"
                              : n % 10 == 2 && n % 100 != 12 ? "nd"
                              : n % 10 == 3 && n % 100 != 13 ? "rd"
                                                             : "th");
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return out;
}

std::string joined(const std::set<std::string>& items) {
  return joined(std::vector<std::string>(items.begin(), items.end()));
}

std::string param(const std::vector<std::string>& p, std::size_t i) { return i < p.size() ? field_text(p[i]) : ""; }

}  // namespace

std::optional<int> field_number(std::string_view s) {
  s = at::trim(s);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string field_text(std::string_view s) {
  s = at::trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::string_view to_string(outcome o) {
  switch (o) {
    case outcome::met:
      return "met";
    case outcome::unmet:
      return "unmet";
    case outcome::not_triggered:
      return "not_triggered";
  }
  return "?";
}

std::string describe(const scenario::expectation& x) {
  const auto within = span(micros(x.within));
  switch (x.kind) {
    case expect_kind::reconnect: {
      std::string when = x.after_loss > 0 ? "after the " + ordinal(x.after_loss) + " link loss (+ECMTSTAT)"
                         : x.after_loss_at
                             ? "after the first link loss (+ECMTSTAT) at or after " + span(micros(*x.after_loss_at))
                             : "after every link loss (+ECMTSTAT)";
      std::vector<std::string> subs;
      if (!x.subscribe.empty()) subs.push_back("subscribed to " + joined(x.subscribe) + " again");
      if (x.resubscribe) subs.push_back("every filter it held subscribed again");
      return when + ", the link is connected again (+ECMTCONN:<id>,0,0)" + (subs.empty() ? "" : " and ") +
             joined(subs) + " within " + within;
    }
    case expect_kind::connect:
      return "connected (+ECMTCONN:<id>,0,0) within " + within + " of the first AT+ECMTOPEN";
    case expect_kind::subscribe:
      return "subscribes to " + x.topic + " within " + within + " of the first connect";
    case expect_kind::publish:
      return "publishes to " + x.topic + " at least once every " + span(micros(x.every)) + " of connected time";
    case expect_kind::never_publish:
      return "never publishes to " + x.topic + (x.qos ? " with QoS " + std::to_string(*x.qos) : "");
    case expect_kind::back_off:
      return "after a refused CONNECT, the same AT+ECMTCONN not again sooner than " + span(micros(x.at_least));
  }
  return {};
}

expectations::expectations(std::vector<scenario::expectation> list) {
  for (auto& x : list) {
    runs_.emplace_back();
    runs_.back().x = std::move(x);
  }
}

bool expectations::any_connected() const {
  for (const auto& [id, l] : links_)
    if (l.connected) return true;
  return false;
}

void expectations::pass(run& r, std::int64_t t_us, std::string detail, std::vector<line_ref> lines) {
  r.decided = true;
  r.result = outcome::met;
  r.t_us = t_us;
  r.detail = std::move(detail);
  r.lines = std::move(lines);
  r.open.reset();
}

void expectations::fail(run& r, std::int64_t t_us, std::string detail, std::vector<line_ref> lines) {
  pass(r, t_us, std::move(detail), std::move(lines));
  r.result = outcome::unmet;
}

// A check whose every part is done passes: the whole expectation, or (after every loss)
// one loss of it.
void expectations::try_close(run& r) {
  if (!r.open) return;
  auto& c = *r.open;
  const auto& x = r.x;
  if (x.kind == expect_kind::reconnect) {
    if (!c.connected || !c.owed.empty()) return;
    ++r.met_checks;
    const bool every = x.after_loss == 0 && !x.after_loss_at;
    if (!every) {
      pass(r, c.last_us, "id " + std::to_string(c.id) + " was back after " + span(c.last_us - c.lines.front().t_us),
           c.lines);
      return;
    }
    r.t_us = c.last_us;
    r.lines = c.lines;
    r.open.reset();
  } else if (x.kind == expect_kind::connect && c.connected) {
    pass(r, c.last_us, "connected " + span(c.last_us - c.lines.front().t_us) + " after the first AT+ECMTOPEN", c.lines);
  } else if (x.kind == expect_kind::subscribe && c.owed.empty()) {
    pass(r, c.last_us, "subscribed " + span(c.last_us - c.lines.front().t_us) + " after the first connect", c.lines);
  }
}

void expectations::advance(std::int64_t t_us) {
  if (t_us < now_us_) t_us = now_us_;
  const bool connected = any_connected();
  for (auto& r : runs_) {
    if (r.decided) continue;
    if (r.x.kind == expect_kind::publish) {
      if (connected) {
        r.owed_us += t_us - r.since_us;
        r.connected_us += t_us - r.since_us;
      }
      r.since_us = t_us;
      const auto every = micros(r.x.every);
      if (connected && !r.pending && r.owed_us >= every) {
        std::vector<line_ref> lines;
        if (r.last_publish) lines.push_back(*r.last_publish);
        fail(r, t_us - (r.owed_us - every),
             "no publish to " + r.x.topic + " for " + span(every) + " of connected time" +
                 (r.last_publish ? " after the one at " + span(r.last_publish->t_us) : " after the connect"),
             lines);
      }
      continue;
    }
    if (!r.open || t_us < r.open->due_us) continue;
    const auto& c = *r.open;
    const auto within = span(micros(r.x.within));
    std::string detail;
    if (r.x.kind == expect_kind::reconnect)
      detail = !c.connected
                   ? "id " + std::to_string(c.id) + " was not connected again within " + within + " of the loss"
                   : "id " + std::to_string(c.id) + " was back, but " + joined(c.owed) +
                         (c.owed.size() == 1 ? " was" : " were") + " not subscribed again within " + within +
                         " of the loss";
    else if (r.x.kind == expect_kind::connect)
      detail = "no +ECMTCONN:<id>,0,0 within " + within + " of the first AT+ECMTOPEN";
    else
      detail = r.x.topic + " was not subscribed within " + within + " of the first connect";
    fail(r, c.due_us, detail, c.lines);
  }
  now_us_ = t_us;
}

void expectations::sent(const std::string& name, const std::vector<std::string>& params, const line_ref& line) {
  const auto id = field_number(param(params, 0));
  if (name == "+ECMTPUB" && params.size() > 4) {
    const auto topic = param(params, 4);
    const auto qos = field_number(param(params, 2));
    for (auto& r : runs_) {
      if (r.decided || !mqtt::topic_matches(r.x.topic, topic)) continue;
      if (r.x.kind == expect_kind::never_publish && (!r.x.qos || qos == r.x.qos)) {
        fail(r, line.t_us, "the driver published to " + topic + (qos ? " with QoS " + std::to_string(*qos) : ""),
             {line});
      } else if (r.x.kind == expect_kind::never_publish) {
        ++r.publishes;  // to the filter with another QoS: what shows the driver kept to it
        r.last_publish = line;
      } else if (r.x.kind == expect_kind::publish) {
        r.pending = line;
      }
    }
  } else if (name == "+ECMTCONN" && id) {
    auto& l = links_[*id];
    if (!l.refused) return;
    const auto refused = *l.refused;
    const bool same = line.text == l.refused_conn;
    l.refused.reset();  // only the first AT+ECMTCONN after a refusal is its retry
    if (!same) return;
    for (auto& r : runs_) {
      if (r.decided || r.x.kind != expect_kind::back_off) continue;
      const auto gap = line.t_us - refused.t_us;
      if (gap < micros(r.x.at_least))
        fail(r, line.t_us,
             "the same AT+ECMTCONN came " + span(gap) + " after the refusal; at least " + span(micros(r.x.at_least)) +
                 " was asked",
             {refused, line});
      else
        r.lines = {refused, line};
    }
  }
}

void expectations::done(const std::string& name, const std::vector<std::string>& params, const line_ref& line, bool ok,
                        std::int64_t t_us) {
  if (name == "+ECMTPUB") {
    for (auto& r : runs_) {
      if (r.decided || r.x.kind != expect_kind::publish || !r.pending) continue;
      if (ok) {
        ++r.publishes;
        r.last_publish = r.pending;
        // The period counts from when the driver sent it.
        r.owed_us = any_connected() ? t_us - r.pending->t_us : 0;
      }
      r.pending.reset();
    }
    return;
  }
  const auto id = field_number(param(params, 0));
  if (name == "+ECMTCFG" && ok && param(params, 0) == "session") {
    if (auto cfg_id = field_number(param(params, 1))) links_[*cfg_id].clean = field_number(param(params, 2)) != 0;
    return;
  }
  if (!ok || !id) return;
  auto& l = links_[*id];
  if (name == "+ECMTCONN") {
    l.conn_sent = line;
  } else if (name == "+ECMTUNS") {
    l.subscribed.erase(param(params, 2));
  } else if (name == "+ECMTSUB") {
    const auto filter = param(params, 2);
    l.subscribed[filter] = line;
    for (auto& r : runs_) {
      if (r.decided || !r.open) continue;
      auto& c = *r.open;
      const bool mine =
          (r.x.kind == expect_kind::reconnect && c.id == *id && c.connected) || r.x.kind == expect_kind::subscribe;
      if (!mine || !c.owed.erase(filter)) continue;
      c.lines.push_back(line);
      c.last_us = t_us;
      try_close(r);
    }
  } else if (name == "+ECMTOPEN") {
    for (auto& r : runs_) {
      if (r.decided || r.x.kind != expect_kind::connect || r.started) continue;
      r.started = true;
      r.open = check{-1, line.t_us + micros(r.x.within), {line}, false, {}, line.t_us};
    }
  }
}

void expectations::connected_changed(std::int64_t t_us) {
  if (!any_connected()) return;
  // The period of a publish expectation counts again from each connect.
  for (auto& r : runs_)
    if (!r.decided && r.x.kind == expect_kind::publish) {
      r.owed_us = 0;
      r.since_us = t_us;
    }
}

void expectations::urc(std::string_view name, const std::vector<std::string>& fields, const line_ref& line) {
  const bool was_connected = any_connected();
  if (name == "ECRDY") {
    for (auto& [id, l] : links_) l = link{};
    return;
  }
  const auto id = fields.empty() ? std::nullopt : field_number(fields[0]);
  if (!id) return;
  auto& l = links_[*id];
  // -1: absent or not a number (no URC field is negative where it matters here)
  const int f1 = fields.size() > 1 ? field_number(fields[1]).value_or(-1) : -1;
  const int f2 = fields.size() > 2 ? field_number(fields[2]).value_or(-1) : -1;
  if (name == "+ECMTCONN" && fields.size() >= 3) {
    if (f1 == 0 && f2 == 0) {
      l.connected = true;
      for (auto& r : runs_) {
        if (r.decided) continue;
        if (r.x.kind == expect_kind::subscribe && !r.started) {
          r.started = true;
          r.open = check{-1, line.t_us + micros(r.x.within), {line}, true, {r.x.topic}, line.t_us};
        }
        if (!r.open || r.open->connected || (r.x.kind == expect_kind::reconnect && r.open->id != *id)) continue;
        r.open->connected = true;
        r.open->lines.push_back(line);
        r.open->last_us = line.t_us;
        try_close(r);
      }
    } else {
      l.connected = false;
      if (f1 == 0) {  // the broker refused the CONNECT
        l.refused = line;
        l.refused_conn = l.conn_sent ? l.conn_sent->text : "";
        for (auto& r : runs_)
          if (!r.decided && r.x.kind == expect_kind::back_off) {
            r.started = true;
            r.lines = {line};
          }
      }
    }
  } else if (name == "+ECMTSTAT") {
    l.connected = false;
    ++losses_;
    std::set<std::string> held;
    for (const auto& [filter, proof] : l.subscribed) held.insert(filter);
    if (l.clean) l.subscribed.clear();  // the module does not restore them (§7.4)
    for (auto& r : runs_) {
      if (r.decided || r.x.kind != expect_kind::reconnect) continue;
      if (r.open && r.open->id == *id) {
        // Lost again before the deadline: the link had come back (no second +ECMTSTAT
        // while reconnecting, §7.4), which is what this loss asked.
        ++r.met_checks;
        r.lines = r.open->lines;
        r.t_us = r.open->last_us;
        r.open.reset();
        if (r.x.after_loss > 0 || r.x.after_loss_at) {
          pass(r, r.t_us, "id " + std::to_string(*id) + " was back before it was lost again", r.lines);
          continue;
        }
      }
      const bool every = r.x.after_loss == 0 && !r.x.after_loss_at;
      const bool this_one = every || r.x.after_loss == losses_ ||
                            (r.x.after_loss_at && !r.started && line.t_us >= micros(*r.x.after_loss_at));
      if (!this_one || r.open) continue;
      r.started = true;
      check c{*id, line.t_us + micros(r.x.within), {line}, false, {}, line.t_us};
      c.owed.insert(r.x.subscribe.begin(), r.x.subscribe.end());
      if (r.x.resubscribe && l.clean) c.owed.insert(held.begin(), held.end());
      r.open = std::move(c);
    }
  } else if ((name == "+ECMTDISC" || name == "+ECMTCLOSE") && f1 == 0) {
    l.connected = false;
    l.subscribed.clear();
  }
  if (!was_connected) connected_changed(line.t_us);
}

std::vector<expectation_result> expectations::results() const {
  const auto end_us = now_us_;
  std::vector<expectation_result> out;
  for (const auto& r : runs_) {
    expectation_result e;
    e.kind = to_string(r.x.kind);
    e.asks = describe(r.x);
    e.name = r.x.name.empty() ? e.asks : r.x.name;
    e.result = r.result;
    e.t_us = r.t_us;
    e.detail = r.detail;
    e.lines = r.lines;
    if (!r.decided) {
      e.t_us = end_us;
      const auto ended = r.open ? "; the session ended " + span(end_us - r.open->lines.front().t_us) +
                                      " after it, before the " + span(r.open->due_us - r.open->lines.front().t_us) +
                                      " allowed"
                                : std::string();
      switch (r.x.kind) {
        case expect_kind::reconnect:
          if (r.met_checks > 0) {
            e.result = outcome::met;
            e.t_us = r.t_us;
            e.detail = std::to_string(r.met_checks) + (r.met_checks == 1 ? " link loss" : " link losses") +
                       ", each followed in time" + (r.open ? " (the last one undecided" + ended + ")" : "");
          } else {
            e.detail = r.open ? "the link loss came" + ended
                              : "the session saw " + std::to_string(losses_) + " link loss" +
                                    (losses_ == 1 ? "" : "es") + " (+ECMTSTAT), not the one it waits for";
            if (r.open) e.lines = r.open->lines;
          }
          break;
        case expect_kind::connect:
          e.detail = r.open ? "the driver opened a link" + ended : "the driver never opened a link (AT+ECMTOPEN)";
          if (r.open) e.lines = r.open->lines;
          break;
        case expect_kind::subscribe:
          e.detail = r.open ? "the link was connected" + ended : "the link was never connected";
          if (r.open) e.lines = r.open->lines;
          break;
        case expect_kind::publish: {
          const auto connected = r.connected_us + (any_connected() ? end_us - r.since_us : 0);
          if (r.publishes > 0) {
            e.result = outcome::met;
            e.detail = std::to_string(r.publishes) + " publish" + (r.publishes == 1 ? "" : "es") + " to " + r.x.topic +
                       " in " + span(connected) + " of connected time, none late";
            if (r.last_publish) e.lines = {*r.last_publish};
          } else if (connected >= micros(r.x.every)) {
            e.result = outcome::unmet;  // cannot happen: advance() fails it first; kept for safety
            e.detail = "no publish to " + r.x.topic;
          } else {
            e.detail = "connected for " + span(connected) + " in all, less than one period";
          }
          break;
        }
        case expect_kind::never_publish:
          e.result = outcome::met;
          e.detail = "the driver never published to " + r.x.topic +
                     (r.x.qos ? " with QoS " + std::to_string(*r.x.qos) + " (" + std::to_string(r.publishes) +
                                    " publish" + (r.publishes == 1 ? "" : "es") + " to it with another QoS)"
                              : std::string());
          if (r.last_publish) e.lines = {*r.last_publish};
          break;
        case expect_kind::back_off:
          if (r.started) {
            e.result = outcome::met;
            e.detail = r.lines.size() > 1 ? "the same AT+ECMTCONN came only after the time asked"
                                          : "the driver did not send the refused AT+ECMTCONN again too soon";
          } else {
            e.detail = "no CONNECT was refused";
          }
          break;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace nt35e::oracle
