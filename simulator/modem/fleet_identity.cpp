#include "modem/fleet_identity.hpp"

#include <cstdio>

namespace nt35e::modem {

std::string with_luhn_digit(const std::string& fourteen_digits) {
  for (char d = '0'; d <= '9'; ++d) {
    auto candidate = fourteen_digits + d;
    if (luhn_valid(candidate)) return candidate;
  }
  return fourteen_digits + "0";  // unreachable: one digit always completes a Luhn sum
}

bool apply_fleet_identity(profile& p, std::uint64_t index) {
  if (index > max_fleet_index) return false;
  char serial[16];
  std::snprintf(serial, sizeof serial, "%06llu", static_cast<unsigned long long>(index));
  // IMEI = TAC (8 digits, the model's) + serial (6) + check digit.
  p.imei = with_luhn_digit(p.imei.substr(0, 8) + serial);
  char imsi[32];
  std::snprintf(imsi, sizeof imsi, "%s%010llu", p.imsi.substr(0, 5).c_str(), static_cast<unsigned long long>(index));
  p.imsi = imsi;
  char iccid[32];
  std::snprintf(iccid, sizeof iccid, "%s%012llu", p.iccid.substr(0, 8).c_str(), static_cast<unsigned long long>(index));
  p.iccid = iccid;
  return true;
}

}  // namespace nt35e::modem
