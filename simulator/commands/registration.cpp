// Network registration and operator commands (spec §4.4): +CREG, +CGREG, +CEREG, +COPS,
// +CGACT, +CEER, +CNUM, +CMGF, +CPSMS, +CEDRXS, and the commands hosts probe that the
// firmware does not have (§4.4.11). Compact style selects the reference-AT answers (§2.5).

#include <algorithm>
#include <iterator>
#include <vector>

#include "commands/registry.hpp"
#include "modem/ecmt_machine.hpp"
#include "modem/modem.hpp"
#include "modem/power.hpp"
#include "modem/registration.hpp"

namespace nt35e::commands::registration {
namespace {

bool reference_build(const modem::modem& m) { return m.prof().style == at::response_style::compact; }

at::response cme50(std::string reason, std::string sentence) {
  return at::response::fail(at::cme_error(50, std::move(reason), std::move(sentence)));
}

/// An 8-character 3GPP timer of 0s and 1s (AT+CPSMS).
bool timer_bits(const std::string& s) { return s.size() == 8 && s.find_first_not_of("01") == std::string::npos; }

}  // namespace

// ---- shared form answers ---------------------------------------------------------

at::response no_parameters(modem::modem&, const at::command& cmd) {
  // "AT+CEER=" (nothing after '=') reaches the handler as an unsupported form: CME 4 (§4.4.0).
  if (cmd.args.empty())
    return at::response::fail(at::cme_error(4, "form.not_supported", "AT" + cmd.name + "= with nothing after '='"));
  return at::response::fail(
      at::syntax_error("syntax.too_many_params", "AT" + cmd.name + " takes no parameters, got \"" + cmd.args + "\""));
}

// ---- +CREG, +CGREG, +CEREG ---------------------------------------------------------

namespace {
/// A report mode's read answer: "<head>: <n>,<fields>".
at::response report_read(std::string_view head, int n, const std::string& fields) {
  return at::response::ok().line(std::string(head) + ": " + std::to_string(n) + "," + fields);
}
/// A report mode's write: only stored; nothing is reported until the next change.
at::response store_mode(int& n, const args& a) {
  n = a.integer(0);
  return at::response::ok();
}
}  // namespace

at::response creg_test(modem::modem&, const at::command&) { return at::response::ok().line("+CREG: (0,1,2,3)"); }
at::response creg_read(modem::modem& m, const at::command&) {
  return report_read("+CREG", m.set.creg_n, modem::creg_fields(m, m.set.creg_n));
}
at::response creg_write(modem::modem& m, const args& a) { return store_mode(m.set.creg_n, a); }

bool cgreg_exists(const modem::profile& p) { return !p.quirk.cgreg_not_supported; }
at::response cgreg_test(modem::modem&, const at::command&) { return at::response::ok().line("+CGREG: (0-2)"); }
at::response cgreg_read(modem::modem& m, const at::command&) {
  return report_read("+CGREG", m.set.cgreg_n, modem::cgreg_fields(m, m.set.cgreg_n));
}
at::response cgreg_write(modem::modem& m, const args& a) { return store_mode(m.set.cgreg_n, a); }

at::response cereg_test(modem::modem&, const at::command&) { return at::response::ok().line("+CEREG: (0,1,2,3,4,5)"); }
at::response cereg_read(modem::modem& m, const at::command&) {
  return report_read("+CEREG", m.set.cereg_n, modem::cereg_fields(m, m.set.cereg_n));
}
at::response cereg_write(modem::modem& m, const args& a) { return store_mode(m.set.cereg_n, a); }

// ---- +COPS ---------------------------------------------------------------------------

namespace {

/// Mode 0 or a successful manual selection: OK at once when registered, else after
/// registration (§4.4.4, §8); with the radio off or no SIM the mode is only stored (chosen).
at::response select_network(modem::modem& m, int mode) {
  m.cops_mode = mode;
  if (m.registered() || m.cfun != 1 || !m.sim_present) return at::response::ok();
  m.set_stat(modem::reg_stat::searching);
  modem::attach(m, m.prof().timing.registration);
  return at::response::ok().after(m.prof().timing.registration);
}

std::string cops_oper(const modem::modem& m) {
  const auto& p = m.prof();
  switch (m.cops_format) {
    case 0:
      return p.operator_long;
    case 1:
      return p.operator_short;
    default:
      return p.plmn;
  }
}

at::response locked(int mode) {
  return cme50("param.locked",
               "AT+COPS mode " + std::to_string(mode) +
                   " needs a test SIM in this build (the reference-AT firmware locks it; an IMSI starting 00101 "
                   "unlocks it)");
}

}  // namespace

at::response cops_test(modem::modem& m, const at::command&) {
  const auto& p = m.prof();
  const bool reference = reference_build(m);
  const std::string modes = reference ? ",,(0-2),(2)" : ",,(0-4),(0-2)";
  const int delay = p.timing.cops_test;
  if (m.cfun != 1 || !m.sim_present) return at::response::ok().line("+COPS: " + modes).after(delay);
  // <stat> of the one PLMN: 2 current, 3 forbidden after a reject, else 1 available (chosen).
  int stat = m.registered() ? 2 : m.stat == modem::reg_stat::denied ? 3 : 1;
  std::string entry = "(" + std::to_string(stat) + ",";
  if (reference)
    entry += ",,\"" + p.plmn + "\")";
  else
    entry +=
        "\"" + p.operator_long + "\",\"" + p.operator_short + "\",\"" + p.plmn + "\"," + std::to_string(p.act) + ")";
  return at::response::ok().line("+COPS: " + entry + modes).after(delay);
}

at::response cops_read(modem::modem& m, const at::command&) {
  std::string line = "+COPS: " + std::to_string(m.cops_mode);
  if (m.registered()) {
    // The reference build reports only the numeric format (§4.4.4).
    int format = reference_build(m) ? 2 : m.cops_format;
    std::string oper = format == 2 ? m.prof().plmn : cops_oper(m);
    line += "," + std::to_string(format) + ",\"" + oper + "\"," + std::to_string(m.prof().act);
  }
  return at::response::ok().line(line);
}

at::response cops_write(modem::modem& m, const args& a) {
  const int mode = a.integer(0);
  const auto& p = m.prof();
  const bool unlocked = !reference_build(m) || modem::test_sim(p);
  switch (mode) {
    case 0:
    case 2:
      if (a.size() > 1)
        return cme50("param.range", "AT+COPS mode " + std::to_string(mode) + " takes no more parameters");
      if (mode == 0) return select_network(m, 0);
      m.cops_mode = 2;
      modem::detach(m);  // as AT+CGATT=0, until the host asks again (chosen)
      return at::response::ok().after(p.timing.cops_off_ok);
    case 3:
      if (!unlocked) return locked(3);
      if (a.size() != 2 || !a.has(1))
        return cme50("param.range", "AT+COPS=3 takes exactly one more parameter, the format 0-2");
      if (auto f = a.check(1)) return at::response::fail(*f);
      m.cops_format = a.integer(1);
      return at::response::ok();
    default:  // 1 manual, 4 manual then automatic
      break;
  }
  if (mode == 4 && !unlocked) return locked(4);
  if (!a.has(1) || !a.has(2)) return cme50("param.range", "manual selection needs <format> and <oper>");
  if (auto f = a.check(1)) return at::response::fail(*f);
  if (auto f = a.check(2)) return at::response::fail(*f);
  if (a.integer(1) != 2)
    return at::response::fail(at::cme_error(
        4, "form.not_supported", "manual selection accepts only the numeric format 2, got format " + a.text(1)));
  const auto& oper = a.text(2);
  if (oper.size() < 5 || oper.size() > 6 || oper.find_first_not_of("0123456789") != std::string::npos)
    return cme50("param.range", "parameter 3 (oper) must be a PLMN of 5 or 6 digits, got \"" + oper + "\"");
  if (a.has(3) && a.number(3) != p.act)
    return cme50("param.range",
                 "parameter 4 (AcT) is " + a.text(3) + "; this module has only AcT " + std::to_string(p.act));
  if (oper != p.plmn) {
    if (mode == 4) {
      // Manual fails, automatic takes over (§4.4.4).
      auto r = select_network(m, 0);
      return r.after(std::max(r.delay_ms, p.timing.cops_not_found));
    }
    return at::response::fail(
               at::cme_error(30, "net.no_pdp",
                             "PLMN " + oper + " is not present; only " + p.plmn + " is (AT+COPS=? lists it)"))
        .after(p.timing.cops_not_found);
  }
  return select_network(m, mode);
}

// ---- +CGACT --------------------------------------------------------------------------

at::response cgact_test(modem::modem&, const at::command&) { return at::response::ok().line("+CGACT: (0,1)"); }

at::response cgact_read(modem::modem& m, const at::command&) {
  at::response r;
  for (const auto& [cid, ctx] : m.pdp) {
    std::string line = "+CGACT: " + std::to_string(cid) + "," + (cid == 1 && m.pdp_active ? "1" : "0");
    // One piece: only its first line is compacted (§2.5), so the later ones are fixed.
    r.line(line, !r.lines.empty());
  }
  return r;
}

at::response cgact_write(modem::modem& m, const args& a) {
  const int state = a.integer(0);
  const auto& t = m.prof().timing;
  std::vector<int> cids;
  if (a.has(1)) {
    const int cid = a.integer(1);
    if (!m.pdp.contains(cid)) return cme50("param.range", "cid " + a.text(1) + " is not defined (AT+CGDCONT)");
    cids.push_back(cid);
  } else {
    for (const auto& [cid, ctx] : m.pdp) cids.push_back(cid);  // every defined cid (chosen, 27.007)
  }
  const bool has_cid1 = std::find(cids.begin(), cids.end(), 1) != cids.end();
  if (state == 0) {
    if (has_cid1 && m.pdp_active) {
      // Registration stays; the data path goes, with the ECMT effects of AT+CGATT=0 (§4.4.5).
      m.pdp_active = false;
      m.log(modem::log_level::info, "PDP context 1 deactivated");
      modem::on_network_lost(m);
    }
    return at::response::ok().after(t.cgact_off_ok);
  }
  if (has_cid1 && !m.pdp_active) {
    if (!m.registered())
      return at::response::fail(at::cme_error(30, "net.no_pdp", "not registered: no network to activate cid 1 on"));
    m.after(t.cgact_on_ok, [](modem::modem& mm) {
      if (!mm.registered()) return;
      mm.pdp_active = true;
      mm.log(modem::log_level::info, "PDP context 1 active, address " + mm.prof().ipv4);
    });
  }
  const bool other = std::any_of(cids.begin(), cids.end(), [](int c) { return c != 1; });
  if (other)
    return at::response::fail(at::cme_error(127, "net.no_pdp",
                                            "the simulated network knows only the APN of cid 1; another cid "
                                            "cannot be activated"))
        .after(t.cgact_on_ok);
  return at::response::ok().after(has_cid1 && !m.pdp_active ? t.cgact_on_ok : -1);
}

// ---- +CEER, +CNUM --------------------------------------------------------------------

at::response ceer_exec(modem::modem& m, const at::command&) {
  if (!m.reject_cause) return at::response::ok();
  return at::response::ok().line("+CEER: " + std::string(modem::emm_cause_name(*m.reject_cause)));
}

at::response cnum_exec(modem::modem& m, const at::command&) {
  if (!m.sim_present) return at::response::fail(at::cme_error(10, "sim.not_ready", "no SIM: no subscriber number"));
  const auto& number = m.prof().msisdn;
  if (number.empty()) return at::response::ok();
  const int type = number[0] == '+' ? 145 : 129;
  return at::response::ok().continuation("+CNUM: \"\",\"" + number + "\"," + std::to_string(type));
}

// ---- +CMGF ---------------------------------------------------------------------------

at::response cmgf_test(modem::modem&, const at::command&) { return at::response::ok().line("+CMGF: (0-1)"); }
at::response cmgf_read(modem::modem& m, const at::command&) {
  return at::response::ok().line("+CMGF: " + std::to_string(m.set.cmgf));
}
at::response cmgf_exec(modem::modem&, const at::command&) {
  return at::response::fail(at::cms_error(303, "form.not_supported", "AT+CMGF needs a mode: AT+CMGF=0 or =1"));
}
at::response cmgf_write(modem::modem& m, const args& a) {
  // An SMS command: its range error is CMS 303, not CME (§4.4.8).
  if (auto f = a.check(0)) return at::response::fail(at::cms_error(303, f->reason, f->sentence));
  m.set.cmgf = a.integer(0);
  return at::response::ok();
}

// ---- +CPSMS --------------------------------------------------------------------------

at::response cpsms_test(modem::modem& m, const at::command&) {
  if (reference_build(m)) return at::response::ok().line("+CPSMS: (0,1,2),,,(00000000-11111111),(00000000-11111111)");
  return at::response::ok().line("+CPSMS: (0-2),,,(\"00000000\"-\"11111111\"),(\"00000000\"-\"11111111\")");
}

at::response cpsms_read(modem::modem& m, const at::command&) {
  const auto& psm = m.set.psm;
  auto timer = [&](const std::string& t) { return reference_build(m) ? t : "\"" + t + "\""; };
  std::string line = "+CPSMS: " + std::to_string(psm.mode);
  // Trailing empty fields are cut (§4.4.9).
  if (!psm.active_time.empty())
    line += ",,," + (psm.periodic_tau.empty() ? "" : timer(psm.periodic_tau)) + "," + timer(psm.active_time);
  else if (!psm.periodic_tau.empty())
    line += ",,," + timer(psm.periodic_tau);
  return at::response::ok().line(line);
}

at::response cpsms_write(modem::modem& m, const args& a) {
  if (a.has(1) || a.has(2))
    return cme50("param.range", "the GPRS timers (parameters 2 and 3) must be omitted on this LTE module");
  for (std::size_t i : {std::size_t{3}, std::size_t{4}})
    if (a.has(i) && !timer_bits(a.text(i)))
      return cme50("param.range", "parameter " + std::to_string(i + 1) + " must be 8 characters of 0 and 1, got \"" +
                                      a.text(i) + "\"");
  const bool granted_before = modem::psm_granted(m);
  auto& psm = m.set.psm;
  const int mode = a.integer(0);
  // Mode 2 disables PSM and discards the values (chosen); 0 and 1 store exactly the timers given.
  psm.mode = mode == 2 ? 0 : mode;
  psm.periodic_tau = mode != 2 && a.has(3) ? a.text(3) : std::string{};
  psm.active_time = mode != 2 && a.has(4) ? a.text(4) : std::string{};
  if (modem::psm_granted(m) != granted_before) modem::report_registration(m, modem::registration_change::psm);
  return at::response::ok();
}

// ---- +CEDRXS -------------------------------------------------------------------------

at::response cedrxs_test(modem::modem& m, const at::command&) {
  return at::response::ok().line("+CEDRXS: (0,1,2,3),(" + std::to_string(m.prof().edrx_act_type) +
                                 "),(\"0000\"-\"1111\")");
}

at::response cedrxs_read(modem::modem& m, const at::command&) {
  return at::response::ok().line("+CEDRXS: " + std::to_string(m.prof().edrx_act_type) + ",\"" + m.set.edrx.value +
                                 "\"");
}

at::response cedrxs_write(modem::modem& m, const args& a) {
  const int mode = a.integer(0);
  const int act = m.prof().edrx_act_type;
  if (a.has(1) && a.integer(1) != act)
    return cme50("param.range",
                 "parameter 2 (AcT-type) is " + a.text(1) + "; this module has only AcT-type " + std::to_string(act));
  std::string value;
  if (a.has(2)) {
    value = a.text(2);
    if (value.size() > 4 || value.find_first_not_of("01") != std::string::npos)
      return cme50("param.range",
                   "parameter 3 (eDRX value) must be at most 4 characters of 0 and 1, got \"" + value + "\"");
    value.insert(0, 4 - value.size(), '0');  // shorter values are left-padded (chosen)
  }
  auto& edrx = m.set.edrx;
  if (mode == 0 || mode == 3)
    edrx.value = "0000";
  else if (a.has(2))
    edrx.value = value;
  // +CEDRXP reporting: on with mode 2, off with any other (§4.4.10). The simulated
  // network grants no eDRX, so no +CEDRXP is ever due.
  edrx.report = mode == 2;
  return at::response::ok();
}

}  // namespace nt35e::commands::registration

