// The ECMT MQTT family (spec §5): CFG, OPEN, CLOSE, CONN, DISC, SUB, UNS, PUB.
// Handlers give the immediate answer; URCs come later from modem/ecmt_machine.

#include <algorithm>

#include "commands/registry.hpp"
#include "modem/ecmt_machine.hpp"
#include "modem/modem.hpp"

namespace nt35e::commands::ecmt {
namespace {

using modem::ecmt_event;
using modem::ecmt_state;
using N = at::type;

std::string id_range(const modem::modem& m) {
  return m.prof().max_ecmt_id == 0 ? "(0)" : "(0-" + std::to_string(m.prof().max_ecmt_id) + ")";
}

at::response fail(at::failure f) { return at::response::fail(std::move(f)); }

std::optional<at::failure> check_id(const modem::modem& m, const at::arguments& a, std::size_t i = 0) {
  if (!m.valid_id(a.number(i)))
    return at::not_allowed("param.range", "parameter " + std::to_string(i + 1) + " (tcpconnectID) is " + a.text(i) +
                                              ", this profile accepts ids " + id_range(m));
  return std::nullopt;
}

modem::ecmt_context& ctx_of(modem::modem& m, const at::arguments& a) {
  return m.ecmt.at(static_cast<std::size_t>(a.number(0)));
}

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
  if (m.ecmt[static_cast<std::size_t>(id)].state == ecmt_state::none)
    m.transition(id, ecmt_state::configured, ecmt_event::cfg_write);
}

// Arms the pkt_timeout fallback of an ack when quirk.no_ack_timeout is off.
void expect_ack(modem::modem& m, int id, char kind, int msg_id) {
  if (m.prof().quirk.no_ack_timeout) return;
  auto& ctx = m.ecmt[static_cast<std::size_t>(id)];
  auto key = std::make_pair(kind, msg_id);
  m.cancel(ctx.ack_timers[key]);
  ctx.ack_timers[key] = m.after(ctx.config.effective_pkt_timeout() * 1000, [id, kind, msg_id](modem::modem& mm) {
    auto& c = mm.ecmt[static_cast<std::size_t>(id)];
    c.ack_timers.erase({kind, msg_id});
    auto base = std::to_string(id) + "," + std::to_string(msg_id);
    if (kind == 'S') mm.emit_urc("+ECMTSUB: " + base + ",2,0");
    if (kind == 'U') mm.emit_urc("+ECMTUNS: " + base + ",2");
    if (kind == 'P') mm.emit_urc("+ECMTPUB: " + base + ",2");
  });
}

// ---- AT+ECMTCFG option by option ------------------------------------------------

at::response cfg_query(modem::modem& m, const std::string& name, int id) {
  const auto& ctx = m.ecmt[static_cast<std::size_t>(id)];
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

at::response cfg_ssl(modem::modem& m, const at::command& cmd) {
  auto parsed = at::arguments::parse(cmd.args, cmd.args_offset);
  if (auto* f = std::get_if<at::failure>(&parsed)) return fail(*f);
  auto& a = std::get<at::arguments>(parsed);
  if (a.size() >= 2 && a.quoted(1)) {
    // ec616s forms: "psk"/"ecc"/"ca"; accepted and stored nowhere the live backend reads (noted).
    const auto& kind = a.text(1);
    if (kind != "psk" && kind != "ecc" && kind != "ca")
      return fail(at::not_allowed("param.range", "ssl kind must be psk, ecc or ca, got \"" + kind + "\""));
    m.log(engine::log_level::info, "AT+ECMTCFG=\"ssl\",\"" + kind + "\" accepted; only the CAT1 file form drives TLS",
          "note");
    return at::response::ok().after(m.prof().timing.cfg_ok);
  }
  if (auto f = a.expect({N::string, N::number, N::string, N::string, N::string}, 2)) return fail(*f);
  if (auto f = a.in_range(1, 0, 2, "ssl mode")) return fail(*f);
  int mode = static_cast<int>(a.number(1));
  if (mode >= 1 && !a.present(2))
    return fail(at::not_allowed("param.range", "ssl mode " + std::to_string(mode) + " needs a CA file name"));
  if (mode == 2 && (!a.present(3) || !a.present(4)))
    return fail(at::not_allowed("param.range", "ssl mode 2 (mutual) needs the CA, certificate and key file names"));
  for (std::size_t i = 2; i < a.size(); ++i)
    if (a.present(i))
      if (auto f = a.length(i, 255, "file")) return fail(*f);
  m.tls = modem::tls_config{mode, a.present(2) ? a.text(2) : "", a.present(3) ? a.text(3) : "",
                            a.present(4) ? a.text(4) : ""};
  return at::response::ok().after(m.prof().timing.cfg_ok);
}

at::response cfg_cloud(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::string, N::number, N::number}, 1);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (!a.present(1) && !a.present(2))
    return at::response::ok()
        .line("+ECMTCFG:\"cloud\"," + std::to_string(m.cloud_type) + "," + std::to_string(m.cloud_data_type), true)
        .after(m.prof().timing.cfg_ok);
  if (!a.present(1) || !a.present(2))
    return fail(at::syntax_error("syntax.missing_param", "\"cloud\" needs both <type> and <data_type>"));
  if (auto f = a.in_range(1, 0, 255, "type")) return fail(*f);
  if (auto f = a.in_range(2, 0, 255, "data_type")) return fail(*f);
  m.cloud_type = static_cast<int>(a.number(1));
  m.cloud_data_type = static_cast<int>(a.number(2));
  m.log(engine::log_level::info, "\"cloud\" is stored only; OneNET/Ali processing is out of scope", "note");
  return at::response::ok().after(m.prof().timing.cfg_ok);
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

