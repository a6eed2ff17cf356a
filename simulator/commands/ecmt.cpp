// The ECMT MQTT family (spec §5): CFG, OPEN, CLOSE, CONN, DISC, SUB, UNS, PUB.
// Handlers give the immediate answer; URCs come later from modem/ecmt_machine.

#include <algorithm>
#include <utility>

#include "at/render.hpp"
#include "commands/registry.hpp"
#include "modem/ecmt_machine.hpp"
#include "modem/modem.hpp"

namespace nt35e::commands::ecmt {
namespace {

using modem::ecmt_event;
using modem::ecmt_state;

std::string id_range(const modem::modem& m) {
  return m.prof().max_ecmt_id == 0 ? "(0)" : "(0-" + std::to_string(m.prof().max_ecmt_id) + ")";
}

at::response fail(at::failure f) { return at::response::fail(std::move(f)); }

modem::ecmt_context& ctx_of(modem::modem& m, const args& a) { return m.ecmt.at(static_cast<std::size_t>(a.number(0))); }

at::failure wrong_state(int id, ecmt_state s, std::string_view command, std::string_view needs) {
  return at::not_allowed("state.not_allowed", "id " + std::to_string(id) + " is " + modem::to_string(s) + "; " +
                                                  std::string(command) + " needs " + std::string(needs));
}

bool live(ecmt_state s) {
  return s == ecmt_state::opening || s == ecmt_state::opened || s == ecmt_state::connecting ||
         s == ecmt_state::connected || s == ecmt_state::reconnecting;
}

int ok_delay(const modem::modem& m) { return m.prof().timing.ecmt_ok; }

void ensure_context(modem::modem& m, int id) {
  if (std::as_const(m.ecmt)[static_cast<std::size_t>(id)].state == ecmt_state::none)
    m.transition(id, ecmt_state::configured, ecmt_event::cfg_write);
}

// ---- AT+ECMTCFG option by option ------------------------------------------------

at::response cfg_query(modem::modem& m, const std::string& name, int id) {
  const auto& ctx = std::as_const(m.ecmt)[static_cast<std::size_t>(id)];
  if (ctx.state == ecmt_state::none)
    return fail(at::not_allowed("state.not_allowed",
                                "id " + std::to_string(id) + " has no context to query; write an option first"));
  const auto& c = ctx.config;
  std::string v;
  if (name == "keepalive")
    v = std::to_string(c.keepalive);
  else if (name == "session")
    v = std::to_string(c.session);
  else if (name == "timeout")
    v = std::to_string(c.pkt_timeout) + "," + std::to_string(c.retry) + "," + std::to_string(c.notice);
  else if (name == "will")
    v = std::to_string(c.will.enabled ? 1 : 0) + "," + std::to_string(c.will.qos) + "," +
        std::to_string(c.will.retain ? 1 : 0) + "," + c.will.topic + "," + c.will.message;
  else if (name == "version")
    v = std::to_string(c.version);
  else if (name == "aliauth")
    v = c.ali_device_name + "," + c.ali_device_secret + "," + c.ali_product_key;
  else if (name == "echomode")
    v = std::to_string(c.echomode);
  else if (name == "dataformat")
    v = std::to_string(c.dataformat_send) + "," + std::to_string(c.dataformat_recv);
  return at::response::ok().line("+ECMTCFG:\"" + name + "\"," + v, true).after(m.prof().timing.cfg_ok);
}

// AT+ECMTCFG="ssl",<id>... is the CAT1 file form: a mode, then the CA, certificate and key files.
constexpr param_spec ssl_params[] = {text("option"), number("ssl mode").range(0, 2),
                                     text("file").optional().max_length(255).checked_by_handler(),
                                     text("file").optional().max_length(255).checked_by_handler(),
                                     text("file").optional().max_length(255).checked_by_handler()};

at::response cfg_ssl(modem::modem& m, const at::command& cmd) {
  auto parsed = at::arguments::parse(cmd.args, cmd.args_offset);
  if (auto* f = std::get_if<at::failure>(&parsed)) return fail(*f);
  auto& raw = std::get<at::arguments>(parsed);
  if (raw.size() >= 2 && raw.quoted(1)) {
    // ec616s forms: "psk"/"ecc"/"ca"; accepted and stored nowhere the live backend reads (noted).
    const auto& kind = raw.text(1);
    if (kind != "psk" && kind != "ecc" && kind != "ca")
      return fail(at::not_allowed("param.range", "ssl kind must be psk, ecc or ca, got \"" + kind + "\""));
    m.log(modem::log_level::info, "AT+ECMTCFG=\"ssl\",\"" + kind + "\" accepted; only the CAT1 file form drives TLS",
          "note");
    return at::response::ok().after(m.prof().timing.cfg_ok);
  }
  args a(std::move(raw), ssl_params, m.prof());
  if (auto f = a.check_syntax()) return fail(*f);
  if (auto f = a.check_values()) return fail(*f);
  int mode = a.integer(1);
  if (mode >= 1 && !a.has(2))
    return fail(at::not_allowed("param.range", "ssl mode " + std::to_string(mode) + " needs a CA file name"));
  if (mode == 2 && (!a.has(3) || !a.has(4)))
    return fail(at::not_allowed("param.range", "ssl mode 2 (mutual) needs the CA, certificate and key file names"));
  for (std::size_t i = 2; i < 5; ++i)
    if (auto f = a.check(i)) return fail(*f);
  m.tls = modem::tls_config{mode, a.has(2) ? a.text(2) : "", a.has(3) ? a.text(3) : "", a.has(4) ? a.text(4) : ""};
  return at::response::ok().after(m.prof().timing.cfg_ok);
}

// AT+ECMTCFG="cloud"[,<type>,<data_type>]: no id; both values or neither (a query).
constexpr param_spec cloud_params[] = {text("option"), number("type").optional().range(0, 255),
                                       number("data_type").optional().range(0, 255)};

at::response cfg_cloud(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, m.prof(), cloud_params);
  if (auto* f = std::get_if<at::failure>(&parsed)) return fail(*f);
  const auto& a = std::get<args>(parsed);
  if (!a.has(1) && !a.has(2))
    return at::response::ok()
        .line("+ECMTCFG:\"cloud\"," + std::to_string(m.cloud_type) + "," + std::to_string(m.cloud_data_type), true)
        .after(m.prof().timing.cfg_ok);
  if (!a.has(1) || !a.has(2))
    return fail(at::syntax_error("syntax.missing_param", "\"cloud\" needs both <type> and <data_type>"));
  if (auto f = a.check_values()) return fail(*f);
  m.cloud_type = a.integer(1);
  m.cloud_data_type = a.integer(2);
  m.log(modem::log_level::info, "\"cloud\" is stored only; OneNET/Ali processing is out of scope", "note");
  return at::response::ok().after(m.prof().timing.cfg_ok);
}

// ---- AT+ECMTCFG="<option>",<id>[,<values>...]: one parameter list per option -------

constexpr param_spec option_name = text("option");
constexpr param_spec keepalive_params[] = {option_name, id_param, number("keepalive").range(0, 3600)};
constexpr param_spec session_params[] = {option_name, id_param, number("session").range(0, 1)};
constexpr param_spec timeout_params[] = {option_name, id_param, number("pkt_timeout").range(1, 60),
                                         number("retry_times").optional().range(1, 10),
                                         number("timeout_notice").optional().range(0, 1)};
// The topic is checked after "will_flag 1 needs a will topic", so both strings are the handler's.
constexpr param_spec will_params[] = {option_name,
                                      id_param,
                                      number("will_flag").range(0, 1),
                                      number("will_qos").optional().range(0, 2),
                                      number("will_retain").optional().range(0, 1),
                                      text("will_topic").optional().max_length(255).checked_by_handler(),
                                      text("will_msg")
                                          .optional()
                                          .max_length(255)
                                          .allow_empty()
                                          .saying("will_msg has more than 255 characters")
                                          .checked_by_handler()};
constexpr std::int64_t mqtt_versions[] = {3, 4};
constexpr param_spec version_params[] = {
    option_name, id_param, number("version").one_of(mqtt_versions).saying("version must be 3 (MQTT 3.1) or 4 (3.1.1)")};
constexpr param_spec aliauth_params[] = {option_name, id_param, text("productkey").max_length(32),
                                         text("devicename").max_length(32), text("devicesecret").max_length(64)};
constexpr param_spec echomode_params[] = {option_name, id_param, number("echomode").range(0, 1)};
constexpr param_spec dataformat_params[] = {option_name, id_param, number("send format").range(0, 1),
                                            number("recv format").range(0, 1)};

struct cfg_option {
  std::string_view name;
  std::span<const param_spec> params;
};
constexpr cfg_option cfg_options[] = {
    {"keepalive", keepalive_params}, {"session", session_params},       {"timeout", timeout_params},
    {"will", will_params},           {"version", version_params},       {"aliauth", aliauth_params},
    {"echomode", echomode_params},   {"dataformat", dataformat_params},
};

// ECMTCFG words its own syntax errors, and its query form needs only the name and the id.
std::optional<at::failure> cfg_syntax(const at::arguments& a, std::span<const param_spec> params,
                                      const std::string& name, bool query) {
  if (a.size() > params.size())
    return at::syntax_error("syntax.too_many_params",
                            "\"" + name + "\" takes at most " + std::to_string(params.size()) + " parameters");
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!a.present(i)) {
      if (i < 2 || (!query && params[i].required))
        return at::syntax_error("syntax.missing_param", "parameter " + std::to_string(i + 1) + " is mandatory");
      continue;
    }
    if (params[i].type == at::type::number)
      if (auto f = a.expect_number(i)) return f;
  }
  return std::nullopt;
}

}  // namespace

