#include "web/events.hpp"

#include <cstdlib>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "at/command_line.hpp"
#include "at/text.hpp"
#include "at/vocabulary.hpp"
#include "explain/explainer.hpp"
#include "explain/explanations.hpp"
#include "modem/ecmt_context.hpp"
#include "oracle/rules.hpp"
#include "trace/report_html.hpp"

namespace nt35e::web {

using nlohmann::json;

namespace {

/// One line of JSON; bytes that are not UTF-8 become U+FFFD rather than an exception.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json bilingual(std::string_view en, std::string_view zh) { return json{{"en", en}, {"zh", zh}}; }

/// Fills `info` from a table row, in both languages.
void take(line_info& info, const explain::explanation* e, const std::vector<std::string>& fields,
          at::response_style style) {
  if (!e) return;
  info.en = explain::fill(at::styled_examples(e->en, style), fields);
  info.zh = explain::fill(at::styled_examples(e->zh, style), fields);
  info.spec = std::string(e->spec);
}

}  // namespace

const char* to_string(line_kind k) {
  switch (k) {
    case line_kind::command:
      return "command";
    case line_kind::data:
      return "data";
    case line_kind::echo:
      return "echo";
    case line_kind::response:
      return "response";
    case line_kind::urc:
      return "urc";
    case line_kind::result:
      return "result";
    case line_kind::prompt:
      return "prompt";
  }
  return "data";
}

line_info explain_dte_line(std::string_view line, at::response_style style) {
  line_info info;
  const auto trimmed = at::trim(line);
  if (!at::is_command_line(trimmed)) return info;  // data or noise: nothing to look up
  info.kind = line_kind::command;
  std::vector<std::string> params;
  take(info, explain::command_row(trimmed.substr(2), &params), params, style);
  return info;
}

line_info explain_module_line(std::string_view line, bool echo, std::string_view command, at::response_style style) {
  line_info info;
  if (echo) {
    info.kind = line_kind::echo;
    info.en = "the module echoes what it received (ATE1; ATE0 turns the echo off)";
    info.zh = "模块回显收到的内容（ATE1；ATE0 关闭回显）";
    info.spec = "§2.1";
    return info;
  }
  if (at::is_prompt(line)) {
    info.kind = line_kind::prompt;
    info.en = "the prompt: send the payload now, ended by Ctrl-Z (0x1A); ESC cancels";
    info.zh = "提示符：现在发送数据，以 Ctrl-Z（0x1A）结束；ESC 取消";
    info.spec = "§5.8.2";
    return info;
  }
  info.problem = trace::problem_of(line);
  if (auto r = at::final_result_of(line)) {
    info.kind = line_kind::result;
    take(info, explain::find_result(*r), {}, style);
    if (*r == at::final_result::cme_error || *r == at::final_result::cms_error) {
      // The number's own meaning says more than "an error with a number".
      const auto fields = at::response_fields(line);
      if (!fields.empty()) {
        const auto code = std::atoi(fields.front().c_str());
        const auto* row = *r == at::final_result::cme_error ? explain::find_cme(code) : explain::find_cms(code);
        if (row && !fields.front().empty() && fields.front().front() >= '0' && fields.front().front() <= '9')
          take(info, &row->text, {}, style);
      }
    }
    return info;
  }
  const auto name = at::response_name(line);
  const bool answer = !command.empty() && (name.empty() || at::command_name(command) == name);
  if (answer) {
    // The answer to the command running: what that command asked for (a URC row would
    // read a read form's fields wrongly: +CEREG:<n>,<stat> is not the URC +CEREG:<stat>).
    info.kind = line_kind::response;
    const auto asked = explain_dte_line(command, style);
    info.en = "the answer to " + std::string(command) + (asked.en.empty() ? "" : ": " + asked.en);
    info.zh = std::string(command) + " 的应答" + (asked.zh.empty() ? "" : "：" + asked.zh);
    info.spec = asked.spec;
    return info;
  }
  info.kind = line_kind::urc;
  if (name.empty()) return info;
  const auto fields = at::response_fields(line);
  take(info, explain::find_urc(name, fields), fields, style);
  return info;
}

std::string hex_of(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string line_message(std::uint64_t seq, std::int64_t t_us, side from, std::string_view text, std::string_view raw,
                         const line_info& info) {
  json j{{"type", "line"},
         {"seq", seq},
         {"t_us", t_us},
         {"dir", from == side::dte ? "dte" : "module"},
         {"kind", to_string(info.kind)},
         {"text", text},
         {"hex", hex_of(raw)},
         {"explain", bilingual(info.en, info.zh)},
         {"spec", info.spec},
         {"problem", info.problem}};
  return dump(j);
}

std::string mqtt_message(std::uint64_t seq, std::int64_t t_us, const mqtt::any_request& r) {
  json j{{"type", "mqtt"}, {"seq", seq}, {"t_us", t_us}, {"dir", "to_broker"}, {"text", mqtt::describe(r)}};
  std::visit(
      [&](const auto& q) {
        using T = std::decay_t<decltype(q)>;
        namespace rq = mqtt::request;
        j["id"] = q.id;
        if constexpr (std::is_same_v<T, rq::open>) j["packet"] = "TCP OPEN";
        if constexpr (std::is_same_v<T, rq::connect>) j["packet"] = "CONNECT";
        if constexpr (std::is_same_v<T, rq::subscribe>) j["packet"] = "SUBSCRIBE";
        if constexpr (std::is_same_v<T, rq::unsubscribe>) j["packet"] = "UNSUBSCRIBE";
        if constexpr (std::is_same_v<T, rq::publish>) {
          j["packet"] = "PUBLISH";
          j["qos"] = q.qos;
        }
        if constexpr (std::is_same_v<T, rq::disconnect>) j["packet"] = "DISCONNECT";
        if constexpr (std::is_same_v<T, rq::abort>) j["packet"] = "TCP RESET";
      },
      r);
  j["spec"] = "§5";
  return dump(j);
}

std::string mqtt_message(std::uint64_t seq, std::int64_t t_us, const mqtt::any_event& e) {
  json j{{"type", "mqtt"}, {"seq", seq}, {"t_us", t_us}, {"dir", "from_broker"}, {"text", mqtt::describe(e)}};
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        namespace ev = mqtt::event;
        j["id"] = v.id;
        if constexpr (std::is_same_v<T, ev::opened>) {
          j["packet"] = v.ok ? "TCP OPENED" : "TCP FAILED";
          j["problem"] = v.ok ? "" : "the link did not open";
        }
        if constexpr (std::is_same_v<T, ev::connack>) {
          j["packet"] = "CONNACK";
          j["code"] = v.return_code;
          j["problem"] = v.return_code == 0 ? "" : "CONNECT refused (" + std::to_string(v.return_code) + ")";
        }
        if constexpr (std::is_same_v<T, ev::connect_failed>) {
          j["packet"] = "NO CONNACK";
          j["problem"] = "no CONNACK";
        }
        if constexpr (std::is_same_v<T, ev::suback>) {
          j["packet"] = "SUBACK";
          j["code"] = v.result;
        }
        if constexpr (std::is_same_v<T, ev::unsuback>) {
          j["packet"] = "UNSUBACK";
          j["code"] = v.result;
        }
        if constexpr (std::is_same_v<T, ev::published>) {
          j["packet"] = "PUBACK";
          j["code"] = v.result;
        }
        if constexpr (std::is_same_v<T, ev::message>) {
          j["packet"] = "PUBLISH";
          j["qos"] = v.qos;
        }
        if constexpr (std::is_same_v<T, ev::link_lost>) {
          j["packet"] = "LINK LOST";
          j["problem"] = "the link dropped";
        }
      },
      e);
  j["spec"] = "§5";
  return dump(j);
}

