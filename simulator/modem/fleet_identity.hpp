#pragma once
// Identities for fleet mode: every modem of a fleet gets its own IMEI, IMSI and
// ICCID derived from its global index (index offset + position), so several
// processes or machines given different offsets never collide.

#include <cstdint>

#include "modem/profile.hpp"

namespace nt35e::modem {

/// The largest global index the derivation supports (6-digit IMEI serial space).
constexpr std::uint64_t max_fleet_index = 999'999;

/// Sets imei (Luhn-valid, the profile's 8-digit TAC kept), imsi and iccid of `p`
/// for the modem with this global index. Returns false if the index is too large.
bool apply_fleet_identity(profile& p, std::uint64_t index);

/// Appends the Luhn check digit to 14 digits.
std::string with_luhn_digit(const std::string& fourteen_digits);

}  // namespace nt35e::modem
