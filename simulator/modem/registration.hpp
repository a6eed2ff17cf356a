#pragma once
// How the registration state reads (spec §4.4.1–§4.4.3): the fields of +CREG, +CGREG and
// +CEREG for a report mode n, in the profile's build (compact = reference-AT answers), and
// the URCs a change emits. One stat serves all three (§4.4.0).

#include <string>
#include <string_view>

namespace nt35e::modem {
class modem;
struct profile;

/// The fields after "+CEREG: " for report mode n; a read answer puts "<n>," in front.
std::string cereg_fields(const modem& m, int n);
/// The fields after "+CREG: " for report mode n (location quoted in both builds).
std::string creg_fields(const modem& m, int n);
/// The fields after "+CGREG: " for report mode n.
std::string cgreg_fields(const modem& m, int n);

/// PSM timers the network granted: those AT+CPSMS=1 asked for, both given, while registered (chosen).
bool psm_granted(const modem& m);

/// What changed, for the URCs it is due to.
enum class registration_change {
  stat,  ///< stat (and with it the location and a reject): every mode n ≥ 1
  psm,   ///< the granted PSM timers: +CEREG with n 4 or 5
};
/// Emits the URCs due for a change, in the order +CEREG, +CREG, +CGREG (§4.4.0).
void report_registration(modem& m, registration_change what);

/// The AT+CEER report of an EMM cause: "EMM_CAUSE_PLMN_NOT_ALLOWED" for 11 (§4.4.6).
std::string_view emm_cause_name(int cause);

/// A test SIM (IMSI starting 00101) unlocks AT+COPS modes 3 and 4 in the reference build (chosen).
bool test_sim(const profile& p);

}  // namespace nt35e::modem
