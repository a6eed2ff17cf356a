#pragma once
// Explain mode: one plain sentence per command and per URC, in English or Chinese,
// saying what it means and what the module is doing, plus hints on the mistakes
// newcomers make. Pure functions over text that look the sentence up in the
// explanation tables (explanations.hpp); the interpreter emits them as log records
// with reason "explain" when the profile asks for it.
//
// The tables write response and URC examples in the compact style; every text comes
// out with its examples in the style given (the active profile's), so an ec616s user
// reads "+ECMTOPEN: <id>,0" as the module will write it (at::styled_examples).

#include <string>
#include <string_view>
#include <vector>

#include "at/render.hpp"
#include "at/result.hpp"
#include "explain/explanations.hpp"

namespace nt35e::explain {

/// What a URC means ("+ECMTCONN:0,0,5" → the broker refused the CONNECT: not authorized…).
/// Empty for text it does not know.
std::string urc(std::string_view text, language lang, at::response_style style);

/// What a command line does (the text after "AT", as typed; its first command counts).
/// Empty for a command it does not know.
std::string command(std::string_view line, language lang, at::response_style style);

/// The table row command() explains a command line by (its first command), and that
/// command's write parameters into `params` when given; nullptr for a command it does not know.
const explanation* command_row(std::string_view line, std::vector<std::string>* params = nullptr);
/// A hint for a failed command, from the failure's reason and the line ("" when none).
std::string hint(const at::failure& f, std::string_view line, language lang, at::response_style style);

}  // namespace nt35e::explain
