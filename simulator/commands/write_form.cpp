#include "commands/write_form.hpp"

#include "modem/modem.hpp"

namespace nt35e::commands {

args::args(at::arguments values, std::span<const param_spec> params, const modem::profile& prof, value_error error)
    : values_(std::move(values)), params_(params), profile_(&prof), error_(error) {}

std::optional<at::failure> args::check_syntax() const {
  if (auto f = values_.expect_at_most(params_.size())) return f;
  // One pass in parameter order, so the first problem on the line is the one reported.
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!values_.present(i)) {
      if (params_[i].required) return at::arguments::missing(i);
      continue;
    }
    if (params_[i].type == at::type::number)
      if (auto f = values_.expect_number(i)) return f;
  }
  return std::nullopt;
}

std::optional<at::failure> args::check_values() const {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].by_handler) continue;
    if (auto f = check(i)) return f;
  }
  return std::nullopt;
}

std::optional<at::failure> args::check(std::size_t i) const {
  if (i >= params_.size() || !values_.present(i)) return std::nullopt;
  const auto& p = params_[i];
  const auto& prof = *profile_;
  at::value_rule rule{(p.error ? *p.error : error_).for_profile(prof.name), p.says};
  switch (p.what) {
    case param_spec::check::none:
      return std::nullopt;
    case param_spec::check::range:
      return values_.in_range(i, p.min.of(prof), p.max.of(prof), p.name, rule);
    case param_spec::check::numbers:
      return values_.one_of(i, p.numbers, p.name, rule);
    case param_spec::check::words:
      return values_.one_of(i, p.words, p.name, rule);
    case param_spec::check::length:
      return values_.length(i, static_cast<std::size_t>(p.max.of(prof)), p.name, rule, p.empty_ok);
  }
  return std::nullopt;
}

std::variant<args, at::failure> parse_args(const at::command& cmd, const modem::profile& prof,
                                           std::span<const param_spec> params, value_error error) {
  std::optional<std::size_t> raw_after;
  if (!params.empty() && params.back().type == at::type::raw) raw_after = params.size() - 1;
  auto parsed = at::arguments::parse(cmd.args, cmd.args_offset, raw_after);
  if (auto* f = std::get_if<at::failure>(&parsed)) return std::move(*f);
  args a(std::move(std::get<at::arguments>(parsed)), params, prof, error);
  if (auto f = a.check_syntax()) return std::move(*f);
  return a;
}

at::response run_form(const write_form& form, modem::modem& m, const at::command& cmd) {
  auto parsed = parse_args(cmd, m.prof(), form.params, form.error);
  if (auto* f = std::get_if<at::failure>(&parsed)) return at::response::fail(std::move(*f));
  const auto& a = std::get<args>(parsed);
  if (auto f = a.check_values()) {
    if (!form.error.socket.empty()) f->socket = std::string(form.error.socket);
    return at::response::fail(std::move(*f));
  }
  return form.run(m, a);
}

}  // namespace nt35e::commands
