// AT+ECPING (spec §4.3): its errors are +SOCKET ERROR results, never +CME ERROR, and the
// same under every AT+CMEE; the echoes themselves are modem/ping's.

#include "commands/registry.hpp"
#include "modem/modem.hpp"

namespace nt35e::commands::ping {
namespace {

at::response socket_fail(std::string text, std::string reason, std::string sentence) {
  return at::response::fail(at::socket_error(std::move(text), std::move(reason), std::move(sentence)));
}

at::response stop(modem::modem& m) {
  // The stack refuses a stop when nothing runs (chosen: the firmware's psStopPing has
  // nothing to stop then).
  if (!modem::stop_ping(m))
    return socket_fail("OPERATION NO SUPPORT", "state.not_allowed", "no ping is running, so there is nothing to stop");
  m.log(modem::log_level::info, "AT+ECPING: stopped");
  return at::response::ok();
}

}  // namespace

at::response ecping_write(modem::modem& m, const args& a) {
  const auto& host = a.text(0);
  if (!a.quoted(0) && !host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
    // A number in place of the host: only a lone 0 (the stop form) is one (§4.3).
    if (host.find_first_not_of('0') == std::string::npos && a.size() == 1) return stop(m);
    return socket_fail("PARAMETER ERROR", "param.range",
                       "parameter 1 (host) is the number " + host +
                           "; a host is a string, and only a lone 0 (AT+ECPING=0, the stop form) may be a number");
  }
  if (auto f = a.check(0)) {
    f->socket = "PARAMETER ERROR";
    return at::response::fail(std::move(*f));
  }
  if (m.ping.active)
    return socket_fail("UNKNOWN", "state.not_allowed",
                       "a ping is still running; wait for its last +ECPING line or stop it with AT+ECPING=0");
  if (!m.pdp_active)
    return socket_fail("UNKNOWN", "net.no_pdp",
                       "no PDP context is active (not registered, or the radio is off), so the ping cannot start");
  const int count = a.has(1) ? a.integer(1) : 4;
  const int timeout = a.has(3) ? a.integer(3) : 20000;
  // The payload size and the RAI flag change nothing a simulated echo shows.
  modem::start_ping(m, host, count, timeout);
  return at::response::ok();
}

at::response ecping_test(modem::modem&, const at::command&) {
  // One backslash, as the firmware writes it (§4.3).
  return at::response::ok().line("+ECPING: (\"IP ADDR\\URL\",0),(1-255),(1-1500),(1000-600000),(0,1)");
}

at::response ecping_unsupported(modem::modem&, const at::command& cmd) {
  return socket_fail("OPERATION NO SUPPORT", "form.not_supported",
                     "AT+ECPING has no " + std::string(at::to_string(cmd.what)) +
                         " form; ping with AT+ECPING=\"<host>\"[,<count>[,<size>[,<timeout ms>[,<rai>]]]]");
}

}  // namespace nt35e::commands::ping