at::response cfg_test(modem::modem& m, const at::command&) {
  auto r = id_range(m);
  return at::response::ok()
      .line("+ECMTCFG:\"keepalive\"," + r + ",(0-3600),", true)
      .line("+ECMTCFG:\"session\"," + r + ",(0,1)", true)
      .line("+ECMTCFG:\"timeout\"," + r + ",(1-60),(1-10),(0,1)", true)
      .line("+ECMTCFG:\"will\"," + r + ",(0,1),(0-2),(0,1),\"will_topic\",\"will_msg\"", true)
      .line("+ECMTCFG:\"version\"," + r + ",(3,4)", true)
      .line("+ECMTCFG:\"aliauth\"," + r + ",\"productkey\",\"devicename\",\"devicesecret\"", true)
      .line("+ECMTCFG:\"cloud\",(0-255),(0-255)", true)
      .after(m.prof().timing.cfg_ok);
}

at::response cfg_write(modem::modem& m, const at::command& cmd) {
  auto parsed = at::arguments::parse(cmd.args, cmd.args_offset);
  if (auto* f = std::get_if<at::failure>(&parsed)) return fail(*f);
  auto& first = std::get<at::arguments>(parsed);
  if (!first.present(0))
    return fail(at::syntax_error("syntax.missing_param", "parameter 1 (option name) is mandatory"));
  const std::string name = first.text(0);
  if (name == "ssl") return cfg_ssl(m, cmd);
  if (name == "cloud") return cfg_cloud(m, cmd);

  auto opt =
      std::find_if(std::begin(cfg_options), std::end(cfg_options), [&](const cfg_option& o) { return name == o.name; });
  if (opt == std::end(cfg_options))
    return fail(
        at::not_allowed("param.cfg_name", "\"" + name +
                                              "\" is not an ECMTCFG option (names are lower case: "
                                              "keepalive, session, timeout, will, version, aliauth, cloud, ssl, "
                                              "echomode, dataformat)"));
  // Query form: name and id only.
  bool query = first.size() == 2;
  if (auto f = cfg_syntax(first, opt->params, name, query)) return fail(*f);
  args a(std::move(first), opt->params, m.prof());
  // The id, then (written form) the option's plain value checks.
  if (auto f = a.check_values()) return fail(*f);
  int id = a.integer(1);
  if (query) return cfg_query(m, name, id);

  auto& c = m.ecmt[static_cast<std::size_t>(id)].config;
  if (name == "keepalive") {
    c.keepalive = a.integer(2);
    c.keepalive_set = true;
  } else if (name == "session") {
    c.session = a.integer(2);
    c.session_set = true;
  } else if (name == "timeout") {
    c.pkt_timeout = a.integer(2);
    c.retry = a.has(3) ? a.integer(3) : 3;
    c.notice = a.has(4) ? a.integer(4) : 0;
    c.timeout_set = true;
  } else if (name == "will") {
    mqtt::will_options w;
    w.enabled = a.integer(2) == 1;
    if (w.enabled && !a.has(5)) return fail(at::not_allowed("param.range", "will_flag 1 needs a will topic"));
    if (auto f = a.check(5)) return fail(*f);
    if (auto f = a.check(6)) return fail(*f);
    w.qos = a.has(3) ? a.integer(3) : 0;
    w.retain = a.has(4) && a.integer(4) == 1;
    w.topic = a.has(5) ? a.text(5) : "";
    w.message = a.has(6) ? a.text(6) : "";
    c.will = w;
  } else if (name == "version") {
    c.version = a.integer(2);
    c.version_set = true;
  } else if (name == "aliauth") {
    c.ali_product_key = a.text(2);
    c.ali_device_name = a.text(3);
    c.ali_device_secret = a.text(4);
    m.log(modem::log_level::info, "\"aliauth\" is stored only; Ali credential processing is out of scope", "note");
  } else if (name == "echomode") {
    c.echomode = a.integer(2);
    m.log(modem::log_level::info, "\"echomode\" is stored only", "note");
  } else if (name == "dataformat") {
    c.dataformat_send = a.integer(2);
    c.dataformat_recv = a.integer(3);
    m.log(modem::log_level::info, "\"dataformat\" is stored only; hex mode is not implemented", "note");
  }
  ensure_context(m, id);
  return at::response::ok().after(m.prof().timing.cfg_ok);
}

