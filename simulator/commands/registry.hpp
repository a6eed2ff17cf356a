#pragma once
// The one command table: every AT command is registered in command_table.cpp
// with a small handler per form; a missing form answers per the family's rule.
// A write form that takes parameters declares them there (write_form.hpp); the
// table checks them and its handler receives the checked values.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "at/command_line.hpp"
#include "at/result.hpp"
#include "commands/write_form.hpp"

namespace nt35e::modem {
class modem;
}

namespace nt35e::commands {

using handler = at::response (*)(modem::modem&, const at::command&);

/// Which default delay and missing-form rule a command follows (§2.6 rule 8, §4).
enum class family {
  basic,   ///< parameter command: missing form → CME 4; final result after timing.basic_result
  action,  ///< action command (§4 lists them): read form or parameters → ERROR, other missing form → CME 4
  ecmt,    ///< missing form → CME 3; delay per handler
};

struct command_spec {
  std::string_view name;  ///< upper case, with its prefix: "E", "&F", "+CSQ"
  handler test = nullptr;
  handler read = nullptr;
  handler write = nullptr;  ///< declared<form> when the table checks the parameters
  handler execute = nullptr;
  family kind = family::basic;
  bool raw_tail = false;  ///< write arguments run to the end of the line (ECMTPUB payload)
  std::string_view summary;
  /// When set and false for the profile, the command does not exist (a quirk removes it).
  bool (*exists)(const modem::profile&) = nullptr;
};

/// The table, sorted by name.
std::span<const command_spec> command_table();
/// Looks a command up by its upper-case name; S-registers ("S7") map to "S".
const command_spec* find_command(std::string_view upper_name);
/// The guard timer of a command in ms (§2.9), from the profile's timings: a command whose
/// final result is not due by then answers ERROR. Keyed by name, so a row added for any
/// command gets its guard (timing.guard unless listed).
int guard_ms(std::string_view upper_name, const modem::timings& t);
/// The command `upper_name` under profile `p`: nullptr when unknown or removed by a quirk.
const command_spec* find_command(std::string_view upper_name, const modem::profile& p);

// Per-command counts (modem::counters::by_command) have one slot per row of the table,
// then one for a bare "AT" line and one for every name the table lacks: a fixed, small
// set, so that a metric labelled by command cannot grow with what a DTE sends.
/// How many slots: the table's rows plus two.
std::size_t command_slots();
/// The slot of a command found in the table; nullptr (unknown or removed): the "other" slot.
std::size_t command_slot(const command_spec* spec);
/// The slot of a line that is only "AT".
std::size_t bare_at_slot();
/// What a slot counts, as a person writes it: "AT+CSQ", "ATE", "AT" (a bare line), "other".
std::string command_slot_name(std::size_t slot);
/// Why an unknown command is absent, for the explain record, when the spec names it
/// (§4.4.11, quirk.cgreg_not_supported); empty otherwise.
std::string absent_command(std::string_view upper_name, const modem::profile& p);

// Family handlers (one file per family), referenced only by the table.
namespace basic {
at::response at(modem::modem&, const at::command&);
at::response echo_write(modem::modem&, const at::command&);
at::response verbose_write(modem::modem&, const at::command&);
at::response quiet_write(modem::modem&, const at::command&);
at::response info(modem::modem&, const at::command&);
at::response factory(modem::modem&, const at::command&);
at::response reset_z(modem::modem&, const at::command&);
at::response sreg_read(modem::modem&, const at::command&);
at::response sreg_write(modem::modem&, const at::command&);
at::response cmee_write(modem::modem&, const args&);
at::response cmee_exec(modem::modem&, const at::command&);
at::response cmee_read(modem::modem&, const at::command&);
at::response cmee_test(modem::modem&, const at::command&);
at::response ok_only(modem::modem&, const at::command&);
at::response ecrst_exec(modem::modem&, const at::command&);
at::response ecrst_write(modem::modem&, const args&);
}  // namespace basic

namespace identity {
at::response cgmi(modem::modem&, const at::command&);
at::response cgmm(modem::modem&, const at::command&);
at::response cgmr(modem::modem&, const at::command&);
at::response cgsn_exec(modem::modem&, const at::command&);
at::response cgsn_write(modem::modem&, const args&);
at::response cgsn_test(modem::modem&, const at::command&);
at::response cimi(modem::modem&, const at::command&);
at::response eciccid(modem::modem&, const at::command&);
at::response cpin_read(modem::modem&, const at::command&);
at::response cclk_read(modem::modem&, const at::command&);
at::response cclk_write(modem::modem&, const args&);
}  // namespace identity

namespace network {
at::response csq_exec(modem::modem&, const at::command&);
at::response csq_test(modem::modem&, const at::command&);
at::response cesq_exec(modem::modem&, const at::command&);
at::response cesq_test(modem::modem&, const at::command&);
at::response cgatt_write(modem::modem&, const args&);
at::response cgatt_read(modem::modem&, const at::command&);
at::response cgatt_test(modem::modem&, const at::command&);
at::response cfun_write(modem::modem&, const args&);
at::response cfun_read(modem::modem&, const at::command&);
at::response cfun_test(modem::modem&, const at::command&);
at::response cgpaddr_exec(modem::modem&, const at::command&);
at::response cgpaddr_write(modem::modem&, const args&);
at::response cgpaddr_test(modem::modem&, const at::command&);
at::response cgdcont_write(modem::modem&, const args&);
at::response cgdcont_read(modem::modem&, const at::command&);
at::response cgdcont_test(modem::modem&, const at::command&);
}  // namespace network

namespace registration {
/// The write form of a parameterless action command: "AT+CEER=" is CME 4, parameters ERROR (§4.4.0).
at::response no_parameters(modem::modem&, const at::command&);
at::response creg_test(modem::modem&, const at::command&);
at::response creg_read(modem::modem&, const at::command&);
at::response creg_write(modem::modem&, const args&);
bool cgreg_exists(const modem::profile&);
at::response cgreg_test(modem::modem&, const at::command&);
at::response cgreg_read(modem::modem&, const at::command&);
at::response cgreg_write(modem::modem&, const args&);
at::response cereg_test(modem::modem&, const at::command&);
at::response cereg_read(modem::modem&, const at::command&);
at::response cereg_write(modem::modem&, const args&);
at::response cops_test(modem::modem&, const at::command&);
at::response cops_read(modem::modem&, const at::command&);
at::response cops_write(modem::modem&, const args&);
at::response cgact_test(modem::modem&, const at::command&);
at::response cgact_read(modem::modem&, const at::command&);
at::response cgact_write(modem::modem&, const args&);
at::response ceer_exec(modem::modem&, const at::command&);
at::response cnum_exec(modem::modem&, const at::command&);
at::response cmgf_test(modem::modem&, const at::command&);
at::response cmgf_read(modem::modem&, const at::command&);
at::response cmgf_exec(modem::modem&, const at::command&);
at::response cmgf_write(modem::modem&, const args&);
at::response cpsms_test(modem::modem&, const at::command&);
at::response cpsms_read(modem::modem&, const at::command&);
at::response cpsms_write(modem::modem&, const args&);
at::response cedrxs_test(modem::modem&, const at::command&);
at::response cedrxs_read(modem::modem&, const at::command&);
at::response cedrxs_write(modem::modem&, const args&);
}  // namespace registration

namespace ping {
at::response ecping_write(modem::modem&, const args&);
at::response ecping_test(modem::modem&, const at::command&);
at::response ecping_unsupported(modem::modem&, const at::command&);
}  // namespace ping

namespace ecmt {
/// <tcpconnectID>: 0 to the profile's max_ecmt_id.
inline constexpr param_spec id_param = number("tcpconnectID")
                                           .range(0, &modem::profile::max_ecmt_id)
                                           .saying("{param} ({name}) is {value}, this profile accepts ids {allowed}");

at::response cfg_test(modem::modem&, const at::command&);
at::response cfg_write(modem::modem&, const at::command&);
at::response open_test(modem::modem&, const at::command&);
at::response open_read(modem::modem&, const at::command&);
at::response open_write(modem::modem&, const args&);
at::response close_test(modem::modem&, const at::command&);
at::response close_write(modem::modem&, const args&);
at::response conn_test(modem::modem&, const at::command&);
at::response conn_read(modem::modem&, const at::command&);
at::response conn_write(modem::modem&, const args&);
at::response disc_test(modem::modem&, const at::command&);
at::response disc_write(modem::modem&, const args&);
at::response sub_test(modem::modem&, const at::command&);
at::response sub_write(modem::modem&, const args&);
at::response uns_test(modem::modem&, const at::command&);
at::response uns_write(modem::modem&, const args&);
at::response pub_test(modem::modem&, const at::command&);
at::response pub_write(modem::modem&, const args&);
}  // namespace ecmt

}  // namespace nt35e::commands