namespace nt35e::commands {

// ---- §4.4.11: commands hosts probe that the firmware does not have --------------------

std::string absent_command(std::string_view name, const modem::profile& p) {
  if (name == "+CGREG" && !registration::cgreg_exists(p))
    return "AT+CGREG is compiled but not registered in this firmware (quirk.cgreg_not_supported): every form "
           "answers ERROR; AT+CEREG? reports the registration state";
  static constexpr std::string_view probed[] = {
      "+GCAP", "+CLAC",  "+GMI",   "+GMM",  "+GMR",  "+GSN",  "+CPAS", "+CIND", "+CMER",    "+CSCS",  "+CBC",
      "+CCID", "+ICCID", "+QCCID", "+COPN", "+CPOL", "+CPLS", "+CENG", "+CLTS", "+CGCLASS", "+CGSMS", "D",
      "A",     "H",      "+CHUP",  "+CLCC", "+CLIP", "+CRC",  "+CUSD", "+CPMS", "+CNMI",    "+CMGR",  "+CMGL",
      "+CMGD", "+CMGW",  "+CSDH",  "+CSAS", "&W",    "&C",    "&D",    "&K",    "X",        "+IFC",   "+CMUX"};
  if (std::find(std::begin(probed), std::end(probed), name) == std::end(probed)) return {};
  return "AT" + std::string(name) + " is not implemented by this firmware; it answers ERROR in every form (§4.4.11)";
}

}  // namespace nt35e::commands