// ---- AT+ECMTOPEN / AT+ECMTCLOSE ------------------------------------------------

at::response open_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTOPEN: " + id_range(m) + ",<host_name>,<port>");
}

at::response open_read(modem::modem& m, const at::command&) {
  at::response r;
  const auto& ecmt = std::as_const(m.ecmt);  // reading: unused ids stay unmade
  for (std::size_t id = 0; id < ecmt.size(); ++id)
    if (ecmt[id].host_stored && ecmt[id].state != ecmt_state::none)
      r.line("+ECMTOPEN:" + std::to_string(id) + ",\"" + ecmt[id].host + "\"," + std::to_string(ecmt[id].port), true);
  return r;
}

at::response open_write(modem::modem& m, const args& a) {
  int id = a.integer(0);
  auto& ctx = ctx_of(m, a);
  if (!m.pdp_active)
    return fail(at::not_allowed("net.no_pdp", "no PDP context is active (registration " +
                                                  std::string(modem::to_string(m.stat)) + "); wait for " +
                                                  at::styled("+CEREG:1", m.prof().style) + " or check AT+CGATT?"));
  if (live(ctx.state)) {
    at::response r = at::response::ok().after(m.prof().timing.open_ok);
    r.note =
        "id " + std::to_string(id) + " is already " + modem::to_string(ctx.state) + "; ECMTOPEN is a no-op with no URC";
    return r;
  }
  if (ctx.state == ecmt_state::closing || ctx.state == ecmt_state::disconnecting)
    return fail(wrong_state(id, ctx.state, "ECMTOPEN", "a settled state"));

  bool first_open = true;
  for (std::size_t i = 0; i < m.ecmt.size(); ++i)
    if (live(std::as_const(m.ecmt)[i].state)) first_open = false;
  if (ctx.state == ecmt_state::connect_fail || ctx.state == ecmt_state::disc_fail ||
      ctx.state == ecmt_state::close_fail)
    m.request(mqtt::request::abort{id});
  ctx.host = a.text(1);
  ctx.port = a.integer(2);
  ctx.host_stored = true;
  ctx.connect_queued = false;
  m.transition(id, ecmt_state::opening, ecmt_event::open_cmd);
  int delay = m.prof().quirk.first_open_delay && first_open ? m.prof().timing.first_open_ok : m.prof().timing.open_ok;
  // The firmware answers OK first and only then resolves and connects in the background
  // (§5.2 steps 4-5): the open starts when the OK is due, so +ECMTOPEN follows the OK by
  // the network's time (A.3: OK after 1 s, +ECMTOPEN ~300 ms later, in a write of its own).
  m.after(delay, [id](modem::modem& mm) {
    auto& c = mm.ecmt[static_cast<std::size_t>(id)];
    if (c.state != ecmt_state::opening) return;  // the open was cut short (radio off, reboot)
    const auto& t = mm.tls;
    mm.request(mqtt::request::open{id, c.host, c.port, mqtt::tls_options{t.mode, t.ca_file, t.cert_file, t.key_file}});
  });
  return at::response::ok().after(delay);
}

