// THE table: every AT command the module knows is listed here, once.
// Adding a command: one row here, its handlers in the family file.

#include <algorithm>
#include <array>

#include "commands/registry.hpp"

namespace nt35e::commands {
namespace {

using family::basic;
using family::ecmt;
namespace b = commands::basic;
namespace id = commands::identity;
namespace nw = commands::network;
namespace mt = commands::ecmt;

// Sorted by name (checked by a unit test) so lookup is a binary search.
// {name, test, read, write, execute, family, raw_tail, summary}
constexpr auto table = std::to_array<command_spec>({
    {"&F", nullptr, nullptr, b::factory, b::factory, basic, false, "restore factory settings"},
    {"+CCLK", b::ok_only, id::cclk_read, id::cclk_write, nullptr, basic, false, "real-time clock"},
    {"+CEREG", nw::cereg_test, nw::cereg_read, nw::cereg_write, nullptr, basic, false, "EPS registration status"},
    {"+CESQ", nw::cesq_test, nullptr, nullptr, nw::cesq_exec, basic, false, "extended signal quality"},
    {"+CFUN", nw::cfun_test, nw::cfun_read, nw::cfun_write, nullptr, basic, false, "functionality level"},
    {"+CGATT", nw::cgatt_test, nw::cgatt_read, nw::cgatt_write, nullptr, basic, false, "PS attach"},
    {"+CGDCONT", nw::cgdcont_test, nw::cgdcont_read, nw::cgdcont_write, nullptr, basic, false,
     "PDP context definition"},
    {"+CGMI", b::ok_only, nullptr, nullptr, id::cgmi, basic, false, "manufacturer"},
    {"+CGMM", b::ok_only, nullptr, nullptr, id::cgmm, basic, false, "model"},
    {"+CGMR", b::ok_only, nullptr, nullptr, id::cgmr, basic, false, "revision"},
    {"+CGPADDR", nw::cgpaddr_test, nullptr, nw::cgpaddr_write, nw::cgpaddr_exec, basic, false, "PDP address"},
    {"+CGSN", id::cgsn_test, nullptr, id::cgsn_write, id::cgsn_exec, basic, false, "IMEI / serial number"},
    {"+CIMI", b::ok_only, nullptr, nullptr, id::cimi, basic, false, "IMSI"},
    {"+CLAC", b::ok_only, nullptr, nullptr, b::clac, basic, false, "list available commands"},
    {"+CMEE", b::cmee_test, b::cmee_read, b::cmee_write, nullptr, basic, false, "error reporting mode"},
    {"+CPIN", nullptr, id::cpin_read, nullptr, nullptr, basic, false, "SIM PIN state"},
    {"+CSQ", nw::csq_test, nullptr, nullptr, nw::csq_exec, basic, false, "signal quality"},
    {"+ECICCID", b::ok_only, nullptr, nullptr, id::eciccid, basic, false, "SIM ICCID"},
    {"+ECMTCFG", mt::cfg_test, nullptr, mt::cfg_write, nullptr, ecmt, false, "configure an MQTT context"},
    {"+ECMTCLOSE", mt::close_test, nullptr, mt::close_write, nullptr, ecmt, false, "close the MQTT network link"},
    {"+ECMTCONN", mt::conn_test, mt::conn_read, mt::conn_write, nullptr, ecmt, false, "MQTT CONNECT"},
    {"+ECMTDISC", mt::disc_test, nullptr, mt::disc_write, nullptr, ecmt, false, "MQTT DISCONNECT"},
    {"+ECMTOPEN", mt::open_test, mt::open_read, mt::open_write, nullptr, ecmt, false, "open the MQTT network link"},
    {"+ECMTPUB", mt::pub_test, nullptr, mt::pub_write, nullptr, ecmt, true, "MQTT PUBLISH"},
    {"+ECMTSUB", mt::sub_test, nullptr, mt::sub_write, nullptr, ecmt, false, "MQTT SUBSCRIBE"},
    {"+ECMTUNS", mt::uns_test, nullptr, mt::uns_write, nullptr, ecmt, false, "MQTT UNSUBSCRIBE"},
    {"+ECRST", b::ok_only, nullptr, b::ecrst_write, b::ecrst_exec, basic, false, "reboot the module"},
    {"+GSN", b::ok_only, nullptr, nullptr, id::cgsn_exec, basic, false, "IMEI"},
    {"E", nullptr, b::echo_read, b::echo_write, b::echo_exec, basic, false, "echo"},
    {"I", nullptr, nullptr, b::info, b::info, basic, false, "identification"},
    {"Q", nullptr, nullptr, b::quiet_write, b::quiet_exec, basic, false, "quiet result codes"},
    {"S", b::ok_only, b::sreg_read, b::sreg_write, nullptr, basic, false, "S-registers S3, S4, S5"},
    {"V", nullptr, nullptr, b::verbose_write, b::verbose_exec, basic, false, "verbose result codes"},
    {"Z", nullptr, nullptr, b::reset_z, b::reset_z, basic, false, "reset to the default profile"},
});

constexpr bool sorted() {
  for (std::size_t i = 1; i < table.size(); ++i)
    if (!(table[i - 1].name < table[i].name)) return false;
  return true;
}
static_assert(sorted(), "keep the command table sorted by name");

}  // namespace

std::span<const command_spec> command_table() { return table; }

const command_spec* find_command(std::string_view upper_name) {
  if (upper_name.size() > 1 && upper_name[0] == 'S' &&
      upper_name.find_first_not_of("0123456789", 1) == std::string_view::npos)
    upper_name = "S";
  auto it = std::lower_bound(table.begin(), table.end(), upper_name,
                             [](const command_spec& s, std::string_view n) { return s.name < n; });
  if (it == table.end() || it->name != upper_name) return nullptr;
  return &*it;
}

std::variant<at::arguments, at::response> parse_args(const at::command& cmd, std::initializer_list<at::type> types,
                                                     std::size_t required, std::optional<std::size_t> raw_after) {
  auto parsed = at::arguments::parse(cmd.args, cmd.args_offset, raw_after);
  if (auto* f = std::get_if<at::failure>(&parsed)) return at::response::fail(*f);
  auto& args = std::get<at::arguments>(parsed);
  if (auto f = args.expect(types, required)) return at::response::fail(*f);
  return std::move(args);
}

}  // namespace nt35e::commands
