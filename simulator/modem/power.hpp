#pragma once
// Power, radio and attach: the timelines of §4.1 and §4.2.

namespace nt35e::modem {
class modem;

/// Power-on: silence, then the banner after timing.boot, then searching, then registered.
void power_on(modem& m);
/// AT+ECRST: reboot `delay_ms` after the OK.
void schedule_reboot(modem& m, int delay_ms);
/// AT+CFUN=0/4: radio off now; its URCs follow the OK.
void radio_off(modem& m, int fun);
/// AT+CFUN=1: searching after the OK, registered timing.registration later.
void radio_on(modem& m, int ok_delay_ms);
/// AT+CGATT=0: detach with the radio on.
void detach(modem& m);
/// AT+CGATT=1: registered and PDP active after `ms`.
void attach(modem& m, int ms);
}  // namespace nt35e::modem