at::response close_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTCLOSE: " + id_range(m));
}

at::response close_write(modem::modem& m, const args& a) {
  int id = a.integer(0);
  auto& ctx = ctx_of(m, a);
  bool reconnecting_ok = ctx.state == ecmt_state::reconnecting && !m.prof().quirk.stuck_while_reconnecting;
  if (ctx.state != ecmt_state::opened && ctx.state != ecmt_state::connected && !reconnecting_ok)
    return fail(wrong_state(id, ctx.state, "ECMTCLOSE", "OPENED or CONNECTED"));
  m.cancel(ctx.reconnect_timer);
  m.request(mqtt::request::disconnect{id});
  m.transition(id, ecmt_state::closing, ecmt_event::close_cmd);
  m.after(ok_delay(m) + m.prof().timing.close_disc_urc, [id](modem::modem& mm) {
    mm.emit_urc("+ECMTCLOSE: " + std::to_string(id) + ",0");
    modem::delete_context(mm, id);
  });
  return at::response::ok().after(ok_delay(m));
}

// ---- AT+ECMTCONN / AT+ECMTDISC -------------------------------------------------

at::response conn_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTCONN: " + id_range(m) + ",\"<clientID>\"[,\"<username>\"[,,\"<password>\"]]");
}

at::response conn_read(modem::modem& m, const at::command&) {
  at::response r;
  for (std::size_t id = 0; id < m.ecmt.size(); ++id) {
    auto s = std::as_const(m.ecmt)[id].state;
    if (s == ecmt_state::none) continue;
    int code = 1;
    if (s == ecmt_state::connecting || s == ecmt_state::reconnecting)
      code = 2;
    else if (s == ecmt_state::connected)
      code = 3;
    else if (s == ecmt_state::disc_fail)
      code = 4;
    r.line("+ECMTCONN:" + std::to_string(id) + "," + std::to_string(code), true);
  }
  return r;
}

