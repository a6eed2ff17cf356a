// Radio and packet data: +CSQ, +CESQ, +CGATT, +CFUN, +CGPADDR, +CGDCONT (registration: registration.cpp).

#include "commands/registry.hpp"
#include "modem/modem.hpp"
#include "modem/power.hpp"

namespace nt35e::commands::network {

at::response csq_exec(modem::modem& m, const at::command&) {
  if (!m.registered()) return at::response::ok().line("+CSQ: 99,99");
  return at::response::ok().line("+CSQ: " + std::to_string(m.prof().csq_rssi) + "," + std::to_string(m.prof().csq_ber));
}
at::response csq_test(modem::modem&, const at::command&) { return at::response::ok().line("+CSQ: (0-31,99),(0-7,99)"); }

at::response cesq_exec(modem::modem& m, const at::command&) {
  if (!m.registered()) return at::response::ok().line("+CESQ: 99,99,255,255,255,255");
  return at::response::ok().line("+CESQ: 99,99,255,255," + std::to_string(m.prof().cesq_rsrq) + "," +
                                 std::to_string(m.prof().cesq_rsrp));
}
at::response cesq_test(modem::modem&, const at::command&) {
  // The firmware lists only the values it can report: rxlev/ber/rscp/ecno are always unknown (§4).
  return at::response::ok().line("+CESQ: (99),(99),(255),(255),(0-34,255),(0-97,255)");
}

at::response cgatt_write(modem::modem& m, const args& a) {
  if (a.integer(0) == 0) {
    modem::detach(m);
    return at::response::ok();
  }
  if (m.cfun != 1)
    return at::response::fail(
        at::cme_error(30, "net.no_pdp", "the radio is off (AT+CFUN=" + std::to_string(m.cfun) + "); AT+CFUN=1 first"));
  if (!m.sim_present) return at::response::fail(at::cme_error(10, "sim.not_ready", "no SIM"));
  if (m.registered() && m.pdp_active) return at::response::ok();
  // OK comes when registration and PDP activation are done (§4.1).
  modem::attach(m, m.prof().timing.cgatt_ok);
  return at::response::ok().after(m.prof().timing.cgatt_ok);
}
at::response cgatt_read(modem::modem& m, const at::command&) {
  // Attached = registered: AT+CGACT=0,1 leaves it attached without a PDP (§4.4.5).
  return at::response::ok().line("+CGATT: " + std::to_string(m.registered() ? 1 : 0));
}
at::response cgatt_test(modem::modem&, const at::command&) { return at::response::ok().line("+CGATT: (0,1)"); }

at::response cfun_write(modem::modem& m, const args& a) {
  int fun = a.integer(0);
  if (a.has(1) && a.integer(1) == 1) {
    // AT+CFUN=1,1 reboots as AT+ECRST does (chosen, §4); a reset with the radio going off
    // means nothing, so it is a bad value (chosen).
    if (fun != 1)
      return at::response::fail(
          at::cme_error(static_cast<int>(at::cme::incorrect_parameters), "param.range",
                        "parameter 2 (rst) 1 resets the module only with fun 1, got fun " + std::to_string(fun)));
    modem::schedule_reboot(m, m.prof().timing.reboot_after_ok);
    return at::response::ok();
  }
  if (fun == m.cfun && !(fun == 1 && m.cops_mode == 2)) return at::response::ok();  // CFUN=1 ends COPS=2
  if (fun == 1) {
    modem::radio_on(m, m.prof().timing.cfun_on_ok);
    return at::response::ok().after(m.prof().timing.cfun_on_ok);
  }
  modem::radio_off(m, fun);
  return at::response::ok().after(m.prof().timing.cfun_off_ok);
}
at::response cfun_read(modem::modem& m, const at::command&) {
  return at::response::ok().line("+CFUN: " + std::to_string(m.cfun));
}
at::response cfun_test(modem::modem&, const at::command&) { return at::response::ok().line("+CFUN: (0,1,4),(0)"); }

namespace {
std::string cgpaddr_line(modem::modem& m, int cid) {
  std::string line = "+CGPADDR: " + std::to_string(cid);
  if (cid == 1 && m.pdp_active) {
    if (m.prof().style == at::response_style::compact)
      line += "," + m.prof().ipv4;
    else
      line += ",\"" + m.prof().ipv4 + "\"";
  }
  return line;
}
}  // namespace

at::response cgpaddr_exec(modem::modem& m, const at::command&) {
  at::response r;
  for (const auto& [cid, ctx] : m.pdp) r.line(cgpaddr_line(m, cid));
  return r;
}
at::response cgpaddr_write(modem::modem& m, const args& a) {
  auto cid = a.number(0);
  // Above 10, or in range but not defined (chosen): both CME 50 (§4).
  if (cid > 10 || !m.pdp.contains(static_cast<int>(cid)))
    return at::response::fail(at::cme_error(static_cast<int>(at::cme::incorrect_parameters), "param.range",
                                            "cid " + a.text(0) + (cid > 10 ? " is above 10" : " is not defined")));
  return at::response::ok().line(cgpaddr_line(m, static_cast<int>(cid)));
}
at::response cgpaddr_test(modem::modem& m, const at::command&) {
  std::string list;
  for (const auto& [cid, ctx] : m.pdp) list += (list.empty() ? "" : ",") + std::to_string(cid);
  return at::response::ok().line("+CGPADDR: (" + list + ")");
}

at::response cgdcont_write(modem::modem& m, const args& a) {
  int cid = a.integer(0);
  if (!a.has(1)) {
    if (cid == 1 && m.pdp_active)
      return at::response::fail(at::not_allowed("state.not_allowed", "cid 1 is active; detach first (AT+CGATT=0)"));
    m.pdp.erase(cid);
    return at::response::ok();
  }
  if (auto f = a.check(2)) return at::response::fail(*f);  // the APN, now that a type was given
  m.pdp[cid] = modem::pdp_context{a.text(1), a.has(2) ? a.text(2) : std::string{}};
  return at::response::ok();
}
at::response cgdcont_read(modem::modem& m, const at::command&) {
  at::response r;
  // One piece per cid (§2.5); an empty APN is an empty field and trailing empty fields are cut (§4).
  for (const auto& [cid, ctx] : m.pdp) {
    std::string addr = cid == 1 && m.pdp_active ? m.prof().ipv4 : "";
    std::string line = "+CGDCONT: " + std::to_string(cid) + ",\"" + ctx.type + "\"";
    if (!ctx.apn.empty() || !addr.empty()) line += "," + (ctx.apn.empty() ? std::string{} : "\"" + ctx.apn + "\"");
    if (!addr.empty()) line += ",\"" + addr + "\"";
    r.line(line);
  }
  return r;
}
at::response cgdcont_test(modem::modem&, const at::command&) {
  // Four pieces, one per PDP type, as the firmware prints them (§4).
  return at::response::ok()
      .line("+CGDCONT: (0-10),\"IP\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0,1),(0),(0)")
      .line("+CGDCONT: (0-10),\"IPV6\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0),(0),(0)")
      .line("+CGDCONT: (0-10),\"IPV4V6\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0,1),(0),(0)")
      .line("+CGDCONT: (0-10),\"Non-IP\",,,,,(0),(0,2),(0),(0),(0,1),(0),(0),(0),(0,1)");
}

}  // namespace nt35e::commands::network