  struct option {
    const char* name;
    std::initializer_list<N> values;
    std::size_t required_values;
  };
  static const option options[] = {
      {"keepalive", {N::number}, 1},
      {"session", {N::number}, 1},
      {"timeout", {N::number, N::number, N::number}, 1},
      {"will", {N::number, N::number, N::number, N::string, N::string}, 1},
      {"version", {N::number}, 1},
      {"aliauth", {N::string, N::string, N::string}, 3},
      {"echomode", {N::number}, 1},
      {"dataformat", {N::number, N::number}, 2},
  };
  auto opt = std::find_if(std::begin(options), std::end(options), [&](const option& o) { return name == o.name; });
  if (opt == std::end(options))
    return fail(
        at::not_allowed("param.cfg_name", "\"" + name +
                                              "\" is not an ECMTCFG option (names are lower case: "
                                              "keepalive, session, timeout, will, version, aliauth, cloud, ssl, "
                                              "echomode, dataformat)"));
  std::vector<N> types{N::string, N::number};
  types.insert(types.end(), opt->values.begin(), opt->values.end());
  // Query form: name and id only.
  bool query = first.size() == 2;
  at::arguments& a = first;
  {
    // The option decides the value types, so the check runs over a built list.
    std::size_t required = query ? 2 : 2 + opt->required_values;
    if (a.size() > types.size())
      return fail(at::syntax_error("syntax.too_many_params",
                                   "\"" + name + "\" takes at most " + std::to_string(types.size()) + " parameters"));
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (!a.present(i)) {
        if (i < required)
          return fail(at::syntax_error("syntax.missing_param", "parameter " + std::to_string(i + 1) + " is mandatory"));
        continue;
      }
      if (types[i] == N::number) {
        if (auto f = a.expect_number(i)) return fail(*f);
      }
    }
  }
  if (auto f = check_id(m, a, 1)) return fail(*f);
  int id = static_cast<int>(a.number(1));
  if (query) return cfg_query(m, name, id);

  auto& c = m.ecmt[static_cast<std::size_t>(id)].config;
  auto num = [&](std::size_t i) { return static_cast<int>(a.number(i)); };
  if (name == "keepalive") {
    if (auto f = a.in_range(2, 0, 3600, "keepalive")) return fail(*f);
    c.keepalive = num(2);
    c.keepalive_set = true;
  } else if (name == "session") {
    if (auto f = a.in_range(2, 0, 1, "session")) return fail(*f);
    c.session = num(2);
    c.session_set = true;
  } else if (name == "timeout") {
    if (auto f = a.in_range(2, 1, 60, "pkt_timeout")) return fail(*f);
    if (a.present(3))
      if (auto f = a.in_range(3, 1, 10, "retry_times")) return fail(*f);
    if (a.present(4))
      if (auto f = a.in_range(4, 0, 1, "timeout_notice")) return fail(*f);
    c.pkt_timeout = num(2);
    c.retry = a.present(3) ? num(3) : 3;
    c.notice = a.present(4) ? num(4) : 0;
    c.timeout_set = true;
  } else if (name == "will") {
    if (auto f = a.in_range(2, 0, 1, "will_flag")) return fail(*f);
    mqtt::will_options w;
    w.enabled = num(2) == 1;
    if (a.present(3))
      if (auto f = a.in_range(3, 0, 2, "will_qos")) return fail(*f);
    if (a.present(4))
      if (auto f = a.in_range(4, 0, 1, "will_retain")) return fail(*f);
    if (w.enabled && !a.present(5)) return fail(at::not_allowed("param.range", "will_flag 1 needs a will topic"));
    if (a.present(5))
      if (auto f = a.length(5, 255, "will_topic")) return fail(*f);
    if (a.present(6) && a.text(6).size() > 255)
      return fail(at::not_allowed("param.too_long", "will_msg has more than 255 characters"));
    w.qos = a.present(3) ? num(3) : 0;
    w.retain = a.present(4) && num(4) == 1;
    w.topic = a.present(5) ? a.text(5) : "";
    w.message = a.present(6) ? a.text(6) : "";
    c.will = w;
  } else if (name == "version") {
    if (num(2) != 3 && num(2) != 4)
      return fail(at::not_allowed("param.range", "version must be 3 (MQTT 3.1) or 4 (3.1.1)"));
    c.version = num(2);
    c.version_set = true;
  } else if (name == "aliauth") {
    if (auto f = a.length(2, 32, "productkey")) return fail(*f);
    if (auto f = a.length(3, 32, "devicename")) return fail(*f);
    if (auto f = a.length(4, 64, "devicesecret")) return fail(*f);
    c.ali_product_key = a.text(2);
    c.ali_device_name = a.text(3);
    c.ali_device_secret = a.text(4);
    m.log(engine::log_level::info, "\"aliauth\" is stored only; Ali credential processing is out of scope", "note");
  } else if (name == "echomode") {
    if (auto f = a.in_range(2, 0, 1, "echomode")) return fail(*f);
    c.echomode = num(2);
    m.log(engine::log_level::info, "\"echomode\" is stored only", "note");
  } else if (name == "dataformat") {
    if (auto f = a.in_range(2, 0, 1, "send format")) return fail(*f);
    if (auto f = a.in_range(3, 0, 1, "recv format")) return fail(*f);
    c.dataformat_send = num(2);
    c.dataformat_recv = num(3);
    m.log(engine::log_level::info, "\"dataformat\" is stored only; hex mode is not implemented", "note");
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
  for (std::size_t id = 0; id < m.ecmt.size(); ++id)
    if (m.ecmt[id].host_stored && m.ecmt[id].state != ecmt_state::none)
      r.line("+ECMTOPEN:" + std::to_string(id) + ",\"" + m.ecmt[id].host + "\"," + std::to_string(m.ecmt[id].port),
             true);
  return r;
}