at::response conn_write(modem::modem& m, const args& a) {
  const auto& p = m.prof();
  int id = a.integer(0);
  auto& ctx = ctx_of(m, a);
  auto s = ctx.state;
  if (s == ecmt_state::none || s == ecmt_state::configured || s == ecmt_state::closing ||
      s == ecmt_state::disconnecting || s == ecmt_state::close_fail)
    return fail(wrong_state(id, s, "ECMTCONN",
                            "OPENED (wait for " + at::styled("+ECMTOPEN:" + std::to_string(id) + ",0", p.style) + ")"));
  auto ok = at::response::ok().after(p.timing.conn_ok);
  if (s == ecmt_state::connecting || s == ecmt_state::connected || s == ecmt_state::reconnecting) {
    ok.note = "id " + std::to_string(id) + " is already " + modem::to_string(s) + "; ECMTCONN is a no-op with no URC";
    return ok;
  }

  mqtt::connect_options o;
  bool all_three = a.has(1) && a.has(2) && a.has(3);
  if (!p.quirk.clientid_needs_all_three || all_three) {
    if (a.has(1)) o.client_id = a.text(1);
    if (a.has(2)) o.user_name = a.text(2);
    if (a.has(3)) o.password = a.text(3);
  } else if (a.has(1)) {
    m.log(modem::log_level::info,
          "quirk.clientid_needs_all_three: client id and credentials dropped because not all three were given", "note");
  }
  o.keepalive_s = ctx.config.effective_keepalive();
  o.clean_session = ctx.config.effective_clean_session();
  o.version = ctx.config.effective_version();
  o.will = ctx.config.will;
  ctx.connect = o;
  ctx.refusals = 0;

  if (s == ecmt_state::opening) {
    ctx.connect_queued = true;  // sent when the open succeeds, dropped if it fails
    return ok;
  }
  m.transition(id, ecmt_state::connecting, ecmt_event::conn_cmd);
  m.request(modem::connect_request(m, id));
  if (p.quirk.connected_before_connack) {
    m.transition(id, ecmt_state::connected, ecmt_event::connect_written);
  } else {
    ctx.connack_timer = m.after(p.timing.connack_limit, [id](modem::modem& mm) {
      auto& c = mm.ecmt[static_cast<std::size_t>(id)];
      if (c.state != ecmt_state::connecting) return;
      mm.log(modem::log_level::warn, "no CONNACK within the limit on id " + std::to_string(id));
      mm.request(mqtt::request::abort{id});
      mm.emit_urc("+ECMTCONN: " + std::to_string(id) + ",2,2");
      mm.transition(id, ecmt_state::connect_fail, ecmt_event::connect_failed);
    });
  }
  return ok;
}

