#pragma once
// The CLI11 glue shared by nt35e-sim and its subcommands (import, report): one way to
// declare options, one help layout (and so one man page), one way to report a mistake.
//
// Options run their callback as soon as CLI11 parses them, so repeated and related
// options keep their command-line order and the first mistake is the one reported.
// Every mistake is one sentence on stderr and exit status 2; --help and --version are
// handled only once the whole command line is known to be right.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace nt35e::app {

/// A command-line mistake: the one sentence the user sees (exit status 2).
class usage_error : public CLI::ParseError {
 public:
  /// `about` is the command whose mistake it is; nullptr: the one chosen on the line.
  explicit usage_error(std::string sentence, const CLI::App* about = nullptr);

  /// The command the sentence is about (nullptr: the one chosen on the line).
  const CLI::App* about() const { return about_; }

 private:
  const CLI::App* about_;
};

/// The help layout: usage lines first (help2man reads them as the synopsis), the
/// description, option groups, subcommands, then the footer.
class help_formatter : public CLI::Formatter {
 public:
  /// `usage` is the whole "Usage: ..." text, `description` the paragraph after it (the
  /// command's own description when empty); `column` is where descriptions start.
  help_formatter(std::string usage, std::string description, std::size_t column);

  /// The whole help text of `app`.
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
  /// One option: name and value, then its description from the column on.
  std::string make_option(const CLI::Option* opt, bool positional) const override;
  /// "-o, --output" (CLI11 writes "-o,--output").
  std::string make_option_name(const CLI::Option* opt, bool positional) const override;
  /// The value as help writes it (the option's option_text).
  std::string make_option_opts(const CLI::Option* opt) const override;

 private:
  std::string usage_;
  std::string description_;
};

/// Sets up a command (nt35e-sim itself or a subcommand) the nt35e-sim way: the help
/// layout (as help_formatter), -h/--help and -V/--version (listed last in `group`),
/// and unknown arguments kept for one sentence.
void configure(CLI::App& app, std::string usage, std::string description, std::size_t column, const std::string& group);

/// Adds a subcommand of `root`, set up with configure() (its options in the group
/// "Options"); `summary` is its line in nt35e-sim's help. It must come first on the line.
CLI::App* add_command(CLI::App& root, const std::string& name, const std::string& summary, std::string usage,
                      std::string description, std::size_t column);

/// Adds an option taking one value. `text` is how help writes the value ("PATH");
/// `needs` completes "--pty needs ..." when the value is missing. `take` runs as soon as
/// the option is parsed and throws usage_error for a bad value.
CLI::Option* add_value(CLI::App& app, const std::string& names, const std::string& text, const std::string& needs,
                       const std::string& help, std::function<void(const std::string&)> take);

/// Adds a flag (no value); `take` runs as soon as it is parsed.
CLI::Option* add_flag(CLI::App& app, const std::string& names, const std::string& help, std::function<void()> take);

/// Sets the check that needs `app`'s whole command line (a missing file, options that
/// go together); it runs after parsing, unless --help or --version was asked for, and
/// throws usage_error. For nt35e-sim itself, only when no subcommand was chosen.
void on_parsed(CLI::App& app, std::function<void()> check);

/// Throws usage_error for the first argument `app` did not recognise, if any.
void reject_unknown(const CLI::App& app);

/// What --version prints: "nt35e-sim <version>".
std::string version_line();

/// Parses `args` (without the program name) with `root` and the subcommand, if any,
/// that the first argument names. Prints --help, --version and mistakes itself: returns
/// the exit status when there is nothing left to run, else nothing.
std::optional<int> parse_command_line(CLI::App& root, const std::vector<std::string>& args);

/// The subcommand chosen on the parsed command line, or `root` itself.
const CLI::App& chosen_command(const CLI::App& root);

}  // namespace nt35e::app