at::response open_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number, N::string, N::number}, 3);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  if (auto f = a.length(1, static_cast<std::size_t>(m.prof().max_host), "host_name")) return fail(*f);
  if (auto f = a.in_range(2, 1, 65535, "port")) return fail(*f);
  int id = static_cast<int>(a.number(0));
  auto& ctx = ctx_of(m, a);
  if (!m.pdp_active)
    return fail(at::not_allowed("net.no_pdp", "no PDP context is active (registration " +
                                                  std::string(modem::to_string(m.stat)) +
                                                  "); wait for +CEREG: 1 or check AT+CGATT?"));
  if (live(ctx.state)) {
    at::response r = at::response::ok().after(m.prof().timing.open_ok);
    r.note =
        "id " + std::to_string(id) + " is already " + modem::to_string(ctx.state) + "; ECMTOPEN is a no-op with no URC";
    return r;
  }
  if (ctx.state == ecmt_state::closing || ctx.state == ecmt_state::disconnecting)
    return fail(wrong_state(id, ctx.state, "ECMTOPEN", "a settled state"));

  bool first_open =
      std::none_of(m.ecmt.begin(), m.ecmt.end(), [](const modem::ecmt_context& c) { return live(c.state); });
  if (ctx.state == ecmt_state::connect_fail || ctx.state == ecmt_state::disc_fail ||
      ctx.state == ecmt_state::close_fail)
    m.request(mqtt::request::abort{id});
  ctx.host = a.text(1);
  ctx.port = static_cast<int>(a.number(2));
  ctx.host_stored = true;
  ctx.connect_queued = false;
  m.transition(id, ecmt_state::opening, ecmt_event::open_cmd);
  const auto& t = m.tls;
  m.request(mqtt::request::open{id, ctx.host, ctx.port, mqtt::tls_options{t.mode, t.ca_file, t.cert_file, t.key_file}});
  int delay = m.prof().quirk.first_open_delay && first_open ? m.prof().timing.first_open_ok : m.prof().timing.open_ok;
  return at::response::ok().after(delay);
}