at::response disc_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTDISC: " + id_range(m));
}

at::response disc_write(modem::modem& m, const args& a) {
  int id = a.integer(0);
  auto& ctx = ctx_of(m, a);
  int urc_at = ok_delay(m) + m.prof().timing.close_disc_urc;
  auto finish_ok = [&] {
    m.cancel(ctx.reconnect_timer);
    m.request(mqtt::request::disconnect{id});
    m.transition(id, ecmt_state::disconnecting, ecmt_event::disc_cmd);
    m.after(urc_at, [id](modem::modem& mm) {
      mm.emit_urc("+ECMTDISC: " + std::to_string(id) + ",0");
      modem::delete_context(mm, id);
    });
    return at::response::ok().after(ok_delay(m));
  };
  if (ctx.state == ecmt_state::connected) return finish_ok();
  if (ctx.state == ecmt_state::reconnecting && !m.prof().quirk.stuck_while_reconnecting) return finish_ok();
  if (ctx.state == ecmt_state::opened) {
    if (!m.prof().quirk.disc_in_opened_fails) return finish_ok();
    m.after(urc_at, [id](modem::modem& mm) {
      mm.emit_urc("+ECMTDISC: " + std::to_string(id) + ",-1");
      mm.transition(id, ecmt_state::disc_fail, ecmt_event::disc_failed);
    });
    m.log(modem::log_level::info, "quirk.disc_in_opened_fails: ECMTDISC on an OPENED id reports -1 and keeps the link",
          "note");
    return at::response::ok().after(ok_delay(m));
  }
  return fail(wrong_state(id, ctx.state, "ECMTDISC", "CONNECTED"));
}

// ---- AT+ECMTSUB / AT+ECMTUNS / AT+ECMTPUB ----------------------------------------

at::response sub_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTSUB: " + id_range(m) + ",<msgID>,\"<topic>\",<qos>");
}

at::response sub_write(modem::modem& m, const args& a) {
  int id = a.integer(0);
  auto& ctx = ctx_of(m, a);
  if (ctx.state != ecmt_state::connected) return fail(wrong_state(id, ctx.state, "ECMTSUB", "CONNECTED"));
  int msg = a.integer(1);
  ctx.pending_subs[msg] = {a.text(2), a.integer(3)};
  m.request(mqtt::request::subscribe{id, msg, a.text(2), a.integer(3)});
  modem::expect_ack(m, id, modem::ecmt_ack::sub, msg);
  return at::response::ok().after(ok_delay(m));
}

