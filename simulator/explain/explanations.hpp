#pragma once
// Every explanation the simulator gives, as data: one bilingual table for commands (by
// name and form), URCs (by name, and by a field value where the meaning depends on one),
// final results, CME/CMS error numbers, +SOCKET ERROR texts and the hints for failure
// reasons (spec §2.8). The explainer, the HTML report, the oracle and the web view all
// read these tables, so a text is written once and the spec coverage test sees it.
// Texts may hold placeholders {1}…{9}: the 1-based field of a URC or parameter of a
// command, filled in by fill().

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "at/command_line.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::explain {

/// The language of an explanation.
enum class language {
  en,
  zh
};

/// One text in English and in simplified Chinese, and where the spec says it.
struct explanation {
  std::string_view en;    ///< English, lower case start, no final full stop
  std::string_view zh;    ///< 简体中文, same placeholders as `en`
  std::string_view spec;  ///< the spec section(s): "§5.2", "§2.7, §4.3"

  /// The text in `lang`.
  constexpr std::string_view in(language lang) const { return lang == language::zh ? zh : en; }
};

/// A set of command forms, so one entry can serve several forms of a command.
using form_set = unsigned;
/// The set holding `f` alone.
constexpr form_set form_bit(at::form f) { return 1u << static_cast<unsigned>(f); }
/// Whether `set` holds `f`.
constexpr bool has_form(form_set set, at::form f) { return (set & form_bit(f)) != 0; }

/// What a command does, for the forms in `forms`.
struct command_entry {
  std::string_view name;  ///< upper case as parsed: "+ECMTCONN", "E", "&F", "S"; "" is AT alone, "*" any command
  form_set forms;         ///< the forms this text explains
  explanation text;       ///< {1} is the first parameter of a write
};

/// Which lines of a URC a row fits.
struct urc_match {
  unsigned min_fields = 0;  ///< lines with at least this many fields
  unsigned field = 0;       ///< the 1-based field compared with `value`; 0: every line
  std::string_view value;   ///< "0", "-1" (numbers compare as numbers), "SEND FAIL*" (a prefix), "*" (anything)
};

/// What a URC means; rows of one name are tried in order, the first that fits wins.
struct urc_entry {
  std::string_view name;  ///< as at::response_name gives it: "+ECMTCONN", "ECRDY"
  urc_match when;         ///< the lines it explains
  explanation text;       ///< {n} is field n
};

/// What a final result code means.
struct result_entry {
  at::final_result result;  ///< the result
  explanation text;         ///< what it tells the host
};

/// What a +CME ERROR or +CMS ERROR number means. The text the module writes for it under
/// AT+CMEE=2 is the AT vocabulary's (at::cme_text, at::cms_text), not repeated here.
struct error_entry {
  int code;          ///< the number under AT+CMEE=1
  explanation text;  ///< what it tells the host
};

/// What a +SOCKET ERROR text means (AT+ECPING, spec §4.3).
struct socket_error_entry {
  std::string_view verbose;  ///< the text after "+SOCKET ERROR: "
  explanation text;          ///< what it tells the host
};

/// A hint for a failure reason (spec §2.8); rows of one reason are tried in order.
struct hint_entry {
  std::string_view reason;     ///< "state.not_allowed"
  std::string_view command;    ///< the row fits only this command ("+ECMTCONN"); empty: any
  std::string_view parameter;  ///< the row fits only when the failure's sentence names it; empty: any
  explanation text;            ///< the hint, starting "hint:" / "提示："
};

/// What an oracle rule (issue 15, simulator/oracle/rules.hpp) means: why a driver must not
/// do it on the real module.
struct rule_entry {
  std::string_view id;  ///< "NT35E-ECMT-CONN-BEFORE-OPEN"
  explanation text;     ///< no placeholders
};

/// Every command row, sorted by name.
std::span<const command_entry> command_entries();
/// Every URC row, sorted by name (the rows of one name in the order they are tried).
std::span<const urc_entry> urc_entries();
/// Every final result, in at::final_result order.
std::span<const result_entry> result_entries();
/// The CME error numbers of spec §2.7, ascending.
std::span<const error_entry> cme_entries();
/// The CMS error numbers the module uses, ascending.
std::span<const error_entry> cms_entries();
/// The +SOCKET ERROR texts of AT+ECPING.
std::span<const socket_error_entry> socket_error_entries();
/// Every hint row, sorted by reason (the rows of one reason in the order they are tried).
std::span<const hint_entry> hint_entries();

/// Every oracle rule's text, sorted by id.
std::span<const rule_entry> rule_entries();
/// The text of oracle rule `id`; nullptr when the table lacks it.
const explanation* find_rule(std::string_view id);

/// What command `name` ("+ECMTOPEN", "e", "S3"; "" for AT alone) does in form `f`; the
/// generic text for a test form the table does not name; nullptr when unknown.
const explanation* find_command(std::string_view name, at::form f);
/// Every row of one command (any case; "S3" finds "S").
std::span<const command_entry> find_command_entries(std::string_view name);
/// What the URC `name` with these fields means; nullptr when unknown.
const explanation* find_urc(std::string_view name, const std::vector<std::string>& fields);
/// Every row of one URC name (any case).
std::span<const urc_entry> find_urc_entries(std::string_view name);
/// What a final result means (always found).
const explanation* find_result(at::final_result r);
/// The row of a CME error number; nullptr when the spec does not list it.
const error_entry* find_cme(int code);
/// The row of a CMS error number; nullptr when unknown.
const error_entry* find_cms(int code);
/// What a +SOCKET ERROR text means (any case); nullptr when unknown.
const explanation* find_socket_error(std::string_view verbose);
/// The hint for a failure of `command` (upper case, "" when unknown) with this reason and
/// sentence; nullptr when there is none.
const explanation* find_hint(std::string_view reason, std::string_view command, std::string_view sentence);

/// `text` with every {n} replaced by fields[n-1] (empty when there is no such field).
std::string fill(std::string_view text, const std::vector<std::string>& fields);

}  // namespace nt35e::explain