at::response close_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTCLOSE: " + id_range(m));
}

at::response close_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number}, 1);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  int id = static_cast<int>(a.number(0));
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
    auto s = m.ecmt[id].state;
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

at::response conn_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number, N::string, N::string, N::string}, 1);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  const auto& p = m.prof();
  if (a.present(1))
    if (auto f = a.length(1, static_cast<std::size_t>(p.max_client_id), "clientID")) return fail(*f);
  if (a.present(2))
    if (auto f = a.length(2, static_cast<std::size_t>(p.max_user), "username")) return fail(*f);
  if (a.present(3))
    if (auto f = a.length(3, static_cast<std::size_t>(p.max_password), "password")) return fail(*f);
  int id = static_cast<int>(a.number(0));
  auto& ctx = ctx_of(m, a);
  auto s = ctx.state;
  if (s == ecmt_state::none || s == ecmt_state::configured || s == ecmt_state::closing ||
      s == ecmt_state::disconnecting || s == ecmt_state::close_fail)
    return fail(wrong_state(id, s, "ECMTCONN", "OPENED (wait for +ECMTOPEN: " + std::to_string(id) + ",0)"));
  auto ok = at::response::ok().after(p.timing.conn_ok);
  if (s == ecmt_state::connecting || s == ecmt_state::connected || s == ecmt_state::reconnecting) {
    ok.note = "id " + std::to_string(id) + " is already " + modem::to_string(s) + "; ECMTCONN is a no-op with no URC";
    return ok;
  }

  mqtt::connect_options o;
  bool all_three = a.present(1) && a.present(2) && a.present(3);
  if (!p.quirk.clientid_needs_all_three || all_three) {
    if (a.present(1)) o.client_id = a.text(1);
    if (a.present(2)) o.user_name = a.text(2);
    if (a.present(3)) o.password = a.text(3);
  } else if (a.present(1)) {
    m.log(engine::log_level::info,
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
      mm.log(engine::log_level::warn, "no CONNACK within the limit on id " + std::to_string(id));
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

at::response disc_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number}, 1);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  int id = static_cast<int>(a.number(0));
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
    m.log(engine::log_level::info, "quirk.disc_in_opened_fails: ECMTDISC on an OPENED id reports -1 and keeps the link",
          "note");
    return at::response::ok().after(ok_delay(m));
  }
  return fail(wrong_state(id, ctx.state, "ECMTDISC", "CONNECTED"));
}

// ---- AT+ECMTSUB / AT+ECMTUNS / AT+ECMTPUB ----------------------------------------

at::response sub_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTSUB: " + id_range(m) + ",<msgID>,\"<topic>\",<qos>");
}