at::response uns_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTUNS: " + id_range(m) + ",<msgID>,\"<topic>\"");
}

at::response uns_write(modem::modem& m, const args& a) {
  int id = a.integer(0);
  auto& ctx = ctx_of(m, a);
  if (ctx.state != ecmt_state::connected) return fail(wrong_state(id, ctx.state, "ECMTUNS", "CONNECTED"));
  int msg = a.integer(1);
  ctx.pending_unsubs[msg] = a.text(2);
  m.request(mqtt::request::unsubscribe{id, msg, a.text(2)});
  modem::expect_ack(m, id, modem::ecmt_ack::uns, msg);
  return at::response::ok().after(ok_delay(m));
}

at::response pub_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTPUB: " + id_range(m) + ",<msgID>,<qos>,<retain>,\"<topic>\"[,\"<payload>\"]");
}

at::response pub_write(modem::modem& m, const args& a) {
  int id = a.integer(0);
  int msg = a.integer(1);
  int qos = a.integer(2);
  int retain = a.integer(3);
  if (qos > 0 && msg == 0)
    return fail(at::not_allowed("param.range", "qos " + std::to_string(qos) + " needs a msgID from 1 to 65535"));
  auto& ctx = ctx_of(m, a);
  if (ctx.state != ecmt_state::connected) return fail(wrong_state(id, ctx.state, "ECMTPUB", "CONNECTED"));
  mqtt::request::publish pub{id, msg, qos, retain % 10 == 1, a.text(4), {}};
  auto max = static_cast<std::size_t>(m.prof().max_payload);

  if (a.has(5)) {
    std::string payload = a.text(5);
    bool quoted_edge = payload.front() == '"' || payload.back() == '"';
    if (payload.size() > max + 2 || (payload.size() > max && !quoted_edge))
      return fail(at::not_allowed("param.too_long", "the payload has " + std::to_string(payload.size()) +
                                                        " bytes, at most " + std::to_string(max) + " are allowed"));
    // One outer quote pair is stripped; nothing else is unescaped (§5.8.1).
    if (payload.front() == '"') {
      payload.erase(0, 1);
      if (!payload.empty() && payload.back() == '"') payload.pop_back();
    }
    at::response ok = at::response::ok().after(ok_delay(m));
    if (payload.find("\xE2\x80\x9C") != std::string::npos || payload.find("\xE2\x80\x9D") != std::string::npos)
      ok.note = "the payload contains typographic quotes; they are published as payload bytes";
    pub.payload = std::move(payload);
    m.request(std::move(pub));
    if (qos > 0)
      modem::expect_ack(m, id, modem::ecmt_ack::pub, msg);
    else
      modem::report_qos0_publish(m, id, msg, ok_delay(m));
    return ok;
  }

  // Data mode: the prompt, then raw bytes up to ^Z (send) or ESC (cancel).
  at::response r;
  r.final = at::final_kind::prompt;
  r.delay_ms = 0;
  r.on_data = [&m, pub, max](std::string_view data, bool cancelled) mutable -> at::response {
    if (cancelled) {
      m.log(modem::log_level::info, "data mode cancelled with ESC: nothing published", "note");
      return at::response::ok();
    }
    if (data.size() > max)
      return at::response::fail(
          at::not_allowed("param.too_long", "data-mode payload over " + std::to_string(max) + " bytes"));
    auto& c = m.ecmt[static_cast<std::size_t>(pub.id)];
    if (c.state != ecmt_state::connected)
      return at::response::fail(wrong_state(pub.id, c.state, "ECMTPUB", "CONNECTED"));
    pub.payload = std::string(data);
    int id = pub.id, msg = pub.msg_id, qos = pub.qos;
    m.request(std::move(pub));
    if (qos > 0)
      modem::expect_ack(m, id, modem::ecmt_ack::pub, msg);
    else
      modem::report_qos0_publish(m, id, msg, m.prof().timing.ecmt_ok);
    return at::response::ok();
  };
  return r;
}

}  // namespace nt35e::commands::ecmt
