#include "app/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#ifndef NT35E_VERSION
#define NT35E_VERSION "unknown"
#endif

namespace nt35e::app {

namespace {

void print(std::FILE* to, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), to);
  std::fflush(to);
}

/// The name a message uses for an option declared as "-o,--output": the long one.
std::string display_name(const std::string& names) {
  std::string first;
  std::size_t start = 0;
  while (start <= names.size()) {
    auto comma = names.find(',', start);
    auto name = names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.starts_with("--")) return name;
    if (first.empty()) first = name;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return first;
}

/// The framing of a mistake. nt35e-sim's own options and its subcommands have kept
/// the wording they had before CLI11 (the tests and the docs quote both).
std::string framed(const CLI::App& about, std::string sentence) {
  if (sentence.ends_with('.')) sentence.pop_back();
  if (about.get_parent() == nullptr) return about.get_name() + ": " + sentence + " (try --help)\n";
  return about.get_parent()->get_name() + " " + about.get_name() + ": " + sentence + "; try --help\n";
}

/// The sentence for an error CLI11 raised itself (a missing value, a value given to a
/// flag); `args` is the command line, whose last argument is the option left without
/// its value when one is missing.
std::string sentence_for(const CLI::ParseError& e, const CLI::App& about, const std::vector<std::string>& args) {
  const std::string what = e.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    const std::string flag_override = " was given a disallowed flag override";
    if (what.ends_with(flag_override)) {
      auto name = what.substr(0, what.size() - flag_override.size());
      return (name.size() == 1 ? "-" : "--") + name + " takes no value";
    }
    // "--tcp: 1 required <type name> missing": the type name is what the value must be.
    if (auto colon = what.find(": "); colon != std::string::npos && what.ends_with(" missing")) {
      const auto* opt = about.get_option_no_throw(what.substr(0, colon));
      const std::string typed = args.empty() ? what.substr(0, colon) : args.back().substr(0, args.back().find('='));
      return typed + " needs " + (opt && !opt->get_type_name().empty() ? opt->get_type_name() : "a value");
    }
  }
  return what;
}

bool asked(const CLI::App& app, const std::string& flag) {
  const auto* opt = app.get_option_no_throw(flag);
  return opt != nullptr && opt->count() > 0;
}

}  // namespace

usage_error::usage_error(std::string sentence, const CLI::App* about)
    : CLI::ParseError("UsageError", std::move(sentence), 2), about_(about) {}

help_formatter::help_formatter(std::string usage, std::string description, std::size_t column)
    : usage_(std::move(usage)), description_(std::move(description)) {
  column_width(column);
}

std::string help_formatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
  std::string out = usage_;
  const auto& description = description_.empty() ? app->get_description() : description_;
  if (!description.empty()) out += "\n" + description + "\n";
  // configure() adds --help and --version first; they are listed last, in their group.
  auto standard = [](const CLI::Option* o) { return o->check_lname("help") || o->check_lname("version"); };
  std::vector<std::string> groups;
  for (bool flags : {false, true})
    for (const auto* o : app->get_options())
      if (standard(o) == flags && std::find(groups.begin(), groups.end(), o->get_group()) == groups.end())
        groups.push_back(o->get_group());
  for (const auto& group : groups) {
    if (group.empty()) continue;  // hidden
    auto opts = app->get_options([&](const CLI::Option* o) { return o->get_group() == group; });
    std::stable_partition(opts.begin(), opts.end(), [&](const CLI::Option* o) { return !standard(o); });
    out += "\n" + group + ":\n";
    for (const auto* o : opts) out += make_option(o, !o->nonpositional());
  }
  auto subs = app->get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
  if (!subs.empty()) {
    out += "\n" + subs.front()->get_group() + ":\n";
    for (const auto* s : subs) out += make_subcommand(s);
  }
  if (auto footer = app->get_footer(); !footer.empty()) out += "\n" + footer + (footer.ends_with('\n') ? "" : "\n");
  return out;
}

std::string help_formatter::make_option(const CLI::Option* opt, bool positional) const {
  const std::size_t column = get_column_width();
  std::string out = "  " + make_option_name(opt, positional) + make_option_opts(opt);
  // At least two spaces before the description, or help2man reads it as part of the name.
  out += out.size() + 2 > column ? "\n" + std::string(column, ' ') : std::string(column - out.size(), ' ');
  for (char c : make_option_desc(opt)) {
    out += c;
    if (c == '\n') out += std::string(column, ' ');
  }
  return out + "\n";
}

std::string help_formatter::make_option_name(const CLI::Option* opt, bool positional) const {
  if (positional) return opt->get_name(true);
  std::string out;
  for (const auto& s : opt->get_snames()) out += (out.empty() ? "-" : ", -") + s;
  for (const auto& l : opt->get_lnames()) out += (out.empty() ? "--" : ", --") + l;
  return out;
}

