// THE table: every AT command the module knows is listed here, once.
// Adding a command: one row here, its handlers in the family file; a write form
// with parameters declares them here too and its handler gets checked values.

#include <algorithm>
#include <array>
#include <string>

#include "commands/registry.hpp"

namespace nt35e::commands {
namespace {

using family::action;
using family::basic;
using family::ecmt;
namespace b = commands::basic;
namespace id = commands::identity;
namespace nw = commands::network;
namespace mt = commands::ecmt;
namespace rg = commands::registration;
namespace pg = commands::ping;
using modem::profile;

// ---- Write-form parameters -----------------------------------------------------
// One list per declared write form, in parameter order; its handler reads them by
// position. The table checks count and syntax (ERROR), then each given parameter's
// value in order (+CME ERROR per the form's value_error or the parameter's own);
// checks that need other parameters or state stay in the handler.

constexpr param_spec cmee_params[] = {number("n").range(0, 2)};
// AT+CMEE's own range error is CME 4, not 50 (§2.7 exception, [FW H]).
constexpr write_form cmee{cmee_params, b::cmee_write, value_error{4}};

constexpr std::string_view delay_word[] = {"delay"};
constexpr param_spec ecrst_params[] = {text("mode").one_of(delay_word).saying("only \"delay\" is known"),
                                       number("delay ms").range(0, 3'600'000)};
constexpr write_form ecrst{ecrst_params, b::ecrst_write, basic_value_error};

constexpr param_spec cgsn_params[] = {number("snt").range(0, 3)};
constexpr write_form cgsn{cgsn_params, id::cgsn_write, basic_value_error};

constexpr param_spec cclk_params[] = {text("time")};  // its format is the handler's
// A malformed or refused AT+CCLK write is CME 3 (§2.7 exception).
constexpr write_form cclk{cclk_params, id::cclk_write, value_error{3}};

constexpr param_spec creg_params[] = {number("n").range(0, 3)};
constexpr write_form creg{creg_params, rg::creg_write, basic_value_error};

constexpr param_spec cgreg_params[] = {number("n").range(0, 2)};
constexpr write_form cgreg{cgreg_params, rg::cgreg_write, basic_value_error};

constexpr param_spec cereg_params[] = {number("n").range(0, 5)};
constexpr write_form cereg{cereg_params, rg::cereg_write, basic_value_error};

// Which parameters AT+COPS takes depends on the mode: the handler checks the rest.
constexpr param_spec cops_params[] = {
    number("mode").range(0, 4), number("format").optional().range(0, 2).checked_by_handler(),
    text("oper").optional().max_length(15).checked_by_handler(), number("AcT").optional()};
constexpr write_form cops{cops_params, rg::cops_write, basic_value_error};

constexpr param_spec cgact_params[] = {number("state").range(0, 1), number("cid").optional().range(0, 10)};
constexpr write_form cgact{cgact_params, rg::cgact_write, basic_value_error};

// Its range error is CMS 303 (an SMS command): the handler turns the check into that.
constexpr param_spec cmgf_params[] = {number("mode").range(0, 1).checked_by_handler()};
constexpr write_form cmgf{cmgf_params, rg::cmgf_write, basic_value_error};

constexpr param_spec cpsms_params[] = {
    number("mode").range(0, 2), text("Requested_Periodic-RAU").optional().allow_empty(),
    text("Requested_GPRS-READY-timer").optional().allow_empty(), text("Requested_Periodic-TAU").optional(),
    text("Requested_Active-Time").optional()};
constexpr write_form cpsms{cpsms_params, rg::cpsms_write, basic_value_error};

constexpr param_spec cedrxs_params[] = {number("mode").range(0, 3), number("AcT-type").optional().range(0, 5),
                                        text("Requested_eDRX_value").optional()};
constexpr write_form cedrxs{cedrxs_params, rg::cedrxs_write, basic_value_error};

constexpr param_spec cgatt_params[] = {number("state").range(0, 1)};
constexpr write_form cgatt{cgatt_params, nw::cgatt_write, basic_value_error};

constexpr std::int64_t fun_levels[] = {0, 1, 4};
constexpr param_spec cfun_params[] = {
    number("fun").one_of(fun_levels).saying("{param} ({name}) must be 0, 1 or 4, got {value}"),
    number("rst").optional().range(0, 1)};  // 1 with fun 1: reboot (chosen, §4)
constexpr write_form cfun{cfun_params, nw::cfun_write, basic_value_error};

constexpr param_spec cgpaddr_params[] = {number("cid")};  // defined cids are state: the handler's
constexpr write_form cgpaddr{cgpaddr_params, nw::cgpaddr_write, basic_value_error};

constexpr std::string_view pdp_types[] = {"IP", "IPV6", "IPV4V6", "Non-IP"};
constexpr param_spec cgdcont_params[] = {
    // A cid outside 0-10 is CME 4, not 50 (§2.7 exception).
    number("cid").range(0, 10).failing_with(value_error{4}),
    text("PDP_type")
        .optional()
        .one_of(pdp_types)
        .saying("PDP type must be IP, IPV6, IPV4V6 or Non-IP, got \"{value}\""),
    // Read only with a PDP type: without one the context is deleted and the APN ignored.
    text("APN")
        .optional()
        .max_length(99)
        .allow_empty()
        .saying("the APN has more than 99 characters")
        .checked_by_handler()};
constexpr write_form cgdcont{cgdcont_params, nw::cgdcont_write, basic_value_error};

constexpr param_spec open_params[] = {mt::id_param, text("host_name").max_length(&profile::max_host),
                                      number("port").range(1, 65535)};
constexpr write_form ecmt_open{open_params, mt::open_write};

constexpr param_spec id_only_params[] = {mt::id_param};
constexpr write_form ecmt_close{id_only_params, mt::close_write};
constexpr write_form ecmt_disc{id_only_params, mt::disc_write};

constexpr param_spec conn_params[] = {mt::id_param, text("clientID").optional().max_length(&profile::max_client_id),
                                      text("username").optional().max_length(&profile::max_user),
                                      text("password").optional().max_length(&profile::max_password)};
constexpr write_form ecmt_conn{conn_params, mt::conn_write};

constexpr param_spec sub_params[] = {mt::id_param, number("msgID").range(1, 65535),
                                     text("topic").max_length(&profile::max_topic), number("qos").range(0, 2)};
constexpr write_form ecmt_sub{sub_params, mt::sub_write};

constexpr param_spec uns_params[] = {mt::id_param, number("msgID").range(1, 65535),
                                     text("topic").max_length(&profile::max_topic)};
constexpr write_form ecmt_uns{uns_params, mt::uns_write};

// The host is a string, or a lone 0 (the stop form): the handler tells them apart. Every
// bad value is +SOCKET ERROR: PARAMETER ERROR (§4.3); the test text says 1000 but the
// set form takes a timeout from 1 ms.
constexpr param_spec ecping_params[] = {
    any("host").max_length(255).checked_by_handler(), number("count").optional().range(1, 255),
    number("size").optional().range(1, 1500), number("timeout").optional().range(1, 600'000),
    number("rai").optional().range(0, 1)};
constexpr write_form ecping{ecping_params, pg::ecping_write, socket_value_error};

// The tens digit of <retain> is an RAI hint (§5.8).
constexpr std::int64_t retain_values[] = {0, 1, 10, 11, 20, 21, 30, 31};
constexpr param_spec pub_params[] = {
    mt::id_param,
    number("msgID").range(0, 65535),
    number("qos").range(0, 2),
    number("retain")
        .one_of(retain_values)
        .saying("{param} ({name}) is {value}; allowed: {allowed} (tens digit = RAI hint)"),
    text("topic").max_length(&profile::max_topic),
    tail("payload").optional()};  // absent: data mode; its quoting and length rules are the handler's
constexpr write_form ecmt_pub{pub_params, mt::pub_write};

// ---- The table ------------------------------------------------------------------
// Sorted by name (checked at compile time) so lookup is a binary search. ATE, ATQ and
// ATV take a digit: the bare and read forms are CME 4 (§4; ATV chosen alike). AT+GSN
// does not exist, nor does AT+CLAC (§4.4.11).
// {name, test, read, write, execute, family, raw_tail, summary[, exists]}; raw_tail is
// set exactly when the write form's last parameter is a tail().
constexpr auto table = std::to_array<command_spec>({
    {"&F", nullptr, nullptr, b::factory, b::factory, basic, false, "restore factory settings"},
    {"+CCLK", b::ok_only, id::cclk_read, declared<cclk>, nullptr, basic, false, "real-time clock"},
    {"+CEDRXS", rg::cedrxs_test, rg::cedrxs_read, declared<cedrxs>, nullptr, basic, false, "eDRX settings"},
    {"+CEER", b::ok_only, nullptr, rg::no_parameters, rg::ceer_exec, action, false, "extended error report"},
    {"+CEREG", rg::cereg_test, rg::cereg_read, declared<cereg>, nullptr, basic, false, "EPS registration status"},
    {"+CESQ", nw::cesq_test, nullptr, nullptr, nw::cesq_exec, action, false, "extended signal quality"},
    {"+CFUN", nw::cfun_test, nw::cfun_read, declared<cfun>, nullptr, basic, false, "functionality level"},
    {"+CGACT", rg::cgact_test, rg::cgact_read, declared<cgact>, nullptr, basic, false, "PDP context activation"},
    {"+CGATT", nw::cgatt_test, nw::cgatt_read, declared<cgatt>, nullptr, basic, false, "PS attach"},
    {"+CGDCONT", nw::cgdcont_test, nw::cgdcont_read, declared<cgdcont>, nullptr, basic, false,
     "PDP context definition"},
    {"+CGMI", b::ok_only, nullptr, nullptr, id::cgmi, action, false, "manufacturer"},
    {"+CGMM", b::ok_only, nullptr, nullptr, id::cgmm, action, false, "model"},
    {"+CGMR", b::ok_only, nullptr, nullptr, id::cgmr, action, false, "revision"},
    {"+CGPADDR", nw::cgpaddr_test, nullptr, declared<cgpaddr>, nw::cgpaddr_exec, action, false, "PDP address"},
    {"+CGREG", rg::cgreg_test, rg::cgreg_read, declared<cgreg>, nullptr, basic, false, "GPRS registration status",
     rg::cgreg_exists},
    {"+CGSN", id::cgsn_test, nullptr, declared<cgsn>, id::cgsn_exec, action, false, "IMEI / serial number"},
    {"+CIMI", b::ok_only, nullptr, nullptr, id::cimi, action, false, "IMSI"},
    {"+CMEE", b::cmee_test, b::cmee_read, declared<cmee>, b::cmee_exec, basic, false, "error reporting mode"},
    {"+CMGF", rg::cmgf_test, rg::cmgf_read, declared<cmgf>, rg::cmgf_exec, basic, false, "SMS message format"},
    {"+CNUM", b::ok_only, nullptr, rg::no_parameters, rg::cnum_exec, action, false, "subscriber number"},
    {"+COPS", rg::cops_test, rg::cops_read, declared<cops>, nullptr, basic, false, "operator selection"},
    {"+CPIN", nullptr, id::cpin_read, nullptr, nullptr, basic, false, "SIM PIN state"},
    {"+CPSMS", rg::cpsms_test, rg::cpsms_read, declared<cpsms>, nullptr, basic, false, "PSM settings"},
    {"+CREG", rg::creg_test, rg::creg_read, declared<creg>, nullptr, basic, false, "network registration status"},
    {"+CSQ", nw::csq_test, nullptr, nullptr, nw::csq_exec, action, false, "signal quality"},
    {"+ECICCID", b::ok_only, nullptr, nullptr, id::eciccid, action, false, "SIM ICCID"},
    {"+ECMTCFG", mt::cfg_test, nullptr, mt::cfg_write, nullptr, ecmt, false, "configure an MQTT context"},
    {"+ECMTCLOSE", mt::close_test, nullptr, declared<ecmt_close>, nullptr, ecmt, false, "close the MQTT network link"},
    {"+ECMTCONN", mt::conn_test, mt::conn_read, declared<ecmt_conn>, nullptr, ecmt, false, "MQTT CONNECT"},
    {"+ECMTDISC", mt::disc_test, nullptr, declared<ecmt_disc>, nullptr, ecmt, false, "MQTT DISCONNECT"},
    {"+ECMTOPEN", mt::open_test, mt::open_read, declared<ecmt_open>, nullptr, ecmt, false,
     "open the MQTT network link"},
    {"+ECMTPUB", mt::pub_test, nullptr, declared<ecmt_pub>, nullptr, ecmt, true, "MQTT PUBLISH"},
    {"+ECMTSUB", mt::sub_test, nullptr, declared<ecmt_sub>, nullptr, ecmt, false, "MQTT SUBSCRIBE"},
    {"+ECMTUNS", mt::uns_test, nullptr, declared<ecmt_uns>, nullptr, ecmt, false, "MQTT UNSUBSCRIBE"},
    {"+ECPING", pg::ecping_test, pg::ecping_unsupported, declared<ecping>, pg::ecping_unsupported, basic, false,
     "ping a host"},
    {"+ECRST", b::ok_only, nullptr, declared<ecrst>, b::ecrst_exec, basic, false, "reboot the module"},
    {"E", nullptr, nullptr, b::echo_write, nullptr, basic, false, "echo"},
    {"I", nullptr, nullptr, b::info, b::info, basic, false, "identification"},
    {"Q", nullptr, nullptr, b::quiet_write, nullptr, basic, false, "quiet result codes"},
    {"S", b::ok_only, b::sreg_read, b::sreg_write, nullptr, basic, false, "S-registers S3, S4, S5"},
    {"V", nullptr, nullptr, b::verbose_write, nullptr, basic, false, "verbose result codes"},
    {"Z", nullptr, nullptr, b::reset_z, b::reset_z, basic, false, "reset to the default profile"},
});

constexpr bool sorted() {
  for (std::size_t i = 1; i < table.size(); ++i)
    if (!(table[i - 1].name < table[i].name)) return false;
  return true;
}
static_assert(sorted(), "keep the command table sorted by name");

// Guard timers of §2.9 by command name, sorted; every other command has timing.guard.
struct guard_row {
  std::string_view name;
  int modem::timings::*ms;
};
constexpr auto guards = std::to_array<guard_row>({
    {"+CFUN", &modem::timings::guard_cfun},
    {"+CGACT", &modem::timings::guard_cgact},
    {"+CGATT", &modem::timings::guard_cgatt},
    {"+COPS", &modem::timings::guard_cops},
    {"+CPIN", &modem::timings::guard_cpin},
    {"+ECMTPUB", &modem::timings::guard_publish},
});

constexpr bool guards_sorted() {
  for (std::size_t i = 1; i < guards.size(); ++i)
    if (!(guards[i - 1].name < guards[i].name)) return false;
  return true;
}
static_assert(guards_sorted(), "keep the guard rows sorted by name");

}  // namespace

std::span<const command_spec> command_table() { return table; }

std::size_t command_slots() { return table.size() + 2; }
std::size_t bare_at_slot() { return table.size(); }
std::size_t command_slot(const command_spec* spec) {
  return spec ? static_cast<std::size_t>(spec - table.data()) : table.size() + 1;
}
std::string command_slot_name(std::size_t slot) {
  if (slot < table.size()) return "AT" + std::string(table[slot].name);
  return slot == bare_at_slot() ? "AT" : "other";
}

int guard_ms(std::string_view upper_name, const modem::timings& t) {
  auto it = std::lower_bound(guards.begin(), guards.end(), upper_name,
                             [](const guard_row& g, std::string_view n) { return g.name < n; });
  if (it == guards.end() || it->name != upper_name) return t.guard;
  return t.*(it->ms);
}

const command_spec* find_command(std::string_view upper_name) {
  if (upper_name.size() > 1 && upper_name[0] == 'S' &&
      upper_name.find_first_not_of("0123456789", 1) == std::string_view::npos)
    upper_name = "S";
  auto it = std::lower_bound(table.begin(), table.end(), upper_name,
                             [](const command_spec& s, std::string_view n) { return s.name < n; });
  if (it == table.end() || it->name != upper_name) return nullptr;
  return &*it;
}

const command_spec* find_command(std::string_view upper_name, const modem::profile& p) {
  const auto* spec = find_command(upper_name);
  return spec && spec->exists && !spec->exists(p) ? nullptr : spec;
}

}  // namespace nt35e::commands
