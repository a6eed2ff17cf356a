#include "modem/power.hpp"

#include "modem/ecmt_machine.hpp"
#include "modem/modem.hpp"

namespace nt35e::modem {
namespace {

void register_after(modem& m, int ms) {
  m.after(ms, [](modem& mm) {
    // AT+COPS=2 keeps the module deregistered until the host asks again (§4.4.4).
    if (mm.cfun != 1 || !mm.sim_present || mm.cops_mode == 2) return;
    mm.set_stat(static_cast<reg_stat>(mm.prof().registration_result));
    if (mm.registered()) {
      mm.pdp_active = true;
      mm.log(log_level::info, "PDP context 1 active, address " + mm.prof().ipv4);
    }
  });
}

}  // namespace

void power_on(modem& m) {
  if (m.prof().start_registered) {
    // Taking over a line whose boot was already played (a replay's handover): no banner.
    m.own_prof().start_registered = false;  // a later reboot boots normally
    m.booting = false;
    if (m.cfun == 1 && m.sim_present) {
      m.stat = static_cast<reg_stat>(m.prof().registration_result);
      m.pdp_active = m.registered();
    }
    return;
  }
  m.booting = true;
  m.after(m.prof().timing.boot, [](modem& mm) {
    mm.booting = false;
    mm.log(log_level::info, "boot complete");
    mm.emit_urc(mm.prof().banner, true);
    if (mm.cfun == 1 && mm.sim_present) {
      mm.set_stat(reg_stat::searching);
      register_after(mm, mm.prof().timing.registration);
    }
  });
}

void schedule_reboot(modem& m, int delay_ms) {
  // After the OK the module is silent and discards input (§4.2).
  m.booting = true;
  m.after(delay_ms, [](modem& mm) {
    mm.log(log_level::info, "reboot");
    drop_all_links(mm);
    mm.cancel_all();
    mm.ping.active = false;  // its timers went with cancel_all
    mm.pending_urcs().clear();
    // ATV and S3-S5 return to their defaults; ATE, ATQ, CMEE, CEREG n and CGDCONT are NVM (§3.1).
    mm.set.verbose = mm.prof().verbose;
    mm.set.line = at::line_settings{};
    mm.stat = reg_stat::not_registered;
    mm.pdp_active = false;
    mm.cfun = 1;
    // Operator selection and the last EMM cause are not NVM (chosen, §4.4.4, §4.4.6).
    mm.cops_mode = 0;
    mm.cops_format = 2;
    mm.reject_cause.reset();
    ++mm.reboots;
    power_on(mm);
  });
}

void radio_off(modem& m, int fun) {
  m.cfun = fun;
  m.set_stat(reg_stat::not_registered);
  if (m.pdp_active) {
    m.pdp_active = false;
    on_network_lost(m);
  }
}

void radio_on(modem& m, int ok_delay_ms) {
  m.cfun = 1;
  if (m.cops_mode == 2) m.cops_mode = 0;  // AT+CFUN=1 ends an AT+COPS=2 deregistration (chosen)
  if (!m.sim_present) return;
  m.set_stat(reg_stat::searching);
  register_after(m, ok_delay_ms + m.prof().timing.registration);
}

void detach(modem& m) {
  if (m.pdp_active) {
    m.pdp_active = false;
    on_network_lost(m);
  }
  m.set_stat(reg_stat::not_registered);
}

void attach(modem& m, int ms) {
  if (m.cops_mode == 2) m.cops_mode = 0;  // as does AT+CGATT=1 (chosen, §4.4.4)
  m.after(ms, [](modem& mm) {
    mm.set_stat(static_cast<reg_stat>(mm.prof().registration_result));
    mm.pdp_active = mm.registered();
  });
}

}  // namespace nt35e::modem