at::response sub_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number, N::number, N::string, N::number}, 4);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  if (auto f = a.in_range(1, 1, 65535, "msgID")) return fail(*f);
  if (auto f = a.length(2, static_cast<std::size_t>(m.prof().max_topic), "topic")) return fail(*f);
  if (auto f = a.in_range(3, 0, 2, "qos")) return fail(*f);
  int id = static_cast<int>(a.number(0));
  auto& ctx = ctx_of(m, a);
  if (ctx.state != ecmt_state::connected) return fail(wrong_state(id, ctx.state, "ECMTSUB", "CONNECTED"));
  int msg = static_cast<int>(a.number(1));
  ctx.pending_subs[msg] = {a.text(2), static_cast<int>(a.number(3))};
  m.request(mqtt::request::subscribe{id, msg, a.text(2), static_cast<int>(a.number(3))});
  expect_ack(m, id, 'S', msg);
  return at::response::ok().after(ok_delay(m));
}

at::response uns_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTUNS: " + id_range(m) + ",<msgID>,\"<topic>\"");
}

at::response uns_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number, N::number, N::string}, 3);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  if (auto f = a.in_range(1, 1, 65535, "msgID")) return fail(*f);
  if (auto f = a.length(2, static_cast<std::size_t>(m.prof().max_topic), "topic")) return fail(*f);
  int id = static_cast<int>(a.number(0));
  auto& ctx = ctx_of(m, a);
  if (ctx.state != ecmt_state::connected) return fail(wrong_state(id, ctx.state, "ECMTUNS", "CONNECTED"));
  int msg = static_cast<int>(a.number(1));
  ctx.pending_unsubs[msg] = a.text(2);
  m.request(mqtt::request::unsubscribe{id, msg, a.text(2)});
  expect_ack(m, id, 'U', msg);
  return at::response::ok().after(ok_delay(m));
}

at::response pub_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+ECMTPUB: " + id_range(m) + ",<msgID>,<qos>,<retain>,\"<topic>\"[,\"<payload>\"]");
}

at::response pub_write(modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, {N::number, N::number, N::number, N::number, N::string, N::any}, 5, 5);
  if (auto* r = std::get_if<at::response>(&parsed)) return *r;
  auto& a = std::get<at::arguments>(parsed);
  if (auto f = check_id(m, a)) return fail(*f);
  if (auto f = a.in_range(1, 0, 65535, "msgID")) return fail(*f);
  if (auto f = a.in_range(2, 0, 2, "qos")) return fail(*f);
  auto retain = a.number(3);
  if (retain > 31 || retain % 10 > 1)
    return fail(at::not_allowed("param.range", "parameter 4 (retain) is " + a.text(3) +
                                                   "; allowed: 0, 1, 10, 11, 20, 21, 30, 31 (tens digit = RAI hint)"));
  if (auto f = a.length(4, static_cast<std::size_t>(m.prof().max_topic), "topic")) return fail(*f);
  int id = static_cast<int>(a.number(0));
  int msg = static_cast<int>(a.number(1));
  int qos = static_cast<int>(a.number(2));
  if (qos > 0 && msg == 0)
    return fail(at::not_allowed("param.range", "qos " + std::to_string(qos) + " needs a msgID from 1 to 65535"));
  auto& ctx = ctx_of(m, a);
  if (ctx.state != ecmt_state::connected) return fail(wrong_state(id, ctx.state, "ECMTPUB", "CONNECTED"));
  mqtt::request::publish pub{id, msg, qos, retain % 10 == 1, a.text(4), {}};
  auto max = static_cast<std::size_t>(m.prof().max_payload);

  if (a.present(5)) {
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
    if (qos > 0) expect_ack(m, id, 'P', msg);
    return ok;
  }

  // Data mode: the prompt, then raw bytes up to ^Z (send) or ESC (cancel).
  at::response r;
  r.final = at::final_kind::prompt;
  r.delay_ms = 0;
  r.on_data = [&m, pub, max](std::string_view data, bool cancelled) mutable -> at::response {
    if (cancelled) {
      m.log(engine::log_level::info, "data mode cancelled with ESC: nothing published", "note");
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
    if (qos > 0) expect_ack(m, id, 'P', msg);
    return at::response::ok();
  };
  return r;
}

}  // namespace nt35e::commands::ecmt
