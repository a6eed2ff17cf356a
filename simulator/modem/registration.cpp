#include "modem/registration.hpp"

#include "modem/modem.hpp"

namespace nt35e::modem {
namespace {

bool reference_build(const modem& m) { return m.prof().style == response_style::compact; }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// ,"<lac>","<ci>",<AcT> when the cell is known (stat 1 or 5, chosen); else nothing.
std::string quoted_location(const modem& m) {
  if (!m.registered()) return {};
  return "," + quoted(m.prof().tac) + "," + quoted(m.prof().cell_id) + "," + std::to_string(m.prof().act);
}

}  // namespace

bool psm_granted(const modem& m) {
  const auto& psm = m.set.psm;
  return m.registered() && psm.mode == 1 && !psm.periodic_tau.empty() && !psm.active_time.empty();
}

std::string creg_fields(const modem& m, int n) {
  std::string out = std::to_string(static_cast<int>(m.stat));
  if (n < 2) return out;
  auto location = quoted_location(m);
  out += location;
  // n 3: the reject fields only when a reject was recorded, after ",,," without a location.
  if (n == 3 && m.reject_cause) out += (location.empty() ? ",,," : "") + (",0," + std::to_string(*m.reject_cause));
  return out;
}

std::string cgreg_fields(const modem& m, int n) {
  std::string out = std::to_string(static_cast<int>(m.stat));
  if (n >= 2) out += quoted_location(m);
  return out;
}

std::string cereg_fields(const modem& m, int n) {
  const auto& p = m.prof();
  std::string out = std::to_string(static_cast<int>(m.stat));
  if (n < 2) return out;
  const bool reject_shown = (n == 3 || n == 5) && m.reject_cause;
  const bool psm_shown = (n == 4 || n == 5) && psm_granted(m);
  const std::string reject = reject_shown ? "0," + std::to_string(*m.reject_cause) : ",";
  if (reference_build(m)) {
    // Reference build: the location is always written, unquoted, zero-filled when unknown;
    // the reject fields always for n 3-5 (empty for n 4); PSM fields always for n 4-5.
    out += "," + (m.registered() ? p.tac : "0000") + "," + (m.registered() ? p.cell_id : "00000000") + "," +
           std::to_string(p.act);
    if (n >= 3) out += "," + (n == 4 ? std::string(",") : reject);
    if (n >= 4) out += psm_shown ? "," + m.set.psm.active_time + "," + m.set.psm.periodic_tau : ",,";
    return out;
  }
  // Plain build: each group only when it has a value, with empty fields in front of it.
  auto location = quoted_location(m);
  out += location;
  if (reject_shown || psm_shown) {
    if (location.empty()) out += ",,,";
    out += "," + reject;
    if (psm_shown) out += "," + quoted(m.set.psm.active_time) + "," + quoted(m.set.psm.periodic_tau);
  }
  return out;
}

void report_registration(modem& m, registration_change what) {
  const int cereg_n = m.set.cereg_n;
  if (cereg_n >= 1 && (what == registration_change::stat || cereg_n >= 4))
    m.emit_urc("+CEREG: " + cereg_fields(m, cereg_n));
  if (what != registration_change::stat) return;
  if (m.set.creg_n >= 1) m.emit_urc("+CREG: " + creg_fields(m, m.set.creg_n));
  if (m.set.cgreg_n >= 1 && !m.prof().quirk.cgreg_not_supported)
    m.emit_urc("+CGREG: " + cgreg_fields(m, m.set.cgreg_n));
}

std::string_view emm_cause_name(int cause) {
  switch (cause) {
    case 2:
      return "EMM_CAUSE_IMSI_UNKNOWN_IN_HSS";
    case 3:
      return "EMM_CAUSE_ILLEGAL_UE";
    case 7:
      return "EMM_CAUSE_EPS_SERVICES_NOT_ALLOWED";
    case 11:
      return "EMM_CAUSE_PLMN_NOT_ALLOWED";
    case 12:
      return "EMM_CAUSE_TRACKING_AREA_NOT_ALLOWED";
    case 13:
      return "EMM_CAUSE_ROAMING_NOT_ALLOWED_IN_THIS_TRACKING_AREA";
    case 15:
      return "EMM_CAUSE_NO_SUITABLE_CELLS_IN_TRACKING_AREA";
    case 17:
      return "EMM_CAUSE_NETWORK_FAILURE";
    case 22:
      return "EMM_CAUSE_CONGESTION";
    default:
      return "INVALID_EMM_CAUSE";
  }
}

bool test_sim(const profile& p) { return p.imsi.rfind("00101", 0) == 0; }

}  // namespace nt35e::modem
