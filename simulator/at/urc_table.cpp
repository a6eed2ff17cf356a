#include "at/urc_table.hpp"

#include <algorithm>
#include <array>

#include "at/text.hpp"

namespace nt35e::at {
namespace {

using enum urc_machine;

// Sorted by name (checked below) so find_urc can search it.
constexpr std::array<urc_spec, 18> table{{
    {"+CEDRXP", "<AcT-type>[,\"<requested>\"[,\"<network>\",\"<PTW>\"]]", registration, "+CEDRXS",
     "§4.4.10 (never produced: the simulated network grants no eDRX)", false},
    {"+CEREG", "<stat>[,<tac>,<ci>,<AcT>[,<cause_type>,<reject_cause>[,<active_time>,<periodic_tau>]]]", registration,
     "+CEREG", "§4.4.3, §6.1"},
    {"+CGEV", "<event>[,<cid>]", other_module, "", "§6.1 (never produced)", false},
    {"+CGREG", "<stat>[,\"<lac>\",\"<ci>\",<AcT>]", registration, "+CGREG", "§4.4.2, §6.1"},
    {"+CPIN", "<code>", other_module, "", "§6.1 (never produced at boot)", false},
    {"+CREG", "<stat>[,\"<lac>\",\"<ci>\",<AcT>[,<cause_type>,<reject_cause>]]", registration, "+CREG", "§4.4.1, §6.1"},
    {"+ECMTCLOSE", "<id>,<result>", ecmt_link, "+ECMTCLOSE", "§5.3, §6.1"},
    {"+ECMTCONN", "<id>,<result>,<ret_code>", ecmt_link, "+ECMTCONN", "§5.4, §6.1, §7.3"},
    {"+ECMTDISC", "<id>,<result>", ecmt_link, "+ECMTDISC", "§5.5, §6.1"},
    {"+ECMTOPEN", "<id>,<result>", ecmt_link, "+ECMTOPEN", "§5.2, §6.1"},
    {"+ECMTPUB", "<id>,<msgID>,<result>", ecmt_request, "+ECMTPUB", "§5.8.3, §6.1"},
    {"+ECMTRECV", "<id>,<msgID>,\"<topic>\",<payload>", ecmt_inbound, "", "§6.1, §7.5"},
    {"+ECMTSTAT", "<id>,<err_code>", ecmt_link, "", "§6.1, §7.4"},
    {"+ECMTSUB", "<id>,<msgID>,<result>,<value>", ecmt_request, "+ECMTSUB", "§5.6, §6.1"},
    {"+ECMTUNS", "<id>,<msgID>,<result>", ecmt_request, "+ECMTUNS", "§5.7, §6.1"},
    {"+ECPING", "SUCC, dest: <ip>, RTT: <ms>, ... | FAIL, ... | ERROR, cause: <n>", ping, "+ECPING", "§4.3, §6.1"},
    {"+QIURC", "\"<event>\",...", other_module, "", "§6.1 (a Quectel URC, not the NT35E's)", false},
    {"ECRDY", "", power, "+ECRST", "§2.3, §4.2, §6.1"},
}};

constexpr bool sorted_by_name() {
  for (std::size_t i = 1; i < table.size(); ++i)
    if (!(table[i - 1].name < table[i].name)) return false;
  return true;
}
static_assert(sorted_by_name(), "the URC table must stay sorted by name");

}  // namespace

std::string_view to_string(urc_machine m) {
  switch (m) {
    case power:
      return "power";
    case ecmt_link:
      return "ecmt_link";
    case ecmt_request:
      return "ecmt_request";
    case ecmt_inbound:
      return "ecmt_inbound";
    case registration:
      return "registration";
    case ping:
      return "ping";
    case other_module:
      return "other_module";
  }
  return "?";
}

std::span<const urc_spec> urc_table() { return table; }

const urc_spec* find_urc(std::string_view name) {
  const auto upper = to_upper(name);
  const auto it = std::lower_bound(table.begin(), table.end(), std::string_view(upper),
                                   [](const urc_spec& row, std::string_view n) { return row.name < n; });
  return it != table.end() && it->name == upper ? &*it : nullptr;
}

bool is_module_urc(std::string_view name) {
  const auto* row = find_urc(name);
  return row != nullptr && row->emitted;
}

}  // namespace nt35e::at
