#pragma once
// The URC table (spec §6.1): every unsolicited line the module writes, with its fields,
// the state machine it reports on and the spec section that defines it; plus the URCs
// other modules write that customer logs bring in (marked not emitted), so the importer
// and the report recognise them. Add a URC here and every reader of traffic knows it.

#include <span>
#include <string_view>

namespace nt35e::at {

/// Which state machine a URC reports on.
enum class urc_machine {
  power,         ///< boot and reboot (ECRDY)
  ecmt_link,     ///< one MQTT connection id: open/close, connect/disconnect, link loss (§5.10)
  ecmt_request,  ///< one SUBSCRIBE/UNSUBSCRIBE/PUBLISH of an id, by msgID (§5.6–5.8)
  ecmt_inbound,  ///< a message from the broker (§7.5)
  registration,  ///< network registration (§4.4)
  ping,          ///< AT+ECPING (§4.3)
  other_module,  ///< not the NT35E's: seen in field logs of other modules
};
std::string_view to_string(urc_machine m);

/// One row of the table.
struct urc_spec {
  std::string_view name;          ///< as written, upper case: "+ECMTCONN", "ECRDY"
  std::string_view fields;        ///< the fields in compact style: "<id>,<result>,<ret_code>"
  urc_machine machine;            ///< what it reports on
  std::string_view command;       ///< the command that asks for it ("+ECMTCONN"), empty when none
  std::string_view spec_section;  ///< where the spec defines it
  bool emitted = true;            ///< the simulated module writes it
};

/// Every row, sorted by name.
std::span<const urc_spec> urc_table();
/// The row of a URC name ("+ECMTCONN", any case), or nullptr.
const urc_spec* find_urc(std::string_view name);
/// Whether `name` is a URC the NT35E writes.
bool is_module_urc(std::string_view name);

}  // namespace nt35e::at