std::string state_message(const modem::snapshot& s, std::string_view imei) {
  json ecmt = json::array();
  for (const auto& c : s.ecmt)
    ecmt.push_back(json{{"id", c.id}, {"state", c.state}, {"host", c.host}, {"port", c.port}});
  json j{{"type", "state"},
         {"profile", s.profile},
         {"imei", imei},
         {"booting", s.booting},
         {"cfun", s.cfun},
         {"sim", s.sim},
         {"pdp", s.pdp_active},
         {"registration", s.registration},
         {"rssi", s.rssi},
         {"ecmt", ecmt},
         {"commands", s.count.commands}};
  return dump(j);
}

std::string finding_message(const oracle::finding& f) {
  json lines = json::array();
  for (const auto& l : f.lines) lines.push_back(json{{"t_us", l.t_us}, {"dte", l.from_dte}, {"text", l.text}});
  const auto* e = explain::find_rule(f.rule);
  json j{{"type", "finding"},
         {"rule", f.rule},
         {"level", oracle::to_string(f.level)},
         {"spec", f.spec},
         {"t_us", f.t_us},
         {"detail", f.detail},
         {"explain", e ? bilingual(e->en, e->zh) : bilingual("", "")},
         {"lines", lines}};
  return dump(j);
}

std::string dropped_message(std::uint64_t count) { return dump(json{{"type", "dropped"}, {"count", count}}); }

std::vector<std::string> ecmt_states() {
  using modem::ecmt_state;
  std::vector<std::string> out;
  for (auto s : {ecmt_state::none, ecmt_state::configured, ecmt_state::opening, ecmt_state::opened,
                 ecmt_state::connecting, ecmt_state::connected, ecmt_state::reconnecting, ecmt_state::connect_fail,
                 ecmt_state::disconnecting, ecmt_state::disc_fail, ecmt_state::closing, ecmt_state::close_fail})
    out.emplace_back(modem::to_string(s));
  return out;
}

}  // namespace nt35e::web
