// Identity and SIM: +CGMI/+CGMM/+CGMR, +CGSN, +CIMI, +ECICCID, +CPIN, +CCLK.

#include <cstdio>
#include <ctime>

#include "commands/registry.hpp"
#include "modem/modem.hpp"

namespace nt35e::commands::identity {
namespace {
at::response no_sim() {
  return at::response::fail(at::cme_error(10, "sim.not_ready", "the SIM is absent (scenario or profile: sim=absent)"));
}
}  // namespace

at::response cgmi(modem::modem& m, const at::command&) { return at::response::ok().line(m.prof().manufacturer, true); }
at::response cgmm(modem::modem& m, const at::command&) { return at::response::ok().line(m.prof().model, true); }
at::response cgmr(modem::modem& m, const at::command&) { return at::response::ok().line(m.prof().revision, true); }
at::response cgsn_exec(modem::modem& m, const at::command&) { return at::response::ok().line(m.prof().imei, true); }

at::response cgsn_write(modem::modem& m, const args& a) {
  const auto& p = m.prof();
  switch (a.integer(0)) {
    case 0:
      return at::response::ok().line(p.imei, true);
    case 1:
      return at::response::ok().line("+CGSN: \"" + p.imei + "\"");
    case 2:
      return at::response::ok().line("+CGSN: \"" + p.imei.substr(0, 14) + p.svn + "\"");
    default:
      return at::response::ok().line("+CGSN: \"" + p.svn + "\"");
  }
}
at::response cgsn_test(modem::modem&, const at::command&) { return at::response::ok().line("+CGSN: (0,1,2,3)"); }

at::response cimi(modem::modem& m, const at::command&) {
  if (!m.sim_present) return no_sim();
  return at::response::ok().line(m.prof().imsi, true);
}

at::response eciccid(modem::modem& m, const at::command&) {
  if (!m.sim_present) return no_sim();
  return at::response::ok().line("+ECICCID: " + m.prof().iccid);
}

at::response cpin_read(modem::modem& m, const at::command&) {
  if (!m.sim_present) return no_sim();
  return at::response::ok().line("+CPIN: READY");
}

at::response cclk_read(modem::modem& m, const at::command&) {
  const auto t = static_cast<std::time_t>(m.utc_seconds() + m.clock_offset_s + m.timezone_quarters * 15 * 60);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  int tz = m.timezone_quarters;
  // Quoted, four-digit year, in both styles: +CCLK has no reference-AT variant (§4).
  std::snprintf(buf, sizeof buf, "\"%04d/%02d/%02d,%02d:%02d:%02d%c%02d\"", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+', tz < 0 ? -tz : tz);
  return at::response::ok().line(std::string("+CCLK: ") + buf);
}

at::response cclk_write(modem::modem& m, const args& a) {
  int yyyy, mo, dd, hh, mi, ss, tz;
  char sign;
  char tail;
  const auto& s = a.text(0);
  if (std::sscanf(s.c_str(), "%4d/%2d/%2d,%2d:%2d:%2d%c%2d%c", &yyyy, &mo, &dd, &hh, &mi, &ss, &sign, &tz, &tail) !=
          8 ||
      (sign != '+' && sign != '-') || yyyy < 2000 || yyyy > 2099 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 ||
      mi > 59 || ss > 59 || tz > 96)
    return at::response::fail(at::not_allowed(
        "param.range", "the time must read \"yyyy/MM/dd,hh:mm:ss±zz\" with a year 2000-2099, got \"" + s + "\""));
  if (m.prof().cclk_write_refused)
    return at::response::fail(at::not_allowed("state.not_allowed",
                                              "this module refuses AT+CCLK writes while automatic time-zone update "
                                              "is on (its default); the network sets the clock"));
  std::tm tm{};
  tm.tm_year = yyyy - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = dd;
  tm.tm_hour = hh;
  tm.tm_min = mi;
  tm.tm_sec = ss;
  int quarters = sign == '-' ? -tz : tz;
  // The given time is local; keep UTC as offset from the host clock.
  auto utc = timegm(&tm) - quarters * 15 * 60;
  m.clock_offset_s = utc - m.utc_seconds();
  m.timezone_quarters = quarters;
  return at::response::ok();
}

}  // namespace nt35e::commands::identity
