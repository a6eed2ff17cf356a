#include "explain/explainer.hpp"

#include <variant>

#include "at/command_line.hpp"
#include "at/vocabulary.hpp"

namespace nt35e::explain {

std::string urc(std::string_view text, language lang, at::response_style style) {
  const auto fields = at::response_fields(text);
  const auto* e = find_urc(at::response_name(text), fields);
  // Styled before filling: a field (a topic, a payload) is the module's data, kept as it is.
  return e ? fill(at::styled_examples(e->in(lang), style), fields) : std::string{};
}

const explanation* command_row(std::string_view line, std::vector<std::string>* params) {
  // Write arguments run to the end of the line, as AT+ECMTPUB's payload does: only the
  // first command is explained and its first parameter must not stop at a ';'.
  const auto parsed = at::parse_command_line("AT" + std::string(line), 2, [](std::string_view) { return true; });
  const auto* commands = std::get_if<std::vector<at::command>>(&parsed);
  if (!commands) return nullptr;
  at::command first;  // AT alone: the execute form of the nameless command
  if (!commands->empty()) first = commands->front();
  if (params && first.what == at::form::write) *params = at::command_params("=" + first.args);
  return find_command(first.name, first.what);
}

std::string command(std::string_view line, language lang, at::response_style style) {
  std::vector<std::string> params;
  const auto* e = command_row(line, &params);
  return e ? fill(at::styled_examples(e->in(lang), style), params) : std::string{};
}

std::string hint(const at::failure& f, std::string_view line, language lang, at::response_style style) {
  const auto* e = find_hint(f.reason, at::command_name("AT" + std::string(line)), f.sentence);
  return e ? at::styled_examples(e->in(lang), style) : std::string{};
}

}  // namespace nt35e::explain
