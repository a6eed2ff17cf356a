// V.250 basics: E, V, Q, I, Z, &F, S-registers, +CMEE, +ECRST.

#include "commands/registry.hpp"
#include "modem/modem.hpp"
#include "modem/power.hpp"

namespace nt35e::commands::basic {
namespace {

// A basic command's value out of range is CME 50 like a 27.007 command's (§2.7).
at::failure basic_range(std::string sentence) {
  return at::cme_error(static_cast<int>(at::cme::incorrect_parameters), "param.range", std::move(sentence));
}

// ATE, ATQ and ATV take one digit; the bare and read forms are not in the table (CME 4).
std::optional<at::failure> single_digit(const at::command& cmd, int max, int& value) {
  value = 0;
  if (cmd.args.size() != 1 || cmd.args[0] - '0' > max)
    return basic_range("AT" + cmd.name + " takes 0" + (max > 0 ? "-" + std::to_string(max) : "") + ", got " + cmd.args);
  value = cmd.args[0] - '0';
  return std::nullopt;
}

void restore_defaults(modem::modem& m) {
  const auto& p = m.prof();
  m.set.echo = p.echo;
  m.set.verbose = p.verbose;
  m.set.quiet = p.quiet;
  m.set.cmee = p.cmee;
  m.set.cereg_n = p.cereg_n;
  m.set.creg_n = p.creg_n;
  m.set.cgreg_n = p.cgreg_n;
  m.set.line = at::line_settings{};
}

}  // namespace

at::response at(modem::modem&, const at::command&) { return at::response::ok(); }
at::response ok_only(modem::modem&, const at::command&) { return at::response::ok(); }

at::response echo_write(modem::modem& m, const at::command& cmd) {
  int v = 0;
  if (auto f = single_digit(cmd, 1, v)) return at::response::fail(*f);
  m.set.echo = v == 1;
  return at::response::ok();
}

at::response verbose_write(modem::modem& m, const at::command& cmd) {
  int v = 0;
  if (auto f = single_digit(cmd, 1, v)) return at::response::fail(*f);
  m.set.verbose = v == 1;  // the OK itself is already in the new format (§4)
  return at::response::ok();
}

at::response quiet_write(modem::modem& m, const at::command& cmd) {
  int v = 0;
  if (auto f = single_digit(cmd, 1, v)) return at::response::fail(*f);
  m.set.quiet = v == 1;
  return at::response::ok();  // rendered empty under ATQ1: "ATQ1 itself gets no OK"
}

at::response info(modem::modem& m, const at::command& cmd) {
  if (cmd.what == at::form::write && cmd.args != "0")
    return at::response::fail(basic_range("ATI takes only 0, got " + cmd.args));
  const auto& p = m.prof();
  at::response r;
  if (p.ati_single_line) {
    r.line(p.manufacturer + " " + p.revision, true);
  } else {
    r.line(p.manufacturer, true).line(p.model, true).line("Revision: " + p.revision, true);
  }
  return r;
}

at::response factory(modem::modem& m, const at::command& cmd) {
  if (cmd.what == at::form::write && cmd.args != "0")
    return at::response::fail(basic_range("AT&F takes only 0, got " + cmd.args));
  if (m.prof().quirk.ampf_not_supported) {
    m.log(modem::log_level::info, "AT&F changes nothing under quirk.ampf_not_supported", "note");
    // Not fixed: the compact filter takes any first colon (§2.5), "&F:EXEC not support now".
    return at::response::ok().line("&F: EXEC not support now");
  }
  restore_defaults(m);
  return at::response::ok();
}

at::response reset_z(modem::modem& m, const at::command& cmd) {
  if (cmd.what == at::form::write && cmd.args != "0")
    return at::response::fail(basic_range("ATZ takes only 0, got " + cmd.args));
  restore_defaults(m);  // no stored user profile exists (chosen)
  return at::response::ok();
}

namespace {
unsigned char* sreg(modem::modem& m, const std::string& name) {
  if (name == "S3") return &m.set.line.s3;
  if (name == "S4") return &m.set.line.s4;
  if (name == "S5") return &m.set.line.s5;
  return nullptr;
}
at::failure unknown_sreg(const std::string& name) {
  return at::syntax_error("syntax.unknown_command", "register " + name + " does not exist; only S3, S4 and S5 do");
}
}  // namespace

at::response sreg_read(modem::modem& m, const at::command& cmd) {
  auto* r = sreg(m, cmd.name);
  if (!r) return at::response::fail(unknown_sreg(cmd.name));
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", *r);
  return at::response::ok().line(buf, true);
}

at::response sreg_write(modem::modem& m, const at::command& cmd) {
  auto* r = sreg(m, cmd.name);
  if (!r) return at::response::fail(unknown_sreg(cmd.name));
  if (cmd.args.empty() || cmd.args.size() > 3)
    return at::response::fail(at::syntax_error("syntax.not_a_number", cmd.name + "= needs a value 0-127"));
  int v = std::stoi(cmd.args);
  if (v > 127) return at::response::fail(basic_range(cmd.name + " must be 0-127, got " + cmd.args));
  *r = static_cast<unsigned char>(v);
  return at::response::ok();
}

at::response cmee_write(modem::modem& m, const args& a) {
  m.set.cmee = a.integer(0);
  return at::response::ok();
}
at::response cmee_exec(modem::modem&, const at::command&) {
  // The firmware's AT+CMEE handler answers its execute form with CME 100 (§2.7 exception).
  return at::response::fail(at::cme_error(static_cast<int>(at::cme::unknown), "form.not_supported",
                                          "AT+CMEE needs a value: AT+CMEE=0, 1 or 2 (the module answers CME 100)"));
}
at::response cmee_read(modem::modem& m, const at::command&) {
  return at::response::ok().line("+CMEE: " + std::to_string(m.set.cmee));
}
at::response cmee_test(modem::modem&, const at::command&) { return at::response::ok().line("+CMEE: (0-2)"); }

at::response ecrst_exec(modem::modem& m, const at::command&) {
  modem::schedule_reboot(m, m.prof().timing.reboot_after_ok);
  return at::response::ok();
}

at::response ecrst_write(modem::modem& m, const args& a) {
  modem::schedule_reboot(m, a.integer(1));  // AT+ECRST="delay",<ms>
  return at::response::ok();
}

}  // namespace nt35e::commands::basic