std::string help_formatter::make_option_opts(const CLI::Option* opt) const {
  const auto& text = opt->get_option_text();
  // "--explain[=en|zh]": an optional inline value is written against the name.
  if (text.empty() || text.starts_with("[=")) return text;
  return " " + text;
}

void configure(CLI::App& app, std::string usage, std::string description, std::size_t column,
               const std::string& group) {
  app.formatter(std::make_shared<help_formatter>(std::move(usage), std::move(description), column));
  // Unknown arguments are collected and named in one sentence by reject_unknown(),
  // rather than CLI11's "The following arguments were not expected".
  app.allow_extras();
  app.set_help_flag();
  // Help and version only once the rest of the line has been checked (parse_command_line).
  static const std::string help = "print this text", version = "print the version";
  app.add_flag("-h,--help", help)->group(group)->disable_flag_override();
  app.add_flag("-V,--version", version)->group(group)->disable_flag_override();
}

CLI::App* add_command(CLI::App& root, const std::string& name, const std::string& summary, std::string usage,
                      std::string description, std::size_t column) {
  root.require_subcommand(0, 1);
  auto* sub = root.add_subcommand(name, summary);
  sub->group("Subcommands (each with its own --help)");
  sub->footer("");  // not nt35e-sim's
  configure(*sub, std::move(usage), std::move(description), column, "Options");
  // A subcommand is the first argument: nt35e-sim's own options do not go before it.
  sub->preparse_callback([&root, name](std::size_t) {
    reject_unknown(root);
    if (!root.parse_order().empty())
      throw usage_error("unexpected argument \"" + name + "\" (options start with --)", &root);
  });
  return sub;
}

CLI::Option* add_value(CLI::App& app, const std::string& names, const std::string& text, const std::string& needs,
                       const std::string& help, std::function<void(const std::string&)> take) {
  auto callback = [&app, name = display_name(names), needs, take = std::move(take)](const CLI::results_t& values) {
    reject_unknown(app);  // an unknown argument before this option is the first mistake
    const std::string& value = values.front();
    // CLI11 takes the next argument whatever it is; an option there means the value is missing.
    if (value.starts_with("--")) throw usage_error(name + " needs " + needs);
    take(value);
    return true;
  };
  auto* opt = app.add_option(names, std::move(callback), help);
  opt->type_name(needs)->option_text(text)->trigger_on_parse();
  return opt;
}

CLI::Option* add_flag(CLI::App& app, const std::string& names, const std::string& help, std::function<void()> take) {
  auto* opt = app.add_flag_callback(
      names,
      [&app, take = std::move(take)] {
        reject_unknown(app);
        take();
      },
      help);
  opt->trigger_on_parse()->disable_flag_override();
  return opt;
}

void on_parsed(CLI::App& app, std::function<void()> check) {
  app.callback([&app, check = std::move(check)] {
    if (app.get_parent() == nullptr && !app.get_subcommands().empty()) return;  // the subcommand's own
    reject_unknown(app);
    if (!asked(app, "--help") && !asked(app, "--version")) check();
  });
}

void reject_unknown(const CLI::App& app) {
  auto unknown = app.remaining();
  if (unknown.empty()) return;
  const auto& arg = unknown.front();
  if (!arg.starts_with("-")) throw usage_error("unexpected argument \"" + arg + "\" (options start with --)", &app);
  const auto name = arg.starts_with("--") ? arg.substr(0, arg.find('=')) : arg;
  throw usage_error(app.get_parent() == nullptr ? "unknown option \"" + name + "\"" : "unknown option " + name, &app);
}

std::string version_line() { return "nt35e-sim " NT35E_VERSION; }

const CLI::App& chosen_command(const CLI::App& root) {
  auto chosen = root.get_subcommands();
  return chosen.empty() ? root : *chosen.front();
}

std::optional<int> parse_command_line(CLI::App& root, const std::vector<std::string>& args) {
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them from the back
    root.parse(reversed);
    const auto& chosen = chosen_command(root);
    reject_unknown(chosen);
    if (asked(chosen, "--help")) {
      print(stdout, root.help());
      return 0;
    }
    if (asked(chosen, "--version")) {
      print(stdout, version_line() + "\n");
      return 0;
    }
    return std::nullopt;
  } catch (const usage_error& e) {
    print(stderr, framed(e.about() ? *e.about() : chosen_command(root), e.what()));
  } catch (const CLI::ParseError& e) {
    const auto& about = chosen_command(root);
    std::string sentence = sentence_for(e, about, args);
    try {
      // An unknown argument before the one CLI11 stopped at is the first mistake.
      reject_unknown(about);
    } catch (const usage_error& first) {
      sentence = first.what();
    }
    print(stderr, framed(about, sentence));
  }
  return 2;
}

}  // namespace nt35e::app
